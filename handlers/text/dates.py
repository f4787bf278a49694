"""What a salesperson types -> a date or a date-time, in Chinese or English.

`parse_when("明天下午3点", now, "zh")` returns a `When`; text that does not name exactly one
day or moment raises `DateNotUnderstood` with a reason the bot can explain:

* ``"empty"`` — nothing but white space;
* ``"unrecognised"`` — not read as a date (also any text over `MAX_LENGTH` characters);
* ``"invalid_date"`` — reads as a date that does not exist (2月30日, Feb 30, 13/40);
* ``"invalid_time"`` — a day that exists at an hour or minute that does not (明天下午25点,
  13pm, 上午15点, 9:75): the person is told it is the time, not the day, that is wrong;
* ``"no_single_date"`` — a period, a range, alternatives or a vague word
  (下周, 12月, 周末, 周三或周四, 3-5点, 随便, whenever, next week).

How it reads
    The text is normalised (NFKC, lower case, the few traditional characters that matter
    mapped to simplified) and read left to right by a table of token rules. Each token fills
    one slot of a `_Reading`: the day, a bare weekday, a part of the day, a clock time, or a
    relative moment ("2小时后"); a slot filled twice means two dates were named. Every
    character must be read by some rule, so text we cannot read is refused, never guessed at.
    Chinese and English rules sit in one table, the user's language first, so mixed text
    ("明天 3pm", "Dec 3 下午两点") reads too. English text the table cannot read is handed to
    dateparser, whose answer is kept only under guards (`_from_dateparser`): it must name a
    day, not be past unless the text says so, name no time zone, and show every number typed
    — dateparser drops what it cannot read without saying so. Its Chinese is not used: it
    misses most of the dev corpus's Chinese lines.

Decisions (each one tested in tests/test_dates.py)
    * Future first. A day not fixed by the text (周五, 3月5日, 5号, Friday, March 5, or only a
      time: 晚上八点, 10am) is the first such moment not yet past, today included. Days the
      text fixes (今天, 明天, 这周一, 下周三, 2026-03-01, 3天后, yesterday, last Friday) are
      returned as named even when past; the caller decides whether the past is allowed.
    * But a month and day without a year (12月3日, Dec 3, 圣诞节) is the nearest such day:
      typed on 12月4日, 12月3日 is yesterday, returned as past (the caller says so with the
      date), not 2027-12-03 — a year on is never what a one-day slip meant. Today's date at
      an hour already gone is today's, past, too. 1月5日 typed in December is next January's.
    * Weeks start on Monday: on Wed 2026-11-18, 这周日 = 11-22 and 下周日 = 11-29. English
      "next Friday" is the Friday of next week, as 下周五; "this Friday" is the coming one.
    * An hour with no am/pm and no day part: 1-6 means the afternoon (3点 = 15:00, "at 3" =
      15:00) because nobody books a client for 3 a.m. without saying 凌晨; other hours, and
      times written with two digits ("03:00", "14:00"), are taken as written.
    * 晚上/tonight with 12 or 0-4 o'clock is the night after that evening (今晚12点 = the next
      day 00:00); "midnight" and 24点 are the end of the day named.
    * A day part without an hour is a date-time at the usual hour for it, not a bare date:
      a receptionist needs a time, and the bot echoes it back to be confirmed or corrected.
      早上/明早/early morning 08:00, 上午/morning 09:00, 中午/noon 12:00, 下午/afternoon 14:00,
      傍晚 18:00, 晚上/今晚/evening/tonight/night 19:00. 凌晨 and 半夜 have no usual hour for a
      visit, so alone they raise "no_single_date" (the bot asks for the hour).
    * A weekday beside a date must agree with it (12月4日周五); otherwise "no_single_date".
    * N天后 / "in N days" / N周后 / N个月后 are dates (months keep the day of month, clamped to
      the month's end); N小时后 / N分钟后 / "in 2 hours" are moments: now plus that much real
      time, seconds dropped.
    * Vague words (随便, 待定, whenever, sometime) name no date by themselves, but do not spoil
      a date beside them: "明天都行" is tomorrow. 过两天 is the idiom "in a day or two", so
      vague; 再过两天 and 过3天 are two and three days.
    * Numeric dates are month first (12/3, 12.3 = 3 December), as Chinese and US English write
      them, unless only day first can be meant (25/12). A bare number (3, 12) is refused.
    * Fixed-date holidays read as their day (元旦, 圣诞节, Christmas); moving ones (春节, 中秋)
      and week-long ones (国庆) are not read.
    * A time zone in the text ("3pm EST") is refused: results are in the zone of `now`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import ClassVar, Literal, Protocol

from dateparser.date import DateDataParser
from dateparser.timezone_parser import pop_tz_offset_from_string

__all__ = ["MAX_LENGTH", "DateNotUnderstood", "Reason", "When", "parse_when"]

Reason = Literal["empty", "unrecognised", "invalid_date", "invalid_time", "no_single_date"]

MAX_LENGTH = 200
"""Longer text is refused unread: nobody types a date that long, and it bounds the work."""


@dataclass(frozen=True)
class When:
    """One day (`has_time` False, `value` at 00:00) or one moment, in the zone of `now`."""

    value: datetime
    has_time: bool

    def iso(self) -> str:
        """'YYYY-MM-DD' for a day, 'YYYY-MM-DDTHH:MM' for a moment."""
        day = f"{self.value.year:04d}-{self.value.month:02d}-{self.value.day:02d}"
        return f"{day}T{self.value.hour:02d}:{self.value.minute:02d}" if self.has_time else day


class DateNotUnderstood(ValueError):
    """The text does not name exactly one date or date-time; `reason` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


def parse_when(text: str, now: datetime, lang: str) -> When:
    """Read `text` as one date or date-time, seen from `now` by a user speaking `lang`.

    `now` must be timezone-aware; the result is in its zone. `lang` is "zh" or "en", with or
    without a region ("zh_CN", "en-US"); any other value reads English first.
    Raises `DateNotUnderstood` (and nothing else) when the text names no single date.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # a caller's bug, not the user's text
    stripped = text.strip()
    if not stripped:
        raise DateNotUnderstood("empty")
    if len(stripped) > MAX_LENGTH:
        raise DateNotUnderstood("unrecognised")
    normalised = _normalise(stripped)
    try:
        return _read(normalised, now, _RULES[_language(lang)])
    except DateNotUnderstood as refusal:
        if refusal.reason != "unrecognised" or not _LATIN.search(normalised):
            raise
        return _from_dateparser(normalised, now)


# --- text -------------------------------------------------------------------------------

# Traditional characters a Hong Kong or Taiwan colleague would type in a date.
_SIMPLIFIED = str.maketrans(
    "這後點週號禮個鐘兩時內隨淩間黃來約於與還幾", "这后点周号礼个钟两时内随凌间黄来约于与还几"
)
_APOSTROPHES = str.maketrans("\u2018\u2019\u2032", "'''")  # phones type curly ones
_LATIN = re.compile(r"[a-z]")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff]")  # pasted from chat apps


def _normalise(text: str) -> str:
    """Fold width, case, script and spacing so the rules see one spelling (１２：００ -> 12:00)."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(_SIMPLIFIED)
    folded = folded.translate(_APOSTROPHES)
    return _SPACES.sub(" ", _INVISIBLE.sub("", folded))


def _language(lang: str) -> str:
    """'zh_CN', 'zh-Hant', 'ZH' -> 'zh'; anything but Chinese reads English first."""
    return "zh" if lang.strip().lower()[:2] == "zh" else "en"


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
_EN_NUMBER = "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
_EN_HOUR = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"


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


# --- what was said ----------------------------------------------------------------------


class _Part(Enum):
    """A part of the day, which moves the hours said within it."""

    EARLY = "early"  # 早上, early morning
    MORNING = "morning"  # 上午, morning
    NOON = "noon"  # 中午
    AFTERNOON = "afternoon"  # 下午, afternoon
    DUSK = "dusk"  # 傍晚
    EVENING = "evening"  # 晚上, tonight, evening, night
    LATE_NIGHT = "late_night"  # 半夜, 深夜: belongs to the evening before
    SMALL_HOURS = "small_hours"  # 凌晨: belongs to the day it starts


_USUAL_HOUR = {
    _Part.EARLY: 8,
    _Part.MORNING: 9,
    _Part.NOON: 12,
    _Part.AFTERNOON: 14,
    _Part.DUSK: 18,
    _Part.EVENING: 19,
}
_NIGHT = (_Part.EVENING, _Part.LATE_NIGHT)


def _hour_in_part(part: _Part, hour: int) -> tuple[int, int]:
    """(24-hour hour, days to add) for an hour said without am/pm inside `part`."""
    match part:
        case _Part.EARLY | _Part.MORNING if hour <= 12:
            return hour, 0
        case _Part.NOON if 1 <= hour <= 3:
            return hour + 12, 0
        case _Part.NOON if 11 <= hour <= 14:
            return hour, 0
        case _Part.AFTERNOON | _Part.DUSK if 1 <= hour <= 11:
            return hour + 12, 0
        case _Part.AFTERNOON | _Part.DUSK if hour >= 12:
            return hour, 0
        case _Part.EVENING | _Part.LATE_NIGHT if hour <= 4 or hour == 12:
            return hour % 12, 1  # 晚上12点, 今晚1点: after midnight
        case _Part.EVENING | _Part.LATE_NIGHT if hour <= 11:
            return hour + 12, 0
        case _Part.EVENING | _Part.LATE_NIGHT:
            return hour, 0
        case _Part.SMALL_HOURS if hour <= 6 or hour == 12:
            return hour % 12, 0
    raise DateNotUnderstood("invalid_time")  # 上午15点, 凌晨9点: the part contradicts the hour


@dataclass(frozen=True)
class _Clock:
    """A time of day as written, before the day part and am/pm settle its hour."""

    hour: int
    minute: int = 0
    meridiem: str | None = None  # "a" or "p"
    literal: bool = False  # written 24-hour style ("09:30"): no afternoon guess

    def on(self, part: _Part | None) -> tuple[int, int, int]:
        """(hour, minute, days to add) once `part` (which may be None) is applied."""
        if not (0 <= self.minute <= 59 and 0 <= self.hour <= 24):
            raise DateNotUnderstood("invalid_time")
        if self.hour == 24:
            if self.minute:
                raise DateNotUnderstood("invalid_time")
            return 0, 0, 1  # 24点, midnight: the end of the day
        if self.meridiem is not None:
            hour = self._meridiem_hour()
            return hour, self.minute, 1 if part in _NIGHT and hour < 5 else 0
        if part is None:
            afternoon = not self.literal and 1 <= self.hour <= 6
            return self.hour + 12 if afternoon else self.hour, self.minute, 0
        hour, carry = _hour_in_part(part, self.hour)
        return hour, self.minute, carry

    def _meridiem_hour(self) -> int:
        """12am = 00, 12pm = 12, 3pm = 15; 0am or 13pm do not exist."""
        if not 1 <= self.hour <= 12:
            raise DateNotUnderstood("invalid_time")
        return self.hour % 12 + (12 if self.meridiem == "p" else 0)


_MIDNIGHT = _Clock(24)
_NOON = _Clock(12)


class _Day(Protocol):
    """Which days a phrase can mean, nearest first."""

    @property
    def anchored(self) -> bool:
        """True when the text fixed the day: it is kept even when past."""
        ...

    def candidates(self, today: date) -> list[date]:
        """The days meant, seen from `today`; empty when none exists."""
        ...


@dataclass(frozen=True)
class _On:
    """A day the text fixes: 明天, 下周三, 2026-12-03, 3天后."""

    day: date
    anchored: ClassVar[bool] = True

    def candidates(self, today: date) -> list[date]:
        """Just the day."""
        return [self.day]


@dataclass(frozen=True)
class _Yearly:
    """Month and day without a year (3月5日, March 5): this year or next."""

    month: int
    day: int
    anchored: ClassVar[bool] = False

    def candidates(self, today: date) -> list[date]:
        """This year's and next year's, those that exist (2月29日 only in leap years)."""
        return [
            d for year in (today.year, today.year + 1) if (d := _date(year, self.month, self.day))
        ]


@dataclass(frozen=True)
class _Monthly:
    """A day of the month alone (5号, the 5th): this month or a following one."""

    day: int
    anchored: ClassVar[bool] = False

    def candidates(self, today: date) -> list[date]:
        """This month's and the next two months' (31号 skips the short months)."""
        firsts = [_add_months(today.replace(day=1), ahead) for ahead in range(3)]
        return [d for first in firsts if (d := _date(first.year, first.month, self.day))]


@dataclass(frozen=True)
class _Weekly:
    """A weekday alone (周五, Friday; 1 = Monday): this one or next week's."""

    weekday: int
    anchored: ClassVar[bool] = False

    def candidates(self, today: date) -> list[date]:
        """The next such weekday from today on, and the one a week later."""
        first = today + timedelta(days=(self.weekday - 1 - today.weekday()) % 7)
        return [first, first + timedelta(weeks=1)]


@dataclass(frozen=True)
class _Daily:
    """No day said, only a time (晚上八点, 10am): today or tomorrow."""

    anchored: ClassVar[bool] = False

    def candidates(self, today: date) -> list[date]:
        """Today and tomorrow."""
        return [today, today + timedelta(days=1)]


def _date(year: int, month: int, day: int) -> date | None:
    """The date, or None when the calendar has no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's end (1-31 + 1 -> 2-28)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _week_day(today: date, weeks: int, weekday: int) -> date:
    """The `weekday` (1 = Monday) of the week `weeks` after this one (weeks start Monday)."""
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks, days=weekday - 1)


def _localise(naive: datetime, zone: tzinfo) -> datetime:
    """Attach `zone`; a wall time skipped by a DST change moves forward to a real instant."""
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _is_past(when: When, now: datetime) -> bool:
    """A day is past when before today; a moment when before the current minute."""
    if when.has_time:
        return when.value < now.replace(second=0, microsecond=0)
    return when.value.date() < now.date()


Slot = Literal["day", "weekday", "part", "clock", "moment"]


@dataclass
class _Reading:
    """The slots a text fills as it is read; `resolve` turns them into a `When`."""

    now: datetime
    day: _Day | None = None
    weekday: int | None = None
    part: _Part | None = None
    clock: _Clock | None = None
    moment: datetime | None = None
    vague: bool = False

    @property
    def today(self) -> date:
        """The local date of `now`."""
        return self.now.date()

    def fill(self, slot: Slot, value: object) -> None:
        """Fill `slot`; a second day, time or part means the text names more than one."""
        if getattr(self, slot) is not None:
            raise DateNotUnderstood("no_single_date")
        setattr(self, slot, value)

    def shift(self, amount: float, unit: str) -> None:
        """Fill the day or the moment `amount` `unit`s from now (negative: ago)."""
        if unit in ("hours", "minutes"):
            later = self.now.replace(second=0, microsecond=0).astimezone(UTC)
            later += timedelta(**{unit: amount})  # real time, so DST changes count
            self.fill("moment", later.astimezone(self.now.tzinfo))
            return
        if amount != int(amount):
            raise DateNotUnderstood("no_single_date")  # 半天后, 半个月后: not a day
        whole = int(amount)
        if unit in ("months", "years"):
            self.fill("day", _On(_add_months(self.today, whole * (12 if unit == "years" else 1))))
        else:
            self.fill(
                "day", _On(self.today + timedelta(days=whole * (7 if unit == "weeks" else 1)))
            )

    def resolve(self) -> When:
        """The one day or moment the slots name."""
        if self.moment is not None:
            if any(slot is not None for slot in (self.day, self.weekday, self.part, self.clock)):
                raise DateNotUnderstood("no_single_date")  # "明天 2小时后"
            return When(self.moment, True)
        time_of_day = self._time_of_day()
        day, when = self._choose(self._day_spec(time_of_day), time_of_day)
        if self.day is not None and self.weekday is not None and day.isoweekday() != self.weekday:
            raise DateNotUnderstood("no_single_date")  # 12月5日周五: two different days
        return when

    def _time_of_day(self) -> tuple[int, int, int] | None:
        """(hour, minute, days to add), from the clock or the part's usual hour; None if neither."""
        if self.clock is not None:
            return self.clock.on(self.part)
        if self.part is None:
            return None
        if self.part not in _USUAL_HOUR:
            raise DateNotUnderstood("no_single_date")  # 明天凌晨: no usual hour, ask
        return _USUAL_HOUR[self.part], 0, 0

    def _day_spec(self, time_of_day: tuple[int, int, int] | None) -> _Day:
        """The day slot, else the bare weekday, else today-or-tomorrow when a time was said."""
        if self.day is not None:
            return self.day
        if self.weekday is not None:
            return _Weekly(self.weekday)
        if time_of_day is not None:
            return _Daily()
        raise DateNotUnderstood("no_single_date" if self.vague else "unrecognised")

    def _choose(self, spec: _Day, time_of_day: tuple[int, int, int] | None) -> tuple[date, When]:
        """The first candidate day not yet past (any, when anchored), with its `When`."""
        for day in spec.candidates(self.today):
            when = self._at(day, time_of_day)
            if spec.anchored or not _is_past(when, self.now):
                return day, when
        raise DateNotUnderstood("invalid_date")  # 2月30日, or a 2月29日 that never comes

    def _at(self, day: date, time_of_day: tuple[int, int, int] | None) -> When:
        """`day` at `time_of_day` (or its start) in the zone of `now`."""
        zone = self.now.tzinfo
        assert zone is not None  # parse_when refuses naive `now`
        if time_of_day is None:
            return When(_localise(datetime.combine(day, time()), zone), False)
        hour, minute, carry = time_of_day
        naive = datetime.combine(day + timedelta(days=carry), time(hour, minute))
        return When(_localise(naive, zone), True)


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
    first = _add_months(reading.today.replace(day=1), months_ahead)
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


# Chinese -------------------------------------------------------------------------------

_ZH_DAYS = {
    "今天": 0, "今日": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2, "大后天": 3,
    "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
}  # fmt: skip
_ZH_DAY_PARTS = {
    "今晚": (0, _Part.EVENING), "明晚": (1, _Part.EVENING), "昨晚": (-1, _Part.EVENING),
    "今早": (0, _Part.EARLY), "今晨": (0, _Part.EARLY), "明早": (1, _Part.EARLY),
    "明晨": (1, _Part.EARLY),
}  # fmt: skip
_ZH_PARTS = {
    "早上": _Part.EARLY, "早晨": _Part.EARLY, "清晨": _Part.EARLY, "一早": _Part.EARLY,
    "早": _Part.EARLY, "上午": _Part.MORNING, "中午": _Part.NOON, "正午": _Part.NOON,
    "下午": _Part.AFTERNOON, "午后": _Part.AFTERNOON, "傍晚": _Part.DUSK, "黄昏": _Part.DUSK,
    "晚上": _Part.EVENING, "晚间": _Part.EVENING, "夜晚": _Part.EVENING, "夜里": _Part.EVENING,
    "夜间": _Part.EVENING, "晚": _Part.EVENING, "半夜": _Part.LATE_NIGHT,
    "深夜": _Part.LATE_NIGHT, "午夜": _Part.LATE_NIGHT, "凌晨": _Part.SMALL_HOURS,
}  # fmt: skip
_ZH_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_ZH_WEEKS = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1, "上上": -2}
_ZH_YEARS = {"去年": -1, "今年": 0, "明年": 1, "后年": 2}
_ZH_MONTHS = {"上": -1, "这": 0, "本": 0, "下": 1}
_ZH_UNITS = {
    "天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks", "月": "months",
    "年": "years", "小时": "hours", "钟头": "hours", "分钟": "minutes", "分": "minutes",
    "刻钟": "quarters",
}  # fmt: skip
_ZH_VAGUE = (
    "随便|随时|都行|都可以|皆可|均可|看情况|待定|再说|再定|不确定|不知道|不一定|改天|改日|有空|"
    "尽快|近期|最近|过两天|过几天|回头|到时候|将来|马上|稍后|晚点|晚些|等通知|什么时候|"
    "啥时候|何时|哪天|几点|几号|几\\s*个?\\s*(?:天|周|星期|礼拜|月|年|小时|钟头|分钟)"
    "(?:以后|之后|后|以内|之内|内)?"
)
_ZH_AMOUNT = (
    rf"(?P<n>\d+\.\d+|{_NUM}|半)\s*个?\s*(?P<half>半)?\s*"
    r"(?P<unit>天|日|周|星期|礼拜|(?<=[个半])月|年|小时|钟头|分钟|分|刻钟)"
)
_ZH_WEEKDAY = r"(?:周|星期|礼拜)(?P<w>[1-7一二三四五六日天])"


def _zh_full_date(match: re.Match[str], reading: _Reading) -> None:
    """2026年12月3日, 二〇二六年十二月三日."""
    _on_year(reading, _int(match["y"]), _int(match["m"]), _int(match["d"]))


def _zh_year_date(match: re.Match[str], reading: _Reading) -> None:
    """明年3月5日, 今年12月1号."""
    year = reading.today.year + _ZH_YEARS[match["rel"]]
    _on_year(reading, year, _int(match["m"]), _int(match["d"]))


def _zh_month_date(match: re.Match[str], reading: _Reading) -> None:
    """下个月5号, 本月20日."""
    _in_month(reading, _ZH_MONTHS[match["rel"]], _int(match["d"]))


def _zh_month_day(match: re.Match[str], reading: _Reading) -> None:
    """12月3日, 十二月三号, 3月5."""
    _month_and_day(reading, None, _int(match["m"]), _int(match["d"]))


def _zh_day_of_month(match: re.Match[str], reading: _Reading) -> None:
    """5号, 二十日."""
    reading.fill("day", _Monthly(_int(match["d"])))


def _zh_offset(match: re.Match[str], reading: _Reading) -> None:
    """3天后, 两周后, 一个半小时后, 半小时后, 再过30分钟, 3天前; N天内 is a span."""
    direction = match["dir"] or "后"  # 再过3天: 过 says "later" already
    if direction.endswith("内"):
        raise DateNotUnderstood("no_single_date")
    amount = _amount(match["n"]) + (0.5 if match["half"] else 0)
    unit = _ZH_UNITS[match["unit"]]
    if unit == "quarters":
        amount, unit = amount * 15, "minutes"
    reading.shift(-amount if direction.endswith("前") else amount, unit)


def _zh_weekday(match: re.Match[str], reading: _Reading) -> None:
    """周五 (a bare weekday), 这周五, 下周三, 下下周二, 上周一 (a weekday in a given week)."""
    weekday = _ZH_WEEKDAYS.get(match["w"]) or int(match["w"])
    prefix = match["pre"]
    if prefix is None:
        reading.fill("weekday", weekday)
    else:
        weeks = _ZH_WEEKS[prefix.removesuffix("个")]
        reading.fill("day", _On(_week_day(reading.today, weeks, weekday)))


def _zh_part(match: re.Match[str], reading: _Reading) -> None:
    """上午, 下午, 晚上, 凌晨..."""
    reading.fill("part", _ZH_PARTS[match[0]])


def _zh_clock(match: re.Match[str], reading: _Reading) -> None:
    """3点, 十点半, 9点一刻, 9点三刻, 3点15分, 15时30分, 3点零5."""
    if match["half"]:
        minute = 30
    elif match["q"]:
        minute = 15 * _int(match["q"])
    else:
        minute = _int(match["mi"]) if match["mi"] else 0
    reading.fill("clock", _Clock(_int(match["h"]), minute))


_ZH_RULES = (
    _rule(_ZH_VAGUE, _mark_vague),
    _rule(r"现在", _now),
    _rule(_HOLIDAY, _holiday),
    _rule(rf"{_NUM}\s*(?:-|~|〜|到|至)\s*{_NUM}\s*(?:点|时|号|日)", _refuse_period),
    _rule(
        rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})\s*年\s*(?P<m>{_NUM})\s*月\s*"
        rf"(?P<d>{_NUM})\s*[日号]?",
        _zh_full_date,
    ),
    _rule(
        rf"(?P<rel>{_alternatives(_ZH_YEARS)})\s*(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*[日号]?",
        _zh_year_date,
    ),
    _rule(rf"(?P<rel>下|上|这|本)个?月\s*(?P<d>{_NUM})\s*[日号]", _zh_month_date),
    _rule(rf"{_ZH_AMOUNT}\s*(?P<dir>以后|之后|过后|后|以前|之前|前|以内|之内|内)", _zh_offset),
    _rule(rf"再?过\s*{_ZH_AMOUNT}(?:\s*(?P<dir>以后|之后|后))?", _zh_offset),
    _rule(
        rf"(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*(?:[日号]|(?![点时分:.\d零〇一二两三四五六七八九十百]))",
        _zh_month_day,
    ),
    _rule(
        rf"(?P<h>{_NUM})\s*[点时](?:\s*钟)?(?:\s*(?P<half>半)|\s*(?P<q>[一二三123])\s*刻"
        rf"|(?P<mi>{_NUM})(?:\s*分)?)?(?:\s*整)?",
        _zh_clock,
    ),
    _rule(rf"(?P<d>{_NUM})\s*[号日]", _zh_day_of_month),
    _rule(_alternatives(_ZH_DAY_PARTS), _day_and_part(_ZH_DAY_PARTS)),
    _rule(_alternatives(_ZH_DAYS), _day_from_today(_ZH_DAYS)),
    _rule(rf"(?P<pre>下下个?|上上个?|下个?|上个?|这个?|本)?\s*{_ZH_WEEKDAY}", _zh_weekday),
    _rule(r"午夜(?!\s*[0-9零〇一二两三四五六七八九十])", _midnight),
    _rule(_alternatives(_ZH_PARTS), _zh_part),
    _rule(
        r"(?:下下|上上|下|上|这|本)?个?(?:周|星期|礼拜)[末]?|(?:下|上|这|本)个?月|"
        rf"(?:{_alternatives(_ZH_YEARS)})|{_NUM}\s*[年月]|[月年](?:底|初|中|末)|[上中下]旬|"
        r"[以之](?:后|前|内)",
        _refuse_period,
    ),
    _rule(
        r"大约|大概|左右|前后|到达|抵达|出发|离开|或者|还是|[的在于是约到来走吧呢啊哦了或和与跟及至]",
        _skip,
    ),
)


# English -------------------------------------------------------------------------------

_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 1, "mon": 1, "tuesday": 2, "tues": 2, "tue": 2, "wednesday": 3, "weds": 3,
    "wed": 3, "thursday": 4, "thurs": 4, "thur": 4, "thu": 4, "friday": 5, "fri": 5,
    "saturday": 6, "sat": 6, "sunday": 7, "sun": 7,
}  # fmt: skip
_EN_DAYS = {
    "today": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "tomorow": 1, "yesterday": -1,
    "day after tomorrow": 2, "the day after tomorrow": 2, "day before yesterday": -2,
    "the day before yesterday": -2,
}  # fmt: skip
_EN_DAY_PARTS = {
    "tonight": (0, _Part.EVENING), "tonite": (0, _Part.EVENING),
    "this morning": (0, _Part.MORNING), "this afternoon": (0, _Part.AFTERNOON),
    "this evening": (0, _Part.EVENING), "last night": (-1, _Part.EVENING),
}  # fmt: skip
_EN_PARTS = {
    "early morning": _Part.EARLY, "morning": _Part.MORNING, "lunchtime": _Part.NOON,
    "lunch": _Part.NOON, "afternoon": _Part.AFTERNOON,
    "evening": _Part.EVENING, "night": _Part.EVENING,
}  # fmt: skip
_EN_UNITS = {
    "minute": "minutes", "min": "minutes", "hour": "hours", "hr": "hours", "day": "days",
    "week": "weeks", "wk": "weeks", "fortnight": "fortnights", "month": "months",
    "year": "years", "yr": "years",
}  # fmt: skip
_MONTH = rf"(?P<mon>{_alternatives(_EN_MONTHS)})\b\.?"
_WEEKDAY = rf"(?P<w>{_alternatives(_EN_WEEKDAYS)})\b\.?"
_YEAR = r"(?:,?\s*(?P<y>(?:19|20)\d\d)\b)?"
_ORDINAL_NAMES = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip
_EN_ORDINALS = {
    **{name: day for day, name in enumerate(_ORDINAL_NAMES, start=1)},
    **{f"twenty-{name}": 20 + day for day, name in enumerate(_ORDINAL_NAMES[:9], start=1)},
    "thirtieth": 30,
    "thirty-first": 31,
}
_ORDINAL_WORD = _alternatives(_EN_ORDINALS).replace("-", "[- ]")
_DAY = rf"(?P<d>\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD})\b"  # 3, 3rd, third
# "the 3rd", "3rd", "the third" alone name a day of the month; "3" or "third" alone do not.
_NTH = rf"(?P<d>\d{{1,2}}(?:st|nd|rd|th)|(?<=the )(?:{_ORDINAL_WORD}))\b"
_MERIDIEM = r"(?P<mer>[ap])\.?\s?m\b\.?"
_EN_VAGUE = (
    r"(?:in\s+)?(?:whenever|whatever|any\s*time|some\s*time|some\s*day|any\s+day|tbd|tba|tbc|"
    r"soon|later|asap|as\s+soon\s+as\s+possible|when\s+possible|not\s+sure|no\s+idea|"
    r"don'?t\s+know|dunno|flexible|up\s+to\s+you|a\s+few\s+\w+|"
    r"(?:a\s+)?couple\s+(?:of\s+)?\w+|several\s+\w+)\b"
)


def _en_hour(word: str) -> int:
    """'3' or 'three' -> 3."""
    return int(word) if word.isdigit() else _EN_NUMBERS[word]


def _en_day(word: str) -> int:
    """'3', '3rd', 'third' or 'twenty first' -> the day of the month."""
    if word[0].isdigit():
        return int(word.rstrip("stndrh"))
    return _EN_ORDINALS[word.replace(" ", "-")]


def _en_month_day(match: re.Match[str], reading: _Reading) -> None:
    """Dec 3, December 3rd 2026, 3 Dec, the 3rd of December."""
    _month_and_day(reading, match["y"], _EN_MONTHS[match["mon"]], _en_day(match["d"]))


def _en_day_of_month(match: re.Match[str], reading: _Reading) -> None:
    """The 5th: this month's, or next month's once past."""
    reading.fill("day", _Monthly(_en_day(match["d"])))


def _en_month_date(match: re.Match[str], reading: _Reading) -> None:
    """The 5th of next month, the 20th this month."""
    _in_month(reading, 1 if match["rel"] == "next" else 0, _en_day(match["d"]))


def _en_weekday(match: re.Match[str], reading: _Reading) -> None:
    """Friday, this Friday (the coming one), next Friday (next week's), last Friday."""
    weekday = _EN_WEEKDAYS[match["w"]]
    prefix = match["pre"]
    if prefix == "next":
        reading.fill("day", _On(_week_day(reading.today, 1, weekday)))
    elif prefix == "last":
        back = (reading.today.isoweekday() - weekday - 1) % 7 + 1  # strictly before today
        reading.fill("day", _On(reading.today - timedelta(days=back)))
    else:
        reading.fill("weekday", weekday)


def _en_weekday_in_week(match: re.Match[str], reading: _Reading) -> None:
    """Friday next week, next week Friday, Monday this week."""
    weeks = 1 if match["week"] == "next" else 0
    reading.fill("day", _On(_week_day(reading.today, weeks, _EN_WEEKDAYS[match["w"]])))


def _en_part(match: re.Match[str], reading: _Reading) -> None:
    """Morning, in the afternoon, at night."""
    reading.fill("part", _EN_PARTS[match["p"]])


def _en_offset(match: re.Match[str], reading: _Reading) -> None:
    """In 3 days, 2 hours from now, in an hour and a half, half an hour later, 3 days ago."""
    if match["within"]:
        raise DateNotUnderstood("no_single_date")
    ago = match["dir"] == "ago"
    if (match["in"] is None) == (match["dir"] is None) or (ago and match["in"]):
        raise DateNotUnderstood("unrecognised")  # "3 days" alone, "in 3 days ago"
    if match["halfhour"]:
        amount, unit = 0.5, "hours"
    else:
        amount = _amount(match["n"]) + (0.5 if match["andhalf"] else 0)
        unit = _EN_UNITS[match["unit"]]
    if unit == "fortnights":
        amount, unit = amount * 2, "weeks"
    reading.shift(-amount if ago else amount, unit)


def _en_meridiem(match: re.Match[str], reading: _Reading) -> None:
    """3pm, 10 a.m., 3:30pm, 12am."""
    minute = int(match["mi"]) if match["mi"] else 0
    reading.fill("clock", _Clock(int(match["h"]), minute, match["mer"]))


def _en_past_or_to(match: re.Match[str], reading: _Reading) -> None:
    """Half past 3, quarter past 10 am, quarter to 4 (3:45)."""
    hour = _en_hour(match["h"])
    if match["to"]:
        hour, minute = hour - 1, 45
    else:
        minute = 30 if match["half"] else 15
    reading.fill("clock", _Clock(hour if hour else 12, minute, match["mer"]))


def _en_bare_hour(match: re.Match[str], reading: _Reading) -> None:
    """At 3, around 10, 10 o'clock, three o'clock pm."""
    reading.fill("clock", _Clock(_en_hour(match["h"]), 0, match.groupdict().get("mer")))


_EN_RULES = (
    _rule(_EN_VAGUE, _mark_vague),
    _rule(r"(?:right\s+)?now\b", _now),
    _rule(rf"(?:{_HOLIDAY})\b", _holiday),
    _rule(
        rf"\d{{1,2}}(?::\d\d)?\s*(?:[ap]\.?m\.?)?\s*(?:-|–|~|to|until|till)\s*\d{{1,2}}(?::\d\d)?"
        rf"\s*{_MERIDIEM}",
        _refuse_period,
    ),
    _rule(
        rf"(?P<in>in\s+)?(?P<within>within\s+)?(?:(?P<halfhour>half\s+an?\s+hour)|"
        rf"(?P<n>\d+(?:\.\d+)?|{_EN_NUMBER})\s*(?P<unit>{_alternatives(_EN_UNITS)})s?\b"
        r"(?P<andhalf>\s+and\s+a\s+half)?)(?:'?\s+time\b)?"
        r"(?:\s+(?P<dir>from\s+now|from\s+today|later|hence|ago))?",
        _en_offset,
    ),
    _rule(
        rf"{_MONTH}\s*(?:the\s+)?{_DAY}"
        rf"(?!\s*(?::\d|[ap]\.?m\b|o'?clock)){_YEAR}",
        _en_month_day,
    ),
    _rule(rf"(?:the\s+)?{_DAY}\s*(?:of\s+)?{_MONTH}{_YEAR}", _en_month_day),
    _rule(
        rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<rel>next|this)\s+month\b",
        _en_month_date,
    ),
    _rule(rf"(?:the\s+)?{_NTH}", _en_day_of_month),
    _rule(rf"(?P<h>\d{{1,2}})(?:[:.](?P<mi>\d\d))?\s*{_MERIDIEM}", _en_meridiem),
    _rule(
        rf"(?:(?P<half>half)\s+past|quarter\s+(?:past|(?P<to>to)))\s+(?P<h>{_EN_HOUR})\b"
        rf"(?:\s*{_MERIDIEM})?",
        _en_past_or_to,
    ),
    _rule(rf"(?P<h>{_EN_HOUR})\s*o'?\s*clock\b(?:\s*{_MERIDIEM})?", _en_bare_hour),
    _rule(
        r"(?:at|around|about)\s+(?P<h>\d{1,2})\b(?![:./]\d|\s*(?:[ap]\.?m\b|o'?clock))",
        _en_bare_hour,
    ),
    _rule(
        rf"(?P<h>{_EN_HOUR})"
        r"(?=\s+(?:in\s+the\s+(?:morning|afternoon|evening)|at\s+night|tonight)\b)",
        _en_bare_hour,
    ),
    _rule(r"(?:12\s*)?(?:noon|midday)\b", _noon),
    _rule(r"(?:12\s*)?midnight\b", _midnight),
    _rule(rf"(?P<week>next|this)\s+week\s+(?:on\s+)?{_WEEKDAY}", _en_weekday_in_week),
    _rule(rf"{_WEEKDAY}\s+(?P<week>next|this)\s+week\b", _en_weekday_in_week),
    _rule(rf"(?:(?P<pre>next|last|this\s+coming|this|coming)\s+)?{_WEEKDAY}", _en_weekday),
    _rule(rf"(?:{_alternatives(_EN_DAY_PARTS)})\b", _day_and_part(_EN_DAY_PARTS)),
    _rule(rf"(?:{_alternatives(_EN_DAYS)})\b", _day_from_today(_EN_DAYS)),
    _rule(rf"(?:in\s+the\s+|at\s+)?(?P<p>{_alternatives(_EN_PARTS)})\b", _en_part),
    _rule(
        r"(?:(?:next|this|last)\s+(?:week|month|year)|(?:the\s+)?week\s+after\s+next|"
        r"(?:this\s+|next\s+)?weekend|after|before|until|till|by|since|from|between|within)\b|"
        rf"(?:in\s+)?{_MONTH}(?:\s+(?:19|20)\d\d\b)?",
        _refuse_period,
    ),
    _rule(
        r"(?:at|on|around|about|approx|approximately|arriving|arrive|arrives|arrival|"
        r"leaving|leave|leaves|departing|depart|departure|please|the|of|or|and|to)\b",
        _skip,
    ),
)


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

_RULES = {
    "zh": (*_ZH_RULES, *_EN_RULES, *_SHARED_RULES),
    "en": (*_EN_RULES, *_ZH_RULES, *_SHARED_RULES),
}


def _read(text: str, now: datetime, rules: tuple[_Rule, ...]) -> When:
    """Read all of `text` with `rules` (first match at each position wins) and resolve it."""
    reading = _Reading(now)
    position = 0
    try:
        while position < len(text):
            position = _read_token(text, position, rules, reading)
        return reading.resolve()
    except (ValueError, OverflowError) as error:
        if isinstance(error, DateNotUnderstood):
            raise
        # Calendar arithmetic out of range: 99999天后, year 0, month 13.
        raise DateNotUnderstood("invalid_date") from error


def _read_token(text: str, position: int, rules: tuple[_Rule, ...], reading: _Reading) -> int:
    """Apply the first rule matching at `position`; return where the next token starts."""
    for rule in rules:
        match = rule.pattern.match(text, position)
        if match and match.end() > position:
            rule.apply(match, reading)
            return match.end()
    raise DateNotUnderstood("unrecognised")


# --- dateparser, for English the rules cannot read ---------------------------------------

_TIME_HINT = re.compile(
    r"\d\s*[ap]\.?m\b|\d:\d\d|\d\s*h\s*\d\d|o'?clock|"
    r"\b(?:noon|midday|midnight|morning|afternoon|evening|tonight|night|"
    r"hours?|hrs?|minutes?|mins?)\b"
)
_PAST_HINT = re.compile(r"\b(?:ago|last|yesterday|before|previous|past)\b")
_NUMBERS = re.compile(r"\d+")


def _from_dateparser(text: str, now: datetime) -> When:
    """Ask dateparser, and keep its answer only if it passes `_trustworthy`."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if pop_tz_offset_from_string(text)[1] is not None:
        # "3pm EST": it would drop the zone, and CST is Chicago to it, China to our users.
        raise DateNotUnderstood("unrecognised")
    try:
        data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    except Exception as error:  # it raises assorted errors on odd text; none may escape
        raise DateNotUnderstood("unrecognised") from error
    found = data.date_obj
    if found is None or data.period != "day":
        raise DateNotUnderstood("unrecognised")  # "friday at 3" comes back as a month
    has_time = bool(_TIME_HINT.search(text))
    if has_time:
        wall = found.replace(second=0, microsecond=0)
    else:
        wall = datetime.combine(found.date(), time())
    zone = now.tzinfo
    assert zone is not None  # parse_when refuses naive `now`
    when = When(_localise(wall, zone), has_time)
    if not _trustworthy(text, when, now):
        raise DateNotUnderstood("unrecognised")
    return when


def _trustworthy(text: str, when: When, now: datetime) -> bool:
    """Not past unless the text says so, and every number typed shows in the result.

    dateparser drops what it cannot read without saying so ("5 days after tomorrow" is
    tomorrow, "tomorrow 1530" is tomorrow 09:00, "a week from today" is a week ago).
    """
    if _is_past(when, now) and not _PAST_HINT.search(text):
        return False
    value = when.value
    shown = {value.year, value.month, value.day}
    if when.has_time:
        shown |= {value.hour, value.minute, value.hour % 12 or 12}
    return all(int(number) in shown for number in _NUMBERS.findall(text))
