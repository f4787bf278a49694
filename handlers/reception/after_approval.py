"""After approval (SPEC §6): what an approval sets going (the admin office's checklist, the
requester's calendar file, the reminders), and the close-out after departure. The checklist,
the front desk and the follow-up call are their own modules beside this one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from handlers.engine.context import Ctx, people_with, translator_for
from handlers.engine.forms.model import Data, Form, Kind, Step
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Attachment, Message
from handlers.engine.registry import Feature
from handlers.reception import admin_work, checklist, return_call
from handlers.reception.card import (
    BUDGET_LINES,
    budget,
    place_zone,
    reception_summary,
)
from handlers.reception.own import form_reception, own_in, remind_requester, start_on_own
from storage.models import Reception

CLOSES = "approved"  # the state a reception is closed out from


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


# ---------------------------------------------------------------------------- close-out, follow-up


def _schedule_close_out(ctx: Ctx, reception: Reception) -> None:
    due = reception.departure_at + timedelta(
        hours=ctx.policy.reception.close_out_after_departure_hours
    )
    remind_requester(ctx, reception, "reception.close", due)


def _closable(ctx: Ctx, item: Reception | None) -> Reception:
    return own_in(ctx, item, CLOSES)


def start_close_out(ctx: Ctx, parts: list[str]) -> None:
    """`cls:<reception>` — the requester reports actual spend, outcome and agreed items."""
    start_on_own(ctx, parts, _closable, CLOSE_FORM)


UNPLANNED = "unplanned"  # spent on no line with a budget: asked once, after the budgeted ones


def _actual(data: Data, line: str) -> Decimal:
    return Decimal(data.get(f"act_{line}") or 0)


def _close_summary(ctx: Ctx, data: Data) -> str:
    """Budget against actual, line by line for the lines asked, then the totals, and how
    much over budget when it is."""
    item = form_reception(ctx, data)
    planned = budget(ctx.policy, item.answers)
    money = ctx.t.money
    lines = [ctx.t("close.summary", id=item.id, client=item.client.name)]
    for line in BUDGET_LINES:
        if planned.lines[line]:
            line_name = ctx.t(f"cls.field.act_{line}")
            actual = money(_actual(data, line))
            lines.append(
                ctx.t(
                    "close.line", line=line_name, planned=money(planned.lines[line]), actual=actual
                )
            )
    if _actual(data, UNPLANNED):
        lines.append(ctx.t("close.unplanned", actual=money(_actual(data, UNPLANNED))))
    spent = sum((_actual(data, line) for line in (*BUDGET_LINES, UNPLANNED)), Decimal(0))
    lines.append(ctx.t("close.total", planned=money(planned.total), actual=money(spent)))
    if spent > planned.total:
        lines.append(ctx.t("close.over", over=money(spent - planned.total)))
    lines.append(ctx.t("close.outcome", outcome=data["outcome"]))
    if data.get("agreed"):
        lines.append(ctx.t("close.agreed", agreed=data["agreed"]))
    return "\n".join(lines)


def _close_submit(ctx: Ctx, data: Data) -> None:
    item = _closable(ctx, form_reception(ctx, data))
    # A line without a budget was not asked: nothing was spent on it (exports read 0).
    unasked = {f"act_{line}": "0.00" for line in BUDGET_LINES}
    item.actual = unasked | {k: v for k, v in data.items() if not k.startswith("@")}
    item.state = "closed"
    item.closed_at = ctx.now
    ctx.audit("reception.close", "reception", item.id)
    ctx.say("close.done", id=item.id)


def _budgeted(line: str) -> Callable[[Ctx, Data], bool]:
    """For `Step.when`: ask a line's actual spend only if the request gave it a budget."""
    return lambda ctx, data: bool(budget(ctx.policy, form_reception(ctx, data).answers).lines[line])


def _money_step(line: str) -> Step:
    return Step(
        f"act_{line}", f"close.ask.act_{line}", Kind.MONEY, when=_budgeted(line), minimum=Decimal(0)
    )


CLOSE_FORM = Form(
    "cls",
    N_("close.title"),
    (
        *(_money_step(line) for line in BUDGET_LINES),
        Step(
            f"act_{UNPLANNED}",
            N_("close.ask.act_unplanned"),
            Kind.MONEY,
            optional=True,
            minimum=Decimal(0),
        ),
        Step("outcome", N_("close.ask.outcome"), max_length=500),
        Step("agreed", N_("close.ask.agreed"), optional=True, max_length=500),
    ),
    _close_summary,
    _close_submit,
)


FEATURE = Feature(actions={"cls": start_close_out}, forms=(CLOSE_FORM,))
