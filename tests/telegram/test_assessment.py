"""The manager marks the month's daily work with inline buttons (issue 22 item 1): the card
is edited in place, a second tap of the same mark changes nothing, the salesperson is told."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AssessmentMark
from tests.telegram.harness import World


async def test_a_manager_marks_daily_work_with_buttons(world: World) -> None:
    wang = await world.linked("王经理")
    li = await world.linked("李明")
    team = (await wang.send("/score team"))[-1]
    assert "李明:计划 0 · 实际 0(计划内完成 0)· 完成率 —(没有计划) · 考核 0 分(待评分)" in team.text
    card = (await wang.press("评分 李明", on=team))[-1]
    assert "📝 李明 · 2026年11月 考核评分" in card.text and "平常工作:未评分" in card.text
    assert [card.labels[:5]] == [["1", "2", "3", "4", "5"]]
    await wang.press("4", on=card)
    marked = wang.showing("✓ 4")
    assert "✅ 已给 李明 评 4 分。" in marked.text and "平常工作:4/5" in marked.text
    assert any(call.method == "editMessageText" for call in world.api.calls)  # edited in place
    await world.settle()
    assert "王经理 给您2026年11月的「平常工作」评了 4/5 分。" in li.last.text
    await wang.press("✓ 4", on=marked)  # tapped twice
    assert "已经是 4 分,没有改动。" in wang.showing("✓ 4").text
    assert li.texts.count(li.last.text) == 1  # told once
    assert "• 平常工作 15%:4/5 · 得分 12" in (await li.send("/score"))[-1].text
    with world.bot.core.db.session() as session:
        assert [m.mark for m in session.scalars(select(AssessmentMark))] == [4]
