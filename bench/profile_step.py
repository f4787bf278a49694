"""Where a reception step's time goes: the core alone (`Core.handle`, no Telegram), per line
of the form, on SQLite and PostgreSQL, optionally under a profiler.

Run from the repository root:
    python bench/profile_step.py [--quick] [--backends sqlite postgresql] [--by-line]
    python bench/profile_step.py --backends sqlite --profile cprofile|pyinstrument

The same script as bench/bench_step.py (the 27 answers of tests/test_reception.py
`B_CLASS_ANSWERS`, between `/reception` and `/cancel`), typed by `--chats` salespeople in
turn, straight into the core (clock: bench/_support.py `RunningClock`). Prints p50/p99 of the
answers, updates/s, this process's CPU time per update (SQLite's work included, PostgreSQL's
server not), the statements each update runs and the commits' share of the time; `--by-line` the
median per line; `--profile` the profile of the timed forms (pyinstrument must be installed:
`pip install pyinstrument`).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event

from bench._support import BACKENDS, RunningClock, bench_db, header, import_example_org, percentile
from bench.bench_step import add_people, form_texts, people
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event
from handlers.rules.policy.schema import default_policy
from storage.db import Database


class Counter:
    """Statements sent (an engine event) and time spent in the driver's commit (a wrapper)."""

    def __init__(self, db: Database) -> None:
        self.statements = 0
        self.commit_s = 0.0
        event.listen(db.engine, "before_cursor_execute", self._statement)
        dialect = db.engine.dialect
        commit = dialect.do_commit

        def timed_commit(connection: Any) -> None:
            started = time.perf_counter()
            try:
                commit(connection)
            finally:
                self.commit_s += time.perf_counter() - started

        # Timing each commit by wrapping the dialect's method, as a profiler would.
        dialect.do_commit = timed_commit  # type: ignore[method-assign,assignment]

    def _statement(self, *_: Any) -> None:
        self.statements += 1


@contextmanager
def profiled(kind: str | None) -> Iterator[None]:
    """Run the block under the chosen profiler and print its report."""
    if kind is None:
        yield
        return
    if kind == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        yield
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    profile = cProfile.Profile()
    profile.enable()
    yield
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)
    print(out.getvalue())


def run(backend: str, args: argparse.Namespace) -> None:
    policy = default_policy()
    with tempfile.TemporaryDirectory() as tmp, bench_db(backend, Path(tmp), "core") as bench:
        import_example_org(bench.db, policy)
        add_people(bench.db, args.chats)
        core = Core(bench.db, policy, FEATURES, RunningClock())
        counter = Counter(bench.db)
        numbers = iter(range(10**9))
        by_line: dict[int, list[float]] = defaultdict(list)

        def form(user_id: int, client: str, record: bool) -> None:
            for index, (text, _, timed) in enumerate(form_texts(client)):
                started = time.perf_counter()
                core.handle(
                    Event(
                        "telegram",
                        str(user_id),
                        text=text,
                        chat_id=str(user_id),
                        platform_locale="zh-hans",
                        event_id=f"core-{next(numbers)}",
                    )
                )
                if record and timed:
                    by_line[index].append((time.perf_counter() - started) * 1000)

        for user_id, _, client in people(args.chats):  # warm-up
            form(user_id, client, False)
        counter.statements, counter.commit_s = 0, 0.0
        started, cpu = time.perf_counter(), time.process_time()
        with profiled(args.profile):
            for _ in range(args.rounds):
                for user_id, _, client in people(args.chats):
                    form(user_id, client, True)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        updates = args.rounds * args.chats * len(form_texts(""))
        answers = [ms for values in by_line.values() for ms in values]
        print(
            f"{backend:10} core step p50 {percentile(answers, 50):6.2f} ms  "
            f"p99 {percentile(answers, 99):6.2f} ms  {updates / elapsed:6.1f} updates/s  "
            f"CPU {1000 * cpu / updates:5.2f} ms/update  "
            f"{counter.statements / updates:4.1f} statements/update  "
            f"commits {100 * counter.commit_s / elapsed:3.0f}% of the time"
        )
        if args.by_line:
            for index, (text, _, _) in enumerate(form_texts("<client>")):
                if index in by_line:
                    line_ms = statistics.median(by_line[index])
                    print(f"    {index:3} {text[:14]:16} {line_ms:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, help="timed passes over the salespeople (5)")
    parser.add_argument("--chats", type=int, default=4, help="salespeople (4)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--by-line", action="store_true", help="median per line of the form")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    args = parser.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    header("the core alone: Core.handle per reception step, no Telegram")
    for backend in args.backends:
        run(backend, args)


if __name__ == "__main__":
    main()
