"""A person's home: what a platform's home screen (Slack's App Home) shows them, decided by
their roles — a button for each form they may begin, then what `/my` and `/pending` say."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.engine.context import translator_for
from handlers.engine.core import Core
from handlers.engine.messages import Event, Message

SECTIONS = ("my", "pending")  # commands whose answers make the home's sections


@dataclass(frozen=True)
class HomeSection:
    title: str
    messages: list[Message]


@dataclass(frozen=True)
class Home:
    title: str
    openers: list[tuple[str, str]]  # (command, label): buttons that begin a form
    sections: list[HomeSection]


def home(core: Core, event: Event) -> Home:
    """The home of the person behind `event`; a stranger's says how to link."""
    with core.db.session() as session:
        person = core.who(session, event)
        if person is not None:
            roles = person.role_set
            t = translator_for(session, person, core.policy, event.platform_locale)
    if person is None:
        greeting = core.handle(_said(event, "/help"))
        title = core.fallback_translator(event)("slack.home.title")
        return Home(title, [], [HomeSection("", greeting)])
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
    return Home(t("slack.home.title"), openers, sections)


def _said(event: Event, text: str) -> Event:
    return Event(event.platform, event.user, text=text, platform_locale=event.platform_locale)
