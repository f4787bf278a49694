"""Stopping `visitdesk run telegram` with SIGTERM (a deploy, systemd, docker stop) or SIGINT
(Ctrl-C): it takes no more updates, lets the message being sent finish and marks it, gives
back the messages it had claimed but not sent, closes the database and exits 0. Restarted, it
sends the rest at once — nothing twice, nothing waiting for a lease."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.engine.context import enqueue
from handlers.engine.messages import Message
from storage.db import Database
from storage.models import OutboxMessage, utcnow
from tests.reliability.processes import WAIT, Process, bot_environment
from tests.reliability.test_crashes import linked_on_telegram, until
from tests.telegram.botapi import TOKEN, BotApi
from tests.telegram.harness import USER_IDS

BACKLOG = 8  # at Telegram's pace for one chat (a message a second), some seconds of work
VISITDESK = ["-m", "bot.cli", "run", "telegram"]


def backlog_for_wang(db: Database) -> int:
    now = utcnow()
    with db.session() as session:
        wang = linked_on_telegram(session, "王经理", now)
        for n in range(BACKLOG):
            enqueue(session, wang, Message(f"积压 {n}"), f"stop:{n}", now)
    return USER_IDS["王经理"]


def rows(db: Database) -> list[OutboxMessage]:
    """The backlog's rows (not the scheduler's reminders for people not on Telegram)."""
    with db.session() as session:
        backlog = select(OutboxMessage).where(OutboxMessage.key.startswith("stop:"))
        return list(session.scalars(backlog.order_by(OutboxMessage.id)))


async def exited(process: Process, within: float) -> int | None:
    """The exit code, once it exits (None if not within `within` s); the stand-in it talks
    to runs in this event loop, so the wait must not block it."""
    deadline = time.monotonic() + within
    while process.proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return process.proc.poll()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
async def test_a_stopped_bot_finishes_what_it_sends_and_the_next_sends_the_rest_once(
    botapi: BotApi, org_db: Database, tmp_path: Path, how: signal.Signals
) -> None:
    chat = backlog_for_wang(org_db)
    env = bot_environment(
        org_db.url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=botapi.url,
        TICK_SECONDS="0.05",
    )
    first = Process(VISITDESK, env, tmp_path)
    try:
        await until(lambda: len(botapi.chats[chat]) >= 2, "the first process to be sending")
        first.proc.send_signal(how)
        assert await exited(first, within=10) == 0, first.output
    finally:
        first.kill()
    shown = [m.text for m in botapi.chats[chat]]
    assert 2 <= len(shown) < BACKLOG, shown  # stopped mid-backlog
    # What was shown is marked sent; what was not is due again now, its claim given back.
    now = utcnow()
    assert [r.key for r in rows(org_db) if r.sent_at] == [f"stop:{n}" for n in range(len(shown))]
    waiting = [(r.key, r.attempts, r.not_before <= now) for r in rows(org_db) if not r.sent_at]
    assert all(attempts == 0 and due for _, attempts, due in waiting), (waiting, first.output)

    second = Process(VISITDESK, env, tmp_path)  # no clock set forward: nothing waits a lease
    try:
        await until(lambda: all(r.sent_at for r in rows(org_db)), "the rest, sent")
    finally:
        second.proc.send_signal(signal.SIGTERM)
        assert await exited(second, within=WAIT) == 0, second.output
    assert [m.text for m in botapi.chats[chat]] == [f"积压 {n}" for n in range(BACKLOG)]
