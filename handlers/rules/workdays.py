"""Working days and working hours: what every "within N working days/hours" rule counts.

By default these are China's: Monday–Friday, minus public holidays, plus the official
make-up working days (调休), taken from `chinese_calendar` for the years it ships data for.
The policy's extra_holidays / extra_workdays override any source. For a year the library
does not cover, days fall back to Monday–Friday plus the policy's lists; `uncovered_years`
says which years those are so the bot can tell the admin at start.

Working hours are the policy's daily range (e.g. 09:00–18:00) on working days, read in the
org's time zone; moments in any other zone are converted in and back out.
"""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

from handlers.rules.policy.schema import Policy
from handlers.rules.policy.sections import DEFAULT_TIMEZONE, WorkingDaysPolicy

_DAY = dt.timedelta(days=1)
_HOUR = dt.timedelta(hours=1)


@cache
def library_covers(year: int) -> bool:
    """Whether chinese_calendar has China's official calendar for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:  # its way of saying "no data for that year"
        return False
    return True


class WorkCalendar:
    def __init__(self, days: WorkingDaysPolicy, tz: dt.tzinfo | None = None) -> None:
        self._official = days.calendar == "cn"
        self._holidays = frozenset(days.extra_holidays)
        self._workdays = frozenset(days.extra_workdays)
        self._start, self._end = days.day_start, days.day_end
        self.tz = tz or ZoneInfo(DEFAULT_TIMEZONE)

    @classmethod
    def for_policy(cls, policy: Policy, tz: dt.tzinfo | None = None) -> WorkCalendar:
        """The policy's working days, with working hours in `tz` (a person's own, for hours
        that person works), else in the org's time zone."""
        return cls(policy.working_days, tz or ZoneInfo(policy.org.default_timezone))

    # --- days ------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        if self._official and library_covers(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        """Those of `years` that fall back to Monday–Friday plus the policy's lists.

        Empty with calendar = "weekends": there the fallback is what the admin asked for.
        """
        if not self._official:
            return []
        return sorted({year for year in years if not library_covers(year)})

    def coverage_gaps(self, today: dt.date) -> list[int]:
        """Uncovered years among this one and the next, which plans and bookings reach into."""
        return self.uncovered_years((today.year, today.year + 1))

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day after `day`."""
        return self.add_working_days(day, 1)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (before it when n < 0); `day` itself never counts."""
        step = _DAY if n >= 0 else -_DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days `add_working_days` steps over from `start` to reach `end`.

        Counts the working days in (start, end], or minus those in [end, start) when `end` is
        earlier, so `add_working_days(start, working_days_between(start, end)) == end` for
        any working day `end`.
        """
        if end < start:
            return -self._count(end, start - _DAY)
        return self._count(start + _DAY, end)

    def _count(self, first: dt.date, last: dt.date) -> int:
        days = (last - first).days + 1
        return sum(self.is_working_day(first + k * _DAY) for k in range(max(days, 0)))

    def last_working_day_of_month(self, year: int, month: int) -> dt.date:
        day = dt.date(year, month, monthrange(year, month)[1])
        while not self.is_working_day(day):
            day -= _DAY
        return day

    # --- hours -----------------------------------------------------------------------------

    def add_working_hours(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """The moment `hours` of working time after `moment`, in `moment`'s own zone.

        Time outside working hours and on days off does not count: with 09:00–18:00, Friday
        17:00 + 4 h is Monday 12:00. A result landing on a day's end stays there (Friday
        18:00, not Monday 09:00).
        """
        left = dt.timedelta(hours=hours)
        if left < dt.timedelta(0):
            raise ValueError("hours must be ≥ 0")
        if not left:
            return _aware(moment)
        local = _aware(moment).astimezone(self.tz)
        day = local.date()
        while True:
            window = self._window(day)
            if window is not None:
                begin = max(local, window[0])
                available = window[1] - begin
                if available >= left:
                    return (begin + left).astimezone(moment.tzinfo)
                left -= max(available, dt.timedelta(0))
            day += _DAY

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours from `start` to `end`; negative when `end` is earlier."""
        if _aware(end) < _aware(start):
            return -self.working_hours_between(end, start)
        start, end = start.astimezone(self.tz), end.astimezone(self.tz)
        total = dt.timedelta(0)
        for offset in range((end.date() - start.date()).days + 1):
            window = self._window(start.date() + offset * _DAY)
            if window is not None:
                overlap = min(end, window[1]) - max(start, window[0])
                total += max(overlap, dt.timedelta(0))
        return total / _HOUR

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """`day`'s working hours in the calendar's zone; None on a day off."""
        if not self.is_working_day(day):
            return None
        return (
            dt.datetime.combine(day, self._start, self.tz),
            dt.datetime.combine(day, self._end, self.tz),
        )


def _aware(moment: dt.datetime) -> dt.datetime:
    # A naive datetime has no place on a calendar that spans time zones.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is needed")
    return moment
