"""The visits export: every field of every visit made in the month (SPEC §7), in visit-day
order — who, which client, the contact met, kind, purposes, summary, needs, competitor news,
outcome, next step and its due day, expenses — plus the planned day when the visit fulfilled
an entry of the monthly plan, and when it was logged.

The visits are read with `yield_per`, so a month of 100 000 visits streams through in
batches; nothing here holds more than one batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from handlers.exports.common import Request
from handlers.exports.table import Column
from storage.models import Client, Person, PlanEntry, Visit

TITLE = "exp.title.visits"
BATCH = 1000
# Catalog prefixes of the visit form's choices (a key missing there is shown as it is).
KIND_LABELS = "visit.kind"
PURPOSE_LABELS = "visit.purpose"
OUTCOME_LABELS = "visit.outcome"

COLUMNS: tuple[Column, ...] = (
    Column("id", "int", 8),
    Column("visited_on", "date"),
    Column("salesperson"),
    Column("department"),
    Column("client", width=20),
    Column("class", width=6),
    Column("contact"),
    Column("visit_kind"),
    Column("purposes", width=24),
    Column("summary", width=40),
    Column("needs", width=30),
    Column("competitors", width=30),
    Column("visit_outcome"),
    Column("next_step", width=30),
    Column("next_due", "date"),
    Column("expenses", "money"),
    Column("planned_on", "date"),
    Column("logged_at", "datetime"),
)


Salesperson = aliased(Person)


def query(request: Request) -> Select[*tuple[Any, ...]]:
    planned = (
        select(PlanEntry.visit_id, func.min(PlanEntry.planned_on).label("planned_on"))
        .where(PlanEntry.visit_id.is_not(None))
        .group_by(PlanEntry.visit_id)
        .subquery()
    )
    return (
        select(
            Visit.id,
            Visit.visited_on,
            Salesperson.name.label("salesperson"),
            Salesperson.department,
            Client.name.label("client"),
            Client.class_key,
            Visit.contact,
            Visit.kind,
            Visit.purposes,
            Visit.summary,
            Visit.needs,
            Visit.competitors,
            Visit.outcome,
            Visit.next_step,
            Visit.next_due,
            Visit.expenses,
            planned.c.planned_on,
            Visit.created_at,
        )
        .join(Salesperson, Salesperson.id == Visit.person_id)
        .join(Client, Client.id == Visit.client_id)
        .outerjoin(planned, planned.c.visit_id == Visit.id)
        .where(
            request.month.covers(Visit.visited_on),
            request.scope.covers(Visit.person_id, Client.owner_id),
        )
        .order_by(Visit.visited_on, Visit.id)
        .execution_options(yield_per=BATCH)
    )


def rows(request: Request) -> Iterator[tuple[Any, ...]]:
    """The month's visits, one tuple per row, matching COLUMNS."""
    label, labels = request.label, request.labels
    for (
        visit_id,
        visited_on,
        salesperson,
        department,
        client,
        class_key,
        contact,
        kind,
        purposes,
        summary,
        needs,
        competitors,
        outcome,
        next_step,
        next_due,
        expenses,
        planned_on,
        created_at,
    ) in request.session.connection().execute(query(request)):
        yield (
            visit_id,
            visited_on,
            salesperson,
            department,
            client,
            class_key,
            contact,
            label(KIND_LABELS, kind),
            labels(PURPOSE_LABELS, purposes),
            summary,
            needs or None,
            competitors or None,
            label(OUTCOME_LABELS, outcome),
            next_step or None,
            next_due,
            expenses,
            planned_on,
            created_at,
        )
