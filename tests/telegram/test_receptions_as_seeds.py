"""Receptions as the seeds run them, on Telegram (issue 21): the leaders question starts
ticked at the host by class, the card names the host, and the arrangement sheet reaches a
reader who links only after it was sent."""

from __future__ import annotations

from handlers import schedule as scheduler
from handlers.rules.policy.load import parse_policy
from tests.support import FakeClock
from tests.telegram.harness import World
from tests.telegram.test_reception import request_b_class
from tests.test_reception import B_CLASS_ANSWERS
from tests.test_scheduler import at


async def test_the_leaders_start_ticked_at_the_host_and_the_card_names_them(
    world: World,
) -> None:
    li, wang = [await world.linked(name) for name in ("李明", "王经理")]
    await li.send("/reception")
    leaders = next(i for i, (answer, _) in enumerate(B_CLASS_ANSWERS) if answer == "总经理")
    for answer, _ in B_CLASS_ANSWERS[:leaders]:
        await li.send(answer)
    question = li.last
    assert question.text.startswith("客人需要会见哪些领导?")
    # Class B: a deputy GM, and the org has none: the GM, ticked before any tap.
    assert question.labels == ["✓ 总经理", "董事长", "副总经理", "选好了", "跳过"]
    await li.press("董事长")  # one more, on the same question
    assert question.labels[:2] == ["✓ 总经理", "✓ 董事长"]
    await li.press("选好了")
    for answer, _ in B_CLASS_ANSWERS[leaders + 1 :]:
        await li.send(answer)
    assert "主陪:总经理 赵总" in li.last.text and "会见:总经理、董事长" in li.last.text
    await li.press("提交")
    assert "主陪:总经理 赵总" in wang.last.text


async def test_a_sheet_reader_who_links_late_gets_it_when_they_link(
    world: World, clock: FakeClock
) -> None:
    li, wang, zhao = [await world.linked(name) for name in ("李明", "王经理", "赵总")]
    await request_b_class(li)
    await wang.press("同意")
    await zhao.press("同意")
    to_finance = parse_policy('[reception]\narrangement_sheet_to = ["finance"]\n')
    clock.now = at("2026-11-24 09:00")  # the working day before the arrival
    assert scheduler.tick(world.bot.app.db, to_finance, clock()).sent  # for 钱会计, unlinked
    await world.settle()
    clock.now = at("2026-11-25 08:00")
    qian = await world.linked("钱会计")  # links the next morning
    (sheet,) = [s for s in qian.screen if s.text.startswith("📋【接待安排表 #1】")]
    assert "华东机电 · B类(比较重要)" in sheet.text and "只读副本" in sheet.text
    assert sheet.labels == ["完成", "1小时后提醒", "明天再提醒"]
    assert not scheduler.tick(world.bot.app.db, to_finance, at("2026-11-25 08:01")).sent
