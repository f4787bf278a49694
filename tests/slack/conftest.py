"""Slack test rig: the real bolt App served over HTTP on 127.0.0.1, a Web API stand-in at
the client's base_url, and `FakeSlack`, which sends requests signed as Slack signs them.

Every FakeSlack call waits for the bot's background work (`SlackBot.idle`), so a test reads
the stand-in's record right after it, with no sleeps and no timing.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.slack import EVENTS_PATH, SlackBot
from bot.slack_send import web_client
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.org.chart import invite
from storage.models import Person
from tests.slack.standin import Shown, WebApiStandIn, dm_of
from tests.support import FakeClock

ZH = Translator("zh_CN")
Link = Callable[[str], Awaitable[str]]
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
USERS = {
    "李明": "ULIMING",
    "张伟": "UZHANGWEI",
    "王经理": "UWANG",
    "赵总": "UZHAO",
    "钱会计": "UQIAN",
    "孙行政": "USUN",
    "Tom Walker": "UTOM",
}


def payload(name: str) -> dict[str, Any]:
    """A recorded Slack payload from tests/fixtures/slack."""
    return dict(json.loads((FIXTURES / f"{name}.json").read_text()))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Slack's v0 signature: HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}


class FakeSlack:
    """Slack's side of the wire: signed HTTP requests to the bot, as Slack sends them."""

    def __init__(
        self, url: str, bot: SlackBot, standin: WebApiStandIn, http: aiohttp.ClientSession
    ) -> None:
        self.url = url
        self.bot = bot
        self.standin = standin
        self.http = http
        self._numbers = itertools.count(1)

    async def send(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Answer:
        stamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": sign(secret, stamp, body),
            **(headers or {}),
        }
        async with self.http.post(self.url, data=body, headers=all_headers) as response:
            answer = Answer(response.status, await response.text())
        if settle:
            await self.bot.idle()
        return answer

    async def interactive(self, body: dict[str, Any], settle: bool = True) -> Answer:
        form = urlencode({"payload": json.dumps(body)}).encode()
        return await self.send(form, "application/x-www-form-urlencoded", settle=settle)

    async def event(self, body: dict[str, Any], retry: int | None = None) -> Answer:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.send(
            json.dumps(body).encode(), "application/json", headers=headers if retry else None
        )

    async def command(self, user: str, text: str, channel: str | None = None) -> Answer:
        """`/visitdesk text` typed in the user's DM with the bot, or in a channel."""
        where = channel or dm_of(user)
        body = payload("slash_command") | {
            "team_id": TEAM,
            "user_id": user,
            "channel_id": where,
            "channel_name": "general" if channel else "directmessage",
            "text": text,
            "trigger_id": f"trigger.{next(self._numbers)}",
            "response_url": self.standin.response_url(where, user),
        }
        return await self.send(urlencode(body).encode(), "application/x-www-form-urlencoded")

    async def message(self, user: str, text: str, event_id: str | None = None) -> Answer:
        body = payload("event_message_im")
        body["event"] |= {"user": user, "channel": dm_of(user), "text": text}
        body["event_id"] = event_id or f"Ev{next(self._numbers):08d}"
        return await self.event(body)

    async def press(self, user: str, message: Shown, label: str, settle: bool = True) -> Answer:
        """Tap the button labelled `label` on a message the user was shown."""
        button = message.buttons().get(label)
        assert button is not None, f"no button {label!r} on {message.text!r}: {message.buttons()}"
        body = self._press_body(user, button)
        body["container"] |= {"message_ts": message.ts, "channel_id": message.channel}
        body["channel"]["id"] = message.channel
        body["message"] |= {"ts": message.ts, "text": message.text, "blocks": message.blocks}
        return await self.interactive(body, settle=settle)

    async def press_home(self, user: str, view: dict[str, Any], label: str) -> Answer:
        """Tap a button on the user's App Home."""
        buttons = Shown("", "", "", view["blocks"]).buttons()
        assert label in buttons, f"no button {label!r} on the home tab: {list(buttons)}"
        body = self._press_body(user, buttons[label])
        body["container"] = {"type": "view", "view_id": "VHOME"}
        del body["message"], body["channel"]
        return await self.interactive(body)

    def _press_body(self, user: str, button: dict[str, Any]) -> dict[str, Any]:
        body = payload("block_actions")
        body["user"] |= {"id": user}
        body["trigger_id"] = f"trigger.{next(self._numbers)}"
        body["actions"][0] |= {
            "action_id": button["action_id"],
            "value": button.get("value", ""),
            "text": button["text"],
            "action_ts": f"1700002000.{next(self._numbers):06d}",
        }
        return body

    async def submit(self, user: str, view: dict[str, Any], answers: dict[str, Any]) -> Answer:
        """Submit a modal as Slack would: typed text as value, a choice by its label."""
        body = payload("view_submission")
        body["user"] |= {"id": user}
        body["view"] |= {
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view["blocks"],
            "state": {"values": state_of(view, answers)},
        }
        return await self.interactive(body)

    async def close(self, user: str, view: dict[str, Any]) -> Answer:
        """Close a modal with its Cancel or ✕: Slack says so only when the view asked for it
        (`notify_on_close`)."""
        assert view.get("notify_on_close"), "Slack sends no view_closed for this modal"
        body = payload("view_submission")
        body["type"] = "view_closed"
        body["user"] |= {"id": user}
        body["view"] |= {
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view["blocks"],
            "notify_on_close": True,
        }
        body["is_cleared"] = False
        return await self.interactive(body)

    async def shortcut(self, user: str, callback_id: str) -> Answer:
        body = payload("shortcut")
        body["user"] |= {"id": user}
        body |= {"callback_id": callback_id, "trigger_id": f"trigger.{next(self._numbers)}"}
        return await self.interactive(body)

    async def open_home(self, user: str) -> Answer:
        body = payload("event_app_home_opened")
        body["event"] |= {"user": user, "channel": dm_of(user)}
        body["event_id"] = f"Ev{next(self._numbers):08d}"
        return await self.event(body)


def state_of(view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` for the given answers (block_id → text, label or labels)."""
    unknown = set(answers) - {b.get("block_id") for b in view["blocks"]}
    assert not unknown, f"the modal has no blocks {unknown}"
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        answer = answers.get(block["block_id"])
        state: dict[str, Any] = {"type": element["type"]}
        if element["type"] == "plain_text_input":
            state["value"] = answer
        else:
            by_label = {o["text"]["text"]: o for o in element["options"]}
            if element["type"] == "static_select":
                state["selected_option"] = deepcopy(by_label[answer]) if answer else None
            else:
                state["selected_options"] = [deepcopy(by_label[a]) for a in answer or []]
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def _option(view: dict[str, Any], block_id: str, starts: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    labels = [str(o["text"]["text"]) for o in block["element"]["options"]]
    return next(label for label in labels if label.startswith(starts))


def reception_answers(view: dict[str, Any], arrival: str) -> dict[str, Any]:
    """A class C reception for 李明's client 东方精密, as typed and picked in Chinese."""
    return {
        "client": "东方精密",
        "cls": _option(view, "cls", "C "),
        "visitors": "3",
        "guest": "王工",
        "guest_title": "技术经理",
        "purposes": [ZH("rcp.purpose.tour"), ZH("rcp.purpose.talks")],
        "arrival": arrival,
        "departure": "下周三下午4点",
        "pickup": ZH("flow.no"),
        "hotel": ZH("flow.no"),
        "meals": "0",
        "room": ZH("flow.yes"),
        "b_transport": "200",
    }


async def file_reception(slack: FakeSlack, user: str) -> None:
    """李明 fills the reception modal and presses Submit on the summary."""
    await slack.command(user, "reception")
    view = slack.standin.opened_views()[-1]
    await slack.submit(user, view, reception_answers(view, "下周三上午10点"))
    await slack.press(user, slack.standin.last(user), ZH("flow.submit"))


@pytest.fixture
async def standin() -> AsyncIterator[WebApiStandIn]:
    api = WebApiStandIn()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def bot(core: Core, standin: WebApiStandIn) -> AsyncIterator[SlackBot]:
    client = web_client("xoxb-test-token", standin.base_url)
    slack_bot = SlackBot(core, client, SECRET, pace_seconds=0)
    yield slack_bot
    await slack_bot.idle()
    slack_bot.close()


@pytest.fixture
async def slack(bot: SlackBot, standin: WebApiStandIn) -> AsyncIterator[FakeSlack]:
    """The bot served on a free port of 127.0.0.1, and Slack's side of the wire."""
    runner = await bot.start_http("127.0.0.1", 0)
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as http:
        yield FakeSlack(url, bot, standin, http)
    await bot.idle()
    await runner.cleanup()


@pytest.fixture
def link(core: Core, clock: FakeClock, slack: FakeSlack) -> Link:
    """Link a person of the example company to their Slack user, as they would: with a code
    from their admin and `/visitdesk link CODE`. Returns the Slack user id."""

    async def link_person(name: str) -> str:
        user = USERS[name]
        with core.db.session() as session:
            person = session.scalars(select(Person).where(Person.name == name)).one()
            code = invite(session, person, clock())
        await slack.command(user, f"link {code}")
        assert slack.standin.inbox(user), f"{name} was not answered"
        slack.standin.shown.pop(dm_of(user))  # tests look at what comes after
        return user

    return link_person
