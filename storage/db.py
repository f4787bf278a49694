"""The database: engine, sessions and schema upgrades.

SQLite (WAL, foreign keys on) is the embedded default; PostgreSQL is used through psycopg 3
when several bot processes share one database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
_ANNOUNCED = "visitdesk.announced"  # Session.info key: topics to announce on commit


def announce(session: Session, topic: str) -> None:
    """Have `topic`'s listeners (`Database.on_commit`) called once this session's transaction
    commits, not before: a delivery loop learns that messages were queued the moment they
    can be read, and is not woken by work that rolled back (its session ends with it)."""
    session.info.setdefault(_ANNOUNCED, set()).add(topic)


def normalise_url(url: str) -> str:
    """Accept the plain `postgresql://` spelling and use psycopg 3 for it."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def with_search_path(url: str, schema: str) -> str:
    """`url` with its connections working in `schema` (PostgreSQL): several users of one
    database, each in a schema of its own (test workers, benchmarks)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event open transactions (see _sqlite_begin), not the driver.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL's recommended setting: a commit no longer waits for the disk (fsync at checkpoints
    # only). Safe against corruption and against a crash of the bot; a power cut may lose the
    # last moments' commits. bench/RESULTS.md: the fsync was half of a form step on SQLite.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_statistics(dbapi_conn: Any, _record: Any) -> None:
    """Refresh the query planner's statistics: without them SQLite guesses, and on a big
    database walks an index that reads far more rows than the query returns (bench/RESULTS.md,
    scale of data). From SQLite 3.46, `optimize=0x10002` analyses every table that needs it,
    within a time limit. Before, it looks only at tables the connection has used (none yet),
    so ANALYZE, sampling each index (analysis_limit) to take milliseconds at any size.
    Once per pool — the process's start, or after a dispose — not per connection: the
    statistics live in the file, every connection reads them, and a pool under load opens
    and closes overflow connections on the hot path. Without a busy timeout (the connect
    hook sets the real one next): while another connection writes, this one does not wait
    but leaves the statistics to the next start."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    with suppress(sqlite3.OperationalError):  # "database is locked"
        if sqlite3.sqlite_version_info >= (3, 46):
            cursor.execute("PRAGMA optimize=0x10002")
        else:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when a transaction starts: two processes (or threads) deciding
    the same approval then queue up instead of failing on a lock upgrade."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: an engine, a session factory, and its migrations."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        # A server may drop idle connections (a restart, a proxy): test one before use. A
        # SQLite file cannot, and the test would be a statement more on every step.
        sqlite = make_url(self.url).get_backend_name() == "sqlite"
        self.engine: Engine = create_engine(self.url, pool_pre_ping=not sqlite)
        if sqlite:
            event.listen(self.engine, "first_connect", _sqlite_statistics)
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        event.listen(self._sessions, "after_commit", self._announce)

    def on_commit(self, topic: str, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` (in the committing thread) after each commit that announced
        `topic`; returns the function that stops it (calling it again does nothing)."""
        listeners = self._listeners.setdefault(topic, [])
        listeners.append(listener)

        def stop() -> None:
            with suppress(ValueError):  # stopped already
                listeners.remove(listener)

        return stop

    def _announce(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint: nothing is readable by others until the outer commit
        for topic in session.info.pop(_ANNOUNCED, ()):
            for listener in list(self._listeners.get(topic, ())):
                listener()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to date through the migrations."""
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several processes may start at once: one migrates, the others wait.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4242)")
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def is_empty(self) -> bool:
        return not inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
