"""Feishu card JSON 2.0 for visitdesk: a `Message` as a card, a form's `Sheet` as one card
form, a submitted form's `form_value` as the texts the form engine reads. Pure functions, no
I/O.

The card form is drawn from the core's sheet, as Slack's modal is: a choice is sent as the
value the sheet gives it (its 1-based number), a typed answer as text, a date picker's value
as the `YYYY-MM-DD[ HH:MM]` a person could have typed — so `Core.fill_form` checks it exactly
as a chat answer. Feishu refuses a card over 30 KB: `bounded` cuts a
message's text to fit; a form that cannot fit is None, and the chat asks step by step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.slack_blocks import _chunks
from handlers.engine.forms.model import Kind, Opened, Unnamed
from handlers.engine.forms.sheet import Field, Sheet
from handlers.engine.messages import Message

Card = dict[str, Any]

CARD_MAX_BYTES = 30 * 1024  # Feishu's limit for a card's JSON
TEXT_MAX = 2000  # a plain_text element; longer texts become several
INPUT_MAX = 1000  # an input's max_length
OTHER = "__other"  # name suffix of the "or type a new one" box beside a choice
STYLES = {"primary": "primary", "danger": "danger"}
_OFFSET = re.compile(r"\s*[+-]\d{4}$")  # a picker's value ends with the device's UTC offset


def plain(text: str, **style: str) -> Card:
    return {"tag": "div", "text": {"tag": "plain_text", "content": text or " ", **style}}


def card(elements: list[Card], title: str | None = None) -> Card:
    built: Card = {
        "schema": "2.0",
        "config": {"update_multi": True},
        "body": {"elements": elements},
    }
    if title:
        built["header"] = {"title": {"tag": "plain_text", "content": title}}
    return built


def size(built: Card) -> int:
    return len(json.dumps(built, ensure_ascii=False).encode())


# ---------------------------------------------------------------------------- messages


def is_card(message: Message) -> bool:
    """A message with buttons or a card key goes as a card (only cards can be updated)."""
    return bool(message.buttons or message.card)


def message_card(message: Message) -> Card:
    """Text as plain-text blocks (core text is not markdown), each button row after it; the
    value of a button is the core's action."""
    return bounded(message.text, lambda text: _message_elements(message, text))


def _message_elements(message: Message, text: str) -> list[Card]:
    elements = [plain(chunk) for chunk in _chunks(text, TEXT_MAX)]
    for row in message.buttons:
        buttons = [
            {
                "tag": "button",
                "text": {"tag": "plain_text", "content": button.label},
                "type": STYLES.get(button.style, "default"),
                "behaviors": [{"type": "callback", "value": {"a": button.action}}],
            }
            for button in row
        ]
        elements.append(
            {
                "tag": "column_set",
                "columns": [{"tag": "column", "width": "auto", "elements": [b]} for b in buttons],
            }
        )
    return elements


def bounded(text: str, elements: Any) -> Card:
    """The card of `elements(text)`, its text cut (with "…") until the card is under 30 KB."""
    built = card(elements(text))
    while size(built) > CARD_MAX_BYTES and text:
        # Keep the share of the text that fits (a little less: the rest of the card counts).
        keep = int(len(text) * CARD_MAX_BYTES / size(built) * 0.95)
        text = text[:keep].rstrip() + "…" if keep else ""
        built = card(elements(text))
    return built


# ---------------------------------------------------------------------------- card forms


def form_card(
    sheet: Sheet,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    fix: str = "",
) -> Card | None:
    """One card form drawn from the core's sheet: its fields filled from `typed` (what was
    submitted, shown again with the `errors` under their fields, `fix` above them) or else
    from the answers the sheet holds; None when it would not fit in a card."""
    fields: list[Card] = []
    for field in sheet.fields:
        fields.extend(_field(sheet, field, typed, (errors or {}).get(field.name)))
    fields.append(
        {
            "tag": "button",
            "name": "submit",
            "text": {"tag": "plain_text", "content": sheet.submit},
            "type": "primary",
            "form_action_type": "submit",
            # Handed back with the answers: the form, and the draft it was shown for.
            "behaviors": [{"type": "callback", "value": form_value_key(sheet.form, sheet.opened)}],
        }
    )
    elements = [plain(sheet.intro, text_color="grey")]
    if errors and fix:
        elements.append(plain(fix, text_color="red"))
    elements.append({"tag": "form", "name": "vd_form", "elements": fields})
    built = card(elements, sheet.title)
    return built if size(built) <= CARD_MAX_BYTES else None


def form_value_key(form: str, opened: Opened) -> dict[str, Any]:
    draft = None if opened.draft is Unnamed.DRAFT else opened.draft
    return {"f": form, "d": draft, "c": opened.context}


def _field(
    sheet: Sheet, field: Field, typed: dict[str, str] | None, error: str | None
) -> list[Card]:
    blocks = [plain(field.label)]
    if field.hint:
        blocks.append(plain(field.hint, text_color="grey", text_size="notation"))
    blocks.append(_element(sheet, field, typed.get(field.name) if typed is not None else None))
    if field.other is not None:
        # It starts empty, as on Slack: how a step stores a typed name is its own business.
        other = typed.get(field.name + OTHER) if typed else None
        blocks.append(plain(field.other, text_size="notation"))
        blocks.append(_input(field.name + OTHER, field, other))
    if error:
        blocks.append(plain(error, text_color="red"))
    return blocks


def _element(sheet: Sheet, field: Field, typed: str | None) -> Card:
    """The field's input, showing `typed` (a submitted value) or else the sheet's answer."""
    if field.options is not None:
        element: Card = {
            "tag": "multi_select_static" if field.kind is Kind.MULTI else "select_static",
            "name": field.name,
            "placeholder": {"tag": "plain_text", "content": sheet.choose},
            "options": [
                {"text": {"tag": "plain_text", "content": label}, "value": value}
                for value, label in field.options
            ],
        }
        values = [value for value, _ in field.options]
        if typed is not None:
            chosen = [v for v in typed.split(",") if v in values]
        else:
            chosen = [values[index] for index in field.chosen]
        if field.kind is Kind.MULTI and chosen:
            element["selected_values"] = chosen
        elif chosen:
            element["initial_option"] = chosen[0]
        return element
    shown = typed if typed is not None else field.typed
    if field.kind is Kind.DATE:
        return _picker("date_picker", "initial_date", field.name, shown)
    if field.kind is Kind.DATETIME:
        return _picker("picker_datetime", "initial_datetime", field.name, shown)
    return _input(field.name, field, shown)


def _picker(tag: str, initial: str, name: str, shown: str | None) -> Card:
    element: Card = {"tag": tag, "name": name}
    if shown:
        element[initial] = shown
    return element


def _input(name: str, field: Field, shown: str | None) -> Card:
    element: Card = {"tag": "input", "name": name, "max_length": min(field.max_length, INPUT_MAX)}
    if field.multiline:
        element["input_type"] = "multiline_text"
    if shown:
        element["default_value"] = shown
    if field.placeholder:
        element["placeholder"] = {"tag": "plain_text", "content": field.placeholder}
    return element


@dataclass(frozen=True)
class Submitted:
    """A submitted card form: the text for each step, and the form and draft it was for."""

    texts: dict[str, str]
    form: str
    opened: Opened


def read_form(value: dict[str, Any], form_value: dict[str, Any]) -> Submitted | None:
    """`action.value` and `action.form_value` of a Submit → the texts `Core.fill_form` takes;
    None for a value this bot did not write."""
    form, draft, context = value.get("f"), value.get("d"), value.get("c", {})
    if not isinstance(form, str) or not isinstance(context, dict):
        return None
    if draft is not None and not isinstance(draft, int):
        return None
    texts: dict[str, str] = {}
    for name, answer in form_value.items():
        if isinstance(answer, list):
            text = ",".join(str(a) for a in answer)
        else:
            text = _OFFSET.sub("", str(answer or "")).strip()
        step = name.removesuffix(OTHER)
        if name.endswith(OTHER) and not text:
            continue
        if name.endswith(OTHER) or not texts.get(step):
            texts[step] = text  # a typed name wins over the select beside it
    return Submitted(texts, form, Opened(draft, context))


def typed_again(form_value: dict[str, Any]) -> dict[str, str]:
    """What was submitted, by field name, to fill the card again around its errors."""
    return {
        name: ",".join(map(str, a)) if isinstance(a, list) else _OFFSET.sub("", str(a or ""))
        for name, a in form_value.items()
    }
