"""Shared fixtures: a migrated database (SQLite always, PostgreSQL where one answers at
TEST_DATABASE_URL), the default policy, a fake clock, and the example company."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.org.chart import import_org, load_org_file
from handlers.rules.policy.schema import Policy, default_policy
from storage.db import Database, alembic_config, normalise_url, with_search_path
from storage.models import Base
from tests.support import Company, FakeClock

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ORG = ROOT / "examples" / "org.toml"
# Wednesday 2026-11-18 09:00 in Shanghai, the dev date corpus's "now".
START = datetime(2026, 11, 18, 1, 0, tzinfo=UTC)


# The PostgreSQL schema the tests empty at will: `public`, or under pytest-xdist one per worker,
# so that workers sharing TEST_DATABASE_URL never empty each other's tables.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
SCHEMA = f"test_{WORKER}" if WORKER else "public"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 2})
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"' if WORKER else "select 1"))
        engine.dispose()
    except Exception:
        return None
    return with_search_path(url, SCHEMA) if WORKER else url


POSTGRES_URL = _postgres_url()
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
Reserve = Callable[[], int]


def fresh_database(backend: str, tmp_path: Path) -> Database:
    """A new, migrated database: a copy of a migrated SQLite file in tmp_path, or the
    PostgreSQL schema emptied. Migrating from scratch cost each test 65 ms (SQLite) or
    260 ms (PostgreSQL); tests/test_migrations.py still checks the migrations themselves."""
    if backend == "sqlite":
        path = tmp_path / "visitdesk.db"
        shutil.copyfile(_migrated_sqlite_file(), path)
        return Database(f"sqlite:///{path}")
    if POSTGRES_URL is None:
        pytest.skip("no PostgreSQL answers at TEST_DATABASE_URL")
    db = Database(POSTGRES_URL)
    if not _emptied_if_at_head(db):  # a new database, or one a test left in another shape
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        db.upgrade()
    return db


@functools.cache
def _migrated_sqlite_file() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="visitdesk-migrated-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    db = Database(f"sqlite:///{folder / 'migrated.db'}")
    db.upgrade()
    db.dispose()  # the last connection closes: the WAL is folded into the file
    return folder / "migrated.db"


@functools.cache
def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _emptied_if_at_head(db: Database) -> bool:
    """Empty every table (ids restart at 1) if the schema is exactly the migrations' head."""
    tables = sorted(Base.metadata.tables)
    with db.engine.begin() as conn:
        if set(inspect(conn).get_table_names()) != {*tables, "alembic_version"}:
            return False
        if MigrationContext.configure(conn).get_current_revision() != _head():
            return False
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    return True


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """SQLite by default; a test module widens it with `pytestmark` / parametrize."""
    return str(request.param)


@pytest.fixture
def db(backend: str, tmp_path: Path) -> Iterator[Database]:
    database = fresh_database(backend, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def policy() -> Policy:
    return default_policy()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def org_db(db: Database, policy: Policy, clock: FakeClock) -> Database:
    """The database with examples/org.toml imported."""
    with db.session() as session:
        import_org(session, load_org_file(EXAMPLE_ORG), policy, clock())
    return db


@pytest.fixture
def core(org_db: Database, policy: Policy, clock: FakeClock) -> Core:
    return Core(org_db, policy, FEATURES, clock)


@pytest.fixture
def company(core: Core, clock: FakeClock) -> Company:
    return Company(core, clock)


@pytest.fixture
def reserve_port() -> Iterator[Reserve]:
    """Ports of 127.0.0.1 for servers a test starts at a HOST:PORT setting, each held for the
    test until it ends.

    A port found free and let go (pytest's unused_tcp_port) can go to another worker's bind(0)
    or to an outgoing connection before the test's server binds it. Held bound, not listening,
    with SO_REUSEADDR, it goes to nobody else, while the server (asyncio and tornado set
    SO_REUSEADDR) binds it beside the holder: Linux allows that until one of them listens.
    BSD and macOS do not; the suite runs on Linux (.ci/run)."""
    with ExitStack() as held:

        def reserve() -> int:
            holder = held.enter_context(socket.socket())
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            holder.bind(("127.0.0.1", 0))
            return int(holder.getsockname()[1])

        yield reserve
