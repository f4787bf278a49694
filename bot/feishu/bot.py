"""The Feishu (Lark) adapter: Feishu's callbacks <-> the platform-neutral core.

A translator, nothing more, on the adapter base (`bot.adapter.LiveAdapter`: showing the
core's answer to the person it is for, card copies, keeping a failed reply, the outbox): a
private chat's text and a card button's action go to the core, saying a whole form can be
shown there; a form the core opens (`OpenForm`) is drawn from its sheet as one card form,
checked by `Core.fill_form` on Submit — errors come back as the same card drawn again from
the sheet with the reasons under the fields, nothing saved until it is valid; every reply
goes to the person by open_id.

Callbacks arrive by the long connection (`ws.LongConnection`) or over HTTP at EVENTS_PATH
(`callback.open_callback` checks them; a refusal is audited and answered without a word of
why). Either way `on_callback` takes the callback's JSON. A card action is answered
within Feishu's 3 seconds: a button at once (its work goes on in a tracked task), a form's
Submit with the card it turns into. Redeliveries act once: the core drops an event id it has
seen (the callback header's `event_id`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.adapter import LiveAdapter, Parts, Spot
from bot.feishu.callback import URL_CHECK, Refused, serve_callbacks
from bot.feishu.cards import Card, form_card, message_card, read_form, typed_again
from bot.feishu.send import SEND_ERRORS, FeishuError, PressTokens, Sender
from handlers.engine.context import audit_refused_request
from handlers.engine.core import Core
from handlers.engine.forms.sheet import Sheet
from handlers.engine.messages import Answer, Event, Message, OpenForm
from storage.models import DeliveredCard, utcnow

log = logging.getLogger(__name__)

PLATFORM = "feishu"
ANSWER_SECONDS = 2.5  # a form's Submit is checked before Feishu's 3 s run out
PATCH_FOR = timedelta(days=14)  # Feishu updates a card message for 14 days after it was sent
RETRY_IN = timedelta(minutes=1)
GONE = (230011,)  # the message was recalled or deleted
SHEETS_KEPT = 1000  # card forms whose sheets are kept to draw them again around errors


def raw_card(built: Card) -> dict[str, Any]:
    return {"card": {"type": "raw", "data": built}}


class FeishuBot(LiveAdapter):
    """Feishu's callbacks to the core; showing and delivering is the adapter base's."""

    platform = PLATFORM
    keep_on = SEND_ERRORS
    keep_for = RETRY_IN

    def __init__(self, core: Core, sender: Sender, locale: str) -> None:
        super().__init__(core)
        self.sender = sender
        self.locale = locale  # Feishu's events carry no user language: the platform's (zh / en)
        self.tokens = PressTokens()
        # The sheet each card form lately sent was drawn from, by message id: a Submit with
        # errors is drawn again from it (Feishu hands back the answers, not the card).
        self._sheets: OrderedDict[str, Sheet] = OrderedDict()
        self.listen()  # what an event queued goes out as soon as it commits

    # ---------------------------------------------------------------- running

    async def start_http(self, host: str, port: int, encrypt_key: str, token: str) -> web.AppRunner:
        """Serve the callback URL; port 0 picks a free one (see `runner.addresses`)."""
        return await serve_callbacks(host, port, encrypt_key, token, self.on_callback, self._audit)

    def _audit(self, remote: str | None, refused: Refused) -> None:
        with self.core.db.session() as session:
            audit_refused_request(
                session, self.core.clock(), PLATFORM, refused.status, remote, refused.reason
            )

    # ---------------------------------------------------------------- callbacks

    async def on_callback(self, data: dict[str, Any]) -> dict[str, Any]:
        """Any callback (HTTP or the long connection), opened: what to answer Feishu."""
        if data.get("type") == URL_CHECK:
            return {"challenge": data.get("challenge", "")}
        header, event = data.get("header") or {}, data.get("event") or {}
        kind, event_id = header.get("event_type"), header.get("event_id")
        try:
            if kind == "im.message.receive_v1":
                self.later(self._message(event, event_id))
            elif kind == "card.action.trigger":
                return await self._card_action(event, event_id)
        except (KeyError, TypeError, AttributeError, ValueError):
            log.warning("feishu: a %s callback of a shape we do not read", kind)
        return {}  # anything else: taken, so Feishu does not send it again

    async def _message(self, event: dict[str, Any], event_id: str | None) -> None:
        """Text in the private chat with the bot: an answer to a question, or a command."""
        open_id = event["sender"]["sender_id"]["open_id"]
        message = event["message"]
        if message.get("chat_type") != "p2p":
            note = Message(self.stranger_translator(self.locale)("feishu.private_only"))
            await self.sender.post(message["chat_id"], note, f"{event_id}:p2p", "chat_id")
            return
        text = None
        if message.get("message_type") == "text":
            text = str(json.loads(message.get("content") or "{}").get("text", ""))
        typed = self._event(open_id, text=text, event_id=event_id, unreadable=text is None)
        await self._reply(open_id, await self._opened(open_id, typed))

    async def _card_action(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        open_id = event["operator"]["open_id"]
        action = event["action"]
        value = action.get("value") or {}
        pressed = str(event["context"]["open_message_id"])
        if action.get("form_value") is not None:
            return await self._submit(open_id, pressed, value, action["form_value"], event_id)
        self.tokens.put(pressed, str(event["token"]))
        self.later(self._press(open_id, str(value.get("a", "")), pressed, event_id))
        return {}

    async def _press(self, open_id: str, action: str, pressed: str, event_id: str | None) -> None:
        event = self._event(open_id, action=action, event_id=event_id)
        await self._reply(open_id, await self._opened(open_id, event), pressed)

    async def _opened(self, open_id: str, event: Event) -> Answer:
        """The core's answer to an event in the chat, where a whole form can be shown: a form
        it opens ends it and is sent as a card form. One that cannot be (too big for a card,
        not sent) is asked in the chat: its first question, or, when nothing was begun yet,
        the event answered again as chat."""
        answer = await asyncio.to_thread(self.core.answer, event)
        opened = answer.intents[-1] if answer.intents else None
        if not isinstance(opened, OpenForm) or opened.sheet is None:
            return answer
        if await self._send_form(open_id, opened.sheet):
            return Answer(answer.person_id, answer.intents[:-1])
        if opened.first is not None:
            return answer
        seen = f"{event.event_id}:chat" if event.event_id else None
        chat = replace(event, whole_forms=False, event_id=seen)
        return await asyncio.to_thread(self.core.answer, chat)

    async def _send_form(self, open_id: str, sheet: Sheet) -> bool:
        """Send a sheet as a card form, kept to draw it again around errors; False when it
        does not fit in a card or was not sent."""
        built = form_card(sheet)
        if built is None:
            log.info("card form %s too big for a card; asked in the chat", sheet.form)
            return False
        try:
            message_id = await self.sender.post_card(open_id, built, uuid.uuid4().hex)
        except SEND_ERRORS:
            log.exception("card form %s not sent to %s; asked in the chat", sheet.form, open_id)
            return False
        self._sheets[message_id] = sheet
        while len(self._sheets) > SHEETS_KEPT:
            self._sheets.popitem(last=False)
        return True

    async def _submit(
        self,
        open_id: str,
        card_id: str,
        value: dict[str, Any],
        form_value: dict[str, Any],
        event_id: str | None,
    ) -> dict[str, Any]:
        """A card form's Submit: the card again with the reasons, or the card closed and the
        summary sent. Answered in time: a slow check is left to finish and say its outcome."""
        submitted = read_form(value, form_value)
        if submitted is None:
            return {}
        event = self._event(open_id, event_id=event_id)
        t = self.stranger_translator(self.locale)
        work = asyncio.ensure_future(
            asyncio.to_thread(
                self.core.fill_form, event, submitted.form, submitted.texts, submitted.opened
            )
        )
        try:
            result = await asyncio.wait_for(asyncio.shield(work), ANSWER_SECONDS)
        except TimeoutError:
            self.later(self._late_result(open_id, work))
            return {"toast": {"type": "info", "content": t("feishu.form.checking")}}
        except Exception:
            log.exception("card form %s failed for %s", submitted.form, open_id)
            return {"toast": {"type": "error", "content": t("error.internal")}}
        if result.errors:
            sheet = self._sheets.get(card_id)
            typed = typed_again(form_value)
            again = form_card(sheet, typed, result.errors, t("feishu.form.fix")) if sheet else None
            if again is None:  # its sheet is gone (a restart): the reasons, the card left as is
                reasons = "\n".join(result.errors.values())
                return {"toast": {"type": "error", "content": reasons}}
            return raw_card(again)
        self._sheets.pop(card_id, None)
        self.later(self._reply(open_id, result.answer))
        return raw_card(message_card(Message(t("feishu.form.sent"))))

    async def _late_result(self, open_id: str, work: asyncio.Future[Any]) -> None:
        result = await work
        if result.errors:
            said = Answer(result.answer.person_id, [Message("\n".join(result.errors.values()))])
            await self._reply(open_id, said)
            return
        await self._reply(open_id, result.answer)

    def _event(self, open_id: str, **what: Any) -> Event:
        """An event in the person's chat, where a card form can be shown."""
        return Event(
            PLATFORM,
            open_id,
            chat_id=open_id,
            platform_locale=self.locale,
            whole_forms=True,
            **what,
        )

    # ---------------------------------------------------------------- sending

    async def _reply(self, open_id: str, answer: Answer, pressed: str | None = None) -> None:
        if answer.replies:
            await self.answer(answer, open_id, (open_id, pressed) if pressed else None)

    async def send(self, chat: str, message: Message, parts: Parts) -> str | None:
        """Post to a person by open_id; an outbox row's key as the uuid, so a retry after a
        lost answer is shown once (Feishu takes one message per uuid for an hour)."""
        if not parts.due(1):
            return None
        sent = await self.sender.post(chat, message, parts.key or uuid.uuid4().hex)
        await parts.took(1, 1)  # a file is not sent: its message's text is (see RELIABILITY)
        return sent

    async def edit(self, spot: Spot, message: Message) -> None:
        """A card pressed lately: with its callback's token; else by PATCH while Feishu allows
        (14 days, by its clock: when the copy was noted); older: the new state as a message."""
        chat, message_id = spot
        card = message_card(message)
        token = self.tokens.take(message_id)
        try:
            if token is not None:
                await self.sender.update_pressed(token, card)
            elif utcnow() - await asyncio.to_thread(self._shown_at, message_id) < PATCH_FOR:
                await self.sender.patch(message_id, card)
            else:
                await self.sender.post(chat, message, uuid.uuid4().hex)
        except FeishuError as error:
            if error.code not in GONE:
                raise
            log.info("card %s is gone; not updated", message_id)  # recalled by someone

    def _shown_at(self, message_id: str) -> datetime:
        with self.core.db.session() as session:
            shown = session.scalars(
                select(DeliveredCard.created_at).where(
                    DeliveredCard.platform == PLATFORM, DeliveredCard.message_id == message_id
                )
            ).first()
        return shown or utcnow()  # a pressed message never noted: just shown

    def retry_in(self, error: Exception | None) -> timedelta:
        return RETRY_IN
