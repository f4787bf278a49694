"""Digest fan-out (issue 9, item 3): the daily digests of 1 000 people built, handed to the
outbox, and sent through the Telegram adapter at Telegram's pace.

Run from the repository root:  python bench/bench_fanout.py [--quick] [--backends ...]

The company is bench/_data.py's focus plus a bulk company of `--people` people (10 clients,
100 receptions and 200 visits each), everyone linked to Telegram. The bot runs in a process of
its own as production runs it — `bot.telegram.TelegramBot` with the production
`TelegramLimits` (30 messages a second overall) and its outbox loop (TICK_SECONDS 5, the
default) — on the corpus's clock (Wed 2026-11-18 09:00 Shanghai, inside the digest window).
In it, one scheduler tick (`bot.scheduler.tick`: plan a digest row per person, render each,
put it in the outbox) runs in a worker thread, timed; the outbox loop picks the messages up
and sends them. The stand-in notes when each sendMessage arrives. Reported:

* build + hand over: the tick's duration (every digest rendered and in the outbox);
* send rate: messages per second from the first to the last; steady (between the 5th and the
  95th percentile arrival); and digests per second from the first digest to the last (the
  tick also queues the at-risk alerts it finds due, several to some managers, and a chat
  gets one a second, as Telegram asks), against Telegram's 30/s (target: digests ≥ 95 %,
  28.5/s); and the most messages that arrived in any one second (≤ 30);
* all delivered: from the tick's start to the last message.

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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete

from bench._data import Scale, bulk, focus, insert_rows, reception_template
from bench._support import (
    BACKENDS,
    ROOT,
    bench_db,
    header,
    median,
    percentile,
    telegram_app,
)
from handlers.i18n import LOCALES, catalog
from handlers.policy import default_policy
from storage.db import Database
from storage.models import OutboxMessage, Reminder
from tests.telegram.botapi import BotApi

TELEGRAM_RATE = 30.0  # messages a second, Telegram's overall limit for a bot
BULK_FIRST_ID = 1_000_000
CLOCK_KINDS = ("digest.daily", "digest.weekly_chart", "approval.at_risk")  # bot/scheduler.py
START_TIMEOUT = 60.0


# ---------------------------------------------------------------------------- the bot


async def serve(api_url: str, database_url: str) -> None:
    """The production adapter and limits; one timed scheduler tick; then wait to be stopped."""
    from bot import scheduler
    from bot.telegram import TelegramBot

    app = telegram_app(api_url, database_url)
    bot = TelegramBot(app)
    await bot.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    started = time.time()
    report = await asyncio.to_thread(scheduler.tick, app.db, app.policy, app.core.clock())
    done = time.time()
    print(
        json.dumps(
            {
                "started": started,
                "done": done,
                "planned": report.planned,
                "queued": len(report.sent),
                "digests": sum(key.startswith("digest:") for key in report.sent),
                "dropped": report.dropped,
                "failed": report.failed,
            }
        ),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await bot.stop()
        app.db.dispose()


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
    queued: int
    tick_s: float
    rate: float  # messages/s, first to last
    busiest: int  # the most messages in any one-second window
    total_s: float  # tick start to last message
    first_after_s: float  # tick start to first message
    gaps_ms: tuple[float, float, float]  # between consecutive messages: p50, p99, max
    steady_rate: float  # messages/s from the 5th to the 95th percentile arrival
    digest_rate: float  # digests/s from the first digest to the last
    chats: int  # chats written to
    most_to_one_chat: int  # messages to the busiest chat (paced at one a second)
    digests: int  # of the messages queued, the digests


def steady(times: list[float]) -> float:
    """Messages per second between the 5th and the 95th percentile arrival: the pace while
    many chats have something due, without the start and the tail (where the last messages
    may all be for one chat, which Telegram allows one a second)."""
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
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        if line.strip() != b"ready":
            raise SystemExit(f"the bot did not start (exit {await process.wait()})")
        tick = json.loads(await process.stdout.readline())
        if tick["failed"]:
            raise SystemExit(f"{tick['failed']} digests failed to render")
        deadline = time.monotonic() + tick["queued"] / TELEGRAM_RATE * 3 + 60
        while len(api.sent_at) < tick["queued"]:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(api.sent_at)} of {tick['queued']} digests arrived")
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # nothing more should come
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await api.close()
    times = sorted(api.sent_at)
    if len(times) != tick["queued"]:
        raise SystemExit(f"{len(times)} messages arrived for {tick['queued']} digests queued")
    span = times[-1] - times[0]
    gaps = [1000 * (b - a) for a, b in itertools.pairwise(times)] or [0.0]
    return Round(
        people=people,
        queued=tick["queued"],
        tick_s=tick["done"] - tick["started"],
        rate=(len(times) - 1) / span if span > 0 else float("inf"),
        busiest=busiest_second(times),
        total_s=times[-1] - tick["started"],
        first_after_s=times[0] - tick["started"],
        gaps_ms=(percentile(gaps, 50), percentile(gaps, 99), max(gaps)),
        steady_rate=steady(times),
        digest_rate=(len(api.digest_at) - 1) / (max(api.digest_at) - min(api.digest_at)),
        chats=len(api.per_chat),
        most_to_one_chat=max(api.per_chat.values()),
        digests=tick["digests"],
    )


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
        scale = Scale(args.people, args.people * 10, args.people * 100, args.people * 200)
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
                result = await one_round(bench.url, args.people)
                results[backend].append(result)
                print(
                    f"repeat {repeat + 1}/{args.repeats} {backend:10} {result.queued} messages "
                    f"({result.digests} digests) to {result.chats} chats (at most "
                    f"{result.most_to_one_chat} to one): tick {result.tick_s:.1f} s, first "
                    f"sent after {result.first_after_s:.1f} s, {result.rate:.2f} msg/s overall, "
                    f"{result.steady_rate:.2f} steady, digests {result.digest_rate:.2f}/s, "
                    f"busiest second {result.busiest}, all "
                    f"sent after {result.total_s:.1f} s; gaps p50/p99/max "
                    + "/".join(f"{g:.0f}" for g in result.gaps_ms)
                    + " ms",
                    flush=True,
                )
    print(f"\nmedians of {args.repeats} repeats (Telegram's limit: {TELEGRAM_RATE:.0f}/s)")
    print(
        f"{'database':10} {'messages':>8} {'digests':>7} {'tick s':>6} {'ms/msg':>6} "
        f"{'msg/s':>6} {'steady':>6} {'digest/s':>8} {'% of 30':>7} {'busiest 1 s':>11} "
        f"{'all sent s':>10}"
    )
    for backend, rounds in results.items():
        tick = median([r.tick_s for r in rounds])
        queued = median([r.queued for r in rounds])
        steady_rate = median([r.steady_rate for r in rounds])
        digest_rate = median([r.digest_rate for r in rounds])
        print(
            f"{backend:10} {queued:8.0f} {median([r.digests for r in rounds]):7.0f} "
            f"{tick:6.1f} {1000 * tick / queued:6.1f} {median([r.rate for r in rounds]):6.2f} "
            f"{steady_rate:6.2f} {digest_rate:8.2f} {100 * digest_rate / TELEGRAM_RATE:7.0f} "
            f"{max(r.busiest for r in rounds):11} {median([r.total_s for r in rounds]):10.1f}"
        )
    print(
        "msg/s: first to last message; steady: 5th to 95th percentile arrival; digest/s: first "
        "to last digest (% of 30 is of this); busiest 1 s: the most in any one second, over "
        "all repeats. Targets: digest/s ≥ 95 % of 30 (28.5), busiest second ≤ 30."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 people, one repeat")
    parser.add_argument("--people", type=int, help="people in the bulk company (1000)")
    parser.add_argument("--repeats", type=int, help="rounds per database (3)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
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
