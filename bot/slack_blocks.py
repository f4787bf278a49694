"""Block Kit for visitdesk: a `Message` as blocks, a form's `Sheet` as one modal, a submitted
modal as the texts the form engine reads, and App Home as a dashboard. Pure functions, no I/O.

A modal answers every step with the text a person could have typed (the sheet says which),
so the core checks it exactly as it checks a chat answer.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from handlers.engine.forms.model import Kind, Opened, Unnamed
from handlers.engine.forms.sheet import Field, Sheet
from handlers.engine.messages import Message
from handlers.home import HomeSection

BUTTON_ACTION = "vd.b"  # action_id prefix of a core button; its value is Button.action
OPEN_ACTION = "vd.open"  # a button that opens a form's modal; its value is the command
FORM_CALLBACK = "vd.form:"  # a modal's callback_id: this prefix and the form's name
INPUT = "v"  # the action_id of every modal input
OTHER = "~other"  # block_id suffix of the "or type a new one" box beside a choice

# Slack's limits (Block Kit reference): texts are cut rather than rejected by the API.
SECTION_MAX = 3000
LABEL_MAX = 2000
OPTION_MAX = 75
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


def form_modal(sheet: Sheet) -> Block:
    """One modal for a whole form, drawn from the core's sheet of it."""
    blocks: list[Block] = [{"type": "context", "elements": [plain(sheet.intro, LABEL_MAX)]}]
    for field in sheet.fields:
        blocks.extend(_field_blocks(sheet, field))
    opened = sheet.opened
    return {
        "type": "modal",
        "callback_id": f"{FORM_CALLBACK}{sheet.form}",
        # Slack hands it back on submit (`opened_for`): the draft the modal is for. Ids and
        # short `@` values, far within Slack's 3000 characters.
        "private_metadata": json.dumps({"draft": opened.draft, "context": opened.context}),
        "title": plain(sheet.title, TITLE_MAX),
        "submit": plain(sheet.submit, TITLE_MAX),
        "close": plain(sheet.cancel, TITLE_MAX),
        # Slack says when it is closed unsent (view_closed), so a draft begun for it can go.
        "notify_on_close": True,
        "blocks": blocks[:VIEW_BLOCKS_MAX],
    }


def _field_blocks(sheet: Sheet, field: Field) -> list[Block]:
    block: Block = {
        "type": "input",
        "block_id": field.name,
        "optional": field.optional,
        "label": plain(field.label, LABEL_MAX),
        "element": _element(sheet, field),
    }
    if field.hint:
        block["hint"] = plain(field.hint, LABEL_MAX)
    blocks = [block]
    if field.other is not None:
        # It starts empty: how a step stores a typed name is its own business.
        blocks.append(
            {
                "type": "input",
                "block_id": field.name + OTHER,
                "optional": True,
                "label": plain(field.other, LABEL_MAX),
                "element": _text_input(field, None),
            }
        )
    return blocks


def _element(sheet: Sheet, field: Field) -> Block:
    if field.options is None:
        return _text_input(field, field.typed)
    options = [{"text": plain(label, OPTION_MAX), "value": value} for value, label in field.options]
    element: Block = {
        "type": "multi_static_select" if field.kind is Kind.MULTI else "static_select",
        "action_id": INPUT,
        "placeholder": plain(sheet.choose, OPTION_MAX),
        "options": options,
    }
    chosen = [options[index] for index in field.chosen]
    if field.kind is Kind.MULTI and chosen:
        element["initial_options"] = chosen
    elif chosen:
        element["initial_option"] = chosen[0]
    return element


def _text_input(field: Field, initial: str | None) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": INPUT,
        "max_length": min(field.max_length, INPUT_MAX),
        "multiline": field.multiline,
    }
    if initial:
        element["initial_value"] = initial
    if field.placeholder:
        element["placeholder"] = plain(field.placeholder, HEADER_MAX)
    return element


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
