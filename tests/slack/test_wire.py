"""The Slack wire: signatures and timestamps, strangers and linking, redeliveries and rate
limits — the real bolt App over HTTP, the Web API answered by the stand-in."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from sqlalchemy import func, select

from bot.slack import SlackBot
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.org.chart import invite
from storage.models import Identity, InboundEvent, Person
from tests.slack.conftest import TEAM, FakeSlack, Link, payload
from tests.slack.standin import WebApiStandIn, dm_of
from tests.support import FakeClock

EN = Translator("en")
ZH = Translator("zh_CN")


def _help_command(user: str = "USTRANGER") -> bytes:
    return urlencode(payload("slash_command") | {"user_id": user, "text": "help"}).encode()


async def test_a_forged_signature_gets_401_and_does_nothing(
    slack: FakeSlack, standin: WebApiStandIn
) -> None:
    forged = await slack.send(
        _help_command(), "application/x-www-form-urlencoded", secret="not-the-signing-secret"
    )
    assert forged.status == 401
    assert standin.inbox("USTRANGER") == []

    signed = await slack.send(_help_command(), "application/x-www-form-urlencoded")
    assert signed.status == 200
    assert standin.texts("USTRANGER") == [EN("stranger.slack")]


async def test_a_request_older_than_five_minutes_gets_401(
    slack: FakeSlack, standin: WebApiStandIn
) -> None:
    old = int(time.time()) - 6 * 60  # signed correctly, but replayable: refused
    answer = await slack.send(_help_command(), "application/x-www-form-urlencoded", timestamp=old)
    assert answer.status == 401
    assert standin.inbox("USTRANGER") == []


async def test_a_stranger_gets_one_line_in_their_language_and_no_modal(
    slack: FakeSlack, standin: WebApiStandIn
) -> None:
    standin.locales["USTRANGER"] = "zh-CN"
    answer = await slack.command("USTRANGER", "reception")
    assert answer.status == 200
    assert standin.texts("USTRANGER") == [ZH("stranger.slack")]
    assert standin.opened_views() == []


async def test_link_code_links_the_slack_user_to_the_person(
    slack: FakeSlack, standin: WebApiStandIn, core: Core, clock: FakeClock
) -> None:
    with core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        code = invite(session, li, clock())

    await slack.command("ULIMING", f"link {code}")
    assert (
        standin.texts("ULIMING")
        == [
            EN("link.welcome", name="李明")  # en-US Slack, no profile locale
            + "\n\nSend /visitdesk help to see what you can do — for example /visitdesk reception "
            "to request a reception."
        ]
    )
    with core.db.session() as session:
        identity = session.scalars(select(Identity).where(Identity.platform == "slack")).one()
        assert (identity.platform_user, identity.chat_id) == (f"{TEAM}:ULIMING", dm_of("ULIMING"))
        assert identity.platform_locale == "en-US"
        assert identity.person.name == "李明"

    await slack.command("ULIMING", f"link {code}")  # used once: now a linked person's command
    await slack.command("UOTHER", f"link {code}")  # and nobody else can take it
    assert standin.texts("UOTHER") == [EN("link.bad_code")]


async def test_slash_subcommands_map_to_core_commands(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("王经理")
    await slack.command(user, "pending")
    assert standin.texts(user) == [EN("approval.queue_empty")]
    await slack.command(user, "")  # bare /visitdesk: help, every command as Slack spells it
    help_text = standin.texts(user)[-1]
    assert help_text.startswith(EN("help.title", name="王经理"))
    assert "/visitdesk pending — " in help_text and "/visitdesk cancel — " in help_text
    assert "\n/pending" not in help_text and "\n/reception" not in help_text


async def test_every_hint_names_commands_as_slack_spells_them(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, clock: FakeClock
) -> None:
    with core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "张伟")).one()
        code = invite(session, li, clock())
    await slack.command("UZHANGWEI", f"link {code}")  # the welcome names help and reception
    assert standin.texts("UZHANGWEI") == [
        EN("link.welcome", name="张伟")
        + "\n\nSend /visitdesk help to see what you can do — for example /visitdesk reception "
        "to request a reception."
    ]
    user = await link("李明")
    await slack.message(user, "/my")  # a hint inside an answer
    assert standin.texts(user)[-1] == (
        "You have no open reception requests. Send /visitdesk reception to start one."
    )
    await slack.open_home(user)
    home = json.dumps(standin.published_home(user), ensure_ascii=False)
    assert "/my" not in home.replace("/visitdesk my", "")
    await slack.command("USTRANGER", "help")  # and the stranger line
    assert standin.texts("USTRANGER") == [EN("stranger.slack")]
    assert "/visitdesk link" in EN("stranger.slack")


async def test_a_command_typed_in_a_channel_is_answered_there_to_that_person(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("王经理")
    await slack.command(user, "pending", channel="C0GENERAL")
    assert standin.texts(user) == []  # nothing in the DM
    (answer,) = standin.responses[("C0GENERAL", user)]
    assert answer["text"] == EN("approval.queue_empty")
    assert answer.get("response_type", "ephemeral") == "ephemeral"  # that person alone
    await slack.command(user, "help", channel="C0GENERAL")
    assert "/visitdesk pending — " in standin.responses[("C0GENERAL", user)][-1]["text"]


async def test_a_retried_event_acts_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    body = payload("event_message_im")
    body["event"] |= {"user": user, "channel": dm_of(user), "text": "/help"}
    body["event_id"] = "Ev0RETRIED1"

    first = await slack.event(body)
    again = await slack.event(body, retry=1)  # Slack retries when it thinks it was not heard
    assert (first.status, again.status) == (200, 200)
    helps = [t for t in standin.texts(user) if t.startswith(EN("help.title", name="李明"))]
    assert len(helps) == 1
    with core.db.session() as session:
        seen = (
            select(func.count())
            .select_from(InboundEvent)
            .where(InboundEvent.event_id == "Ev0RETRIED1")
        )
        assert session.scalar(seen) == 1


async def test_a_429_delays_a_message_but_it_arrives_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("李明")
    standin.rate_limit_next("chat.postMessage")
    before = len(standin.calls_to("chat.postMessage"))
    await slack.message(user, "/lang zh")
    attempts = standin.calls_to("chat.postMessage")[before:]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].params["text"] == attempts[1].params["text"]
    assert standin.texts(user) == [ZH("lang.set")]


async def test_bot_messages_and_channel_chatter_are_ignored(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, bot: SlackBot
) -> None:
    user = await link("李明")
    echo = payload("event_message_im")
    echo["event"] |= {"user": user, "channel": dm_of(user), "bot_id": "BBOT", "text": "/help"}
    channel = payload("event_message_im")
    channel["event"] |= {"user": user, "channel": "C0GENERAL", "channel_type": "channel"}
    channel["event_id"] = "Ev0CHANNEL"
    await slack.event(echo)
    await slack.event(channel)
    assert standin.inbox(user) == []


async def test_a_reply_slack_keeps_refusing_waits_in_the_outbox(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, bot: SlackBot, clock: FakeClock
) -> None:
    user = await link("李明")
    standin.rate_limit_next("chat.postMessage", times=4, retry_after=0)  # beyond the retries
    await slack.message(user, "/lang zh")
    assert standin.inbox(user) == []

    clock.advance(minutes=2)
    await bot.deliver()
    assert standin.texts(user) == [ZH("lang.set")]
