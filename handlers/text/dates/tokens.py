"""The token rules' machinery (`_Rule`, `_rule`), the numerals they read, the readers both
languages share (dates, holidays, days from today) and the rules for what both write alike
(2026-12-03, 12/3, 14:00, punctuation)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.reading import (
    _MIDNIGHT,
    _NOON,
    _Clock,
    _date,
    _On,
    _Part,
    _Reading,
    _Yearly,
)
from handlers.text.months import Month

# --- numbers ----------------------------------------------------------------------------

# A Chinese or Arabic numeral as people write it in dates: 3, 十二, 二十三, 两, 二〇二六, 零五.
_NUM = r"[0-9零〇一二两三四五六七八九十百]{1,7}"
_CN_DIGITS = str.maketrans("零〇一二两三四五六七八九", "001223456789")
_CN_UNITS = {"十": 10, "百": 100}

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60,
    "ninety": 90,
}  # fmt: skip


def _int(numeral: str) -> int:
    """Value of a `_NUM` numeral: digit by digit (二〇二六 = 2026), or by place (二十三 = 23)."""
    digits = numeral.translate(_CN_DIGITS)
    if not any(unit in digits for unit in _CN_UNITS):
        return int(digits)
    total, pending = 0, 0
    for char in digits:
        if char in _CN_UNITS:
            total += (pending or 1) * _CN_UNITS[char]  # 十五: a bare 十 is one ten
            pending = 0
        else:
            pending = int(char)
    return total + pending


def _amount(word: str) -> float:
    """An amount in a relative phrase: '3', '1.5', '两', 'an', 'twelve', '半'."""
    if word == "半":
        return 0.5
    if word in _EN_NUMBERS:
        return _EN_NUMBERS[word]
    return float(word) if "." in word else _int(word)


# --- rules ------------------------------------------------------------------------------

Apply = Callable[[re.Match[str], _Reading], None]


@dataclass(frozen=True)
class _Rule:
    """A token: where `pattern` matches at the read position, `apply` records what it says."""

    pattern: re.Pattern[str]
    apply: Apply


def _rule(regex: str, apply: Apply) -> _Rule:
    """Compile a token rule."""
    return _Rule(re.compile(regex), apply)


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first so 大后天 wins over 后天."""
    return "|".join(sorted(words, key=len, reverse=True))


def _refuse_period(_match: re.Match[str], _reading: _Reading) -> None:
    """Periods and ranges (下周, December, 3-5点) contain many days."""
    raise DateNotUnderstood("no_single_date")


def _mark_vague(_match: re.Match[str], reading: _Reading) -> None:
    """随便, whenever: no date by themselves, harmless beside one."""
    reading.vague = True


def _skip(_match: re.Match[str], _reading: _Reading) -> None:
    """Fillers, punctuation and connectors say nothing; a connector's two sides collide."""


def _now(_match: re.Match[str], reading: _Reading) -> None:
    """现在, now: this minute."""
    reading.fill("moment", reading.now.replace(second=0, microsecond=0))


def _midnight(_match: re.Match[str], reading: _Reading) -> None:
    """Midnight, 午夜: the end of the day named."""
    reading.fill("clock", _MIDNIGHT)


def _noon(_match: re.Match[str], reading: _Reading) -> None:
    """Noon, midday: 12:00."""
    reading.fill("clock", _NOON)


def _on_year(reading: _Reading, year: int, month: int, day: int) -> None:
    """A full date; one that does not exist is refused as such."""
    found = _date(year, month, day)
    if found is None:
        raise DateNotUnderstood("invalid_date")
    reading.fill("day", _On(found))


def _month_and_day(reading: _Reading, year: str | None, month: int, day: int) -> None:
    """A month and day, with the year when one was written, else the nearest such day:
    this year's when it is today or just past (nearer than next year's), kept though past."""
    if year is not None:
        _on_year(reading, int(year), month, day)
        return
    today = reading.today
    this_year = _date(today.year, month, day)
    behind = this_year if this_year is not None and this_year <= today else None
    ahead = _date(today.year + 1, month, day)
    if behind is not None and (ahead is None or today - behind < ahead - today):
        reading.fill("day", _On(behind))
    else:
        reading.fill("day", _Yearly(month, day))


def _in_month(reading: _Reading, months_ahead: int, day: int) -> None:
    """Day `day` of the month `months_ahead` after this one (下个月5号, the 5th of next month)."""
    first = Month.of(reading.today).plus(months_ahead).first_day
    _on_year(reading, first.year, first.month, day)


def _clock_24h(match: re.Match[str], reading: _Reading) -> None:
    """14:00, 9:30, 03:00 (two-digit hours are taken as written)."""
    hour = match["h"]
    reading.fill("clock", _Clock(int(hour), int(match["mi"]), literal=len(hour) == 2))


def _month_first(first: int, second: int) -> tuple[int, int]:
    """(month, day) of a numeric date: month first, as Chinese and US English write it,
    unless only day first can be meant (25/12)."""
    return (second, first) if first > 12 >= second else (first, second)


def _iso_date(match: re.Match[str], reading: _Reading) -> None:
    """2026-12-03, 2026/12/03, 2026.12.3."""
    _on_year(reading, int(match["y"]), int(match["m"]), int(match["d"]))


def _numeric_date(match: re.Match[str], reading: _Reading) -> None:
    """12/3, 12.3, 12/3/2026, 25/12."""
    month, day = _month_first(int(match["m"]), int(match["d"]))
    _month_and_day(reading, match.groupdict().get("y"), month, day)


def _holiday(match: re.Match[str], reading: _Reading) -> None:
    """元旦, 圣诞节, Christmas: a fixed day of the year."""
    _month_and_day(reading, None, *_HOLIDAYS[match[0]])


_HOLIDAYS = {
    "元旦": (1, 1), "情人节": (2, 14), "平安夜": (12, 24), "圣诞节": (12, 25), "圣诞": (12, 25),
    "new year's day": (1, 1), "valentine's day": (2, 14), "christmas eve": (12, 24),
    "christmas day": (12, 25), "christmas": (12, 25), "xmas": (12, 25),
    "new year's eve": (12, 31),
}  # fmt: skip
_HOLIDAY = _alternatives(_HOLIDAYS)


def _day_from_today(days: dict[str, int]) -> Apply:
    """Reads words that name a day by its distance from today (明天, the day after
    tomorrow), as `days` counts them."""

    def apply(match: re.Match[str], reading: _Reading) -> None:
        reading.fill("day", _On(reading.today + timedelta(days=days[match[0]])))

    return apply


def _day_and_part(words: dict[str, tuple[int, _Part]]) -> Apply:
    """Reads words that name a day and a part of it at once (今晚, 明早, tonight, last
    night), as `words` gives them: (days from today, part)."""

    def apply(match: re.Match[str], reading: _Reading) -> None:
        offset, part = words[match[0]]
        reading.fill("day", _On(reading.today + timedelta(days=offset)))
        reading.fill("part", part)

    return apply


# Both ----------------------------------------------------------------------------------

_SHARED_RULES = (
    _rule(
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)(?:t(?=\d))?",
        _iso_date,
    ),
    _rule(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})(?!\d)", _numeric_date),
    _rule(r"(?P<h>\d{1,2}):(?P<mi>\d\d)(?::\d\d)?(?!\d)", _clock_24h),
    _rule(r"(?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?![\d/:]|\.\d)", _numeric_date),
    _rule(r"[\s,;:!?.()\[\]{}<>【】「」『』、。~〜\-–—/\\|\"'*+#@…·]+", _skip),
)
