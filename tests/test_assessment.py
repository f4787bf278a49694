"""The monthly assessment (seed 003, 客户专人月度考核表; issue 22 item 1): the plan's targets,
the weighted items with their actuals from the data, the manager's marks at month end, and
the month-end reminder that asks for them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from handlers.rules.policy.load import parse_policy
from handlers.text.months import Month
from handlers.visits.assessment import assess
from storage.models import AssessmentMark, Person, Reminder
from tests.support import Company
from tests.test_plan import add_entry, plan_row
from tests.test_score import quick

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def december(company: Company) -> None:
    """李明 targets 2 new clients and 1 deal, plans 2 visits, makes 2 (1 planned, won) and
    opens 1 new client with an initial visit."""
    asked = company.say("李明", "/plan targets")
    assert "2026年12月「拓展」的目标" in asked
    assert "数字" in company.say("李明", "很多")  # not a number: asked again
    assert "「成交」的目标" in company.say("李明", "2")
    shown = company.say("李明", "1")
    assert "2026年12月还没有拜访计划" in shown and "目标:拓展 2 · 成交 1" in shown
    add_entry(company, "李明", "华东机电", "12月3日", "客户关怀")
    shown = add_entry(company, "李明", "北京宏达", "12月10日", "签合同")
    assert "目标:拓展 2 · 成交 1" in shown
    company.press("李明", "提交给经理")
    assert "目标:拓展 2 · 成交 1" in company.last("王经理")  # on the manager's card
    company.press("王经理", "同意")
    company.clock.now = at(3)
    quick(company, "李明", "华东机电 见了张总 谈成了")
    company.clock.now = at(4)
    company.say("李明", "/visit 见了王总 有意向")  # a new client, outside the plan
    company.say("李明", "苏北重工")
    company.press("李明", "本市")
    company.press("李明", "初次拜访")
    company.say("李明", "开发新客户")
    company.say("李明", "初次接触")
    company.press("李明", "提交")


def test_the_assessment_weighs_each_item_of_the_policy(company: Company) -> None:
    december(company)
    mine = company.say("李明", "/score 2026-12")
    # The seed's completion rate: made ÷ planned, the planned ones done beside it.
    assert "计划 2 · 实际 2(计划内完成 1)· 完成率 100%" in mine
    assert "• 拜访 40%:计划 2 · 实际 2 · 完成率 100%(计划内完成 1)· 得分 40" in mine
    assert "• 拓展 25%:目标 2 · 实际 1 · 完成率 50% · 得分 12.5" in mine
    assert "• 成交 20%:目标 1 · 实际 1 · 完成率 100% · 得分 20" in mine
    assert "• 平常工作 15%:经理尚未评分 · 得分 0" in mine
    assert "合计 72.5 分" in mine

    team = company.say("王经理", "/score team 2026-12")
    assert "李明:计划 2 · 实际 2(计划内完成 1)· 完成率 100% · 考核 72.5 分(待评分)" in team
    card = company.press("王经理", "评分 李明")
    assert "📝 李明 · 2026年12月 考核评分" in card and "平常工作:未评分" in card
    marked = company.press("王经理", "4")
    assert "✅ 已给 李明 评 4 分。" in marked and "平常工作:4/5" in marked
    assert "王经理 给您2026年12月的「平常工作」评了 4/5 分。" in company.last("李明")
    again = company.press("王经理", "✓ 4")  # tapped twice: nothing changes, nobody is told again
    assert "已经是 4 分,没有改动。" in again
    assert company.last("李明").count("评了") == 1
    assert "已给 李明 评 3 分" in company.press("王经理", "3")  # another mark replaces it
    mine = company.say("李明", "/score 2026-12")
    assert "• 平常工作 15%:3/5 · 得分 9" in mine and "合计 81.5 分" in mine
    with company.core.db.session() as session:
        assert len(session.scalars(select(AssessmentMark)).all()) == 1


def test_who_may_mark_and_when(company: Company) -> None:
    december(company)
    with company.core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
    grace = company.core.handle(Event(CONSOLE, "Grace Lee", action=f"as:m:{li.id}:202612:0:5"))
    assert "李明 is not in your team" in grace[-1].text
    stale = company.core.handle(Event(CONSOLE, "王经理", action=f"as:m:{li.id}:202612:7:5"))
    assert "这个按钮已经失效了" in stale[-1].text  # an item the policy no longer has
    too_high = company.core.handle(Event(CONSOLE, "王经理", action=f"as:m:{li.id}:202612:0:9"))
    assert "这个按钮已经失效了" in too_high[-1].text  # above the policy's scale
    with company.core.db.session() as session:
        zhang = session.scalars(select(Person).where(Person.name == "张伟")).one()
        zhang.active = False  # left; the org import does this
        session.commit()
        zhang_id = zhang.id
    gone = company.core.handle(Event(CONSOLE, "王经理", action=f"as:m:{zhang_id}:202612:0:5"))
    assert "张伟 已离职,不再评分。" in gone[-1].text
    company.clock.now = datetime(2027, 2, 5, 10, 0, tzinfo=SHANGHAI)
    closed = company.core.handle(Event(CONSOLE, "王经理", action=f"as:m:{li.id}:202612:0:5"))
    assert "2026年12月的评分已关闭。" in closed[-1].text
    with company.core.db.session() as session:
        assert session.scalars(select(AssessmentMark)).all() == []


def test_managers_are_asked_for_their_marks_on_the_last_working_day(company: Company) -> None:
    december(company)
    company.clock.now = at(30, 9)  # Wed 30 Dec: not yet the month's last working day
    company.say("王经理", "/help")  # the console ticks the scheduler on every line
    with company.core.db.session() as session:
        assert not session.scalars(select(Reminder).where(Reminder.kind == "assessment.mark")).all()
    company.clock.now = at(31, 9)  # Thu 31 Dec, working hours
    company.say("王经理", "/help")
    asked = company.last("王经理")
    assert "📝 请为团队2026年12月的「平常工作」评分,还有 4 人未评。" in asked
    card = company.press("王经理", "评分 张伟")
    assert "张伟 · 2026年12月 考核评分" in card
    company.press("王经理", "5")
    company.say("王经理", "/help")
    with company.core.db.session() as session:
        rows = session.scalars(select(Reminder).where(Reminder.kind == "assessment.mark")).all()
        managers = {session.get(Person, r.person_id).name: r.state for r in rows}  # type: ignore[union-attr]
        assert managers == {"王经理": "sent", "Grace Lee": "sent", "赵总": "sent"}  # once each
    assert plan_row(company).targets == {"new_clients": 2, "deals": 1}


def test_the_items_and_weights_come_from_the_policy(company: Company) -> None:
    """Seed 003's other version: 拜访 30%, 拓展 30%, 平常工作 10% … — any items adding up to 100."""
    policy = parse_policy(
        '[assessment.items.visits]\nweight = 60\nsource = "visits"\n'
        '[assessment.items.satisfaction]\nweight = 40\nsource = "satisfaction"\n'
    )
    december(company)
    with company.core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        result = assess(session, policy, li, Month(2026, 12))
        assert [(i.key, i.weight, i.rate) for i in result.items] == [
            ("visits", 60, 100),
            ("satisfaction", 40, None),  # no call-back scores yet: 0, not a division by zero
        ]
        assert result.total == 60
        empty = assess(session, policy, li, Month(2027, 1))  # no plan at all
        assert [i.rate for i in empty.items] == [None, None] and empty.total == 0
    with pytest.raises(Exception, match="weights must add up to 100, not 90"):
        parse_policy('[assessment.items.visits]\nweight = 90\nsource = "visits"\n')
