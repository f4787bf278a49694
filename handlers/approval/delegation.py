"""Delegation: `/delegate` hands an approver's decisions to a colleague for a while."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, translator_for, zone_of
from handlers.engine.messages import Message
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from storage.models import Person


def active_delegate(session: Session, person: Person, now: datetime) -> Person | None:
    if person.delegate_id and person.delegate_until and person.delegate_until > now:
        delegate = session.get(Person, person.delegate_id)
        return delegate if delegate is not None and delegate.active else None
    return None


def delegate(ctx: Ctx, argument: str) -> None:
    """`/delegate NAME until DATE` hands decisions to a colleague for a while; `off` ends it."""
    text = argument.strip()
    if text.lower() in ("off", "关闭", "取消"):
        ctx.person.delegate_id = None
        ctx.person.delegate_until = None
        ctx.audit("delegate.off", "person", ctx.person.id)
        ctx.say("delegate.off")
        return
    people = sorted(
        ctx.session.scalars(select(Person).where(Person.active.is_(True))),
        key=lambda p: -len(p.name),
    )
    target = next((p for p in people if text.startswith(p.name)), None)
    if target is None:
        _no_such_colleague(ctx, text)
        return
    if target.id == ctx.person.id:
        ctx.say("delegate.self")
        return
    when_text = text[len(target.name) :].strip()
    for word in ("until", "till", "到", "至"):
        when_text = when_text.removeprefix(word).strip()
    try:
        when = parse_when(when_text, ctx.local_now, ctx.t.lang)
    except DateNotUnderstood as error:
        if error.reason != "empty":  # the date's own problem (25点), then how to write it
            ctx.say(f"flow.error.date.{error.reason}")
        ctx.say("delegate.usage")
        return
    until = when.value if when.has_time else when.value + timedelta(days=1)
    if until <= ctx.now:
        ctx.say("delegate.past")
        return
    ctx.person.delegate_id = target.id
    ctx.person.delegate_until = until
    ctx.audit("delegate.on", "person", ctx.person.id, to=target.id, until=until.isoformat())
    ctx.say("delegate.on", name=target.name, until=ctx.t.until(until, ctx.tz))
    t = translator_for(ctx.session, target, ctx.policy, now=ctx.now)
    note = Message(
        t(
            "delegate.told",
            name=ctx.person.name,
            until=t.until(until, zone_of(target, ctx.policy)),
        )
    )
    ctx.notify(target, note, f"delegate:{ctx.person.id}:{until.isoformat()}")


def _no_such_colleague(ctx: Ctx, text: str) -> None:
    """The name typed (what stands before "until"), echoed clipped, or the usage if none."""
    name = re.split(r"\s|until|till|到|至", text, maxsplit=1)[0]
    if not name:
        ctx.say("delegate.usage")
        return
    clipped = name if len(name) <= NAME_ECHO else name[:NAME_ECHO] + "…"
    ctx.say("delegate.unknown", name=clipped)


NAME_ECHO = 30  # characters of a mistyped name said back
