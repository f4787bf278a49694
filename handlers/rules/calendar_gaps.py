"""Telling the org's admins when the official calendar runs out.

China's holidays and make-up working days (调休) are announced a year at a time; the
library that knows them ships each year some time after. For a year it does not cover, every
"working days" rule counts Monday–Friday plus the policy's own lists — Spring Festival
included — unless someone writes that year into the policy. A log line at start is read by
nobody, so each org admin gets a reminder in chat, once per year: for this year at once,
for the next from December (the State Council announces it in November), until the policy
lists holidays in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.engine.context import people_with
from handlers.engine.messages import Message
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar

KIND = "calendar.gap"
NEXT_YEAR_FROM_MONTH = 12


def _unfilled(policy: Policy, year: int) -> bool:
    """A year the policy lists holidays for is taken as filled in by the admin."""
    return not any(day.year == year for day in policy.working_days.extra_holidays)


def gap_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """One reminder row per org admin and uncovered year, as `reminder` rows for an INSERT
    that skips existing keys (so each is made once)."""
    calendar = WorkCalendar.for_policy(policy)
    today = now.astimezone(calendar.tz).date()
    soon = today.year if today.month < NEXT_YEAR_FROM_MONTH else today.year + 1
    years = [y for y in calendar.coverage_gaps(today) if y <= soon and _unfilled(policy, y)]
    if not years:
        return []
    admins = people_with(session, "org_admin")
    return [
        reminder_row(f"{KIND}:{year}:{admin.id}", admin.id, KIND, now, {"year": year}, "calendar")
        for year in years
        for admin in admins
    ]


@renders(KIND)
def _calendar_gap(view: ReminderView) -> Message | None:
    year = int(view.reminder.detail["year"])
    if not _unfilled(view.policy, year):
        return None  # filled in meanwhile
    return reminder_message(view, view.t("reminder.calendar_gap", year=year))
