"""Dates and times as people type and read them, in whole conversations (issue 19): a day
just past is refused with its date, another year's date is echoed with its year, an unusual
arrival or stay is asked to be confirmed, a wrong hour is called a wrong hour, and a time
arranged in another zone is shown labelled in both."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.support import Company
from tests.test_digest import digest_of
from tests.test_export import RECEPTION_KEYS, csv_rows, exported
from tests.test_reception import B_CLASS_ANSWERS
from tests.test_scheduler import BERLIN, at, english_reception, jump

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

TO_ARRIVAL = [answer for answer, _ in B_CLASS_ANSWERS[:6]]  # client .. purposes


def on_december_4(company: Company) -> None:
    """Friday 2026-12-04 10:00 in Shanghai, the day of issue 19's examples."""
    company.clock.advance(days=16, hours=1)


def at_arrival(company: Company, who: str = "李明") -> None:
    company.say(who, "/reception")
    for answer in TO_ARRIVAL:
        reply = company.say(who, answer)
    assert "什么时候到" in reply


def test_a_day_just_past_is_refused_with_its_date_not_moved_a_year_on(company: Company) -> None:
    on_december_4(company)
    at_arrival(company)
    reply = company.say("李明", "12月3日 下午3点")
    assert "到访时间 12月3日(周四) 15:00 已经过去了" in reply
    assert "2027" not in reply and "对吗" not in reply
    reply = company.say("李明", "12月3日")  # a day without an hour: refused for the day
    assert "到访时间 12月3日(周四) 已经过去了" in reply
    reply = company.say("李明", "今天上午9点")  # an hour gone today
    assert "到访时间 12月4日(周五) 09:00 已经过去了" in reply


def test_a_date_in_next_year_is_echoed_with_its_year(company: Company) -> None:
    on_december_4(company)
    at_arrival(company)
    reply = company.say("李明", "1月5日 上午10点")
    assert "2027年1月5日(周二) 10:00,对吗" in reply
    assert "注意" not in reply
    reply = company.say("李明", "对")
    assert "什么时候离开" in reply


def test_a_date_in_this_year_is_echoed_without_one(company: Company) -> None:
    on_december_4(company)
    at_arrival(company)
    reply = company.say("李明", "12月8日 下午3点")
    assert "我理解为:12月8日(周二) 15:00,对吗" in reply


def test_an_arrival_over_a_year_ahead_is_asked_to_be_confirmed(company: Company) -> None:
    on_december_4(company)
    at_arrival(company)
    reply = company.say("李明", "2099年1月1日 10点")
    assert "注意:2099年1月1日(周四) 10:00 是一年多以后,请确认年份没有写错。" in reply
    assert "对吗" in reply


def test_a_stay_over_the_policy_maximum_is_asked_to_be_confirmed(company: Company) -> None:
    on_december_4(company)
    at_arrival(company)
    company.say("李明", "12月8日 上午10点")
    company.say("李明", "对")
    reply = company.say("李明", "明年3月1日 下午3点")
    assert "注意:这样要停留 83 天,超过规定的最长 14 天" in reply
    assert "2027年3月1日(周一) 15:00,对吗" in reply
    reply = company.say("李明", "12月10日 下午3点")  # two days: no note
    assert "注意" not in reply


def test_the_summary_says_the_caution_again_beside_submit(company: Company) -> None:
    """Submit is the last confirming (and the only one a Slack modal's answers get)."""
    on_december_4(company)
    at_arrival(company)
    for answer in ["12月8日 上午10点", "对", "明年3月1日 下午3点", "对"]:
        company.say("李明", answer)
    for answer, _ in B_CLASS_ANSWERS[10:-1]:
        company.say("李明", answer)
    summary = company.say("李明", "-")
    assert "请核对接待申请" in summary
    assert "注意:这样要停留 83 天,超过规定的最长 14 天" in summary


def test_a_wrong_hour_is_called_a_wrong_hour(company: Company) -> None:
    at_arrival(company)
    reply = company.say("李明", "明天下午25点")
    assert "没有这个钟点" in reply
    assert "日历上没有这一天" not in reply
    reply = company.say("李明", "2月30日 下午3点")  # a day that does not exist still says so
    assert "日历上没有这一天" in reply


def test_a_delegation_until_friday_lasts_through_friday(company: Company) -> None:
    on_december_4(company)
    said = company.say("王经理", "/delegate 张伟 到 下周五")
    assert "好的,12月11日(周五) 24:00 之前由 张伟 代您审批" in said
    assert "12月12日" not in said
    assert "直到 12月11日(周五) 24:00" in company.last("张伟")
    said = company.say("王经理", "/delegate 张伟 到 下周五 18:00")  # an hour said stays
    assert "12月11日(周五) 18:00 之前" in said
    said = company.say("王经理", "/delegate 张伟 到 1月8日")
    assert "2027年1月8日(周五) 24:00 之前" in said


def test_a_delegation_with_a_wrong_hour_says_the_hour_is_wrong(company: Company) -> None:
    said = company.say("王经理", "/delegate 张伟 到 明天下午25点")
    assert "没有这个钟点" in said and "用法:/delegate" in said
    said = company.say("王经理", "/delegate 张伟")  # no date at all: just how to write it
    assert said.startswith("用法:/delegate")


def test_an_export_in_an_unknown_format_says_the_format_not_the_month(company: Company) -> None:
    said = company.say("钱会计", "/export receptions 2026-12 pdf")
    assert said == "不能导出「pdf」格式,可选:csv, xlsx。"
    assert "不能导出「docx」格式" in company.say("钱会计", "/export receptions docx 上个月")
    assert "不能导出「json」格式" in company.say("钱会计", "/export visits json")
    # A month that cannot be read is still said to be the month.
    assert "看不懂月份「2026-13」" in company.say("钱会计", "/export receptions 2026-13 csv")


def test_a_berlin_hosts_times_reach_other_zones_labelled_in_both(company: Company) -> None:
    """Anna Schmidt (Berlin) receives guests next Wednesday at 3pm, Berlin time: her manager
    (Singapore), the admin office and the front desk (Shanghai) see 15:00 Berlin time first,
    then their own clock, labelled; she sees her own time without labels."""
    on_december_4(company)
    english_reception(company, "Anna Schmidt", "Nordic Tools", "next Wed 3pm", "next Wed 6pm")
    summary = "\n".join(company.inbox["Anna Schmidt"])
    assert "Wed 9 Dec 15:00" in summary and "Berlin time" not in summary
    card = company.last("Grace Lee")
    assert "Wed 9 Dec 15:00 Berlin time · 22:00 Singapore time" in card
    company.press("Grace Lee", "Approve")
    checklist = company.last("孙行政")
    assert "12月9日(周三) 15:00 柏林时间 · 22:00 北京时间" in checklist
    ics = next(m for m in reversed(company.inbox["Anna Schmidt"]) if "(file:" in m)
    calendar = Path(ics.split("(file: ")[1].split(")")[0]).read_bytes()
    event = Calendar.from_ical(calendar).walk("VEVENT")[0]
    assert event["dtstart"].params["TZID"] == "Europe/Berlin"
    assert event.decoded("dtstart") == datetime(2026, 12, 9, 15, 0, tzinfo=BERLIN)
    jump(company, at("2026-12-09 08:30"))
    assert "15:00 柏林时间 · 22:00 北京时间" in digest_of(company, "孙行政")
    assert "15:00 柏林时间 · 22:00 北京时间" in company.say("周前台", "/today")
    message = exported(company.core, "钱会计", "/export receptions 2026-12 csv")
    (row,) = csv_rows(message, RECEPTION_KEYS)
    assert row["arrival_at"] == "2026-12-09 22:00"  # the reader's zone, named in the header
    assert row["local_arrival"] == "2026-12-09 15:00 柏林时间"


def test_a_visit_on_a_day_just_gone_is_logged_on_that_day(company: Company) -> None:
    """Visits are in the past: 11月17日 typed on 11月18日 is yesterday's visit, not one in
    2027 refused as in the future."""
    company.say("李明", "/visit")
    company.say("李明", "华东机电")
    reply = company.say("李明", "11月17日")
    assert "在 华东机电 见了谁" in reply and "将来" not in reply
    company.say("李明", "/back")
    reply = company.say("李明", "12月5日")
    assert "拜访日期不能在将来(12月5日(周六))" in reply
