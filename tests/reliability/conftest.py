"""The reliability suite reuses the Telegram and Slack rigs as they are: the Bot API stand-in
and the bot polling it (`world`), the Slack Web API stand-in and the bolt app served over
HTTP (`slack`, `standin`, `link`)."""

from tests.slack.conftest import bot, link, slack, standin
from tests.telegram.conftest import (
    botapi,
    telegram_app,
    telegram_limits,
    telegram_settings,
    world,
)

__all__ = [
    "bot",
    "botapi",
    "link",
    "slack",
    "standin",
    "telegram_app",
    "telegram_limits",
    "telegram_settings",
    "world",
]
