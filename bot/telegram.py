"""The Telegram adapter: python-telegram-bot's `Application` <-> the platform-neutral core.

A translator and nothing more: a private chat's text or button press becomes an `Event`,
the core (sync, so in a worker thread) answers with `Message`s, and those are shown as
Telegram messages with inline keyboards (callback data = the button's action). Everything
about receptions and approvals is decided in `handlers/`.

- A button press is answered at once (the spinner stops), then handled; a reply marked
  `replace` edits the message the button was on, and every other copy of its card.
- Messages for other people wait in the outbox; a loop delivers them every TICK_SECONDS and
  as soon as a transaction that queued some commits, and edits earlier copies of a card when
  asked to.
- Updates come by long polling, or by webhook (`serve(app, webhook=URL)`), whose requests
  are checked for Telegram's secret-token header and their size before the body is read
  (`telegram_webhook`). A redelivered update (same update_id) reaches the core with the same
  event id, and the core drops it.
- Sending is paced to Telegram's limits; a 429 pauses and retries (see `telegram_limits`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.constants import BotCommandLimit, ChatType, KeyboardButtonStyle, UpdateType
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.adapter import LiveAdapter, Parts, Spot
from bot.app import App
from bot.config import SettingError, Settings, listening_at
from bot.start_retry import Passing, until_answered
from bot.telegram_limits import (
    TEXT_LIMIT,
    ChatOrderedProcessor,
    TelegramLimits,
    split_text,
    utf16_len,
)
from bot.telegram_webhook import WebhookServer
from handlers.engine.i18n import LOCALES, Translator, normalise_locale
from handlers.engine.messages import Button, Event, Message
from handlers.org.chart import ROLES

log = logging.getLogger(__name__)
# httpx logs every request's URL at INFO, and a Bot API URL holds the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

PLATFORM = "telegram"
ALLOWED_UPDATES = [UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY]
RETRY_SOON = timedelta(seconds=30)  # a network hiccup or a long flood wait
RETRY_LATER = timedelta(hours=1)  # the person blocked the bot, or the chat is gone
# The menu is bot-wide, so it lists what the working roles can do; org-admin extras stay
# out of everyone's menu (the core still answers them, and refuses those not allowed).
MENU_ROLES = ROLES - {"org_admin"}
_STYLES = {"primary": KeyboardButtonStyle.PRIMARY, "danger": KeyboardButtonStyle.DANGER}

PRIVATE = filters.ChatType.PRIVATE  # groups get one line pointing here, nothing more


class TelegramBot(LiveAdapter):
    """One bot: the PTB application and its handlers; the rest is the adapter base's."""

    platform = PLATFORM
    keep_on = (NetworkError, RetryAfter)  # a 5xx, a timeout, a flood wait; a 400 never
    edits_pressed = True

    def __init__(self, app: App, limits: BaseRateLimiter[int] | None = None) -> None:
        super().__init__(app.core)
        self.app = app
        self.application = _application(app.settings, limits or TelegramLimits())
        self.application.add_handler(
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT, self._on_text)
        )
        self.application.add_handler(CallbackQueryHandler(self._on_press))
        self.application.add_handler(
            MessageHandler(PRIVATE & filters.UpdateType.MESSAGE, self._on_other)
        )
        self.application.add_handler(
            MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self._on_group)
        )
        self.application.add_error_handler(self._on_error)
        self._webhook: WebhookServer | None = None
        self._ticks: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- lifecycle

    async def start(self, webhook: str | None = None) -> None:
        """Connect, publish the command menus, start receiving updates and the outbox loop."""
        secret = _webhook_secret(self.app.settings) if webhook else None
        await until_answered("telegram: getMe", self._initialize)
        await self._publish_menus()
        if webhook and secret:
            # Our own server, not the updater's: it refuses unread (see telegram_webhook).
            server = WebhookServer(
                self.application, urlparse(webhook).path, secret, self.app.db, self.now
            )
            host, port = self.app.settings.telegram_listen
            with listening_at("TELEGRAM_LISTEN", self.app.settings.telegram_listen):
                await server.start(host, port)
            self._webhook = server
            await self.application.bot.set_webhook(
                webhook, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
        else:
            updater = self.application.updater
            assert updater is not None  # built with one
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        self.listen()
        self._ticks = asyncio.create_task(self.run_outbox(self.app.settings.tick_seconds))
        log.info("telegram: %s", f"webhook at {webhook}" if webhook else "polling")

    async def _initialize(self) -> None:
        """PTB's first call, getMe: a token Telegram refuses stops the start naming its setting
        (PTB's own message would print the token); an unreachable Telegram is waited out."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise SettingError(
                "TELEGRAM_BOT_TOKEN", "Telegram refused it; copy the token from @BotFather again"
            ) from None
        except (NetworkError, RetryAfter) as error:
            raise Passing(error.message) from None

    async def stop(self) -> None:
        """Stop gracefully: take no more updates, answer those already taken, let the outbox
        message being sent finish and mark it, give back the rows claimed but not sent (the
        next process sends them at once), then let go of Telegram."""
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()  # PTB confirms the updates fetched, so none comes again
        if self.application.running:
            await self.application.stop()  # the updates queued are handled first
        if self._ticks is not None:
            self._ticks.cancel()
            self._ticks = None
        await self.stop_delivering()
        await self.application.shutdown()

    # ---------------------------------------------------------------- updates in

    async def _on_text(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        event = Event(
            PLATFORM,
            str(user.id),
            text=message.text,
            chat_id=str(message.chat.id),
            platform_locale=user.language_code,
            event_id=str(update.update_id),
        )
        await self._handle(event, message.chat.id, pressed=None)

    async def _on_press(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        # First stop the spinner on the person's screen; the work may take a moment.
        try:
            await query.answer()
        except TelegramError as error:
            log.info("callback %s not answered: %s", query.id, error)
        shown = query.message
        if query.data is None or shown is None or shown.chat.type != ChatType.PRIVATE:
            return
        event = Event(
            PLATFORM,
            str(query.from_user.id),
            action=query.data,
            chat_id=str(shown.chat.id),
            platform_locale=query.from_user.language_code,
            event_id=str(update.update_id),
        )
        await self._handle(event, shown.chat.id, pressed=shown.message_id)

    async def _on_other(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker or voice note: the core answers it (a stranger as a stranger)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        event = Event(
            PLATFORM,
            str(user.id),
            chat_id=str(message.chat.id),
            platform_locale=user.language_code,
            event_id=str(update.update_id),
            unreadable=True,
        )
        await self._handle(event, message.chat.id, pressed=None)

    async def _on_group(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """A command in a group: point to the private chat, do nothing else."""
        message, user = update.effective_message, update.effective_user
        if message is None or not message.text:
            return
        addressee = message.text.split()[0].partition("@")[2]
        if addressee and addressee.lower() != self.application.bot.username.lower():
            return  # /help@another_bot is not for us
        t = self.stranger_translator(user.language_code if user else None)
        await message.reply_text(t("telegram.private_only"))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed: %r", update, exc_info=context.error)

    async def _handle(self, event: Event, chat_id: int, pressed: int | None) -> None:
        # What the update queued for others goes out when it commits (see LiveAdapter).
        answer = await asyncio.to_thread(self.core.answer, event)
        spot = None if pressed is None else (str(chat_id), str(pressed))
        await self.answer(answer, str(chat_id), spot)

    # ---------------------------------------------------------------- messages out

    async def send(self, chat: str, message: Message, parts: Parts) -> str | None:
        """Send text (split to Telegram's size), then any file, each part once (`parts`: those
        already taken, counted as each goes); the id of the one with buttons, if sent now."""
        bot = self.application.bot
        chat_id = int(chat)
        keyboard = _keyboard(message.buttons)
        pieces = split_text(message.text) if message.text.strip() else []
        total = len(pieces) + (message.attachment is not None)
        holder = None
        for number, piece in enumerate(pieces, start=1):
            if not parts.due(number):
                continue
            markup = keyboard if number == len(pieces) else None
            holder = (await bot.send_message(chat_id, piece, reply_markup=markup)).message_id
            await parts.took(number, total)
        if message.attachment is not None and parts.due(total):
            document = InputFile(message.attachment.content, filename=message.attachment.filename)
            markup = None if pieces else keyboard
            sent = await bot.send_document(chat_id, document, reply_markup=markup)
            holder = holder or sent.message_id
            await parts.took(total, total)
        return None if holder is None else str(holder)

    async def edit(self, spot: Spot, message: Message) -> None:
        chat_id, message_id = spot
        try:
            await self.application.bot.edit_message_text(
                _fit(message.text),
                chat_id=int(chat_id),
                message_id=int(message_id),
                reply_markup=_keyboard(message.buttons),
            )
        except BadRequest as error:
            # Unchanged (a double tap) is fine; a deleted or too old message cannot be helped.
            if "not modified" not in error.message.lower():
                log.warning("could not update message %s in chat %s: %s", *spot, error)

    def retry_in(self, error: Exception | None) -> timedelta:
        """The person blocked the bot, the chat is gone or never known: an hour; else soon."""
        if error is None or isinstance(error, (Forbidden, BadRequest)):
            return RETRY_LATER
        return RETRY_SOON

    # ---------------------------------------------------------------- helpers

    async def _publish_menus(self) -> None:
        """The command menu in each language; the default one in the org's language."""
        default = normalise_locale(self.app.policy.org.default_locale)
        for locale in LOCALES:
            t = Translator(locale)
            commands = self._menu(t)
            for language in [t.lang] + ([None] if locale == default else []):
                try:
                    await self.application.bot.set_my_commands(
                        commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
                    )
                except TelegramError as error:  # a menu is a convenience: run without it
                    log.warning("command menu (%s) not set: %s", language or "default", error)

    def _menu(self, t: Translator) -> list[BotCommand]:
        entries = [(c.name, t(c.summary)) for c in self.core.menu(frozenset(MENU_ROLES))]
        entries += [
            ("help", t("telegram.menu.help")),
            ("cancel", t("help.cancel")),
            ("back", t("help.back")),
        ]
        limit = BotCommandLimit.MAX_DESCRIPTION
        return [BotCommand(name, text[:limit]) for name, text in entries]


# Any for PTB's six type parameters (bot, context, three data dicts, job queue): its inferred
# types disagree with themselves once a rate limiter is set (the bot becomes ExtBot[int], the
# context's bot stays ExtBot[None]), and the handlers take the documented DEFAULT_TYPE.
def _application(
    settings: Settings, limits: BaseRateLimiter[int]
) -> Application[Any, Any, Any, Any, Any, Any]:
    if not settings.telegram_token:
        raise SettingError("TELEGRAM_BOT_TOKEN", "not set")
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .rate_limiter(limits)
        .concurrent_updates(ChatOrderedProcessor())
        .job_queue(None)  # reminders live in our database, not in PTB's memory
    )
    if settings.telegram_api_base_url:  # a self-hosted Bot API server
        url = settings.telegram_api_base_url
        builder = builder.base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
    return builder.build()


def _webhook_secret(settings: Settings) -> str:
    # Without it anyone who finds the URL could post fake updates as any user.
    if not settings.telegram_webhook_secret:
        raise SettingError("TELEGRAM_WEBHOOK_SECRET", "required in webhook mode")
    return settings.telegram_webhook_secret


def _keyboard(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, callback_data=b.action, style=_STYLES.get(b.style))
                for b in row
            ]
            for row in buttons
        ]
    )


def _fit(text: str) -> str:
    """An edited message cannot grow into two: keep what fits and mark the cut."""
    if utf16_len(text) <= TEXT_LIMIT:
        return text
    return split_text(text, TEXT_LIMIT - 1)[0] + "…"


async def serve(app: App, webhook: str | None) -> None:
    """Run the bot until cancelled (SIGTERM or SIGINT, see `bot.cli`), then stop it
    gracefully: by webhook when a URL is given, else polling."""
    bot = TelegramBot(app)
    await bot.start(webhook or app.settings.telegram_webhook_url)
    try:
        await asyncio.get_running_loop().create_future()  # wait until cancelled
    finally:
        await bot.stop()
