"""The arrangement sheet (接待安排表), SPEC §6a. Seed 000: "一式三份,于客户到访前一天呈常务
总经理、副总经理和部门负责人" — the day before the guests come, a read-only copy of the
approved reception goes to the people the policy's `arrangement_sheet_to` names, whatever
its class.

Its rows are planned by the scheduler's tick (`sheet_rows`, as the at-risk alerts are) rather
than stored at approval: an edit, a later approval or a changed org chart needs no
bookkeeping. A row's key names the reception's approved round and the reader, so each
reader gets each approved version once, however many processes plan; an edit sends it
back to its approvers and a round approved again is a new sheet. Who reads it is asked
again when it is sent: someone who lost the role, or the round that was edited since, gets
nothing (the row is dropped).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.approval.chain import approver_now
from handlers.engine.context import people_with
from handlers.engine.messages import Message
from handlers.reception.card import client_line, place_zone, reception_summary
from handlers.reception.host import host_line, host_of
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import Person, Reception

KIND = "reception.sheet"
SHEET_ROUND = "round"  # the approved round a row was planned for, in its detail


def readers(session: Session, policy: Policy, reception: Reception) -> list[Person]:
    """Who gets the sheet, each once and never the requester (it is their own plan)."""
    requester = reception.requester
    found: list[Person] = []
    for kind in policy.reception.arrangement_sheet_to:
        if kind == "manager":
            people = [approver_now(session, requester, "manager")]
        elif kind == "host":
            host = host_of(session, policy, requester, reception.class_key)
            people = [host.person] if host else []
        else:
            people = list(people_with(session, kind))
        for person in people:
            if person is not None and person.id != requester.id and person not in found:
                found.append(person)
    return found


def due_at(policy: Policy, calendar: WorkCalendar, arrival: datetime) -> datetime:
    """The start of working hours `arrangement_sheet_days_before` working days before the
    arrival day (a Monday visit's sheet comes on Friday), in the org's zone."""
    day = arrival.astimezone(calendar.tz).date()
    day = calendar.add_working_days(day, -policy.reception.arrangement_sheet_days_before)
    return datetime.combine(day, policy.working_days.day_start, calendar.tz)


def sheet_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """Rows for every approved reception whose sheet is due by now and whose guests have not
    come yet; one approved after that moment gets its sheet at once."""
    if not policy.reception.arrangement_sheet_to:
        return []
    calendar = WorkCalendar.for_policy(policy)
    # No sheet is due earlier than this before its arrival: 30 working days, holidays and all.
    horizon = timedelta(days=2 * policy.reception.arrangement_sheet_days_before + 15)
    upcoming = session.scalars(
        select(Reception)
        .where(
            Reception.state == "approved",
            Reception.arrival_at > now,
            Reception.arrival_at <= now + horizon,
        )
        .order_by(Reception.id)
    )
    rows = []
    moments: dict[date, datetime] = {}  # by arrival day: the calendar is slow to ask
    for reception in upcoming:
        day = reception.arrival_at.astimezone(calendar.tz).date()
        if day not in moments:
            moments[day] = due_at(policy, calendar, reception.arrival_at)
        if now < moments[day]:
            continue
        for person in readers(session, policy, reception):
            key = f"{KIND}:{reception.id}:{reception.round}:{person.id}"
            detail = {SHEET_ROUND: reception.round}
            rows.append(reminder_row(key, person.id, KIND, now, detail, "reception", reception.id))
    return rows


@renders(KIND)
def _sheet(view: ReminderView) -> Message | None:
    """The approved reception as its approvers saw it, with who hosts and who arranges it;
    nothing on it to decide."""
    reception = view.session.get(Reception, view.reminder.subject_id or 0)
    if (
        reception is None
        or reception.state != "approved"
        or reception.round != view.reminder.detail.get(SHEET_ROUND)
        or reception.arrival_at <= view.now
        or view.person not in readers(view.session, view.policy, reception)
    ):
        return None
    t, policy, session = view.t, view.policy, view.session
    requester = reception.requester
    lines = [
        t("sheet.title", id=reception.id) + client_line(session, policy, reception.answers, t),
        t("sheet.requester", name=requester.name, department=requester.department),
        reception_summary(
            session,
            policy,
            reception.answers,
            t,
            view.tz,
            place_zone(policy, reception),
            with_client=False,
            host=host_line(session, policy, requester, reception.class_key, t),
        ),
        t("sheet.read_only", name=requester.name),
    ]
    return reminder_message(view, "\n".join(lines))
