"""What every linked person can do outside the forms: choose a language, and for org
admins, make an invitation code for a colleague."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine.context import Ctx
from handlers.engine.i18n import clipped, normalise_locale
from handlers.engine.registry import Command, Feature
from handlers.org.chart import invite
from storage.models import Person


def choose_language(ctx: Ctx, argument: str) -> None:
    locale = normalise_locale(argument.strip())
    if locale is None:
        ctx.say("lang.usage")
        return
    ctx.person.locale = locale
    ctx.audit("person.locale", "person", ctx.person.id, locale=locale)
    ctx.__dict__.pop("t", None)  # the cached translator speaks the old language
    ctx.say("lang.set")


def invite_person(ctx: Ctx, argument: str) -> None:
    name = argument.strip()
    if not name:
        ctx.say("invite.usage")
        return
    person = ctx.session.scalars(select(Person).where(Person.name == name)).first()
    if person is None:
        ctx.say("invite.unknown", name=clipped(name))
        return
    if not person.active:  # their code would link nobody (handlers.org.chart.link_identity)
        ctx.say("invite.inactive", name=person.name)
        return
    code = invite(ctx.session, person, ctx.now)
    ctx.audit("person.invite", "person", person.id)
    ctx.say("invite.code", name=person.name, code=code)


FEATURE = Feature(
    commands=(
        Command("lang", "help.lang", choose_language),
        Command("invite", "help.invite", invite_person, frozenset({"org_admin"})),
    ),
)
