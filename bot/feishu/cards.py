"""Feishu card JSON 2.0 for visitdesk: a `Message` as a card, a `Form` as one card form, a
submitted form's `form_value` as the texts the form engine reads. Pure functions, no I/O.

The form is Slack's modal again (the same `Form` definitions, read by the same helpers of
`bot.slack_blocks`): a choice is sent as its 1-based number, a typed answer as text, a date
picker's value as the `YYYY-MM-DD[ HH:MM]` a person could have typed — so `Core.fill_form`
checks it exactly as a chat answer. Feishu refuses a card over 30 KB: `bounded` cuts a
message's text to fit; a form that cannot fit is None, and the chat asks step by step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.slack_blocks import _chunks, _options, _prompt
from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Kind, Opened, Step, Unnamed
from handlers.engine.messages import Message
from storage.models import Draft

Card = dict[str, Any]

CARD_MAX_BYTES = 30 * 1024  # Feishu's limit for a card's JSON
TEXT_MAX = 2000  # a plain_text element; longer texts become several
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
    ctx: Ctx,
    form: Form,
    draft: Draft | None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Card | None:
    """One card form for a whole form: its fields filled from `typed` (what was submitted,
    shown again with the `errors` under their fields) or else from the draft, if any; None
    when it would not fit in a card."""
    t = ctx.t
    data = dict(draft.data) if draft else {}
    opened = Opened.of(draft)
    fields: list[Card] = []
    for step in form.steps:
        fields.extend(_field(ctx, form, step, data, typed, (errors or {}).get(step.name)))
    submit = form.submit_label(ctx, data) if form.submit_label else t("feishu.form.next")
    fields.append(
        {
            "tag": "button",
            "name": "submit",
            "text": {"tag": "plain_text", "content": submit},
            "type": "primary",
            "form_action_type": "submit",
            # Handed back with the answers: the form, and the draft it was shown for.
            "behaviors": [{"type": "callback", "value": form_value_key(form, opened)}],
        }
    )
    elements = [plain(t("feishu.form.intro"), text_color="grey")]
    if errors:
        elements.append(plain(t("feishu.form.fix"), text_color="red"))
    elements.append({"tag": "form", "name": "vd_form", "elements": fields})
    built = card(elements, t(form.title))
    return built if size(built) <= CARD_MAX_BYTES else None


def form_value_key(form: Form, opened: Opened) -> dict[str, Any]:
    draft = None if opened.draft is Unnamed.DRAFT else opened.draft
    return {"f": form.name, "d": draft, "c": opened.context}


def _field(
    ctx: Ctx, form: Form, step: Step, data: Data, typed: dict[str, str] | None, error: str | None
) -> list[Card]:
    t = ctx.t
    field_key = f"{form.name}.field.{step.name}"
    label = t(field_key) if t.has(field_key) else _prompt(ctx, step, data) or step.name
    hints = [_prompt(ctx, step, data)] if t.has(field_key) else []
    if step.when is not None:
        hints.append(t("slack.modal.if_applies"))
    blocks = [plain(label)]
    hint = "\n".join(h for h in hints if h)
    if hint:
        blocks.append(plain(hint, text_color="grey", text_size="notation"))
    options = _options(ctx, step, data)
    shown = typed.get(step.name) if typed is not None else _saved(ctx, step, options, data)
    blocks.append(_element(ctx, step, options, shown))
    if options is not None and step.kind is Kind.CHOICE and (step.allow_other or step.read):
        other = typed.get(step.name + OTHER) if typed else None
        blocks.append(plain(t("slack.modal.other", field=label), text_size="notation"))
        blocks.append(_input(step.name + OTHER, step.max_length, other, ""))
    if error:
        blocks.append(plain(error, text_color="red"))
    return blocks


def _element(
    ctx: Ctx, step: Step, options: list[tuple[str, str]] | None, shown: str | None
) -> Card:
    if options is not None:
        values = [
            choice if step.kind is Kind.YESNO else str(n)
            for n, (choice, _) in enumerate(options, start=1)
        ]
        element: Card = {
            "tag": "multi_select_static" if step.kind is Kind.MULTI else "select_static",
            "name": step.name,
            "placeholder": {"tag": "plain_text", "content": ctx.t("slack.modal.choose")},
            "options": [
                {"text": {"tag": "plain_text", "content": label}, "value": value}
                for value, (_, label) in zip(values, options, strict=True)
            ],
        }
        chosen = [v for v in (shown or "").split(",") if v in values]
        if step.kind is Kind.MULTI and chosen:
            element["selected_values"] = chosen
        elif chosen:
            element["initial_option"] = chosen[0]
        return element
    if step.kind is Kind.DATE:
        return _picker("date_picker", "initial_date", step.name, shown)
    if step.kind is Kind.DATETIME:
        return _picker("picker_datetime", "initial_datetime", step.name, shown)
    return _input(step.name, step.max_length, shown, "")


def _picker(tag: str, initial: str, name: str, shown: str | None) -> Card:
    element: Card = {"tag": tag, "name": name}
    if shown:
        element[initial] = shown
    return element


def _input(name: str, max_length: int, shown: str | None, placeholder: str) -> Card:
    element: Card = {"tag": "input", "name": name, "max_length": min(max_length, 1000)}
    if max_length > 200:
        element["input_type"] = "multiline_text"
    if shown:
        element["default_value"] = shown
    if placeholder:
        element["placeholder"] = {"tag": "plain_text", "content": placeholder}
    return element


def _saved(ctx: Ctx, step: Step, options: list[tuple[str, str]] | None, data: Data) -> str | None:
    """A saved answer as the field shows it: a choice's number, a date as a picker's value."""
    value = data.get(step.name)
    if value is None:
        return None
    if options is not None:
        wanted = [value] if not isinstance(value, list) else value
        if step.kind is Kind.YESNO:
            return {True: "y", False: "n"}.get(value)
        return ",".join(str(n) for n, (c, _) in enumerate(options, start=1) if c in wanted)
    if step.kind is Kind.DATETIME:
        return datetime.fromisoformat(value).astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")
    if step.kind is Kind.DATE:
        return date.fromisoformat(value).isoformat()
    return None if isinstance(value, dict) else str(value)


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
