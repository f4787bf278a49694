"""Fixtures for the Telegram suite: the Bot API stand-in, and the bot running against it
(polling by default; `@pytest.mark.parametrize("world", ["webhook"], indirect=True)` or
`["polling", "webhook"]` for the webhook path), on the example company's database from
tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from bot.telegram import TelegramBot
from bot.telegram_limits import RETRIES_AFTER_429, TelegramLimits
from handlers.engine.core import Core
from handlers.rules.policy.schema import Policy
from storage.db import Database
from tests.conftest import Reserve
from tests.telegram.botapi import TOKEN, BotApi
from tests.telegram.harness import World

SECRET = "s3cret-Token_for-tests"
TICK = "0.05"  # seconds between outbox passes: short, so a forgotten wake still delivers


@pytest.fixture
async def botapi() -> AsyncIterator[BotApi]:
    api = BotApi()
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def telegram_settings(botapi: BotApi, org_db: Database, reserve_port: Reserve) -> Settings:
    return load_settings(
        environ={
            "DATABASE_URL": org_db.url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": botapi.url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_LISTEN": f"127.0.0.1:{reserve_port()}",
            "TICK_SECONDS": TICK,
        }
    )


@pytest.fixture
def telegram_app(telegram_settings: Settings, org_db: Database, policy: Policy, core: Core) -> App:
    return App(telegram_settings, org_db, policy, core)


@pytest.fixture
def telegram_limits(request: pytest.FixtureRequest) -> TelegramLimits:
    """Production limits, except the per-chat pacing: a scripted conversation (dozens of
    answers a second) would wait a second per reply. A test may lower the 429 retries with
    `@pytest.mark.parametrize("telegram_limits", [N], indirect=True)`."""
    retries = getattr(request, "param", RETRIES_AFTER_429)
    return TelegramLimits(chat_burst=1000, chat_period=1, max_retries=retries)


@pytest.fixture(params=["polling"])
async def world(
    request: pytest.FixtureRequest,
    botapi: BotApi,
    telegram_app: App,
    telegram_limits: TelegramLimits,
) -> AsyncIterator[World]:
    """The bot started against the stand-in, by polling or by webhook."""
    webhook = None
    if request.param == "webhook":
        host, port = telegram_app.settings.telegram_listen
        webhook = f"http://{host}:{port}/telegram/updates"
    bot = TelegramBot(telegram_app, telegram_limits)
    await bot.start(webhook)
    world = World(botapi, bot, webhook, SECRET)
    yield world
    await world.close()
    await bot.stop()
