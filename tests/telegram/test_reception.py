"""A whole reception on Telegram: the salesperson requests it, the manager approves, the GM
approves, the requester is told — each person on their own phone. Then the ways a button
goes wrong: pressed twice by redelivery, pressed by the wrong person, pressed too late."""

from __future__ import annotations

from tests.telegram.botapi import Shown
from tests.telegram.harness import Phone, World
from tests.test_reception import B_CLASS_ANSWERS


async def fill_b_class(li: Phone) -> Shown:
    """李明 fills the reception form for 华东机电 (class B); its summary."""
    first = await li.send("/reception")
    assert first[-1].text.startswith("哪位客户来访?")
    assert first[-1].labels == ["东方精密", "北京宏达", "华东机电"]
    for answer, expected in B_CLASS_ANSWERS:
        replies = await li.send(answer)
        shown = "\n".join(r.text for r in replies)
        assert expected in shown, f"after {answer!r} expected {expected!r} in:\n{shown}"
    assert li.last.labels == ["提交", "修改某项", "取消"]
    return li.last


async def request_b_class(li: Phone) -> None:
    """李明 fills the reception form for 华东机电 (class B) and submits it."""
    summary = await fill_b_class(li)
    shown = summary.text
    assert [r.text for r in await li.press("提交")] == [
        "已提交「接待申请 #1 华东机电」,等待 王经理 审批。"
    ]
    # The summary stays as the record of what was sent, with nothing left to tap.
    assert summary.edits == 1 and summary.labels == [] and summary.text == shown


async def test_request_manager_approves_gm_approves_requester_told(world: World) -> None:
    li, wang, zhao = [await world.linked(name) for name in ("李明", "王经理", "赵总")]
    await request_b_class(li)

    card = wang.last
    assert card.text.startswith("【接待申请 #1】华东机电 · B类(比较重要)\n申请人:李明(销售一部)\n")
    assert card.text.endswith("审批链:王经理(部门) ⏳ → 赵总(总经理) …")
    assert card.labels == ["同意", "驳回", "退回修改"]
    assert len(zhao.screen) == 1  # only the welcome: the GM's turn has not come

    replies = await wang.press("同意")
    assert [r.text for r in replies] == ["已同意「接待申请 #1 华东机电」。"]
    # The tap was answered (the spinner stopped) before any work was shown.
    methods = [(c.method, c.params.get("callback_query_id")) for c in world.api.calls]
    answered_at = methods.index(("answerCallbackQuery", world.queries[-1]))
    assert answered_at < answered_at + methods[answered_at:].index(("editMessageText", None))
    # The card was edited where it stood: outcome shown, buttons gone.
    assert card.edits == 1 and card.labels == []
    assert card.text.endswith("✅ 王经理 已同意 11月18日(周三) 09:00")
    assert "王经理(部门) ✅ → 赵总(总经理) ⏳" in card.text  # where the request went
    assert li.last.text == "「接待申请 #1 华东机电」:已送 赵总 审批。"
    gm_card = zhao.last
    assert "王经理(部门) ✅ → 赵总(总经理) ⏳" in gm_card.text
    assert gm_card.labels == ["同意", "驳回", "退回修改"]

    await zhao.press("同意")
    assert gm_card.edits == 1 and gm_card.labels == []
    answered = [c.params["callback_query_id"] for c in world.api.calls_of("answerCallbackQuery")]
    assert answered == world.queries  # every tap answered, once
    told = li.screen[-3:]
    assert [m.text for m in told[:2]] == [
        "✅「接待申请 #1 华东机电」已获批准。",
        "接待申请 #1 的日程,可导入您的日历:",
    ]
    assert told[2].document is not None
    filename, content = told[2].document
    assert filename == "reception-1.ics" and b"BEGIN:VCALENDAR" in content


async def test_a_redelivered_approval_decides_once(world: World) -> None:
    li, wang, zhao = [await world.linked(name) for name in ("李明", "王经理", "赵总")]
    await request_b_class(li)
    card = wang.last
    update = world.press_update(wang, card, card.action("同意"))
    for _ in range(2):  # Telegram sends the same update_id again, e.g. after a timeout
        assert await world.receive(update) == 200
    await world.settle()

    assert card.edits == 1
    assert wang.texts.count("已同意「接待申请 #1 华东机电」。") == 1
    assert li.texts.count("「接待申请 #1 华东机电」:已送 赵总 审批。") == 1
    assert sum(text.startswith("【接待申请 #1】") for text in zhao.texts) == 1


async def test_someone_elses_tap_changes_nothing(world: World) -> None:
    li, wang, zhang = [await world.linked(name) for name in ("李明", "王经理", "张伟")]
    await request_b_class(li)
    card = wang.last
    # 张伟 taps a forged copy of 王经理's card (callback data is only as safe as the core).
    forged = world.press_update(zhang, card, card.action("同意"))
    assert await world.receive(forged) == 200
    await world.settle()

    assert zhang.last.text == "这不是您的审批,您无权决定。"
    assert card.edits == 0 and card.labels == ["同意", "驳回", "退回修改"]
    assert li.last.text == "已提交「接待申请 #1 华东机电」,等待 王经理 审批。"


async def test_a_tapped_answer_stays_on_its_question_and_its_buttons_go(world: World) -> None:
    li = await world.linked("李明")
    client = (await li.send("/reception"))[-1]
    replies = await li.press("华东机电", on=client)
    # The question now reads as a record; nothing on it can be tapped a second time.
    assert client.edits == 1 and client.labels == []
    assert client.text.endswith("(新客户会自动建档)。\n→ 华东机电")
    assert [r.text.split("\n")[0] for r in replies] == ["客户级别?"]
    for answer in ["B", "5", "张总", "采购总监"]:
        await li.send(answer)
    purposes = li.last
    assert purposes.text.startswith("来访目的?")
    # Ticking a multiple choice changes the question itself, not a new copy of it per tap.
    assert await li.press("参观考察", on=purposes) == []
    assert await li.press("业务洽谈", on=purposes) == []
    assert purposes.labels[:2] == ["✓ 参观考察", "✓ 业务洽谈"]
    replies = await li.press("选好了", on=purposes)
    assert purposes.labels == [] and purposes.text.endswith("\n→ 参观考察、业务洽谈")
    assert replies[-1].text.startswith("什么时候到?")


async def test_a_button_from_an_earlier_question_is_answered_politely(world: World) -> None:
    li = await world.linked("李明")
    question = (await li.send("/reception"))[-1]
    earlier = question.action("东方精密")
    await li.send("华东机电")  # typed instead of tapped: the form moves on to the class
    assert question.edits == 1 and question.labels == []  # its buttons went, as if tapped
    # A tap that was already on its way (or an old copy elsewhere) is refused politely.
    replies = await li.tap(earlier, on=question)
    assert replies[0].text == "这个按钮属于之前的问题,请回答当前这一步:"
    assert replies[1].text.startswith("客户级别?")  # asked again; nothing was changed
    assert (
        world.api.calls_of("answerCallbackQuery")[-1].params["callback_query_id"]
        == (world.queries[-1])
    )
    assert question.edits == 1


async def test_the_submit_on_a_cancelled_requests_summary_sends_nothing(world: World) -> None:
    li, wang = [await world.linked(name) for name in ("李明", "王经理")]
    cancelled = await fill_b_class(li)
    submit = cancelled.action("提交")
    await li.send("/cancel")  # typed: the summary loses its buttons, as a tapped 取消 does
    assert cancelled.labels == [] and cancelled.edits == 1
    summary = await fill_b_class(li)  # a new request, at the same step

    replies = await li.tap(submit, on=cancelled)  # a tap already on its way, or another device
    assert replies[0].text == "这个按钮属于之前那份已结束的「接待申请」,没有改动。请继续当前这一份:"
    assert replies[1].text == summary.text  # the summary shown again; nothing was sent
    assert len(wang.screen) == 1  # only the welcome

    assert [r.text for r in await li.press("提交", on=summary)] == [
        "已提交「接待申请 #1 华东机电」,等待 王经理 审批。"
    ]


async def test_a_button_the_core_no_longer_knows(world: World) -> None:
    li = await world.linked("李明")
    question = (await li.send("/reception"))[-1]
    client = question.action("华东机电")
    await li.send("/cancel")
    replies = await li.tap(client, on=question)
    assert [r.text for r in replies] == ["这个按钮已经失效了,请使用最新的消息。"]
