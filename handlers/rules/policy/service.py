"""The policy's sections for the scored month, satisfaction and complaints (SPEC §7a):
[assessment] (seed 003, 客户专人月度考核表), [satisfaction] (seed 001, 回访满意度) and
[complaints] (seed 003, 投诉问题应答质量标准: 10 minutes, 20 minutes, 24 hours)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from handlers.rules.policy.fields import Count, Key
from handlers.rules.policy.sections import _Section

# Where an item's actual comes from: visits made against the plan, clients added, visits
# whose outcome was "won", the month's average satisfaction, or the manager's mark.
Source = Literal["visits", "new_clients", "deals", "satisfaction", "manual"]
TARGETED: tuple[Source, ...] = ("new_clients", "deals")  # their targets are in the plan


class AssessmentItem(_Section):
    weight: Annotated[int, Field(ge=1, le=100, strict=True)]
    source: Source


DEFAULT_ITEMS = {
    "visits": AssessmentItem(weight=40, source="visits"),
    "expansion": AssessmentItem(weight=25, source="new_clients"),
    "deals": AssessmentItem(weight=20, source="deals"),
    "daily_work": AssessmentItem(weight=15, source="manual"),
}


def _whole(items: dict[str, AssessmentItem]) -> dict[str, AssessmentItem]:
    sources = [item.source for item in items.values() if item.source != "manual"]
    for index, source in enumerate(sources):
        if source in sources[:index]:
            raise ValueError(f"counts the source {source!r} twice (one item per source)")
    total = sum(item.weight for item in items.values())
    if total != 100:
        raise ValueError(f"weights must add up to 100, not {total}")
    return items


class AssessmentPolicy(_Section):
    # In the order shown; the key names the item (`assess.item.<key>` in the catalogs).
    items: Annotated[
        dict[Key, AssessmentItem], Field(min_length=1, max_length=10), AfterValidator(_whole)
    ] = Field(default_factory=lambda: dict(DEFAULT_ITEMS))
    # The manager's mark on a manual item: 1 to this.
    mark_max: Count = Field(5, ge=2, le=10)
    # An item's score counts its completion rate up to this percent (100: no extra for more).
    rate_cap_percent: Count = Field(100, ge=100, le=300)
    # Managers are asked for their marks this many working days before the month's last
    # working day (0: on it).
    mark_working_days_before_month_end: Count = Field(0, le=10)
    # Points taken off the total for each repeat complaint of the person's clients (seed 003:
    # 引起客户再次投诉…记录在考核栏上); 0 marks them without taking points.
    repeat_complaint_points: Count = Field(0, le=100)


class SatisfactionPolicy(_Section):
    # The call back (回访) is due this many working days after the visit, at the start of
    # working hours.
    after_working_days: Count = Field(1, le=30)
    # A score at or below this opens a complaint (0: none does).
    complaint_at_or_below: Count = Field(2, le=5)
    # Visits older than this many days get no call-back reminder any more.
    chase_days: Count = Field(14, ge=1, le=90)


class ComplaintsPolicy(_Section):
    # Seed 003: tell the department responsible within 10 minutes of the call, answer the
    # client within 20 minutes after that, call the client back within 24 hours.
    tell_minutes: Count = Field(10, ge=1, le=1440)
    answer_minutes: Count = Field(20, ge=1, le=1440)
    call_back_hours: Count = Field(24, ge=1, le=720)
    # A step still not done this long after its deadline goes to the manager.
    escalate_after_minutes: Count = Field(30, ge=1, le=1440)
    # Another complaint from the same client within this many days is a repeat.
    repeat_within_days: Count = Field(30, ge=1, le=365)
