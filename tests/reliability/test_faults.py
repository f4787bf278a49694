"""Faults: the Bot API or Slack's Web API answering 429, 500 or nothing at all (a timeout),
and the database unavailable for a while. Messages are retried, none is lost, none doubled,
and a person whose message could not be handled is told so.

A hung call is never answered by the stand-ins, so nothing was shown and a retry is the
only copy; a platform that took a message but whose answer was lost would show it twice on
retry — the at-least-once that any chat bot has (see tests/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from datetime import datetime

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

import handlers.outbox
from bot.slack import SlackBot
from handlers.engine.messages import Message
from handlers.outbox import LEASE
from storage.db import Database
from storage.models import OutboxMessage
from tests.reliability.driver import ZH_PEOPLE, file_reception
from tests.reliability.support import EN, ZH, count, outage
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock
from tests.telegram.harness import World, eventually

# PTB warns about its own RetryAfter internals (v22.2 deprecation), not about our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
HELP_ZH = "李明,您可以使用:"
BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
# Stopping the real PostgreSQL disturbs everyone else's tests on this machine: opt in.
REAL_OUTAGE = os.environ.get("VISITDESK_DB_OUTAGE_TEST") == "1"
PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]


def short_timeouts(world: World) -> None:
    """Give up on a Bot API call after a second (PTB waits 5 s by default) — the stand-in's
    hung call is then a timeout without a long test."""
    request = world.bot.application.bot.request
    request._client.timeout = httpx.Timeout(1.0)


def shown(texts: list[str], start: str) -> int:
    return sum(text.startswith(start) for text in texts)


# ---------------------------------------------------------------------------- Telegram replies


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_a_reply_the_bot_api_fails_is_sent_later_once(world: World, fault: str) -> None:
    li = await world.linked("李明")
    short_timeouts(world)
    if fault == "500":
        world.api.fail_next("sendMessage", 500)
    else:
        world.api.hang_next("sendMessage")
    await li.send("/help")
    assert shown(li.texts, HELP_ZH) == 1, li.texts
    failed = [c for c in world.api.calls_of("sendMessage") if c.status in (0, 500)]
    assert len(failed) == 1 and failed[0].params["text"].startswith(HELP_ZH)


@pytest.mark.parametrize("telegram_limits", [0], indirect=True)  # no retry after a 429
async def test_a_reply_refused_with_429_past_the_retries_is_sent_later(world: World) -> None:
    li = await world.linked("李明")
    world.api.refuse_next("sendMessage", retry_after=1)
    await li.send("/help")
    assert shown(li.texts, HELP_ZH) == 1, li.texts


async def test_a_form_answer_is_kept_when_its_reply_fails(world: World) -> None:
    li = await world.linked("李明")
    await li.send("/reception")
    world.api.fail_next("sendMessage", 500)
    await li.send("1")  # the client; the next question (the class) fails to go out at first
    assert shown(li.texts, ZH("rcp.ask.cls").split("\n")[0]) == 1, li.texts
    await li.send("1")
    assert li.texts[-1] == ZH("rcp.ask.visitors")


# ---------------------------------------------------------------------------- Telegram outbox


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_a_queued_message_is_retried_after_a_failure_and_sent_once(
    world: World, clock: FakeClock, fault: str
) -> None:
    wang = await world.linked("王经理")
    short_timeouts(world)
    if fault == "500":
        world.api.fail_next("sendMessage", 500)
    else:
        world.api.hang_next("sendMessage")
    world.queue("王经理", Message("【接待申请 #9】请审批"), "test:fault:9")
    await world.settle()
    assert "【接待申请 #9】请审批" not in wang.texts
    clock.advance(minutes=1)  # the retry comes due
    await world.settle()
    await world.settle()
    assert wang.texts.count("【接待申请 #9】请审批") == 1


# ---------------------------------------------------------------------------- the database


@BACKENDS
async def test_while_the_database_is_down_people_are_told_and_nothing_is_lost(
    world: World, clock: FakeClock
) -> None:
    li = await world.linked("李明")
    await li.send("/reception")
    db = world.bot.app.db
    with outage(db):
        assert await world.receive(world.text_update(li, "1")) == 200
        await eventually(lambda: world.api.all_fetched, "the update to be fetched")
        await asyncio.wait_for(world.bot.application.update_queue.join(), 10)
    await world.settle()
    assert li.texts[-1] == ZH("error.internal")  # in the language Telegram reported

    # Back up: the answer, typed again, is taken where the form was.
    assert (await li.send("1"))[-1].text.startswith(ZH("rcp.ask.cls").split("\n")[0])


@BACKENDS
async def test_queued_messages_wait_out_an_outage_and_go_once(
    world: World, clock: FakeClock
) -> None:
    wang = await world.linked("王经理")
    db = world.bot.app.db
    world.queue("王经理", Message("【接待申请 #10】请审批"), "test:outage:10")
    with outage(db), pytest.raises(OperationalError):
        await world.bot.deliver()
    await world.settle()
    assert wang.texts.count("【接待申请 #10】请审批") == 1


def database_away_for_one_mark(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The next `mark_sent` fails as if the database had gone; `["left"]` turns 0 once it has."""
    mark_sent = handlers.outbox.mark_sent
    down = {"left": 1}

    def mark_sent_while_down(db: Database, pending_id: int, now: datetime) -> None:
        if down["left"]:
            down["left"] -= 1
            raise OperationalError("UPDATE outbox", {}, Exception("server closed the connection"))
        mark_sent(db, pending_id, now)

    monkeypatch.setattr(handlers.outbox, "mark_sent", mark_sent_while_down)
    return down


async def test_a_message_sent_while_the_database_went_away_is_not_sent_again(
    world: World, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sent, then the database is gone before the row is marked sent: the mark waits for
    the database, and the row is not claimed and sent a second time when its lease ends."""
    wang = await world.linked("王经理")
    down = database_away_for_one_mark(monkeypatch)
    world.queue("王经理", Message("【接待申请 #11】请审批"), "test:outage:11")
    await eventually(lambda: not down["left"], "the outbox loop to send it")
    assert wang.texts.count("【接待申请 #11】请审批") == 1

    clock.advance(seconds=LEASE.total_seconds() + 60)  # the lease is long over
    await world.settle()
    assert wang.texts.count("【接待申请 #11】请审批") == 1
    with world.bot.app.db.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.key == "test:outage:11"))
        assert row.one().sent_at is not None


# ---------------------------------------------------------------------------- Slack


def short_slack_timeouts(slack_bot: SlackBot) -> None:
    slack_bot.client.timeout = 1  # slack_sdk waits 30 s by default


@pytest.mark.parametrize("fault", ["500", "timeout", "429"])
async def test_a_slack_reply_the_web_api_fails_is_sent_later_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, clock: FakeClock, fault: str
) -> None:
    user = await link("李明")
    short_slack_timeouts(slack.bot)
    if fault == "500":
        standin.server_error_next("chat.postMessage", 500)
    elif fault == "timeout":
        standin.hang_next("chat.postMessage")
    else:
        standin.rate_limit_next("chat.postMessage", times=1, retry_after=0)
    await slack.message(user, "/my")
    clock.advance(minutes=2)  # a kept reply waits a minute before it is tried again
    await slack.bot.deliver()
    # Once, and spelled for Slack.
    assert standin.texts(user) == [EN("rcp.my.none").replace("/reception", "/visitdesk reception")]


@pytest.mark.parametrize("fault", ["500", "timeout"])
async def test_a_slack_card_is_retried_and_sent_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, clock: FakeClock, fault: str
) -> None:
    wang = await link("王经理")
    short_slack_timeouts(slack.bot)
    if fault == "500":
        standin.server_error_next("chat.postMessage", 500)
    else:
        standin.hang_next("chat.postMessage")
    file_reception(slack.bot.core, ZH_PEOPLE)
    await slack.bot.deliver()
    assert standin.texts(wang) == []
    clock.advance(minutes=2)
    await slack.bot.deliver()
    cards = [t for t in standin.texts(wang) if "东方精密" in t]
    assert len(cards) == 1, standin.texts(wang)
    assert count(slack.bot.core.db, OutboxMessage, OutboxMessage.sent_at.is_(None)) == 0


async def test_a_slack_message_sent_while_the_database_went_away_is_not_sent_again(
    slack: FakeSlack,
    standin: WebApiStandIn,
    link: Link,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wang = await link("王经理")
    database_away_for_one_mark(monkeypatch)
    file_reception(slack.bot.core, ZH_PEOPLE)
    with pytest.raises(OperationalError):
        await slack.bot.deliver()
    clock.advance(seconds=LEASE.total_seconds() + 60)
    await slack.bot.deliver()
    cards = [t for t in standin.texts(wang) if "东方精密" in t]
    assert len(cards) == 1, standin.texts(wang)


# ---------------------------------------------------------------------------- a real outage


def postgres(action: str) -> None:
    subprocess.run([*PG_CLUSTER, action], check=True, capture_output=True, timeout=60)


def wait_for_postgres(db: Database) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with db.engine.connect() as conn:
                conn.execute(text("select 1"))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.skipif(not REAL_OUTAGE, reason="stops PostgreSQL; set VISITDESK_DB_OUTAGE_TEST=1")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_stopped_and_started_again(world: World, clock: FakeClock) -> None:
    """The real thing: the server stopped (connections cut) and started again."""
    li = await world.linked("李明")
    wang = await world.linked("王经理")
    await li.send("/reception")
    db = world.bot.app.db
    world.api.fail_next("sendMessage", 500)  # the first try fails; its retry falls in the outage
    world.queue("王经理", Message("【接待申请 #13】请审批"), "test:pg:13")
    await world.settle()
    assert "【接待申请 #13】请审批" not in wang.texts
    postgres("stop")
    try:
        clock.advance(minutes=1)  # the retry is due while the server is down
        assert await world.receive(world.text_update(li, "东方精密")) == 200
        await eventually(lambda: world.api.all_fetched, "the update to be fetched")
        await asyncio.wait_for(world.bot.application.update_queue.join(), 30)
        with pytest.raises(OperationalError):
            await world.bot.deliver()
    finally:
        postgres("start")
    await asyncio.to_thread(wait_for_postgres, db)
    await world.settle()
    assert li.texts[-1] == ZH("error.internal")
    assert wang.texts.count("【接待申请 #13】请审批") == 1
    # The answer, typed again, is taken where the form was.
    assert (await li.send("东方精密"))[-1].text.startswith(ZH("rcp.ask.cls").split("\n")[0])
