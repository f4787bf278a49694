"""Block Kit for visitdesk: a `Message` as blocks, a `Form` as one modal, a submitted modal
as the texts the form engine reads, and App Home as a dashboard. Pure functions, no I/O.

A modal answers every step with the text a person could have typed, so the core checks it
exactly as it checks a chat answer: a choice is sent as its 1-based number, which both the
engine's choice reader and a step's own reader (the reception's client) understand.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Choice, Data, Form, Kind, Opened, Step, Unnamed
from handlers.engine.i18n import Translator
from handlers.engine.messages import Message
from storage.models import Draft

BUTTON_ACTION = "vd.b"  # action_id prefix of a core button; its value is Button.action
OPEN_ACTION = "vd.open"  # a button that opens a form's modal; its value is the command
FORM_CALLBACK = "vd.form:"  # a modal's callback_id: this prefix and the form's name
INPUT = "v"  # the action_id of every modal input
OTHER = "~other"  # block_id suffix of the "or type a new one" box beside a choice

# Slack's limits (Block Kit reference): texts are cut rather than rejected by the API.
SECTION_MAX = 3000
LABEL_MAX = 2000
OPTION_MAX = 75
OPTIONS_MAX = 100
TITLE_MAX = 24
HEADER_MAX = 150
INPUT_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
STYLES = ("primary", "danger")

Block = dict[str, Any]


def plain(text: str, limit: int) -> dict[str, Any]:
    cut = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": cut or " ", "emoji": True}


# ---------------------------------------------------------------------------- messages

SLASH_COMMAND = "/visitdesk"  # the app's one slash command: Slack has no /reception of ours
# A command named in the core's text: `/name` at a word's start (not in a path, a date or a
# URL such as t.me/bot, nor after "Telegram:", which names another platform's spelling).
_COMMAND_MENTION = re.compile(r"(?<![\w/:.])/([a-z]+)\b")


def slack_spelling(text: str, commands: Collection[str]) -> str:
    """The core's `/reception` as Slack users type it, `/visitdesk reception`; `/start CODE`
    is `/visitdesk link CODE` there."""

    def spelled(match: re.Match[str]) -> str:
        name = match[1]
        if name not in commands:
            return match[0]
        return f"{SLASH_COMMAND} {'link' if name == 'start' else name}"

    return _COMMAND_MENTION.sub(spelled, text)


def message_blocks(message: Message, numbers: Iterator[int] | None = None) -> list[Block]:
    """Text as plain-text sections (core text is not mrkdwn), each button row an actions
    block. `numbers` keeps action_ids unique when several messages share one view."""
    numbers = numbers if numbers is not None else itertools.count()
    blocks: list[Block] = [
        {"type": "section", "text": plain(chunk, SECTION_MAX)}
        for chunk in _chunks(message.text, SECTION_MAX)
    ]
    for row in message.buttons:
        elements = []
        for button in row:
            element: Block = {
                "type": "button",
                "action_id": f"{BUTTON_ACTION}{next(numbers)}",
                "text": plain(button.label, OPTION_MAX),
                "value": button.action,
            }
            if button.style in STYLES:
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "elements": elements})
    return blocks[:MESSAGE_BLOCKS_MAX]


def fallback_text(message: Message) -> str:
    """The notification text Slack shows where blocks are not rendered."""
    return message.text[:SECTION_MAX] or " "


def _chunks(text: str, size: int) -> list[str]:
    """Split at line ends so no section exceeds Slack's limit."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks


# ---------------------------------------------------------------------------- modals


def form_modal(ctx: Ctx, form: Form, draft: Draft | None) -> Block:
    """One modal for a whole form, its inputs filled from `draft` (one being continued), if any.

    Steps that apply only after some answer (`when`) are optional here: Slack cannot hide a
    field as the person types, and the engine still asks for one that turns out to apply."""
    t = ctx.t
    data = dict(draft.data) if draft else {}
    opened = Opened.of(draft)
    blocks: list[Block] = [
        {"type": "context", "elements": [plain(t("slack.modal.intro"), LABEL_MAX)]}
    ]
    for step in form.whole_steps:
        blocks.extend(_step_blocks(ctx, form, step, data))
    return {
        "type": "modal",
        "callback_id": f"{FORM_CALLBACK}{form.name}",
        # Slack hands it back on submit (`opened_for`): the draft the modal is for. Ids and
        # short `@` values, far within Slack's 3000 characters.
        "private_metadata": json.dumps({"draft": opened.draft, "context": opened.context}),
        "title": plain(t(form.title), TITLE_MAX),
        "submit": plain(
            form.submit_label(ctx, data) if form.submit_label else t("slack.modal.next"), TITLE_MAX
        ),
        "close": plain(t("flow.cancel"), TITLE_MAX),
        # Slack says when it is closed unsent (view_closed), so a draft begun for it can go.
        "notify_on_close": True,
        "blocks": blocks[:VIEW_BLOCKS_MAX],
    }


def _step_blocks(ctx: Ctx, form: Form, step: Step, data: Data) -> list[Block]:
    t = ctx.t
    field_key = f"{form.name}.field.{step.name}"
    label = t(field_key) if t.has(field_key) else _prompt(ctx, step, data) or step.name
    hints = [_prompt(ctx, step, data)] if t.has(field_key) else []
    if step.when is not None:
        hints.append(t("slack.modal.if_applies"))
    options = _options(ctx, step, data)
    value = data.get(step.name)
    block: Block = {
        "type": "input",
        "block_id": step.name,
        "optional": step.optional or step.when is not None,
        "label": plain(label, LABEL_MAX),
        "element": _element(ctx, step, options, value),
    }
    hint = "\n".join(h for h in hints if h)
    if hint:
        block["hint"] = plain(hint, LABEL_MAX)
    blocks = [block]
    if options is not None and step.kind is Kind.CHOICE and (step.allow_other or step.read):
        # A select cannot take a new name: a text box beside it can. It starts empty: how
        # a step stores a typed name is its own business, not text to show back.
        block["optional"] = True
        blocks.append(
            {
                "type": "input",
                "block_id": step.name + OTHER,
                "optional": True,
                "label": plain(t("slack.modal.other", field=label), LABEL_MAX),
                "element": _text_input(t, step, None),
            }
        )
    return blocks


def _prompt(ctx: Ctx, step: Step, data: Data) -> str:
    """The step's question; empty when its parameters need answers not given yet."""
    try:
        params = step.params(ctx, data) if step.params else {}
    except (KeyError, TypeError, ValueError):
        return ""
    return ctx.t(step.prompt, **params)


def _options(ctx: Ctx, step: Step, data: Data) -> list[tuple[str, str]] | None:
    """(value, label) pairs for a select; None when the step is typed, or its choices depend
    on answers not given yet (then a text box takes the answer)."""
    if step.kind is Kind.YESNO:
        return [("y", ctx.t("flow.yes")), ("n", ctx.t("flow.no"))]
    if step.kind not in (Kind.CHOICE, Kind.MULTI):
        return None
    try:
        choices: Sequence[Choice] = step.options(ctx, data)
    except (KeyError, TypeError, ValueError):
        return None
    if not choices:
        return None
    return [(c.value, c.text(ctx)) for c in choices][:OPTIONS_MAX]


def _element(ctx: Ctx, step: Step, options: list[tuple[str, str]] | None, value: Any) -> Block:
    if options is None:
        return _text_input(ctx.t, step, _typed(ctx, step, value))
    slack_options = [
        {"text": plain(label, OPTION_MAX), "value": _option_value(step, index, choice)}
        for index, (choice, label) in enumerate(options, start=1)
    ]
    element: Block = {
        "type": "multi_static_select" if step.kind is Kind.MULTI else "static_select",
        "action_id": INPUT,
        "placeholder": plain(ctx.t("slack.modal.choose"), OPTION_MAX),
        "options": slack_options,
    }
    if step.kind is Kind.MULTI:
        chosen = [o for o, (c, _) in zip(slack_options, options, strict=True) if c in (value or [])]
        if chosen:
            element["initial_options"] = chosen
    else:
        wanted = {True: "y", False: "n"}.get(value, value) if step.kind is Kind.YESNO else value
        index = _chosen(options, wanted)
        if index is not None:
            element["initial_option"] = slack_options[index]
    return element


def _option_value(step: Step, index: int, choice: str) -> str:
    # What a person would type: "y"/"n" for yes-no, a choice's number otherwise.
    return choice if step.kind is Kind.YESNO else str(index)


def _chosen(options: list[tuple[str, str]], value: Any) -> int | None:
    return next((i for i, (choice, _) in enumerate(options) if choice == value), None)


def _text_input(t: Translator, step: Step, initial: str | None) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "max_length": min(step.max_length, INPUT_MAX),
        "multiline": step.max_length > 200,
    }
    if initial:
        element["initial_value"] = initial
    placeholder = {Kind.DATE: "slack.placeholder.date", Kind.DATETIME: "slack.placeholder.datetime"}
    if step.kind in placeholder:
        element["placeholder"] = plain(t(placeholder[step.kind]), HEADER_MAX)
    return element


def _typed(ctx: Ctx, step: Step, value: Any) -> str | None:
    """A saved answer written back as text the engine reads again unchanged."""
    if value is None or isinstance(value, list | dict):
        return None
    if step.kind is Kind.DATETIME:
        return datetime.fromisoformat(value).astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")
    if step.kind is Kind.DATE:
        return date.fromisoformat(value).isoformat()
    return str(value)


@dataclass(frozen=True)
class Submitted:
    """A submitted modal: the text for each step, and which block each came from (where an
    error for that step belongs)."""

    texts: dict[str, str]
    blocks: dict[str, str]


def read_modal(values: dict[str, dict[str, dict[str, Any]]]) -> Submitted:
    """`view.state.values` → the texts `Core.fill_form` takes."""
    texts: dict[str, str] = {}
    blocks: dict[str, str] = {}
    for block_id, inputs in values.items():
        state = inputs.get(INPUT, {})
        text = _state_text(state)
        step = block_id.removesuffix(OTHER)
        if block_id.endswith(OTHER) and not text:
            continue
        if block_id.endswith(OTHER) or step not in texts or not texts[step]:
            texts[step] = text  # a typed name wins over the select beside it
            blocks[step] = block_id
    return Submitted(texts, blocks)


def opened_for(view: dict[str, Any]) -> Opened:
    """The draft a submitted modal was opened for (`form_modal` put it there)."""
    metadata = dict(json.loads(view.get("private_metadata") or "{}"))
    if "draft" not in metadata:  # put there by an older bot: the draft's `@` context alone
        return Opened(Unnamed.DRAFT, metadata)
    return Opened(metadata["draft"], dict(metadata["context"]))


def _state_text(state: dict[str, Any]) -> str:
    kind = state.get("type")
    if kind == "static_select":
        option = state.get("selected_option") or {}
        return str(option.get("value", ""))
    if kind == "multi_static_select":
        return ",".join(str(o["value"]) for o in state.get("selected_options") or [])
    return str(state.get("value") or "")


# ---------------------------------------------------------------------------- App Home


@dataclass(frozen=True)
class HomeSection:
    title: str
    messages: list[Message]


def home_view(title: str, openers: list[tuple[str, str]], sections: list[HomeSection]) -> Block:
    """The dashboard: buttons that open forms, then each section's messages with buttons."""
    numbers = itertools.count()
    blocks: list[Block] = [{"type": "header", "text": plain(title, HEADER_MAX)}]
    if openers:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"{OPEN_ACTION}.{command}",
                        "text": plain(label, OPTION_MAX),
                        "value": command,
                        "style": "primary",
                    }
                    for command, label in openers
                ],
            }
        )
    for section in sections:
        blocks.append({"type": "divider"})
        if section.title:
            blocks.append({"type": "header", "text": plain(section.title, HEADER_MAX)})
        for message in section.messages:
            blocks.extend(message_blocks(message, numbers))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
