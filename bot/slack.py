"""The Slack adapter: slack-bolt's async App <-> the platform-neutral core.

A translator, nothing more: `/visitdesk X args` becomes the core's `/X args`; a form is one
modal built from the form's steps and checked by `Core.fill_form` before anything is saved;
a button sends its action to the core; every reply goes to the person's DM with the bot;
App Home shows what `/my` and `/pending` say. Messages for other people come from the
outbox, sent every TICK_SECONDS and right after each event.

Every listener acks at once and hands slow work to a task it tracks, so Slack hears back
within its 3 seconds, and `idle()` can wait for that work (tests do). Redeliveries never act
twice: each event carries a stable `event_id` (the Events API's own; for a button, the
message and the press time), which the core records and drops when seen again.

Runs in Socket Mode when SLACK_APP_TOKEN is set, else over HTTP at SLACK_LISTEN, where bolt
checks each request's signature and timestamp (a bad one gets 401). Either way it first asks
Slack whether it takes the tokens: a refused one stops the start with its setting named, and
so does a SLACK_API_BASE_URL that does not answer as Slack does.

The Slack app it expects: slash command `/visitdesk`; global shortcuts `vd_reception` and
`vd_visit`; interactivity and event subscriptions at `/slack/events` (HTTP mode); bot events
`app_home_opened` and `message.im`; the Home tab on; bot scopes `commands`, `chat:write`,
`im:write`, `im:history`, `users:read` and `files:write`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import slack_gate
from bot.adapter import LiveAdapter, Parts, Spot
from bot.app import App
from bot.config import SettingError, listening_at
from bot.slack_blocks import (
    BUTTON_ACTION,
    FORM_CALLBACK,
    OPEN_ACTION,
    Block,
    HomeSection,
    fallback_text,
    form_modal,
    home_view,
    message_blocks,
    opened_for,
    read_modal,
    slack_spelling,
)
from bot.slack_send import SEND_ERRORS, Pacer, Sender, web_client
from bot.start_retry import Passing, until_answered
from handlers.engine.context import Ctx, audit_refused_request, translator_for
from handlers.engine.core import Core
from handlers.engine.forms.drafts import load_draft
from handlers.engine.forms.model import SUMMARY, Form, FormAction
from handlers.engine.i18n import Translator
from handlers.engine.messages import Answer, Event, Message
from storage.models import Identity, Person

log = logging.getLogger(__name__)

PLATFORM = "slack"
EVENTS_PATH = "/slack/events"
# `/visitdesk X` opens the form of command X as a modal when the core has that form.
FORMS_OF_COMMANDS = {"reception": "rcp", "visit": "visit", "plan": "plan"}
SHORTCUTS = {"vd_reception": "reception", "vd_visit": "visit"}  # callback_id -> command
HOME_COMMANDS = ("my", "pending")
RETRY_IN = timedelta(minutes=1)
GONE = ("message_not_found", "channel_not_found", "cant_update_message")
# Slack's own trouble: it passes, so a start waits it out (a network error or a 5xx too).
# Any other refusal of a token lasts until someone fixes the setting.
PASSING = ("ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout")
FIX_TOKEN = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) again from OAuth & Permissions",
    "SLACK_APP_TOKEN": "make an app-level token with connections:write and turn Socket Mode on",
}


@dataclass(frozen=True)
class Who:
    """A Slack user: the workspace (or grid org) and the user id."""

    team: str
    user: str

    @property
    def key(self) -> str:
        return f"{self.team}:{self.user}"


def who_of(context: AsyncBoltContext) -> Who:
    return Who(context.team_id or context.enterprise_id or "", context.user_id or "")


@dataclass(frozen=True)
class Profile:
    person_id: int
    roles: frozenset[str]
    t: Translator


def person_of(session: Session, key: str) -> Person | None:
    identity = session.scalars(
        select(Identity).where(Identity.platform == PLATFORM, Identity.platform_user == key)
    ).first()
    return identity.person if identity and identity.person.active else None


def edited_form(action: str) -> FormAction | None:
    """A summary's "Edit" (`f:<form>:<draft>:_summary:edit`): on Slack, edit the whole form
    again in its modal rather than one question at a time."""
    pressed = FormAction.read(action)
    if pressed and (pressed.step, pressed.value) == (SUMMARY, "edit"):
        return pressed
    return None


def started_form(replies: list[Message]) -> str | None:
    """The form whose first question these replies end with, if a form just began."""
    meta = replies[-1].meta if replies else {}
    return str(meta["form"]) if meta.get("fresh") else None


def unescape(text: str) -> str:
    """Slack escapes &, < and > in message text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class SlackBot(LiveAdapter):
    """The bolt App with visitdesk's listeners; showing and delivering is the adapter base's."""

    platform = PLATFORM
    keep_on = SEND_ERRORS
    keep_for = RETRY_IN
    edits_pressed = False

    def __init__(
        self,
        core: Core,
        client: AsyncWebClient,
        signing_secret: str,
        pace_seconds: float = 1.0,
        forms: Mapping[str, str] = FORMS_OF_COMMANDS,
    ) -> None:
        super().__init__(core)
        self.client = client
        self.forms = forms
        self._commands = core.command_names()
        self.sender = Sender(client, Pacer(pace_seconds))
        # Listeners return at once (slow work goes to tracked tasks), so processing before
        # responding costs nothing and every task exists before Slack gets its answer.
        self.bolt = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=True,
            name="visitdesk",
        )
        self._listen()
        # What an event (or a scheduler tick) queued goes out as soon as it commits; an event
        # that queued nothing for anyone costs no outbox pass.
        self.listen()

    def _listen(self) -> None:
        app = self.bolt
        app.command("/visitdesk")(self._on_command)
        app.shortcut(re.compile(r"^vd_"))(self._on_shortcut)
        app.action(re.compile(rf"^{re.escape(BUTTON_ACTION)}\d+$"))(self._on_button)
        app.action(re.compile(rf"^{re.escape(OPEN_ACTION)}\."))(self._on_open)
        app.view_submission(re.compile(rf"^{re.escape(FORM_CALLBACK)}"))(self._on_submit)
        app.view_closed(re.compile(rf"^{re.escape(FORM_CALLBACK)}"))(self._on_close)
        app.event("message")(self._on_message)
        app.event("app_home_opened")(self._on_home)

    # ---------------------------------------------------------------- running

    async def start_http(self, host: str, port: int) -> web.AppRunner:
        """Serve bolt's aiohttp app; port 0 picks a free one (see `runner.addresses`)."""
        served = self.bolt.web_app(path=EVENTS_PATH, port=port)

        @web.middleware
        async def audit_refusals(request: web.Request, handler: Any) -> web.StreamResponse:
            # The body is read once, within aiohttp's client_max_size; bolt reads the copy.
            status = slack_gate.refusal(request.headers, await request.read())
            if status is not None:  # a shape the listeners cannot read: refused, not a 500
                await asyncio.to_thread(self._audit_refused_request, request.remote, status)
                return web.json_response({"error": "invalid request"}, status=status)
            response: web.StreamResponse = await handler(request)
            if response.status == 401:  # bolt found a bad signature or a stale (replayed) one
                await asyncio.to_thread(self._audit_refused_request, request.remote, 401)
            return response

        served.middlewares.append(audit_refusals)
        runner = web.AppRunner(served)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:  # a port taken, or a cancel: the caller never gets the runner
            await runner.cleanup()
            raise
        return runner

    def _audit_refused_request(self, remote: str | None, status: int) -> None:
        with self.core.db.session() as session:
            audit_refused_request(session, self.core.clock(), PLATFORM, status, remote)

    async def stop(self) -> None:
        """After events stopped coming: finish the work they started and the outbox message
        being sent (see `stop_delivering`)."""
        await self.stop_delivering()

    # ---------------------------------------------------------------- listeners

    async def _on_command(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        context: AsyncBoltContext,
        respond: AsyncRespond,
    ) -> None:
        await ack()
        # Typed in a channel: the answer is shown there to that person alone (by the command's
        # response_url, which needs no membership of the channel); in the DM it is just posted.
        in_channel = command.get("channel_name") != "directmessage"
        text, trigger = command.get("text", ""), command["trigger_id"]
        self.later(self._command(who_of(context), text, trigger, respond if in_channel else None))

    async def _on_shortcut(
        self, ack: AsyncAck, shortcut: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        name = SHORTCUTS.get(shortcut["callback_id"], "help")
        self.later(self._command(who_of(context), name, shortcut["trigger_id"]))

    async def _on_open(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self.later(self._command(who_of(context), action["value"], body["trigger_id"]))

    async def _on_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()
        self.later(self._press(who_of(context), body, action))

    async def _on_submit(
        self, ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Check the whole form before answering: field errors go back into the modal and
        nothing is saved; otherwise the modal closes and the summary arrives in the DM."""
        who = who_of(context)
        submitted = read_modal(view["state"]["values"])
        event = Event(
            PLATFORM,
            who.key,
            chat_id=self.sender.known_dm(who.user),
            platform_locale=self.sender.known_locale(who.user),  # no API call before the ack
        )
        form_name = view["callback_id"].removeprefix(FORM_CALLBACK)
        try:
            result = await asyncio.to_thread(
                self.core.fill_form, event, form_name, submitted.texts, opened_for(view)
            )
        except Exception:
            # Keep the modal open with what was typed, and say so, rather than lose it.
            log.exception("modal %s failed for %s", form_name, who.key)
            first = next(b["block_id"] for b in view["blocks"] if b["type"] == "input")
            t = self.stranger_translator(event.platform_locale)
            await ack(response_action="errors", errors={first: t("error.internal")})
            return
        if result.errors:
            errors = {submitted.blocks.get(s, s): text for s, text in result.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self.later(self._reply(who, result.answer))

    async def _on_close(
        self, ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """A form's modal closed with Cancel or ✕ (the modal asked Slack to tell us)."""
        await ack()
        who = who_of(context)
        form_name = view["callback_id"].removeprefix(FORM_CALLBACK)
        event = Event(PLATFORM, who.key, chat_id=self.sender.known_dm(who.user))
        self.later(asyncio.to_thread(self.core.close_form, event, form_name, opened_for(view)))

    async def _on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        """Text typed in the DM: answers to a question, or a command."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        who = who_of(context)
        self.sender.remember_dm(who.user, event["channel"])
        text = unescape(event.get("text", ""))
        self.later(self._handle(who, text=text, event_id=body.get("event_id")))

    async def _on_home(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("tab", "home") == "home":
            self.later(self._publish_home(who_of(context)))

    # ---------------------------------------------------------------- the work

    async def _command(
        self, who: Who, text: str, trigger_id: str, respond: AsyncRespond | None = None
    ) -> None:
        name, _, rest = text.strip().partition(" ")
        name = name.lower().lstrip("/") or "help"
        form = self.forms.get(name)
        if form and not rest and await self._open_form(who, form, trigger_id, command=name):
            return
        text = f"/{name} {rest}".strip()
        if respond is None:
            await self._handle(who, text=text, event_id=f"cmd:{trigger_id}")
            return
        event = await self._event(who, text=text, event_id=f"cmd:{trigger_id}")
        for message in await asyncio.to_thread(self.core.handle, event):
            message = self._spelled(message)
            await respond(text=fallback_text(message), blocks=message_blocks(message))

    async def _press(self, who: Who, body: dict[str, Any], action: dict[str, Any]) -> None:
        value = str(action.get("value", ""))
        edit = edited_form(value)
        trigger = body["trigger_id"]
        if edit and await self._open_form(who, edit.form, trigger, command=None, edit=edit):
            return
        container = body.get("container", {})
        # A stable id per press: a redelivery repeats it; a second click is a new press,
        # which the core answers knowing the first one happened.
        where = container.get("message_ts") or container.get("view_id") or ""
        event_id = f"{where}:{action.get('action_ts', '')}"
        answer = await asyncio.to_thread(
            self.core.answer, await self._event(who, action=value, event_id=event_id)
        )
        # A button that begins a form (a rejection's reason) opens it as a modal.
        begun = started_form(answer.replies)
        if begun and await self._open_form(who, begun, trigger, command=None):
            kept = [m for m in answer.replies if m.meta.get("form") != begun]
            answer = Answer(answer.person_id, kept)
        channel, ts = container.get("channel_id"), container.get("message_ts")
        in_message = container.get("type") == "message" and channel and ts
        pressed = (str(channel), str(ts)) if in_message else None
        await self._reply(who, answer, pressed)
        if container.get("type") == "view":
            await self._publish_home(who)

    async def _handle(
        self,
        who: Who,
        *,
        text: str | None = None,
        action: str | None = None,
        event_id: str | None = None,
    ) -> None:
        event = await self._event(who, text=text, action=action, event_id=event_id)
        await self._reply(who, await asyncio.to_thread(self.core.answer, event))

    async def _event(
        self,
        who: Who,
        *,
        text: str | None = None,
        action: str | None = None,
        event_id: str | None = None,
    ) -> Event:
        return Event(
            PLATFORM,
            who.key,
            text=text,
            action=action,
            chat_id=await self.sender.dm(who.user),
            platform_locale=await self.sender.locale(who.user),
            event_id=event_id,
        )

    async def _open_form(
        self,
        who: Who,
        form_name: str,
        trigger_id: str,
        command: str | None,
        edit: FormAction | None = None,
    ) -> bool:
        """Open a form's modal; False when it cannot be (a stranger, not allowed, no such
        form, an Edit whose draft is gone or is not the one open now, or Slack refused, e.g. an
        expired trigger), and the core then answers in the DM."""
        form = self.core.form(form_name)
        if form is None:
            return False
        await self.sender.dm(who.user)  # the summary will go there
        locale = await self.sender.locale(who.user)
        view = await asyncio.to_thread(self._modal, who.key, form, locale, command, edit)
        if view is None:
            return False
        try:
            await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            log.warning("modal %s not opened for %s: %s", form_name, who.key, error)
            return False
        return True

    def _modal(
        self,
        key: str,
        form: Form,
        locale: str | None,
        command: str | None,
        edit: FormAction | None,
    ) -> Block | None:
        with self.core.db.session() as session:
            person = person_of(session, key)
            if person is None:
                return None
            if command is not None and not self._allowed(command, person.role_set):
                return None
            ctx = Ctx(session, person, self.core.policy, self.core.clock(), PLATFORM, locale)
            draft = load_draft(ctx, form)
            if command is None and draft is None:
                return None
            if edit is not None and draft is not None and not edit.made_for(draft):
                return None  # an old summary's Edit: the core says it is stale
            return form_modal(ctx, form, draft)

    def _allowed(self, command: str, roles: frozenset[str]) -> bool:
        found = self.core.commands.get(command)
        return found is not None and found.allowed(roles)

    def _spelled(self, message: Message) -> Message:
        """The core names commands as `/reception`; Slack users type `/visitdesk reception`."""
        return replace(message, text=slack_spelling(message.text, self._commands))

    def _profile(self, key: str, locale: str | None) -> Profile | None:
        with self.core.db.session() as session:
            person = person_of(session, key)
            if person is None:
                return None
            t = translator_for(session, person, self.core.policy, locale)
            return Profile(person.id, person.role_set, t)

    # ---------------------------------------------------------------- App Home

    async def _publish_home(self, who: Who) -> None:
        locale = await self.sender.locale(who.user)
        view = await asyncio.to_thread(self._home, who, locale)
        await self.client.views_publish(user_id=who.user, view=view)

    def _home(self, who: Who, locale: str | None) -> Block:
        profile = self._profile(who.key, locale)
        if profile is None:
            t = self.stranger_translator(locale)
            greeting = self.core.handle(
                Event(PLATFORM, who.key, text="/help", platform_locale=locale)
            )
            greeting = [self._spelled(message) for message in greeting]
            return home_view(t("slack.home.title"), [], [HomeSection("", greeting)])
        t = profile.t
        openers = [
            (command, t(f"slack.home.open.{command}"))
            for command, form in self.forms.items()
            if self.core.form(form) and self._allowed(command, profile.roles)
        ]
        sections = [
            HomeSection(
                t(f"slack.home.{command}"),
                [
                    self._spelled(message)
                    for message in self.core.handle(
                        Event(PLATFORM, who.key, text=f"/{command}", platform_locale=locale)
                    )
                ],
            )
            for command in HOME_COMMANDS
            if self._allowed(command, profile.roles)
        ]
        return home_view(t("slack.home.title"), openers, sections)

    # ---------------------------------------------------------------- sending

    async def _reply(self, who: Who, answer: Answer, pressed: Spot | None = None) -> None:
        """The core's answer, in the person's DM; `pressed` is the message whose button they
        pressed."""
        if answer.replies:
            await self.answer(answer, await self.sender.dm(who.user), pressed)

    async def send(self, chat: str, message: Message, parts: Parts) -> str | None:
        return await self.sender.post(chat, self._spelled(message), parts)

    async def edit(self, spot: Spot, message: Message) -> None:
        channel, ts = spot
        try:
            await self.sender.update(channel, ts, self._spelled(message))
        except SlackApiError as error:
            if error.response.get("error") not in GONE:
                raise
            log.info("card %s in %s is gone; not updated", ts, channel)  # deleted by someone

    def retry_in(self, error: Exception | None) -> timedelta:
        return RETRY_IN


async def check_tokens(client: AsyncWebClient, app_token: str | None) -> str | None:
    """Ask Slack once whether it takes the tokens, so a wrong one stops the start with a line
    naming its setting: bolt would find out only at the first request, and slack_sdk retries
    a refused app token forever. Returns the Socket Mode URL apps.connections.open issued."""
    await _ask_at_start(client, "SLACK_BOT_TOKEN", "auth.test", {})
    if app_token is None:
        return None
    # slack_sdk sends a `token` parameter as the bearer, in place of the client's bot token.
    opened = await _ask_at_start(
        client, "SLACK_APP_TOKEN", "apps.connections.open", {"token": app_token}
    )
    return str(opened["url"])


async def _ask_at_start(
    client: AsyncWebClient, setting: str, method: str, params: dict[str, str]
) -> AsyncSlackResponse:
    async def ask() -> AsyncSlackResponse:
        try:
            return await client.api_call(method, params=dict(params))  # a copy: it pops the token
        except SEND_ERRORS as error:
            if not isinstance(error, SlackApiError):  # no answer at all
                raise Passing(str(error) or type(error).__name__) from None
            raise _not_ok(error.response, setting, method, client.base_url) from None

    return await until_answered(f"slack: {method} at {client.base_url}", ask)


def _not_ok(
    answer: AsyncSlackResponse, setting: str, method: str, base_url: str
) -> Passing | SettingError:
    """What an answer other than `ok` means at start: trouble that passes, a token Slack
    refused, or an address that is no Slack Web API at all (Slack always says why in its
    JSON; a web server's 404 page does not)."""
    data = answer.data if isinstance(answer.data, dict) else {}  # a proxy's text
    said = data.get("error")
    if answer.status_code >= 500 or said in PASSING:
        return Passing(said or f"HTTP {answer.status_code}")
    if said is None:
        problem = f"{base_url} does not answer like a Slack Web API"
        return SettingError(
            "SLACK_API_BASE_URL", f"{problem} ({method}: HTTP {answer.status_code})"
        )
    # Slack's word for it, never the token: that is a secret.
    return SettingError(setting, f"Slack refused it ({said}); {FIX_TOKEN[setting]}")


async def serve(app: App, webhook: str | None = None) -> None:
    """`visitdesk run slack`: Socket Mode with SLACK_APP_TOKEN, else HTTP at SLACK_LISTEN."""
    settings = app.settings
    if not settings.slack_bot_token:
        raise SettingError("SLACK_BOT_TOKEN", "is needed to run on Slack")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise SettingError(
            "SLACK_SIGNING_SECRET",
            "is needed in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)",
        )
    client = web_client(settings.slack_bot_token, settings.slack_api_base_url)
    socket_url = await check_tokens(client, settings.slack_app_token)
    bot = SlackBot(app.core, client, settings.slack_signing_secret or "")
    stop: Callable[[], Awaitable[None]] | None = None
    # The bot listens for commits from its start: a connect that fails (a port taken) or is
    # cancelled must close it too, or a bot that never served is woken to deliver.
    try:
        if settings.slack_app_token:
            socket = AsyncSocketModeHandler(bot.bolt, settings.slack_app_token)
            socket.client.wss_uri = socket_url  # the check's: asking again costs a Tier 1 call
            stop = socket.close_async  # before connecting: a cancelled connect holds a session
            await socket.connect_async()
            log.info("slack: connected in Socket Mode")
        else:
            host, port = settings.slack_listen
            with listening_at("SLACK_LISTEN", settings.slack_listen):
                stop = (await bot.start_http(host, port)).cleanup
            log.info("slack: listening on http://%s:%s%s", host, port, EVENTS_PATH)
        await bot.run_outbox(settings.tick_seconds)
    finally:  # cancelled (SIGTERM, SIGINT): no more events, then what they started, finished
        if stop is not None:
            await stop()
        await bot.stop()
        bot.close()
