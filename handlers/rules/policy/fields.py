"""The policy's field types: what a value in the file may be, with its range."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

Approver = Literal["manager", "gm", "finance"]
APPROVER_KINDS: tuple[str, ...] = get_args(Approver)

_CLASS_KEY = re.compile(r"[A-Z]{1,3}")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _plain_number(value: object) -> object:
    # Lax pydantic would turn `true` or "12" into numbers; in a TOML file those are mistakes.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")  # before any bound: "≤ 200" is no help
    return value


def _parse_clock(text: str) -> dt.time:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError("must be a time like 08:30")
    return dt.time(int(match[1]), int(match[2]))


def _clock(value: object) -> object:
    if isinstance(value, dt.time):  # a TOML local time such as 08:30:00
        return value
    if isinstance(value, str):
        return _parse_clock(value)
    raise ValueError("must be a time like 08:30")


def _date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date like 2026-10-09")


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


def _distinct(items: tuple[Any, ...]) -> tuple[Any, ...]:
    for index, item in enumerate(items):
        if item in items[:index]:
            raise ValueError(f"lists {_shown(item)} twice")
    return items


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# Ints, not Decimals: pydantic shows a Decimal bound as its repr in the error.
MEAL_CAP_CEILING = 10_000  # per head
LINE_CEILING = 1_000_000  # one budget line of one reception

_Number = BeforeValidator(_plain_number)
# Every number has a ceiling: past it the bot's date arithmetic overflows (a reminder 1e9
# working hours away) or a rule stops meaning anything. Each field sets its own with `le`.
Amount = Annotated[Decimal, _Number, Field(ge=0)]
Count = Annotated[int, _Number, Field(ge=0)]
Months = Annotated[int, _Number, Field(ge=1)]
Hours = Annotated[float, _Number, Field(ge=0.1, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Description = Annotated[str, StringConstraints(max_length=200)]
Key = Annotated[
    str, StringConstraints(max_length=20), _matching(_KEY, "a lowercase key like tour or gm")
]
Keys = Annotated[tuple[Key, ...], AfterValidator(_distinct)]
ClassKey = Annotated[str, _matching(_CLASS_KEY, "1–3 uppercase letters, like A")]
Chain = Annotated[tuple[Approver, ...], Field(min_length=1), AfterValidator(_distinct)]
Dates = Annotated[tuple[Annotated[dt.date, BeforeValidator(_date)], ...], AfterValidator(_distinct)]
ClockTime = Annotated[dt.time, BeforeValidator(_clock)]


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """Read "09:00-18:00" as (09:00, 18:00); ValueError unless it is a range within a day."""
    start, _, end = text.partition("-")
    try:
        first, last = _parse_clock(start.strip()), _parse_clock(end.strip())
    except ValueError:
        raise ValueError("must be a range like 09:00-18:00") from None
    if first >= last:
        raise ValueError("must end after it starts, like 09:00-18:00")
    return first, last
