"""Crashes: a bot process killed with SIGKILL in the middle of a form, and between claiming
an outbox message and sending it. After a restart the form continues at the same step, an
answer typed as the process died is either all in or all out, and the message is sent once
(after its lease ends — the restarted process's clock is set past it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.messages import Message
from handlers.outbox import LEASE
from storage.db import Database
from storage.models import Identity, OutboxMessage, Person, utcnow
from tests.reliability.driver import draft_state
from tests.reliability.processes import WAIT, Console, Process, bot_environment
from tests.reliability.support import ZH
from tests.telegram.botapi import TOKEN, BotApi
from tests.telegram.harness import USER_IDS


def test_a_form_killed_mid_way_continues_at_the_same_step(
    core: Core, org_db: Database, tmp_path: Path
) -> None:
    first = Console("李明", org_db.url, tmp_path)
    assert ZH("rcp.ask.client").split("\n")[0] in first.say("/reception")
    first.say("东方精密")
    first.say("C")
    assert ZH("rcp.ask.guest") in first.say("3")
    first.kill()  # waiting at the guest's name
    state = draft_state(core, "李明", "rcp")
    assert state is not None and state.step == "guest"

    second = Console("李明", org_db.url, tmp_path)
    resumed = second.say("/reception")
    assert ZH("flow.resumed", title=ZH("rcp.title")) in resumed
    assert (
        resumed.rstrip().removesuffix(second.prompt.strip()).rstrip().endswith(ZH("rcp.ask.guest"))
    )
    # Typed, and the process killed at once: whether it got there or not, never half.
    second.type("王工")
    second.kill()
    state = draft_state(core, "李明", "rcp")
    assert state is not None and state.step in ("guest", "guest_title")
    took = state.step == "guest_title"
    assert (state.data.get("guest") == "王工") is took
    assert state.history["steps"][-1] == ("guest" if took else "visitors")
    assert {"client", "cls", "visitors"} <= state.data.keys()


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.02)


def linked_on_telegram(session: Session, name: str, now: datetime) -> Person:
    """A person of the example company, linked to their chat on the Bot API stand-in as
    `/start CODE` would have linked them."""
    person = session.scalars(select(Person).where(Person.name == name)).one()
    chat = str(USER_IDS[name])
    session.add(
        Identity(
            platform="telegram",
            platform_user=chat,
            person_id=person.id,
            chat_id=chat,
            linked_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return person


def _outbox_row(db: Database, key: str) -> OutboxMessage:
    with db.session() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


async def test_a_message_claimed_by_a_killed_process_is_sent_once_after_its_lease(
    botapi: BotApi, org_db: Database, tmp_path: Path
) -> None:
    chat = USER_IDS["王经理"]
    now = utcnow()
    with org_db.session() as session:
        wang = linked_on_telegram(session, "王经理", now)
        enqueue(session, wang, Message("【接待申请 #12】请审批"), "crash:12", now)

    botapi.hang_next("sendMessage")  # the process claims the row and dies mid-send
    env = bot_environment(
        org_db.url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=botapi.url,
        TICK_SECONDS="0.05",
    )
    first = Process(["-m", "tests.reliability.telegram_process"], env, tmp_path)
    try:
        await until(
            lambda: any(c.status == 0 for c in botapi.calls_of("sendMessage")),
            "the first process to claim and start sending",
        )
    finally:
        first.kill()
    row = _outbox_row(org_db, "crash:12")
    assert (row.attempts, row.sent_at) == (1, None)
    assert row.not_before > utcnow()  # leased: hidden from every other process for now
    assert botapi.chats[chat] == []

    later = str(LEASE.total_seconds() + 60)
    second = Process(
        ["-m", "tests.reliability.telegram_process"],
        env | {"VISITDESK_CLOCK_OFFSET": later},
        tmp_path,
    )
    try:
        await until(lambda: _outbox_row(org_db, "crash:12").sent_at is not None, "the resend")
    finally:
        second.kill()
    assert [m.text for m in botapi.chats[chat]] == ["【接待申请 #12】请审批"]
    assert _outbox_row(org_db, "crash:12").attempts == 2
