"""What the clock makes due, and sending it: reminders and digests from the database, into
the outbox that every adapter delivers.

Every tick does two things.

1. **Plan.** It makes the rows that are due by the clock rather than by something a person
   did: one `digest.daily` row per person and local working day (due at the policy's digest
   time in *their* zone), one `digest.weekly_chart` row per manager and week, and one
   `approval.at_risk` row per pending reception step and reader (requester, approver) once
   the arrival is `at_risk_working_days_before_arrival` working days away (see
   `at_risk_from`). A request submitted after that moment gets none: it was late, not left
   waiting, and its card already carries the urgent reason; a later step of a request that
   was in time is alerted as soon as it opens. The visits feature's "file next month's
   plan" rows (`handlers.visits.plan.deadline_reminder_rows`) are made here too. These rows are
   computed in the tick rather than stored when a step opens, so an edited arrival or a
   changed policy needs no bookkeeping; the row's unique key makes each happen once
   (`INSERT ... ON CONFLICT DO NOTHING`, so several processes planning at once are fine).
2. **Send.** It claims due `pending` reminder rows, asks their renderer for the message
   (`handlers.reminders.render`), puts it in the outbox and marks the row sent — all in one
   transaction, so a crash sends nothing or everything. A renderer's None means the
   reminder no longer applies (decided, filed, an empty digest): the row is cancelled.
   On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so several processes take disjoint
   rows; on SQLite every transaction starts with `BEGIN IMMEDIATE` (storage/db.py), so one
   process at a time claims. The outbox key (`rem:<id>:<due>`, `digest:<person>:<day>`,
   `chart:<person>:<ISO week>`) is the idempotency key of what goes out: a snoozed reminder
   is a new message, a retried transaction is not. A renderer that raises is retried
   after `RETRY_IN`, and after `GIVE_UP_AFTER` failures the row is kept as "failed".

Digests and charts are handed over ahead of time: planned and rendered `HAND_OVER` before
their time and put in the outbox with `not_before` = their time, so at the digest time the
adapters send from a full outbox at the platform's pace instead of waiting for the renders
(bench/RESULTS.md, item 3). They are rendered as read at their time (`now` = the digest
time: "today", hours waited) from the data as it was at the hand-over: what happens in
those minutes (an approval decided, a guest checked in) reaches the people concerned as
its own message, and a button of the digest for something already decided says who
decided it. Other reminders are rendered when due, so a decided step's is never sent.

A transaction renders for about `TRANSACTION_SECONDS` and commits; on SQLite the tick then
pauses `SQLITE_PAUSE`, so the adapters' outbox claims and marks, which need the same write
lock, are not starved by a long tick.

The adapters deliver the outbox (`bot/adapter.py`); `bot/scheduler.py` is the loop their serve
functions start (`tick` every `TICK_SECONDS`), and the console calls `tick` once per typed line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handlers.digest import engine as digest_engine
from handlers.digest import weekly_chart
from handlers.engine.context import enqueue, zone_of
from handlers.reminders import RENDERERS, reminder_row, render
from handlers.rules import calendar_gaps
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.visits.plan import deadline_reminder_rows
from storage.db import Database
from storage.inserts import insert_new
from storage.models import ApprovalStep, Person, Reception, Reminder

log = logging.getLogger(__name__)

BATCH = 50  # rows claimed per transaction
MAX_ROWS = 5000  # per tick: a backlog drains over a few ticks instead of one long one
# Rendering stops after this long and the transaction commits: on SQLite it holds the one
# write lock, which the adapters' outbox claims and marks wait for.
TRANSACTION_SECONDS = 0.1
# Between transactions on SQLite: a writer that waited polls the lock at most every 25 ms
# after 0.1 s of waiting (SQLite's busy handler), so it gets in before the tick's next one.
SQLITE_PAUSE = 0.03
HAND_OVER = timedelta(minutes=10)  # digests and charts are rendered this long before their time
RETRY_IN = timedelta(minutes=15)  # a renderer that raised tries again after this
GIVE_UP_AFTER = 5  # failed renders; the row is then kept as "failed" for inspection
PLAN_EVERY = timedelta(seconds=30)  # a digest or alert may come this much after its time

# When this process last planned on a database, and the keys that plan made or found.
_planned: WeakKeyDictionary[Database, tuple[datetime, frozenset[str]]] = WeakKeyDictionary()

DIGEST = digest_engine.KIND
CHART = weekly_chart.KIND
AT_RISK = "approval.at_risk"
EARLY = (DIGEST, CHART)  # kinds handed over `HAND_OVER` ahead of their time


@dataclass
class TickReport:
    """What one tick did: rows planned, messages queued, rows dropped or failed."""

    planned: int = 0
    sent: list[str] = field(default_factory=list)  # outbox keys
    dropped: int = 0
    failed: int = 0


def tick(db: Database, policy: Policy, now: datetime, batch: int = BATCH) -> TickReport:
    """Plan what the clock makes due, then send every due reminder (see the module doc).

    Planning reads every person and pending step, so a process does it at most once per
    `PLAN_EVERY` of clock time (the console ticks on every typed line); sending is one
    indexed query when nothing is due.
    """
    report = TickReport()
    last, known = _planned.get(db, (None, frozenset()))
    if last is None or not last <= now < last + PLAN_EVERY:
        with db.session() as session:
            report.planned, keys = plan(session, policy, now, known)
        _planned[db] = now, keys
    handled = 0
    while handled < MAX_ROWS:
        with db.session() as session:
            done, more = _send_due(session, policy, now, batch, report)
        handled += done
        if not more:
            break
        if db.is_sqlite:
            time.sleep(SQLITE_PAUSE)
    return report


# ---------------------------------------------------------------------------- plan


def plan(
    session: Session, policy: Policy, now: datetime, known: AbstractSet[str] = frozenset()
) -> tuple[int, frozenset[str]]:
    """Create the digest, chart and at-risk rows due by now but those in `known` (made or
    found by an earlier plan: inserting a thousand of them again cost more than the rest of
    a plan, and held up the sending thread); (how many were new, the keys of all)."""
    calendar = WorkCalendar.for_policy(policy)
    rows: list[dict[str, Any]] = []
    people = session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id))
    for person in people:
        tz = zone_of(person, policy)
        day = now.astimezone(tz).date()
        if policy.digest.working_days_only and not calendar.is_working_day(day):
            continue
        start, end = digest_engine.digest_window(policy, tz, day)
        if not start - HAND_OVER <= now < end:
            continue
        detail = {"day": day.isoformat()}
        key = f"digest:{person.id}:{day.isoformat()}"
        rows.append(reminder_row(key, person.id, DIGEST, start, detail, "digest"))
        if weekly_chart.gets_chart(person) and weekly_chart.is_chart_day(policy, calendar, day):
            key = weekly_chart.key_for(person, day)
            rows.append(reminder_row(key, person.id, CHART, start, detail, "digest"))
    rows += _at_risk(session, policy, calendar, now)
    rows += deadline_reminder_rows(session, policy, now)  # "file next month's plan"
    rows += calendar_gaps.gap_rows(session, policy, now)  # "put next year's holidays in"
    new = insert_new(session, Reminder, [row for row in rows if row["key"] not in known])
    return new, frozenset(row["key"] for row in rows)


def at_risk_from(policy: Policy, calendar: WorkCalendar, arrival: datetime) -> datetime:
    """The moment an undecided reception becomes "at risk": the start of working hours,
    `at_risk_working_days_before_arrival` working days before the arrival day (org zone)."""
    day = arrival.astimezone(calendar.tz).date()
    day = calendar.add_working_days(day, -policy.approval.at_risk_working_days_before_arrival)
    return datetime.combine(day, policy.working_days.day_start, calendar.tz)


def _at_risk(
    session: Session, policy: Policy, calendar: WorkCalendar, now: datetime
) -> list[dict[str, Any]]:
    """Rows alerting the requester and the approver of each reception step still pending
    at its at-risk moment, for requests submitted before that moment."""
    pending = session.execute(
        select(
            ApprovalStep.id,
            ApprovalStep.approver_id,
            Reception.requester_id,
            Reception.arrival_at,
            Reception.submitted_at,
        )
        .join(Reception, Reception.id == ApprovalStep.subject_id)
        .where(
            ApprovalStep.subject == "reception",
            ApprovalStep.state == "pending",
            Reception.state == "pending",
            Reception.arrival_at > now,
        )
    ).all()
    rows = []
    moments: dict[date, datetime] = {}  # by arrival day: the calendar is slow to ask
    for step_id, approver_id, requester_id, arrival, submitted in pending:
        day = arrival.astimezone(calendar.tz).date()
        if day not in moments:
            moments[day] = at_risk_from(policy, calendar, arrival)
        moment = moments[day]
        if now < moment or submitted >= moment:
            continue
        for person_id in dict.fromkeys((approver_id, requester_id)):
            key = f"{AT_RISK}:{step_id}:{person_id}"
            rows.append(reminder_row(key, person_id, AT_RISK, now, {}, "approval_step", step_id))
    return rows


# ---------------------------------------------------------------------------- send


def _send_due(
    session: Session, policy: Policy, now: datetime, batch: int, report: TickReport
) -> tuple[int, bool]:
    """Claim up to `batch` due rows and queue their messages for about
    `TRANSACTION_SECONDS` (the rest stay pending); (rows handled, whether more may be due)."""
    rows = session.scalars(
        select(Reminder)
        .where(
            Reminder.state == "pending",
            Reminder.due_at <= now + HAND_OVER,
            or_(Reminder.due_at <= now, Reminder.kind.in_(EARLY)),
            Reminder.kind.in_(sorted(RENDERERS)),
        )
        .order_by(Reminder.due_at, Reminder.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    started = time.monotonic()
    for done, row in enumerate(rows, start=1):
        _send_one(session, policy, row, now, report)
        if time.monotonic() - started > TRANSACTION_SECONDS:
            return done, True
    return len(rows), len(rows) == batch


def _expires(policy: Policy, row: Reminder, person: Person) -> datetime | None:
    """A digest or chart held up past its day's window (the bot down from the hand-over
    until evening) is not sent: a stale "good morning" at night is worse than none."""
    if row.kind not in EARLY:
        return None
    day = date.fromisoformat(row.detail["day"])
    return digest_engine.digest_window(policy, zone_of(person, policy), day)[1]


def outbox_key(reminder: Reminder) -> str:
    """What makes the message unique: the day's digest, or this reminder at this due time
    (a snoozed reminder comes back as a new message)."""
    if reminder.kind in (DIGEST, CHART):
        return reminder.key
    return f"rem:{reminder.id}:{reminder.due_at.isoformat()}"


def _send_one(
    session: Session, policy: Policy, row: Reminder, now: datetime, report: TickReport
) -> None:
    person = session.get(Person, row.person_id)
    if person is None or not person.active:
        row.state = "cancelled"
        report.dropped += 1
        return
    at = max(now, row.due_at)  # a digest handed over early reads as at its own time
    try:
        with session.begin_nested():
            message = render(session, policy, row, person, at)
            if message is not None:
                key = outbox_key(row)
                expires = _expires(policy, row, person)
                enqueue(session, person, message, key, now, not_before=at, expires_at=expires)
    except Exception:
        log.exception("reminder %s (%s) did not render", row.id, row.kind)
        errors = int(row.detail.get("errors", 0)) + 1
        row.detail = {**row.detail, "errors": errors}
        if errors >= GIVE_UP_AFTER:
            row.state = "failed"
        else:
            row.due_at = now + RETRY_IN
        report.failed += 1
        return
    if message is None:
        row.state = "cancelled"
        report.dropped += 1
        return
    row.state = "sent"
    row.sent_at = now
    report.sent.append(key)
