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
from babel.dates import format_date, format_datetime, format_time, get_timezone_location
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


def _clocks_differ(value: dt.datetime, tz: dt.tzinfo, place: dt.tzinfo) -> bool:
    """Whether the two zones' clocks show different times at `value` (Berlin's and Shanghai's
    always do; London's and Lisbon's never; the difference moves with daylight saving)."""
    return value.astimezone(tz).utcoffset() != value.astimezone(place).utcoffset()


@dataclass(frozen=True)
class Translator:
    """Messages and formats in one locale.

    `today` is the reader's date: a date in another year is shown with its year (2027年1月5日),
    since 1月5日 read in December is ambiguous. Unknown (None), dates are shown without one."""

    locale: str
    today: dt.date | None = None

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
    def datetime(self, value: dt.datetime, tz: dt.tzinfo, place: dt.tzinfo | None = None) -> str:
        """`value` in the reader's zone `tz`. With `place`, the zone where it happens (a
        reception's host's): when that zone's clock differs there and then, its time comes
        first, labelled, then the reader's — 12月9日(周三) 15:00 柏林时间 · 22:00 北京时间."""
        if place is None or not _clocks_differ(value, tz, place):
            return self._datetime(value, tz)
        same_day = value.astimezone(tz).date() == value.astimezone(place).date()
        here = self.time(value, tz) if same_day else self._datetime(value, tz)
        return self._two_zones(self._datetime(value, place), place, here, tz)

    def _datetime(self, value: dt.datetime, tz: dt.tzinfo) -> str:
        local = value.astimezone(tz)
        pattern = self(self._with_year("fmt.datetime", local.date()))
        return format_datetime(local, pattern, locale=self._babel)

    def _two_zones(self, there: str, place: dt.tzinfo, here: str, tz: dt.tzinfo) -> str:
        return self(
            "fmt.two_zones",
            there=self("fmt.in_zone", time=there, zone=self.zone(place)),
            here=self("fmt.in_zone", time=here, zone=self.zone(tz)),
        )

    def zone(self, tz: dt.tzinfo) -> str:
        """A zone as people call it: the catalog's name for it (北京时间), else its city's
        in Babel's (CLDR) names, 柏林时间 / Berlin time."""
        key = str(tz)
        if self.has(f"zone.{key}"):
            return self(f"zone.{key}")
        try:
            city = get_timezone_location(tz, locale=self._babel, return_city=True)
        except LookupError:  # a fixed offset has no city
            return key
        return self("fmt.zone", city=city)

    def date(self, value: dt.date) -> str:
        return format_date(value, self(self._with_year("fmt.date", value)), locale=self._babel)

    def until(self, value: dt.datetime, tz: dt.tzinfo) -> str:
        """The end of a span: a local midnight is the end of the day before ("到下周五" lasts
        through Friday, shown so), not 00:00 of a day the person never named."""
        local = value.astimezone(tz)
        if local.time() != dt.time(0):
            return self.datetime(value, tz)
        return self("fmt.end_of_day", date=self.date(local.date() - dt.timedelta(days=1)))

    def _with_year(self, key: str, day: dt.date) -> str:
        """The pattern's key, its `_year` form for a day outside the reader's current year."""
        return f"{key}_year" if self.today is not None and day.year != self.today.year else key

    def time(self, value: dt.datetime, tz: dt.tzinfo, place: dt.tzinfo | None = None) -> str:
        """The time of day in `tz`; with `place` in another clock, both, as `datetime` does."""
        here = format_time(value.astimezone(tz), "HH:mm", locale=self._babel)
        if place is None or not _clocks_differ(value, tz, place):
            return here
        return self._two_zones(self.time(value, place), place, here, tz)

    def money(self, amount: Decimal | int | float) -> str:
        number = format_decimal(amount, format="#,##0.##", locale=self._babel)
        return self("fmt.money", amount=number)

    def number(self, amount: Decimal | int | float) -> str:
        return format_decimal(amount, format="#,##0.##", locale=self._babel)
