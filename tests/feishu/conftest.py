"""Feishu test rig: the real lark-oapi client pointed (its `domain`) at the Open API stand-in,
the bot's callback URL served on 127.0.0.1, and `FakeFeishu`, which sends callbacks as Feishu
builds them: AES-256-CBC encrypted with the encrypt key, signed with X-Lark-Signature =
sha256(timestamp + nonce + encrypt_key + body).

Every FakeFeishu call waits for the bot's work and its outbox pass (`settle`), so a test reads
the stand-in's record right after it, with no sleeps and no timing.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from Crypto.Cipher import AES
from sqlalchemy import select

from bot.feishu.bot import FeishuBot
from bot.feishu.callback import EVENTS_PATH, signature
from bot.feishu.send import Sender, api_client
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.org.chart import invite
from storage.models import Person
from tests.feishu.openapi import OpenApiStandIn, Shown
from tests.support import FakeClock

ZH = Translator("zh_CN")
EN = Translator("en")
APP_ID = "cli_a1b2c3d4e5f6"
APP_SECRET = "secret-of-the-test-app"
ENCRYPT_KEY = "test-encrypt-key-0123456789"
TOKEN = "test-verification-token"
USERS = {
    "李明": "ou_liming",
    "张伟": "ou_zhangwei",
    "王经理": "ou_wang",
    "赵总": "ou_zhao",
    "钱会计": "ou_qian",
    "孙行政": "ou_sun",
    "Tom Walker": "ou_tom",
}
Link = Callable[[str], Awaitable[str]]


def encrypt(key: str, plain: str) -> str:
    """Feishu's encryption: AES-256-CBC, key sha256(encrypt_key), base64(iv + ciphertext)."""
    iv = os.urandom(16)
    data = plain.encode()
    pad = 16 - len(data) % 16
    cipher = AES.new(hashlib.sha256(key.encode()).digest(), AES.MODE_CBC, iv)
    return base64.b64encode(iv + cipher.encrypt(data + bytes([pad]) * pad)).decode()


@dataclass
class Answer:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body)) if self.body else {}


class FakeFeishu:
    """Feishu's side of the callback URL."""

    def __init__(
        self, url: str, bot: FeishuBot, standin: OpenApiStandIn, http: aiohttp.ClientSession
    ) -> None:
        self.url = url
        self.bot = bot
        self.standin = standin
        self.http = http
        self._numbers = itertools.count(1)
        self.sent: list[dict[str, Any]] = []  # every callback, to deliver one again

    async def post(
        self,
        payload: dict[str, Any],
        *,
        key: str = ENCRYPT_KEY,
        signed_with: str | None = None,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        settle: bool = True,
    ) -> Answer:
        self.sent.append(payload)
        body = json.dumps({"encrypt": encrypt(key, json.dumps(payload))}).encode()
        stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), "n0nce"
        sign = signature(stamp, nonce, signed_with or key, body)
        sent = {
            "Content-Type": "application/json",
            "X-Lark-Request-Timestamp": stamp,
            "X-Lark-Request-Nonce": nonce,
            "X-Lark-Signature": sign,
        }
        if headers is not None:
            sent = headers
        async with self.http.post(self.url, data=body, headers=sent) as response:
            answer = Answer(response.status, await response.text())
        if settle:
            await self.settle()
        return answer

    async def settle(self) -> None:
        """Wait for the bot's work (the outbox passes its commits woke among it), then one more
        pass for rows whose time came as the test moved the clock."""
        await self.bot.idle()
        await self.bot.deliver()
        await self.bot.idle()

    def envelope(self, kind: str, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        return {
            "schema": "2.0",
            "header": {
                "event_id": event_id or f"ev_{next(self._numbers):08d}",
                "event_type": kind,
                "create_time": str(int(time.time() * 1000)),
                "token": TOKEN,
                "app_id": APP_ID,
                "tenant_key": "tenant-1",
            },
            "event": event,
        }

    async def message(
        self, open_id: str, text: str, event_id: str | None = None, chat_type: str = "p2p"
    ) -> Answer:
        """The person types `text` in their chat with the bot."""
        event = {
            "sender": {"sender_id": {"open_id": open_id}, "sender_type": "user"},
            "message": {
                "message_id": f"om_in_{next(self._numbers)}",
                "chat_id": f"oc_{open_id}" if chat_type == "p2p" else "oc_group",
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": text}),
            },
        }
        return await self.post(self.envelope("im.message.receive_v1", event, event_id))

    def action_callback(
        self, open_id: str, shown: Shown, action: dict[str, Any], event_id: str | None
    ) -> tuple[dict[str, Any], str]:
        token = self.standin.issue_card_token(shown.message_id)
        event = {
            "operator": {"open_id": open_id, "tenant_key": "tenant-1"},
            "token": token,
            "action": action,
            "host": "im_message",
            "context": {"open_message_id": shown.message_id, "open_chat_id": f"oc_{open_id}"},
        }
        return self.envelope("card.action.trigger", event, event_id), shown.message_id

    async def press(
        self,
        open_id: str,
        shown: Shown,
        label: str,
        event_id: str | None = None,
        settle: bool = True,
    ) -> Answer:
        """Tap the button labelled `label` on a card the person was shown."""
        buttons = shown.buttons()
        assert label in buttons, f"no button {label!r} on {shown.text!r}: {list(buttons)}"
        action = {"tag": "button", "value": buttons[label]}
        payload, message_id = self.action_callback(open_id, shown, action, event_id)
        answer = await self.post(payload, settle=settle)
        self.standin.apply(message_id, answer.json())
        return answer

    async def submit(
        self, open_id: str, shown: Shown, answers: dict[str, Any], event_id: str | None = None
    ) -> Answer:
        """Press a card form's Submit: `form_value` holds every field, as Feishu sends it."""
        fields = shown.fields()
        unknown = set(answers) - set(fields)
        assert not unknown, f"the card form has no fields {unknown}"
        form_value = {name: answers.get(name, _empty(element)) for name, element in fields.items()}
        submit = next(b for label, b in shown.buttons().items())
        action = {"tag": "button", "name": "submit", "value": submit, "form_value": form_value}
        payload, message_id = self.action_callback(open_id, shown, action, event_id)
        answer = await self.post(payload)
        self.standin.apply(message_id, answer.json())
        return answer


def _empty(element: dict[str, Any]) -> Any:
    return [] if element["tag"] == "multi_select_static" else ""


def option(shown: Shown, name: str, starts: str) -> str:
    """The value of the option of field `name` whose label starts with `starts`."""
    options = shown.fields()[name]["options"]
    return next(str(o["value"]) for o in options if o["text"]["content"].startswith(starts))


def reception_answers(form: Shown, arrival: str) -> dict[str, Any]:
    """A class C reception for 李明's client 东方精密, picked and typed in Chinese."""
    return {
        "client": option(form, "client", "东方精密"),
        "cls": option(form, "cls", "C "),
        "visitors": "3",
        "guest": "王工",
        "guest_title": "技术经理",
        "purposes": [
            option(form, "purposes", ZH("rcp.purpose.tour")),
            option(form, "purposes", ZH("rcp.purpose.talks")),
        ],
        "arrival": arrival,
        "departure": "2026-11-25 16:00 +0800",
        "pickup": "n",
        "hotel": "n",
        "meals": "0",
        "room": "y",
        "b_transport": "200",
    }


@pytest.fixture
async def standin() -> AsyncIterator[OpenApiStandIn]:
    api = OpenApiStandIn(apps={APP_ID: APP_SECRET})
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def bot(core: Core, standin: OpenApiStandIn) -> AsyncIterator[FeishuBot]:
    client = api_client(APP_ID, APP_SECRET, standin.origin)
    feishu_bot = FeishuBot(core, Sender(client, APP_ID), "zh-CN")
    yield feishu_bot
    await feishu_bot.idle()
    feishu_bot.close()


@pytest.fixture
async def feishu(bot: FeishuBot, standin: OpenApiStandIn) -> AsyncIterator[FakeFeishu]:
    """The bot's callback URL on a free port of 127.0.0.1, and Feishu's side of it."""
    runner = await bot.start_http("127.0.0.1", 0, ENCRYPT_KEY, TOKEN)
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as http:
        yield FakeFeishu(url, bot, standin, http)
    await bot.idle()
    await runner.cleanup()


@pytest.fixture
def link(core: Core, clock: FakeClock, feishu: FakeFeishu) -> Link:
    """Link a person of the example company to their Feishu user as they would: sending the
    code from their admin, alone. Returns the open_id."""

    async def link_person(name: str) -> str:
        open_id = USERS[name]
        with core.db.session() as session:
            person = session.scalars(select(Person).where(Person.name == name)).one()
            code = invite(session, person, clock())
        await feishu.message(open_id, code)
        assert feishu.standin.inbox(open_id), f"{name} was not answered"
        feishu.standin.shown.pop(open_id)  # tests look at what comes after
        return open_id

    return link_person
