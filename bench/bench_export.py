"""A big company's export (issue 26, item 4): a year's receptions — 100 000 — exported in one
file by `visitdesk export receptions`, in memory that does not grow with the rows.

Run from the repository root:  python bench/bench_export.py [--quick] [--receptions N]
                                                            [--backends sqlite postgresql]

The bulk company of bench/_data.py (1 000 people, 10 000 clients, `--receptions` receptions
with their approval steps and checklists) is inserted, then its receptions are moved into two
months: all but 1 000 into October 2026 (a year's worth in one month: the largest file an
export can be asked for) and 1 000 into December. Each month is exported by the real command
line (`python -m bot.cli export receptions --month … --format csv|xlsx --out FILE`, this
checkout's code) `--repeats` times; wall time and peak resident memory (/usr/bin/time) are
reported per month and format, medians. Bounded memory: the big month's peak within a few MB
of the small one's, for a hundred times the rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Table, bindparam, select, update

from bench._data import Scale, bulk, focus, insert_rows, reception_template
from bench._support import BACKENDS, ROOT, bench_db, header, median
from handlers.rules.policy.schema import default_policy
from storage.db import Database
from storage.models import Reception

BULK_FIRST_ID = 10_000
SMALL = 1_000  # receptions in the small month
BIG_MONTH, SMALL_MONTH = "2026-10", "2026-12"
FORMATS = ("csv", "xlsx")


def into_months(db: Database) -> dict[str, int]:
    """All receptions but SMALL into BIG_MONTH, SMALL into SMALL_MONTH, spread over the days
    at 10:00 Shanghai; returns how many each month holds."""
    table = Reception.__table__
    assert isinstance(table, Table)
    with db.session() as session:
        ids = list(session.scalars(select(Reception.id).order_by(Reception.id)))
        moves = []
        for number, rid in enumerate(ids):
            month = 12 if number < SMALL else 10
            arrival = datetime(2026, month, 1 + number % 28, 2, 0, tzinfo=UTC)
            moves.append({"rid": rid, "at": arrival, "until": arrival + timedelta(hours=3)})
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("rid"))
            .values(arrival_at=bindparam("at"), departure_at=bindparam("until")),
            moves,
        )
    return {SMALL_MONTH: min(SMALL, len(ids)), BIG_MONTH: max(0, len(ids) - SMALL)}


def export_once(database_url: str, month: str, fmt: str, out: Path) -> tuple[float, float]:
    """One `visitdesk export`: (wall seconds, peak resident MB)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "bot.cli", "export", "receptions", "--month", month]
    command += ["--format", fmt, "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"export {month} {fmt} failed: {done.stderr[-2000:]}")
    return elapsed, int(done.stderr.split()[-1]) / 1024


def run(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    policy = default_policy()
    template = reception_template(workdir, policy)
    scale = Scale(people=1_000, clients=10_000, receptions=args.receptions, visits=1)
    with bench_db(backend, workdir, "export") as bench:
        ids = focus(bench.db, policy, template)
        rows = bulk(scale, template, ids["赵总"], BULK_FIRST_ID)
        seconds = insert_rows(bench.db, rows)
        counts = into_months(bench.db)
        bench.db.dispose()
        print(f"{backend}: {rows.count():,} rows inserted in {seconds:.0f} s; {counts}")
        for fmt in FORMATS:
            peaks = {}
            for month in (SMALL_MONTH, BIG_MONTH):
                out = workdir / f"receptions-{month}.{fmt}"
                runs = [export_once(bench.url, month, fmt, out) for _ in range(args.repeats)]
                peaks[month] = median([r[1] for r in runs])
                print(
                    f"{backend:10} {fmt:4} {month} {counts[month]:>7,} receptions: "
                    f"{median([r[0] for r in runs]):6.1f} s, peak {peaks[month]:6.1f} MB, "
                    f"file {out.stat().st_size / 2**20:6.1f} MB; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            print(
                f"{backend:10} {fmt:4} peak, {counts[BIG_MONTH]:,} rows over {SMALL:,}: "
                f"{peaks[BIG_MONTH] - peaks[SMALL_MONTH]:+.1f} MB",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 000 receptions, one repeat")
    parser.add_argument("--receptions", type=int, help="receptions in all (100 000)")
    parser.add_argument("--repeats", type=int, help="exports of each month and format (3)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    args.receptions = args.receptions or (20_000 if args.quick else 100_000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    header(f"export of {args.receptions:,} receptions: memory against rows")
    with tempfile.TemporaryDirectory(prefix="visitdesk-bench-") as tmp:
        for backend in args.backends:
            run(backend, args, Path(tmp))


if __name__ == "__main__":
    main()
