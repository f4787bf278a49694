"""`/deactivate NAME`: an org admin takes a colleague who left out of the bot from chat,
without waiting for the next org file import (SPEC §1).

The command only shows what will happen (`handlers.org.leavers.plan`) with a button to do it;
the button checks again — the presser is an org admin, the person still active and not
themselves — because a button can be forged, forwarded or pressed late.
"""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine.context import Ctx, named_by
from handlers.engine.i18n import N_, clipped
from handlers.engine.messages import Button, rows
from handlers.engine.registry import Command, Feature
from handlers.org import leavers
from storage.models import Person

ACTION = "off"


def command(ctx: Ctx, argument: str) -> None:
    name = argument.strip()
    if not name:
        ctx.say("deactivate.usage")
        return
    person = ctx.session.scalars(
        select(Person).where(Person.name == name[:100], Person.active.is_(True))
    ).first()
    if person is None:
        ctx.say("deactivate.unknown", name=clipped(name))
        return
    if person.id == ctx.person.id:
        ctx.say("deactivate.self")
        return
    lines = leavers.describe(ctx.session, leavers.plan(ctx.session, person), ctx.t)
    buttons = rows(
        Button(ctx.t("deactivate.button", name=person.name), f"{ACTION}:{person.id}:yes", "danger"),
        Button(ctx.t("deactivate.keep"), f"{ACTION}:{person.id}:no"),
    )
    text = "\n".join([ctx.t("deactivate.confirm", name=person.name), *lines])
    ctx.reply(text, buttons)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`off:<person>:yes|no`."""
    person = named_by(ctx.session, Person, parts)
    if person is None or len(parts) != 2 or parts[1] not in ("yes", "no"):
        ctx.say("button.stale")
        return
    if not ctx.person.has_role("org_admin"):
        ctx.say("command.not_allowed")
        return
    if not person.active or person.id == ctx.person.id:
        ctx.say("button.stale")
        return
    if parts[1] == "no":
        ctx.say("deactivate.kept", name=person.name)
        return
    handover = leavers.plan(ctx.session, person)
    leavers.carry_out(ctx.session, ctx.policy, handover, ctx.now, ctx.platform, ctx.person)
    lines = leavers.describe(ctx.session, handover, ctx.t)
    ctx.reply("\n".join([ctx.t("deactivate.done", name=person.name), *lines]))


FEATURE = Feature(
    commands=(Command("deactivate", N_("help.deactivate"), command, frozenset({"org_admin"})),),
    actions={ACTION: press},
)
