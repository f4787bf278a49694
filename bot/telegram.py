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
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
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

from bot import outbox
from bot.app import App
from bot.config import SettingError, Settings, listening_at
from bot.delivery_loop import DeliveryLoop
from bot.start_retry import Passing, until_answered
from bot.telegram_limits import (
    TEXT_LIMIT,
    ChatOrderedProcessor,
    TelegramLimits,
    split_text,
    utf16_len,
)
from bot.telegram_webhook import WebhookServer
from handlers.engine.context import enqueue
from handlers.engine.i18n import LOCALES, Translator, choose_locale, normalise_locale
from handlers.engine.messages import Button, Event, Message
from handlers.org.chart import ROLES
from storage.models import Identity

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
Target = tuple[int, int]  # (chat id, message id) of a message already shown


class TelegramBot:
    """One bot: the PTB application, its handlers, and the outbox loop."""

    def __init__(self, app: App, limits: BaseRateLimiter[int] | None = None) -> None:
        self.app = app
        self.core = app.core
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
        self._delivering = asyncio.Lock()  # one outbox pass at a time
        self._marks = outbox.SentMarks(self.app.db)
        self._webhook: WebhookServer | None = None
        self._stopping = False  # set by stop(): passes claim no more, chats end after a send
        self._outbox = DeliveryLoop(
            app.db, self.deliver, app.settings.tick_seconds, name="telegram-outbox"
        )

    # ---------------------------------------------------------------- lifecycle

    async def start(self, webhook: str | None = None) -> None:
        """Connect, publish the command menus, start receiving updates and the outbox loop."""
        secret = _webhook_secret(self.app.settings) if webhook else None
        await until_answered("telegram: getMe", self._initialize)
        await self._publish_menus()
        if webhook and secret:
            # Our own server, not the updater's: it refuses unread (see telegram_webhook).
            server = WebhookServer(
                self.application, urlparse(webhook).path, secret, self.app.db, self._now
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
        self._outbox.start()
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
        self._stopping = True
        await self._outbox.stop()
        async with self._delivering:  # a pass a reply started, too
            await self._marks.flush()
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
        """A shared location, or a photo, sticker or voice note: the core answers it (a
        stranger as a stranger)."""
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        where = message.location
        event = Event(
            PLATFORM,
            str(user.id),
            chat_id=str(message.chat.id),
            platform_locale=user.language_code,
            event_id=str(update.update_id),
            unreadable=where is None,
            location=None if where is None else (where.latitude, where.longitude),
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
        t = self._translator(None, user.language_code if user else None)
        await message.reply_text(t("telegram.private_only"))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed: %r", update, exc_info=context.error)

    async def _handle(self, event: Event, chat_id: int, pressed: int | None) -> None:
        # What the update queued for others goes out when it commits (see DeliveryLoop).
        replies = await asyncio.to_thread(self.core.handle, event)
        person_id = None
        if any(reply.card for reply in replies):
            found = await asyncio.to_thread(self._person, event.user)
            person_id = found[0] if found else None
        for number, reply in enumerate(replies):
            parts = outbox.Parts()
            try:
                await self._show(chat_id, person_id, reply, pressed, parts)
            except BadRequest:
                raise  # Telegram will never take it: retrying cannot help
            except (NetworkError, RetryAfter) as error:  # a 5xx, a timeout, a flood wait
                log.warning("reply to %s not sent (%s); kept in the outbox", event.user, error)
                await asyncio.to_thread(self._keep, event.user, replies[number:], parts.taken)
                break

    def _keep(self, user_key: str, replies: list[Message], first_parts_sent: int) -> None:
        """Replies Telegram did not take go to the outbox, in order, to be sent by the next
        passes — the answer was saved, so its reply must not be lost; of the first, only the
        parts Telegram did not take."""
        now = self._now()
        with self.app.db.session() as session:
            identity = session.scalars(
                select(Identity).where(
                    Identity.platform == PLATFORM, Identity.platform_user == user_key
                )
            ).first()
            if identity is None:  # a stranger's one line: nothing to keep it for
                return
            for number, reply in enumerate(replies):
                key = f"telegram:kept:{uuid.uuid4().hex}"
                row = enqueue(session, identity.person, reply, key, now)
                if row is not None and number == 0:
                    row.parts_sent = first_parts_sent

    # ---------------------------------------------------------------- messages out

    async def _show(
        self,
        chat_id: int,
        person_id: int | None,
        message: Message,
        pressed: int | None,
        parts: outbox.Parts,
    ) -> None:
        """Edit the shown copies of a replaced card (or the pressed message), else send anew
        the parts not sent yet."""
        if message.replace:
            targets = set(await self._copies(message.card, person_id))
            if pressed is not None:
                targets.add((chat_id, pressed))
            for target in sorted(targets):
                await self._edit(target, message)
            if message.settles and message.card and person_id is not None:
                await asyncio.to_thread(
                    outbox.forget_card, self.app.db, message.card, person_id, PLATFORM
                )
            if targets or message.settles:
                return
        sent_id = await self._send(chat_id, message, parts)
        if message.card and person_id is not None and sent_id is not None:
            await asyncio.to_thread(
                outbox.remember_card,
                self.app.db,
                message.card,
                person_id,
                PLATFORM,
                str(chat_id),
                str(sent_id),
            )

    async def _send(
        self, chat_id: int, message: Message, parts: outbox.Parts | None = None
    ) -> int | None:
        """Send text (split to Telegram's size), then any file, each part once (`parts`: those
        already taken, counted as each goes); the id of the one with buttons, if sent now."""
        parts = parts or outbox.Parts()
        bot = self.application.bot
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
        return holder

    async def _edit(self, target: Target, message: Message) -> None:
        chat_id, message_id = target
        try:
            await self.application.bot.edit_message_text(
                _fit(message.text),
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=_keyboard(message.buttons),
            )
        except BadRequest as error:
            # Unchanged (a double tap) is fine; a deleted or too old message cannot be helped.
            if "not modified" not in error.message.lower():
                log.warning("could not update message %s in chat %s: %s", *target, error)

    async def _copies(self, card: str | None, person_id: int | None) -> list[Target]:
        if card is None or person_id is None:
            return []
        copies = await asyncio.to_thread(outbox.copies_of, self.app.db, card, person_id, PLATFORM)
        return [(int(chat), int(message)) for chat, message in copies]

    # ---------------------------------------------------------------- the outbox

    async def deliver(self) -> None:
        """Send everything due in the outbox for people on Telegram."""
        async with self._delivering:
            await self._marks.flush()  # rows sent while the database was away, first
            batch = await self._claim()
            while batch:
                # The next batch is claimed while this one goes out: the pace (a message every
                # 1/29.5 s) must not wait for the database between batches.
                upcoming = asyncio.ensure_future(self._claim())
                unsent: list[int] = []
                try:
                    # Chats side by side, each chat's messages in order: one chat waiting for
                    # its own pace (one a second) must not hold up everyone else's digest.
                    chats: dict[str | None, list[outbox.Pending]] = {}
                    for pending in batch:
                        chats.setdefault(pending.chat_id, []).append(pending)
                    left = await asyncio.gather(
                        *(self._deliver_in_order(rows) for rows in chats.values())
                    )
                    unsent = [row for rows in left for row in rows]
                finally:
                    batch = await upcoming  # a pass that failed leaves it to its lease
                if self._stopping:
                    unsent += [pending.id for pending in batch]
                    batch = []
                await asyncio.to_thread(outbox.release, self.app.db, unsent, self._now())

    async def _claim(self) -> list[outbox.Pending]:
        if self._stopping:
            return []
        return await asyncio.to_thread(outbox.claim, self.app.db, PLATFORM, self._now())

    async def _deliver_in_order(self, rows: list[outbox.Pending]) -> list[int]:
        """One chat's messages in order; the ids left unsent when the bot began stopping."""
        for number, pending in enumerate(rows):
            if self._stopping:
                return [left.id for left in rows[number:]]
            await self._deliver_one(pending)
        return []

    async def _deliver_one(self, pending: outbox.Pending) -> None:
        retry_in = None
        if pending.chat_id is None:
            log.warning("outbox %s: person %s has no Telegram chat", pending.id, pending.person_id)
            retry_in = RETRY_LATER
        else:
            parts = outbox.Parts(pending.parts_sent, partial(self._record_parts, pending.id))
            try:
                await self._show(
                    int(pending.chat_id), pending.person_id, pending.message, None, parts
                )
            except (Forbidden, BadRequest) as error:
                log.warning("outbox %s not delivered: %s", pending.id, error)
                retry_in = RETRY_LATER
            except Exception:  # TelegramError past the retries, or a bug: keep the row
                log.exception("outbox %s not delivered", pending.id)
                retry_in = RETRY_SOON
        if retry_in is None:
            await self._marks.sent(pending.id, self._now())
        else:
            await asyncio.to_thread(
                outbox.mark_failed, self.app.db, pending.id, self._now(), retry_in
            )

    async def _record_parts(self, pending_id: int, parts_sent: int) -> None:
        await asyncio.to_thread(outbox.mark_parts, self.app.db, pending_id, parts_sent)

    def _now(self) -> datetime:
        return self.core.clock()  # the core's clock: the outbox rows were stamped with it

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

    def _person(self, user_key: str) -> tuple[int, str | None] | None:
        """(person id, their own locale) of a linked Telegram user; runs in a worker thread."""
        with self.app.db.session() as session:
            identity = session.scalars(
                select(Identity).where(
                    Identity.platform == PLATFORM, Identity.platform_user == user_key
                )
            ).first()
            if identity is None:
                return None
            return identity.person_id, identity.person.locale

    def _translator(self, person_locale: str | None, language_code: str | None) -> Translator:
        return Translator(
            choose_locale(person_locale, language_code, self.app.policy.org.default_locale)
        )


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
