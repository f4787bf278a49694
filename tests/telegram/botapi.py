"""A local stand-in for the Telegram Bot API, spoken to over real HTTP.

The bot under test is pointed at it with TELEGRAM_API_BASE_URL. It records every call
(method and decoded parameters, with the HTTP status it answered), keeps each chat as its
reader would see it (messages, their buttons, later edits, documents), hands out pushed
updates to `getUpdates`, and can be told to refuse a call with 429 Too Many Requests, to
fail it with a server error (500), or to never answer it (the bot's request times out).
Like Telegram, it refuses an edit that changes nothing and an unknown method.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-visitdesk-token"
BOT_USER = {
    "id": 123456,
    "is_bot": True,
    "first_name": "visitdesk",
    "username": "visitdesk_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TEXT_LIMIT = 4096  # UTF-16 code units, as Telegram counts
# PTB sends each parameter as a form field: strings as they are, everything else as JSON.
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "reply_parameters"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int  # the HTTP status answered


@dataclass
class Shown:
    """One message in a chat, as it looks now."""

    chat_id: int
    message_id: int
    text: str
    keyboard: list[list[dict[str, Any]]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None
    edits: int = 0

    @property
    def labels(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]

    def action(self, label: str) -> str:
        for row in self.keyboard:
            for button in row:
                if button["text"] == label:
                    return str(button["callback_data"])
        raise AssertionError(f"no button {label!r} on message {self.message_id}: {self.labels}")

    def as_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": "someone"}
        if self.chat_id < 0:
            chat = {"id": self.chat_id, "type": "group", "title": "a group"}
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
        }
        if self.document is not None:
            data["document"] = {"file_id": f"doc{self.message_id}", "file_unique_id": "u"}
            data["document"]["file_name"] = self.document[0]
        else:
            data["text"] = self.text
        if self.keyboard:
            data["reply_markup"] = {"inline_keyboard": self.keyboard}
        return data


class BotApi:
    """The stand-in server. `await start()` returns its base URL."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.chats: dict[int, list[Shown]] = defaultdict(list)
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._polls = 0  # getUpdates calls so far
        self._served_at_poll = 0  # the poll that last handed out updates
        self._refusals: dict[str, list[int]] = defaultdict(list)  # method -> retry_after
        self._server_errors: dict[str, list[int]] = defaultdict(list)  # method -> HTTP status
        self._hangs: dict[str, int] = defaultdict(int)  # method -> calls left unanswered
        self._closing = asyncio.Event()
        self._next_message_id = 100
        self._runner: web.AppRunner | None = None
        self.url = ""  # the base URL, once started

    # ---------------------------------------------------------------- control, for tests

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def close(self) -> None:
        self._arrived.set()  # release a long poll still waiting
        self._closing.set()  # and calls left hanging
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for the bot's next getUpdates."""
        self._updates.append(update)
        self._arrived.set()

    @property
    def all_fetched(self) -> bool:
        """Every pushed update was handed out, and the bot has polled again since
        (PTB queues a batch for handling before it asks for the next one)."""
        return not self._updates and self._polls > self._served_at_poll

    @property
    def polls(self) -> int:
        """getUpdates calls received so far, answered or still waiting."""
        return self._polls

    def refuse_next(self, method: str, retry_after: int) -> None:
        """Answer the next call of `method` with 429 Too Many Requests."""
        self._refusals[method].append(retry_after)

    def fail_next(self, method: str, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with a server error; nothing is shown."""
        self._server_errors[method].extend([status] * times)

    def hang_next(self, method: str, times: int = 1) -> None:
        """Never answer the next `times` calls of `method` (recorded with status 0), so the
        bot's request times out; nothing is shown."""
        self._hangs[method] += times

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # ---------------------------------------------------------------- the API

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return self._error(method, {}, 401, "Unauthorized")
        params = await _params(request)
        if self._hangs[method]:
            self._hangs[method] -= 1
            self.calls.append(Call(method, params, 0))
            await self._closing.wait()
            return web.Response(status=504)
        if self._server_errors[method]:
            status = self._server_errors[method].pop(0)
            return self._error(method, params, status, "Internal Server Error")
        if self._refusals[method]:
            retry_after = self._refusals[method].pop(0)
            return self._error(
                method,
                params,
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(method, params, 404, "Not Found: method not found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        self.calls.append(Call(method, params, 200))
        return web.json_response({"ok": True, "result": result})

    def _error(
        self,
        method: str,
        params: dict[str, Any],
        status: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> web.Response:
        self.calls.append(Call(method, params, status))
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        self._polls += 1
        if not self._updates and params.get("timeout"):
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), params["timeout"])
        batch, self._updates = self._updates, []
        if batch:
            self._served_at_poll = self._polls
        return batch

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        refusal = self._check_text("sendMessage", params)
        return refusal or self._new(params, text=params["text"]).as_json()

    async def _api_sendDocument(self, params: dict[str, Any]) -> Any:
        shown = self._new(params, text=params.get("caption", ""))
        shown.document = params["document"]
        return shown.as_json()

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        refusal = self._check_text("editMessageText", params)
        if refusal is not None:
            return refusal
        chat_id, message_id = params["chat_id"], params["message_id"]
        shown = next((m for m in self.chats[chat_id] if m.message_id == message_id), None)
        if shown is None:
            return self._error(
                "editMessageText", params, 400, "Bad Request: message to edit not found"
            )
        keyboard = params.get("reply_markup", {}).get("inline_keyboard", [])
        if (shown.text, shown.keyboard) == (params["text"], keyboard):
            return self._error(
                "editMessageText", params, 400, "Bad Request: message is not modified"
            )
        shown.text, shown.keyboard = params["text"], keyboard
        shown.edits += 1
        return shown.as_json()

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    def _check_text(self, method: str, params: dict[str, Any]) -> web.Response | None:
        text = params.get("text", "")
        if not text.strip():
            return self._error(method, params, 400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > TEXT_LIMIT:
            return self._error(method, params, 400, "Bad Request: message is too long")
        return None

    def _new(self, params: dict[str, Any], text: str) -> Shown:
        self._next_message_id += 1
        keyboard = params.get("reply_markup", {}).get("inline_keyboard", [])
        shown = Shown(params["chat_id"], self._next_message_id, text, keyboard)
        self.chats[shown.chat_id].append(shown)
        return shown


async def _params(request: web.Request) -> dict[str, Any]:
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = (value.filename, value.file.read())
        elif key in _INT_FIELDS:
            params[key] = int(value)
        elif key in _JSON_FIELDS:
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params
