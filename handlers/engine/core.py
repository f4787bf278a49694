"""The platform-neutral core: one `Event` in, the replies to its sender out.

It drops redelivered events, finds who is acting, keeps strangers out, and routes the event
to a command, a button's action or the form in progress — all in one transaction, so a
failure changes nothing and loses no draft.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from handlers.engine import inbound
from handlers.engine.context import OUTBOX, Ctx, translator_for
from handlers.engine.forms.drafts import (
    active_draft,
    load_draft,
    open_drafts,
    resume_button,
    set_aside,
    set_aside_others,
)
from handlers.engine.forms.engine import answer_text, ask, back, cancel, press, resume
from handlers.engine.forms.fill import closed, edited_form, fill
from handlers.engine.forms.model import Form, FormAction, Opened, also
from handlers.engine.forms.readers import clean_text, folded
from handlers.engine.forms.sheet import sheet
from handlers.engine.i18n import LOCALES, Translator, choose_locale, clipped
from handlers.engine.messages import (
    Answer,
    Event,
    Message,
    OpenForm,
    SetMenu,
    action_id,
    rows,
)
from handlers.engine.registry import Command, Feature
from handlers.org.chart import ROLES, LinkRefused, is_code, link_identity
from handlers.rules.policy.schema import Policy
from storage.db import Database, announce
from storage.inserts import insert_new
from storage.models import AuditEntry, Draft, Identity, InboundEvent, Person, utcnow

log = logging.getLogger(__name__)
# Built once: every update asks it, and building the statement cost more than running it
# (SQLAlchemy constructs and coerces each clause anew; bench/RESULTS.md, step cost).
_IDENTITY = (
    select(Identity)
    .where(Identity.platform == bindparam("platform"), Identity.platform_user == bindparam("user"))
    .options(joinedload(Identity.person))  # one query, not two
)

CONSOLE = "console"
SEEN_GRANULARITY = timedelta(minutes=5)
WORKING_ROLES = ROLES - {"org_admin"}  # a menu for everyone: the org admin's extras left out


@dataclass(frozen=True)
class FormResult:
    errors: dict[str, str]  # step name -> what is wrong, in the person's language
    answer: Answer

    @property
    def replies(self) -> list[Message]:
        return self.answer.replies


class Core:
    """Routes events to features; knows nothing of any platform."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        features: Sequence[Feature],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Callable[[Ctx, list[str]], None]] = {}
        self.forms: dict[str, Form] = {}
        self.typed = [typed for feature in features for typed in feature.typed]
        self.located = [located for feature in features for located in feature.located]
        for feature in features:
            self.commands.update({c.name: c for c in feature.commands})
            self.actions.update(feature.actions)
            self.forms.update({f.name: f for f in feature.forms})

    # ------------------------------------------------------------------ entry point

    def handle(self, event: Event) -> list[Message]:
        return self.answer(event).replies

    def answer(self, event: Event) -> Answer:
        """The replies to an event, and the person they are for."""
        event = inbound.bounded(event)
        refused = inbound.refusal(event.text)
        # A text that can never be taken is never read nor stored; a kept one is cleaned once,
        # here, so a command's argument is as clean as a form's answer.
        text = None if refused or event.text is None else clean_text(event.text)
        event = replace(event, text=text)
        person_id = None  # known before a failure, so the word of it can be kept for them
        try:
            with self.db.session() as session:
                if self._seen_before(session, event):
                    return Answer(None, [])
                person = self.who(session, event)
                if person is None:
                    return self._stranger(session, event)
                person_id = person.id
                ctx = self._ctx(session, person, event)
                if refused:
                    ctx.audit("text.refused", reason=refused)
                    self._cannot_read(ctx, refused, max=inbound.TEXT_MAX)
                elif event.unreadable:
                    self._cannot_read(ctx, "text_only")
                else:
                    self._route(ctx, event)
                self._audit_refusal(ctx, event)
                return Answer.addressed(person_id, ctx.replies)
        except Exception:
            # Nothing was written (the transaction rolled back); tell the person, keep going.
            log.exception("event failed: platform=%s action=%s", event.platform, event.action)
            failed = Message(self.fallback_translator(event)("error.internal"))
            return Answer.addressed(person_id, [failed])

    def fill_form(
        self, event: Event, form_name: str, texts: dict[str, str], opened: Opened
    ) -> FormResult:
        """A whole form submitted at once (a Slack modal): field errors, or the replies.
        `opened` is the draft the form was shown for (see `fill`)."""
        event = inbound.bounded(event)
        with self.db.session() as session:
            if self._seen_before(session, event):  # a Submit delivered again: filled once
                return FormResult({}, Answer(None, []))
            person = self.who(session, event)
            form = self.forms.get(form_name)
            if person is None or form is None:
                return FormResult({}, self._stranger(session, event))
            ctx = self._ctx(session, person, event)
            refused = {name: key for name, text in texts.items() if (key := inbound.refusal(text))}
            if refused:
                ctx.audit("text.refused", reason=sorted(refused.values())[0], form=form_name)
                errors = {name: ctx.t(key, max=inbound.TEXT_MAX) for name, key in refused.items()}
                return FormResult(errors, Answer(person.id, []))
            errors = fill(ctx, form, texts, opened)
            if ctx.shown_drafts:  # its summary is what the person has in front of them now
                self._set_aside(ctx)
            return FormResult(errors, Answer.addressed(person.id, ctx.replies))

    def close_form(self, event: Event, form_name: str, opened: Opened) -> None:
        """A whole form's modal closed without being sent (see `closed`)."""
        with self.db.session() as session:
            person = self.who(session, event)
            form = self.forms.get(form_name)
            if person is not None and form is not None:
                closed(self._ctx(session, person, event), form, opened)

    def first_delivery(self, event: Event) -> bool:
        """Whether this is the first delivery of `event`, recorded as seen: for an adapter that
        acts on it itself (a form opened as a card) rather than through `handle`."""
        with self.db.session() as session:
            return not self._seen_before(session, event)

    def form(self, name: str) -> Form | None:
        return self.forms.get(name)

    def _ctx(self, session: Session, person: Person, event: Event) -> Ctx:
        return Ctx(
            session,
            person,
            self.policy,
            self.clock(),
            event.platform,
            event.platform_locale,
            whole_forms=event.whole_forms,
        )

    # ------------------------------------------------------------------ who is this

    def _seen_before(self, session: Session, event: Event) -> bool:
        if not event.event_id:
            return False
        row = {"platform": event.platform, "event_id": event.event_id}
        if insert_new(session, InboundEvent, [row]):
            return False
        log.info("dropped a redelivered %s event %s", event.platform, event.event_id)
        return True

    def who(self, session: Session, event: Event) -> Person | None:
        """The active person behind an event, noting where and in which language they were
        seen; None for a stranger."""
        if event.platform == CONSOLE:
            return session.scalars(
                select(Person).where(Person.name == event.user, Person.active.is_(True))
            ).first()
        identity = session.scalars(
            _IDENTITY, {"platform": event.platform, "user": event.user}
        ).first()
        if identity is None or not identity.person.active:
            return None
        now = self.clock()
        # "Seen" only orders a person's platforms for delivery: minutes are precise enough,
        # and not rewriting the identity on every message saves a write per step.
        if identity.last_seen_at < now - SEEN_GRANULARITY:
            identity.last_seen_at = now
        # Assigned only when changed: an untouched identity leaves the session clean, so the
        # step's queries need no flush first.
        if event.chat_id and identity.chat_id != event.chat_id:
            identity.chat_id = event.chat_id
        if event.platform_locale and identity.platform_locale != event.platform_locale:
            identity.platform_locale = event.platform_locale
        return identity.person

    def _stranger(self, session: Session, event: Event) -> Answer:
        command, argument = split_command(event.text or "")
        if command is None and is_code(argument):  # the code alone, pasted from the invitation
            command = "link"
        t = self.fallback_translator(event)
        if command in ("start", "link") and argument:
            valid_for = timedelta(days=self.policy.org.link_code_valid_days)
            try:
                person = link_identity(session, event, argument, self.clock(), valid_for)
            except LinkRefused as refused:
                self._audit_stranger(session, event, "link.refused")
                return Answer(None, [Message(t(f"link.{refused.reason}"))])
            # What waited for them in the outbox is theirs on this platform now: wake it.
            announce(session, OUTBOX)
            t = translator_for(session, person, self.policy, event.platform_locale)
            welcome = t("link.welcome", name=person.name) + "\n\n" + t("help.hint")
            return Answer.addressed(person.id, [Message(welcome), self.menu_of(t, person.role_set)])
        # How to link differs by platform (Slack users cannot type a bare /start).
        self._audit_stranger(session, event, "stranger.refused")
        key = f"stranger.{event.platform}"
        return Answer(None, [Message(t(key if t.has(key) else "stranger"))])

    def _audit_stranger(self, session: Session, event: Event, action: str) -> None:
        """Someone not linked tried something: kept with their platform id, never their words."""
        detail = {"user": event.user[:64], "pressed": event.action is not None}
        session.add(
            AuditEntry(at=self.clock(), platform=event.platform, action=action, detail=detail)
        )

    def fallback_translator(self, event: Event) -> Translator:
        """Words for someone not known (yet): their platform's language, else the org's."""
        return Translator(
            choose_locale(None, event.platform_locale, self.policy.org.default_locale)
        )

    # ------------------------------------------------------------------ routing

    def _audit_refusal(self, ctx: Ctx, event: Event) -> None:
        """A refusal the feature did not audit itself (a stale or tampered button, a command
        the person's roles do not allow, someone else's client) is kept here: who, what."""
        refused = next((key for key in ctx.said if is_refusal(key)), None)
        if refused is None or any(a.endswith("refused") for a in ctx.audited):
            return
        what: dict[str, Any] = {"button": event.action[:100]} if event.action else {}
        command = split_command(event.text or "")[0]
        if command:
            what["command"] = command[:32]
        ctx.audit("refused", reason=refused, **what)

    def _cannot_read(self, ctx: Ctx, key: str, **params: Any) -> None:
        """Say why the message cannot be taken, then the question waiting, if any, again."""
        ctx.say(key, **params)
        draft = active_draft(ctx)
        form = self.forms.get(draft.flow) if draft else None
        if draft is not None and form is not None:
            ask(ctx, form, draft)

    def _route(self, ctx: Ctx, event: Event) -> None:
        if event.location is not None:
            if not any(read(ctx, event.location) for read in self.located):
                self._cannot_read(ctx, "location.unexpected")
            return
        if event.action:
            self._press(ctx, event.action)
            if ctx.shown_drafts:  # a form's question: others go out of sight (a card's
                self._set_aside(ctx)  # button, answered beside the question, does not)
            return
        text = event.text or ""
        command, argument = split_command(text)
        draft = None
        if command is None:
            draft = active_draft(ctx)
            command, argument = self._said(ctx, text, form_open=draft is not None)
        if command is not None:
            if self._command(ctx, command, argument):  # a sheet: nothing else is on screen
                return
            if command in ("help", "start"):  # help is read beside the question
                return
            listing = self.commands.get(command)
            if listing is not None and listing.lists_drafts:  # the list tells of them itself
                set_aside_others(ctx)
                self._offer_drafts(ctx, "flow.drafts_open")
            else:
                self._set_aside(ctx)
            return
        form = self.forms.get(draft.flow) if draft else None
        if draft is None or form is None:
            typed = any(read(ctx, text) for read in self.typed)
            if not typed and not self._offer_drafts(ctx, "flow.drafts_aside"):
                ctx.say("help.hint")
            return
        answer_text(ctx, form, draft, text)

    def _set_aside(self, ctx: Ctx) -> None:
        """Whatever this event showed is now in front of the person: a draft whose question
        it did not show is set aside, and they are told first, where to find it again."""
        notices = [
            Message(ctx.t("flow.set_aside", title=ctx.t(form.title)))
            for draft in set_aside_others(ctx)
            if (form := self.forms.get(draft.flow)) is not None
        ]
        ctx.replies[:0] = notices

    def drafts_set_aside(self, ctx: Ctx) -> list[tuple[Form, Draft]]:
        return [
            (form, draft)
            for draft in open_drafts(ctx)
            if set_aside(draft) and (form := self.forms.get(draft.flow)) is not None
        ]

    def _offer_drafts(self, ctx: Ctx, key: str) -> bool:
        """The person's drafts set aside, each with Continue, introduced by `key`: after a
        stray line ("it went into none of them"), or listed (/my, a /cancel with none on
        screen). False when there are none."""
        aside = self.drafts_set_aside(ctx)
        if not aside:
            return False
        titles = ctx.t("flow.list_sep").join(ctx.t(form.title) for form, _ in aside)
        buttons = [resume_button(ctx, form, draft) for form, draft in aside]
        ctx.reply(ctx.t(key, titles=titles), rows(*buttons))
        return True

    def _resume(self, ctx: Ctx, parts: list[str]) -> None:
        """`dr:<draft>` — Continue on a draft set aside (offered by /my and stray lines)."""
        draft_id = action_id(parts[0]) if parts else None
        draft = ctx.session.get(Draft, draft_id) if draft_id is not None else None
        form = self.forms.get(draft.flow) if draft else None
        if draft is None or form is None or draft.person_id != ctx.person.id:
            ctx.say("button.stale")
            return
        resume(ctx, form, draft)

    def _said(self, ctx: Ctx, text: str, form_open: bool) -> tuple[str | None, str]:
        """A command typed as words, without its slash, by people who never read /help: by
        name or in their words (catalog `command.<name>.also`: "帮助", "接待 …", "取消").
        While a form waits for an answer only its own /cancel and /back are read so, and only
        as the whole message; a word for a command the person may not use is just text."""
        cleaned = clean_text(text)
        typed = cleaned.lower()
        if form_open:
            names = ["cancel", "back"]
        else:
            names = ["cancel", "back", "help", *(c.name for c in self.menu(ctx.person.role_set))]
        for name in names:
            for word in (name, *_words(ctx.t, name)):
                word = word.lower()
                if typed == word:
                    return name, ""
                if not form_open and typed.startswith(word + " "):
                    return name, cleaned[len(word) :].strip()
        if not form_open:  # a card's button typed: whole, since it acts at once
            for command in self.menu(ctx.person.role_set):
                for label, argument in command.buttons:
                    if folded(text) == folded(ctx.t(label)):
                        return command.name, argument
        return None, text

    def _command(self, ctx: Ctx, name: str, argument: str) -> bool:
        """Run a command; True when it opened its form's whole sheet (nothing begun yet: the
        draft is made when the sheet comes back filled)."""
        if name in ("cancel", "back"):
            draft = active_draft(ctx)
            form = self.forms.get(draft.flow) if draft else None
            if draft is None or form is None:
                ctx.say("flow.nothing_open")
                self._offer_drafts(ctx, "flow.drafts_open")
            elif name == "cancel":
                cancel(ctx, form, draft)
            else:
                back(ctx, form, draft)
            return False
        if name in ("help", "start"):
            ctx.reply(self.help_text(ctx))
            return False
        command = self.commands.get(name)
        opens = self.forms.get(command.form or "") if command else None
        if command is None:
            ctx.say("command.unknown", name=clipped(name))
            ctx.reply(self.help_text(ctx))
        elif not command.allowed(ctx.person.role_set):
            ctx.say("command.not_allowed")
        elif ctx.whole_forms and opens is not None and not argument:
            ctx.replies.append(
                OpenForm(opens.name, None, sheet(ctx, opens, load_draft(ctx, opens)))
            )
            return True
        else:
            # A command with its line (`/visit 华东机电 见了张总`) goes on in the chat it was
            # typed in: the person chose the one-line way, not the whole form.
            ctx.whole_forms = ctx.whole_forms and not argument
            command.run(ctx, argument)
        return False

    def _press(self, ctx: Ctx, action: str) -> None:
        prefix, *parts = action.split(":")
        if prefix == "f":
            pressed = FormAction.read(action)
            form = self.forms.get(pressed.form) if pressed else None
            draft = load_draft(ctx, form) if form else None
            if pressed is None or form is None or draft is None:
                ctx.say("button.stale")
                return
            if ctx.whole_forms and edited_form(action) and pressed.made_for(draft):
                # The summary's Edit, where the whole form can be shown: all of it, again.
                ctx.replies.append(OpenForm(form.name, None, sheet(ctx, form, draft)))
                return
            press(ctx, form, draft, pressed)
            return
        if prefix == "dr":
            self._resume(ctx, parts)
            return
        handler = self.actions.get(prefix)
        if handler is None:
            ctx.say("button.stale")
            return
        handler(ctx, parts)

    # ------------------------------------------------------------------ help and menus

    def command_names(self) -> frozenset[str]:
        """Every command a person can type, the built-in ones included (for platforms that
        spell commands their own way)."""
        return frozenset(self.commands) | BUILT_IN_COMMANDS

    def menu(self, roles: frozenset[str]) -> list[Command]:
        """The commands a person with these roles can use, for /help and platform menus."""
        return [c for c in self.commands.values() if c.allowed(roles)]

    def menu_of(self, t: Translator, roles: frozenset[str] = WORKING_ROLES) -> SetMenu:
        """A platform menu: what these roles allow, then help, cancel and back. By default
        the working roles': a menu for everyone leaves the org admin's extras out (the core
        still answers them, and refuses those not allowed)."""
        entries = [(c.name, t(c.summary)) for c in self.menu(roles)]
        entries += [
            ("help", t("telegram.menu.help")),
            ("cancel", t("help.cancel")),
            ("back", t("help.back")),
        ]
        return SetMenu(tuple(entries))

    def help_text(self, ctx: Ctx) -> str:
        lines = [ctx.t("help.title", name=ctx.person.name)]
        lines += [f"/{c.name} — {ctx.t(c.summary)}" for c in self.menu(ctx.person.role_set)]
        lines += ["/cancel — " + ctx.t("help.cancel"), "/back — " + ctx.t("help.back")]
        return "\n".join(lines)


# Commands the core answers itself, besides the features' (`/start CODE` and `/link CODE` link).
BUILT_IN_COMMANDS = frozenset({"cancel", "back", "help", "start", "link"})

# What a refusal sounds like: a button that is not (or no longer) the person's to press, a
# command their roles do not allow, or someone else's client.
REFUSALS = frozenset({"button.stale", "flow.stale_button", "command.not_allowed"})
REFUSAL_ENDINGS = ("not_yours", "not_allowed", "client_taken")


def is_refusal(key: str) -> bool:
    return key in REFUSALS or key.endswith(REFUSAL_ENDINGS)


# Said in either language by anyone: an English speaker types "取消" when a colleague
# told them to, and a client called "取消" is far less likely than someone wanting out.
EVERYONES = ("cancel", "back")


def _words(t: Translator, name: str) -> list[str]:
    """The words for a command: the person's language's, and both languages' for EVERYONES."""
    if name not in EVERYONES:
        return also(t, f"command.{name}")
    return [w for locale in LOCALES for w in also(Translator(locale), f"command.{name}")]


def split_command(text: str) -> tuple[str | None, str]:
    """`/Reception@visitdesk_bot args` → ("reception", "args"); plain text → (None, text)."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None, stripped
    head, _, rest = stripped[1:].partition(" ")
    return head.split("@")[0].lower(), rest.strip()
