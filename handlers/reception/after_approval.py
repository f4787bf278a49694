"""After approval (SPEC §6): what an approval sets going (the admin office's checklist, the
requester's calendar file, the reminders), and the close-out after departure. The checklist,
the front desk and the follow-up call are their own modules beside this one."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from handlers.engine.context import Ctx, people_with, translator_for
from handlers.engine.i18n import Translator
from handlers.engine.messages import Attachment, Message
from handlers.reception import admin_work, checklist, return_call
from handlers.reception.card import (
    place_zone,
    reception_summary,
)
from handlers.reception.own import remind_requester
from storage.models import Reception


def on_approved(ctx: Ctx, reception: Reception) -> None:
    checklist.add_items(ctx, reception, checklist.needed_items(reception.answers))
    for person in people_with(ctx.session, "admin_office"):
        ctx.notify(
            person,
            checklist.checklist_card(ctx, reception, person),
            f"ck:{reception.id}:{reception.round}:{person.id}",
        )
    _send_calendar(ctx, reception)
    _schedule_close_out(ctx, reception)
    return_call.schedule(ctx, reception)
    admin_work.schedule(ctx, reception)  # an approval after an edit: the times still stand


# ---------------------------------------------------------------------------- calendar


def _send_calendar(ctx: Ctx, reception: Reception) -> None:
    requester = reception.requester
    t = translator_for(ctx.session, requester, ctx.policy)
    data = calendar_file(ctx, reception, t)
    message = Message(
        t("rcp.ics", id=reception.id),
        admin_work.offer(t, reception),
        attachment=Attachment(f"reception-{reception.id}.ics", data, "text/calendar"),
    )
    ctx.notify(requester, message, f"ics:{reception.id}:{reception.round}")


def calendar_file(ctx: Ctx, reception: Reception, t: Translator) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//visitdesk//reception//")
    calendar.add("version", "2.0")
    event = CalendarEvent()
    event.add("uid", f"reception-{reception.id}@visitdesk")
    event.add("sequence", reception.round)
    event.add("dtstamp", ctx.now)
    # In the place's zone, named (TZID, with its VTIMEZONE rules): a calendar shows the
    # reception at 15:00 Berlin time wherever it is opened, and keeps it so across DST.
    place = place_zone(ctx.policy, reception)
    event.add("dtstart", reception.arrival_at.astimezone(place))
    event.add("dtend", reception.departure_at.astimezone(place))
    event.add("summary", t("rcp.title_of", id=reception.id, client=reception.client.name))
    event.add(
        "description", reception_summary(ctx.session, ctx.policy, reception.answers, t, place)
    )
    calendar.add_component(event)
    calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()  # icalendar leaves to_ical() unannotated
    return ical


# ---------------------------------------------------------------- the close-out (close_out.py)


def _schedule_close_out(ctx: Ctx, reception: Reception) -> None:
    due = reception.departure_at + timedelta(
        hours=ctx.policy.reception.close_out_after_departure_hours
    )
    remind_requester(ctx, reception, "reception.close", due)
