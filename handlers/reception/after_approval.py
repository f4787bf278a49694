"""After approval (SPEC §6): the admin office's checklist, the front desk's guests and
check-in, the requester's calendar file, the close-out after departure and the follow-up
call the next working day (seed 004: 来访登记, 贵宾证, 电话回访)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, named_by, people_with, translator_for, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Choice, Data, Form, Gone, Invalid, Step
from handlers.engine.forms.readers import folded
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Attachment, Button, Message, rows
from handlers.engine.registry import Command, Feature
from handlers.reception.card import (
    changes_line,
    place_zone,
    reception_summary,
)
from storage.models import AuditEntry, ChecklistItem, Person, Reception, Reminder

ITEMS = ("room", "car", "hotel", "restaurant", "screen", "badge", "gifts")
PREPARED_FOR = ("approved", "closed")  # the states whose checklist the admin office ticks
FOLLOWS_UP = "closed"  # the state its follow-up call is logged in


def needed_items(answers: Data) -> list[str]:
    """What this reception needs prepared: a screen and badges always, the rest as asked."""
    wanted = {
        "room": bool(answers.get("room")),
        "car": bool(answers.get("pickup")),
        "hotel": bool(answers.get("hotel")),
        "restaurant": bool(answers.get("meals")),
        "screen": True,
        "badge": True,
        "gifts": bool(answers.get("gifts")),
    }
    return [item for item in ITEMS if wanted[item]]


def on_approved(ctx: Ctx, reception: Reception) -> None:
    have = {i.item for i in _items(ctx, reception)}
    for item in needed_items(reception.answers):
        if item not in have:
            ctx.session.add(ChecklistItem(reception_id=reception.id, item=item))
    ctx.session.flush()
    for person in people_with(ctx.session, "admin_office"):
        ctx.notify(
            person,
            checklist_card(ctx, reception, person),
            f"ck:{reception.id}:{reception.round}:{person.id}",
        )
    _send_calendar(ctx, reception)
    _schedule_close_out(ctx, reception)


def on_called_off(ctx: Ctx, reception: Reception) -> None:
    """A reception approved once, then edited, has ended unapproved (withdrawn, rejected):
    the admin office may have booked for it, so they are told, with what they had done."""
    items = _items(ctx, reception)
    if not items:
        return
    for person in people_with(ctx.session, "admin_office"):
        t = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
        text = t(
            "ck.called_off",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(
                reception.arrival_at, zone_of(person, ctx.policy), place_zone(ctx.policy, reception)
            ),
            state=t(f"rcp.state.{reception.state}"),
        )
        done = [t(f"ck.item.{i.item}") for i in items if i.done_at]
        if done:
            text += "\n" + t("ck.undo", items=t("flow.list_sep").join(done))
        ctx.notify(person, Message(text), f"ck.off:{reception.id}:{reception.round}:{person.id}")


def on_reopened(ctx: Ctx, reception: Reception) -> None:
    """An approved reception edited and sent for approval again: the admin office, which
    may be arranging it, is told it is back under review, and what changed."""
    if not _items(ctx, reception):
        return
    for person in people_with(ctx.session, "admin_office"):
        t = translator_for(ctx.session, person, ctx.policy)
        tz = zone_of(person, ctx.policy)
        text = t(
            "ck.reopened",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(reception.arrival_at, tz),
        )
        changes = changes_line(ctx.session, reception.answers, t, tz)
        if changes:
            text += "\n" + changes
        key = f"ck.reopen:{reception.id}:{reception.round}:{person.id}"
        ctx.notify(person, Message(text), key)


def was_approved(ctx: Ctx, reception: Reception) -> bool:
    """Approved once (its checklist exists): the admin office may have booked for it."""
    return bool(_items(ctx, reception))


def _items(ctx: Ctx, reception: Reception) -> list[ChecklistItem]:
    return list(
        ctx.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.reception_id == reception.id)
            .order_by(ChecklistItem.id)
        )
    )


def checklist_progress(session: Session, reception: Reception) -> tuple[int, int] | None:
    items = list(
        session.scalars(select(ChecklistItem).where(ChecklistItem.reception_id == reception.id))
    )
    if not items:
        return None
    return sum(1 for i in items if i.done_at), len(items)


def checklist_card(ctx: Ctx, reception: Reception, reader: Person) -> Message:
    t = translator_for(ctx.session, reader, ctx.policy, now=ctx.now)
    tz = zone_of(reader, ctx.policy)
    place = place_zone(ctx.policy, reception)
    lines = [
        t(
            "ck.title",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(reception.arrival_at, tz, place),
        ),
        reception_summary(ctx.session, ctx.policy, reception.answers, t, tz, place),
    ]
    buttons = [
        Button(("✅ " if i.done_at else "⬜ ") + t(f"ck.item.{i.item}"), f"ck:{i.id}")
        for i in _items(ctx, reception)
    ]
    return Message("\n".join(lines), rows(*buttons, per_row=2), card=f"ck:{reception.id}")


def tick(ctx: Ctx, parts: list[str]) -> None:
    """`ck:<item>` — the admin office ticks (or unticks) one item; the requester sees it."""
    item = named_by(ctx.session, ChecklistItem, parts)
    if item is None:
        ctx.say("button.stale")
        return
    if not (ctx.person.has_role("admin_office") or ctx.person.has_role("org_admin")):
        ctx.audit("checklist.refused", "checklist_item", item.id)
        ctx.say("ck.not_yours")
        return
    reception = ctx.session.get(Reception, item.reception_id)
    assert reception is not None
    if reception.state not in PREPARED_FOR:
        ctx.say("rcp.closed_already", state=ctx.t(f"rcp.state.{reception.state}"))
        return
    item.done_at = None if item.done_at else ctx.now
    item.done_by_id = ctx.person.id if item.done_at else None
    ctx.audit("checklist.tick", "reception", reception.id, item=item.item, done=bool(item.done_at))
    card = checklist_card(ctx, reception, ctx.person)
    ctx.replies.append(Message(card.text, card.buttons, card=card.card, replace=True))
    done, total = checklist_progress(ctx.session, reception) or (0, 0)
    requester = reception.requester
    t = translator_for(ctx.session, requester, ctx.policy)
    status = t("ck.item_done" if item.done_at else "ck.item_undone", item=t(f"ck.item.{item.item}"))
    text = t(
        "ck.progress",
        id=reception.id,
        client=reception.client.name,
        done=done,
        total=total,
        status=status,
    )
    ctx.notify(requester, Message(text), f"ck:{item.id}:{item.done_at}:{ctx.now.isoformat()}")


# ---------------------------------------------------------------------------- calendar


def _send_calendar(ctx: Ctx, reception: Reception) -> None:
    requester = reception.requester
    t = translator_for(ctx.session, requester, ctx.policy)
    data = calendar_file(ctx, reception, t)
    message = Message(
        t("rcp.ics", id=reception.id),
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


# ---------------------------------------------------------------------------- front desk


def _local_day(ctx: Ctx) -> tuple[datetime, datetime]:
    start = datetime.combine(ctx.local_now.date(), time(0), ctx.tz)
    return start, start + timedelta(days=1)


def todays_guests(ctx: Ctx, argument: str) -> None:
    """The front desk's list of today's expected guests, each with a check-in button."""
    start, end = _local_day(ctx)
    guests = ctx.session.scalars(
        select(Reception)
        .where(
            Reception.state.in_(("approved", "closed")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
        )
        .order_by(Reception.arrival_at)
    ).all()
    if not guests:
        ctx.say("desk.none")
        return
    ctx.say("desk.title", n=len(guests))
    for item in guests:
        if item.checked_in_at:
            ctx.reply(_desk_line(ctx, item))
        else:
            button = Button(ctx.t("desk.check_in"), f"in:{item.id}", "primary")
            ctx.reply(_desk_line(ctx, item), rows(button))


def _desk_line(ctx: Ctx, item: Reception) -> str:
    """One expected guest on the front desk's list; once checked in, with when."""
    answers = item.answers
    text = ctx.t(
        "desk.item",
        time=ctx.t.time(item.arrival_at, ctx.tz, place_zone(ctx.policy, item)),
        client=item.client.name,
        n=item.visitors,
        guest=answers["guest"],
        title=answers["guest_title"],
        host=item.requester.name,
    )
    if item.checked_in_at:
        text += "\n" + ctx.t("desk.checked_in", at=ctx.t.time(item.checked_in_at, ctx.tz))
    return text


def check_in(ctx: Ctx, parts: list[str]) -> None:
    """`in:<reception>` — guests are here: the host is told at once."""
    item = named_by(ctx.session, Reception, parts)
    if item is None or item.state not in ("approved", "closed"):
        ctx.say("button.stale")
        return
    if not ctx.person.has_role("front_desk"):
        ctx.audit("checkin.refused", "reception", item.id)
        ctx.say("desk.not_yours")
        return
    if item.checked_in_at:
        ctx.say("desk.already", at=ctx.t.time(item.checked_in_at, ctx.tz))
        return
    expected = item.arrival_at.astimezone(ctx.tz).date()
    today = ctx.local_now.date()
    # The day they are expected, or the next one for guests who came late at night.
    if not today - timedelta(days=1) <= expected <= today:
        ctx.audit("checkin.refused", "reception", item.id)
        ctx.say("desk.not_today", number=item.id, client=item.client.name, day=ctx.t.date(expected))
        return
    item.checked_in_at = ctx.now
    ctx.audit("reception.check_in", "reception", item.id)
    ctx.reply(_desk_line(ctx, item), replace=True)  # the list's button, used, goes
    ctx.say("desk.done", client=item.client.name)
    host = item.requester
    t = translator_for(ctx.session, host, ctx.policy)
    text = t(
        "desk.arrived",
        client=item.client.name,
        n=item.visitors,
        at=t.time(ctx.now, zone_of(host, ctx.policy)),
    )
    ctx.notify(host, Message(text), f"arrived:{item.id}")


# ---------------------------------------------------------------------------- close-out, follow-up


def _schedule_close_out(ctx: Ctx, reception: Reception) -> None:
    due = reception.departure_at + timedelta(
        hours=ctx.policy.reception.close_out_after_departure_hours
    )
    remind(ctx, reception, "reception.close", due)


def remind(ctx: Ctx, reception: Reception, kind: str, due: datetime) -> None:
    key = f"{kind}:{reception.id}"
    existing = ctx.session.scalars(select(Reminder).where(Reminder.key == key)).first()
    if existing is not None:  # an edit moved the dates: move the reminder with them
        existing.due_at = due
        existing.state = "pending"
        return
    ctx.session.add(
        Reminder(
            key=key,
            person_id=reception.requester_id,
            kind=kind,
            subject="reception",
            subject_id=reception.id,
            due_at=due,
            created_at=ctx.now,
        )
    )


def own_in(ctx: Ctx, item: Reception | None, state: str) -> Reception:
    """`item` if it is the requester's own reception and in `state`; else Invalid saying why.
    A close-out or follow-up checks it when it starts and again when it is sent, since its
    draft can wait while the reception is edited and goes back to its approvers."""
    if item is None or item.requester_id != ctx.person.id:
        raise Invalid(N_("rcp.not_yours"))
    if item.state != state:
        raise Invalid(N_("rcp.closed_already"), state=ctx.t(f"rcp.state.{item.state}"))
    return item


def _awaiting_follow_up(ctx: Ctx, item: Reception | None) -> Reception:
    """`item` if its follow-up call is still to be logged (see `own_in`); else Invalid
    saying when and what was logged. The state stays "closed" after the call, so the logged
    result is what says it is done, and an old button must not overwrite it."""
    item = own_in(ctx, item, FOLLOWS_UP)
    if item.follow_up is None:
        return item
    logged = ctx.session.scalar(
        select(AuditEntry.at)
        .where(
            AuditEntry.subject == "reception",
            AuditEntry.subject_id == item.id,
            AuditEntry.action == "reception.follow_up",
        )
        .order_by(AuditEntry.at)
        .limit(1)
    )
    params = {"client": item.client.name, "result": item.follow_up}
    if logged is None:  # set outside the bot (a hand edit): nothing says when
        raise Gone(N_("followup.already_undated"), **params)
    raise Gone(N_("followup.already"), at=ctx.t.datetime(logged, ctx.tz), **params)


Gate = Callable[[Ctx, Reception | None], Reception]


def start_on_own(ctx: Ctx, parts: list[str], gate: Gate, form: Form) -> None:
    """Start `form` about the reception named in `parts`, if `gate` lets it (see `own_in`)."""
    try:
        item = gate(ctx, named_by(ctx.session, Reception, parts))
    except Invalid as refused:
        ctx.say(refused.key, **refused.params)
        return
    engine.start(ctx, form, prefill={"@reception": item.id})


def form_reception(ctx: Ctx, data: Data) -> Reception:
    """The reception a close-out or follow-up form is about (`start_on_own` chose it)."""
    item = ctx.session.get(Reception, int(data["@reception"]))
    assert item is not None
    return item


def start_follow_up(ctx: Ctx, parts: list[str]) -> None:
    """`fu:<reception>` — log how the follow-up call went."""
    start_on_own(ctx, parts, _awaiting_follow_up, FOLLOW_UP_FORM)


def _follow_up_submit(ctx: Ctx, data: Data) -> None:
    item = _awaiting_follow_up(ctx, form_reception(ctx, data))
    item.follow_up = data["result"]
    ctx.audit("reception.follow_up", "reception", item.id)
    ctx.session.execute(
        update(Reminder)
        .where(
            Reminder.key == f"reception.followup:{item.id}", Reminder.state.in_(("pending", "sent"))
        )
        .values(state="done")
    )
    ctx.say("followup.done", client=item.client.name)


FOLLOW_UP_FORM = Form(
    "fu",
    N_("followup.title"),
    (Step("result", N_("followup.ask"), max_length=500),),
    summary=lambda ctx, data: "",
    submit=_follow_up_submit,
    confirm=False,
)


def typed_item(ctx: Ctx, text: str) -> bool:
    """A checklist item typed by its label ("接站车辆") by the admin office: ticked on the one
    reception being prepared that has it; with several, which one is asked."""
    if not (ctx.person.has_role("admin_office") or ctx.person.has_role("org_admin")):
        return False
    typed = folded(text)
    named = [i for i in ITEMS if typed in (folded(n) for n in Choice(i, f"ck.item.{i}").names(ctx))]
    if not named:
        return False
    items = list(
        ctx.session.scalars(
            select(ChecklistItem)
            .join(Reception, Reception.id == ChecklistItem.reception_id)
            .where(ChecklistItem.item == named[0], Reception.state == "approved")
            .order_by(Reception.arrival_at, Reception.id)
        )
    )
    if not items:
        return False
    if len(items) == 1:
        tick(ctx, [str(items[0].id)])
        return True
    buttons = []
    for item in items:
        reception = ctx.session.get(Reception, item.reception_id)
        assert reception is not None
        label = f"#{reception.id} {reception.client.name}"
        buttons.append(Button(("✅ " if item.done_at else "") + label, f"ck:{item.id}"))
    ctx.reply(ctx.t("ck.which", item=ctx.t(f"ck.item.{named[0]}")), rows(*buttons, per_row=2))
    return True


FEATURE = Feature(
    commands=(
        Command(
            "today", N_("help.today"), todays_guests, frozenset({"front_desk", "admin_office"})
        ),
    ),
    actions={"ck": tick, "in": check_in, "fu": start_follow_up},
    forms=(FOLLOW_UP_FORM,),
    typed=(typed_item,),
)
