"""Inserting rows whose unique key may already be taken — by a redelivery, by another
process, or by an earlier tick — without a savepoint per row."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from storage.models import Base


def insert_new(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL, the two we run on);
    returns how many rows were new."""
    if not rows:
        return 0
    statement = _insert_new(session.get_bind().dialect.name, model)
    # On the session's connection, its transaction: a Core statement needs none of the ORM's
    # execution (bench/RESULTS.md, issue 26: a tenth of each step). Count what RETURNING
    # gives back: rowcount is not reported for multi-row inserts.
    return len(session.connection().execute(statement, rows).all())


@cache
def _insert_new(dialect: str, model: type[Base]) -> Insert:
    # One statement per table, rows as its parameters: compiled once, and built once (each
    # update's dedupe runs it; literal `.values(rows)` compiled anew on every call).
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__
    assert isinstance(table, Table)  # typed as any FromClause; a declarative model's is a Table
    key = next(iter(table.primary_key.columns))
    return insert(table).on_conflict_do_nothing().returning(key)
