"""The Telegram adapter as a process of its own, for the crash tests:

    python -m tests.reliability.telegram_process

Settings come from the environment as for `visitdesk run telegram` (DATABASE_URL,
TELEGRAM_BOT_TOKEN, TELEGRAM_API_BASE_URL pointing at the Bot API stand-in, TICK_SECONDS),
plus VISITDESK_CLOCK_OFFSET (seconds added to the clock), so a restarted process can stand
past an outbox lease without the test waiting two minutes. Prints "ready" once polling.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta

from bot.app import App
from bot.config import load_settings
from bot.telegram import TelegramBot
from bot.telegram_limits import TelegramLimits
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.rules.policy.schema import default_policy
from storage.db import Database
from storage.models import utcnow


async def main() -> None:
    settings = load_settings()
    offset = timedelta(seconds=float(os.environ.get("VISITDESK_CLOCK_OFFSET", "0")))

    def clock() -> datetime:
        return utcnow() + offset

    db = Database(settings.database_url)
    policy = default_policy()
    app = App(settings, db, policy, Core(db, policy, FEATURES, clock))
    bot = TelegramBot(app, TelegramLimits(chat_burst=1000, chat_period=1))
    await bot.start()
    print("ready", flush=True)
    await asyncio.get_running_loop().create_future()  # until killed


if __name__ == "__main__":
    asyncio.run(main())
