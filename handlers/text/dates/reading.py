"""What was said: parts of the day, clock times, the days a phrase can mean, and the
`_Reading` whose slots the token rules fill and which resolves them into one `When`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import ClassVar, Literal, Protocol

from handlers.text.dates.answer import DateNotUnderstood, When
from handlers.text.months import Month, add_months

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
        firsts = [Month.of(today).plus(ahead).first_day for ahead in range(3)]
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
            self.fill("day", _On(add_months(self.today, whole * (12 if unit == "years" else 1))))
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
