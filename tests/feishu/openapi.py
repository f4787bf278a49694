"""A local stand-in for Feishu's Open API (beside tests/telegram/botapi.py and
tests/slack/standin.py): an aiohttp server at the origin the SDK's `domain` names, answering
the calls visitdesk makes — the tenant token, messages create / patch / reply, the card's
delayed update — and recording every one, so a test asserts what each person was sent.

It keeps what a Feishu user would see in the chat with the bot: messages in order, each with
its latest card after any update. As Feishu does, it takes a message once per `uuid`, checks
the bearer token it issued, refuses a card over 30 KB (code 230025), and can answer a call
with 429 and `x-ogw-ratelimit-reset`, say a token the SDK cached is invalid (99991663),
or do a call and lose its answer.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from lark_oapi.ws.pb.pbbp2_pb2 import Frame

CARD_MAX_BYTES = 30 * 1024
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


@dataclass
class Call:
    method: str  # "token", "create", "patch", "reply", "card.update"
    params: dict[str, Any]
    status: int


@dataclass
class Shown:
    """A message as the person sees it now."""

    message_id: str
    to: str
    msg_type: str
    content: dict[str, Any]
    updates: int = 0

    @property
    def text(self) -> str:
        if self.msg_type == "text":
            return str(self.content.get("text", ""))
        return "\n".join(e["text"]["content"] for e in walk(self.content) if e.get("tag") == "div")

    def buttons(self) -> dict[str, dict[str, Any]]:
        """Button label → its callback value."""
        return {
            e["text"]["content"]: e["behaviors"][0]["value"]
            for e in walk(self.content)
            if e.get("tag") == "button"
        }

    def form(self) -> dict[str, Any] | None:
        return next((e for e in walk(self.content) if e.get("tag") == "form"), None)

    def fields(self) -> dict[str, dict[str, Any]]:
        """A card form's fields by name (the Submit button left out)."""
        form = self.form()
        assert form is not None, f"no card form in {self.text!r}"
        return {
            e["name"]: e for e in walk(form) if "name" in e and e["tag"] not in ("button", "form")
        }


def walk(node: Any) -> list[dict[str, Any]]:
    """Every element of a card, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "tag" in node:
            found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(walk(item))
    return found


@dataclass
class OpenApiStandIn:
    apps: dict[str, str] = field(default_factory=dict)  # app_id → app_secret
    calls: list[Call] = field(default_factory=list)
    shown: dict[str, list[Shown]] = field(default_factory=dict)  # open_id or chat_id → messages
    card_tokens: dict[str, str] = field(default_factory=dict)  # callback token → message_id
    _token_uses: dict[str, int] = field(default_factory=dict)
    _by_uuid: dict[str, str] = field(default_factory=dict)
    _limited: dict[str, list[int]] = field(default_factory=dict)  # call → resets of its 429s
    _invalid_token: dict[str, int] = field(default_factory=dict)  # call → times 99991663
    _lost: dict[str, int] = field(default_factory=dict)  # call → answers lost after doing it
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _answers: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    origin: str = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post(TOKEN_PATH, self._token)
        app.router.add_post("/open-apis/im/v1/messages", self._create)
        app.router.add_patch("/open-apis/im/v1/messages/{message_id}", self._patch)
        app.router.add_post("/open-apis/im/v1/messages/{message_id}/reply", self._reply)
        app.router.add_post("/open-apis/interactive/v1/card/update", self._card_update)
        app.router.add_post("/callback/ws/endpoint", self._ws_endpoint)
        app.router.add_get("/ws", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.origin = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.origin

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- test controls

    def rate_limit_next(self, call: str, times: int = 1, reset: int = 1) -> None:
        """Answer the next `times` calls of `call` with 429 and this x-ogw-ratelimit-reset."""
        self._limited.setdefault(call, []).extend([reset] * times)

    def invalidate_token_next(self, call: str) -> None:
        """Answer the next call of `call` with 99991663, as for a token Feishu revoked."""
        self._invalid_token[call] = self._invalid_token.get(call, 0) + 1

    def lose_answer_next(self, call: str, to: str) -> None:
        """Do the next `call` for `to`, then answer 502 as a proxy whose upstream timed out."""
        self._lost[f"{call}:{to}"] = self._lost.get(f"{call}:{to}", 0) + 1

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def inbox(self, to: str) -> list[Shown]:
        return self.shown.get(to, [])

    def texts(self, to: str) -> list[str]:
        return [m.text for m in self.inbox(to)]

    def last(self, to: str) -> Shown:
        return self.inbox(to)[-1]

    def find(self, to: str, fragment: str) -> Shown:
        for message in reversed(self.inbox(to)):
            if fragment in message.text:
                return message
        raise AssertionError(f"{to} was shown nothing with {fragment!r}: {self.texts(to)}")

    def message(self, message_id: str) -> Shown:
        return next(m for ms in self.shown.values() for m in ms if m.message_id == message_id)

    def issue_card_token(self, message_id: str) -> str:
        token = f"c-{next(self._numbers)}"
        self.card_tokens[token] = message_id
        return token

    async def over_long_connection(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send an event down the long connection as Feishu does (a protobuf data frame, the
        JSON as its payload) and return the bot's answer (the reply frame's base64 data)."""
        await self._connected.wait()
        message_id = f"ws-{next(self._numbers)}"
        answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[message_id] = answered
        frame = Frame(SeqID=0, LogID=0, service=7, method=1, payload=json.dumps(payload).encode())
        for key, value in (
            ("type", "event"),
            ("message_id", message_id),
            ("sum", "1"),
            ("seq", "0"),
            ("trace_id", "t"),
        ):
            header = frame.headers.add()
            header.key, header.value = key, value
        await self._sockets[-1].send_bytes(frame.SerializeToString())
        return await answered

    async def _ws_endpoint(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("ws.endpoint", {"app_id": body.get("AppID")}, 200))
        if self.apps.get(body.get("AppID")) != body.get("AppSecret"):
            return web.json_response({"code": 514, "msg": "auth failed"})
        url = self.origin.replace("http://", "ws://") + "/ws?device_id=d1&service_id=7"
        config = {
            "ReconnectCount": 0,
            "ReconnectInterval": 1,
            "ReconnectNonce": 0,
            "PingInterval": 120,
        }
        return web.json_response({"code": 0, "data": {"URL": url, "ClientConfig": config}})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        self._connected.set()
        async for message in socket:
            if message.type != WSMsgType.BINARY:
                continue
            frame = Frame()
            frame.ParseFromString(message.data)
            headers = {h.key: h.value for h in frame.headers}
            answered = self._answers.pop(headers.get("message_id", ""), None)
            if frame.method == 1 and answered is not None:
                reply = json.loads(frame.payload)
                data = base64.b64decode(reply["data"]) if reply.get("data") else b"{}"
                answered.set_result({"code": reply["code"], "data": json.loads(data)})
        self._sockets.remove(socket)
        return socket

    # ---------------------------------------------------------------- the API

    async def _token(self, request: web.Request) -> web.Response:
        body = await request.json()
        app_id, secret = body.get("app_id"), body.get("app_secret")
        self.calls.append(Call("token", {"app_id": app_id}, 200))
        if app_id not in self.apps:
            return web.json_response({"code": 10003, "msg": "invalid param"})
        if self.apps[app_id] != secret:
            return web.json_response({"code": 10014, "msg": "app secret invalid"})
        # The SDK keeps a token until `expire` - 600 s: 7200, as Feishu gives.
        return web.json_response(
            {"code": 0, "msg": "ok", "tenant_access_token": f"t-{app_id}", "expire": 7200}
        )

    async def _authorised(
        self, request: web.Request, call: str, params: dict[str, Any]
    ) -> web.Response | None:
        """Record the call; the refusal to answer it with, if any."""
        limited = self._limited.get(call)
        if limited:
            reset = limited.pop(0)
            self.calls.append(Call(call, params, 429))
            return web.json_response(
                {"code": 99991400, "msg": "request trigger frequency limit"},
                status=429,
                headers={"x-ogw-ratelimit-reset": str(reset)},
            )
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self._invalid_token.get(call) or bearer.removeprefix("t-") not in self.apps:
            if self._invalid_token.get(call):
                self._invalid_token[call] -= 1
            self.calls.append(Call(call, params, 400))
            return web.json_response({"code": 99991663, "msg": "Invalid access token"}, status=400)
        self.calls.append(Call(call, params, 200))
        return None

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        params = {**body, "receive_id_type": request.query.get("receive_id_type")}
        refused = await self._authorised(request, "create", params)
        if refused is not None:
            return refused
        if body.get("uuid") in self._by_uuid:  # the same message again: taken once
            return _ok({"message_id": self._by_uuid[body["uuid"]]})
        if len(body["content"].encode()) > CARD_MAX_BYTES:
            return web.json_response({"code": 230025, "msg": "message content too long"})
        message_id = f"om_{next(self._numbers)}"
        shown = Shown(message_id, body["receive_id"], body["msg_type"], json.loads(body["content"]))
        self.shown.setdefault(body["receive_id"], []).append(shown)
        if body.get("uuid"):
            self._by_uuid[body["uuid"]] = message_id
        if self._lost.get(lost := f"create:{body['receive_id']}"):
            self._lost[lost] -= 1
            return web.Response(status=502, text="Bad Gateway")
        return _ok({"message_id": message_id, "msg_type": body["msg_type"]})

    async def _patch(self, request: web.Request) -> web.Response:
        message_id = request.match_info["message_id"]
        body = await request.json()
        refused = await self._authorised(request, "patch", {**body, "message_id": message_id})
        if refused is not None:
            return refused
        return self._update(message_id, json.loads(body["content"]))

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = await self._authorised(request, "reply", body)
        if refused is not None:
            return refused
        return _ok({"message_id": f"om_{next(self._numbers)}"})

    async def _card_update(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = await self._authorised(request, "card.update", body)
        if refused is not None:
            return refused
        token = body.get("token", "")
        uses = self._token_uses.get(token, 0)
        if token not in self.card_tokens or uses >= 2:  # Feishu: two updates per token
            return web.json_response({"code": 200830, "msg": "token invalid or used up"})
        self._token_uses[token] = uses + 1
        return self._update(self.card_tokens[token], body["card"])

    def _update(self, message_id: str, card: dict[str, Any]) -> web.Response:
        for messages in self.shown.values():
            for shown in messages:
                if shown.message_id == message_id:
                    shown.content = card
                    shown.updates += 1
                    return _ok({})
        return web.json_response({"code": 230011, "msg": "message not found"})

    def apply(self, message_id: str, answer: dict[str, Any]) -> None:
        """What Feishu does with a card callback's answer: a `card` replaces the pressed one."""
        card = answer.get("card") or {}
        if card.get("type") == "raw":
            self._update(message_id, card["data"])


def _ok(data: dict[str, Any]) -> web.Response:
    return web.json_response({"code": 0, "msg": "success", "data": data})
