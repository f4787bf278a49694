"""Reminders as the person sees them: how each kind reads, and Done / Snooze.

A feature that stores a `Reminder` row registers how that kind renders; the scheduler
claims due rows and asks `render` for the message. A renderer returns None when the
reminder no longer applies (the approval was decided, the report was filed), and the
row is then dropped instead of sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy.orm import Session

from handlers.i18n import Translator
from handlers.messages import Button, Message
from handlers.policy import Policy
from storage.models import Person, Reminder


@dataclass(frozen=True)
class ReminderView:
    """What a renderer gets: the row, its reader, and how to speak to them."""

    session: Session
    policy: Policy
    reminder: Reminder
    person: Person
    t: Translator
    tz: tzinfo


Renderer = Callable[[ReminderView], Message | None]
RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of reminder reads: `@renders("visit.report_due")`."""

    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register


def snooze_buttons(reminder: Reminder, t: Translator) -> tuple[Button, ...]:
    """Done / Snooze 1 h / Snooze to tomorrow, on every reminder (SPEC §8)."""
    return (
        Button(t("reminder.done"), f"rem:{reminder.id}:done", "primary"),
        Button(t("reminder.snooze_hour"), f"rem:{reminder.id}:1h"),
        Button(t("reminder.snooze_tomorrow"), f"rem:{reminder.id}:tmr"),
    )
