"""Benchmark handlers.dates.parse_when on every text of tests/data/dates.tsv.

Run from the repository root:  python bench/bench_dates.py [--rounds N]
Prints texts per second and the p50 / p99 / max time of one parse. One warm-up round runs
first, so one-off costs (dateparser loading its English data) are not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script, without installing the package

from handlers.dates import DateNotUnderstood, parse_when  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "dates.tsv"


def load(path: Path) -> tuple[datetime, list[tuple[str, str]]]:
    """The corpus's `now` (from its header) and its (lang, text) pairs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = re.search(r"now=(\S+) tz=(\S+)", lines[0])
    if header is None:
        raise SystemExit(f"{path}: the first line must state now= and tz=")
    now = datetime.fromisoformat(header[1]).replace(tzinfo=ZoneInfo(header[2]))
    cases = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return now, [(lang, text) for lang, text, _expected in cases]


def parse_once(text: str, now: datetime, lang: str) -> int:
    """Nanoseconds one parse takes, refusals included."""
    start = time.perf_counter_ns()
    with contextlib.suppress(DateNotUnderstood):
        parse_when(text, now, lang)
    return time.perf_counter_ns() - start


def run(rounds: int) -> None:
    """Parse every corpus text `rounds` times and print the figures."""
    now, cases = load(CORPUS)
    for lang, text in cases:
        parse_once(text, now, lang)
    timings = [parse_once(text, now, lang) for _ in range(rounds) for lang, text in cases]
    total_s = sum(timings) / 1e9
    percentiles = statistics.quantiles(timings, n=100)
    print(f"{len(cases)} texts x {rounds} rounds = {len(timings)} parses in {total_s:.2f} s")
    print(f"{len(timings) / total_s:,.0f} texts/second")
    print(f"p50 {percentiles[49] / 1e3:.0f} µs   p99 {percentiles[98] / 1e3:.0f} µs   ", end="")
    print(f"max {max(timings) / 1e3:.0f} µs")


def main() -> None:
    """Command line: --rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="passes over the corpus")
    run(parser.parse_args().rounds)


if __name__ == "__main__":
    main()
