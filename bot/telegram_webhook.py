"""Telegram's webhook endpoint, served with aiohttp rather than python-telegram-bot's tornado
server: that one reads a whole body (up to tornado's 100 MB) before it looks at the secret,
and refuses inside the library, out of the audit trail.

Here a request is judged on its headers first — Telegram's secret-token header (compared in
constant time), then the size it announces — and a refusal is answered at once, unread, and
kept as an audit row `request.refused` (no actor, the caller's address). Only then is the body
read (still bounded, for a body sent without a length) and the update queued for the PTB
application, as PTB's own handler does.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web
from telegram import Bot, Update
from telegram.ext import Application, ExtBot

from handlers.engine.context import audit_refused_request
from storage.db import Database

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is a few kilobytes (a 4096-character message with its entities, a callback
# query with the message it was on); a megabyte is far above any, far below tornado's 100 MB.
MAX_BODY = 1024 * 1024


class WebhookServer:
    """The webhook's HTTP server: refuses unauthenticated or oversized requests unread."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],  # as bot/telegram.py's
        path: str,
        secret: str,
        db: Database,
        clock: Callable[[], datetime],
    ) -> None:
        self.application = application
        self.path = "/" + path.lstrip("/")
        self.secret = secret.encode()
        self.db = db
        self.clock = clock
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> None:
        served = web.Application(client_max_size=MAX_BODY)
        served.router.add_post(self.path, self._receive)
        runner = web.AppRunner(served, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:  # a port taken, or a cancel: nothing is left listening
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return await self._refuse(request, HTTPStatus.FORBIDDEN, "secret")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return await self._refuse(request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "size")
        try:
            data = await request.json()
        except web.HTTPRequestEntityTooLarge:  # no length announced, and more than allowed
            return await self._refuse(request, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "size")
        except (ValueError, UnicodeDecodeError):
            return await self._refuse(request, HTTPStatus.BAD_REQUEST, "body")
        update = _update(data, self.application.bot)
        if update is None:
            return await self._refuse(request, HTTPStatus.BAD_REQUEST, "body")
        await self.application.update_queue.put(update)
        return web.Response(status=HTTPStatus.OK)

    async def _refuse(self, request: web.Request, status: HTTPStatus, reason: str) -> web.Response:
        """Answer at once; keep who asked and why. The connection closes: what is left of an
        unread body is never read."""
        log.info("telegram webhook: refused a request from %s (%s)", request.remote, reason)
        await asyncio.to_thread(self._audit, int(status), reason, request.remote or "")
        return web.Response(status=status, headers={"Connection": "close"})

    def _audit(self, status: int, reason: str, remote: str) -> None:
        with self.db.session() as session:
            audit_refused_request(session, self.clock(), "telegram", status, remote, reason)


def _update(data: object, bot: Bot) -> Update | None:
    """The update in a request's JSON, as PTB's own webhook handler reads it; None for JSON
    that is no update (an authenticated caller's mistake: refused, not a crash)."""
    if not isinstance(data, dict):
        return None
    try:
        update = Update.de_json(data, bot)
    except (KeyError, TypeError, ValueError):
        return None
    if isinstance(bot, ExtBot):  # as PTB's handler: arbitrary callback data, if used
        bot.insert_callback_data(update)
    return update
