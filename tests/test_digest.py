"""Daily digests (SPEC §8, §11): a week of time travel across time zones, each role's
sections, the buttons in them, and none on days off or when there is nothing to say."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import scheduler
from handlers.policy import Policy, WorkingDaysPolicy
from storage.db import Database
from storage.models import (
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
        assert scheduler.plan(session, policy, at("2026-11-19 08:30")) > 0
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
    assert "] 同意 #1  [" in digest and "] 退回 #2" in digest
    assert "已同意「接待申请 #2 华南电子」" in company.press("王经理", "同意 #2")
    assert "驳回原因" in company.press("王经理", "驳回 #1")
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
        " · 结案:接待 #1 东方精密\n"
        "• 该拜访了:1 位客户(北京宏达,已超 87 天)\n"
        + _buttons(company, "李明", ["记录拜访:北京宏达", "填写报告:华东机电", "结案 #1"])
    )


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
    assert "] Approve #1  [" in digest


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
    assert _digest_keys(scheduler.tick(db, later, at("2026-11-19 09:59")).sent) == []
    sent = _digest_keys(scheduler.tick(db, later, at("2026-11-19 10:00")).sent)
    assert sent == [f"digest:{person(db, '王经理').id}:2026-11-19"]
    assert _digest_keys(scheduler.tick(db, later, at("2026-11-19 10:30")).sent) == []


def _digest_keys(keys: list[str]) -> list[str]:
    return [key for key in keys if key.startswith("digest:")]
