"""Driving the Telegram adapter as people do: each person has a phone (their private chat
with the bot), and what they type or tap reaches the real PTB application as an update,
by getUpdates from the Bot API stand-in or posted to the bot's webhook.

After each action `World.settle()` waits until the bot has handled every update and sent
what the outbox holds, so a test then reads each phone's screen and asserts on it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.telegram import TelegramBot
from handlers.engine.context import enqueue
from handlers.engine.messages import Message
from handlers.org.chart import invite
from storage.models import Person
from tests.telegram.botapi import BotApi, Shown

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SETTLE_TIMEOUT = 10.0  # a ceiling for a hung bot, never a measure of speed
# Telegram user ids of the example company's people (a private chat's id is the user's).
USER_IDS = {
    "李明": 1001,
    "王经理": 1002,
    "赵总": 1003,
    "张伟": 1004,
    "Grace Lee": 1005,
    "孙行政": 1006,
    "钱会计": 1007,
    "周前台": 1008,
}


def fixture(name: str) -> dict[str, Any]:
    """A recorded update payload from tests/fixtures/telegram."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


async def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait until `check()` holds; fail with `what` if it never does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.005)


class Phone:
    """One person's private chat with the bot, as their screen shows it."""

    def __init__(self, world: World, user_id: int, language_code: str, first_name: str) -> None:
        self.world = world
        self.user_id = user_id
        self.language_code = language_code
        self.first_name = first_name

    @property
    def screen(self) -> list[Shown]:
        return self.world.api.chats[self.user_id]

    @property
    def texts(self) -> list[str]:
        return [shown.text for shown in self.screen]

    @property
    def last(self) -> Shown:
        assert self.screen, f"chat {self.user_id} is empty"
        return self.screen[-1]

    def showing(self, label: str) -> Shown:
        """The newest message with a button labelled `label`."""
        for shown in reversed(self.screen):
            if label in shown.labels:
                return shown
        raise AssertionError(f"no button {label!r} in chat {self.user_id}: {self.texts}")

    async def send(self, text: str) -> list[Shown]:
        """Type and send a line; returns the messages that arrived in this chat after it."""
        return await self._act(self.world.text_update(self, text))

    async def press(self, label: str, on: Shown | None = None) -> list[Shown]:
        """Tap a button (on the newest message showing it, unless told which)."""
        shown = on or self.showing(label)
        return await self._act(self.world.press_update(self, shown, shown.action(label)))

    async def tap(self, action: str, on: Shown) -> list[Shown]:
        """Tap a button by its callback data: one that was on `on` before it was edited away
        (a tap already on its way, or a copy on a second device)."""
        return await self._act(self.world.press_update(self, on, action))

    async def _act(self, update: dict[str, Any]) -> list[Shown]:
        before = len(self.screen)
        assert await self.world.receive(update) == 200
        await self.world.settle()
        return self.screen[before:]


class World:
    """The bot under test, the Bot API stand-in, and the people's phones."""

    def __init__(self, api: BotApi, bot: TelegramBot, webhook: str | None, secret: str) -> None:
        self.api = api
        self.bot = bot
        self.webhook = webhook
        self.secret = secret
        self._update_ids = itertools.count(815_000_100)
        self._message_ids = itertools.count(5000)
        self._http: aiohttp.ClientSession | None = None
        self.queries: list[str] = []  # ids of the callback queries sent, in order

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    # ---------------------------------------------------------------- people

    def phone(
        self, user_id: int, language_code: str = "zh-hans", first_name: str = "someone"
    ) -> Phone:
        return Phone(self, user_id, language_code, first_name)

    def link_code(self, name: str) -> str:
        """A fresh one-time code for someone in the org chart, as `visitdesk org invite` makes."""
        core = self.bot.core
        with core.db.session() as session:
            person = session.scalars(select(Person).where(Person.name == name)).one()
            return invite(session, person, core.clock())

    async def linked(self, name: str, language_code: str = "zh-hans") -> Phone:
        """The person's phone, linked with `/start CODE` as an invitation deep link does."""
        phone = self.phone(USER_IDS[name], language_code, name)
        replies = await phone.send(f"/start {self.link_code(name)}")
        # The welcome, and with it whatever waited for them (see tests/telegram/test_late_link).
        assert any(name in r.text for r in replies), [r.text for r in replies]
        return phone

    def queue(self, name: str, message: Message, key: str) -> None:
        """Something elsewhere queued a message for this person (a card, a reminder)."""
        core = self.bot.core
        with core.db.session() as session:
            person = session.scalars(select(Person).where(Person.name == name)).one()
            enqueue(session, person, message, key, core.clock())

    # ---------------------------------------------------------------- updates

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def text_update(self, phone: Phone, text: str, update_id: int | None = None) -> dict[str, Any]:
        update = fixture("message_private_text")
        update["update_id"] = update_id or self.next_update_id()
        message = update["message"]
        message["message_id"] = next(self._message_ids)
        message["from"].update(
            id=phone.user_id, first_name=phone.first_name, language_code=phone.language_code
        )
        message["chat"].update(id=phone.user_id, first_name=phone.first_name)
        message["text"] = text
        command = text.split(" ", 1)[0]
        if text.startswith("/"):
            message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        else:
            del message["entities"]
        return update

    def press_update(self, phone: Phone, shown: Shown, action: str) -> dict[str, Any]:
        update = fixture("callback_query")
        update["update_id"] = self.next_update_id()
        query = update["callback_query"]
        query["id"] = str(next(self._message_ids))
        self.queries.append(query["id"])
        query["from"].update(
            id=phone.user_id, first_name=phone.first_name, language_code=phone.language_code
        )
        query["message"] = copy.deepcopy(shown.as_json())
        query["message"]["chat"]["id"] = phone.user_id  # a tap comes from one's own chat
        query["data"] = action
        return update

    async def receive(self, update: dict[str, Any], secret: str | None = "right") -> int:
        """Hand an update to the bot as Telegram would; the HTTP status a webhook answered
        (`secret`: "right", None for no header, or a wrong value)."""
        if self.webhook is None:
            self.api.push(update)
            return 200
        if self._http is None:
            self._http = aiohttp.ClientSession()
        headers = (
            {} if secret is None else {SECRET_HEADER: self.secret if secret == "right" else secret}
        )
        async with self._http.post(self.webhook, json=update, headers=headers) as response:
            return response.status

    async def settle(self) -> None:
        """Wait until every update sent so far is handled and the outbox is delivered."""
        if self.webhook is None:
            await eventually(lambda: self.api.all_fetched, "the bot to fetch the updates")
        queue = self.bot.application.update_queue
        await asyncio.wait_for(queue.join(), SETTLE_TIMEOUT)
        await asyncio.wait_for(self.bot.deliver(), SETTLE_TIMEOUT)
