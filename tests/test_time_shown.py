"""How a moment is shown (handlers.engine.i18n.Translator): the year when it is not the reader's,
and the place's clock beside the reader's when they differ, daylight saving included."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.engine.i18n import Translator
from tests.test_scheduler import BERLIN, SHANGHAI

DECEMBER_4 = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Berlin's clock is 7 hours behind Beijing's in winter, 6 in summer (DST from 03-28).
        (
            datetime(2027, 3, 26, 15, 0, tzinfo=BERLIN),
            "2027年3月26日(周五) 15:00 柏林时间 · 22:00 北京时间",
        ),
        (
            datetime(2027, 3, 29, 15, 0, tzinfo=BERLIN),
            "2027年3月29日(周一) 15:00 柏林时间 · 21:00 北京时间",
        ),
        # Late in Berlin is the next day in Beijing: the reader's date is said too.
        (
            datetime(2026, 12, 9, 20, 0, tzinfo=BERLIN),
            "12月9日(周三) 20:00 柏林时间 · 12月10日(周四) 03:00 北京时间",
        ),
        # A place whose clock is Beijing's (Singapore) needs no label.
        (datetime(2026, 12, 9, 15, 0, tzinfo=ZoneInfo("Asia/Singapore")), "12月9日(周三) 15:00"),
    ],
)
def test_a_time_in_another_zone_follows_that_zones_clock(moment: datetime, expected: str) -> None:
    t = Translator("zh_CN", DECEMBER_4)
    assert t.datetime(moment, SHANGHAI, moment.tzinfo) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh_CN", "15:00 柏林时间 · 22:00 北京时间"),
        ("en", "15:00 Berlin time · 22:00 Beijing time"),
    ],
)
def test_a_time_of_day_is_labelled_in_both_languages(locale: str, expected: str) -> None:
    moment = datetime(2026, 12, 9, 15, 0, tzinfo=BERLIN)
    assert Translator(locale).time(moment, SHANGHAI, BERLIN) == expected


def test_a_zone_without_a_catalog_name_takes_its_city_from_babel() -> None:
    assert Translator("zh_CN").zone(ZoneInfo("America/New_York")) == "纽约时间"
    assert Translator("en").zone(ZoneInfo("Asia/Tokyo")) == "Tokyo time"


@pytest.mark.parametrize(
    ("day", "expected"),
    [(date(2026, 12, 31), "12月31日(周四)"), (date(2027, 1, 5), "2027年1月5日(周二)"),
     (date(2025, 12, 31), "2025年12月31日(周三)")],
)  # fmt: skip
def test_a_date_shows_its_year_when_not_the_readers(day: date, expected: str) -> None:
    assert Translator("zh_CN", DECEMBER_4).date(day) == expected
