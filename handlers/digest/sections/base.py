"""What a digest section is written against: the view it reads, the lines it yields, and the
register (`@section`) the engine builds a digest from (`handlers/digest/engine.py`).

A section yields `Line`s, each one item under a topic; a section whose items grow with the
company reads only the first `MAX_ITEMS` and yields `More` with the count of the rest
(`DigestView.first`), so a digest costs the same in a company of any size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator
from handlers.engine.messages import Button
from handlers.rules.policy.schema import Policy
from storage.models import Client, Person, Reception

MAX_ITEMS = 6  # per topic; the rest are counted ("+3 more")
Ts = TypeVarTuple("Ts")


@dataclass
class DigestView:
    """What a section reads: the reader, their language and zone, the moment and the day."""

    session: Session
    policy: Policy
    person: Person
    t: Translator
    tz: tzinfo
    now: datetime
    day: date

    def first(self, query: Select[*Ts], topic: str) -> tuple[list[tuple[*Ts]], list[More]]:
        """What a topic shows of `query` (ordered): its first `MAX_ITEMS` rows, and the
        number of the others, counted by the database (in the same statement) rather than
        read."""
        counted = query.add_columns(func.count().over()).limit(MAX_ITEMS)
        rows = self.session.execute(counted).all()
        rest = rows[0][-1] - len(rows) if rows else 0
        return [row[:-1] for row in rows], [More(topic, rest)] if rest else []

    def span(self, first: int = 0, days: int = 1) -> tuple[datetime, datetime]:
        """Local midnight `first` days from the digest's day, to `days` later."""
        start = datetime.combine(self.day + timedelta(days=first), time(0), self.tz)
        return start, start + timedelta(days=days)

    def when(self, moment: datetime, place: tzinfo | None = None) -> str:
        """A time of day; with the zone of where it happens, labelled in both where that
        clock differs from the reader's."""
        return self.t.time(moment, self.tz, place)

    def host_zone(self, timezone: str | None) -> ZoneInfo:
        """A reception's place, from its host's `Person.timezone` (None: the org's)."""
        return ZoneInfo(timezone or self.policy.org.default_timezone)


@dataclass(frozen=True)
class Line:
    """One item under a topic (catalog key `digest.topic.<topic>`), maybe with buttons."""

    topic: str
    item: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class More:
    """`n` items of a topic that a section counted but did not read, all coming after the
    `MAX_ITEMS` it did (`DigestView.first`)."""

    topic: str
    n: int


Section = Callable[[DigestView], Iterable[Line | More]]
SECTIONS: list[tuple[int, frozenset[str], Section]] = []


def section(*roles: str, order: int = 50) -> Callable[[Section], Section]:
    """Register a digest section for people with any of `roles` (none: everyone).

    `order` places it among the others (approvals 5, the reader's own day 10–35, the
    team's 40–46, the admin office's and front desk's 50); topics then read in the engine's
    `TOPICS` order, a topic no one listed there coming last.
    """

    def register(fn: Section) -> Section:
        SECTIONS.append((order, frozenset(roles), fn))
        SECTIONS.sort(key=lambda entry: entry[0])
        return fn

    return register


def guest_rows(*columns: Any) -> Select[*tuple[Any, ...]]:
    """Receptions in arrival order, as the id, arrival time, client name and host's zone (for
    `DigestView.when`) the lines about guests show, then `columns` (the requester is
    `Person`): not whole receptions and all that their relationships load."""
    return (
        select(Reception.id, Reception.arrival_at, Client.name, Person.timezone, *columns)
        .join(Client, Client.id == Reception.client_id)
        .join(Person, Person.id == Reception.requester_id)
        .order_by(Reception.arrival_at, Reception.id)
    )
