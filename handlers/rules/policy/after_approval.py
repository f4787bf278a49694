"""The policy's sections for what follows an approval: [follow_up] (when the follow-up call is
due) and [admin_work] (the admin office's reminders before a tour or a meal)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from handlers.rules.policy.fields import Count, Hours, _distinct
from handlers.rules.policy.sections import _Section

Travel = Literal["plane", "train", "car", "other"]
TRAVEL_MODES: tuple[str, ...] = get_args(Travel)
# Who acts before a tour or a meal: the host (the requester) or the admin office.
Actor = Literal["host", "admin_office"]
Actors = Annotated[tuple[Actor, ...], AfterValidator(_distinct)]


class TravelHours(_Section):
    """Hours from leaving us to being home, by how the guests travel (seed 004: 按航班号(车次),
    估计他们到达的时间)."""

    plane: Hours = Field(5.0, le=72)
    train: Hours = Field(5.0, le=72)
    car: Hours = Field(3.0, le=72)
    other: Hours = Field(6.0, le=72)

    def of(self, mode: str) -> float:
        return float(getattr(self, mode))


class FollowUpPolicy(_Section):
    travel_hours: TravelHours = Field(default_factory=TravelHours)
    # How the guests travel when nothing says so.
    default_travel: Travel = "other"


class AdminWorkPolicy(_Section):
    # 参观前一小时通知, 就餐前一小时通知订餐 (seed 000).
    remind_before_minutes: Count = Field(60, ge=5, le=480)
    tour_reminds: Actors = ("host", "admin_office")
    meal_reminds: Actors = ("host", "admin_office")
