"""The Feishu (Lark) adapter: Feishu's callbacks <-> the platform-neutral core.

A translator, nothing more, written in the shape `bot/slack.py` has today (the adapter base
had not landed): a private chat's text goes to the core; `/reception` (and the other forms'
commands) opens the form as one card form, checked by `Core.fill_form` on Submit — errors
come back as the same card with the reasons under the fields, nothing saved until it is
valid; a card button sends its action to the core; every reply goes to the person by
open_id. Messages for other people come from the outbox (`DeliveryLoop`).

Callbacks arrive by the long connection (`ws.LongConnection`) or over HTTP at EVENTS_PATH
(`callback.open_callback` checks them; a refusal is audited and answered without a word of
why). Either way the same `answer` takes the callback's JSON. A card action is answered
within Feishu's 3 seconds: a button at once (its work goes on in a tracked task), a form's
Submit with the card it turns into. Redeliveries act once: the core drops an event id it has
seen (the callback header's `event_id`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.delivery_loop import DeliveryLoop
from bot.feishu.callback import URL_CHECK, Refused, serve_callbacks
from bot.feishu.cards import Card, form_card, message_card, read_form, typed_again
from bot.feishu.send import SEND_ERRORS, PressTokens, Sender
from bot.slack import FORMS_OF_COMMANDS, Profile, edited_form, started_form
from handlers.engine.context import Ctx, audit_refused_request, enqueue, translator_for
from handlers.engine.core import Core, split_command
from handlers.engine.forms.drafts import load_draft
from handlers.engine.forms.model import Form, FormAction
from handlers.engine.i18n import Translator, choose_locale
from handlers.engine.messages import Event, Message
from storage.models import DeliveredCard, Identity, Person, utcnow

log = logging.getLogger(__name__)

PLATFORM = "feishu"
ANSWER_SECONDS = 2.5  # a form's Submit is checked before Feishu's 3 s run out
PATCH_FOR = timedelta(days=14)  # Feishu updates a card message for 14 days after it was sent
RETRY_IN = timedelta(minutes=1)


def raw_card(built: Card) -> dict[str, Any]:
    return {"card": {"type": "raw", "data": built}}


def person_of(session: Session, open_id: str) -> Person | None:
    identity = session.scalars(
        select(Identity).where(Identity.platform == PLATFORM, Identity.platform_user == open_id)
    ).first()
    return identity.person if identity and identity.person.active else None


class FeishuBot:
    def __init__(
        self,
        core: Core,
        sender: Sender,
        locale: str,
        tick_seconds: float = 5.0,
        forms: Mapping[str, str] = FORMS_OF_COMMANDS,
    ) -> None:
        self.core = core
        self.sender = sender
        self.locale = locale  # Feishu's events carry no user language: the platform's (zh / en)
        self.forms = forms
        self._tasks: set[asyncio.Task[None]] = set()
        self._delivering = asyncio.Lock()
        self._stopping = False
        self._marks = outbox.SentMarks(core.db)
        self._tokens = PressTokens()
        self.outbox = DeliveryLoop(core.db, self.deliver, tick_seconds, name="feishu-outbox")

    # ---------------------------------------------------------------- running

    async def start_http(self, host: str, port: int, encrypt_key: str, token: str) -> web.AppRunner:
        """Serve the callback URL; port 0 picks a free one (see `runner.addresses`)."""
        return await serve_callbacks(host, port, encrypt_key, token, self.answer, self._audit)

    def _audit(self, remote: str | None, refused: Refused) -> None:
        with self.core.db.session() as session:
            audit_refused_request(
                session, self.core.clock(), PLATFORM, refused.status, remote, refused.reason
            )

    async def stop(self) -> None:
        """After callbacks stopped: finish their work and the message being sent."""
        self._stopping = True
        await self.outbox.stop()
        await self.idle()

    def _later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _logged(work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("feishu work failed")

    async def idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    # ---------------------------------------------------------------- callbacks

    async def answer(self, data: dict[str, Any]) -> dict[str, Any]:
        """Any callback (HTTP or the long connection), opened: what to answer Feishu."""
        if data.get("type") == URL_CHECK:
            return {"challenge": data.get("challenge", "")}
        header, event = data.get("header") or {}, data.get("event") or {}
        kind, event_id = header.get("event_type"), header.get("event_id")
        try:
            if kind == "im.message.receive_v1":
                self._later(self._message(event, event_id))
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
            t = self._translator()
            note = Message(t("feishu.private_only"))
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
        replies = await asyncio.to_thread(self.core.handle, given)
        await self._reply(open_id, replies)

    async def _card_action(self, event: dict[str, Any], event_id: str | None) -> dict[str, Any]:
        open_id = event["operator"]["open_id"]
        action = event["action"]
        value = action.get("value") or {}
        if action.get("form_value") is not None:
            return await self._submit(open_id, value, action["form_value"], event_id)
        pressed = str(event["context"]["open_message_id"])
        self._tokens.put(pressed, str(event["token"]))
        self._later(self._press(open_id, str(value.get("a", "")), pressed, event_id))
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
        replies = await asyncio.to_thread(self.core.handle, given)
        begun = started_form(replies)  # a button that begins a form (a rejection's reason)
        if begun and await self._open_form(open_id, begun, None):
            replies = [m for m in replies if m.meta.get("form") != begun]
        await self._reply(open_id, replies, pressed)

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
        t = profile.t if profile else self._translator()  # said in the person's language
        work = asyncio.ensure_future(
            asyncio.to_thread(
                self.core.fill_form, event, submitted.form, submitted.texts, submitted.opened
            )
        )
        try:
            result = await asyncio.wait_for(asyncio.shield(work), ANSWER_SECONDS)
        except TimeoutError:
            self._later(self._late_result(open_id, work))
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
        self._later(self._reply(open_id, result.replies))
        return raw_card(message_card(Message(t("feishu.form.sent"))))

    async def _late_result(self, open_id: str, work: asyncio.Future[Any]) -> None:
        result = await work
        errors = list(result.errors.values())
        await self._reply(open_id, [Message("\n".join(errors))] if errors else result.replies)

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

    def _translator(self) -> Translator:
        return Translator(choose_locale(None, self.locale, self.core.policy.org.default_locale))

    def _profile(self, open_id: str) -> Profile | None:
        with self.core.db.session() as session:
            person = person_of(session, open_id)
            if person is None:
                return None
            t = translator_for(session, person, self.core.policy, self.locale)
            return Profile(person.id, person.role_set, t)

    # ---------------------------------------------------------------- sending

    async def _reply(
        self, open_id: str, replies: list[Message], pressed: str | None = None
    ) -> None:
        """The core's answers to the person acting; one Feishu would not take goes to the
        outbox, to be sent later rather than lost."""
        if not replies:
            return
        profile = await asyncio.to_thread(self._profile, open_id)
        person_id = profile.person_id if profile else None
        for message in replies:
            try:
                await self._send(person_id, open_id, message, uuid.uuid4().hex, pressed)
            except SEND_ERRORS:
                log.exception("reply to %s not sent; kept in the outbox", open_id)
                if person_id is not None:
                    await asyncio.to_thread(self._keep, person_id, message)

    def _keep(self, person_id: int, message: Message) -> None:
        now = self.core.clock()
        with self.core.db.session() as session:
            person = session.get(Person, person_id)
            if person is not None:
                key = f"feishu:kept:{uuid.uuid4().hex}"
                enqueue(session, person, message, key, now, not_before=now + RETRY_IN)

    async def _send(
        self,
        person_id: int | None,
        open_id: str,
        message: Message,
        uuid_: str,
        pressed: str | None = None,
    ) -> None:
        """Post a message, or update every copy of its card (`replace`) — or without a card the
        pressed message: one pressed lately with its callback's token, the others by PATCH
        while Feishu allows (14 days), else with a new message."""
        db = self.core.db
        if message.replace:
            copies: list[tuple[str, str, Any]] = []
            if message.card and person_id is not None:
                copies = await asyncio.to_thread(self._copies, message.card, person_id)
            elif pressed is not None:
                copies = [(open_id, pressed, None)]
            updated = message_card(message)
            for _, message_id, shown_at in copies:
                token = self._tokens.take(message_id)
                if token is not None:
                    await self.sender.update_pressed(token, updated)
                elif (
                    shown_at is None or utcnow() - shown_at < PATCH_FOR
                ):  # Feishu's clock, not ours
                    await self.sender.patch(message_id, updated)
                else:  # too old to update: the card's new state as a new message
                    await self.sender.post(open_id, message, f"{uuid_}:{message_id}"[:50])
            if message.settles and message.card and person_id is not None:
                await asyncio.to_thread(outbox.forget_card, db, message.card, person_id, PLATFORM)
            if copies or message.settles:
                return
        posted = await self.sender.post(open_id, message, uuid_)
        if message.card and person_id is not None:
            await asyncio.to_thread(
                outbox.remember_card, db, message.card, person_id, PLATFORM, open_id, posted
            )

    def _copies(self, card: str, person_id: int) -> list[tuple[str, str, Any]]:
        """Where a card was shown, and when (`outbox.copies_of` with the age Feishu asks)."""
        with self.core.db.session() as session:
            return [
                (c.chat_id, c.message_id, c.created_at)
                for c in session.scalars(
                    select(DeliveredCard).where(
                        DeliveredCard.card == card,
                        DeliveredCard.person_id == person_id,
                        DeliveredCard.platform == PLATFORM,
                    )
                )
            ]

    async def deliver(self) -> None:
        """Send what the outbox holds for people on Feishu, each chat in order."""
        async with self._delivering:
            await self._marks.flush()
            while not self._stopping and (
                batch := await asyncio.to_thread(
                    outbox.claim, self.core.db, PLATFORM, self.core.clock()
                )
            ):
                by_chat: dict[str | None, list[outbox.Pending]] = {}
                for pending in batch:
                    by_chat.setdefault(pending.chat_id, []).append(pending)
                left = await asyncio.gather(*(self._deliver_to(rows) for rows in by_chat.values()))
                unsent = [row for rows in left for row in rows]
                await asyncio.to_thread(outbox.release, self.core.db, unsent, self.core.clock())

    async def _deliver_to(self, rows: list[outbox.Pending]) -> list[int]:
        db = self.core.db
        for number, pending in enumerate(rows):
            if self._stopping:
                return [row.id for row in rows[number:]]
            now = self.core.clock()
            try:
                if pending.chat_id is None:
                    raise ValueError("linked, but never reached us from Feishu")
                # The row's id as uuid: a send retried after a lost answer is shown once.
                await self._send(
                    pending.person_id, pending.chat_id, pending.message, f"vd-{pending.id}"
                )
            except SEND_ERRORS:
                log.exception("outbox %s not sent; retrying later", pending.id)
                await asyncio.to_thread(outbox.mark_failed, db, pending.id, now, RETRY_IN)
                continue
            await self._marks.sent(pending.id, now)
        return []
