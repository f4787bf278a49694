"""The admin office's work after approval (seed 002 综合部, seed 000, seed 003) and the guests'
schedule (seed 000: 将活动的计划、日程安排交给客人): see-off, return tickets, welcome screen,
flags and name plates, materials, the tour's time and route (helmets, safety briefing), the
reminder an hour before a tour or a meal, and a bilingual schedule to forward."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from storage.models import AuditEntry, ChecklistItem, Reception, Reminder
from tests.support import Company
from tests.test_after_approval import approved_b
from tests.test_scheduler import at, jump, travel

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def arrange(
    company: Company, tour: str = "下周三下午2点", tour_shown: str = "11月25日(周三) 14:00"
) -> str:
    """李明 fills the admin office requests of the approved B-class reception #1."""
    assert "离开时需要送站吗" in company.press("李明", "行政需求")
    assert "送到哪里" in company.say("李明", "是")
    assert "客人怎么返程" in company.say("李明", "虹桥站")
    assert "返程航班号或车次" in company.press("李明", "火车")
    assert "代订返程票" in company.say("李明", "G7013")
    assert "欢迎屏上显示什么" in company.say("李明", "是")
    assert "国旗和姓名牌" in company.say("李明", "热烈欢迎华东机电领导莅临指导")
    assert "需要准备哪些资料" in company.say("李明", "是")
    company.press("李明", "公司介绍")
    company.press("李明", "投影仪")
    assert "参观什么时候开始" in company.press("李明", "选好了")
    assert f"{tour_shown},对吗" in company.say("李明", tour)
    assert "参观路线" in company.say("李明", "对")
    assert "宴请(第一餐)什么时候开始" in company.say("李明", "一车间、二车间")
    assert "11月25日(周三) 18:00,对吗" in company.say("李明", "下周三晚上6点")
    summary = company.say("李明", "对")
    assert "请核对接待 #1 华东机电 的行政需求" in summary
    return summary


def test_the_admin_office_gets_what_the_host_asks_for(company: Company) -> None:
    approved_b(company)
    card = company.last("孙行政")
    assert "安全帽" in card and "安全讲解" in card  # the request has a plant tour
    offer = next(m for m in company.inbox["李明"] if "reception-1.ics" in m)
    assert "行政需求" in offer and "给客人的日程" in offer
    summary = arrange(company)
    assert (
        "送站:虹桥站\n返程:火车 G7013\n代订返程票\n欢迎屏:热烈欢迎华东机电领导莅临指导\n"
        "国旗及姓名牌\n资料:公司介绍、投影仪\n"
        "参观:11月25日(周三) 14:00,路线 一车间、二车间(安全帽、安全讲解)\n"
        "宴请:11月25日(周三) 18:00"
    ) in summary
    assert "已把接待 #1 的行政需求交给行政部" in company.press("李明", "提交")
    card = company.last("孙行政")
    assert "欢迎屏:热烈欢迎华东机电领导莅临指导" in card
    for label in ("送站车辆", "返程车船票", "国旗及姓名牌", "资料及投影", "安全帽", "安全讲解"):
        assert f"⬜ {label}" in card
    company.press("孙行政", "⬜ 返程车船票")
    assert "返程车船票 已准备好(1/13)" in company.last("李明")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        assert reception.arrangements is not None
        assert reception.arrangements["return_ref"] == "G7013"
        items = session.scalars(select(ChecklistItem.item).order_by(ChecklistItem.id)).all()
        assert items[-4:] == ["seeoff", "tickets", "flags", "materials"]
        assert session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reception.arrangements")
        ).one()


def test_an_hour_before_the_tour_and_the_meal_whoever_acts_is_reminded(company: Company) -> None:
    approved_b(company)
    arrange(company)
    company.press("李明", "提交")
    travel(company, at("2026-11-25 12:30"))
    assert not any(m.startswith("⏰ 接待申请 #1") for m in company.inbox["孙行政"])
    jump(company, at("2026-11-25 13:00"))
    tour = "⏰ 接待申请 #1 华东机电 的参观 14:00 开始,路线 一车间、二车间。"
    assert company.last("孙行政").startswith(tour)
    assert company.last("李明").startswith(tour)
    assert company.press("孙行政", "完成").endswith("✅ 已完成")
    jump(company, at("2026-11-25 17:00"))
    meal = "⏰ 接待申请 #1 华东机电 的用餐 18:00 开始,5 位客人。请确认订餐份数。"
    assert company.last("孙行政").startswith(meal) and company.last("李明").startswith(meal)
    jump(company, at("2026-11-25 17:30"))
    with company.core.db.session() as session:
        kinds = session.scalars(select(Reminder.kind).where(Reminder.kind.like("%_soon"))).all()
        assert sorted(kinds) == ["reception.meal_soon"] * 2 + ["reception.tour_soon"] * 2


def test_a_tour_moved_moves_its_reminder(company: Company) -> None:
    approved_b(company)
    arrange(company)
    company.press("李明", "提交")
    company.say("李明", "/my")
    again = company.press("李明", "行政需求")  # filled before: straight to its summary
    assert "请核对接待 #1 华东机电 的行政需求" in again
    company.press("李明", "修改某项")
    assert "参观什么时候开始" in company.press("李明", "参观时间")
    company.say("李明", "下周三下午3点")
    assert "请核对" in company.say("李明", "对")
    company.press("李明", "提交")
    jump(company, at("2026-11-25 13:00"))  # the old tour's hour: nothing
    assert not any("的参观" in m for m in company.inbox["孙行政"])
    jump(company, at("2026-11-25 14:00"))
    assert company.last("孙行政").startswith("⏰ 接待申请 #1 华东机电 的参观 15:00 开始")
    with company.core.db.session() as session:
        rows = session.scalars(select(Reminder).where(Reminder.kind == "reception.tour_soon"))
        assert sorted(r.state for r in rows) == ["sent", "sent"]  # one each, once


def test_a_tour_outside_the_visit_is_asked_again(company: Company) -> None:
    approved_b(company)
    company.press("李明", "行政需求")
    company.say("李明", "否")
    company.press("李明", "飞机")
    company.say("李明", "-")
    company.say("李明", "否")
    company.say("李明", "-")
    company.say("李明", "否")
    assert "参观什么时候开始" in company.say("李明", "-")
    refused = company.say("李明", "下周五上午10点")
    assert "这个时间不在来访期间(11月25日(周三) 10:00 — 11月26日(周四) 15:00)" in refused


def test_the_guests_schedule_in_both_languages_and_as_a_calendar(company: Company) -> None:
    approved_b(company)
    arrange(company)
    company.press("李明", "提交")
    company.say("李明", "/my")
    sent = company.press("李明", "给客人的日程")
    assert "给 华东机电 客人的日程如下,可以直接转发" in sent
    assert (
        "【日程安排】华东机电 · 张总\n"
        "11月25日(周三) 10:00 到达(接站:虹桥站 G7012 09:12)\n"
        "11月25日(周三) 14:00 参观(路线:一车间、二车间)\n"
        "11月25日(周三) 18:00 宴请\n"
        "11月26日(周四) 15:00 离开(送站:虹桥站、返程:G7013)"
    ) in sent
    assert (
        "[Schedule] 华东机电 · 张总\nWed 25 Nov 10:00 Arrival (pickup: 虹桥站 G7012 09:12)\n"
    ) in sent
    line = next(m for m in reversed(company.inbox["李明"]) if "(file:" in m and "schedule-1" in m)
    path = Path(line.split("(file: ")[1].split(")")[0])
    events = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == [
        "到达 / Arrival",
        "参观 / Plant tour",
        "宴请 / Dinner",
        "离开 / Departure",
    ]
    assert "路线:一车间、二车间" in str(events[1]["description"])
    assert events[1].decoded("dtstart").isoformat() == "2026-11-25T14:00:00+08:00"
    assert "给 华东机电 客人的日程" not in company.say(
        "张伟", company.button("李明", "给客人的日程")
    )
