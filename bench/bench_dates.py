"""Date parsing (issue 9, item 4): `handlers.text.dates.parse.parse_when` over tests/data/dates.tsv.

Run from the repository root:  python bench/bench_dates.py [--quick] [--rounds N] [--repeats N]

Prints texts per second over the whole corpus, and by language and by path: texts the token
rules read (or refuse) themselves, and English texts they hand to dateparser. One warm-up round
runs first, so one-off costs (dateparser loading its English data, regex compilation) are not
counted. Each repeat is `--rounds` passes over the corpus in corpus order; the figures are the
median over the repeats (the machine is shared), with min–max beside them.

Every answer is also checked against the corpus's expected value, so a benchmark of a parser
that went wrong says so.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import handlers.text.dates.parse as dates
from bench._support import ROOT, header, median, percentile, spread
from handlers.text.dates import fallback
from handlers.text.dates.answer import DateNotUnderstood, When
from handlers.text.dates.parse import parse_when

CORPUS = ROOT / "tests" / "data" / "dates.tsv"


def load(path: Path) -> tuple[datetime, list[tuple[str, str, str]]]:
    """The corpus's `now` (from its header) and its (lang, text, expected) triples."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = re.search(r"now=(\S+) tz=(\S+)", lines[0])
    if found is None:
        raise SystemExit(f"{path}: the first line must state now= and tz=")
    now = datetime.fromisoformat(found[1]).replace(tzinfo=ZoneInfo(found[2]))
    cases = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return now, [(lang, text, expected) for lang, text, expected in cases]


def shown(when: When) -> str:
    """A result as the corpus writes it."""
    return when.value.strftime("%Y-%m-%dT%H:%M" if when.has_time else "%Y-%m-%d")


def answer(text: str, now: datetime, lang: str) -> str:
    try:
        return shown(parse_when(text, now, lang))
    except DateNotUnderstood:
        return "ERROR"


def paths(now: datetime, cases: list[tuple[str, str, str]]) -> list[str]:
    """For each case, "rules" or "dateparser": whether the rules handed it on."""
    handed: list[str] = []
    original = fallback._from_dateparser

    def spy(text: str, when: datetime) -> When:
        handed.append(text)
        return original(text, when)

    result = []
    with mock.patch.object(dates, "_from_dateparser", spy):
        for lang, text, _ in cases:
            before = len(handed)
            with contextlib.suppress(DateNotUnderstood):
                parse_when(text, now, lang)
            result.append("dateparser" if len(handed) > before else "rules")
    return result


def one_pass(now: datetime, cases: list[tuple[str, str, str]], timings: list[int]) -> None:
    """Parse each text once, appending its time in nanoseconds (refusals included)."""
    clock = time.perf_counter_ns
    for lang, text, _ in cases:
        start = clock()
        with contextlib.suppress(DateNotUnderstood):
            parse_when(text, now, lang)
        timings.append(clock() - start)


def run(rounds: int, repeats: int) -> None:
    """Check every answer, then time `repeats` x `rounds` passes and print the figures."""
    now, cases = load(CORPUS)
    wrong = [
        (text, expected) for lang, text, expected in cases if answer(text, now, lang) != expected
    ]
    route = paths(now, cases)
    groups: dict[str, list[int]] = defaultdict(list)  # group -> indexes of cases
    for index, (lang, _, _) in enumerate(cases):
        groups["all"].append(index)
        groups[f"lang {lang}"].append(index)
        groups[f"path {route[index]}"].append(index)

    one_pass(now, cases, [])  # warm-up
    rates: dict[str, list[float]] = defaultdict(list)
    p50s: dict[str, list[float]] = defaultdict(list)
    p99s: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeats):
        timings: list[int] = []
        for _ in range(rounds):
            one_pass(now, cases, timings)
        per_case: list[list[int]] = [timings[i :: len(cases)] for i in range(len(cases))]
        for name, members in groups.items():
            sample = [t for i in members for t in per_case[i]]
            rates[name].append(len(sample) / (sum(sample) / 1e9))
            p50s[name].append(percentile(sample, 50) / 1e3)
            p99s[name].append(percentile(sample, 99) / 1e3)

    print(f"{len(cases)} texts, {len(wrong)} answered otherwise than the corpus expects")
    for text, expected in wrong[:10]:
        print(f"  {text!r}: expected {expected}, got {answer(text, now, 'zh')}")
    print(f"{repeats} repeats x {rounds} rounds; median (min–max) over the repeats")
    print(f"{'texts':18} {'n':>4} {'texts/second':>28} {'p50 µs':>8} {'p99 µs':>9}")
    for name, members in groups.items():
        rate = f"{median(rates[name]):,.0f} ({min(rates[name]):,.0f}–{max(rates[name]):,.0f})"
        print(
            f"{name:18} {len(members):4} {rate:>28} {median(p50s[name]):8.0f} "
            f"{median(p99s[name]):9.0f}"
        )
    print(f"(spread of the overall rate, thousands/s: {spread([r / 1e3 for r in rates['all']])})")


def main() -> None:
    """Command line: --quick, --rounds, --repeats."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    parser.add_argument("--rounds", type=int, help="passes over the corpus per repeat (20)")
    parser.add_argument("--repeats", type=int, help="timed repeats (5)")
    args = parser.parse_args()
    header("date parsing: handlers.text.dates.parse_when on tests/data/dates.tsv")
    run(args.rounds or (5 if args.quick else 20), args.repeats or (3 if args.quick else 5))


if __name__ == "__main__":
    main()
