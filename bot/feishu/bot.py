"""The Feishu (Lark) adapter: Feishu's callbacks <-> the platform-neutral core.

A translator, nothing more, on the adapter base (`bot.adapter.LiveAdapter`: showing the
core's answer to the person it is for, card copies, keeping a failed reply, the outbox): a
private chat's text goes to the core; `/reception` (and the other forms'
commands) opens the form as one card form, checked by `Core.fill_form` on Submit — errors
come back as the same card with the reasons under the fields, nothing saved until it is
valid; a card button sends its action to the core; every reply goes to the person by
open_id.

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
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapter import LiveAdapter, Parts, Spot
from bot.feishu.callback import URL_CHECK, Refused, serve_callbacks
from bot.feishu.cards import Card, form_card, message_card, read_form, typed_again
from bot.feishu.send import SEND_ERRORS, FeishuError, PressTokens, Sender
from bot.slack import FORMS_OF_COMMANDS, Profile, edited_form, started_form
from handlers.engine.context import Ctx, audit_refused_request, translator_for
from handlers.engine.core import Core, split_command
from handlers.engine.forms.drafts import load_draft
from handlers.engine.forms.model import Form, FormAction
from handlers.engine.messages import Answer, Event, Message
from storage.models import DeliveredCard, Identity, Person, utcnow

log = logging.getLogger(__name__)

PLATFORM = "feishu"
ANSWER_SECONDS = 2.5  # a form's Submit is checked before Feishu's 3 s run out
PATCH_FOR = timedelta(days=14)  # Feishu updates a card message for 14 days after it was sent
RETRY_IN = timedelta(minutes=1)
GONE = (230011,)  # the message was recalled or deleted


def raw_card(built: Card) -> dict[str, Any]:
    return {"card": {"type": "raw", "data": built}}


def person_of(session: Session, open_id: str) -> Person | None:
    identity = session.scalars(
        select(Identity).where(Identity.platform == PLATFORM, Identity.platform_user == open_id)
    ).first()
    return identity.person if identity and identity.person.active else None


class FeishuBot(LiveAdapter):
    """Feishu's callbacks to the core; showing and delivering is the adapter base's."""

    platform = PLATFORM
    keep_on = SEND_ERRORS
    keep_for = RETRY_IN

    def __init__(
        self,
        core: Core,
        sender: Sender,
        locale: str,
        forms: Mapping[str, str] = FORMS_OF_COMMANDS,
    ) -> None:
        super().__init__(core)
        self.sender = sender
        self.locale = locale  # Feishu's events carry no user language: the platform's (zh / en)
        self.forms = forms
        self.tokens = PressTokens()
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
        command, rest = split_command(text or "")
        form = self.forms.get(command or "")
        typed = self._event(open_id, text=text, event_id=event_id, unreadable=text is None)
        given: Event | None = typed
        if form and not rest:
            given = await self._as_card_form(
                typed, partial(self._open_form, open_id, form, command)
            )
        if given is None:
            return
        await self._reply(open_id, await asyncio.to_thread(self.core.answer, given))

    async def _card_action(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        open_id = event["operator"]["open_id"]
        action = event["action"]
        value = action.get("value") or {}
        if action.get("form_value") is not None:
            return await self._submit(open_id, value, action["form_value"], event_id)
        pressed = str(event["context"]["open_message_id"])
        self.tokens.put(pressed, str(event["token"]))
        self.later(self._press(open_id, str(value.get("a", "")), pressed, event_id))
        return {}

    async def _press(self, open_id: str, action: str, pressed: str, event_id: str | None) -> None:
        edit = edited_form(action)
        event = self._event(open_id, action=action, event_id=event_id)
        given: Event | None = event
        if edit:  # a summary's Edit: the whole form again, as a card form
            opening = partial(self._open_form, open_id, edit.form, None, edit)
            given = await self._as_card_form(event, opening)
        if given is None:
            return
        answer = await asyncio.to_thread(self.core.answer, given)
        begun = started_form(answer.replies)  # a button that begins a form (a rejection's reason)
        if begun and await self._open_form(open_id, begun, None):
            kept = [m for m in answer.replies if m.meta.get("form") != begun]
            answer = Answer(answer.person_id, kept)
        await self._reply(open_id, answer, pressed)

    async def _submit(
        self, open_id: str, value: dict[str, Any], form_value: dict[str, Any], event_id: str | None
    ) -> dict[str, Any]:
        """A card form's Submit: the card again with the reasons, or the card closed and the
        summary sent. Answered in time: a slow check is left to finish and say its outcome."""
        submitted = read_form(value, form_value)
        if submitted is None:
            return {}
        event = self._event(open_id, event_id=event_id)
        profile = await asyncio.to_thread(self._profile, open_id)
        t = profile.t if profile else self.stranger_translator(self.locale)  # their language
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
            again = await asyncio.to_thread(
                self._form_card,
                open_id,
                submitted.form,
                None,
                typed_again(form_value),
                result.errors,
            )
            return raw_card(again) if again else {}
        self.later(self._reply(open_id, result.answer))
        return raw_card(message_card(Message(t("feishu.form.sent"))))

    async def _late_result(self, open_id: str, work: asyncio.Future[Any]) -> None:
        result = await work
        errors = [Message("\n".join(result.errors.values()))] if result.errors else []
        await self._reply(open_id, Answer(result.answer.person_id, errors or result.replies))

    async def _as_card_form(
        self, event: Event, opening: Callable[[], Awaitable[bool]]
    ) -> Event | None:
        """Open a form as a card form for this event, once per delivery; the event for the core
        to answer instead when it could not be (without its id: it is seen already)."""
        if not await asyncio.to_thread(self.core.first_delivery, event):
            return None
        if await opening():
            return None
        return replace(event, event_id=None)

    async def _open_form(
        self, open_id: str, form_name: str, command: str | None, edit: FormAction | None = None
    ) -> bool:
        """Send a form as a card form; False when it cannot be (a stranger, not allowed, no
        such form, a stale Edit, a card too big), and the core then asks in the chat."""
        built = await asyncio.to_thread(
            self._form_card, open_id, form_name, command, None, None, edit
        )
        if built is None:
            return False
        try:
            await self.sender.post_card(open_id, built, uuid.uuid4().hex)
        except SEND_ERRORS:
            log.exception("card form %s not sent to %s; asked in the chat", form_name, open_id)
            return False
        return True

    def _form_card(
        self,
        open_id: str,
        form_name: str,
        command: str | None,
        typed: dict[str, str] | None,
        errors: dict[str, str] | None,
        edit: FormAction | None = None,
    ) -> Card | None:
        form: Form | None = self.core.form(form_name)
        with self.core.db.session() as session:
            person = person_of(session, open_id) if form else None
            if form is None or person is None:
                return None
            if command is not None:
                found = self.core.commands.get(command)
                if found is None or not found.allowed(person.role_set):
                    return None
            ctx = Ctx(session, person, self.core.policy, self.core.clock(), PLATFORM, self.locale)
            draft = load_draft(ctx, form)
            if command is None and draft is None and typed is None:
                return None
            if edit is not None and draft is not None and not edit.made_for(draft):
                return None
            return form_card(ctx, form, draft, typed, errors)

    def _event(self, open_id: str, **what: Any) -> Event:
        return Event(PLATFORM, open_id, chat_id=open_id, platform_locale=self.locale, **what)

    def _profile(self, open_id: str) -> Profile | None:
        with self.core.db.session() as session:
            person = person_of(session, open_id)
            if person is None:
                return None
            t = translator_for(session, person, self.core.policy, self.locale)
            return Profile(person.id, person.role_set, t)

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
