"""Working days (China's calendar, the policy's own dates, the fallback for uncovered years)
and working-hours arithmetic."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handlers.rules.policy.load import parse_policy
from handlers.rules.policy.sections import WorkingDaysPolicy
from handlers.rules.workdays import WorkCalendar, library_covers

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def at(text: str, tz: dt.tzinfo = SHANGHAI) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(WorkingDaysPolicy())


def calendar_with(**days: object) -> WorkCalendar:
    return WorkCalendar(WorkingDaysPolicy.model_validate(days))


# --- China's calendar --------------------------------------------------------------------


def test_national_day_2026(cal: WorkCalendar) -> None:
    # 2026: National Day is 1–7 October; Mid-Autumn (25–27 September) is separate.
    assert not any(cal.is_working_day(d(f"2026-10-0{n}")) for n in range(1, 8))
    assert cal.is_working_day(d("2026-10-08"))
    assert cal.is_working_day(d("2026-09-30"))
    assert not cal.is_working_day(d("2026-09-25"))


def test_spring_festival_2026(cal: WorkCalendar) -> None:
    assert not any(cal.is_working_day(d(f"2026-02-{n}")) for n in range(15, 24))
    assert cal.is_working_day(d("2026-02-24"))


@pytest.mark.parametrize(
    "day",
    ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
)
def test_make_up_weekend_days_of_2026_are_working_days(cal: WorkCalendar, day: str) -> None:
    assert d(day).weekday() >= 5
    assert cal.is_working_day(d(day))


def test_ordinary_weeks(cal: WorkCalendar) -> None:
    week = [cal.is_working_day(d("2026-11-16") + dt.timedelta(days=k)) for k in range(7)]
    assert week == [True] * 5 + [False] * 2


def test_weekends_calendar_ignores_chinese_holidays() -> None:
    cal = calendar_with(calendar="weekends")
    assert cal.is_working_day(d("2026-10-01"))
    assert not cal.is_working_day(d("2026-10-10"))
    assert cal.uncovered_years([2027, 2099]) == []


def test_policy_lists_override_the_library() -> None:
    cal = calendar_with(extra_holidays=["2026-10-09"], extra_workdays=["2026-10-03"])
    assert not cal.is_working_day(d("2026-10-09"))  # a Friday the company gives off
    assert cal.is_working_day(d("2026-10-03"))  # a national holiday the company works
    assert not cal.is_working_day(d("2026-10-02"))


def test_uncovered_years_fall_back_to_weekdays_plus_the_lists() -> None:
    cal = calendar_with(extra_holidays=["2027-01-01"], extra_workdays=["2027-02-06"])
    assert not library_covers(2027)
    assert cal.uncovered_years([2025, 2026, 2027, 2003]) == [2003, 2027]
    assert not cal.is_working_day(d("2027-01-01"))  # Friday, off only thanks to the list
    assert cal.is_working_day(d("2027-01-04"))  # Monday
    assert not cal.is_working_day(d("2027-01-09"))  # Saturday
    assert cal.is_working_day(d("2027-02-06"))  # Saturday, on thanks to the list
    assert WorkCalendar(WorkingDaysPolicy()).is_working_day(d("2027-01-01"))


def test_coverage_gaps_look_at_this_year_and_the_next(cal: WorkCalendar) -> None:
    assert cal.coverage_gaps(d("2025-06-01")) == []
    assert cal.coverage_gaps(d("2026-11-18")) == [2027]
    assert cal.coverage_gaps(d("2027-03-01")) == [2027, 2028]


# --- counting days -----------------------------------------------------------------------


def test_next_working_day(cal: WorkCalendar) -> None:
    assert cal.next_working_day(d("2026-09-24")) == d("2026-09-28")  # over Mid-Autumn
    assert cal.next_working_day(d("2026-09-30")) == d("2026-10-08")  # over National Day
    assert cal.next_working_day(d("2026-10-09")) == d("2026-10-10")  # a make-up Saturday
    assert cal.next_working_day(d("2026-10-03")) == d("2026-10-08")


def test_add_working_days(cal: WorkCalendar) -> None:
    assert cal.add_working_days(d("2026-09-29"), 2) == d("2026-10-08")
    assert cal.add_working_days(d("2026-10-08"), -1) == d("2026-09-30")
    assert cal.add_working_days(d("2026-10-05"), -1) == d("2026-09-30")
    assert cal.add_working_days(d("2026-10-30"), -3) == d("2026-10-27")
    assert cal.add_working_days(d("2026-10-04"), 0) == d("2026-10-04")


def test_working_days_between(cal: WorkCalendar) -> None:
    assert cal.working_days_between(d("2026-09-30"), d("2026-10-08")) == 1
    assert cal.working_days_between(d("2026-09-24"), d("2026-10-09")) == 5
    assert cal.working_days_between(d("2026-10-09"), d("2026-09-24")) == -5
    assert cal.working_days_between(d("2026-10-05"), d("2026-10-05")) == 0


def test_working_days_between_undoes_add_working_days(cal: WorkCalendar) -> None:
    start = d("2026-09-15")
    days = [start + dt.timedelta(days=k) for k in range(40)]
    for a in days:
        for b in days:
            if cal.is_working_day(b):
                assert cal.add_working_days(a, cal.working_days_between(a, b)) == b


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 1, "2026-01-30"),  # the 31st is a Saturday
        (2026, 2, "2026-02-28"),  # a make-up Saturday
        (2026, 9, "2026-09-30"),
        (2026, 10, "2026-10-30"),
        (2027, 7, "2027-07-30"),  # fallback year: the 31st is a Saturday
    ],
)
def test_last_working_day_of_month(cal: WorkCalendar, year: int, month: int, expected: str) -> None:
    assert cal.last_working_day_of_month(year, month) == d(expected)


# --- working hours -----------------------------------------------------------------------


def test_hours_skip_the_weekend(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-03-06 17:00"), 4) == at("2026-03-09 12:00")


def test_hours_skip_a_holiday(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-09-30 16:00"), 4) == at("2026-10-08 11:00")


def test_hours_count_a_make_up_saturday(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-02-13 17:00"), 2) == at("2026-02-14 10:00")


def test_hours_start_counting_at_opening_time(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-03-09 07:00"), 1) == at("2026-03-09 10:00")
    assert cal.add_working_hours(at("2026-03-09 19:30"), 1.5) == at("2026-03-10 10:30")
    assert cal.add_working_hours(at("2026-03-07 11:00"), 0.25) == at("2026-03-09 09:15")


def test_hours_ending_at_closing_time_stay_there(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-03-06 17:00"), 1) == at("2026-03-06 18:00")
    assert cal.add_working_hours(at("2026-03-06 09:00"), 9) == at("2026-03-06 18:00")
    assert cal.add_working_hours(at("2026-03-06 09:00"), 9.5) == at("2026-03-09 09:30")


def test_zero_hours_is_the_same_moment(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(at("2026-03-07 23:00"), 0) == at("2026-03-07 23:00")


def test_hours_across_time_zones(cal: WorkCalendar) -> None:
    # Friday 18:00 in Shanghai is 10:00 UTC; 4 working hours later is Monday 13:00 there.
    result = cal.add_working_hours(at("2026-03-06 10:00", UTC), 4)
    assert result == at("2026-03-09 13:00")
    assert result.tzinfo is UTC
    # Thursday 21:00 in New York is Friday 10:00 in Shanghai (EST, UTC−5).
    result = cal.add_working_hours(at("2026-03-05 21:00", NEW_YORK), 8)
    assert result == at("2026-03-06 18:00")
    assert result.tzinfo is NEW_YORK
    assert result.hour == 5


def test_working_hours_follow_the_org_time_zone() -> None:
    policy = parse_policy('[org]\ndefault_timezone = "Europe/Berlin"\n')
    cal = WorkCalendar.for_policy(policy)
    berlin = ZoneInfo("Europe/Berlin")
    assert cal.add_working_hours(at("2026-03-06 17:00", berlin), 4) == at(
        "2026-03-09 12:00", berlin
    )


def test_policy_working_hours() -> None:
    cal = calendar_with(hours="08:30-17:30")
    assert cal.add_working_hours(at("2026-03-06 17:00"), 1) == at("2026-03-09 09:00")


def test_working_hours_between(cal: WorkCalendar) -> None:
    assert cal.working_hours_between(at("2026-03-06 17:00"), at("2026-03-09 12:00")) == 4
    assert cal.working_hours_between(at("2026-03-09 12:00"), at("2026-03-06 17:00")) == -4
    assert cal.working_hours_between(at("2026-09-30 16:00"), at("2026-10-08 11:00")) == 4
    assert cal.working_hours_between(at("2026-03-09 10:00"), at("2026-03-09 10:30")) == 0.5
    assert cal.working_hours_between(at("2026-03-07 10:00"), at("2026-03-08 18:00")) == 0
    assert cal.working_hours_between(at("2026-03-06 10:00", UTC), at("2026-03-09 12:00")) == 3


def test_working_hours_between_undoes_add_working_hours(cal: WorkCalendar) -> None:
    start = at("2026-09-24 08:00")
    for step in range(0, 24 * 14, 5):
        moment = start + dt.timedelta(hours=step)
        for hours in (0.5, 4, 8, 30):
            later = cal.add_working_hours(moment, hours)
            assert cal.working_hours_between(moment, later) == pytest.approx(hours)


def test_naive_and_negative_input_is_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(dt.datetime(2026, 3, 6, 17), 4)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_hours_between(dt.datetime(2026, 3, 6, 17), at("2026-03-09 12:00"))
    with pytest.raises(ValueError, match="≥ 0"):
        cal.add_working_hours(at("2026-03-06 17:00"), -1)
