"""What `parse_when` answers: a `When`, or a `DateNotUnderstood` whose `Reason` the bot can
explain (the reasons are listed in the package's docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["DateNotUnderstood", "Reason", "When"]


Reason = Literal["empty", "unrecognised", "invalid_date", "invalid_time", "no_single_date"]


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
