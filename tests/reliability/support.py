"""Helpers for the reliability suite: what the database holds (to prove nothing changed),
snapshots of a SQLite file (to undo an example), the audit trail, language checks, and a
database outage."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, func, inspect, select, text
from sqlalchemy.orm import sessionmaker

from handlers.engine.i18n import Translator
from storage.db import Database
from storage.models import AuditEntry

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
ZH = Translator("zh_CN")
EN = Translator("en")
INTERNAL = {ZH("error.internal"), EN("error.internal")}
# Nothing listens on port 1: a database that is "down".
UNREACHABLE_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=1"
UNREACHABLE_SQLITE = "sqlite:////nonexistent-dir/visitdesk-down.db"

Rows = dict[str, list[tuple[Any, ...]]]


def has_cjk(value: str) -> bool:
    return CJK.search(value) is not None


def tables(db: Database) -> list[str]:
    return sorted(t for t in inspect(db.engine).get_table_names() if t != "alembic_version")


def dump(db: Database, skip: frozenset[str] = frozenset()) -> Rows:
    """Every row of every table (but `skip`), in a stable order: equal dumps, equal data."""
    out: Rows = {}
    with db.engine.connect() as conn:
        for table in tables(db):
            if table in skip:
                continue
            rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
            out[table] = sorted((tuple(r) for r in rows), key=repr)
    return out


def changed_tables(before: Rows, after: Rows) -> set[str]:
    return {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}


def count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


# ---------------------------------------------------------------------------- SQLite snapshots


def _sqlite_path(db: Database) -> str:
    assert db.is_sqlite, "snapshots are for the SQLite file"
    path = db.engine.url.database
    assert path
    return path


def snapshot(db: Database) -> sqlite3.Connection:
    """An in-memory copy of the SQLite file, to put back with `restore`."""
    copy = sqlite3.connect(":memory:")
    with sqlite3.connect(_sqlite_path(db)) as source:
        source.backup(copy)
    return copy


def restore(db: Database, copy: sqlite3.Connection) -> None:
    """Put the file back as it was at `snapshot` (pooled connections are dropped first)."""
    db.engine.dispose()
    target = sqlite3.connect(_sqlite_path(db))
    try:
        target.execute("PRAGMA synchronous=OFF")
        copy.backup(target)
    finally:
        target.close()


def no_fsync(db: Database) -> None:
    """Skip fsync on this SQLite file: a test that writes thousands of times need not wait
    for the disk (durability is not what it checks)."""
    event.listen(db.engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    db.engine.dispose()


# ---------------------------------------------------------------------------- outages


@contextmanager
def outage(db: Database) -> Iterator[None]:
    """The database is unreachable inside the block: every session fails to connect, as
    when the server is down; afterwards the real one answers again."""
    real_engine, real_sessions = db.engine, db._sessions
    down = create_engine(UNREACHABLE_SQLITE if db.is_sqlite else UNREACHABLE_PG)
    db.engine = down
    db._sessions = sessionmaker(down, expire_on_commit=False)
    try:
        yield
    finally:
        db.engine, db._sessions = real_engine, real_sessions
        down.dispose()
