"""What every export shares: whose rows it may hold (SPEC §2, 保守秘密), the month it covers,
and the request that carries both with the reader's language and zone.

Finance, the GM and org admins see the whole company. A manager sees their own team: the
people whose management chain includes them, and themselves (their own clients are theirs to
see anyway). Anyone else gets no export. `--team NAME` on the command line narrows any scope
to one manager's team (or, failing a person of that name, to one department).

A row is in scope when the person it belongs to (the requester, the salesperson who visited)
is in scope *and* so is its client's owner — so a client owned outside the team never leaks
through a row that a team member happened to touch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from handlers.engine.i18n import Translator, clipped
from handlers.text.months import Month, parse_month
from storage.models import Person

if TYPE_CHECKING:
    from handlers.rules.policy.schema import Policy

SEES_ALL = frozenset({"finance", "gm", "org_admin"})
SEES_TEAM = frozenset({"manager"})
EXPORT_ROLES = SEES_ALL | SEES_TEAM


class ExportError(Exception):
    """Something the reader can fix; `key` and `params` are the catalog message."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Scope:
    """The people whose rows may be exported; `people=None` means everyone."""

    people: frozenset[int] | None
    team: str = ""  # a name for messages and file names; "" for the whole company

    @property
    def everyone(self) -> bool:
        return self.people is None

    def covers(
        self, *columns: ColumnElement[int] | InstrumentedAttribute[int]
    ) -> ColumnElement[bool]:
        """A WHERE clause: each of these person-id columns is someone in scope."""
        if self.people is None:
            return true()
        clause: ColumnElement[bool] = true()
        for column in columns:
            clause = clause & column.in_(sorted(self.people))
        return clause

    def includes(self, person_id: int) -> bool:
        return self.people is None or person_id in self.people

    def narrowed(self, other: Scope) -> Scope:
        if other.people is None:
            return self
        people = other.people if self.people is None else self.people & other.people
        return Scope(people, other.team or self.team)


EVERYONE = Scope(None)


def _reports(session: Session) -> dict[int, list[int]]:
    """manager id → ids of their direct reports, from one read of the org chart."""
    children: dict[int, list[int]] = defaultdict(list)
    for person_id, manager_id in session.execute(select(Person.id, Person.manager_id)):
        if manager_id is not None:
            children[manager_id].append(person_id)
    return children


def team_of(session: Session, manager: Person) -> frozenset[int]:
    """The manager and everyone whose management chain includes them."""
    children = _reports(session)
    seen = {manager.id}
    todo = [manager.id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return frozenset(seen)


def scope_for(session: Session, viewer: Person) -> Scope | None:
    """What `viewer` may export; None when they may export nothing."""
    roles = viewer.role_set
    if roles & SEES_ALL:
        return EVERYONE
    if roles & SEES_TEAM:
        return Scope(team_of(session, viewer), viewer.name)
    return None


def team_scope(session: Session, name: str) -> Scope:
    """`--team NAME`: a manager's team by the manager's name, else a department's people."""
    person = session.scalars(select(Person).where(Person.name == name)).first()
    if person is not None:
        return Scope(team_of(session, person), person.name)
    members = session.scalars(select(Person.id).where(Person.department == name)).all()
    if members:
        return Scope(frozenset(members), name)
    raise ExportError("exp.error.no_team", name=name)


# ---------------------------------------------------------------------------- the month


def read_month(text: str, today: date) -> Month:
    """A month as people write it (2026-11, 2026年11月, 11月, Nov, 上个月: `parse_month`),
    one without a year the nearest not after `today`'s; anything else raises ExportError."""
    found = parse_month(text, today, ahead=False)
    if found is None:
        raise ExportError("exp.error.month", text=clipped(text))
    return Month(*found)


# ---------------------------------------------------------------------------- one export's request


@dataclass(frozen=True)
class Request:
    """One export being made: what, for whom, and how to show it."""

    session: Session
    policy: Policy
    month: Month
    scope: Scope
    t: Translator
    tz: tzinfo  # the reader's zone: date-times are shown in it
    _labels: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def org_tz(self) -> ZoneInfo:
        """Months are the company's months, the same for every reader."""
        return ZoneInfo(self.policy.org.default_timezone)

    def label(self, prefix: str, key: str) -> str:
        """A choice's label (`rcp.purpose.tour` → 参观考察); a key the catalog lacks (one a
        policy added) is shown as it is."""
        found = self._labels.get((prefix, key))
        if found is None:
            full = f"{prefix}.{key}"
            found = self._labels[prefix, key] = self.t(full) if self.t.has(full) else key
        return found

    def labels(self, prefix: str, keys: Iterable[str] | None) -> str:
        if not keys:
            return ""
        return self.separator.join([self.label(prefix, k) for k in keys])

    @cached_property
    def separator(self) -> str:
        return self.t("flow.list_sep")
