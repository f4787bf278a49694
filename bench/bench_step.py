"""Conversation step cost (issue 9, item 1): a reception-request step through the real
python-telegram-bot Application, against a bare PTB echo bot, through the same Bot API stand-in.

Run from the repository root:  python bench/bench_step.py [--quick] [--repeats N]

The Telegram side (tests/telegram/botapi.py, the stand-in, plus the people typing) runs in this
process; each bot under test runs in a process of its own, as it would in production, and long
polls its own stand-in. The bots, started once and measured in turn, in a rotating order:

* echo            the echo bot of PTB's examples (`reply_text(update.message.text)`), defaults;
* replay          the same bare PTB bot answering each line with visitdesk's very replies (texts
                  and inline keyboards, recorded by the calibration, rendered by the adapter's
                  own functions), and nothing else: what the messages themselves cost;
* adapter         `bot.telegram.TelegramBot`, unchanged, with its core replaced by one that
                  answers each line with those same recorded replies: visitdesk's adapter (the
                  worker-thread hop, the limiter, the per-chat ordering) without the core;
* floor/sqlite, floor/postgresql   the adapter bot, its scripted core first running the
                  statements of a step on the bare database driver (no SQLAlchemy, no form
                  logic): the least any design that saves each answer before replying can cost;
* visitdesk/sqlite, visitdesk/postgresql   `bot.telegram.TelegramBot`, unchanged, on a
  migrated database with the example org plus `--chats` salespeople who own a class-B client.

Every bot gets the same stream of updates: each salesperson types `/reception`, the 27 answers
of tests/test_reception.py `B_CLASS_ANSWERS` (the first one is their own client's name) and
`/cancel`. The core answers with the real questions (checked against the expected text); the
echo bot answers each line with one message. Measured at the stand-in, per update: from the
moment the update is handed to `getUpdates` to the arrival of its last `sendMessage`.

* latency   one chat at a time, one update at a time: p50 and p99 of the 27 answers of each form;
* updates/s `--chats` chats typing at once, each sending its next line as soon as the answer to
  the previous one arrived: every update of every form, over the wall-clock time.

Pacing: visitdesk's TelegramLimits is kept (its code path is part of the cost), but its
per-chat burst and the overall 30 messages/s cap are lifted: a scripted user answers faster
than a person, and pacing is waiting, not cost. bench/bench_fanout.py measures the pacing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from telegram import Update

from bench._support import (
    BACKENDS,
    ROOT,
    RunningClock,
    bench_db,
    header,
    import_example_org,
    median,
    percentile,
    telegram_app,
)
from bot.telegram import _keyboard
from bot.telegram_limits import TelegramLimits, split_text
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event, Message
from handlers.rules.policy.schema import default_policy
from storage.db import Database
from storage.models import Client, Identity, Person
from tests.telegram.botapi import TOKEN, BotApi
from tests.telegram.harness import fixture
from tests.test_reception import B_CLASS_ANSWERS

ECHO = "echo"
REPLAY = "replay"
ADAPTER = "adapter"
FIRST_USER = 700_000  # Telegram user ids of the benchmark's salespeople
START_TIMEOUT = 60.0  # seconds for a bot process to connect; a ceiling, not a measure


# ---------------------------------------------------------------------------- the bots


class BenchLimits(TelegramLimits):
    """visitdesk's limiter with its caps lifted (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(
            chat_burst=1_000_000, chat_period=1, overall_rate=1_000_000, overall_at_most=1_000_000
        )


async def _until_terminated() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()


async def serve_bare(api_url: str, answer: Callable[[Update], Awaitable[None]]) -> None:
    """A bare PTB bot with PTB's defaults (as in examples/echobot.py) that answers every text
    with `answer`, against the stand-in at `api_url`."""
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def handle(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        await answer(update)

    application = Application.builder().token(TOKEN).base_url(f"{api_url}/bot").build()
    application.add_handler(MessageHandler(filters.TEXT, handle))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling()
        await application.start()
        await _until_terminated()
        await application.updater.stop()
        await application.stop()


async def echo(update: Update) -> None:
    """PTB's echo bot: each text back as it came."""
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


class Script:
    """visitdesk's recorded replies, line by line: the n-th update of a chat gets the replies
    the core gave to the n-th line of the form (the replay bot's and the stub core's answers)."""

    def __init__(self, replies_file: str) -> None:
        self._lines = [
            [Message.from_payload(payload) for payload in line]
            for line in json.loads(Path(replies_file).read_text())
        ]
        self._position: dict[str, int] = {}

    def next_for(self, chat: str) -> list[Message]:
        number = self._position.get(chat, 0)
        self._position[chat] = number + 1
        return self._lines[number % len(self._lines)]


async def serve_replay(api_url: str, replies_file: str) -> None:
    """A bare PTB bot that answers with visitdesk's recorded replies: no core, no database."""
    script = Script(replies_file)

    async def replay(update: Update) -> None:
        assert update.message is not None
        for message in script.next_for(str(update.message.chat_id)):
            if message.replace:
                continue  # an edit of a question shown before: the adapter's and the floor's
            pieces = split_text(message.text)
            for count, piece in enumerate(pieces, start=1):
                markup = _keyboard(message.buttons) if count == len(pieces) else None
                await update.message.reply_text(piece, reply_markup=markup)

    await serve_bare(api_url, replay)


class ScriptedCore(Core):
    """A core that answers with the recorded replies and touches no database."""

    def __init__(self, core: Core, script: Script) -> None:
        super().__init__(core.db, core.policy, FEATURES, core.clock)
        self._script = script

    def handle(self, event: Event) -> list[Message]:
        return self._script.next_for(event.chat_id or event.user)


class FloorCore(ScriptedCore):
    """The scripted core, first running the statements a step needs on the bare database
    driver (no SQLAlchemy): one transaction that drops a redelivery, finds the person, reads
    their draft and saves it with the answer. What a step would cost if the core's own work
    were free: the floor under any design that saves each answer before replying."""

    def __init__(self, core: Core, script: Script) -> None:
        super().__init__(core, script)
        self._connections = threading.local()  # the adapter calls the core from a thread pool
        self._sqlite = core.db.is_sqlite
        statements = FLOOR_STATEMENTS
        if not self._sqlite:
            statements = {name: sql.replace("?", "%s") for name, sql in statements.items()}
        self._sql = statements

    def handle(self, event: Event) -> list[Message]:
        connection = getattr(self._connections, "raw", None)
        if connection is None:
            connection = self._connections.raw = self.db.engine.raw_connection()
        cursor = connection.cursor()
        now = self.clock()
        stamp: Any = now.isoformat(" ") if self._sqlite else now
        if self._sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(self._sql["seen"], ("telegram", event.event_id, stamp))
        if cursor.fetchone() is not None:
            cursor.execute(self._sql["who"], ("telegram", event.user))
            who = cursor.fetchone()
            assert who is not None  # every scripted user has an identity
            person_id = who[0]
            cursor.execute(self._sql["draft"], (person_id,))
            draft = cursor.fetchone()
            data = draft[1] if draft else {}
            data = json.loads(data) if isinstance(data, str) else data  # PostgreSQL: a dict
            if (event.text or "").startswith("/"):
                data = {}  # /reception and /cancel start over: the draft stays form-sized
            data[f"answer{len(data)}"] = event.text
            saved = (json.dumps(data, ensure_ascii=False), stamp)
            if draft is None:
                cursor.execute(self._sql["start"], (person_id, *saved))
            else:
                cursor.execute(self._sql["save"], (*saved, draft[0]))
        connection.commit()
        cursor.close()
        return super().handle(event)


FLOOR_STATEMENTS = {
    "seen": "INSERT INTO inbound_event (platform, event_id, received_at) VALUES (?, ?, ?) "
    "ON CONFLICT DO NOTHING RETURNING event_id",
    "who": "SELECT person.id, person.active, identity.chat_id FROM identity "
    "JOIN person ON person.id = identity.person_id "
    "WHERE identity.platform = ? AND identity.platform_user = ?",
    "draft": "SELECT id, data FROM draft WHERE person_id = ? "
    "ORDER BY updated_at DESC, id DESC LIMIT 1",
    "start": "INSERT INTO draft (person_id, flow, step, data, history, updated_at) "
    "VALUES (?, 'floor', 'step', ?, '{}', ?)",
    "save": "UPDATE draft SET data = ?, updated_at = ? WHERE id = ?",
}


async def serve_visitdesk(
    api_url: str, database_url: str, replies_file: str | None, floor: bool = False
) -> None:
    """visitdesk's Telegram adapter as `visitdesk` runs it, on the corpus's clock; with
    `replies_file`, its core is the scripted one (the adapter alone), and with `floor` also
    runs a step's statements on the bare driver."""
    from bot.telegram import TelegramBot

    app = telegram_app(api_url, database_url)
    if replies_file:
        scripted = FloorCore if floor else ScriptedCore
        app = dataclasses.replace(app, core=scripted(app.core, Script(replies_file)))
    bot = TelegramBot(app, BenchLimits())
    await bot.start()
    try:
        await _until_terminated()
    finally:
        await bot.stop()
        app.db.dispose()


# ---------------------------------------------------------------------------- the people


@dataclass(frozen=True)
class Line:
    """One update of the script: what is typed, how many messages answer it, what one says."""

    text: str
    replies: int
    expected: str  # "" when not checked
    timed: bool  # an answer to the current question (counted in the latency figures)


def people(count: int) -> list[tuple[int, str, str]]:
    """(Telegram user id, name, own client) of the benchmark's salespeople."""
    return [(FIRST_USER + i, f"压测销售{i:03d}", f"压测客户{i:03d}") for i in range(count)]


def add_people(db: Database, count: int) -> None:
    """Salespeople under 王经理, each owning one class-B client, linked to Telegram."""
    with db.session() as session:
        manager = session.scalars(select(Person).where(Person.name == "王经理")).one()
        for user_id, name, client in people(count):
            person = Person(name=name, department="销售一部", roles="sales", manager_id=manager.id)
            session.add(person)
            session.flush()
            session.add(Client(name=client, class_key="B", region="local", owner_id=person.id))
            session.add(
                Identity(
                    person_id=person.id,
                    platform="telegram",
                    platform_user=str(user_id),
                    chat_id=str(user_id),
                    platform_locale="zh-hans",
                )
            )


def form_texts(client: str) -> list[tuple[str, str, bool]]:
    """(text, expected reply, timed) of one whole form for the owner of `client`."""
    answers = [(client, B_CLASS_ANSWERS[0][1]), *B_CLASS_ANSWERS[1:]]
    return [
        ("/reception", "哪位客户来访", False),
        *((text, expected, True) for text, expected in answers),
        ("/cancel", "", False),
    ]


def calibrate(workdir: Path) -> list[Line]:
    """Run one form through the core on a scratch SQLite database, to learn how many messages
    answer each line (the adapter sends one per text piece); alike for every salesperson.
    The replies themselves go to `workdir / REPLIES` for the replay bot."""
    policy = default_policy()
    with bench_db("sqlite", workdir, "calibrate") as scratch:
        import_example_org(scratch.db, policy)
        add_people(scratch.db, 1)
        core = Core(scratch.db, policy, FEATURES, RunningClock())
        user_id, _, client = people(1)[0]
        script: list[Line] = []
        recorded: list[list[dict[str, Any]]] = []
        for number, (text, expected, timed) in enumerate(form_texts(client)):
            event = Event(
                "telegram",
                str(user_id),
                text=text,
                chat_id=str(user_id),
                platform_locale="zh-hans",
                event_id=f"calibrate-{number}",
            )
            replies = core.handle(event)
            shown = "\n".join(m.text for m in replies)
            if expected not in shown:
                raise SystemExit(f"calibration: after {text!r} expected {expected!r} in {shown!r}")
            # A typed answer's question is edited to show the answer (`replace`: an
            # editMessageText, not a message the person waits for); the rest is sent anew.
            sent = [m for m in replies if not m.replace]
            pieces = sum(len(split_text(m.text)) for m in sent if m.text.strip())
            assert not any(m.attachment for m in replies), "a form step sends text"
            script.append(Line(text, pieces, expected, timed))
            recorded.append([m.to_payload() for m in replies])
    (workdir / REPLIES).write_text(json.dumps(recorded, ensure_ascii=False))
    return script


REPLIES = "replies.json"


def script_for(shape: list[Line], client: str, echo: bool) -> list[Line]:
    """The calibrated script, with this person's client; the echo bot answers one message."""
    texts = form_texts(client)
    return [
        Line(text, 1 if echo else line.replies, "" if echo else line.expected, line.timed)
        for (text, _, _), line in zip(texts, shape, strict=True)
    ]


# ---------------------------------------------------------------------------- the stand-in


class TimedBotApi(BotApi):
    """The stand-in, noting when each sendMessage arrives and waking whoever waits for it."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[int, list[float]] = {}
        self._waiting: dict[int, tuple[int, asyncio.Future[None]]] = {}

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(params)
        chat = int(params["chat_id"])
        times = self.arrivals.setdefault(chat, [])
        times.append(time.perf_counter())
        waiting = self._waiting.get(chat)
        if waiting is not None and len(times) >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(None)
        return result

    async def wait_for(self, chat: int, count: int, ceiling: float = 120) -> float:
        """Wait until `count` messages reached `chat` in all (at most `ceiling` seconds);
        when the last one arrived."""
        times = self.arrivals.setdefault(chat, [])
        if len(times) < count:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting[chat] = (count, future)
            try:
                await asyncio.wait_for(future, ceiling)
            finally:
                del self._waiting[chat]
        return times[count - 1]


_update_ids = itertools.count(900_000_000)
_message_ids = itertools.count(1)


def text_update(user_id: int, text: str) -> dict[str, Any]:
    """A private-chat text message, from the recorded payload in tests/fixtures/telegram."""
    update = fixture("message_private_text")
    update["update_id"] = next(_update_ids)
    message = update["message"]
    message["message_id"] = next(_message_ids)
    message["from"].update(id=user_id, first_name="压测")
    message["chat"].update(id=user_id, first_name="压测")
    message["text"] = text
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    else:
        del message["entities"]
    return update


@dataclass(frozen=True)
class Variant:
    """How to start one bot under test: its database, its recorded replies, its code."""

    database: str | None = None
    replies: str | None = None
    tree: Path = ROOT
    floor: bool = False


@dataclass
class Bot:
    """A bot process under test and its own stand-in."""

    name: str
    api: TimedBotApi
    process: asyncio.subprocess.Process | None = None
    scripts: dict[int, list[Line]] = field(default_factory=dict)  # user id -> lines


async def launch(name: str, variant: Variant) -> Bot:
    """Start the stand-in and the bot process (its code from the variant's tree, a copy of the
    repository at another version for a before/after); return once the bot long-polls."""
    api = TimedBotApi()
    url = await api.start()
    tree = variant.tree
    args = [str(tree / "bench" / "bench_step.py"), "--serve", name, "--api", url]
    if variant.database:
        args += ["--database", variant.database]
    if variant.replies:
        args += ["--replies", variant.replies]
    if variant.floor:
        args.append("--floor")
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, cwd=tree
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
    if line.strip() != b"ready":
        raise SystemExit(f"bot {name} did not start (exit {await process.wait()})")
    deadline = time.monotonic() + START_TIMEOUT
    while api.polls == 0:  # connected and long-polling
        if time.monotonic() > deadline:
            raise SystemExit(f"bot {name} never polled")
        await asyncio.sleep(0.01)
    return Bot(name, api, process)


async def stop(bot: Bot) -> None:
    if bot.process is not None and bot.process.returncode is None:
        bot.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.process.wait(), 20)
        except TimeoutError:
            bot.process.kill()
            await bot.process.wait()
    await bot.api.close()


# ---------------------------------------------------------------------------- measuring


async def run_form(bot: Bot, user_id: int, latencies: list[float] | None) -> int:
    """One person types one whole form, each line once the answer to the last arrived.
    Appends the timed lines' latencies (ms); returns the number of updates sent."""
    api = bot.api
    expected_total = len(api.arrivals.get(user_id, []))
    for line in bot.scripts[user_id]:
        before = len(api.chats[user_id])
        expected_total += line.replies
        pushed = time.perf_counter()
        api.push(text_update(user_id, line.text))
        arrived = await api.wait_for(user_id, expected_total)
        if latencies is not None and line.timed:
            latencies.append((arrived - pushed) * 1000)
        if line.expected:
            shown = "\n".join(m.text for m in api.chats[user_id][before:])
            if line.expected not in shown:
                raise SystemExit(
                    f"{bot.name}: after {line.text!r}, no {line.expected!r} in {shown!r}"
                )
    return len(bot.scripts[user_id])


def cpu_seconds(process: asyncio.subprocess.Process) -> float:
    """User + system CPU time a process has used so far (Linux /proc), its threads included."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Round:
    """One repeat's figures for one bot."""

    p50: float  # ms, one update at a time
    p99: float
    rate: float  # updates per second, every chat typing at once
    cpu_ms: float  # the bot process's CPU time per update, both phases


@dataclass
class Tally:
    """What one repeat gathers for one bot before it becomes a Round."""

    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    cpu: float = 0.0


async def timed_form(bot: Bot, user: int, tally: Tally) -> None:
    """One form, one line at a time, with the bot process's CPU time counted."""
    assert bot.process is not None
    cpu = cpu_seconds(bot.process)
    tally.updates += await run_form(bot, user, tally.latencies)
    tally.cpu += cpu_seconds(bot.process) - cpu


async def throughput(bot: Bot, users: list[int], tally: Tally) -> float:
    """Every user types a whole form at once; updates per second."""
    assert bot.process is not None
    cpu = cpu_seconds(bot.process)
    started = time.perf_counter()
    sent = sum(await asyncio.gather(*(run_form(bot, user, None) for user in users)))
    elapsed = time.perf_counter() - started
    tally.cpu += cpu_seconds(bot.process) - cpu
    tally.updates += sent
    return sent / elapsed


async def one_repeat(bots: list[Bot], users: list[int], forms: int, shift: int) -> list[Round]:
    """Latency: each form typed to every bot in turn (the order rotating), so a burst of load
    on the shared machine falls on all alike. Then throughput, one bot after another."""
    tallies = {bot.name: Tally() for bot in bots}
    for number in range(forms):
        turn = (shift + number) % len(bots)
        for bot in bots[turn:] + bots[:turn]:
            await timed_form(bot, users[number % len(users)], tallies[bot.name])
    rates: dict[str, float] = {}
    for bot in bots[shift:] + bots[:shift]:
        rates[bot.name] = await throughput(bot, users, tallies[bot.name])
    return [
        Round(
            percentile(tallies[bot.name].latencies, 50),
            percentile(tallies[bot.name].latencies, 99),
            rates[bot.name],
            1000 * tallies[bot.name].cpu / tallies[bot.name].updates,
        )
        for bot in bots
    ]


async def benchmark(args: argparse.Namespace) -> None:
    began = time.monotonic()
    header("conversation step cost: visitdesk's reception step vs a bare PTB echo bot")
    policy = default_policy()
    chosen = [b for b in BACKENDS if b in args.backends]
    with (
        tempfile.TemporaryDirectory(prefix="visitdesk-bench-") as tmp,
        contextlib.ExitStack() as dbs,
    ):
        workdir = Path(tmp)
        shape = calibrate(workdir)
        replies = str(workdir / REPLIES)
        variants: dict[str, Variant] = {ECHO: Variant(), REPLAY: Variant(replies=replies)}
        scratch = dbs.enter_context(bench_db(chosen[0], workdir, "step_adapter"))
        scratch.db.dispose()  # the adapter's outbox loop needs a database, its core none
        variants[ADAPTER] = Variant(database=scratch.url, replies=replies)
        for backend in chosen:
            floor = dbs.enter_context(bench_db(backend, workdir, "step_floor"))
            import_example_org(floor.db, policy)
            add_people(floor.db, args.chats)
            floor.db.dispose()
            variants[f"floor/{backend}"] = Variant(database=floor.url, replies=replies, floor=True)
        trees = [("visitdesk", ROOT)]
        if args.baseline_tree:
            trees.append(("baseline", args.baseline_tree.resolve()))
        for label, tree in trees:
            for backend in chosen:
                bench = dbs.enter_context(bench_db(backend, workdir, f"step_{label}"))
                import_example_org(bench.db, policy)
                add_people(bench.db, args.chats)
                bench.db.dispose()
                variants[f"{label}/{backend}"] = Variant(database=bench.url, tree=tree)
        bots: list[Bot] = []
        try:
            for name, variant in variants.items():
                bot = await launch(name if name in (ECHO, REPLAY) else "visitdesk", variant)
                bot.name = name
                bot.scripts = {
                    user: script_for(shape, client, name == ECHO)
                    for user, _, client in people(args.chats)
                }
                bots.append(bot)
            users = [user for user, _, _ in people(args.chats)]
            for bot in bots:  # warm up: connections, caches, the first queries' plans
                await run_form(bot, users[0], None)
            results: dict[str, list[Round]] = {bot.name: [] for bot in bots}
            for repeat in range(args.repeats):
                rounds = await one_repeat(bots, users, args.forms, repeat % len(bots))
                for bot, result in zip(bots, rounds, strict=True):
                    results[bot.name].append(result)
                    print(
                        f"repeat {repeat + 1}/{args.repeats}  {bot.name:22} "
                        f"p50 {result.p50:6.2f} ms  p99 {result.p99:6.2f} ms  "
                        f"{result.rate:7.1f} updates/s  {result.cpu_ms:5.2f} CPU ms/update",
                        flush=True,
                    )
        finally:
            for bot in bots:
                await stop(bot)
    report(results, args)
    print(f"({time.monotonic() - began:.0f} s in all)")


def report(results: dict[str, list[Round]], args: argparse.Namespace) -> None:
    """Medians over the repeats, and each bot's figures relative to the echo bot's, computed
    per repeat (measured together) and then the median taken; visitdesk's also relative to
    the floor on the same database (issue 26's target: ≤ 1.2× the floor)."""
    echo, replay = results[ECHO], results[REPLAY]
    print()
    print(
        f"{args.repeats} repeats; latency over {args.forms} forms x 27 answers, one update at a "
        f"time; updates/s with {args.chats} chats at once ({args.chats * 29} updates). Medians:"
    )
    print(
        f"{'bot':22} {'p50 ms':>7} {'p99 ms':>7} {'upd/s':>7} {'CPU ms':>7} │ "
        f"{'p50 ×':>6} {'p99 ×':>6} {'1/upd/s ×':>9} {'CPU ×':>6} │ "
        f"{'p50 ×r':>6} {'CPU ×r':>6} │ {'p50 ×f':>6} {'p99 ×f':>6}"
    )
    for name, rounds in results.items():
        pairs = list(zip(rounds, echo, strict=True))
        replayed = list(zip(rounds, replay, strict=True))
        floor = results.get(f"floor/{name.rsplit('/', 1)[-1]}") if "/" in name else None
        over_floor = (
            ""
            if floor is None or name.startswith("floor/")
            else (
                f" │ {median([r.p50 / f.p50 for r, f in zip(rounds, floor, strict=True)]):6.2f} "
                f"{median([r.p99 / f.p99 for r, f in zip(rounds, floor, strict=True)]):6.2f}"
            )
        )
        print(
            f"{name:22} {median([r.p50 for r in rounds]):7.2f} "
            f"{median([r.p99 for r in rounds]):7.2f} {median([r.rate for r in rounds]):7.1f} "
            f"{median([r.cpu_ms for r in rounds]):7.2f} │ "
            f"{median([r.p50 / e.p50 for r, e in pairs]):6.2f} "
            f"{median([r.p99 / e.p99 for r, e in pairs]):6.2f} "
            f"{median([e.rate / r.rate for r, e in pairs]):9.2f} "
            f"{median([r.cpu_ms / e.cpu_ms for r, e in pairs]):6.2f} │ "
            f"{median([r.p50 / e.p50 for r, e in replayed]):6.2f} "
            f"{median([r.cpu_ms / e.cpu_ms for r, e in replayed]):6.2f}{over_floor}"
        )
    print(
        "× = this bot's figure over the echo bot's (time per update for upd/s); "
        "CPU ms = the bot process's CPU time per update; ×r = over the replay bot's (what "
        "visitdesk adds to the cost of its messages); ×f = over the floor on the same "
        "database, in the same repeat (issue 26: core ≤ 1.2× the floor; adapter ≤ 1.3× echo)."
    )


def main() -> None:
    """Command line: run the benchmark, or (internally) serve one bot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and forms")
    parser.add_argument("--repeats", type=int, help="measurement rounds per bot (default 5)")
    parser.add_argument("--forms", type=int, help="forms in the latency phase (default 8)")
    parser.add_argument("--chats", type=int, default=16, help="chats at once (default 16)")
    parser.add_argument(
        "--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS, help="databases"
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="also run visitdesk from this copy of the repository (a before/after in one run)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--replies", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        if args.serve == ECHO:
            asyncio.run(serve_bare(args.api, echo))
        elif args.serve == REPLAY:
            asyncio.run(serve_replay(args.api, args.replies))
        else:  # visitdesk, or its adapter alone
            asyncio.run(serve_visitdesk(args.api, args.database, args.replies, args.floor))
        return
    args.repeats = args.repeats or (2 if args.quick else 5)
    args.forms = args.forms or (3 if args.quick else 8)
    if args.quick and args.chats == 16:
        args.chats = 8
    asyncio.run(benchmark(args))


if __name__ == "__main__":
    main()
