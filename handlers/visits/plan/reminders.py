"""The plan's reminders: "file next month's plan" and each planned visit's report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import zone_of
from handlers.engine.messages import Button, Message
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.text.months import Month
from handlers.visits import rules as visit_rules
from handlers.visits.plan.months import deadline, month_key, month_label
from handlers.visits.rules import FILED, plan_deadline_key, plan_of, report_key
from storage.inserts import insert_new
from storage.models import Person, PlanEntry, Reminder, VisitPlan


def schedule_report_reminders(
    session: Session, policy: Policy, plan: VisitPlan, now: datetime
) -> None:
    """For each open planned visit: a reminder if no report has come by its deadline."""
    tz = zone_of(plan.person, policy)
    for entry in plan.entries:
        if entry.visit_id is not None:
            continue
        due = visit_rules.report_due_at(policy, entry.planned_on, tz)
        key = report_key(entry.id)
        row = session.scalars(select(Reminder).where(Reminder.key == key)).first()
        if row is None:
            session.add(
                Reminder(
                    key=key,
                    person_id=plan.person_id,
                    kind="visit.report_due",
                    subject="plan_entry",
                    subject_id=entry.id,
                    due_at=due,
                    created_at=now,
                )
            )
        elif row.state in ("pending", "cancelled"):
            row.due_at, row.state = due, "pending"


def deadline_reminder_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """The "file next month's plan" reminders due this month, one per salesperson who has
    not filed it, as `reminder` rows (column → value) for an INSERT that skips existing keys.

    Made from the start of the month until the deadline; each is due
    `visits.plan_reminder_working_days_before` working days before the deadline, at the start
    of working hours in the person's zone (a row made after that moment is due at once)."""
    today = now.astimezone(ZoneInfo(policy.org.default_timezone)).date()
    following = Month.of(today).next
    year, month = following.year, following.month
    due_day = deadline(policy, year, month)
    if today > due_day:
        return []
    calendar = WorkCalendar.for_policy(policy)
    remind_day = calendar.add_working_days(
        due_day, -policy.visits.plan_reminder_working_days_before
    )
    filed = set(
        session.scalars(
            select(VisitPlan.person_id).where(
                VisitPlan.year == year, VisitPlan.month == month, VisitPlan.state.in_(FILED)
            )
        )
    )
    rows = []
    for person in session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.id)
    ):
        if not person.has_role("sales") or person.id in filed:
            continue
        due_at = datetime.combine(
            remind_day, policy.working_days.day_start, zone_of(person, policy)
        )
        detail = {"year": year, "month": month, "deadline": due_day.isoformat()}
        key = plan_deadline_key(person.id, year, month)
        rows.append(
            reminder_row(
                key, person.id, "plan.deadline", due_at, detail, "visit_plan_month", created_at=now
            )
        )
    return rows


def ensure_deadline_reminders(session: Session, policy: Policy, now: datetime) -> int:
    """Store `deadline_reminder_rows` whose key is new; how many it added. Idempotent, and
    safe beside another process doing the same (a key taken meanwhile is skipped)."""
    return insert_new(session, Reminder, deadline_reminder_rows(session, policy, now))


@renders("plan.deadline")
def render_deadline(view: ReminderView) -> Message | None:
    detail = view.reminder.detail or {}
    year, month = int(detail["year"]), int(detail["month"])
    plan = plan_of(view.session, view.person.id, year, month)
    if plan is not None and plan.state in FILED:
        return None
    t = view.t
    text = t(
        "plan.remind.deadline",
        month=month_label(t, year, month),
        date=t.date(date.fromisoformat(detail["deadline"])),
    )
    return reminder_message(
        view, text, (Button(t("plan.open"), f"pl:show:{month_key(year, month)}", "primary"),)
    )


@renders("visit.report_due")
def render_report_due(view: ReminderView) -> Message | None:
    entry = view.session.get(PlanEntry, view.reminder.subject_id or 0)
    if entry is None or entry.visit_id is not None or entry.plan.state not in FILED:
        return None
    t = view.t
    text = t(
        "plan.remind.report_due",
        client=entry.client.name,
        date=t.date(entry.planned_on),
        due=t.date(visit_rules.report_deadline(view.policy, entry.planned_on)),
    )
    return reminder_message(
        view, text, (Button(t("visit.log_button"), f"vs:e:{entry.id}", "primary"),)
    )
