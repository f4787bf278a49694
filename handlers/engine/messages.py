"""What comes in and what goes out, with no platform in it.

Adapters turn a platform's update into an `Event`, hand it to the core, and render the
intents of its `Answer`, each naming the person it is for:

- `Message` (also called `Reply`): text, rows of buttons, an optional file. One that is a
  `card` has a stable key, so every copy already shown can later be updated in place;
- `EditCard`: a `Message` with `replace`, updating every copy of its card already shown;
- `OpenForm`: a form begins (or its summary's Edit was pressed). A platform that shows a
  form whole draws its `sheet`; the others show `first`, its first question;
- `SetMenu`: the commands the person's platform menu lists, by their roles.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.engine.forms.sheet import Sheet

ACTION_MAX_BYTES = 64  # Telegram's callback_data limit; Slack's is larger


@dataclass(frozen=True)
class Event:
    """One thing a person did: typed text, pressed a button or shared a location."""

    platform: str
    user: str  # the platform's user key; for the console, the person's name
    text: str | None = None
    action: str | None = None
    chat_id: str | None = None
    platform_locale: str | None = None
    event_id: str | None = None  # the platform's delivery id, to drop redeliveries
    unreadable: bool = False  # a photo, sticker or voice note: nothing the core can read
    # The platform can show a whole form at once (a modal) for this event, which came with
    # what opening one takes (Slack's trigger): the core may answer with a form's `Sheet`.
    whole_forms: bool = False
    location: tuple[float, float] | None = None  # a shared location: (latitude, longitude)


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
    """A reply or notification (the Reply intent), already in the reader's language."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    card: str | None = None  # stable key of a card that may be updated later
    replace: bool = False  # update the copies of `card` already shown instead of sending anew
    attachment: Attachment | None = None
    expects_number: bool = False  # the answer is a number: adapters keep digits as text
    # With `replace`: an update only, never sent anew (a typed answer's question, shown as
    # answered), and the card's last: adapters may forget where it was shown.
    settles: bool = False
    to: int | None = field(default=None, compare=False)  # the person it is for (the core's)

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
    def from_payload(cls, payload: dict[str, Any], to: int | None = None) -> Message:
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
            to=to,
        )


Reply = Message


@dataclass(frozen=True)
class EditCard(Message):
    """Update every copy of `card` already shown (without a card: the message whose button
    was pressed); one never shown is sent anew, unless it `settles`."""

    replace: bool = True


@dataclass(frozen=True)
class OpenForm:
    """A form to fill. `sheet`, made when the event allowed it (`Event.whole_forms`), is the
    whole form for a platform to draw; `first` is its first question, for every other
    platform, and for one that could not draw the sheet. No `first`: nothing was begun, and
    such a platform asks again as chat (the event with `whole_forms` false)."""

    form: str
    first: Message | None
    sheet: Sheet | None = None
    to: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SetMenu:
    """The commands a platform's menu lists for the person — those their roles allow, then
    help, cancel and back — as (name, what it does) in their language."""

    commands: tuple[tuple[str, str], ...]
    to: int | None = field(default=None, compare=False)


Intent = Message | OpenForm | SetMenu


@dataclass(frozen=True)
class Answer:
    """The core's answer to one event: the person it is for (None for a stranger, who is
    still one) and the intents, each naming them."""

    person_id: int | None
    intents: list[Intent]

    @classmethod
    def addressed(cls, person_id: int | None, intents: list[Intent]) -> Answer:
        """The answer with each intent naming the person it is for."""
        return cls(person_id, [_to(intent, person_id) for intent in intents])

    @property
    def replies(self) -> list[Message]:
        """What a chat shows: each form opened as its first question."""
        shown = (
            i if isinstance(i, Message) else i.first if isinstance(i, OpenForm) else None
            for i in self.intents
        )
        return [message for message in shown if message is not None]


def _to(intent: Intent, person_id: int | None) -> Intent:
    if isinstance(intent, OpenForm) and intent.first is not None:
        return replace(intent, to=person_id, first=replace(intent.first, to=person_id))
    return replace(intent, to=person_id)


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
