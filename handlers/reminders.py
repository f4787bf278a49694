"""Reminders as the person sees them: how each kind reads, and Done / Snooze.

A feature that stores a `Reminder` row registers how that kind renders; the scheduler
(`handlers/schedule.py`) claims due rows and asks `render` for the message. A renderer returns
None when the reminder no longer applies (the approval was decided, the report was filed),
and the row is then dropped instead of sent.

Kinds rendered here (SPEC §5, §6):
- `approval.remind` — to the approver, after the policy's working hours; carries the card's
  Approve / Reject / Ask for changes buttons, so the approver can decide from it;
- `approval.escalate` — up the approver's chain, to the nearest who may read the request,
  after twice that;
- `approval.at_risk` — to the requester and the approver of a reception still undecided a few
  working days before the guests arrive (the scheduler creates these rows, see
  `handlers/schedule.py`);
- `reception.close` — to the requester after departure: close the reception out;
- `reception.followup` — lives with the follow-up call (`handlers/reception/return_call.py`).

Every reminder ends with Done / Snooze 1 h / Snooze to tomorrow (`rem:<id>:done|1h|tmr`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from handlers.approval.cards import card_message
from handlers.approval.escalation import approvers_hours, may_read
from handlers.engine.context import Ctx, named_by, translator_for, zone_of
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message, action_id
from handlers.engine.registry import Feature
from handlers.reception.card import place_zone
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import ApprovalStep, Person, Reception, Reminder, utcnow

log = logging.getLogger(__name__)

SNOOZE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ReminderView:
    """What a renderer gets: the row, its reader, how to speak to them, and the time."""

    session: Session
    policy: Policy
    reminder: Reminder
    person: Person
    t: Translator
    tz: tzinfo
    now: datetime = field(default_factory=utcnow)


Renderer = Callable[[ReminderView], Message | None]
RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of reminder reads: `@renders("visit.report_due")`."""

    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register


def reminder_row(
    key: str,
    person_id: int,
    kind: str,
    due_at: datetime,
    detail: dict[str, Any],
    subject: str,
    subject_id: int | None = None,
    created_at: datetime | None = None,
) -> dict[str, Any]:
    """A `reminder` row (column → value) for an INSERT that skips the keys already stored:
    how reminders due by the clock, not by what someone did, are made once each."""
    return {
        "key": key,
        "person_id": person_id,
        "kind": kind,
        "subject": subject,
        "subject_id": subject_id,
        "due_at": due_at,
        "detail": detail,
        "state": "pending",
        "created_at": created_at or due_at,
    }


def snooze_buttons(reminder: Reminder, t: Translator) -> tuple[Button, ...]:
    """Done / Snooze 1 h / Snooze to tomorrow, on every reminder (SPEC §8)."""
    return (
        Button(t("reminder.done"), f"rem:{reminder.id}:done", "primary"),
        Button(t("reminder.snooze_hour"), f"rem:{reminder.id}:1h"),
        Button(t("reminder.snooze_tomorrow"), f"rem:{reminder.id}:tmr"),
    )


def view_of(
    session: Session, policy: Policy, reminder: Reminder, person: Person, now: datetime
) -> ReminderView:
    return ReminderView(
        session,
        policy,
        reminder,
        person,
        translator_for(session, person, policy, now=now),
        zone_of(person, policy),
        now,
    )


def render(
    session: Session, policy: Policy, reminder: Reminder, person: Person, now: datetime
) -> Message | None:
    """The message for a due reminder, or None when it no longer applies.

    A kind nobody registered raises KeyError: the scheduler claims only registered kinds, so
    a row of a kind this process does not know waits for one that does.
    """
    return RENDERERS[reminder.kind](view_of(session, policy, reminder, person, now))


def reminder_message(
    view: ReminderView, text: str, *extra: tuple[Button, ...], card: str | None = None
) -> Message:
    """A reminder's text, the rows of its own buttons, and Done / Snooze last."""
    rows = (*extra, snooze_buttons(view.reminder, view.t))
    return Message(text, rows, card=card or f"rem:{view.reminder.id}")


# ---------------------------------------------------------------------------- approvals


def _pending_step(view: ReminderView) -> ApprovalStep | None:
    step = view.session.get(ApprovalStep, view.reminder.subject_id or 0)
    return step if step is not None and step.state == "pending" else None


def _waited(view: ReminderView, step: ApprovalStep) -> str:
    """Working hours the step has waited, as a reader reads it ("4", "8.5")."""
    opened = step.opened_at or view.reminder.created_at
    hours = approvers_hours(view.policy, step).working_hours_between(opened, view.now)
    return view.t.number(round(max(hours, 0) * 2) / 2)


def _to_decide(view: ReminderView, step: ApprovalStep, head: str) -> Message:
    """`head` over the step's card with its buttons (and as that card), so the approver can
    decide from the reminder."""
    card = card_message(view.session, view.policy, step, view.person, view.now)
    return reminder_message(view, f"{head}\n{card.text}", *card.buttons, card=card.card)


@renders("approval.remind")
def _approval_remind(view: ReminderView) -> Message | None:
    """To the approver: the card again, with its buttons, under a line saying how long."""
    step = _pending_step(view)
    if step is None:
        return None
    return _to_decide(view, step, view.t("reminder.approval.remind", hours=_waited(view, step)))


@renders("approval.escalate")
def _approval_escalate(view: ReminderView) -> Message | None:
    """To the approver's manager: who is holding what up, and for how long."""
    step = _pending_step(view)
    if step is None or not may_read(view.session, step, view.person):
        return None  # the chain changed since: the card stays with who may read it
    card = card_message(view.session, view.policy, step, view.person, view.now)
    head = view.t("reminder.approval.escalate", name=step.approver.name, hours=_waited(view, step))
    return reminder_message(view, f"{head}\n{card.text}")


@renders("approval.at_risk")
def _approval_at_risk(view: ReminderView) -> Message | None:
    """A reception still undecided close to the arrival: the approver gets the buttons,
    the requester gets told whom to chase."""
    step = _pending_step(view)
    if step is None or step.subject != "reception":
        return None
    reception = view.session.get(Reception, step.subject_id)
    if reception is None or reception.state != "pending" or reception.arrival_at <= view.now:
        return None
    t = view.t
    arrival = t.datetime(reception.arrival_at, view.tz, place_zone(view.policy, reception))
    title = t("rcp.title_of", id=reception.id, client=reception.client.name)
    if view.person.id == step.approver_id:
        return _to_decide(view, step, t("reminder.at_risk.approver", title=title, arrival=arrival))
    head = t("reminder.at_risk.requester", title=title, arrival=arrival, name=step.approver.name)
    return reminder_message(view, head)


# ---------------------------------------------------------------------------- receptions


def _own_reception(view: ReminderView, state: str) -> Reception | None:
    reception = view.session.get(Reception, view.reminder.subject_id or 0)
    if reception is None or reception.state != state:
        return None
    return reception


@renders("reception.close")
def _reception_close(view: ReminderView) -> Message | None:
    """After departure: report actual spend, outcome and agreed items."""
    reception = _own_reception(view, "approved")
    if reception is None:
        return None
    t = view.t
    text = t(
        "reminder.reception.close",
        title=t("rcp.title_of", id=reception.id, client=reception.client.name),
        departure=t.datetime(reception.departure_at, view.tz),
    )
    close = (Button(t("close.start"), f"cls:{reception.id}", "primary"),)
    return reminder_message(view, text, close)


# ---------------------------------------------------------------------------- Done / Snooze


def next_working_morning(policy: Policy, tz: tzinfo, now: datetime) -> datetime:
    """The start of working hours on the next working day, in the person's zone."""
    calendar = WorkCalendar.for_policy(policy)
    day = calendar.next_working_day(now.astimezone(tz).date())
    return datetime.combine(day, policy.working_days.day_start, tz)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`rem:<id>:done|1h|tmr` — only the reminder's own reader, while it is still live.

    Done closes it; Snooze 1 h brings it back an hour from now; Snooze to tomorrow brings it
    back at the start of the next working day in the reader's zone. The pressed message is
    updated to say so (its buttons go).
    """
    if len(parts) != 2 or action_id(parts[0]) is None or parts[1] not in ("done", "1h", "tmr"):
        ctx.say("button.stale")
        return
    reminder = named_by(ctx.session, Reminder, parts)
    if reminder is None:
        ctx.say("button.stale")
        return
    if reminder.person_id != ctx.person.id:
        ctx.audit("reminder.refused", "reminder", reminder.id)
        ctx.say("reminder.not_yours")
        return
    if reminder.state not in ("pending", "sent"):
        ctx.say("reminder.gone")
        return
    if parts[1] == "done":
        reminder.state = "done"
        status = ctx.t("reminder.status.done")
    else:
        due = ctx.now + SNOOZE_HOUR if parts[1] == "1h" else None
        due = due or next_working_morning(ctx.policy, ctx.tz, ctx.now)
        reminder.due_at = due
        reminder.state = "pending"
        when = ctx.t.time(due, ctx.tz) if parts[1] == "1h" else ctx.t.datetime(due, ctx.tz)
        status = ctx.t("reminder.status.snoozed", when=when)
    ctx.audit(f"reminder.{parts[1]}", "reminder", reminder.id, kind=reminder.kind)
    shown = _current_text(ctx, reminder)
    text = f"{shown}\n{status}" if shown else status
    ctx.replies.append(Message(text, card=f"rem:{reminder.id}", replace=True))


def _current_text(ctx: Ctx, reminder: Reminder) -> str | None:
    """The reminder as it reads now, to keep above the Done / Snoozed line."""
    renderer = RENDERERS.get(reminder.kind)
    if renderer is None:
        return None
    try:
        message = renderer(view_of(ctx.session, ctx.policy, reminder, ctx.person, ctx.now))
    except Exception:  # a reminder that cannot render still takes Done / Snooze
        log.exception("reminder %s (%s) did not render", reminder.id, reminder.kind)
        return None
    return message.text if message else None


FEATURE = Feature(actions={"rem": press})
