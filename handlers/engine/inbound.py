"""What a platform hands the core, bounded before any of it is read or stored.

Telegram delivers what its JSON can carry, Slack and the console the same: a 100 KB message,
a lone surrogate (half an emoji, which no UTF-8 column or reply can hold), a user id or a
locale longer than its column. Each string gets its bound here, once, for every platform:
ids past their column are hashed (still one per delivery and person), a locale that cannot
be one is dropped, a button action that cannot be one becomes a stale button, and a text that
can never be taken is named by the reason the core tells the person.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from handlers.engine.i18n import N_
from handlers.engine.messages import Event

TEXT_MAX = 4096  # Telegram's own limit for one message: nobody types more into a chat
ID_MAX = 64  # the identity's user and chat columns
EVENT_ID_MAX = 128
ACTION_MAX = 256  # Telegram allows 64 bytes, Slack 2000 characters; ours are far shorter
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")
_LOCALE_MAX = 16
_SURROGATE = re.compile("[\ud800-\udfff]")
STALE_ACTION = "?"  # no feature's prefix: answered as a stale button

TOO_LONG = N_("inbound.too_long")
UNSTORABLE = N_("inbound.unstorable")


def bounded(event: Event) -> Event:
    """The event with every string fit for where it goes."""
    locale = event.platform_locale
    if locale is not None and (len(locale) > _LOCALE_MAX or not _LOCALE.fullmatch(locale)):
        locale = None
    action = event.action
    if action is not None and (len(action) > ACTION_MAX or _SURROGATE.search(action)):
        action = STALE_ACTION
    return replace(
        event,
        user=_fit(event.user, ID_MAX),
        chat_id=None if event.chat_id is None else _fit(event.chat_id, ID_MAX),
        event_id=None if event.event_id is None else _fit(event.event_id, EVENT_ID_MAX),
        platform_locale=locale,
        action=action,
    )


def refusal(text: str | None) -> str | None:
    """Why a typed text can never be taken (a catalog key), or None."""
    if text is None:
        return None
    if len(text) > TEXT_MAX:
        return TOO_LONG
    if _SURROGATE.search(text):
        return UNSTORABLE
    return None


def _fit(value: str, limit: int) -> str:
    if len(value) <= limit and not _SURROGATE.search(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return "#" + digest[: limit - 1]
