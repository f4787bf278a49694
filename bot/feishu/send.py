"""Talking to Feishu's Open API through lark-oapi, at Feishu's pace.

- Every SDK call blocks (it sends with `requests`, and even its async calls fetch the token
  with `requests` on the loop), so each runs in a worker thread.
- Feishu allows 5 messages a second per user or chat and 50 a second per app: one
  `AsyncLimiter` per chat and one for the app. A 429 is waited out for the seconds its
  `x-ogw-ratelimit-reset` header says, then sent again, a few times.
- Each message carries a `uuid`: Feishu takes a message once per uuid (for an hour), so a
  send retried after a timeout whose first try did arrive is not shown twice.
- The SDK caches the tenant token and never refreshes it on 99991663 (token invalid): the
  entry is cleared and the call tried once more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import lark_oapi as lark
from aiolimiter import AsyncLimiter
from lark_oapi.api.im.v1 import (
    CreateMessageRequest,
    CreateMessageRequestBody,
    PatchMessageRequest,
    PatchMessageRequestBody,
)
from lark_oapi.core.exception import ObtainAccessTokenException
from lark_oapi.core.token.manager import TokenManager

from bot.feishu.cards import Card, is_card, message_card
from handlers.engine.messages import Message

log = logging.getLogger(__name__)

PER_CHAT = 5  # messages a second to one user or chat (and PATCHes of one message)
PER_APP = 50  # messages a second for the whole app
RETRIES_AFTER_429 = 3
LONGEST_WAIT = 60.0  # a reset further away than this is not waited for here: the outbox retries
TOKEN_INVALID = (99991663, 99991661, 99991668)
_MAX_CHAT_LIMITERS = 1024
TOKEN_SECONDS = 25 * 60  # a card action's token updates its card for 30 minutes
TOKENS_KEPT = 1024


class FeishuError(Exception):
    """Feishu said no: its code and message (never a token)."""

    def __init__(self, code: int | None, msg: str | None, status: int) -> None:
        super().__init__(f"feishu code {code} ({msg}), HTTP {status}")
        self.code = code
        self.status = status


# What a send can raise: Feishu's refusal, the network (requests' errors are OSErrors), an
# answer that is not Feishu's JSON (a proxy's page), or the token refused.
SEND_ERRORS = (FeishuError, OSError, ValueError, ObtainAccessTokenException)


def api_client(app_id: str, app_secret: str, domain: str) -> lark.Client:
    # WARNING: at DEBUG the SDK logs decrypted payloads, at INFO the long connection's ticket.
    return (
        lark.Client.builder()
        .app_id(app_id)
        .app_secret(app_secret)
        .domain(domain)
        .log_level(lark.LogLevel.WARNING)
        .build()
    )


class Sender:
    """Posts messages to a person by open_id, and updates cards, within Feishu's limits."""

    def __init__(
        self,
        client: lark.Client,
        app_id: str,
        per_chat: float = PER_CHAT,
        per_app: float = PER_APP,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.app_id = app_id
        self.sleep = sleep
        self.per_chat = per_chat
        self._app = AsyncLimiter(per_app, 1)
        self._chats: OrderedDict[str, AsyncLimiter] = OrderedDict()

    async def post(self, to: str, message: Message, uuid: str, id_type: str = "open_id") -> str:
        """Send a message (a card when it has buttons or a card key); its message_id."""
        if is_card(message):
            return await self.post_card(to, message_card(message), uuid, id_type)
        return await self._create(to, "text", {"text": message.text}, uuid, id_type)

    async def post_card(self, to: str, card: Card, uuid: str, id_type: str = "open_id") -> str:
        return await self._create(to, "interactive", card, uuid, id_type)

    async def _create(
        self, to: str, kind: str, content: dict[str, Any], uuid: str, id_type: str
    ) -> str:
        body = (
            CreateMessageRequestBody.builder()
            .receive_id(to)
            .msg_type(kind)
            .content(json.dumps(content, ensure_ascii=False))
            .uuid(uuid[:50])
            .build()
        )
        request = CreateMessageRequest.builder().receive_id_type(id_type).request_body(body).build()
        response = await self._call(to, lambda: self.client.im.v1.message.create(request))
        return str(response.data.message_id)

    async def patch(self, message_id: str, card: Card) -> None:
        """Update a card message the bot sent (Feishu allows it for 14 days)."""
        body = PatchMessageRequestBody.builder().content(json.dumps(card, ensure_ascii=False))
        request = PatchMessageRequest.builder().message_id(message_id).request_body(body.build())
        await self._call(message_id, lambda: self.client.im.v1.message.patch(request.build()))

    async def update_pressed(self, token: str, card: Card) -> None:
        """Update the card a person pressed, with its callback's token (30 minutes, twice):
        the delayed update, which lark-oapi has no typed call for."""
        request = (
            lark.BaseRequest.builder()
            .http_method(lark.HttpMethod.POST)
            .uri("/open-apis/interactive/v1/card/update")
            .token_types({lark.AccessTokenType.TENANT})
            .headers({"Content-Type": "application/json; charset=utf-8"})  # the SDK sends none
            .body({"token": token, "card": card})
            .build()
        )
        await self._call(token, lambda: self.client.request(request))

    async def _call(self, chat: str, send: Callable[[], Any]) -> Any:
        refreshed = False
        for attempt in range(RETRIES_AFTER_429 + 1):
            async with self._app, self._chat(chat):
                response = await asyncio.to_thread(send)
            if response.success():
                return response
            status = response.raw.status_code if response.raw is not None else 0
            if response.code in TOKEN_INVALID and not refreshed:
                TokenManager.cache.set(f"self_tenant_token:{self.app_id}", "", 0)
                refreshed = True
                continue
            reset = _reset(response)
            if status == 429 and attempt < RETRIES_AFTER_429 and reset <= LONGEST_WAIT:
                log.warning("feishu: 429; sending again in %g s", reset)
                await self.sleep(reset)
                continue
            raise FeishuError(response.code, response.msg, status)
        raise FeishuError(None, "rate limited", 429)

    def _chat(self, chat: str) -> AsyncLimiter:
        limiter = self._chats.pop(chat, None) or AsyncLimiter(self.per_chat, 1)
        self._chats[chat] = limiter
        while len(self._chats) > _MAX_CHAT_LIMITERS:
            self._chats.popitem(last=False)
        return limiter


def _reset(response: Any) -> float:
    """Seconds until Feishu takes calls again (`x-ogw-ratelimit-reset`); 1 if unsaid."""
    headers = {k.lower(): v for k, v in (response.raw.headers or {}).items()}
    try:
        return max(0.0, float(headers.get("x-ogw-ratelimit-reset", "1")))
    except ValueError:
        return 1.0


class PressTokens:
    """The delayed-update token of each card pressed lately (Feishu: good for 30 minutes):
    the update a press brings, through a reply or the outbox, uses it before a PATCH."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def put(self, message_id: str, token: str) -> None:
        self._tokens[message_id] = (token, self.clock())
        while len(self._tokens) > TOKENS_KEPT:
            self._tokens.popitem(last=False)

    def take(self, message_id: str) -> str | None:
        token, at = self._tokens.pop(message_id, ("", 0.0))
        return token if token and self.clock() - at < TOKEN_SECONDS else None
