"""The front desk (SPEC §6, seed 004: 来访登记, 贵宾证): the day's expected guests and their
check-in, of which the host is told at once."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from handlers.engine.context import Ctx, named_by, translator_for, zone_of
from handlers.engine.i18n import N_
from handlers.engine.messages import Button, Message, rows
from handlers.engine.registry import Command, Feature
from handlers.reception import walk_in
from handlers.reception.card import (
    place_zone,
)
from storage.models import Reception


def _local_day(ctx: Ctx) -> tuple[datetime, datetime]:
    start = datetime.combine(ctx.local_now.date(), time(0), ctx.tz)
    return start, start + timedelta(days=1)


def todays_guests(ctx: Ctx, argument: str) -> None:
    """The front desk's list of today's expected guests, each with a check-in button, then
    the walk-ins registered today with what their host answered."""
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
    walk_ins = walk_in.todays_walk_ins(ctx)
    if not guests and not walk_ins:
        ctx.say("desk.none")
        return
    if guests:
        ctx.say("desk.title", n=len(guests))
    for item in guests:
        if item.checked_in_at:
            ctx.reply(_desk_line(ctx, item))
        else:
            button = Button(ctx.t("desk.check_in"), f"in:{item.id}", "primary")
            ctx.reply(_desk_line(ctx, item), rows(button))
    if walk_ins:
        lines = [walk_in.desk_line(ctx, visit) for visit in walk_ins]
        ctx.reply("\n".join([ctx.t("desk.walk_ins", n=len(walk_ins)), *lines]))


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


FEATURE = Feature(
    commands=(
        Command(
            "today", N_("help.today"), todays_guests, frozenset({"front_desk", "admin_office"})
        ),
    ),
    actions={"in": check_in},
)
