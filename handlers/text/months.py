"""Calendar months, the one month arithmetic everything uses: `Month` (the next one, N months
on, its first and last day, its instants in a zone), `add_months` for a day, and
`parse_month`, which reads a month as people write it."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from handlers.engine.i18n import Translator

__all__ = ["Month", "add_months", "parse_month"]


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.clamped(31)

    @property
    def next(self) -> Month:
        return self.plus(1)

    def plus(self, months: int) -> Month:
        """The month `months` after this one (negative: before)."""
        year, month0 = divmod(self.year * 12 + self.month - 1 + months, 12)
        return Month(year, month0 + 1)

    def clamped(self, day: int) -> date:
        """Day `day` of the month, or its last day when the month is shorter."""
        return date(self.year, self.month, min(day, calendar.monthrange(self.year, self.month)[1]))

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The month as [start, end) instants: midnight on the 1st to midnight on the next 1st."""
        start = datetime.combine(self.first_day, datetime.min.time(), tz)
        end = datetime.combine(self.next.first_day, datetime.min.time(), tz)
        return start, end

    def covers(
        self,
        column: InstrumentedAttribute[date] | InstrumentedAttribute[datetime],
        tz: tzinfo | None = None,
    ) -> ColumnElement[bool]:
        """A WHERE clause: `column` falls in the month — a day column, or with `tz` an instant
        column, whose month runs from midnight to midnight in `tz`."""
        start, end = self.bounds(tz) if tz is not None else (self.first_day, self.next.first_day)
        return (column >= start) & (column < end)

    def label(self, t: Translator) -> str:
        """The month in the reader's words (2026年11月, 2026-11), for messages and charts."""
        return t("exp.month", year=self.year, month=self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, clamped to the month's end (1-31 + 1 -> 2-28)."""
    return Month.of(day).plus(months).clamped(day.day)


# ---------------------------------------------------------------------------- reading a month

_MONTH_NAMES = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?")
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*/\s*(\d{4})")
_MONTH_ONLY = re.compile(r"(\d{1,2})\s*月(?:份)?")
_NAMED = re.compile(r"([a-z]+)\.?(?:\s+(\d{4}))?")
# Months said from this one.
_FROM_THIS_MONTH = {
    **dict.fromkeys(("本月", "这个月", "当月", "this month"), 0),
    **dict.fromkeys(("上月", "上个月", "last month"), -1),
    **dict.fromkeys(("下月", "下个月", "next month"), 1),
}


def parse_month(text: str, today: date, ahead: bool) -> tuple[int, int] | None:
    """ "2026-12", "2026年12月", "12/2026", "12月", "Dec", "December 2026", "上个月",
    "next month" → (year, month).

    Without a year, the month is the nearest one not before this month when `ahead` (a plan),
    else the nearest one not after it (a scorecard). None when the text is not a month."""
    text = " ".join(text.lower().split())
    year: int | None = None
    if text in _FROM_THIS_MONTH:
        said = Month.of(today).plus(_FROM_THIS_MONTH[text])
        return said.year, said.month
    if found := _YEAR_MONTH.fullmatch(text):
        year, month = int(found[1]), int(found[2])
    elif found := _MONTH_YEAR.fullmatch(text):
        month, year = int(found[1]), int(found[2])
    elif found := _MONTH_ONLY.fullmatch(text):
        month = int(found[1])
    elif (found := _NAMED.fullmatch(text)) and found[1] in _MONTH_NAMES:
        month, year = _MONTH_NAMES[found[1]], int(found[2]) if found[2] else None
    else:
        return None
    if not 1 <= month <= 12:
        return None
    if year is None:
        year = today.year
        if ahead and month < today.month:
            year += 1
        elif not ahead and month > today.month:
            year -= 1
    return year, month
