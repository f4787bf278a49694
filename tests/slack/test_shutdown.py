"""Stopping the Slack bot (SIGTERM, SIGINT: `serve` is cancelled, then `SlackBot.stop`) while
a backlog goes out: the message being sent finishes and is marked, the rest is given back,
due at once, and a next bot sends it — each message once."""

from __future__ import annotations

from sqlalchemy import select

from bot.slack import SlackBot
from bot.slack_send import web_client
from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.messages import Message
from storage.models import OutboxMessage, Person
from tests.slack.conftest import SECRET, Link
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock
from tests.telegram.harness import eventually


def backlog(core: Core) -> list[OutboxMessage]:
    with core.db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.key.startswith("stop:"))
        return list(session.scalars(query.order_by(OutboxMessage.id)))


async def test_a_stopped_bot_finishes_its_send_and_the_next_sends_the_rest_once(
    core: Core, standin: WebApiStandIn, link: Link, clock: FakeClock, bot: SlackBot
) -> None:
    li = await link("李明")
    bot.sender.pacer.interval = 0.2  # Slack's pace, shortened: a backlog takes a moment
    with core.db.session() as session:  # its commit starts a pass
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        for n in range(6):
            enqueue(session, person, Message(f"backlog {n}"), f"stop:{n}", clock())
    await eventually(lambda: len(standin.texts(li)) >= 2, "the pass to be sending")
    await bot.stop()
    shown = standin.texts(li)
    assert 2 <= len(shown) < 6
    assert [r.key for r in backlog(core) if r.sent_at] == [f"stop:{n}" for n in range(len(shown))]
    waiting = [(r.attempts, r.not_before <= clock()) for r in backlog(core) if not r.sent_at]
    assert waiting and all(w == (0, True) for w in waiting), waiting

    after = SlackBot(core, web_client("xoxb-test-token", standin.base_url), SECRET, 0)
    try:
        await after.deliver()
    finally:
        after.close()
    assert standin.texts(li) == [f"backlog {n}" for n in range(6)]
