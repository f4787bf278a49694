"""Before a visit (seed 001 拜访前准备: 拜访前应事先与拜访单位取得联系…携带物品; seed 003: 名片、
样品、价格表、工作证): the morning of each planned visit, at the policy's `checklist_time` on
the salesperson's clock, a short checklist to tick — the items are the policy's `checklist`.

It is a reminder (durable, sent once, Done / Snooze): each item is a button that ticks or
unticks it on the message itself; the last tick closes the reminder. A planned visit already
logged, or gone from the plan, brings no checklist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, named_by, zone_of
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message, action_id, rows
from handlers.engine.registry import Feature
from handlers.reminders import (
    ReminderView,
    reminder_message,
    reminder_row,
    renders,
    view_of,
)
from handlers.rules.policy.schema import Policy
from handlers.visits.rules import FILED
from storage.models import Person, PlanEntry, Reminder, VisitPlan

KIND = "visit.prepare"


def reminder_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """A checklist row per planned visit of today (on its salesperson's clock) not yet
    logged, from `checklist_time` on; none when the policy lists nothing to check."""
    if not policy.field.checklist:
        return []
    days = [(now + timedelta(days=d)).date() for d in (-1, 0, 1)]  # every zone's today
    entries = session.execute(
        select(PlanEntry.id, PlanEntry.planned_on, Person)
        .join(VisitPlan, VisitPlan.id == PlanEntry.plan_id)
        .join(Person, Person.id == VisitPlan.person_id)
        .where(
            PlanEntry.planned_on.in_(days),
            PlanEntry.visit_id.is_(None),
            VisitPlan.state.in_(FILED),
            Person.active.is_(True),
        )
    ).all()
    rows = []
    for entry_id, planned_on, person in entries:
        tz = zone_of(person, policy)
        if now.astimezone(tz).date() != planned_on:
            continue
        due = datetime.combine(planned_on, policy.field.checklist_time, tz)
        if now < due:
            continue
        key = f"{KIND}:{entry_id}"
        rows.append(reminder_row(key, person.id, KIND, due, {"ticked": []}, "plan_entry", entry_id))
    return rows


def _label(t: Translator, item: str) -> str:
    key = f"field.check.{item}"
    return t(key) if t.has(key) else item


def checklist_message(view: ReminderView, entry: PlanEntry) -> Message:
    t = view.t
    ticked = set(view.reminder.detail.get("ticked", []))
    items = view.policy.field.checklist
    text = [t("prepare.head", client=entry.client.name, purpose=entry.purpose)]
    text += [("☑ " if i in ticked else "☐ ") + _label(t, i) for i in items]
    buttons = [
        Button(("✓ " if i in ticked else "") + _label(t, i), f"pv:{view.reminder.id}:{n}")
        for n, i in enumerate(items)
    ]
    return reminder_message(view, "\n".join(text), *rows(*buttons, per_row=3))


@renders(KIND)
def _checklist(view: ReminderView) -> Message | None:
    entry = view.session.get(PlanEntry, view.reminder.subject_id or 0)
    if entry is None or entry.visit_id is not None or entry.plan.state not in FILED:
        return None
    return checklist_message(view, entry)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`pv:<reminder>:<item>` — tick or untick one item of the checklist."""
    reminder = named_by(ctx.session, Reminder, parts)
    items = ctx.policy.field.checklist
    index = action_id(parts[1]) if len(parts) == 2 else None
    if reminder is None or reminder.kind != KIND or index is None or index >= len(items):
        ctx.say("button.stale")
        return
    if reminder.person_id != ctx.person.id:
        ctx.audit("reminder.refused", "reminder", reminder.id)
        ctx.say("reminder.not_yours")
        return
    entry = ctx.session.get(PlanEntry, reminder.subject_id or 0)
    if reminder.state not in ("pending", "sent") or entry is None:
        ctx.say("reminder.gone")
        return
    ticked = list(reminder.detail.get("ticked", []))
    item = items[index]
    ticked = [i for i in ticked if i != item] if item in ticked else [*ticked, item]
    reminder.detail = {**reminder.detail, "ticked": ticked}
    view = view_of(ctx.session, ctx.policy, reminder, ctx.person, ctx.now)
    message = checklist_message(view, entry)
    if set(items) <= set(ticked):
        reminder.state = "done"
        text = message.text + "\n" + ctx.t("prepare.ready", client=entry.client.name)
        ctx.replies.append(Message(text, card=message.card, replace=True))
        return
    ctx.replies.append(Message(message.text, message.buttons, card=message.card, replace=True))


FEATURE = Feature(actions={"pv": press})
