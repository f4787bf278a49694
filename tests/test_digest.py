"""Daily digests (SPEC §8, §11): a week of time travel across time zones, each role's
sections, the buttons in them, and none on days off or when there is nothing to say; what a
topic shows when the company has more than it can, and which missing reports are chased."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from handlers import schedule as scheduler
from handlers.digest import engine as digest
from handlers.rules.policy.schema import Policy
from handlers.rules.policy.sections import WorkingDaysPolicy
from handlers.visits import rules as visit_rules
from storage.db import Database
from storage.models import (
    ApprovalStep,
    ChecklistItem,
    Client,
    OutboxMessage,
    Person,
    PlanEntry,
    Reception,
    Reminder,
    Visit,
    VisitPlan,
)
from tests.support import Company
from tests.test_approval import plain_reception
from tests.test_scheduler import BERLIN, SHANGHAI, at, english_reception, jump, travel

SINGAPORE = ZoneInfo("Asia/Singapore")


def digests(db: Database) -> list[tuple[str, datetime]]:
    """(recipient, when it was queued) of every digest, in order."""
    with db.session() as session:
        rows = session.execute(
            select(Person.name, OutboxMessage.created_at)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.key.startswith("digest:"))
            .order_by(OutboxMessage.id)
        ).all()
    return [(name, created) for name, created in rows]


def digest_of(company: Company, who: str) -> str:
    found = [m for m in company.inbox[who] if "早上好" in m or "Good morning" in m]
    assert found, f"{who} got no digest"
    return found[-1]


def person(db: Database, name: str) -> Person:
    with db.session() as session:
        return session.scalars(select(Person).where(Person.name == name)).one()


# ---------------------------------------------------------------------------- when


def test_a_week_of_digests_at_each_ones_local_morning(company: Company) -> None:
    """Wed 18 to Wed 25 Nov 2026, ticking every hour at half past: 王经理 (Shanghai) and Grace Lee
    (Singapore) have an approval waiting all week; Anna Schmidt (Berlin) has guests on
    Tuesday; 李明 on Monday. Digests come at 08:30 local on working days, none at the
    weekend, none to people with nothing to say."""
    plain_reception(company, "李明", "东方精密", "C")  # Mon 23, 10:00 Shanghai; 王经理 decides
    english_reception(company, "Anna Schmidt", "Nordic Tools", "next Tue 10am", "next Tue 5pm")
    company.clock.now = at("2026-11-18 09:30")
    travel(company, at("2026-11-25 11:30"), step=timedelta(hours=1))  # every hh:30
    got: dict[str, list[str]] = {}
    zones = {"Anna Schmidt": BERLIN, "Grace Lee": SINGAPORE}
    for name, when in digests(company.core.db):
        local = when.astimezone(zones.get(name, SHANGHAI))
        assert local.strftime("%H:%M") == "08:30", (name, local)
        got.setdefault(name, []).append(local.strftime("%a %d"))
    working_week = ["Thu 19", "Fri 20", "Mon 23", "Tue 24", "Wed 25"]
    assert got == {
        "王经理": working_week,  # the approval waits every day
        "Grace Lee": working_week,
        "李明": ["Mon 23"],  # his guests come today
        "赵总": ["Mon 23", "Tue 24"],  # the company's guests today (李明's, then Anna's)
        "Anna Schmidt": ["Mon 23", "Tue 24"],  # tomorrow, then today
    }
    assert digest_of(company, "Anna Schmidt") == (
        "Good morning, Anna Schmidt — Tue 24 Nov\n"
        "• Today: Nordic Tools 10:00 (reception #2, awaiting approval)"
    )
    with company.core.db.session() as session:
        kept = session.scalars(
            select(Reminder.key).where(Reminder.kind == "digest.daily", Reminder.state == "sent")
        ).all()
        planned = session.scalars(select(Reminder.key).where(Reminder.kind == "digest.daily"))
        assert len(kept) == sum(len(days) for days in got.values())
        # One row per person and working day they were reached on, none at the weekend.
        assert not any(k.endswith(("2026-11-21", "2026-11-22")) for k in planned)


def test_a_policy_holiday_has_no_digest(company: Company, policy: Policy) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    holiday = Policy.model_validate(
        {
            **policy.model_dump(),
            "working_days": WorkingDaysPolicy(extra_holidays=(date(2026, 11, 19),)),
        }
    )
    db = company.core.db
    for day in ("2026-11-19", "2026-11-20"):
        scheduler.tick(db, holiday, at(f"{day} 08:30"))
    assert [(n, w.astimezone(SHANGHAI).day) for n, w in digests(db)] == [("王经理", 20)]


def test_started_late_in_the_morning_still_sends_the_day_s_digest(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    jump(company, at("2026-11-19 11:15"))  # the bot was down until now
    assert digest_of(company, "王经理").startswith("王经理,早上好 — 11月19日(周四)")


def test_a_day_missed_while_down_is_not_sent_late(company: Company, policy: Policy) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    db = company.core.db
    with db.session() as session:  # the day's rows were planned, then the bot went down
        assert scheduler.plan(session, policy, at("2026-11-19 08:30"))[0] > 0
    scheduler.tick(db, policy, at("2026-11-19 19:00"))  # back after the working day
    assert digests(db) == []
    with db.session() as session:
        rows = session.scalars(select(Reminder).where(Reminder.kind == "digest.daily")).all()
        assert rows and {row.state for row in rows} == {"cancelled"}


# ---------------------------------------------------------------------------- what


def test_a_managers_digest_decides_from_its_buttons(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    plain_reception(company, "张伟", "华南电子", "C")
    jump(company, at("2026-11-19 08:30"))
    digest = digest_of(company, "王经理")
    assert digest.startswith(
        "王经理,早上好 — 11月19日(周四)\n"
        "• 待您审批:接待申请 #1 东方精密(李明) · 接待申请 #2 华南电子(张伟)\n"
    )
    assert "] 同意 接待#1  [" in digest and "] 退回 接待#2" in digest
    assert "已同意「接待申请 #2 华南电子」" in company.press("王经理", "同意 接待#2")
    assert "驳回原因" in company.press("王经理", "驳回 接待#1")
    with company.core.db.session() as session:
        states = dict(session.execute(select(Reception.id, Reception.state)).all())
    assert states[2] == "approved"


def test_a_delegate_sees_what_they_may_decide(company: Company) -> None:
    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    jump(company, at("2026-11-19 08:30"))
    assert "• 待您审批:接待申请 #1 东方精密(李明)" in digest_of(company, "张伟")


def _plan_and_visits(db: Database) -> None:
    """李明's November plan: 东方精密 on Mon 23 (done: visited), 华东机电 on Tue 24
    (not logged), 北京宏达 on Wed 25; 北京宏达 was added long ago and never visited."""
    with db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        clients = {c.name: c for c in session.scalars(select(Client))}
        plan = VisitPlan(person_id=li.id, year=2026, month=11, state="approved", round=1)
        session.add(plan)
        session.flush()
        visit = Visit(
            person_id=li.id,
            client_id=clients["东方精密"].id,
            visited_on=date(2026, 11, 23),
            contact="王工",
            kind="relationship",
            purposes=["care"],
            summary="交流新品",
            outcome="hopeful",
            next_step="寄样品",
            next_due=date(2026, 11, 25),
            expenses=Decimal(0),
        )
        session.add(visit)
        session.flush()
        session.add(
            Reminder(
                key=f"visit.next_step:{visit.id}",
                person_id=li.id,
                kind="visit.next_step",
                subject="visit",
                subject_id=visit.id,
                due_at=at("2026-11-25 09:00"),
            )
        )
        for name, day, done in (("东方精密", 23, visit.id), ("华东机电", 24, None)):
            session.add(
                PlanEntry(
                    plan_id=plan.id,
                    client_id=clients[name].id,
                    planned_on=date(2026, 11, day),
                    purpose="care",
                    visit_id=done,
                )
            )
        session.add(
            PlanEntry(
                plan_id=plan.id,
                client_id=clients["北京宏达"].id,
                planned_on=date(2026, 11, 27),
                purpose="care",
            )
        )
        clients["北京宏达"].created_at = at("2026-03-01 10:00")  # 'other' region: 6 months


def test_a_salespersons_digest(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # Mon 23, 10:00
    company.press("王经理", "同意")
    _plan_and_visits(company.core.db)
    jump(company, at("2026-11-27 08:30"))  # Friday
    assert digest_of(company, "李明") == (
        "李明,早上好 — 11月27日(周五)\n"
        "• 今天:计划拜访 北京宏达\n"
        "• 待办:华东机电 拜访报告(计划 11月24日(周二),已逾期) · 寄样品(东方精密)"
        " · 结案:接待 #1 东方精密 · 电话回访 东方精密"  # the call waits for no close-out
        " · 回访 东方精密(11月23日(周一)的拜访),记录满意度\n"  # its call back came Tuesday
        "• 该拜访了:1 位客户(北京宏达,已超 87 天)\n"
        + _buttons(
            company,
            "李明",
            ["记录拜访:北京宏达", "填写报告:华东机电", "结案 #1", "记录回访:东方精密"],
        )
    )


def _late_plans(db: Database) -> None:
    """李明's plans for September, October and November 2026, each with a planned visit he
    never logged (东方精密 on the 8th) and one he did (华东机电 on the 9th)."""
    with db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        clients = {c.name: c for c in session.scalars(select(Client))}
        for month in (9, 10, 11):
            plan = VisitPlan(person_id=li.id, year=2026, month=month, state="approved", round=1)
            session.add(plan)
            session.flush()
            visited = Visit(
                person_id=li.id,
                client_id=clients["华东机电"].id,
                visited_on=date(2026, month, 9),
                contact="张总",
                kind="relationship",
                purposes=["care"],
                summary="回访",
                outcome="hopeful",
            )
            session.add(visited)
            session.flush()
            for client, visit_id in (("东方精密", None), ("华东机电", visited.id)):
                session.add(
                    PlanEntry(
                        plan_id=plan.id,
                        client_id=clients[client].id,
                        planned_on=date(2026, month, 8 if visit_id is None else 9),
                        purpose="care",
                        visit_id=visit_id,
                    )
                )


def test_missing_reports_are_chased_for_this_plan_month_and_the_one_before(
    company: Company, policy: Policy
) -> None:
    """A planned visit never reported stops being "due" once its plan month is more than
    `visits.missing_report_months` behind: September's is not listed in late November."""
    _late_plans(company.core.db)
    thursday = date(2026, 11, 26)
    assert _digest_text(company, policy, "李明", thursday).splitlines()[1] == (
        "• 待办:东方精密 拜访报告(计划 10月8日(周四),已逾期)"
        " · 东方精密 拜访报告(计划 11月8日(周日),已逾期)"
    )
    assert _digest_text(company, policy, "王经理", thursday).splitlines()[1] == (
        "• 逾期未交拜访报告:李明:东方精密(计划 10月8日(周四)) · 李明:东方精密(计划 11月8日(周日))"
    )
    this_month_only = Policy.model_validate(
        {**policy.model_dump(), "visits": {"missing_report_months": 0}}
    )
    assert "10月8日" not in _digest_text(company, this_month_only, "王经理", thursday)


def test_a_report_is_overdue_from_the_day_after_its_deadline(policy: Policy) -> None:
    """`last_overdue_day` (which the database compares planned days with) agrees with each
    planned day's own deadline, across weekends and the 2026 holidays."""
    for today in (date(2026, 1, 1) + timedelta(days=n) for n in range(400)):
        last = visit_rules.last_overdue_day(policy, today)
        for planned_on in (today - timedelta(days=n) for n in range(1, 20)):
            overdue = visit_rules.report_deadline(policy, planned_on) < today
            assert overdue == (planned_on <= last), (today, planned_on)


def _arrivals(db: Database, count: int) -> None:
    """`count` approved receptions of 李明's arriving on Mon 23 Nov, hourly from 08:00 in
    reverse order of their numbers, each with its checklist open, and each waiting for
    王经理 (as if his approval had been asked again)."""
    with db.session() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        client = session.scalars(select(Client).where(Client.name == "东方精密")).one()
        for hour in reversed(range(8, 8 + count)):
            arrival = at(f"2026-11-23 {hour:02d}:00")
            reception = Reception(
                requester_id=people["李明"].id,
                client_id=client.id,
                class_key="C",
                arrival_at=arrival,
                departure_at=arrival + timedelta(hours=1),
                visitors=2,
                total=Decimal(0),
                answers={"guest": "王工"},
                state="approved",
                submitted_at=at("2026-11-18 10:00"),
            )
            session.add(reception)
            session.flush()
            session.add(ChecklistItem(reception_id=reception.id, item="badge"))
            session.add(
                ApprovalStep(
                    subject="reception",
                    subject_id=reception.id,
                    round=1,
                    position=0,
                    kind="manager",
                    approver_id=people["王经理"].id,
                    state="pending",
                    opened_at=at("2026-11-18 10:00") + timedelta(minutes=reception.id),
                )
            )


def _digest_text(company: Company, policy: Policy, who: str, day: date) -> str:
    with company.core.db.session() as session:
        reader = session.scalars(select(Person).where(Person.name == who)).one()
        message = digest.build(session, policy, reader, at(f"{day} 08:30"), day)
        assert message is not None
        return message.text


def test_a_topic_shows_six_items_and_counts_the_rest(company: Company, policy: Policy) -> None:
    """Sections whose items grow with the company read the six a topic shows and have the
    database count the others: the same first six, in the same order, and the same count
    as when every item was read."""
    _arrivals(company.core.db, 9)
    monday = date(2026, 11, 23)
    hours = [f"{hour:02d}:00" for hour in range(8, 14)]
    numbers = [f"#{n}" for n in range(9, 3, -1)]  # the latest made arrives first
    front_desk = _digest_text(company, policy, "周前台", monday).splitlines()[1]
    assert (
        front_desk
        == "• 今日来访:"
        + " · ".join(f"{hour} 东方精密 2人(主宾 王工),接待人 李明" for hour in hours)
        + " · 另有 3 项"
    )
    admin = _digest_text(company, policy, "孙行政", monday).splitlines()[1]
    assert (
        admin
        == "• 今天要准备:"
        + " · ".join(
            f"{number} 东方精密 {hour}:贵宾证" for number, hour in zip(numbers, hours, strict=True)
        )
        + " · 另有 3 项"
    )
    arrivals = (
        "• 团队今日来访:"
        + " · ".join(
            f"{hour} 东方精密(李明,{number})" for number, hour in zip(numbers, hours, strict=True)
        )
        + " · 另有 3 项"
    )
    assert arrivals in _digest_text(company, policy, "赵总", monday).splitlines()  # two up
    manager = _digest_text(company, policy, "王经理", monday).splitlines()
    assert arrivals in manager
    assert (
        manager[1]
        == "• 待您审批:"
        + " · ".join(
            f"接待申请 #{n} 东方精密(李明)"
            for n in range(1, 7)  # opened first, first
        )
        + " · 另有 3 项"
    )


@pytest.mark.skipif(
    sqlite3.sqlite_version_info >= (3, 46), reason="PRAGMA optimize picks the tables itself"
)
def test_sqlite_statistics_are_gathered_when_a_database_is_opened(org_db: Database) -> None:
    """Without statistics SQLite's planner may read a whole table where an index would do
    (bench/RESULTS.md, scale of data): a connection opened on a database gathers them."""
    reopened = Database(org_db.url)
    try:
        with reopened.session() as session:
            analysed = session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")).all()
    finally:
        reopened.dispose()
    assert {"person", "client"} <= set(analysed)


def _buttons(company: Company, who: str, labels: list[str]) -> str:
    shown = dict(company.buttons_shown[who])
    return "\n".join(f"[{shown[label]}] {label}" for label in labels)


def test_receptions_today_and_tomorrow_then_the_follow_up(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # Mon 23, 10:00–17:00
    company.press("王经理", "同意")
    jump(company, at("2026-11-20 08:30"))  # Friday: Monday is not "tomorrow"
    assert not any("早上好" in m for m in company.inbox["李明"])
    jump(company, at("2026-11-23 08:30"))
    assert "• 今天:东方精密 10:00(接待 #1,已批准)" in digest_of(company, "李明")
    jump(company, at("2026-11-23 18:00"))
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["0", "0", "0", "0", "0", "签约意向", "-"]:
        company.say("李明", answer)
    company.press("李明", "提交")
    jump(company, at("2026-11-24 08:30"))
    assert "• 待办:电话回访 东方精密" in digest_of(company, "李明")
    assert "回访结果" in company.press("李明", "记录回访:东方精密")


def test_a_managers_team_sections(company: Company) -> None:
    _plan_and_visits(company.core.db)
    jump(company, at("2026-11-24 08:30"))  # Tuesday: Monday's visits
    assert digest_of(company, "王经理") == (
        "王经理,早上好 — 11月24日(周二)\n"
        "• 团队上个工作日拜访:李明:东方精密(有希望)\n"
        "• 本月计划完成:李明 1/3(33%)"
        "\n• 未交日报:李明(11月23日(周一))"  # Monday's visit, no daily report
    )
    jump(company, at("2026-11-27 08:30"))  # Friday: Tuesday's report is past due
    assert "• 逾期未交拜访报告:李明:华东机电(计划 11月24日(周二))" in digest_of(company, "王经理")


def test_admin_office_and_front_desk(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # Mon 23, 10:00
    company.press("王经理", "同意")
    company.press("孙行政", "⬜ 欢迎屏")
    jump(company, at("2026-11-20 08:30"))
    assert not any("早上好" in m for m in company.inbox["孙行政"] + company.inbox["周前台"])
    jump(company, at("2026-11-23 08:30"))
    assert digest_of(company, "孙行政") == (
        "孙行政,早上好 — 11月23日(周一)\n• 今天要准备:#1 东方精密 10:00:贵宾证"
    )
    desk = digest_of(company, "周前台")
    assert desk.startswith(
        "周前台,早上好 — 11月23日(周一)\n• 今日来访:10:00 东方精密 2人(主宾 王工),接待人 李明\n"
    )
    assert "已登记:东方精密 到达" in company.press("周前台", "登记到达:东方精密")
    assert "🔔 东方精密 的 2 位客人" in company.last("李明")


def test_an_english_digest(company: Company) -> None:
    english_reception(company, "Tom Walker", "ACME Industrial", "next Mon 10am", "next Mon 5pm")
    jump(company, at("2026-11-19 08:30", SINGAPORE))
    digest = digest_of(company, "Grace Lee")
    assert digest.startswith(
        "Good morning, Grace Lee — Thu 19 Nov\n"
        "• Waiting for your decision: Reception #1 ACME Industrial (Tom Walker)\n"
    )
    assert "] Approve reception #1  [" in digest


def test_nothing_to_say_means_no_message(company: Company) -> None:
    jump(company, at("2026-11-19 08:30"))
    assert digests(company.core.db) == []
    with company.core.db.session() as session:
        states = set(session.scalars(select(Reminder.state).where(Reminder.kind == "digest.daily")))
        people = session.scalars(select(Person)).all()
    assert states == {"cancelled"}
    assert len(people) == 12


def test_digest_time_follows_the_policy(company: Company, policy: Policy) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    later = Policy.model_validate({**policy.model_dump(), "digest": {"time": "10:00"}})
    db = company.core.db
    hand_over = at("2026-11-19 10:00") - scheduler.HAND_OVER  # rendered ahead, sent at 10:00
    before = hand_over - timedelta(minutes=1)
    assert _digest_keys(scheduler.tick(db, later, before).sent) == []
    sent = _digest_keys(scheduler.tick(db, later, hand_over).sent)
    assert sent == [f"digest:{person(db, '王经理').id}:2026-11-19"]
    with db.session() as session:
        queued = session.scalars(select(OutboxMessage).where(OutboxMessage.key == sent[0])).one()
    assert queued.not_before == at("2026-11-19 10:00")
    assert _digest_keys(scheduler.tick(db, later, at("2026-11-19 10:30")).sent) == []


def _digest_keys(keys: list[str]) -> list[str]:
    return [key for key in keys if key.startswith("digest:")]
