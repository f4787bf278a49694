"""`visitdesk export receptions|visits|scorecard --month YYYY-MM --format csv|xlsx
[--team NAME] [--out FILE] [--lang zh|en]`: the operator's export, of the whole company
unless `--team`. `scorecard --format png` writes the scorecard's chart.

The file is written beside its final name and renamed into place when complete, so a failed
export never leaves half a file. On SQLite the export reads through its own read-only
connection in a deferred transaction: a consistent snapshot (WAL) that takes no write lock,
so the bot keeps working while a large month is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator, choose_locale
from handlers.exports import (
    EXPORTS,
    ExportError,
    export,
    filename,
    resolve_scope,
    scorecard_chart,
)
from handlers.exports.common import read_month
from handlers.exports.table import FORMATS, Format
from storage.db import Database

if TYPE_CHECKING:
    from handlers.rules.policy.schema import Policy

KINDS = tuple(EXPORTS)


def _read_only_sqlite(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly, below
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _deferred_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no write lock


@contextmanager
def reading(db: Database) -> Iterator[Session]:
    """A session for a long read that must not hold up the bot's writes."""
    if not db.is_sqlite:
        with db.session() as session:
            yield session  # PostgreSQL: readers never block writers
        return
    engine = create_engine(db.url)
    event.listen(engine, "connect", _read_only_sqlite)
    event.listen(engine, "begin", _deferred_begin)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def command_line(
    db: Database,
    policy: Policy,
    kind: str,
    month_text: str,
    fmt: str,
    team: str | None = None,
    out: str | None = None,
    lang: str | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Run one export; prints where it went (or what is wrong) and returns the exit code."""
    stderr = stderr or sys.stderr
    t = Translator(choose_locale(lang, None, policy.org.default_locale))
    tz = ZoneInfo(policy.org.default_timezone)
    chart = fmt == "png"
    if kind not in EXPORTS or not (fmt in FORMATS or (chart and kind == "scorecard")):
        print(f"cannot export {kind} as {fmt}: csv or xlsx (scorecard: also png)", file=stderr)
        return 2
    try:
        month = read_month(month_text, datetime.now(tz).date())
        with reading(db) as session:
            scope = resolve_scope(session, team=team)

            def write(handle: IO[bytes]) -> int:
                if not chart:
                    table: Format = "csv" if fmt == "csv" else "xlsx"
                    return export(session, policy, kind, month, table, handle, t, tz, scope)
                made = scorecard_chart(session, policy, month, t, tz, scope)
                if made is None:
                    raise ExportError("exp.score.none", whose=team or t("exp.scope.all"))
                handle.write(made.chart.png)
                return made.people

            if out == "-":
                count = write(sys.stdout.buffer)
                sys.stdout.buffer.flush()
                print(f"{count} rows", file=stderr)
                return 0
            path = Path(out or filename(kind, month, fmt, scope))
            partial = path.with_name(f".{path.name}.partial")
            try:
                with partial.open("wb") as handle:
                    count = write(handle)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
    except ExportError as error:
        print(t(error.key, **error.params), file=stderr)
        return 1
    print(f"{count} rows → {path}", file=stderr)
    return 0
