"""Walk-in visitors (seed 004 《访客登记表》: 无预约 … 登记 … 会客人是否在单位; seed 000's
security: 车辆登记, 携带物品): the front desk registers who came, for whom, how many, the car
and what they carry; the host answers Coming / Please wait / Decline and the front desk sees
the answer. Walk-ins are in the day's guest list, the audit trail and the exports.

An answer is taken once per state (`asked` → coming | waiting | declined; `waiting` →
coming | declined) by an update that matches only the state it moves from: a double tap, a
second device or an old button finds it moved and is told what was answered.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from handlers.engine.context import Ctx, named_by, people_with, translator_for, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Invalid, Kind, Step
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, rows
from handlers.engine.registry import Command, Feature
from storage.models import Person, WalkIn

FORM_NAME = "wlk"
ANSWERS = {"come": "coming", "wait": "waiting", "no": "declined"}  # button → state
# The states each answer may move from: "please wait" can still become coming or declined.
MOVES_FROM = {
    "coming": ("asked", "waiting"),
    "waiting": ("asked",),
    "declined": ("asked", "waiting"),
}
MAX_VISITORS = 100
# A plate as typed on a phone, once spaces, dots and dashes are gone: a province character
# and a letter then 5–6 letters or digits (沪A12345, 粤B D12345), or 4–9 letters and digits
# for a plate from elsewhere. The column holds 12.
_PLATE = re.compile(r"[\u4e00-\u9fff]?[A-Z][A-Z0-9]{4,6}[\u4e00-\u9fff]?|[A-Z0-9]{4,9}")
_PLATE_NOISE = re.compile(r"[\s·.\-_•]")


# ---------------------------------------------------------------------------- the form


def _active_people(ctx: Ctx) -> list[Person]:
    return list(ctx.session.scalars(select(Person).where(Person.active.is_(True))))


def _read_host(ctx: Ctx, data: Data, text: str) -> str:
    """The colleague the visitor asks for, by full name or a part only one name has. One who
    has left is said so (seed 004: 会客人是否在单位), so the desk asks whom else."""
    named = [p for p in _active_people(ctx) if p.name.casefold() == text.casefold()]
    if not named:
        named = [p for p in _active_people(ctx) if text.casefold() in p.name.casefold()]
    if len(named) == 1:
        return named[0].name
    if named:
        names = ctx.t("flow.list_sep").join(sorted(p.name for p in named)[:8])
        raise Invalid(N_("wi.error.several"), name=text, names=names)
    gone = ctx.session.scalars(select(Person).where(Person.name == text)).first()
    if gone is not None:
        raise Invalid(N_("wi.error.host_left"), name=gone.name)
    raise Invalid(N_("wi.error.no_host"))


def _read_plate(ctx: Ctx, data: Data, text: str) -> str:
    plate = _PLATE_NOISE.sub("", text).upper()
    if not _PLATE.fullmatch(plate):
        raise Invalid(N_("wi.error.plate"))
    return plate


STEPS = (
    Step("host", N_("wi.ask.host"), read=_read_host, max_length=100),
    Step("name", N_("wi.ask.name"), max_length=50),
    Step("company", N_("wi.ask.company"), max_length=100),
    Step(
        "visitors",
        N_("wi.ask.visitors"),
        Kind.NUMBER,
        minimum=Decimal(1),
        maximum=Decimal(MAX_VISITORS),
    ),
    Step("plate", N_("wi.ask.plate"), optional=True, read=_read_plate, max_length=30),
    Step("belongings", N_("wi.ask.belongings"), optional=True, max_length=200),
)


def _details(
    t: Translator, name: str, company: str, n: int, plate: str | None, items: str | None
) -> str:
    """The visitor as the desk, the host and the list say it, with the car and what they carry."""
    lines = [t("wi.visitor", name=name, company=company, n=n)]
    if plate:
        lines.append(t("wi.plate_line", plate=plate))
    if items:
        lines.append(t("wi.belongings_line", items=items))
    return "\n".join(lines)


def _summary(ctx: Ctx, data: Data) -> str:
    visitor = _details(
        ctx.t,
        data["name"],
        data["company"],
        data["visitors"],
        data.get("plate"),
        data.get("belongings"),
    )
    return ctx.t("wi.summary", host=data["host"]) + "\n" + visitor


def _host_named(ctx: Ctx, name: str) -> Person:
    """The host the form chose, again at submit: they may have left since it was typed."""
    host = ctx.session.scalars(select(Person).where(Person.name == name)).first()
    if host is None or not host.active:
        raise Invalid(N_("wi.error.host_left"), name=name)
    return host


def _submit(ctx: Ctx, data: Data) -> None:
    host = _host_named(ctx, data["host"])
    visit = WalkIn(
        registered_by_id=ctx.person.id,
        host_id=host.id,
        name=data["name"],
        company=data["company"],
        visitors=int(data["visitors"]),
        plate=data.get("plate") or None,
        belongings=data.get("belongings") or None,
        state="asked",
        registered_at=ctx.now,
    )
    ctx.session.add(visit)
    ctx.session.flush()
    ctx.audit("walk_in.register", "walk_in", visit.id, host=host.id)
    ctx.notify(host, host_card(ctx, visit, host), f"wi:{visit.id}:asked")
    ctx.say("wi.sent", host=host.name)


FORM = Form(FORM_NAME, N_("wi.title"), STEPS, _summary, _submit)


def start(ctx: Ctx, argument: str) -> None:
    engine.start(ctx, FORM)


# ---------------------------------------------------------------------------- the host answers


def _answer_buttons(visit: WalkIn, t: Translator) -> tuple[tuple[Button, ...], ...]:
    """The answers still open from the visit's state (none once coming or declined)."""
    buttons = [
        Button(
            t(f"wi.answer.{button}"),
            f"wi:{visit.id}:{button}",
            "primary" if button == "come" else "",
        )
        for button, state in ANSWERS.items()
        if visit.state in MOVES_FROM[state]
    ]
    return rows(*buttons, per_row=3)


def host_card(ctx: Ctx, visit: WalkIn, host: Person) -> Message:
    t = translator_for(ctx.session, host, ctx.policy, now=ctx.now)
    tz = zone_of(host, ctx.policy)
    text = t("wi.host_card", at=t.time(visit.registered_at, tz)) + "\n"
    text += _details(t, visit.name, visit.company, visit.visitors, visit.plate, visit.belongings)
    if visit.state != "asked":
        text += "\n" + t(
            "wi.answered",
            answer=t(f"wi.state.{visit.state}"),
            at=t.time(visit.answered_at or ctx.now, tz),
        )
    return Message(text, _answer_buttons(visit, t), card=f"wi:{visit.id}")


def _registered_today(ctx: Ctx, visit: WalkIn) -> bool:
    """A visitor is answered the day they came: tomorrow's "coming" would send nobody."""
    return visit.registered_at.astimezone(ctx.tz).date() == ctx.local_now.date()


def answer(ctx: Ctx, parts: list[str]) -> None:
    """`wi:<walk-in>:come|wait|no` — the host answers; the front desk is told."""
    visit = named_by(ctx.session, WalkIn, parts)
    if visit is None or len(parts) != 2 or parts[1] not in ANSWERS:
        ctx.say("button.stale")
        return
    if visit.host_id != ctx.person.id:
        ctx.audit("walk_in.refused", "walk_in", visit.id)
        ctx.say("wi.not_yours")
        return
    if not _registered_today(ctx, visit):
        ctx.say("wi.expired", day=ctx.t.date(visit.registered_at.astimezone(ctx.tz).date()))
        return
    state = ANSWERS[parts[1]]
    # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as Result.
    moved = cast(
        CursorResult[Any],
        ctx.session.execute(
            update(WalkIn)
            .where(WalkIn.id == visit.id, WalkIn.state.in_(MOVES_FROM[state]))
            .values(state=state, answered_at=ctx.now)
            .execution_options(synchronize_session=False)
        ),
    )
    ctx.session.refresh(visit)
    if moved.rowcount != 1:
        at = ctx.t.time(visit.answered_at or ctx.now, ctx.tz)
        ctx.say("wi.already", answer=ctx.t(f"wi.state.{visit.state}"), at=at)
        return
    ctx.audit("walk_in.answer", "walk_in", visit.id, answer=state)
    card = host_card(ctx, visit, ctx.person)
    ctx.replies.append(Message(card.text, card.buttons, card=card.card, replace=True))
    desk = visit.registered_by
    for person in dict.fromkeys([desk, *people_with(ctx.session, "front_desk")]):
        if not person.active:
            continue
        t = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
        told = t(
            "wi.desk_told",
            host=ctx.person.name,
            name=visit.name,
            company=visit.company,
            answer=t(f"wi.state.{state}"),
        )
        ctx.notify(person, Message(told), f"wi:{visit.id}:{state}:{person.id}")


# ---------------------------------------------------------------------------- the day's list


def todays_walk_ins(ctx: Ctx) -> list[WalkIn]:
    start = datetime.combine(ctx.local_now.date(), time(0), ctx.tz)
    return list(
        ctx.session.scalars(
            select(WalkIn)
            .where(WalkIn.registered_at >= start, WalkIn.registered_at < start + timedelta(days=1))
            .order_by(WalkIn.registered_at, WalkIn.id)
        )
    )


def desk_line(ctx: Ctx, visit: WalkIn) -> str:
    """One walk-in on the front desk's list of the day, with what the host answered."""
    return ctx.t(
        "desk.walk_in_item",
        time=ctx.t.time(visit.registered_at, ctx.tz),
        company=visit.company,
        name=visit.name,
        n=visit.visitors,
        host=visit.host.name,
        state=ctx.t(f"wi.state.{visit.state}"),
    )


FEATURE = Feature(
    commands=(Command("walkin", N_("help.walkin"), start, frozenset({"front_desk"}), form="wlk"),),
    actions={"wi": answer},
    forms=(FORM,),
)
