"""The policy's sections ([org], [approval], … [working_days]): their keys and defaults."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
)

from handlers.engine.i18n import LOCALES
from handlers.rules.policy.fields import (
    LINE_CEILING,
    MEAL_CAP_CEILING,
    Amount,
    ClockTime,
    Count,
    Dates,
    Hours,
    Keys,
    Months,
    _distinct,
    _matching,
    _shown,
    parse_hours,
)

DEFAULT_TIMEZONE = "Asia/Shanghai"

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PlanDeadline = Literal["last_working_day", "last_day"]
SheetReader = Literal["host", "manager", "vp", "gm", "chairman", "finance", "admin_office"]

_CURRENCY = re.compile(r"[A-Z]{3}")


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be a time zone like Asia/Shanghai") from None
    return name


def _locale(name: str) -> str:
    if name not in LOCALES:
        raise ValueError(f"must be one of {', '.join(LOCALES)}")
    return name


class _Section(BaseModel):
    # frozen: one policy is shared by every flow; forbid: a misspelt key must not pass silently.
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrgPolicy(_Section):
    default_locale: Annotated[str, AfterValidator(_locale)] = "zh_CN"
    default_timezone: Annotated[str, AfterValidator(_zone)] = DEFAULT_TIMEZONE
    currency: Annotated[str, _matching(_CURRENCY, "a currency code like CNY")] = "CNY"
    employee_meal_cap: Amount = Field(Decimal(50), le=MEAL_CAP_CEILING)
    # A link code not used within this many days stops working (`org invite` makes a new one).
    link_code_valid_days: Count = Field(30, ge=1, le=366)


class ApprovalPolicy(_Section):
    # A total above it adds finance last.
    finance_threshold: Amount = Field(Decimal(5000), le=10_000_000)
    finance_for_company_hotel: StrictBool = True
    remind_after_working_hours: Hours = Field(4.0, le=200)
    # validate_default: a raised reminder must still come before the default escalation.
    escalate_after_working_hours: Hours = Field(8.0, le=400, validate_default=True)
    # Still undecided this close: flagged.
    at_risk_working_days_before_arrival: Count = Field(2, le=30)

    @field_validator("escalate_after_working_hours")
    @classmethod
    def _after_reminder(cls, value: float, info: ValidationInfo) -> float:
        remind = info.data.get("remind_after_working_hours")
        if remind is not None and value <= remind:
            raise ValueError(f"must be more than remind_after_working_hours ({remind:g})")
        return value


class BudgetPolicy(_Section):
    """The most one reception may budget on each line: past it a typo or a joke (gifts 1e9),
    refused at the question, never a total nobody meant."""

    meal_per_head_max: Amount = Field(Decimal(1000), ge=1, le=MEAL_CAP_CEILING)
    transport_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    hotel_max: Amount = Field(Decimal(50000), ge=1, le=LINE_CEILING)
    gifts_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    other_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    # Drinks and tobacco (烟酒): a line of their own, outside the meal cap (seed 000).
    drinks_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)


class ReceptionPolicy(_Section):
    min_lead_days: Count = Field(1, le=60)  # calendar days (24 h) from submitting to arrival
    min_lead_days_with_leaders: Count = Field(2, le=60, validate_default=True)
    purposes: Keys = Field(
        ("tour", "talks", "audit", "meeting", "other"), min_length=1, max_length=20
    )
    leaders: Annotated[Keys, Field(max_length=20)] = ("gm", "chairman", "vp")
    leaders_needing_longer_lead: Keys = Field(("gm", "chairman"), validate_default=True)
    follow_up_after_working_days: Count = Field(1, le=30)  # unread ([follow_up]); old files load
    close_out_after_departure_hours: Hours = Field(2.0, le=720)
    # A longer stay, or an arrival over a year ahead, is asked to be confirmed (a slipped year).
    max_stay_days: Count = Field(14, ge=1, le=366)
    # The arrangement sheet (接待安排表, seed 000): a read-only copy to these people this many
    # days before the arrival, at the start of working hours. "manager": the requester's;
    # "host": who hosts by class; any other: every holder of that org role.
    arrangement_sheet_to: Annotated[
        tuple[SheetReader, ...], Field(max_length=10), AfterValidator(_distinct)
    ] = ("gm", "vp", "manager")
    arrangement_sheet_days_before: Count = Field(1, le=30)

    @field_validator("min_lead_days_with_leaders")
    @classmethod
    def _not_shorter(cls, value: int, info: ValidationInfo) -> int:
        shortest = info.data.get("min_lead_days")
        if shortest is not None and value < shortest:
            raise ValueError(f"must be at least min_lead_days ({shortest})")
        return value

    @field_validator("leaders_needing_longer_lead")
    @classmethod
    def _known_leaders(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        leaders = info.data.get("leaders", ())
        for leader in value:
            if leader not in leaders:
                raise ValueError(f"{_shown(leader)} is not in leaders")
        return value


class VisitFrequency(_Section):
    local: Months = Field(1, le=36)
    province: Months = Field(3, le=36)
    other: Months = Field(6, le=36)


class VisitsPolicy(_Section):
    report_due_days: Count = Field(2, le=30)  # working days after the visit
    # Digests list missing reports of plans this far back.
    missing_report_months: Count = Field(1, le=12)
    frequency_months: VisitFrequency = Field(default_factory=VisitFrequency)
    plan_deadline: PlanDeadline = "last_working_day"
    plan_reminder_working_days_before: Count = Field(3, le=20)


class DigestPolicy(_Section):
    time: ClockTime = dt.time(8, 30)
    working_days_only: StrictBool = True
    weekly_chart_weekday: Weekday = "monday"

    @property
    def weekly_chart_weekday_number(self) -> int:
        """As `date.weekday()` counts: Monday is 0."""
        return get_args(Weekday).index(self.weekly_chart_weekday)


class WorkingDaysPolicy(_Section):
    calendar: Literal["cn", "weekends"] = "cn"
    hours: str = "09:00-18:00"  # kept as written; day_start / day_end read it
    extra_holidays: Annotated[Dates, Field(max_length=366)] = ()
    extra_workdays: Annotated[Dates, Field(max_length=366)] = ()

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("extra_workdays")
    @classmethod
    def _not_both(cls, value: tuple[dt.date, ...], info: ValidationInfo) -> tuple[dt.date, ...]:
        holidays = info.data.get("extra_holidays", ())
        for day in value:
            if day in holidays:
                raise ValueError(f"{day} is also in extra_holidays")
        return value

    @property
    def day_start(self) -> dt.time:
        return parse_hours(self.hours)[0]

    @property
    def day_end(self) -> dt.time:
        return parse_hours(self.hours)[1]


class FieldPolicy(_Section):
    """The day in the field (seeds 001, 003): visiting hours (从上午8点至下午4点30分), how far
    from a client a check-in is flagged, the daily report's expense items, and the checklist
    each planned visit's morning brings (名片、样品、价格表、工作证)."""

    visiting_hours: str = "08:00-16:30"  # outside it a check-in or visit is flagged, never refused
    far_from_client_m: Count = Field(500, ge=10, le=100_000)
    expense_items: Keys = Field(
        ("transport", "meals", "gifts", "other"), min_length=1, max_length=12
    )
    expense_item_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    checklist: Annotated[Keys, Field(max_length=12)] = (
        "appointment",
        "cards",
        "samples",
        "price_list",
        "brochures",
        "badge",
    )
    checklist_time: ClockTime = dt.time(7, 30)  # the morning of the planned visit, own zone

    @field_validator("visiting_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @property
    def visiting_start(self) -> dt.time:
        return parse_hours(self.visiting_hours)[0]

    @property
    def visiting_end(self) -> dt.time:
        return parse_hours(self.visiting_hours)[1]
