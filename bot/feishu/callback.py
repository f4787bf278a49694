"""Opening a Feishu event callback (the HTTP mode): checked before anything reads it.

lark-oapi's own webhook handler decrypts before it checks the signature, compares with `!=`,
has no timestamp window, takes a signed but unencrypted body when a key is set, reads its
headers case-sensitively, and answers every failure with HTTP 500 and the exception's text
(FEISHU.md). So the checks are ours, in this order: the signature over the raw body
(sha256(timestamp + nonce + encrypt_key + body), compared in constant time, within
`WINDOW_SECONDS`), then the AES-256-CBC decryption (the SDK's `AESCipher`), then the
verification token. Only Feishu's URL check comes unsigned; it is answered when its token
is right. A refusal names its status and a reason for the audit, never the body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from lark_oapi.core.utils import AESCipher

EVENTS_PATH = "/feishu/events"
WINDOW_SECONDS = 300  # a signed request older (or newer) than this is a replay: refused
URL_CHECK = "url_verification"


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def serve_callbacks(
    host: str,
    port: int,
    encrypt_key: str,
    token: str,
    answer: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    audit: Callable[[str | None, Refused], None],
) -> web.AppRunner:
    """The callback URL at EVENTS_PATH: each callback opened, then `answer`ed; a refused one
    is `audit`ed and answered with its status alone."""

    async def callback(request: web.Request) -> web.Response:
        body = await request.read()  # within aiohttp's client_max_size
        try:
            data = open_callback(request.headers, body, encrypt_key, token, time.time())
        except Refused as refused:
            await asyncio.to_thread(audit, request.remote, refused)
            return web.json_response({"error": "invalid request"}, status=refused.status)
        return web.json_response(await answer(data))

    served = web.Application()
    served.router.add_post(EVENTS_PATH, callback)
    runner = web.AppRunner(served)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:  # a port taken, or a cancel: the caller never gets the runner
        await runner.cleanup()
        raise
    return runner


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def open_callback(
    headers: Mapping[str, str], body: bytes, encrypt_key: str, token: str, now: float
) -> dict[str, Any]:
    """The callback's JSON, once it is Feishu's; else `Refused`. `headers` must look names up
    without regard to case (aiohttp's do): a proxy or HTTP/2 lowercases them."""
    outer = _json(body, 400)
    sealed = outer.get("encrypt")
    if not isinstance(sealed, str):
        raise Refused(401, "not encrypted")  # Feishu encrypts every callback once a key is set
    signed = "X-Lark-Signature" in headers
    if signed:
        _check_signature(headers, body, encrypt_key, now)
    try:
        data = _json(AESCipher(encrypt_key).decrypt_str(sealed).encode(), 401)
    except (ValueError, UnicodeDecodeError):  # base64, length or padding: not our key
        raise Refused(401, "not decryptable") from None
    if not signed and data.get("type") != URL_CHECK:
        raise Refused(401, "not signed")
    said = data.get("token") or (data.get("header") or {}).get("token") or ""
    if not (isinstance(said, str) and hmac.compare_digest(said.encode(), token.encode())):
        raise Refused(401, "verification token")
    return data


def _check_signature(headers: Mapping[str, str], body: bytes, key: str, now: float) -> None:
    stamp = headers.get("X-Lark-Request-Timestamp", "")
    nonce = headers.get("X-Lark-Request-Nonce", "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Refused(401, "timestamp")
    if abs(now - int(stamp)) > WINDOW_SECONDS:
        raise Refused(401, "stale timestamp")
    expected = signature(stamp, nonce, key, body)
    if not hmac.compare_digest(expected.encode(), headers["X-Lark-Signature"].encode()):
        raise Refused(401, "signature")


def _json(raw: bytes, status: int) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused(status, "not JSON") from None
    if not isinstance(data, dict):
        raise Refused(status, "not a JSON object")
    return data
