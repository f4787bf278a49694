"""A person's home: what a platform's home screen (Slack's App Home) shows them, decided by
their roles — a button for each form they may begin, what `/my` and `/pending` say, then their
day as their digest reads it now: the admin office's open checklists for today and tomorrow,
the front desk's guests today with Check in, a manager's team (`handlers/digest/sections`)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.digest import engine as digest
from handlers.engine.context import translator_for, zone_of
from handlers.engine.core import Core
from handlers.engine.messages import Event, Message

SECTIONS = ("my", "pending")  # commands whose answers make the home's sections


@dataclass(frozen=True)
class HomeSection:
    title: str
    messages: list[Message]


@dataclass(frozen=True)
class Home:
    person_id: int | None  # whose it is (None: a stranger's)
    title: str
    openers: list[tuple[str, str]]  # (command, label): buttons that begin a form
    sections: list[HomeSection]


def home(core: Core, event: Event) -> Home:
    """The home of the person behind `event`; a stranger's says how to link."""
    with core.db.session() as session:
        person = core.who(session, event)
        if person is not None:
            person_id, roles = person.id, person.role_set
            t = translator_for(session, person, core.policy, event.platform_locale)
            now = core.clock()
            day = now.astimezone(zone_of(person, core.policy)).date()
            today = digest.build(session, core.policy, person, now, day, greeting=False)
    if person is None:
        greeting = core.handle(_said(event, "/help"))
        title = core.fallback_translator(event)("slack.home.title")
        return Home(None, title, [], [HomeSection("", greeting)])
    allowed = core.menu(roles)
    openers = [
        (command.name, t(f"slack.home.open.{command.name}"))
        for command in allowed
        if command.form is not None and core.form(command.form) is not None
    ]
    names = {command.name for command in allowed}
    sections = [
        HomeSection(t(f"slack.home.{name}"), core.handle(_said(event, f"/{name}")))
        for name in SECTIONS
        if name in names
    ]
    if today is not None:
        sections.append(HomeSection(t("slack.home.today"), [today]))
    return Home(person_id, t("slack.home.title"), openers, sections)


def _said(event: Event, text: str) -> Event:
    return Event(event.platform, event.user, text=text, platform_locale=event.platform_locale)
