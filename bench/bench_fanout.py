"""Digest fan-out (issue 9, item 3): the daily digests of 1 000 people built, handed to the
outbox, and sent through the Telegram adapter at Telegram's pace.

Run from the repository root:  python bench/bench_fanout.py [--quick] [--backends ...]

The company is bench/_data.py's focus plus a bulk company of `--people` people (10 clients,
100 receptions and 200 visits each), everyone linked to Telegram. The bot runs in a process of
its own as production runs it — `bot.telegram.TelegramBot` with the production
`TelegramLimits` (30 messages a second overall) and its outbox loop, and the scheduler's loop
(`bot.scheduler.run_scheduler`), both every TICK_SECONDS (5, the default) — on a clock that
starts on the corpus's day (Wed 2026-11-18, Shanghai) at the hand-over, `schedule.HAND_OVER`
before the 08:30 digest time. The first tick plans a digest row per person, renders each and
puts it in the outbox for 08:30, along with the at-risk alerts it finds due (several to some
managers; a chat gets one a second, as Telegram asks), which go out at once. When that tick
is done the clock skips to 08:30 (production would wait those minutes), and the outbox loop
sends the digests. The stand-in notes when each sendMessage arrives. Reported:

* hand-over: the duration of the tick that put every digest in the outbox, and how many
  alerts arrived while it ran (on SQLite the tick must not keep the sender from the database);
* digests: from their time to the first and to the last; digests per second from the first
  to the last (target ≥ 95 % of Telegram's 30/s, 28.5/s) and steady (5th to 95th percentile);
  and the most messages of any kind that arrived in any one second (≤ 30).

Between repeats the outbox and the reminders the clock made (digests, at-risk alerts) are
deleted, so every repeat sends the same day's messages again.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import json
import os
import re
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete

from bench._data import Scale, bulk, focus, insert_rows, reception_template
from bench._support import (
    BACKENDS,
    ROOT,
    START,
    RunningClock,
    bench_db,
    header,
    median,
    percentile,
    telegram_app,
)
from handlers.engine.i18n import LOCALES, catalog
from handlers.rules.policy.schema import Policy, default_policy
from storage.db import Database
from storage.models import OutboxMessage, Reminder
from tests.telegram.botapi import BotApi

TELEGRAM_RATE = 30.0  # messages a second, Telegram's overall limit for a bot
BULK_FIRST_ID = 1_000_000
CLOCK_KINDS = ("digest.daily", "digest.weekly_chart", "approval.at_risk")  # handlers/schedule.py
START_TIMEOUT = 60.0


# ---------------------------------------------------------------------------- the bot


class SkippingClock(RunningClock):
    """Real time from `start`, and able to skip ahead: the minutes between the hand-over
    and the digest time, when production only waits, pass at once."""

    def skip_to(self, moment: datetime) -> None:
        self._start += max(moment - self(), timedelta(0))


async def serve(api_url: str, database_url: str) -> None:
    """The production adapter, limits and scheduler loop on a clock starting at the
    hand-over; each tick is reported as a JSON line, and once the digests are in the outbox
    the clock skips to their time."""
    from bot import scheduler
    from bot.telegram import TelegramBot
    from handlers import schedule

    app = telegram_app(api_url, database_url)
    due = digest_time(app.policy)
    clock = SkippingClock(due - schedule.HAND_OVER)
    app.core.clock = clock
    production_tick = schedule.tick

    def tick(
        db: Database, policy: Policy, now: datetime, batch: int = schedule.BATCH
    ) -> schedule.TickReport:
        started = time.time()
        report = production_tick(db, policy, now, batch)
        digests = sum(key.startswith("digest:") for key in report.sent)
        if digests:
            clock.skip_to(due)
        line = {
            "started": started,
            "done": time.time(),
            "queued": len(report.sent),
            "digests": digests,
            "failed": report.failed,
            # when the clock reads the digest time (now, if it skipped there)
            "due": time.time() + (due - clock()).total_seconds(),
        }
        print(json.dumps(line), flush=True)
        return report

    schedule.tick = tick  # the loop below is production's; only the clock skips
    bot = TelegramBot(app)
    await bot.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await scheduler.run_scheduler(app, stop)
    finally:
        await bot.stop()
        app.db.dispose()


def digest_time(policy: Policy) -> datetime:
    """The corpus day's digest time in the org's zone (everyone in the bulk company's)."""
    tz = ZoneInfo(policy.org.default_timezone)
    return datetime.combine(START.astimezone(tz).date(), policy.digest.time, tz)


# ---------------------------------------------------------------------------- the stand-in


def greetings() -> re.Pattern[str]:
    """The first line of a digest, in any language of the catalogs."""
    forms = [catalog(locale)["digest.greeting"] for locale in LOCALES]
    return re.compile("|".join(re.sub(r"\\\{\w+\\\}", ".*", re.escape(f)) for f in forms))


class ClockedBotApi(BotApi):
    """The stand-in, noting the wall-clock time each sendMessage arrives, and which are
    digests (the rest are other reminders the tick found due)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []
        self.digest_at: list[float] = []
        self.per_chat: dict[int, int] = {}
        self._greeting = greetings()

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        self.sent_at.append(time.time())
        if self._greeting.match(params["text"].split("\n", 1)[0]):
            self.digest_at.append(self.sent_at[-1])
        chat = int(params["chat_id"])
        self.per_chat[chat] = self.per_chat.get(chat, 0) + 1
        return await super()._api_sendMessage(params)


@dataclass
class Round:
    people: int
    queued: int  # messages the ticks put in the outbox
    digests: int  # of them, the digests
    handover_s: float  # the tick that rendered the digests and put them in the outbox
    alerts_in_handover: int  # other messages (at-risk alerts) that arrived during that tick
    first_alert_s: float  # from the tick's start to the first of them
    first_digest_s: float  # from the digest time to the first digest
    digest_rate: float  # digests/s from the first digest to the last
    steady_rate: float  # digests/s from the 5th to the 95th percentile
    gaps_ms: tuple[float, float, float]  # between consecutive digests: p50, p99, max
    busiest: int  # the most messages (of any kind) in any one-second window
    last_digest_s: float  # from the digest time to the last digest
    chats: int  # chats written to
    most_to_one_chat: int  # messages to the busiest chat (paced at one a second)


def steady(times: list[float]) -> float:
    """Messages per second between the 5th and the 95th percentile arrival: the pace while
    many chats have something due, without the start and the tail."""
    first, last = round(0.05 * (len(times) - 1)), round(0.95 * (len(times) - 1))
    span = times[last] - times[first]
    return (last - first) / span if span > 0 else float("inf")


def busiest_second(times: list[float]) -> int:
    """The most arrivals in any window of one second."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_right(ordered, t + 1.0) - i for i, t in enumerate(ordered)), default=0
    )


async def one_round(database_url: str, people: int) -> Round:
    api = ClockedBotApi()
    url = await api.start()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--serve",
        "--api",
        url,
        "--database",
        database_url,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    ticks: list[dict[str, Any]] = []

    async def read_ticks() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            ticks.append(json.loads(line))

    reader = None
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        if line.strip() != b"ready":
            raise SystemExit(f"the bot did not start (exit {await process.wait()})")
        reader = asyncio.create_task(read_ticks())
        deadline = time.monotonic() + START_TIMEOUT + people * 0.5
        while not any(t["digests"] for t in ticks) or len(api.sent_at) < queued(ticks):
            if process.returncode is not None or time.monotonic() > deadline:
                raise SystemExit(f"{len(api.sent_at)} of {queued(ticks)} messages arrived")
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # nothing more should come
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        if reader is not None:
            await reader
        await api.close()
    if failed := sum(t["failed"] for t in ticks):
        raise SystemExit(f"{failed} reminders failed to render")
    if len(api.sent_at) != queued(ticks):
        raise SystemExit(f"{len(api.sent_at)} messages arrived for {queued(ticks)} queued")
    handover = next(t for t in ticks if t["digests"])
    digests = sorted(api.digest_at)
    alerts = sorted(set(api.sent_at) - set(digests))
    gaps = [1000 * (b - a) for a, b in itertools.pairwise(digests)] or [0.0]
    return Round(
        people=people,
        queued=queued(ticks),
        digests=len(digests),
        handover_s=handover["done"] - handover["started"],
        alerts_in_handover=sum(t <= handover["done"] for t in alerts),
        first_alert_s=alerts[0] - handover["started"] if alerts else float("nan"),
        first_digest_s=digests[0] - handover["due"],
        digest_rate=(len(digests) - 1) / (digests[-1] - digests[0]),
        steady_rate=steady(digests),
        gaps_ms=(percentile(gaps, 50), percentile(gaps, 99), max(gaps)),
        busiest=busiest_second(api.sent_at),
        last_digest_s=digests[-1] - handover["due"],
        chats=len(api.per_chat),
        most_to_one_chat=max(api.per_chat.values()),
    )


def queued(ticks: list[dict[str, Any]]) -> int:
    return sum(t["queued"] for t in ticks)


def reset_day(db: Database) -> None:
    """Forget what the clock made due today (digests, at-risk alerts) and the whole outbox,
    so every repeat's tick makes and sends the same messages again."""
    with db.session() as session:
        session.execute(delete(OutboxMessage))
        session.execute(delete(Reminder).where(Reminder.kind.in_(CLOCK_KINDS)))


async def benchmark(args: argparse.Namespace) -> None:
    policy = default_policy()
    results: dict[str, list[Round]] = {}
    with tempfile.TemporaryDirectory(prefix="visitdesk-fanout-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        template = reception_template(workdir, policy)
        each = args.data_each  # a person's clients, receptions and visits: 10, 100, 200 at 1
        scale = Scale(
            args.people,
            max(1, round(args.people * 10 * each)),
            max(1, round(args.people * 100 * each)),
            max(1, round(args.people * 200 * each)),
        )
        databases = {}
        for backend in args.backends:
            bench = stack.enter_context(bench_db(backend, workdir, "fanout"))
            ids = focus(bench.db, policy, template)
            insert_rows(bench.db, bulk(scale, template, ids["赵总"], BULK_FIRST_ID))
            databases[backend] = bench
            results[backend] = []
        print(f"company: the focus plus {scale}\n", flush=True)
        for repeat in range(args.repeats):
            for backend in args.backends if repeat % 2 == 0 else args.backends[::-1]:
                bench = databases[backend]
                reset_day(bench.db)
                r = await one_round(bench.url, args.people)
                results[backend].append(r)
                print(
                    f"repeat {repeat + 1}/{args.repeats} {backend:10} {r.queued} messages "
                    f"({r.digests} digests) to {r.chats} chats (at most {r.most_to_one_chat} to "
                    f"one): hand-over {r.handover_s:.1f} s, {r.alerts_in_handover} of "
                    f"{r.queued - r.digests} alerts sent meanwhile (first after "
                    f"{r.first_alert_s:.1f} s); digests from {r.first_digest_s:.1f} s after "
                    f"their time to {r.last_digest_s:.1f} s, {r.digest_rate:.2f}/s "
                    f"({r.steady_rate:.2f} steady), busiest second {r.busiest}; digest gaps "
                    "p50/p99/max " + "/".join(f"{g:.0f}" for g in r.gaps_ms) + " ms",
                    flush=True,
                )
    print(f"\nmedians of {args.repeats} repeats (Telegram's limit: {TELEGRAM_RATE:.0f}/s)")
    print(
        f"{'database':10} {'messages':>8} {'digests':>7} {'hand-over s':>11} {'ms/msg':>6} "
        f"{'first s':>7} {'digest/s':>8} {'steady':>6} {'% of 30':>7} {'busiest 1 s':>11} "
        f"{'last s':>6}"
    )
    for backend, rounds in results.items():
        handover = median([r.handover_s for r in rounds])
        messages = median([r.queued for r in rounds])
        digest_rate = median([r.digest_rate for r in rounds])
        print(
            f"{backend:10} {messages:8.0f} {median([r.digests for r in rounds]):7.0f} "
            f"{handover:11.1f} {1000 * handover / messages:6.1f} "
            f"{median([r.first_digest_s for r in rounds]):7.1f} {digest_rate:8.2f} "
            f"{median([r.steady_rate for r in rounds]):6.2f} "
            f"{100 * digest_rate / TELEGRAM_RATE:7.0f} {max(r.busiest for r in rounds):11} "
            f"{median([r.last_digest_s for r in rounds]):6.1f}"
        )
    print(
        "hand-over: the tick that rendered every digest (and the alerts due) into the outbox; "
        "first s / last s: from the digest time to the first / last digest; digest/s: first "
        "to last digest (% of 30 is of this); steady: 5th to 95th percentile digest; busiest "
        "1 s: the most messages in any one second, over all repeats. Targets: digest/s ≥ 95 % "
        "of 30 (28.5), busiest second ≤ 30."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 people, one repeat")
    parser.add_argument("--people", type=int, help="people in the bulk company (1000)")
    parser.add_argument("--repeats", type=int, help="rounds per database (3)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument(
        "--data-each",
        type=float,
        default=1.0,
        help="each person's share of data, relative to 10 clients, 100 receptions, 200 visits "
        "(10 000 people at 0.1: the 1 000-person company's rows, spread over ten times the "
        "people)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        asyncio.run(serve(args.api, args.database))
        return
    args.people = args.people or (300 if args.quick else 1000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    header("digest fan-out: build, hand over and send the daily digests at Telegram's pace")
    began = time.monotonic()
    asyncio.run(benchmark(args))
    print(f"({time.monotonic() - began:.0f} s in all)")


if __name__ == "__main__":
    main()
