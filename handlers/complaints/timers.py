"""Seed 003's timetable as reminders (投诉问题应答质量标准: 放下电话后10分钟内告知有关部门,
告知完有关部门后20分钟内答复客户, 24小时内回访): each step not done by its deadline reminds the
one it falls to, and `escalate_after_minutes` later tells their manager.

The rows are made by the scheduler's tick from the open complaints themselves, like the other
rows due by the clock: a restart loses nothing (the deadline is in the complaint's times) and
each row's key makes it once. The key names the person, so when the responsible person has
left, whoever acts for them now (`record.acting`) gets a row of their own. A renderer drops a
row whose step has been done meanwhile."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.complaints.record import acting, card_buttons, card_text, manager_of
from handlers.engine.messages import Message
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from storage.models import Complaint, Person

REMIND = "complaint.remind"
ESCALATE = "complaint.escalate"
SUBJECT = "complaint"
# The step each open state waits for, and whose it is: the responsible person's or the
# recorder's.
WAITING = {
    "open": ("tell", "responsible"),
    "told": ("answer", "person"),
    "answered": ("call_back", "person"),
}


def deadline(policy: Policy, complaint: Complaint) -> datetime | None:
    """When the step the complaint waits for is due; None once nothing is timed."""
    timers = policy.complaints
    if complaint.state == "open":
        return complaint.opened_at + timedelta(minutes=timers.tell_minutes)
    if complaint.state == "told" and complaint.told_at is not None:
        return complaint.told_at + timedelta(minutes=timers.answer_minutes)
    if complaint.state == "answered":
        return complaint.opened_at + timedelta(hours=timers.call_back_hours)
    return None


def timer_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    rows = []
    for complaint in session.scalars(
        select(Complaint).where(Complaint.state.in_(tuple(WAITING))).order_by(Complaint.id)
    ):
        due = deadline(policy, complaint)
        if due is None or now < due:
            continue
        stage, whose = WAITING[complaint.state]
        owner: Person = complaint.responsible if whose == "responsible" else complaint.person
        person = acting(session, owner)
        detail = {"stage": stage}
        key = f"{REMIND}:{complaint.id}:{stage}:{person.id}"
        rows.append(
            reminder_row(key, person.id, REMIND, due, detail, "complaint", complaint.id, now)
        )
        escalate_at = due + timedelta(minutes=policy.complaints.escalate_after_minutes)
        manager = manager_of(session, owner)
        if now >= escalate_at and manager is not None and manager.id != person.id:
            key = f"{ESCALATE}:{complaint.id}:{stage}:{manager.id}"
            detail = {"stage": stage, "name": person.name}
            rows.append(
                reminder_row(
                    key, manager.id, ESCALATE, escalate_at, detail, "complaint", complaint.id, now
                )
            )
    return rows


def _waiting(view: ReminderView) -> Complaint | None:
    """The complaint, while it still waits for the reminder's step."""
    complaint = view.session.get(Complaint, view.reminder.subject_id or 0)
    if complaint is None or complaint.state not in WAITING:
        return None
    return complaint if WAITING[complaint.state][0] == view.reminder.detail.get("stage") else None


@renders(REMIND)
def render_remind(view: ReminderView) -> Message | None:
    complaint = _waiting(view)
    if complaint is None:
        return None
    t = view.t
    stage = view.reminder.detail["stage"]
    head = t(f"cp.remind.{stage}", id=complaint.id, client=complaint.client.name)
    text = head + "\n" + card_text(view.session, view.policy, complaint, t, view.person)
    return reminder_message(view, text, *card_buttons(complaint, t))


@renders(ESCALATE)
def render_escalate(view: ReminderView) -> Message | None:
    complaint = _waiting(view)
    if complaint is None:
        return None
    t = view.t
    stage = view.reminder.detail["stage"]
    head = t(
        f"cp.escalate.{stage}",
        id=complaint.id,
        client=complaint.client.name,
        name=view.reminder.detail.get("name", ""),
    )
    text = head + "\n" + card_text(view.session, view.policy, complaint, t, view.person)
    return reminder_message(view, text)
