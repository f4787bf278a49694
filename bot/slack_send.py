"""Talking to Slack's Web API: posting and updating messages at Slack's pace, opening DMs,
and reading a user's locale.

Slack allows about one message a second per channel (bursts are tolerated, sustained floods
are answered with 429): `Pacer` spaces sends per channel, and the client retries a 429 after
its Retry-After (`AsyncRateLimitErrorRetryHandler`), so a rate limit delays a message rather
than losing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapter import Parts
from bot.slack_blocks import fallback_text, message_blocks
from handlers.engine.messages import Message

log = logging.getLogger(__name__)

SEND_ERRORS = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)
RATE_LIMIT_RETRIES = 3


def web_client(token: str | None, base_url: str | None = None) -> AsyncWebClient:
    """The Web API client: Slack's address or a stand-in, and 429s retried."""
    client = AsyncWebClient(
        token=token,
        # slack_sdk joins method names onto base_url, so it must end with a slash.
        base_url=base_url.rstrip("/") + "/" if base_url else AsyncWebClient.BASE_URL,
    )
    client.retry_handlers.append(
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    )
    return client


class Pacer:
    """Spaces sends to one channel `interval` seconds apart; other channels do not wait."""

    def __init__(
        self,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def wait(self, channel: str) -> None:
        async with self._locks[channel]:
            now = self.clock()
            ready = self._next.get(channel, now)
            if ready > now:
                await self.sleep(ready - now)
                now = ready
            self._next[channel] = now + self.interval


class Sender:
    """Posts and updates visitdesk messages; remembers DM channels and locales it looked up."""

    def __init__(self, client: AsyncWebClient, pacer: Pacer) -> None:
        self.client = client
        self.pacer = pacer
        self._dms: dict[str, str] = {}
        self._locales: dict[str, str | None] = {}

    async def post(self, channel: str, message: Message, parts: Parts | None = None) -> str | None:
        """Send a message, then its file if any, each part once (`parts`: those already taken,
        counted as each goes); the message's ts, when it was posted now."""
        parts = parts or Parts()
        total = 1 + (message.attachment is not None)
        ts = None
        if parts.due(1):
            await self.pacer.wait(channel)
            response = await self.client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=message_blocks(message)
            )
            ts = str(response["ts"])
            await parts.took(1, total)
        if message.attachment and parts.due(2):
            await self.pacer.wait(channel)
            await self.client.files_upload_v2(
                channel=channel,
                content=message.attachment.content,
                filename=message.attachment.filename,
                title=message.attachment.filename,
            )
            await parts.took(2, total)
        return ts

    async def update(self, channel: str, ts: str, message: Message) -> None:
        await self.pacer.wait(channel)
        await self.client.chat_update(
            channel=channel, ts=ts, text=fallback_text(message), blocks=message_blocks(message)
        )

    async def dm(self, user_id: str) -> str:
        """The bot's DM channel with a user, where every reply goes."""
        if user_id not in self._dms:
            response = await self.client.conversations_open(users=user_id)
            self._dms[user_id] = str(response["channel"]["id"])
        return self._dms[user_id]

    def known_dm(self, user_id: str) -> str | None:
        return self._dms.get(user_id)

    def remember_dm(self, user_id: str, channel: str) -> None:
        self._dms[user_id] = channel

    async def locale(self, user_id: str) -> str | None:
        """The Slack user's locale (e.g. `zh-CN`), asked once; None when Slack won't say."""
        if user_id not in self._locales:
            try:
                response = await self.client.users_info(user=user_id, include_locale=True)
                self._locales[user_id] = response["user"].get("locale")
            except SEND_ERRORS as error:
                log.warning("no locale for %s: %s", user_id, error)
                return None
        return self._locales[user_id]

    def known_locale(self, user_id: str) -> str | None:
        return self._locales.get(user_id)
