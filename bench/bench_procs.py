"""Several bot processes on one PostgreSQL (issue 26, item 3): throughput and p99 latency for
1, 2 and 4 processes under `--people` salespeople filing reception requests through the
Telegram adapter at once, their manager and the GM deciding every card, and the proof that
nothing was doubled or lost.

Run from the repository root:  python bench/bench_procs.py [--quick] [--people N]
                                                           [--processes 1 2 4]

Telegram allows one getUpdates consumer per bot: several processes stand behind a load
balancer, each handed a share of the updates (a webhook deployment). Here each process long
polls a gateway of its own, and the gateways share one Bot API stand-in's chats and message
ids (tests/telegram/botapi.py): every update goes to the next gateway in turn, so one
person's answers land on every process (a draft continued on another process on each step),
and a card sent by one process is edited by another. Each process count gets a fresh
PostgreSQL schema with the example org and the salespeople (each owning a class-B client).

Per salesperson: `/reception`, the 27 answers of tests/test_reception.py `B_CLASS_ANSWERS`,
then the summary's 提交 tapped; 王经理 taps 同意 on every card the moment it arrives, then 赵总
on theirs. Latency: from an update handed to its gateway to the arrival of the reply the
person waits for (the next question; "等待 王经理 审批"; "已同意"). Throughput: every update
of the run over its wall-clock time. Afterwards, from the database and the stand-in: each
approval step decided once (one audit row, one "已同意" reply each), each reception approved,
each outbox row taken once (attempts = 1) and shown once in its reader's chat, none left.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench._support import bench_db, header, import_example_org, median, percentile, telegram_app
from bench.bench_step import START_TIMEOUT, BenchLimits, add_people, people, text_update
from bot.telegram_limits import split_text
from handlers.engine.messages import Message
from handlers.rules.policy.schema import default_policy
from storage.db import Database
from storage.models import (
    ApprovalStep,
    AuditEntry,
    Identity,
    OutboxMessage,
    Person,
    Reception,
)
from tests.telegram.botapi import BotApi, Shown
from tests.telegram.harness import fixture
from tests.test_reception import B_CLASS_ANSWERS

DECIDERS = {"王经理": 600_001, "赵总": 600_002}  # Telegram user ids; in the order they decide
OTHERS = {"孙行政": 600_003, "钱会计": 600_004}  # told after approval (the checklist)
WAIT = 120.0  # seconds for one reply: a ceiling for a lost message, never a measure
DECIDER_WAIT = 900.0  # seconds for a decider's next card: the first comes after a whole form
APPROVE = "同意"
SUBMIT = "提交"
SUBMITTED = "等待 王经理 审批"
DECIDED = "已同意"


# ---------------------------------------------------------------------------- Telegram


class Telegram:
    """What the gateways share: every chat as its reader sees it, one message-id sequence,
    when each message arrived, and who waits for what."""

    def __init__(self) -> None:
        self.chats: dict[int, list[Shown]] = {}
        self.ids = itertools.count(100)
        self.arrived: dict[int, float] = {}  # message id -> perf_counter
        self.changed: dict[int, asyncio.Event] = {}

    def noted(self, shown: Shown) -> None:
        self.arrived[shown.message_id] = time.perf_counter()
        self.changed.setdefault(shown.chat_id, asyncio.Event()).set()

    async def reply(self, chat: int, after: int, expected: str) -> tuple[Shown, float]:
        """The first message from the `after`-th on in `chat` whose text has `expected`."""
        deadline = time.monotonic() + WAIT
        while True:
            for shown in self.chats.get(chat, [])[after:]:
                if expected in shown.text:
                    return shown, self.arrived[shown.message_id]
            event = self.changed.setdefault(chat, asyncio.Event())
            event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                texts = [s.text[:60] for s in self.chats.get(chat, [])[after:]]
                raise SystemExit(f"chat {chat}: no {expected!r} within {WAIT:.0f} s: {texts}")
            await asyncio.wait_for(event.wait(), left)


class Gateway(BotApi):
    """One process's door to the shared stand-in: its own update queue and long poll."""

    def __init__(self, telegram: Telegram) -> None:
        super().__init__()
        self.telegram = telegram
        self.chats = telegram.chats  # shared by every gateway

    def _new(self, params: dict[str, Any], text: str) -> Shown:
        keyboard = params.get("reply_markup", {}).get("inline_keyboard", [])
        shown = Shown(params["chat_id"], next(self.telegram.ids), text, keyboard)
        self.chats.setdefault(shown.chat_id, []).append(shown)
        self.telegram.noted(shown)
        return shown

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        self.chats.setdefault(params["chat_id"], [])
        result = await super()._api_editMessageText(params)
        self.telegram.changed.setdefault(params["chat_id"], asyncio.Event()).set()
        return result


class Load:
    """Hands each update to the next gateway in turn, as a load balancer would."""

    def __init__(self, gateways: list[Gateway]) -> None:
        self.gateways = gateways
        self._turn = itertools.cycle(gateways)
        self._query_ids = itertools.count(1)
        self.updates = 0

    def push(self, update: dict[str, Any]) -> float:
        self.updates += 1
        next(self._turn).push(update)
        return time.perf_counter()

    def press(self, user: int, shown: Shown, label: str) -> float:
        update = fixture("callback_query")
        update["update_id"] = next(_update_ids)
        query = update["callback_query"]
        query["id"] = str(next(self._query_ids))
        query["from"].update(id=user, first_name="压测", language_code="zh-hans")
        query["message"] = shown.as_json()
        query["message"]["chat"]["id"] = user
        query["data"] = shown.action(label)
        return self.push(update)

    def say(self, user: int, text: str) -> float:
        update = text_update(user, text)
        update["update_id"] = next(_update_ids)
        return self.push(update)


_update_ids = itertools.count(1)


# ---------------------------------------------------------------------------- the people


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)  # ms, every update
    decisions: list[float] = field(default_factory=list)  # ms, the taps on 同意


async def salesperson(load: Load, telegram: Telegram, user: int, client: str, out: Figures) -> None:
    """One reception request, typed line by line, each once the previous answer came."""
    lines = [("/reception", "哪位客户来访"), (client, B_CLASS_ANSWERS[0][1]), *B_CLASS_ANSWERS[1:]]
    summary = None
    for text, expected in lines:
        after = len(telegram.chats.get(user, []))
        pushed = load.say(user, text)
        summary, arrived = await telegram.reply(user, after, expected)
        out.latencies.append((arrived - pushed) * 1000)
    assert summary is not None
    after = len(telegram.chats.get(user, []))
    pushed = load.press(user, summary, SUBMIT)
    _, arrived = await telegram.reply(user, after, SUBMITTED)
    out.latencies.append((arrived - pushed) * 1000)


async def decider(load: Load, telegram: Telegram, user: int, cards: int, out: Figures) -> None:
    """Taps 同意 on every card with that button, as it arrives, until `cards` were decided.
    The taps of one person go one after another, as on one phone."""
    pressed: set[int] = set()
    deadline = time.monotonic() + DECIDER_WAIT
    while len(pressed) < cards:
        waiting = [
            shown
            for shown in telegram.chats.get(user, [])
            if shown.message_id not in pressed and APPROVE in shown.labels
        ]
        if not waiting:
            event = telegram.changed.setdefault(user, asyncio.Event())
            event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise SystemExit(f"decider {user}: {len(pressed)} of {cards} cards, then none")
            await asyncio.wait_for(event.wait(), left)
            continue
        for shown in waiting:
            pressed.add(shown.message_id)
            after = len(telegram.chats[user])
            pushed = load.press(user, shown, APPROVE)
            _, arrived = await telegram.reply(user, after, DECIDED)
            millis = (arrived - pushed) * 1000
            out.latencies.append(millis)
            out.decisions.append(millis)
            deadline = time.monotonic() + DECIDER_WAIT


# ---------------------------------------------------------------------------- processes


async def serve(api_url: str, database_url: str) -> None:
    """One bot process: visitdesk's Telegram adapter as `visitdesk run telegram` runs it."""
    from bot.telegram import TelegramBot

    app = telegram_app(api_url, database_url)
    bot = TelegramBot(app, BenchLimits())
    await bot.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    try:
        await stop.wait()
    finally:
        await bot.stop()
        app.db.dispose()


async def launch(api_url: str, database_url: str) -> asyncio.subprocess.Process:
    script = Path(__file__).resolve()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        "--serve",
        "--api",
        api_url,
        "--database",
        database_url,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
    if line.strip() != b"ready":
        raise SystemExit(f"a bot process did not start (exit {await process.wait()})")
    return process


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def link(db: Database, names: dict[str, int]) -> None:
    with db.session() as session:
        for name, user in names.items():
            person = session.scalars(select(Person).where(Person.name == name)).one()
            session.add(
                Identity(
                    person_id=person.id,
                    platform="telegram",
                    platform_user=str(user),
                    chat_id=str(user),
                    platform_locale="zh-hans",
                )
            )


# ---------------------------------------------------------------------------- one run


@dataclass
class Run:
    processes: int
    updates: int
    seconds: float
    figures: Figures
    proof: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


async def one_run(count: int, crowd: int, workdir: Path) -> Run:
    policy = default_policy()
    with bench_db("postgresql", workdir, f"procs{count}") as bench:
        import_example_org(bench.db, policy)
        add_people(bench.db, crowd)
        link(bench.db, DECIDERS | OTHERS)
        telegram = Telegram()
        gateways = [Gateway(telegram) for _ in range(count)]
        urls = [await gateway.start() for gateway in gateways]
        processes: list[asyncio.subprocess.Process] = []
        try:
            for url in urls:
                processes.append(await launch(url, bench.url))
            for gateway in gateways:  # every process long-polls
                while gateway.polls == 0:
                    await asyncio.sleep(0.01)
            load = Load(gateways)
            figures = Figures()
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    salesperson(load, telegram, user, client, figures)
                    for user, _, client in people(crowd)
                ),
                *(decider(load, telegram, user, crowd, figures) for user in DECIDERS.values()),
            )
            seconds = time.perf_counter() - started
            await _drained(bench.db)
        finally:
            for process in processes:
                await stop(process)
            for gateway in gateways:
                await gateway.close()
        proof = check(bench.db, telegram, gateways, crowd)
    return Run(count, load.updates, seconds, figures, proof)


async def _drained(db: Database) -> None:
    """Until the outbox holds nothing unsent (the checklists and the 'approved' notices)."""
    deadline = time.monotonic() + WAIT
    while True:
        with db.session() as session:
            left = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
            )
        if not left:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{left} outbox rows never sent")
        await asyncio.sleep(0.2)


def check(db: Database, telegram: Telegram, gateways: list[Gateway], crowd: int) -> dict[str, Any]:
    """Nothing doubled, nothing lost: raises on the first breach, else the counts."""
    with db.session() as session:
        steps = session.execute(select(ApprovalStep.id, ApprovalStep.state)).all()
        decided = Counter(  # approval step id -> decisions audited
            detail["step"]
            for detail in session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "approval.approved")
            )
        )
        receptions = Counter(session.scalars(select(Reception.state)))
        outbox = session.execute(
            select(OutboxMessage.payload, OutboxMessage.attempts, Identity.chat_id)
            .join(Identity, Identity.person_id == OutboxMessage.person_id)
            .where(Identity.platform == "telegram", OutboxMessage.sent_at.is_not(None))
        ).all()
        unsent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        )
    breaches = []
    if receptions != Counter({"approved": crowd}):
        breaches.append(f"receptions {dict(receptions)}, not {crowd} approved")
    if len(steps) != 2 * crowd or any(state != "approved" for _, state in steps):
        breaches.append(f"{len(steps)} steps, states {Counter(s for _, s in steps)}")
    if set(decided.values()) != {1} or len(decided) != len(steps):
        breaches.append(f"decisions per step {Counter(decided.values())}")
    told = Counter(  # (decider, the card's title) -> "已同意「…」" replies
        (user, shown.text.split("」")[0])
        for user in DECIDERS.values()
        for shown in telegram.chats.get(user, [])
        if shown.text.startswith(DECIDED)
    )
    if len(told) != len(steps) or set(told.values()) != {1}:
        breaches.append(f"'{DECIDED}' replies per card {Counter(told.values())}")
    # Each outbox row sent shows once in its reader's chat: its text, counted at the stand-in,
    # as often as rows with that text were sent (cards are unique by their number).
    wanted = Counter(
        (int(chat), split_text(Message.from_payload(payload).text)[0])
        for payload, _, chat in outbox
        if Message.from_payload(payload).text.strip()
    )
    # What the stand-in took, as sent (not as shown now: a question settled as answered and
    # a decided card are edited since).
    shown_texts = Counter(
        (call.params["chat_id"], call.params["text"])
        for gateway in gateways
        for call in gateway.calls_of("sendMessage")
        if call.status == 200
    )
    doubled = [key for key, times in wanted.items() if shown_texts[key] > times]
    lost = [key for key, times in wanted.items() if shown_texts[key] < times]
    retaken = [attempts for _, attempts, _ in outbox if attempts != 1]
    if doubled or retaken or unsent:
        breaches.append(f"outbox: {len(doubled)} doubled, {len(retaken)} retaken, {unsent} left")
    if lost:
        breaches.append(f"outbox: {len(lost)} rows sent but not shown: {lost[:3]}")
    if breaches:
        raise SystemExit("nothing doubled or lost: BROKEN: " + "; ".join(breaches))
    return {
        "receptions": crowd,
        "steps decided once": len(steps),
        "outbox rows sent once": len(outbox),
    }


# ---------------------------------------------------------------------------- report


def report(runs: list[Run], loads: list[tuple[float, float]]) -> None:
    print()
    print(
        f"{'processes':>9} {'updates':>7} {'s':>6} {'upd/s':>6} {'× 1':>5} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'decide p99':>10}  {'load before/after':>17}  proof"
    )
    base = runs[0].rate
    for run, (before, after) in zip(runs, loads, strict=True):
        lat = run.figures.latencies
        print(
            f"{run.processes:>9} {run.updates:>7} {run.seconds:6.1f} {run.rate:6.1f} "
            f"{run.rate / base:5.2f} {median(lat):7.1f} {percentile(lat, 99):7.1f} "
            f"{percentile(run.figures.decisions, 99):10.1f}  {before:8.1f} / {after:<6.1f}  "
            + ", ".join(f"{v} {k}" for k, v in run.proof.items())
        )


async def benchmark(args: argparse.Namespace) -> None:
    header(f"{args.people} people, {args.processes} bot processes on one PostgreSQL")
    runs: list[Run] = []
    loads: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="visitdesk-bench-") as tmp:
        for count in args.processes:
            before = os.getloadavg()[0]
            run = await one_run(count, args.people, Path(tmp))
            loads.append((before, os.getloadavg()[0]))
            runs.append(run)
            print(
                f"{count} processes: {run.updates} updates in {run.seconds:.1f} s, "
                f"{run.rate:.1f}/s, p99 {percentile(run.figures.latencies, 99):.1f} ms; "
                f"{run.proof}",
                flush=True,
            )
    report(runs, loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 people")
    parser.add_argument("--people", type=int, default=300, help="salespeople at once (300)")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.api, args.database))
        return
    if args.quick:
        args.people = 60
    asyncio.run(benchmark(args))


if __name__ == "__main__":
    main()
