"""Reminders end to end, with a fake clock: approval reminders and escalation counted in
working hours, the "at risk" alert, close-out and follow-up, Done / Snooze, obsolete rows
dropped, a restart with due rows, and several schedulers on one SQLite file."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers import outbox
from handlers import schedule as scheduler
from handlers.engine.context import enqueue
from handlers.engine.messages import Message
from handlers.reminders import RENDERERS, ReminderView
from handlers.rules import calendar_gaps
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import ApprovalStep, OutboxMessage, Person, Reception, Reminder
from tests.support import Company
from tests.test_approval import plain_reception

if TYPE_CHECKING:
    from bot.app import App

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def at(text: str, tz: ZoneInfo = SHANGHAI) -> datetime:
    """`at("2026-11-20 17:00")`: a wall-clock time in a zone (Shanghai unless told)."""
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def travel(company: Company, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
    """Move the clock to `until` in steps, letting the console run a tick at each."""
    while company.clock.now < until:
        company.clock.now = min(company.clock.now + step, until)
        company.console.deliver()


def jump(company: Company, to: datetime) -> None:
    """Set the clock and run one tick (the bot was idle in between)."""
    company.clock.now = to
    company.console.deliver()


def english_reception(
    company: Company, who: str, client: str, arrival: str, departure: str
) -> None:
    """The shortest reception in English (no pickup, hotel, meals), sent for approval."""
    company.say(who, "/reception")
    answers = [client, "C", "2", "Erik Berg", "Buyer", "talks", arrival, "yes", departure, "yes"]
    answers += ["no", "no", "0", "no", "-", "-", "-", "-", "0"]
    for answer in answers:
        company.say(who, answer)
    assert "Please check your reception request" in company.say(who, "-")
    assert "Waiting for" in company.press(who, "Submit")


def sent_keys(db: Database, prefix: str = "") -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                select(OutboxMessage.key)
                .where(OutboxMessage.key.startswith(prefix))
                .order_by(OutboxMessage.id)
            )
        )


def reminders(db: Database, kind: str) -> list[Reminder]:
    with db.session() as session:
        return list(
            session.scalars(select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id))
        )


# ---------------------------------------------------------------------------- approval timing


def test_a_request_at_friday_five_reminds_monday_noon_and_escalates_at_four(
    company: Company,
) -> None:
    company.clock.now = at("2026-11-20 17:00")  # Friday, an hour before the day ends
    plain_reception(company, "李明", "东方精密", "C")
    remind = reminders(company.core.db, "approval.remind")[0]
    escalate = reminders(company.core.db, "approval.escalate")[0]
    assert remind.due_at == at("2026-11-23 12:00")  # 1 h on Friday + 3 h on Monday
    assert escalate.due_at == at("2026-11-23 16:00")  # 1 h + 7 h
    seen = len(company.inbox["王经理"])
    travel(company, at("2026-11-23 11:30"))  # the weekend passes: nothing
    assert not any("⏰" in m for m in company.inbox["王经理"][seen:])
    travel(company, at("2026-11-23 12:00"))
    reminder = company.last("王经理")
    assert reminder.startswith("⏰ 这项审批已等您 4 个工作小时:\n【接待申请 #1】")
    assert "[" in reminder and "] 同意" in reminder and "] 1小时后提醒" in reminder
    assert not any("⏰" in m for m in company.inbox["赵总"])
    travel(company, at("2026-11-23 16:00"))
    assert company.last("赵总").startswith("⏰ 王经理 已有 8 个工作小时未审批这项申请:")
    assert "] 同意" not in company.last("赵总")  # the GM is told, not asked to decide
    travel(company, at("2026-11-27 18:00"))  # a week of ticks: each went out once
    for row in (remind, escalate):
        assert len(sent_keys(company.core.db, f"rem:{row.id}:")) == 1


def test_an_approvers_working_hours_are_counted_in_their_own_zone(company: Company) -> None:
    with company.core.db.session() as session:  # Grace moves to the Berlin office
        grace = session.scalars(select(Person).where(Person.name == "Grace Lee")).one()
        grace.timezone = "Europe/Berlin"
    company.clock.now = at("2026-11-20 17:00", BERLIN)  # Friday, an hour before her day ends
    english_reception(company, "Tom Walker", "ACME", "next Thu 10am", "next Thu 5pm")
    remind = reminders(company.core.db, "approval.remind")[0]
    escalate = reminders(company.core.db, "approval.escalate")[0]
    # Her Friday's last hour and Monday morning, not Shanghai's Monday (06:00 in Berlin).
    assert remind.due_at == at("2026-11-23 12:00", BERLIN)
    assert escalate.due_at == at("2026-11-23 16:00", BERLIN)
    travel(company, at("2026-11-23 12:00", BERLIN))
    reminder = company.last("Grace Lee")
    assert reminder.startswith("⏰ Waiting for your decision for 4 working hours:")
    assert "Approvals: Grace Lee (manager) ⏳" in reminder


def test_approving_from_the_reminder_and_the_card_updates_it(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    travel(company, at("2026-11-18 13:00"))
    assert company.last("王经理").startswith("⏰")
    done = company.press("王经理", "同意")  # the newest 同意 is the reminder's
    assert "已同意「接待申请 #1 东方精密」" in done
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "approved"
        escalate = session.scalars(
            select(Reminder).where(Reminder.kind == "approval.escalate")
        ).one()
        assert escalate.state == "cancelled"  # decided: the GM hears nothing
    travel(company, at("2026-11-18 18:00"))
    assert not any("⏰" in m for m in company.inbox["赵总"])


def test_a_reminder_for_a_decided_step_is_dropped_not_sent(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    with company.core.db.session() as session:
        # As if the step were decided by a path that left the reminder pending.
        session.get_one(Reception, 1).state = "withdrawn"
        session.scalars(select(ApprovalStep)).one().state = "cancelled"
    travel(company, at("2026-11-18 18:00"))
    assert not any("⏰" in m for m in company.inbox["王经理"] + company.inbox["赵总"])
    states = {r.kind: r.state for r in reminders(company.core.db, "approval.remind")}
    assert states == {"approval.remind": "cancelled"}
    assert sent_keys(company.core.db, "rem:") == []


# ---------------------------------------------------------------------------- at risk


def test_still_pending_two_working_days_before_arrival_alerts_both(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # arrives Monday 23rd, 10:00
    travel(company, at("2026-11-19 08:30"))
    assert not any("有风险" in m for m in company.inbox["李明"] + company.inbox["王经理"])
    travel(company, at("2026-11-19 09:00"))  # Thursday: two working days before Monday
    told = company.last("李明")
    assert told.startswith(
        "⚠ 有风险:接待申请 #1 东方精密 将于 11月23日(周一) 10:00 到访,仍在等 王经理 审批"
    )
    approver = company.last("王经理")
    assert approver.startswith("⚠ 有风险:接待申请 #1 东方精密 将于 11月23日(周一) 10:00 到访")
    assert "] 同意" in approver  # the approver can decide right there
    travel(company, at("2026-11-20 18:00"))
    assert len(reminders(company.core.db, "approval.at_risk")) == 2  # once each


def test_no_alert_when_decided_in_time(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    company.press("王经理", "同意")
    travel(company, at("2026-11-20 18:00"))
    assert reminders(company.core.db, "approval.at_risk") == []
    assert not any("有风险" in m for m in company.inbox["李明"])


def test_the_at_risk_moment_counts_working_days(policy: Policy) -> None:
    from handlers.rules.workdays import WorkCalendar

    calendar = WorkCalendar.for_policy(policy)
    # Arriving Monday: Thursday 09:00 (the weekend does not count).
    assert scheduler.at_risk_from(policy, calendar, at("2026-11-23 10:00")) == at(
        "2026-11-19 09:00"
    )
    # Arriving the first day after Spring Festival 2026 (15–23 Feb off, Saturday 14 Feb a
    # make-up working day): Friday 13 Feb.
    assert scheduler.at_risk_from(policy, calendar, at("2026-02-24 10:00")) == at(
        "2026-02-13 09:00"
    )


# ---------------------------------------------------------------------------- close-out, follow-up


def _approved_and_departed(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # Monday 23rd, 10:00 to 17:00
    company.press("王经理", "同意")


def test_close_out_reminder_after_departure_then_follow_up(company: Company) -> None:
    _approved_and_departed(company)
    travel(company, at("2026-11-23 18:30"))
    assert not any("请结案" in m for m in company.inbox["李明"])
    travel(company, at("2026-11-23 19:00"))  # departure 17:00 + 2 h
    close = company.last("李明")
    assert close.startswith("📝 接待申请 #1 东方精密 已于 11月23日(周一) 17:00 结束,请结案")
    # No line had a budget: only what went outside it is asked.
    assert "预算之外还有其他支出" in company.press("李明", "结案")
    for answer in ["-", "签约意向", "-"]:
        company.say("李明", answer)
    company.press("李明", "提交")
    follow_up = reminders(company.core.db, "reception.followup")[0]
    assert follow_up.due_at == at("2026-11-24 09:00")
    travel(company, at("2026-11-24 09:00"))
    call = company.last("李明")
    assert call.startswith("📞 今天请给 东方精密 做电话回访(接待申请 #1 东方精密),并记录结果。")
    assert "回访结果" in company.press("李明", "记录回访")
    company.say("李明", "客户满意")
    assert reminders(company.core.db, "reception.followup")[0].state == "done"


def test_close_out_done_before_the_reminder_drops_it(company: Company) -> None:
    _approved_and_departed(company)
    jump(company, at("2026-11-23 17:30"))
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["-", "已完成", "-"]:
        company.say("李明", answer)
    company.press("李明", "提交")
    travel(company, at("2026-11-23 19:30"))
    assert not any("请结案" in m for m in company.inbox["李明"])
    assert reminders(company.core.db, "reception.close")[0].state == "cancelled"


# ---------------------------------------------------------------------------- Done / Snooze


def test_snooze_an_hour_then_done(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    travel(company, at("2026-11-18 13:00"))
    snoozed = company.press("王经理", "1小时后提醒")
    assert snoozed.startswith("(card updated)\n⏰ 这项审批已等您 4 个工作小时")
    assert snoozed.endswith("⏰ 将在 14:00 再次提醒。")
    assert reminders(company.core.db, "approval.remind")[0].due_at == at("2026-11-18 14:00")
    travel(company, at("2026-11-18 13:30"))
    assert len(sent_keys(company.core.db, "rem:")) == 1
    travel(company, at("2026-11-18 14:00"))
    assert company.last("王经理").startswith("⏰ 这项审批已等您 5 个工作小时")
    assert len(sent_keys(company.core.db, "rem:")) == 2  # a new message, not a repeat
    done = next(n for label, n in reversed(company.buttons_shown["王经理"]) if label == "完成")
    assert company.say("王经理", f"#{done}").endswith("✅ 已完成")
    remind = reminders(company.core.db, "approval.remind")[0]
    assert remind.state == "done"
    travel(company, at("2026-11-19 12:00"), step=timedelta(hours=1))
    assert len(sent_keys(company.core.db, f"rem:{remind.id}:")) == 2  # done: no more
    assert "已经处理过了" in company.say("王经理", f"#{done}")


def test_snooze_to_tomorrow_is_the_next_working_morning_in_the_readers_zone(
    company: Company,
) -> None:
    english_reception(company, "Anna Schmidt", "Nordic Tools", "next Tue 10am", "next Tue 5pm")
    company.press("Grace Lee", "Approve")
    # Tue 24 Nov 17:00 Berlin + 2 h: the close-out reminder.
    travel(company, at("2026-11-24 19:00", BERLIN), step=timedelta(hours=1))
    close = company.last("Anna Schmidt")
    assert close.startswith("📝 Reception #1 Nordic Tools ended Tue 24 Nov 17:00. Please close")
    assert "] Close out\n[" in close and close.endswith("] Tomorrow")
    reply = company.press("Anna Schmidt", "Tomorrow")
    assert reply.endswith("⏰ I'll remind you again at Wed 25 Nov 09:00.")
    row = reminders(company.core.db, "reception.close")[0]
    assert row.due_at == at("2026-11-25 09:00", BERLIN)  # 16:00 in Shanghai
    travel(company, at("2026-11-25 08:30", BERLIN))
    assert len(sent_keys(company.core.db, f"rem:{row.id}:")) == 1
    travel(company, at("2026-11-25 09:00", BERLIN))
    assert len(sent_keys(company.core.db, f"rem:{row.id}:")) == 2
    assert any(
        m.startswith("📝 Reception #1 Nordic Tools") for m in company.inbox["Anna Schmidt"][-2:]
    )


def test_snooze_to_tomorrow_skips_the_weekend(company: Company) -> None:
    company.clock.now = at("2026-11-20 17:00")
    plain_reception(company, "李明", "东方精密", "C")
    travel(company, at("2026-11-23 12:00"))
    reply = company.press("王经理", "明天再提醒")
    assert reply.endswith("⏰ 将在 11月24日(周二) 09:00 再次提醒。")


def test_only_the_reader_may_press_a_reminders_buttons(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    travel(company, at("2026-11-18 13:00"))
    done = next(n for label, n in reversed(company.buttons_shown["王经理"]) if label == "完成")
    assert "不是发给您的" in company.say("张伟", f"#{done}")
    assert reminders(company.core.db, "approval.remind")[0].state == "sent"


# ---------------------------------------------------------------------------- early digests


def _handed_over(company: Company) -> datetime:
    """王经理 has an approval waiting; the scheduler hands Thursday's digests over ahead of
    08:30. Returns the digest time."""
    plain_reception(company, "李明", "东方精密", "C")
    digest_time = at("2026-11-19 08:30")
    jump(company, digest_time - scheduler.HAND_OVER)
    return digest_time


def test_a_digest_handed_over_early_goes_out_at_its_time_not_before(company: Company) -> None:
    digest_time = _handed_over(company)
    with company.core.db.session() as session:
        queued = session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("digest:"))
        ).all()
    assert [(row.created_at, row.not_before) for row in queued] == [
        (digest_time - scheduler.HAND_OVER, digest_time)
    ]
    jump(company, digest_time - timedelta(seconds=1))
    assert not any("早上好" in m for m in company.inbox["王经理"])
    jump(company, digest_time)
    assert company.last("王经理").startswith(
        "王经理,早上好 — 11月19日(周四)\n• 待您审批:接待申请 #1 东方精密(李明)"
    )
    jump(company, digest_time + timedelta(hours=1))
    assert sum("早上好" in m for m in company.inbox["王经理"]) == 1


def test_a_digest_still_unsent_at_the_end_of_its_day_is_dropped_not_sent_at_night(
    company: Company,
) -> None:
    """Handed over at 08:20, then the bot was down until 18:00 (end of working hours)."""
    _handed_over(company)
    evening = at("2026-11-19 18:00")
    jump(company, evening)
    assert not any("早上好" in m for m in company.inbox["王经理"])
    with company.core.db.session() as session:
        (row,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("digest:"))
        ).all()
    assert (row.expires_at, row.sent_at, row.failed_at) == (evening, None, evening)


def test_a_digest_held_up_until_the_afternoon_still_goes_out(company: Company) -> None:
    _handed_over(company)
    jump(company, at("2026-11-19 17:59"))
    assert sum("早上好" in m for m in company.inbox["王经理"]) == 1


def test_a_full_batch_of_expired_messages_does_not_hold_up_the_rest(org_db: Database) -> None:
    now = at("2026-11-19 19:00")
    with org_db.session() as session:
        manager = session.scalars(select(Person).where(Person.name == "王经理")).one()
        for number in range(3):
            enqueue(
                session,
                manager,
                Message(f"stale {number}"),
                f"old:{number}",
                now,
                expires_at=now - timedelta(hours=1),
            )
        enqueue(session, manager, Message("fresh"), "new", now)
    claimed = outbox.claim(org_db, "console", now, limit=2)
    assert [pending.message.text for pending in claimed] == ["fresh"]


def test_a_decision_after_the_hand_over_leaves_the_digest_as_of_then(company: Company) -> None:
    """The digest reads as it was at the hand-over; its button for what was decided since
    says so rather than deciding again."""
    digest_time = _handed_over(company)
    company.clock.now = digest_time - timedelta(minutes=5)
    assert "已同意「接待申请 #1 东方精密」" in company.press("王经理", "同意")
    jump(company, digest_time)
    digest = company.last("王经理")
    assert "• 待您审批:接待申请 #1 东方精密(李明)" in digest and "] 同意 接待#1" in digest
    again = company.press("王经理", "同意 接待#1")
    assert "已经处理过了:✅ 王经理 已同意 11月19日(周四) 08:25" in again
    with company.core.db.session() as session:
        assert session.scalars(select(ApprovalStep.state)).all() == ["approved"]


def test_other_reminders_are_rendered_when_due_not_early(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # 王经理's reminder is due at 13:00
    jump(company, at("2026-11-18 12:55"))
    assert reminders(company.core.db, "approval.remind")[0].state == "pending"
    assert sent_keys(company.core.db, "rem:") == []


def test_a_long_tick_on_sqlite_lets_the_outbox_in_between_transactions(
    org_db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick rendering for seconds commits every `TRANSACTION_SECONDS` and pauses, so an
    outbox claim (which needs SQLite's one write lock) gets in while the tick still renders,
    not after it. (No stopwatch: what is asserted is the order, how long is bench/'s job.)"""
    rendered: list[int] = []

    def slow(view: ReminderView) -> Message | None:
        time.sleep(0.02)
        rendered.append(view.reminder.id)
        return Message("slow")

    monkeypatch.setitem(RENDERERS, "test.slow", slow)
    now = at("2026-11-18 09:00")
    with org_db.session() as session:
        session.add_all(
            Reminder(key=f"test:{n}", person_id=1, kind="test.slow", due_at=now) for n in range(60)
        )
    ticking = threading.Thread(target=scheduler.tick, args=(org_db, policy, now))
    ticking.start()
    while not rendered and ticking.is_alive():  # then the tick holds the lock
        time.sleep(0.005)
    assert rendered, "the tick ended without rendering"
    outbox.claim(org_db, "console", now)
    rendered_before_the_claim = len(rendered)
    ticking.join()
    assert rendered_before_the_claim < 60  # without the pauses: only once the tick ended
    assert len(sent_keys(org_db, "rem:")) == 60


def test_a_plan_does_not_insert_again_what_the_last_one_made(
    company: Company, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    _handed_over(company)  # 李明's request is waiting; digests of Thursday planned
    now = at("2026-11-19 09:00")  # and now it is at risk
    inserted: list[str] = []

    def insert(session: object, model: object, rows: list[dict[str, object]]) -> int:
        inserted.extend(str(row["key"]) for row in rows)
        return len(rows)

    monkeypatch.setattr(scheduler, "insert_new", insert)
    with company.core.db.session() as session:
        _, known = scheduler.plan(session, policy, now - timedelta(seconds=1))
        inserted.clear()
        new, keys = scheduler.plan(session, policy, now, known)
    assert sorted(inserted) == sorted(keys - known) != [] and new == len(inserted)
    assert all(key.startswith("approval.at_risk:") for key in inserted)


# ---------------------------------------------------------------------------- restarts, processes


def _due_rows(company: Company) -> None:
    """Two receptions waiting for 王经理, so two reminders come due at 13:00."""
    plain_reception(company, "李明", "东方精密", "C")
    plain_reception(company, "张伟", "华南电子", "C")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_restart_sends_what_came_due_while_down_once(
    company: Company, org_db: Database, policy: Policy
) -> None:
    _due_rows(company)
    # The bot is down from 09:00 to 15:00; then a new process opens the same file.
    later = at("2026-11-18 15:00")
    for _ in range(2):
        restarted = Database(org_db.url)
        report = scheduler.tick(restarted, policy, later)
        restarted.dispose()
    assert sent_keys(org_db, "rem:") == [
        f"rem:{r.id}:{r.due_at.isoformat()}" for r in reminders(org_db, "approval.remind")
    ]
    assert report.sent == []  # the second process found nothing left
    assert {r.state for r in reminders(org_db, "approval.remind")} == {"sent"}


def test_three_schedulers_on_one_sqlite_file_send_each_once(
    company: Company, org_db: Database, policy: Policy, tmp_path: Path
) -> None:
    _due_rows(company)
    later = at("2026-11-19 18:00")  # reminders, escalations, at-risk alerts, digests
    barrier = threading.Barrier(3)
    sent: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        database = Database(org_db.url)
        try:
            barrier.wait()
            mine: list[str] = []
            while True:
                report = scheduler.tick(database, policy, later, batch=2)
                mine += report.sent
                if not report.sent and not report.planned:
                    break
            sent.append(mine)
        except BaseException as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            database.dispose()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    everything = [key for keys in sent for key in keys]
    assert sorted(everything) == sorted(set(everything))
    with org_db.session() as session:
        assert session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.key.startswith("rem:"))
        ) == len([k for k in everything if k.startswith("rem:")])
        pending = session.scalar(
            select(func.count()).where(Reminder.state == "pending", Reminder.due_at <= later)
        )
    assert pending == 0
    kinds = sorted(r.kind for r in _sent_reminders(org_db))
    assert kinds.count("approval.remind") == 2 and kinds.count("approval.escalate") == 2
    # Thursday 09:00 put both requests at risk: each requester, and 王经理 once per request.
    assert kinds.count("approval.at_risk") == 4


def _sent_reminders(db: Database) -> list[Reminder]:
    with db.session() as session:
        return list(session.scalars(select(Reminder).where(Reminder.state == "sent")))


def test_console_ticks_once_per_line(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    company.clock.now = at("2026-11-18 13:00")
    assert "⏰ 这项审批已等您" not in "\n".join(company.inbox["王经理"])
    company.say("李明", "/help")  # any line: the tick runs, the reminder is printed
    assert company.last("王经理").startswith("⏰ 这项审批已等您 4 个工作小时")


@pytest.mark.parametrize("action", ["rem:999:done", "rem:x:1h", "rem:1:later", "rem:1"])
def test_stale_or_malformed_reminder_buttons(company: Company, action: str) -> None:
    number = max(company.console.buttons, default=0) + 1
    company.console.buttons[number] = action
    assert "按钮已经失效" in company.say("李明", f"#{number}")


def test_a_renderer_that_fails_is_retried_then_kept_as_failed(
    company: Company, org_db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(view: ReminderView) -> Message | None:
        raise RuntimeError("boom")

    monkeypatch.setitem(RENDERERS, "test.broken", broken)
    with org_db.session() as session:
        session.add(
            Reminder(key="test:1", person_id=1, kind="test.broken", due_at=at("2026-11-18 09:00"))
        )
    now = at("2026-11-18 09:00")
    for attempt in range(1, scheduler.GIVE_UP_AFTER + 1):
        report = scheduler.tick(org_db, policy, now)
        assert (report.failed, report.sent) == (1, [])
        row = next(r for r in reminders(org_db, "test.broken"))
        assert row.detail == {"errors": attempt}
        now = row.due_at
    assert row.state == "failed"
    assert scheduler.tick(org_db, policy, now + timedelta(days=1)).failed == 0


async def test_run_scheduler_ticks_until_stopped(
    company: Company, org_db: Database, policy: Policy
) -> None:
    from bot import scheduler

    plain_reception(company, "李明", "东方精密", "C")
    clock = at("2026-11-18 13:00")
    app = SimpleNamespace(
        db=org_db,
        policy=policy,
        core=SimpleNamespace(clock=lambda: clock),
        settings=SimpleNamespace(tick_seconds=0.01),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run_scheduler(cast("App", app), stop))  # a stand-in
    for _ in range(500):  # a bound, not a timing assertion
        if sent_keys(org_db, "rem:"):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert len(sent_keys(org_db, "rem:")) == 1  # the 13:00 reminder to 王经理


async def test_serving_starts_one_scheduler_for_every_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`visitdesk run` ticks the scheduler beside the adapters, and stops it with them."""
    import asyncio

    from bot import cli
    from handlers import schedule as scheduler

    ticks: list[object] = []

    def tick(db: object, policy: object, now: object) -> _Report:
        ticks.append(now)
        return _Report()

    monkeypatch.setattr(scheduler, "tick", tick)

    class _App:
        db = policy = None
        settings = type("S", (), {"tick_seconds": 0.01})()
        core = type("C", (), {"clock": staticmethod(lambda: "now")})()

    async def adapter() -> None:
        while len(ticks) < 2:
            await asyncio.sleep(0.01)

    await cli._serve_all(cast("App", _App()), [adapter()])  # a stand-in
    assert len(ticks) >= 2


class _Report:
    sent: tuple[()] = ()
    failed = 0
    dropped = 0


# ---------------------------------------------------------------------------- calendar gaps


def test_the_org_admin_is_asked_in_december_to_fill_in_next_years_holidays(
    company: Company, policy: Policy
) -> None:
    """chinese-calendar knows days through 2026: from December, the admin is told in chat, once,
    that 2027 counts Monday–Friday until its holidays are in the policy."""

    def asked(person: str) -> list[str]:
        return [m for m in company.inbox[person] if m.startswith("📅 2027 年的法定节假日")]

    travel(company, at("2026-11-30 18:00"))
    assert asked("孙行政") == []
    travel(company, at("2026-12-01 10:00"))
    assert len(asked("孙行政")) == 1
    assert "extra_holidays" in asked("孙行政")[0] and "] 完成" in asked("孙行政")[0]
    travel(company, at("2026-12-03 10:00"))
    assert len(asked("孙行政")) == 1 and asked("李明") == []  # once, and to admins only

    days = policy.working_days.model_copy(update={"extra_holidays": (date(2027, 1, 1),)})
    filled = policy.model_copy(update={"working_days": days})
    with company.core.db.session() as session:
        assert calendar_gaps.gap_rows(session, filled, at("2026-12-01 10:00")) == []
