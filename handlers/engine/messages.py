"""What comes in and what goes out, with no platform in it.

Adapters turn a platform's update into an `Event`, hand it to the core, and render each
`Message` they get back: text, rows of buttons, an optional file. A message that is a
`card` has a stable key, so every copy already shown can later be updated in place.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

ACTION_MAX_BYTES = 64  # Telegram's callback_data limit; Slack's is larger


@dataclass(frozen=True)
class Event:
    """One thing a person did: typed text or pressed a button."""

    platform: str
    user: str  # the platform's user key; for the console, the person's name
    text: str | None = None
    action: str | None = None
    chat_id: str | None = None
    platform_locale: str | None = None
    event_id: str | None = None  # the platform's delivery id, to drop redeliveries
    unreadable: bool = False  # a photo, sticker or voice note: nothing the core can read


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    style: str = ""  # "primary", "danger" or "" — a hint some platforms can show

    def __post_init__(self) -> None:
        if len(self.action.encode()) > ACTION_MAX_BYTES:
            raise ValueError(f"button action over {ACTION_MAX_BYTES} bytes: {self.action!r}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime: str


@dataclass(frozen=True)
class Message:
    """A reply or notification, already in the reader's language."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    card: str | None = None  # stable key of a card that may be updated later
    replace: bool = False  # update the copies of `card` already shown instead of sending anew
    attachment: Attachment | None = None
    expects_number: bool = False  # the answer is a number: adapters keep digits as text
    # With `replace`: an update only, never sent anew (a typed answer's question, shown as
    # answered), and the card's last: adapters may forget where it was shown.
    settles: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "text": self.text,
            "buttons": [[[b.label, b.action, b.style] for b in row] for row in self.buttons],
            "card": self.card,
            "replace": self.replace,
            "settles": self.settles,
        }
        if self.attachment:
            payload["attachment"] = {
                "filename": self.attachment.filename,
                "mime": self.attachment.mime,
                "content": base64.b64encode(self.attachment.content).decode(),
            }
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Message:
        attachment = payload.get("attachment")
        return cls(
            text=payload["text"],
            buttons=tuple(
                tuple(Button(label, action, style) for label, action, style in row)
                for row in payload.get("buttons", [])
            ),
            card=payload.get("card"),
            replace=bool(payload.get("replace")),
            settles=bool(payload.get("settles")),
            attachment=Attachment(
                attachment["filename"], base64.b64decode(attachment["content"]), attachment["mime"]
            )
            if attachment
            else None,
        )


@dataclass(frozen=True)
class Answer:
    """The core's answer to one event: the person it is for (None for a stranger, who is
    still one) and what to show them."""

    person_id: int | None
    replies: list[Message]


def rows(*buttons: Button, per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out a few to a row, as a phone screen fits them."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


ID_MAX = 2**31 - 1  # the databases' integer keys (PostgreSQL's are 32-bit)


def action_id(part: str) -> int | None:
    """A record id carried in a button's action, or None for anything else (a stale, garbled
    or tampered button): ASCII digits only — "²".isdigit() is true and int() refuses it —
    and within the databases' key range."""
    if not (part.isascii() and part.isdigit()):
        return None
    number = int(part)
    return number if number <= ID_MAX else None
