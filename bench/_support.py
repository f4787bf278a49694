"""What every benchmark shares: the machine's description, the command that ran, statistics,
and databases to run on (a SQLite file, or a private PostgreSQL schema).

PostgreSQL: the URL comes from TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test).
The test suite empties that database's `public` schema whenever it likes (tests/conftest.py
`fresh_database`), so a benchmark never uses `public`: it makes a schema of its own,
`bench_<pid>`, points its connections there with `search_path`, and drops it at the end.
"""

from __future__ import annotations

import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` (the Bot API stand-in) is not an installed package

from sqlalchemy import create_engine, text  # noqa: E402

from handlers.org.chart import import_org, load_org_file  # noqa: E402
from handlers.rules.policy.schema import Policy  # noqa: E402
from storage.db import Database, normalise_url, with_search_path  # noqa: E402
from tests.conftest import EXAMPLE_ORG, START  # noqa: E402  (the corpus's "now", the org)

if TYPE_CHECKING:
    from bot.app import App

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")

__all__ = [
    "BACKENDS",
    "EXAMPLE_ORG",
    "ROOT",
    "START",
    "BenchDb",
    "RunningClock",
    "bench_db",
    "machine",
    "telegram_app",
]


class RunningClock:
    """The test corpus's "now" (Wed 2026-11-18 09:00 Shanghai), then running in real time:
    the form's relative dates ("下周三") read as the tests expect, and timestamps move as in
    production (a frozen clock would let the ORM skip the `last_seen_at` update of each step)."""

    def __init__(self, start: datetime = START) -> None:
        self._start = start
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


def telegram_app(api_url: str, database_url: str) -> App:
    """visitdesk as `visitdesk run telegram` builds it, against a Bot API stand-in."""
    from bot.app import App
    from bot.config import load_settings
    from handlers.engine.core import Core
    from handlers.engine.features import FEATURES
    from handlers.rules.policy.schema import default_policy
    from tests.telegram.botapi import TOKEN

    settings = load_settings(
        environ={
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api_url,
        }
    )
    policy = default_policy()
    db = Database(database_url)
    return App(settings, db, policy, Core(db, policy, FEATURES, RunningClock()))


# ---------------------------------------------------------------------------- reporting


def machine() -> str:
    """One paragraph naming the machine and the software: goes at the top of every output."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import sqlalchemy
    import telegram

    return (
        f"machine: {os.cpu_count()} cores (nproc {_nproc()}), {cpu}; "
        f"Python {platform.python_version()}, python-telegram-bot {telegram.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}; load average {os.getloadavg()[0]:.1f}"
    )


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def command() -> str:
    """The command line that is running, to print beside the numbers."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script
    return "python " + shlex.join([str(shown), *sys.argv[1:]])


def header(title: str) -> None:
    """Print what runs, where, and how it was started."""
    print(f"== {title}")
    print(machine())
    print(f"command: {command()}")
    print(flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated; the value itself for a single sample."""
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=1000, method="inclusive")[round(q * 10) - 1]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def spread(values: Sequence[float]) -> str:
    """`median (min–max)` of repeated measurements, for a table cell."""
    return f"{median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


# ---------------------------------------------------------------------------- databases


@dataclass
class BenchDb:
    """A migrated database for one benchmark run; `url` is what a bot process connects to."""

    backend: str
    url: str
    db: Database

    def close(self) -> None:
        self.db.dispose()


def postgres_base_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG


@contextmanager
def bench_db(backend: str, workdir: Path, name: str = "bench") -> Iterator[BenchDb]:
    """A fresh, migrated database: a SQLite file in `workdir`, or a private PostgreSQL schema
    (dropped again afterwards)."""
    if backend == "sqlite":
        url = f"sqlite:///{workdir / f'{name}.db'}"
        database = Database(url)
        database.upgrade()
        try:
            yield BenchDb(backend, url, database)
        finally:
            database.dispose()
        return
    base = normalise_url(postgres_base_url())
    schema = f"{name}_{os.getpid()}"
    admin = create_engine(base, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        admin.dispose()
        raise SystemExit(f"PostgreSQL at {postgres_base_url()} did not answer: {error}") from None
    url = with_search_path(base, schema)
    database = Database(url)
    try:
        database.upgrade()
        yield BenchDb(backend, url, database)
    finally:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def import_example_org(db: Database, policy: Policy) -> None:
    """examples/org.toml, as tests/conftest.py `org_db` imports it."""
    with db.session() as session:
        import_org(session, load_org_file(EXAMPLE_ORG), policy, START)
