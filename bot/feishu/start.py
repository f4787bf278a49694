"""`visitdesk run feishu`: the credentials checked with Feishu, then the long connection, or
the callback URL's server when FEISHU_LISTEN is set.

A credential Feishu refuses stops the start with one line naming the setting (the SDK would
find out at the first message, and its long connection retries a refused one forever);
Feishu or the network being away for a while is waited out (`until_answered`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import lark_oapi as lark

from bot.app import App
from bot.config import SettingError, Settings, listening_at
from bot.feishu.bot import FeishuBot
from bot.feishu.callback import EVENTS_PATH
from bot.feishu.send import SEND_ERRORS, Sender, api_client
from bot.feishu.ws import LongConnection
from bot.start_retry import Passing, until_answered

log = logging.getLogger(__name__)

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
SECRET_REFUSED = 10014  # "app secret invalid"; other refusals are of the app id
LARK = "larksuite.com"


def locale_of(domain: str) -> str:
    """Feishu's events say nothing of a person's language: Feishu is Chinese, Lark English."""
    return "en-US" if domain.rstrip("/").endswith(LARK) else "zh-CN"


async def check_credentials(client: lark.Client, app_id: str, app_secret: str, domain: str) -> None:
    """Ask Feishu once for a tenant token with the app's id and secret."""
    request = (
        lark.BaseRequest.builder()
        .http_method(lark.HttpMethod.POST)
        .uri(TOKEN_PATH)
        .headers({"Content-Type": "application/json; charset=utf-8"})
        .body({"app_id": app_id, "app_secret": app_secret})
        .build()
    )

    async def ask() -> None:
        try:
            answer: Any = await asyncio.to_thread(client.request, request)
        except SEND_ERRORS as error:
            raise Passing(type(error).__name__) from None
        status = answer.raw.status_code if answer.raw is not None else 0
        if answer.success():
            return
        if status >= 500 or status == 429:
            raise Passing(f"HTTP {status}")
        if answer.code is None:
            problem = f"{domain} does not answer like Feishu's Open API (HTTP {status})"
            raise SettingError("FEISHU_DOMAIN", problem)
        setting = "FEISHU_APP_SECRET" if answer.code == SECRET_REFUSED else "FEISHU_APP_ID"
        # Feishu's word for it, never the secret.
        raise SettingError(setting, f"Feishu refused it (code {answer.code}: {answer.msg})")

    await until_answered(f"feishu: tenant token at {domain}", ask)


def _needed(settings: Settings) -> tuple[str, str]:
    if not settings.feishu_app_id or not settings.feishu_app_secret:
        missing = "FEISHU_APP_SECRET" if settings.feishu_app_id else "FEISHU_APP_ID"
        raise SettingError(missing, "is needed to run on Feishu (the app's credentials)")
    if settings.feishu_listen and not (
        settings.feishu_encrypt_key and settings.feishu_verification_token
    ):
        missing = (
            "FEISHU_VERIFICATION_TOKEN" if settings.feishu_encrypt_key else "FEISHU_ENCRYPT_KEY"
        )
        raise SettingError(missing, "is needed for the callback URL (FEISHU_LISTEN)")
    return settings.feishu_app_id, settings.feishu_app_secret


async def serve(app: App, webhook: str | None = None) -> None:
    """The long connection, or HTTP at FEISHU_LISTEN; then the outbox until cancelled."""
    settings = app.settings
    app_id, secret = _needed(settings)
    domain = settings.feishu_domain
    client = api_client(app_id, secret, domain)
    await check_credentials(client, app_id, secret, domain)
    bot = FeishuBot(app.core, Sender(client, app_id), locale_of(domain))
    stop: Callable[[], Awaitable[None]] | None = None
    try:
        if settings.feishu_listen:
            host, port = settings.feishu_listen
            with listening_at("FEISHU_LISTEN", settings.feishu_listen):
                runner = await bot.start_http(
                    host,
                    port,
                    settings.feishu_encrypt_key or "",
                    settings.feishu_verification_token or "",
                )
            stop = runner.cleanup
            log.info("feishu: callbacks at http://%s:%s%s", host, port, EVENTS_PATH)
        else:
            connection = LongConnection(
                app_id, secret, domain, bot.on_callback, asyncio.get_running_loop()
            )
            connection.start()
            stop = connection.stop
            log.info("feishu: long connection started")
        await bot.run_outbox(settings.tick_seconds)  # until cancelled (SIGTERM, SIGINT)
    finally:
        if stop is not None:
            await stop()
        await bot.stop_delivering()
        bot.close()
