"""The admin office's work the host asks for after approval (seed 002 综合部: 送站车辆安排,
大屏幕欢迎词, 返程车船票; seed 000: 国旗及姓名牌、公司介绍、市场版产品目录及投影仪; seed 003:
a plant tour's route, 必须戴安全帽), and the reminders seed 000 asks for: "参观前一小时通知"
and "就餐前一小时通知订餐", to whoever the policy's [admin_work] names, with Done / Snooze.

The host fills it when they know (seed 000: 如事前无法确认 …): the approval's calendar message
and /my carry its button, and it can be filled again until the guests leave. Each submit adds the
checklist items it needs, shows the admin office the card again, moves the reminders to the
new times, and the follow-up call to the way home it names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from handlers.engine.context import Ctx, named_by, people_with, zone_of
from handlers.engine.forms.model import Choice, Data, Form, Gone, Invalid, Kind, Step, answered
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, rows
from handlers.engine.registry import Feature
from handlers.reception import arrangements, checklist, return_call
from handlers.reception.card import place_zone
from handlers.reception.own import form_reception, own_in, start_on_own
from handlers.reminders import ReminderView, reminder_message, renders
from handlers.rules.policy.after_approval import TRAVEL_MODES
from storage.models import Person, Reception, Reminder

FORM_NAME = "aw"
ARRANGED_IN = ("approved",)  # the state whose arrangements the host may give
EVENTS = {"tour": "tour_at", "meal": "meal_at"}  # what is reminded of → the time it starts


# ---------------------------------------------------------------------------- the form


def _reception_of(ctx: Ctx, data: Data) -> Reception:
    return form_reception(ctx, data)


def _arrangeable(ctx: Ctx, item: Reception | None) -> Reception:
    """The host's own approved reception whose guests have not left yet."""
    item = own_in(ctx, item, *ARRANGED_IN)
    if item.departure_at <= ctx.now:
        raise Gone(N_("rcp.error.visit_over"), departure=ctx.t.datetime(item.departure_at, ctx.tz))
    return item


def _with_tour(ctx: Ctx, data: Data) -> bool:
    return arrangements.has_tour(_reception_of(ctx, data))


def _with_meals(ctx: Ctx, data: Data) -> bool:
    return bool(_reception_of(ctx, data).answers.get("meals"))


def _ticketed(ctx: Ctx, data: Data) -> bool:
    return data.get("return_by") in arrangements.RETURN_TICKETED


def _during_the_visit(ctx: Ctx, data: Data, value: str) -> None:
    """A tour or a meal between the guests' arrival and their departure."""
    item = _reception_of(ctx, data)
    at = datetime.fromisoformat(value)
    if not item.arrival_at <= at <= item.departure_at:
        tz, place = ctx.tz, place_zone(ctx.policy, item)
        raise Invalid(
            N_("aw.error.outside_visit"),
            arrival=ctx.t.datetime(item.arrival_at, tz, place),
            departure=ctx.t.datetime(item.departure_at, tz, place),
        )


RETURN_CHOICES = tuple(Choice(mode, f"aw.return.{mode}") for mode in TRAVEL_MODES)
MATERIAL_CHOICES = tuple(Choice(m, f"aw.material.{m}") for m in arrangements.MATERIALS)

STEPS = (
    Step("seeoff", N_("aw.ask.seeoff"), Kind.YESNO),
    Step("seeoff_place", N_("aw.ask.seeoff_place"), when=answered("seeoff"), max_length=100),
    Step("return_by", N_("aw.ask.return_by"), Kind.CHOICE, RETURN_CHOICES),
    Step("return_ref", N_("aw.ask.return_ref"), when=_ticketed, optional=True, max_length=50),
    Step("tickets", N_("aw.ask.tickets"), Kind.YESNO, when=_ticketed),
    Step("screen_text", N_("aw.ask.screen_text"), optional=True, max_length=60),
    Step("flags", N_("aw.ask.flags"), Kind.YESNO),
    Step("materials", N_("aw.ask.materials"), Kind.MULTI, MATERIAL_CHOICES, optional=True),
    Step(
        "tour_at",
        N_("aw.ask.tour_at"),
        Kind.DATETIME,
        when=_with_tour,
        optional=True,
        check=_during_the_visit,
    ),
    Step("tour_route", N_("aw.ask.tour_route"), when=_with_tour, optional=True, max_length=200),
    Step(
        "meal_at",
        N_("aw.ask.meal_at"),
        Kind.DATETIME,
        when=_with_meals,
        optional=True,
        check=_during_the_visit,
    ),
)


def _summary(ctx: Ctx, data: Data) -> str:
    item = _reception_of(ctx, data)
    arranged = {k: v for k, v in FORM.answers(ctx, data).items() if not k.startswith("@")}
    said = arrangements.lines(arranged, item.answers, ctx.t, ctx.tz) or [ctx.t("aw.nothing")]
    return "\n".join([ctx.t("aw.summary", id=item.id, client=item.client.name), *said])


def _submit(ctx: Ctx, data: Data) -> None:
    item = _arrangeable(ctx, _reception_of(ctx, data))
    item.arrangements = {k: v for k, v in data.items() if not k.startswith("@")}
    ctx.audit("reception.arrangements", "reception", item.id)
    checklist.add_items(ctx, item, arrangements.items(item.arrangements))
    stamp = ctx.now.isoformat()
    for person in people_with(ctx.session, "admin_office"):
        card = checklist.checklist_card(ctx, item, person)
        ctx.notify(person, card, f"aw:{item.id}:{person.id}:{stamp}")
    schedule(ctx, item)
    return_call.schedule(ctx, item)
    ctx.say("aw.done", id=item.id)


FORM = Form(FORM_NAME, N_("aw.title"), STEPS, _summary, _submit)


def start(ctx: Ctx, parts: list[str]) -> None:
    """`aw:<reception>` — the host tells the admin office what else the visit needs."""
    item = named_by(ctx.session, Reception, parts)
    start_on_own(ctx, parts, _arrangeable, FORM, arrangements.of(item) if item else None)


# ---------------------------------------------------------------------------- reminders


def _actors(ctx: Ctx, reception: Reception, event: str) -> list[Person]:
    named = getattr(ctx.policy.admin_work, f"{event}_reminds")
    people = [reception.requester] if "host" in named else []
    if "admin_office" in named:
        people += people_with(ctx.session, "admin_office")
    return list(dict.fromkeys(people))


def schedule(ctx: Ctx, reception: Reception) -> None:
    """An hour (the policy's minutes) before the tour and the meal, each actor reminded once;
    a time moved moves the reminder, a time removed drops it."""
    before = timedelta(minutes=ctx.policy.admin_work.remind_before_minutes)
    for event, key in EVENTS.items():
        at = arrangements.moment(arrangements.of(reception), key)
        for person in _actors(ctx, reception, event):
            row_key = f"aw.{event}:{reception.id}:{person.id}"
            row = ctx.session.scalars(select(Reminder).where(Reminder.key == row_key)).first()
            if at is None or at <= ctx.now:
                if row is not None and row.state in ("pending", "sent"):
                    row.state = "cancelled"
                continue
            detail: dict[str, Any] = {"at": at.isoformat()}
            if row is None:
                row = Reminder(
                    key=row_key,
                    person_id=person.id,
                    kind=f"reception.{event}_soon",
                    subject="reception",
                    subject_id=reception.id,
                    created_at=ctx.now,
                )
                ctx.session.add(row)
            if row.detail != detail or row.state == "cancelled":  # new, moved, or back on
                row.due_at, row.detail, row.state = max(at - before, ctx.now), detail, "pending"


def offer(t: Translator, reception: Reception) -> tuple[tuple[Button, ...], ...]:
    """The buttons the approval's calendar message carries: the arrangements and the guests'
    schedule (also in /my until the guests leave)."""
    return rows(
        Button(t("aw.start"), f"aw:{reception.id}"),
        Button(t("gs.start"), f"gs:{reception.id}"),
    )


def _soon(view: ReminderView, event: str) -> Message | None:
    reception = view.session.get(Reception, view.reminder.subject_id or 0)
    if reception is None or reception.state not in ARRANGED_IN:
        return None
    at = arrangements.moment(arrangements.of(reception), EVENTS[event])
    # Moved since this row was made (its own row now holds the new time), or already begun.
    if at is None or at.isoformat() != view.reminder.detail.get("at") or at <= view.now:
        return None
    t, tz = view.t, zone_of(view.person, view.policy)
    place = place_zone(view.policy, reception)
    params = {
        "title": t("rcp.title_of", id=reception.id, client=reception.client.name),
        "at": t.time(at, tz, place),
        "n": reception.visitors,
    }
    if event == "tour":
        route = arrangements.of(reception).get("tour_route") or reception.answers.get("tour")
        text = t("reminder.aw.tour", route=route or "", **params)
    else:
        text = t("reminder.aw.meal", **params)
    return reminder_message(view, text)


@renders("reception.tour_soon")
def _tour_soon(view: ReminderView) -> Message | None:
    """Before the tour: tell the areas toured, have helmets and the safety briefing ready."""
    return _soon(view, "tour")


@renders("reception.meal_soon")
def _meal_soon(view: ReminderView) -> Message | None:
    """Before the meal: confirm the order (订餐份数及用餐时间)."""
    return _soon(view, "meal")


FEATURE = Feature(actions={"aw": start}, forms=(FORM,))
