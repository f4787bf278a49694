"""A requester's own reception, as the forms about it after approval (close-out, follow-up
call, arrangements) find it, check it and remind of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Invalid
from handlers.engine.i18n import N_
from storage.models import Reception, Reminder


def remind_requester(ctx: Ctx, reception: Reception, kind: str, due: datetime) -> None:
    """The reception's `kind` reminder to its requester at `due`: one per reception, moved
    (and made pending again) when an edit or a new answer changes when it is due."""
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


def own_in(ctx: Ctx, item: Reception | None, *states: str) -> Reception:
    """`item` if it is the requester's own reception and in one of `states`; else Invalid
    saying why. A close-out or follow-up checks it when it starts and again when it is sent,
    since its draft can wait while the reception is edited and goes back to its approvers."""
    if item is None or item.requester_id != ctx.person.id:
        raise Invalid(N_("rcp.not_yours"))
    if item.state not in states:
        raise Invalid(N_("rcp.closed_already"), state=ctx.t(f"rcp.state.{item.state}"))
    return item


Gate = Callable[[Ctx, Reception | None], Reception]


def start_on_own(
    ctx: Ctx, parts: list[str], gate: Gate, form: Form, answers: Data | None = None
) -> None:
    """Start `form` about the reception named in `parts`, if `gate` lets it (see `own_in`);
    with `answers` given before, at their summary."""
    try:
        item = gate(ctx, named_by(ctx.session, Reception, parts))
    except Invalid as refused:
        ctx.say(refused.key, **refused.params)
        return
    engine.start(ctx, form, prefill={**(answers or {}), "@reception": item.id})


def form_reception(ctx: Ctx, data: Data) -> Reception:
    """The reception a close-out or follow-up form is about (`start_on_own` chose it)."""
    item = ctx.session.get(Reception, int(data["@reception"]))
    assert item is not None
    return item
