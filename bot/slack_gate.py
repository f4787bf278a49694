"""Slack requests whose shape our listeners cannot read, refused before bolt runs them.

Bolt hands the listeners Slack's JSON as it came; a request of another shape (no actions, a
view without its state, a message without its channel, a timestamp header that is not a
number, a body that is not JSON) made a listener raise, and Slack got HTTP 500 — and retried
it. `refusal` checks the parts the listeners read, with pydantic models that let everything
else through, and names the status to refuse with instead: 401 for what cannot even be
verified, 400 for a verified-looking request of a shape we do not know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

TIMESTAMP_DIGITS = 12


class _Loose(BaseModel):
    # Slack adds fields at will: only what the listeners read is checked.
    model_config = ConfigDict(extra="allow")


class _Action(_Loose):
    value: str = ""
    action_ts: str = ""


class _Container(_Loose):
    message_ts: str | None = None
    view_id: str | None = None


class _BlockActions(_Loose):
    trigger_id: str
    actions: list[_Action] = Field(min_length=1)
    container: _Container = _Container()


class _State(_Loose):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(_Loose):
    callback_id: str
    private_metadata: str = ""
    state: _State

    @field_validator("private_metadata")
    @classmethod
    def _metadata(cls, value: str) -> str:
        # What `form_modal` wrote: a JSON object, its "context" (when present) one too.
        metadata = json.loads(value or "{}")
        if not isinstance(metadata, dict) or not isinstance(metadata.get("context", {}), dict):
            raise ValueError("private_metadata is not ours")
        return value


class _ViewSubmission(_Loose):
    view: _View


class _Shortcut(_Loose):
    callback_id: str
    trigger_id: str


class _Message(_Loose):
    channel: str
    text: str = ""


class _Envelope(_Loose):
    event_id: str | None = None
    event: dict[str, Any] | None = None


INTERACTIVE: dict[str, type[_Loose]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "shortcut": _Shortcut,
}


def refusal(headers: Mapping[str, str], body: bytes) -> int | None:
    """The HTTP status to refuse a request with, or None to let bolt take it."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= TIMESTAMP_DIGITS):
        return 401  # bolt would parse it with int() and answer 500
    try:
        text = body.decode("utf-8")
        if headers.get("Content-Type", "").startswith("application/json"):
            _check_event(json.loads(text))
        else:
            _check_form(parse_qs(text, keep_blank_values=True))
    except (ValueError, ValidationError):  # JSONDecodeError and UnicodeDecodeError are both
        return 400
    return None


def _check_event(data: Any) -> None:
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    envelope = _Envelope.model_validate(data)
    if envelope.event is not None and envelope.event.get("type") == "message":
        _Message.model_validate(envelope.event)


def _check_form(form: dict[str, list[str]]) -> None:
    if "payload" in form:
        payload = json.loads(form["payload"][0])
        if not isinstance(payload, dict):
            raise ValueError("payload is not a JSON object")
        model = INTERACTIVE.get(str(payload.get("type")))
        if model is not None:
            model.model_validate(payload)
    elif "command" in form and not form.get("trigger_id", [""])[0]:
        raise ValueError("a slash command without its trigger_id")
