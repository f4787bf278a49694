"""Every word the bot says: gettext catalogs in `locales/`, read with Babel.

Messages are looked up by key (`reception.ask_client`); each locale folder may hold several
`.po` files (one per feature), merged at load. Dates, times and money are formatted with
Babel using patterns that are themselves catalog entries, so a translator controls them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES = ("zh_CN", "en")
FALLBACK = "en"


def N_(key: str) -> str:
    """Marks a catalog key used later (a step's prompt, a choice's label)."""
    return key


ECHO_MAX = 40


def clipped(typed: str, limit: int = ECHO_MAX) -> str:
    """What someone typed, as a message quotes it back: at most `limit` characters."""
    return typed if len(typed) <= limit else typed[: limit - 1] + "…"


@cache
def catalog(locale: str) -> dict[str, str]:
    """All messages of one locale, every `.po` file of its folder merged."""
    messages: dict[str, str] = {}
    folder = files("locales").joinpath(locale)
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id and message.string:
                    messages[str(message.id)] = str(message.string)
    return messages


def normalise_locale(tag: str | None) -> str | None:
    """Map what platforms send (`zh-hans`, `zh-CN`, `en-US`, `en_GB`) to a catalog we have."""
    if not tag:
        return None
    lowered = tag.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_CN"
    if lowered.startswith("en"):
        return "en"
    return None


def choose_locale(person_locale: str | None, platform_locale: str | None, default: str) -> str:
    """The person's own setting, else what their platform says, else the org default."""
    return (
        normalise_locale(person_locale)
        or normalise_locale(platform_locale)
        or normalise_locale(default)
        or FALLBACK
    )


@cache
def _babel_locale(locale: str) -> Locale:
    """Parsed once per locale: `Locale.parse` searches Babel's whole locale list each time."""
    return Locale.parse(locale)


@dataclass(frozen=True)
class Translator:
    """Messages and formats in one locale."""

    locale: str

    @property
    def lang(self) -> str:
        return self.locale.split("_")[0]

    def __call__(self, key: str, **params: Any) -> str:
        text = catalog(self.locale).get(key) or catalog(FALLBACK).get(key) or key
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in catalog(self.locale)

    @property
    def _babel(self) -> Locale:
        return _babel_locale(self.locale)

    # `dt.`: inside the class the methods `datetime`, `date` and `time` shadow the types.
    def datetime(self, value: dt.datetime, tz: dt.tzinfo) -> str:
        return format_datetime(value.astimezone(tz), self("fmt.datetime"), locale=self._babel)

    def date(self, value: dt.date) -> str:
        return format_date(value, self("fmt.date"), locale=self._babel)

    def time(self, value: dt.datetime, tz: dt.tzinfo) -> str:
        return format_time(value.astimezone(tz), "HH:mm", locale=self._babel)

    def money(self, amount: Decimal | int | float) -> str:
        number = format_decimal(amount, format="#,##0.##", locale=self._babel)
        return self("fmt.money", amount=number)

    def number(self, amount: Decimal | int | float) -> str:
        return format_decimal(amount, format="#,##0.##", locale=self._babel)
