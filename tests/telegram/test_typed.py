"""On Telegram, what is typed leaves the chat as tidy as what is tapped (issue 19, item 19):
a question answered by typing loses its buttons, a resumed draft's question comes once, the
/today check-in button goes once used, and the summary's buttons go when Edit is chosen."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support import FakeClock
from tests.telegram.harness import World
from tests.telegram.test_reception import fill_b_class, request_b_class


async def test_a_question_answered_by_typing_loses_its_buttons(world: World) -> None:
    li = await world.linked("李明")
    question = (await li.send("/reception"))[-1]
    replies = await li.send("华东机电")
    assert question.edits == 1 and question.labels == []
    assert question.text.endswith("(新客户会自动建档)。\n→ 华东机电")
    assert replies[-1].text.startswith("客户级别?")
    cls = replies[-1]
    await li.send("不知道")  # refused: asked again, the first copy's buttons go as well
    again = li.last
    await li.send("B")
    assert cls.labels == [] and again.labels == [] and again.text.endswith("→ B 比较重要")


async def test_a_resumed_draft_shows_its_question_once(world: World) -> None:
    li = await world.linked("李明")
    await li.send("/reception")
    await li.send("华东机电")
    replies = await li.send("/reception")
    assert [r.text.split("\n")[0] for r in replies] == [
        "继续填写您未完成的「接待申请」(发送 /cancel 放弃)。",
        "客户级别?",
    ]


async def test_the_summarys_buttons_go_when_edit_is_chosen(world: World) -> None:
    li = await world.linked("李明")
    summary = await fill_b_class(li)
    fields = (await li.press("修改某项", on=summary))[-1]
    assert summary.labels == [] and summary.edits == 1
    await li.press("人数", on=fields)
    assert fields.labels == [] and fields.text.endswith("→ 人数") and fields.edits == 1
    again = (await li.send("6"))[-1]
    assert again.labels == ["提交", "修改某项", "取消"]
    await li.send("礼品预算")  # a field typed at the summary itself: it is done with too
    assert again.labels == [] and again.edits == 1


async def test_the_today_button_goes_after_check_in(world: World, clock: FakeClock) -> None:
    li, wang, zhao = [await world.linked(name) for name in ("李明", "王经理", "赵总")]
    desk = await world.linked("周前台")
    await request_b_class(li)
    await wang.press("同意")
    await zhao.press("同意")
    clock.now = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai, arrival day
    guests = (await desk.send("/today"))[-1]
    assert guests.labels == ["登记到达"]
    await desk.press("登记到达", on=guests)
    assert guests.labels == [] and guests.edits == 1 and "登记到达" in guests.text


async def test_a_question_cancelled_by_typing_loses_its_buttons(world: World) -> None:
    li = await world.linked("李明")
    question = (await li.send("/reception"))[-1]
    await li.send("取消")
    assert question.labels == [] and question.text.startswith("哪位客户来访?")
    assert li.last.text == "已放弃「接待申请」,什么都没有保存。"
