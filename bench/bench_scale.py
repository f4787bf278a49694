"""Scale of data (issue 9, item 2): a reception step and one person's digest on an empty
database and on a full one (1 000 people, 10 000 clients, 100 000 receptions, 1 000 000 visits),
measured in the same run; then the query plan of every statement they ran on the full one.

Run from the repository root:
    python bench/bench_scale.py [--quick] [--backends sqlite postgresql] [--factor F]

`--quick` is a tenth of the size (--factor 0.1). Both databases hold the focus of
bench/_data.py (examples/org.toml linked to Telegram, with today's items for 李明, 王经理...);
the full one adds the bulk company around it. Measured, alternating empty and full:

* step: 李明 types tests/test_reception.py's form through `Core.handle`, followed by an
  outbox claim (the adapters claim when a commit queued messages and every tick; one per
  update is the worse case) — the Telegram part does not depend on the data, see
  bench/bench_step.py; p50/p99 of the 27 answers;
* digest: `handlers.digest.engine.build` for 李明 (sales), 王经理 (manager), 赵总 (GM), 钱会计
  (finance), 孙行政 (admin office), 周前台 (front desk); the median of the builds.

Then, on the full database, every SELECT / UPDATE / DELETE the step and the digests sent is
explained (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`), and each that reads a whole
table of 1 000 rows or more (a SQLite `SCAN`, a PostgreSQL `Seq Scan`) is listed with the
visitdesk function that sent it. Both databases have the planner's statistics: PostgreSQL's
from an ANALYZE after the insert, as autovacuum would; SQLite's from visitdesk itself, which
analyses a database when it opens a connection to it (storage/db.py).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select

import handlers.engine.features  # noqa: F401  (every feature registers its digest sections)
from bench._data import (
    FIRST_TELEGRAM_ID,
    TODAY,
    Scale,
    Template,
    bulk,
    focus,
    insert_rows,
    reception_template,
    table_sizes,
)
from bench._support import (
    BACKENDS,
    START,
    BenchDb,
    RunningClock,
    bench_db,
    header,
    median,
    percentile,
)
from bench.bench_step import form_texts
from handlers import outbox
from handlers.digest import engine as digest
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event
from handlers.rules.policy.schema import Policy, default_policy
from storage.db import Database
from storage.models import Identity, Person

READERS = {
    "李明": "sales",
    "王经理": "manager",
    "赵总": "gm",
    "钱会计": "finance",
    "孙行政": "admin office",
    "周前台": "front desk",
}
BIG_TABLES = (
    "person",
    "identity",
    "client",
    "reception",
    "approval_step",
    "checklist_item",
    "reminder",
    "visit",
    "visit_plan",
    "plan_entry",
    "outbox",
    "audit",
    "inbound_event",
    "delivered_card",
    "draft",
)
BULK_FIRST_ID = 1_000_000
MIN_ROWS = 1_000  # a whole-table read of a smaller table is not reported


# ---------------------------------------------------------------------------- measuring


@dataclass
class Tally:
    step_ms: list[float] = field(default_factory=list)
    digest_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    digest_lines: dict[str, int] = field(default_factory=dict)


class Stepper:
    """李明 at his phone: the form through the core, and the adapter's outbox claim."""

    def __init__(self, db: Database, policy: Policy) -> None:
        self.db = db
        self.core = Core(db, policy, FEATURES, RunningClock())
        with db.session() as session:
            person = session.scalars(select(Person).where(Person.name == "李明")).one()
            self.user = session.scalars(
                select(Identity.platform_user).where(Identity.person_id == person.id)
            ).one()
        self.numbers = iter(range(10**9))

    def form(self, tally: Tally | None) -> None:
        for text, expected, timed in form_texts("华东机电"):
            started = time.perf_counter()
            replies = self.core.handle(
                Event(
                    "telegram",
                    self.user,
                    text=text,
                    chat_id=self.user,
                    platform_locale="zh-hans",
                    event_id=f"scale-{next(self.numbers)}",
                )
            )
            outbox.claim(self.db, "telegram", self.core.clock())
            elapsed = (time.perf_counter() - started) * 1000
            shown = "\n".join(m.text for m in replies)
            if expected and expected not in shown:
                raise SystemExit(f"after {text!r} expected {expected!r} in {shown!r}")
            if tally is not None and timed:
                tally.step_ms.append(elapsed)


def digests(db: Database, policy: Policy, tally: Tally | None, builds: int) -> None:
    """Build each reader's digest `builds` times, each in a transaction of its own."""
    for name in READERS:
        for _ in range(builds):
            started = time.perf_counter()
            with db.session() as session:
                person = session.scalars(select(Person).where(Person.name == name)).one()
                message = digest.build(session, policy, person, START, TODAY)
            if tally is not None:
                tally.digest_ms[name].append((time.perf_counter() - started) * 1000)
                tally.digest_lines[name] = len(message.text.splitlines()) if message else 0


# ---------------------------------------------------------------------------- plans


@dataclass
class Statement:
    sql: str
    parameters: Any
    origin: str


@contextmanager
def recording(db: Database) -> Iterator[list[Statement]]:
    """Every statement sent while the block runs, with the visitdesk frame that sent it."""
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        if not re.match(r"\s*(SELECT|UPDATE|DELETE)\b", sql, re.IGNORECASE):
            return
        frames = [
            f
            for f in traceback.extract_stack()
            if "/handlers/" in f.filename or "/bot/" in f.filename
        ]
        origin = "?"
        if frames:
            frame = frames[-1]
            origin = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}:"
            origin += f"{frame.lineno} {frame.name}"
        seen.append(Statement(sql, parameters, origin))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def whole_table_reads(db: Database, statements: list[Statement]) -> list[tuple[str, str, str]]:
    """(origin, plan line, SQL) of each distinct statement that reads a whole table of at
    least `MIN_ROWS` rows (PostgreSQL rightly reads a table of a few rows whole)."""
    sizes = table_sizes(db, BIG_TABLES)
    found: dict[tuple[str, str], tuple[str, str, str]] = {}
    pattern = re.compile(r"\bSCAN (\w+)") if db.is_sqlite else re.compile(r"Seq Scan on (\w+)")
    with db.engine.connect() as conn:
        for statement in statements:
            prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
            lines = [str(row[-1]) for row in rows]
            for line in lines:
                match = pattern.search(line)
                table = match[1] if match else ""
                if sizes.get(table, 0) >= MIN_ROWS and "COVERING INDEX" not in line:
                    shown = f"{line.strip()}   [{table}: {sizes[table]:,} rows]"
                    key = (statement.origin, shown)
                    found.setdefault(key, (statement.origin, shown, statement.sql))
        conn.rollback()
    return list(found.values())


# ---------------------------------------------------------------------------- the run


def build_pair(
    backend: str, workdir: Path, scale: Scale, template: Template, policy: Policy, stack: ExitStack
) -> dict[str, BenchDb]:
    """The empty database (focus only) and the full one (focus + bulk)."""
    pair = {}
    for label in ("empty", "full"):
        bench = stack.enter_context(bench_db(backend, workdir, f"scale_{label}"))
        ids = focus(bench.db, policy, template)
        if label == "full":
            rows = bulk(scale, template, ids["赵总"], BULK_FIRST_ID)
            seconds = insert_rows(bench.db, rows)
            print(f"{backend}: inserted {rows.count():,} rows in {seconds:.0f} s", flush=True)
            bench.db.dispose()  # as a bot starting on a full database: new connections
        pair[label] = bench
    return pair


def run(backend: str, args: argparse.Namespace, workdir: Path, template: Template) -> None:
    policy = default_policy()
    with ExitStack() as stack:
        pair = build_pair(backend, workdir, args.scale, template, policy, stack)
        sizes = table_sizes(pair["full"].db, ("person", "client", "reception", "visit"))
        print(f"{backend} full: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
        steppers = {label: Stepper(b.db, policy) for label, b in pair.items()}
        for label, bench in pair.items():  # warm up
            steppers[label].form(None)
            digests(bench.db, policy, None, 1)
        tallies: dict[str, list[Tally]] = {label: [] for label in pair}
        order = list(pair)
        for repeat in range(args.repeats):
            for label in order if repeat % 2 == 0 else order[::-1]:
                tally = Tally()
                for _ in range(args.forms):
                    steppers[label].form(tally)
                digests(pair[label].db, policy, tally, args.builds)
                tallies[label].append(tally)
        report(backend, tallies)
        with recording(pair["full"].db) as statements:
            steppers["full"].form(None)
            digests(pair["full"].db, policy, None, 1)
        reads = whole_table_reads(pair["full"].db, statements)
        print(f"\n{backend}: {len(statements)} statements explained on the full database; ", end="")
        print(f"{len(reads)} read a whole table:" if reads else "none reads a whole table.")
        for origin, line, sql in reads:
            print(f"  {origin}\n      {line}\n      {' '.join(sql.split())[:160]}")
        print()


def report(backend: str, tallies: dict[str, list[Tally]]) -> None:
    """Medians over the repeats; full ÷ empty per repeat, then the median."""
    empty, full = tallies["empty"], tallies["full"]
    pairs = list(zip(full, empty, strict=True))

    def line(what: str, get: Any) -> None:
        e, f = median([get(t) for t in empty]), median([get(t) for t in full])
        ratio = median([get(a) / get(b) for a, b in pairs])
        print(f"  {what:28} {e:9.2f} {f:9.2f} {ratio:7.2f}")

    print(
        f"\n{backend}: medians of {len(full)} repeats, ms   {'empty':>9} {'full':>9} {'full ×':>7}"
    )
    line("step p50", lambda t: percentile(t.step_ms, 50))
    line("step p99", lambda t: percentile(t.step_ms, 99))
    for name, role in READERS.items():
        lines = full[-1].digest_lines.get(name, 0)
        line(f"digest {name} ({role}, {lines} lines)", lambda t, n=name: median(t.digest_ms[n]))
    print("  target: full × ≤ 2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the size, fewer repeats")
    parser.add_argument("--factor", type=float, help="size relative to the issue's (1.0)")
    parser.add_argument("--repeats", type=int, help="alternations of empty and full (5)")
    parser.add_argument("--forms", type=int, default=2, help="forms per repeat (2)")
    parser.add_argument("--builds", type=int, default=3, help="digest builds per reader (3)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    args.scale = Scale().scaled(args.factor or (0.1 if args.quick else 1.0))
    args.repeats = args.repeats or (3 if args.quick else 5)
    header(f"scale of data: a step and a digest, empty database vs {args.scale}")
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="visitdesk-scale-") as tmp:
        workdir = Path(tmp)
        template = reception_template(workdir, default_policy())
        for backend in args.backends:
            run(backend, args, workdir, template)
    print(f"({time.monotonic() - began:.0f} s in all; Telegram ids from {FIRST_TELEGRAM_ID})")


if __name__ == "__main__":
    main()
