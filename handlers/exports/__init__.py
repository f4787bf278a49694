"""Reports and exports (SPEC §9): a month of receptions or visits, or the month's scorecard
per team, as CSV or XLSX (the scorecard also as a chart), for the command line
(`visitdesk export`) and for managers, the GM and finance in chat (`/export`).

One module per export (`receptions`, `visits`, `scorecard`) declares its columns and yields its
rows; `table` writes them as they come; `common` decides whose rows the reader may have
(SPEC §2); `chat` and `cli` are the two ways in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator
from handlers.exports import receptions, scorecard, visits, walk_ins
from handlers.exports.common import (
    EVERYONE,
    ExportError,
    Request,
    Scope,
    scope_for,
    team_scope,
)
from handlers.exports.table import Column, Format, write
from handlers.text.months import Month
from handlers.visits.scorecard_chart import Chart
from storage.models import Person

if TYPE_CHECKING:
    from handlers.rules.policy.schema import Policy

__all__ = [
    "EVERYONE",
    "EXPORTS",
    "ExportError",
    "Scope",
    "ScoreReport",
    "count",
    "export",
    "filename",
    "resolve_scope",
    "scorecard_chart",
]


@dataclass(frozen=True)
class Export:
    name: str
    title: str  # catalog key: the sheet's title and what messages call it
    columns: tuple[Column, ...]
    rows: Callable[[Request], Iterator[tuple[Any, ...]]]
    query: Callable[[Request], Select[*tuple[Any, ...]]] | None = (
        None  # the rows' query, to count them
    )


EXPORTS: dict[str, Export] = {
    "receptions": Export(
        "receptions", receptions.TITLE, receptions.COLUMNS, receptions.rows, receptions.query
    ),
    "visits": Export("visits", visits.TITLE, visits.COLUMNS, visits.rows, visits.query),
    "scorecard": Export("scorecard", scorecard.TITLE, scorecard.COLUMNS, scorecard.rows),
    "walkins": Export("walkins", walk_ins.TITLE, walk_ins.COLUMNS, walk_ins.rows, walk_ins.query),
}


def resolve_scope(session: Session, viewer: Person | None = None, team: str | None = None) -> Scope:
    """The viewer's scope (everyone when run from the command line), narrowed to `team`;
    raises ExportError when the viewer may export nothing or the team is unknown."""
    scope = EVERYONE
    if viewer is not None:
        allowed = scope_for(session, viewer)
        if allowed is None:
            raise ExportError("exp.not_allowed")
        scope = allowed
    if team:
        scope = scope.narrowed(team_scope(session, team))
    return scope


def export(
    session: Session,
    policy: Policy,
    kind: str,
    month: Month,
    fmt: Format,
    out: IO[bytes],
    t: Translator,
    tz: tzinfo,
    scope: Scope,
) -> int:
    """Write one month of `kind` to `out`, only the rows in `scope`; returns how many."""
    spec = EXPORTS.get(kind)
    if spec is None:
        raise ExportError("exp.error.kind", kind=kind)
    request = Request(session, policy, month, scope, t, tz)
    return write(fmt, out, spec.columns, spec.rows(request), t, tz, t(spec.title))


@dataclass(frozen=True)
class ScoreReport:
    text: str  # a few chat lines: each team's totals and its people
    chart: Chart
    people: int


def count(
    session: Session,
    policy: Policy,
    kind: str,
    month: Month,
    t: Translator,
    tz: tzinfo,
    scope: Scope,
) -> int | None:
    """How many rows an export would have, without reading them; None if not countable."""
    spec = EXPORTS[kind]
    if spec.query is None:
        return None
    rows = spec.query(Request(session, policy, month, scope, t, tz)).subquery()
    return int(session.scalar(select(func.count()).select_from(rows)) or 0)


def scorecard_chart(
    session: Session,
    policy: Policy,
    month: Month,
    t: Translator,
    tz: tzinfo,
    scope: Scope,
) -> ScoreReport | None:
    """The month's scorecard in scope as chat lines and a chart; None when no team is."""
    request = Request(session, policy, month, scope, t, tz)
    items = scorecard.teams(request)
    if not items:
        return None
    people = sum(len(item.scores) for item in items)
    return ScoreReport(scorecard.summary(request, items), scorecard.chart(request, items), people)


def filename(kind: str, month: Month, fmt: str, scope: Scope) -> str:
    team = "-" + "_".join(scope.team.split()) if scope.team else ""
    return f"{kind}-{month}{team}.{fmt}"
