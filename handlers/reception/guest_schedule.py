"""The guests' schedule (seed 000: "将活动的计划、日程安排交给客人"): the host gets it to forward,
as text in Chinese and English and as a calendar file whose events say both — arrival and
pickup, the tour, the meal, departure and see-off, in the place's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from handlers.engine.context import Ctx, named_by
from handlers.engine.forms.model import Invalid
from handlers.engine.i18n import LOCALES, Translator
from handlers.engine.messages import Attachment, Message
from handlers.engine.registry import Feature
from handlers.reception import arrangements
from handlers.reception.card import place_zone
from handlers.reception.own import own_in
from storage.models import Reception

SHOWN_IN = ("approved",)  # a schedule is forwarded for a reception that will happen
EVENT_LENGTH = {"tour": timedelta(hours=1), "meal": timedelta(hours=1, minutes=30)}


@dataclass(frozen=True)
class Item:
    """One entry of the schedule: what (`gs.item.<kind>`), when, and what fills its text."""

    kind: str
    at: datetime
    params: dict[str, Any]


def items(reception: Reception) -> list[Item]:
    """The visit's entries in time order: those the request and the arrangements give times."""
    answers, arranged = reception.answers, arrangements.of(reception)
    pickup = " ".join(
        str(part) for part in (answers.get("pickup_place"), answers.get("pickup_ref")) if part
    )
    found = [
        Item("arrival", reception.arrival_at, {"pickup": pickup if answers.get("pickup") else ""})
    ]
    tour = arrangements.moment(arranged, "tour_at")
    if tour:
        found.append(
            Item("tour", tour, {"route": arranged.get("tour_route") or answers.get("tour")})
        )
    meal = arrangements.moment(arranged, "meal_at")
    if meal:
        found.append(Item("meal", meal, {}))
    seeoff = arranged.get("seeoff_place") if arranged.get("seeoff") else ""
    ref = arranged.get("return_ref") or ""
    found.append(Item("departure", reception.departure_at, {"seeoff": seeoff, "ref": ref}))
    return sorted(found, key=lambda item: item.at)


def _line(t: Translator, item: Item, reception: Reception, tz: Any) -> str:
    """An entry in one language: its time, what it is, and the detail it has."""
    text = t(f"gs.item.{item.kind}")
    details = [t(f"gs.detail.{name}", value=value) for name, value in item.params.items() if value]
    if details:
        text += t("gs.details", details=t("flow.list_sep").join(details))
    return t("gs.line", at=t.datetime(item.at, tz), what=text)


def text(reception: Reception, today: Any, tz: Any) -> str:
    """The schedule in each language, one block after the other."""
    blocks = []
    for locale in LOCALES:
        t = Translator(locale, today)
        head = t("gs.title", client=reception.client.name, guest=reception.answers.get("guest", ""))
        blocks.append("\n".join([head, *(_line(t, i, reception, tz) for i in items(reception))]))
    return "\n\n".join(blocks)


def calendar_file(reception: Reception, now: datetime, tz: Any) -> bytes:
    """One event per entry, its summary and description in both languages."""
    calendar = Calendar()
    calendar.add("prodid", "-//visitdesk//guest schedule//")
    calendar.add("version", "2.0")
    both = [Translator(locale) for locale in LOCALES]
    for item in items(reception):
        event = CalendarEvent()
        event.add("uid", f"guests-{reception.id}-{item.kind}@visitdesk")
        event.add("dtstamp", now)
        event.add("dtstart", item.at.astimezone(tz))
        event.add("dtend", (item.at + EVENT_LENGTH.get(item.kind, timedelta(0))).astimezone(tz))
        event.add("summary", " / ".join(t(f"gs.item.{item.kind}") for t in both))
        event.add("description", "\n".join(_line(t, item, reception, tz) for t in both))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()  # icalendar leaves to_ical() unannotated
    return ical


def send(ctx: Ctx, parts: list[str]) -> None:
    """`gs:<reception>` — the host gets the guests' schedule to forward."""
    try:
        item = own_in(ctx, named_by(ctx.session, Reception, parts), *SHOWN_IN)
    except Invalid as refused:
        ctx.say(refused.key, **refused.params)
        return
    place = place_zone(ctx.policy, item)
    ctx.audit("reception.guest_schedule", "reception", item.id)
    ctx.say("gs.forward", client=item.client.name)
    ctx.reply(text(item, ctx.local_now.date(), place))
    data = calendar_file(item, ctx.now, place)
    attachment = Attachment(f"schedule-{item.id}.ics", data, "text/calendar")
    ctx.replies.append(Message(ctx.t("gs.ics"), attachment=attachment))


FEATURE = Feature(actions={"gs": send})
