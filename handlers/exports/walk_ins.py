"""The walk-ins export: every visitor the front desk registered in the month without an
appointment (seed 004 《访客登记表》) — when, who, from where, how many, for whom, the car, what
they carried, what the host answered and when, and who registered them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from handlers.exports.common import Request
from handlers.exports.table import Column
from storage.models import Person, WalkIn

TITLE = "exp.title.walk_ins"
BATCH = 1000
STATE_LABELS = "wi.state"

COLUMNS: tuple[Column, ...] = (
    Column("id", "int", 8),
    Column("registered_at", "datetime"),
    Column("visitor"),
    Column("visitor_company", width=20),
    Column("visitors", "int"),
    Column("host"),
    Column("department"),
    Column("plate"),
    Column("belongings", width=24),
    Column("host_answer"),
    Column("answered_at", "datetime"),
    Column("registered_by"),
)

Host, Desk = aliased(Person), aliased(Person)


def query(request: Request) -> Select[*tuple[Any, ...]]:
    return (
        select(
            WalkIn.id,
            WalkIn.registered_at,
            WalkIn.name,
            WalkIn.company,
            WalkIn.visitors,
            Host.name.label("host"),
            Host.department,
            WalkIn.plate,
            WalkIn.belongings,
            WalkIn.state,
            WalkIn.answered_at,
            Desk.name.label("desk"),
        )
        .join(Host, Host.id == WalkIn.host_id)
        .join(Desk, Desk.id == WalkIn.registered_by_id)
        .where(
            request.month.covers(WalkIn.registered_at, request.org_tz),
            request.scope.covers(WalkIn.host_id),
        )
        .order_by(WalkIn.registered_at, WalkIn.id)
        .execution_options(yield_per=BATCH)
    )


def rows(request: Request) -> Iterator[tuple[Any, ...]]:
    """The month's walk-ins in the order they came, one tuple per row, matching COLUMNS."""
    for row in request.session.execute(query(request)):
        *head, state, answered_at, desk = row
        yield (*head, request.label(STATE_LABELS, state), answered_at, desk)
