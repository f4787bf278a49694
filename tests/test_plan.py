"""Monthly visit plans (SPEC §7): filing next month's plan, the manager approving it or
sending it back, the report deadline of each planned visit (a reminder stored at approval,
closed by the logged visit), and the plan deadline reminder."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.forms.model import Opened
from handlers.engine.messages import Event
from handlers.visits.plan import ensure_deadline_reminders
from storage.models import ApprovalStep, Person, PlanEntry, Reminder, VisitPlan
from tests.support import Company

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_entry(
    company: Company,
    who: str,
    client: str,
    day: str,
    purpose: str,
    at: str = "跳过",
    expected: str = "跳过",
) -> str:
    """`/plan add` answered in full (time and expected outcome skipped unless given);
    returns the plan as shown after it."""
    assert "要拜访哪位客户" in company.say(who, "/plan add")
    assert "哪天去" in company.say(who, client)
    assert "对吗" in company.say(who, day)
    assert "几点去" in company.say(who, "对")
    assert "拜访目的" in company.say(who, at)
    assert "预期成果" in company.say(who, purpose)
    return company.say(who, expected)


def december_plan(company: Company) -> str:
    """李明's plan for December: two visits, submitted."""
    assert "2026年12月还没有拜访计划" in company.say("李明", "/plan")
    add_entry(company, "李明", "华东机电", "12月3日", "客户关怀")
    shown = add_entry(company, "李明", "北京宏达", "12月10日", "签合同")
    assert "📋 2026年12月拜访计划 · 未提交 · 2次" in shown
    assert "1. 12月3日(周四) 华东机电 — 客户关怀" in shown
    assert "2. 12月10日(周四) 北京宏达 — 签合同" in shown
    assert "请在 11月30日(周一) 前提交。" in shown
    return company.press("李明", "提交给经理")


def plan_row(company: Company, who: str = "李明") -> VisitPlan:
    with company.core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == who)).one()
        plan = session.scalars(select(VisitPlan).where(VisitPlan.person_id == person.id)).one()
        _ = plan.entries  # loaded while the session is open
        return plan


def report_reminders(company: Company) -> dict[str, Reminder]:
    with company.core.db.session() as session:
        rows = session.scalars(select(Reminder).where(Reminder.kind == "visit.report_due"))
        return {r.key: r for r in rows}


def test_a_plan_is_filed_and_approved_with_report_deadlines(company: Company) -> None:
    sent = december_plan(company)
    assert "已提交「拜访计划 李明 2026年12月」,等待 王经理 审批。" in sent
    card = company.last("王经理")
    assert card.startswith("【拜访计划】李明(销售一部)· 2026年12月 · 2次拜访")
    assert "2. 12月10日(周四) 北京宏达 — 签合同" in card
    assert "审批链:王经理(部门) ⏳" in card and "截止日" not in card
    assert report_reminders(company) == {}  # nothing is due before approval

    company.press("王经理", "同意")
    assert "✅「拜访计划 李明 2026年12月」已获批准。" in company.last("李明")
    plan = plan_row(company)
    assert (plan.state, plan.round) == ("approved", 1)
    first, second = sorted(plan.entries, key=lambda e: e.planned_on)
    rows = report_reminders(company)
    assert sorted(rows) == [f"visit.report_due:{first.id}", f"visit.report_due:{second.id}"]
    # Two working days after the planned day, by the end of working hours.
    assert rows[f"visit.report_due:{first.id}"].due_at == datetime(2026, 12, 7, 18, tzinfo=SHANGHAI)
    assert rows[f"visit.report_due:{second.id}"].due_at == datetime(
        2026, 12, 14, 18, tzinfo=SHANGHAI
    )
    assert "已批准" in company.say("李明", "/plan")


def test_a_plan_sent_back_for_changes_is_edited_and_resubmitted(company: Company) -> None:
    december_plan(company)
    company.press("王经理", "退回修改")
    company.give_reason("王经理", "北京宏达改到下旬,再加东方精密")
    told = company.last("李明")
    assert "↩「拜访计划 李明 2026年12月」需要修改(王经理):北京宏达改到下旬,再加东方精密" in told
    shown = company.press("李明", "修改计划")
    assert "📋 2026年12月拜访计划 · 待修改 · 2次" in shown
    shown = company.press("李明", "删除 2")
    assert "· 1次" in shown and "北京宏达 — 签合同" not in shown
    add_entry(company, "李明", "北京宏达", "12月22日", "签合同")
    shown = add_entry(company, "李明", "东方精密", "12月15日", "催收货款")
    assert "2. 12月15日(周二) 东方精密 — 催收货款" in shown
    assert "3. 12月22日(周二) 北京宏达 — 签合同" in shown
    company.press("李明", "提交给经理")
    card = company.last("王经理")
    assert "(第2次提交)" in card and "3次拜访" in card
    company.press("王经理", "同意")
    plan = plan_row(company)
    assert (plan.state, plan.round, len(plan.entries)) == ("approved", 2, 3)
    with company.core.db.session() as session:
        states = session.scalars(
            select(ApprovalStep.state)
            .where(ApprovalStep.subject == "plan")
            .order_by(ApprovalStep.id)
        ).all()
        assert states == ["changes", "approved"]
    assert len(report_reminders(company)) == 3  # the removed visit has none


def test_a_waiting_plan_is_frozen_until_withdrawn(company: Company) -> None:
    december_plan(company)
    assert "正在等经理审批" in company.say("李明", "/plan add")
    shown = company.say("李明", "/plan")
    assert "待审批" in shown and "删除" not in shown
    withdrawn = company.press("李明", "撤回")
    assert "2026年12月的拜访计划已撤回" in withdrawn
    assert "— 已撤回或已结束" in company.last("王经理")  # the card goes quiet
    assert plan_row(company).state == "draft"
    assert "要拜访哪位客户" in company.say("李明", "/plan add")


def test_changing_an_approved_plan_needs_approval_again(company: Company) -> None:
    december_plan(company)
    company.press("王经理", "同意")
    shown = add_entry(company, "李明", "东方精密", "12月15日", "客户关怀")
    assert "计划有改动,需要重新提交审批" in shown and "未提交 · 3次" in shown
    assert plan_row(company).state == "draft"


def test_a_planned_visit_has_a_time_and_an_expected_outcome(company: Company) -> None:
    """Seed 001 拜望打算书 / seed 003 联系计划表: when, and what the visit should achieve."""
    company.say("李明", "/plan add")
    company.say("李明", "华东机电")
    company.say("李明", "12月3日")
    company.say("李明", "对")
    assert "没看懂这个时间" in company.say("李明", "下辈子")  # asked again, nothing lost
    assert "拜访目的" in company.say("李明", "下午3点")
    assert "预期成果" in company.say("李明", "客户关怀")
    shown = company.press("李明", "有希望")
    assert "1. 12月3日(周四) 15:00 华东机电 — 客户关怀 · 预期:有希望" in shown
    skipped = add_entry(company, "李明", "北京宏达", "12月10日", "签合同")
    assert "2. 12月10日(周四) 北京宏达 — 签合同\n" in skipped + "\n"  # both skipped
    company.press("李明", "提交给经理")
    card = company.last("王经理")
    assert "12月3日(周四) 15:00 华东机电 — 客户关怀 · 预期:有希望" in card
    entry = plan_row(company).entries[0]
    assert (f"{entry.planned_time:%H:%M}", entry.expected_outcome) == ("15:00", "hopeful")


def test_a_planned_day_must_be_in_the_month(company: Company) -> None:
    company.say("李明", "/plan add")
    company.say("李明", "华东机电")
    reply = company.say("李明", "明天")
    assert "请选2026年12月内的日期" in reply and "哪天去" in reply
    assert "请选2026年12月内的日期" in company.say("李明", "2027年1月5日")
    assert "12月4日(周五),对吗" in company.say("李明", "12月4日")


def test_a_logged_visit_closes_its_plan_entry_and_a_missing_report_is_reminded(
    company: Company,
) -> None:
    december_plan(company)
    company.press("王经理", "同意")
    company.clock.now = datetime(2026, 12, 3, 16, 0, tzinfo=SHANGHAI)
    company.say("李明", "/visit 华东机电 见了张总 有希望")
    company.press("李明", "建立关系")
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    company.say("李明", "年度回顾")
    saved = company.press("李明", "提交")
    assert "计划中 12月3日(周四) 的这次拜访已完成。" in saved
    plan = plan_row(company)
    first, second = sorted(plan.entries, key=lambda e: e.planned_on)
    assert first.visit_id is not None and second.visit_id is None
    rows = report_reminders(company)
    assert rows[f"visit.report_due:{first.id}"].state == "done"
    assert rows[f"visit.report_due:{second.id}"].state == "pending"

    # 北京宏达 was planned for Thu 10 Dec; by the end of Mon 14 Dec no report has come.
    company.clock.now = datetime(2026, 12, 14, 18, 0, tzinfo=SHANGHAI)
    company.console.deliver()
    overdue = [m for m in company.inbox["李明"] if m.startswith("⏰ 拜访报告逾期")]
    assert overdue == [
        "⏰ 拜访报告逾期:北京宏达(计划 12月10日(周四) 拜访,报告应在 12月14日(周一) 前提交)。\n"
        "[" + overdue[0].split("[", 1)[1]
    ]
    assert "记录拜访" in overdue[0] and "完成" in overdue[0]
    assert report_reminders(company)[f"visit.report_due:{second.id}"].state == "sent"
    asked = company.press("李明", "记录拜访")
    assert "在 北京宏达 见了谁" in asked  # client and planned day come from the plan
    for answer in ["刘董", "建立关系", "客户关怀", "签约仪式", "-", "-", "商谈成功", "-", "-"]:
        reply = company.say("李明", answer)
    assert "北京宏达 · 12月10日(周四) · 面谈:刘董" in reply
    assert "计划中 12月10日(周四) 的这次拜访已完成" in company.press("李明", "提交")
    assert report_reminders(company)[f"visit.report_due:{second.id}"].state == "done"


def test_the_plan_deadline_reminder_goes_to_those_who_have_not_filed(company: Company) -> None:
    with company.core.db.session() as session:
        added = ensure_deadline_reminders(session, company.core.policy, company.clock())
    assert added == 8  # every salesperson, managers who sell included
    with company.core.db.session() as session:
        assert ensure_deadline_reminders(session, company.core.policy, company.clock()) == 0
        rows = {
            r.person_id: r
            for r in session.scalars(select(Reminder).where(Reminder.kind == "plan.deadline"))
        }
        people = {p.name: p.id for p in session.scalars(select(Person))}
    zhang = rows[people["张伟"]]
    assert zhang.key == f"plan.deadline:{people['张伟']}:2026-12"
    # The deadline is Mon 30 Nov (the last working day); three working days before: Wed 25.
    assert zhang.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    tom = rows[people["Tom Walker"]]
    assert tom.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Asia/Singapore"))

    december_plan(company)  # 李明 files his: his reminder goes
    add_entry(company, "刘芳", "苏州新材", "12月8日", "客户关怀")  # 刘芳 only drafts hers
    company.clock.now = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
    company.console.deliver()
    assert "📅 2026年12月的拜访计划请在 11月30日(周一) 前提交。" in company.inbox["张伟"][-1]
    assert "📅 2026年12月的拜访计划" in company.inbox["刘芳"][-1]
    assert "📅 Your visit plan for December 2026 is due by Mon 30 Nov." in "\n".join(
        company.inbox["Tom Walker"]
    )
    assert not any("📅" in m for m in company.inbox["李明"])
    with company.core.db.session() as session:
        mine = session.scalars(
            select(Reminder.state).where(Reminder.key == f"plan.deadline:{people['李明']}:2026-12")
        ).one()
        assert mine == "cancelled"


def test_someone_else_cannot_touch_a_plan(company: Company) -> None:
    december_plan(company)
    company.press("王经理", "退回修改")
    company.give_reason("王经理", "改一下")
    shown = company.press("李明", "修改计划")
    assert "删除 1" in shown
    remove = next(n for label, n in company.buttons_shown["李明"] if label == "删除 1")
    assert "这不是您的计划" in company.say("张伟", f"#{remove}")
    with company.core.db.session() as session:
        assert len(session.scalars(select(PlanEntry)).all()) == 2


def test_an_english_plan_goes_to_an_english_manager(company: Company) -> None:
    assert "No visit plan for December 2026 yet." in company.say("Tom Walker", "/plan")
    asked = company.press("Tom Walker", "Add a visit")
    assert "Which client will you visit in December 2026?" in asked
    assert "a day in December 2026" in company.say("Tom Walker", "acme")
    assert "Thu 3 Dec. Right?" in company.say("Tom Walker", "Dec 3")
    company.say("Tom Walker", "yes")
    assert "What time?" in company.say("Tom Walker", "soonish")  # unclear: asked again
    assert "Purpose?" in company.say("Tom Walker", "10am")
    assert "Expected outcome?" in company.say("Tom Walker", "account care")
    shown = company.press("Tom Walker", "Skip")
    assert "📋 Visit plan, December 2026 · not submitted · visits: 1" in shown
    assert "1. Thu 3 Dec 10:00 ACME Industrial — Account care" in shown
    sent = company.press("Tom Walker", "Submit to manager")
    assert "Sent: Visit plan Tom Walker December 2026. Waiting for Grace Lee" in sent
    card = company.last("Grace Lee")
    assert card.startswith("Visit plan — Tom Walker (International Sales) · December 2026")
    company.press("Grace Lee", "Approve")
    assert "✅ Visit plan Tom Walker December 2026 is approved." in company.last("Tom Walker")
    assert plan_row(company, "Tom Walker").state == "approved"


def test_an_entry_from_a_whole_form_at_once_as_slack_sends_it(company: Company) -> None:
    texts = {"client": "hdjd", "date": "12月3日", "purpose": "客户关怀"}
    result = company.core.fill_form(Event(CONSOLE, "李明"), "plan", texts, Opened.of(None))
    assert result.errors == {}
    assert "1. 12月3日(周四) 华东机电 — 客户关怀" in result.replies[-1].text
    wrong = company.core.fill_form(
        Event(CONSOLE, "李明"), "plan", {**texts, "date": "明天"}, Opened.of(None)
    )
    assert wrong.errors == {"date": "请选2026年12月内的日期。"}
