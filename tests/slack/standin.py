"""A local stand-in for Slack's Web API (as slack-bolt's tests/mock_web_api_server does):
an aiohttp server at `base_url` that answers the methods visitdesk calls and records every
call, so a test can assert what each person was sent and what was updated.

It also keeps what a Slack user would see in each channel: posted messages in order, each
with its latest text and buttons after any chat.update. A test can make a method answer 429,
an `ok: false` error, an HTTP server error (500), or nothing at all (the client times out).

Tokens are checked as Slack checks them: none is `not_authed`, one a test refused gets the
error it was given (`invalid_auth`, `token_revoked`), and apps.connections.open takes only an
app-level token (`xapp-`). The URL that method issues is a WebSocket here, where a test sends
Socket Mode envelopes and reads the bot's acks.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int


@dataclass
class Shown:
    """A message as the user sees it now."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    updates: int = 0

    def buttons(self) -> dict[str, dict[str, Any]]:
        """Button label → the button element."""
        return {
            element["text"]["text"]: element
            for block in self.blocks
            if block["type"] == "actions"
            for element in block["elements"]
        }


@dataclass
class WebApiStandIn:
    locales: dict[str, str] = field(default_factory=dict)  # user id → Slack locale
    calls: list[Call] = field(default_factory=list)
    shown: dict[str, list[Shown]] = field(default_factory=dict)  # channel → messages
    # What was answered through a slash command's response_url, by (channel, user): Slack
    # shows it in that channel to that user alone (ephemeral, the default).
    responses: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    _failures: dict[str, list[str]] = field(default_factory=dict)  # Retry-After of each 429
    _errors: dict[str, str] = field(default_factory=dict)  # method → error of its next call
    _server_errors: dict[str, list[int]] = field(default_factory=dict)  # method → HTTP statuses
    _hangs: dict[str, int] = field(default_factory=dict)  # method → calls left unanswered
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    _refused: dict[str, str] = field(default_factory=dict)  # token → the error it gets
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    base_url: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_get("/link/", self._socket)
        app.router.add_post("/respond/{channel}/{user}", self._respond)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        return self.base_url

    async def stop(self) -> None:
        self._closing.set()  # release calls left hanging
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- test controls

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this Retry-After."""
        self._failures.setdefault(method, []).extend([str(retry_after)] * times)

    def fail_next(self, method: str, error: str) -> None:
        """Answer the next call of `method` with `{"ok": false, "error": error}`."""
        self._errors[method] = error

    def server_error_next(self, method: str, status: int = 500, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an HTTP server error, as a proxy
        in front of Slack would (a plain-text body, not Slack's JSON)."""
        self._server_errors.setdefault(method, []).extend([status] * times)

    def hang_next(self, method: str, times: int = 1) -> None:
        """Never answer the next `times` calls of `method` (recorded with status 0)."""
        self._hangs[method] = self._hangs.get(method, 0) + times

    def refuse_token(self, token: str, error: str = "invalid_auth") -> None:
        """Answer every call made with `token` with `{"ok": false, "error": error}`."""
        self._refused[token] = error

    async def envelope(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Send a Socket Mode envelope (`slash_commands`, `interactive`, `events_api`) to the
        bot connected at the WebSocket, and return its ack."""
        await self._connected.wait()
        envelope_id = f"env-{next(self._numbers)}"
        acked: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        message = {"envelope_id": envelope_id, "type": kind, "payload": body}
        await self._sockets[-1].send_json(message | {"accepts_response_payload": True})
        return await acked

    def response_url(self, channel: str, user: str) -> str:
        """The response_url of a slash command that `user` typed in `channel`."""
        return self.base_url.replace("/api/", f"/respond/{channel}/{user}")

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def inbox(self, user: str) -> list[Shown]:
        """What a user sees in their DM with the bot."""
        return self.shown.get(dm_of(user), [])

    def texts(self, user: str) -> list[str]:
        return [m.text for m in self.inbox(user)]

    def last(self, user: str) -> Shown:
        return self.inbox(user)[-1]

    def find(self, user: str, fragment: str) -> Shown:
        """The newest message in the user's DM whose text contains `fragment`."""
        for message in reversed(self.inbox(user)):
            if fragment in message.text:
                return message
        raise AssertionError(f"{user} was shown nothing with {fragment!r}: {self.texts(user)}")

    def opened_views(self) -> list[dict[str, Any]]:
        return [c.params["view"] for c in self.calls_to("views.open") if c.status == 200]

    def published_home(self, user: str) -> dict[str, Any]:
        calls = [c for c in self.calls_to("views.publish") if c.params["user_id"] == user]
        return dict(calls[-1].params["view"])

    # ---------------------------------------------------------------- the API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if self._hangs.get(method):
            self._hangs[method] -= 1
            self.calls.append(Call(method, params, 0))
            await self._closing.wait()
            return web.Response(status=504)
        if self._server_errors.get(method):
            status = self._server_errors[method].pop(0)
            self.calls.append(Call(method, params, status))
            return web.Response(status=status, text="Internal Server Error")
        failures = self._failures.get(method)
        if failures:
            retry_after = failures.pop(0)
            self.calls.append(Call(method, params, 429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": retry_after},
            )
        self.calls.append(Call(method, params, 200))
        if method in self._errors:
            return web.json_response({"ok": False, "error": self._errors.pop(method)})
        refusal = self._refusal(method, _token(request, params))
        if refusal:
            return web.json_response({"ok": False, "error": refusal})
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        body = answer(params) if answer else {"ok": False, "error": "unknown_method"}
        return web.json_response(body)

    def _refusal(self, method: str, token: str | None) -> str | None:
        if token is None:
            return "not_authed"
        if token in self._refused:
            return self._refused[token]
        if method == "apps.connections.open" and not token.startswith("xapp-"):
            return "not_allowed_token_type"
        return None

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode's WebSocket: Slack says hello, then sends envelopes the bot acks."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self._sockets.append(socket)
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                acked = self._acks.pop(ack.get("envelope_id", ""), None)
                if acked is not None:
                    acked.set_result(ack)
        self._sockets.remove(socket)
        return socket

    async def _respond(self, request: web.Request) -> web.Response:
        key = (request.match_info["channel"], request.match_info["user"])
        self.responses.setdefault(key, []).append(await request.json())
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        self.calls.append(Call("upload", {"file": request.match_info["file"]}, 200))
        await request.read()
        return web.Response(text="OK")

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "bot_id": "BBOT",
            "team_id": "T0001",
            "team": "Example",
        }

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        # Slack's is wss://wss-primary.slack.com/link/?ticket=…, good for one connection.
        ticket = next(self._numbers)
        url = self.base_url.replace("http://", "ws://").replace("/api/", f"/link/?ticket={ticket}")
        return {"ok": True, "url": url}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": dm_of(str(params["users"]))}}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = str(params["user"])
        return {"ok": True, "user": {"id": user, "locale": self.locales.get(user, "en-US")}}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        ts = f"1700001000.{next(self._numbers):06d}"
        shown = Shown(channel, ts, str(params.get("text", "")), _blocks(params))
        self.shown.setdefault(channel, []).append(shown)
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params["channel"]), str(params["ts"])
        for shown in self.shown.get(channel, []):
            if shown.ts == ts:
                shown.text = str(params.get("text", ""))
                shown.blocks = _blocks(params)
                shown.updates += 1
                return {"ok": True, "channel": channel, "ts": ts}
        return {"ok": False, "error": "message_not_found"}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": f"V{next(self._numbers)}"}}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": f"V{next(self._numbers)}"}}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._numbers)}"
        upload = self.base_url.replace("/api/", f"/upload/{file_id}")
        return {"ok": True, "upload_url": upload, "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "files": json.loads(params["files"])}


def dm_of(user: str) -> str:
    """The stand-in's DM channel with a user."""
    return "D" + user


def _token(request: web.Request, params: dict[str, Any]) -> str | None:
    """slack_sdk sends the token as a bearer; a `token` parameter is accepted as Slack does."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token if scheme == "Bearer" and token else params.get("token")


async def _params(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends JSON for some methods and forms or query strings for others."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(dict(await request.post()))
    return params


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)
