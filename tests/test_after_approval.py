"""After approval: the checklist, the front desk, the calendar file, close-out, follow-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from storage.models import AuditEntry, Draft, Reception, Reminder
from tests.support import Company
from tests.test_reception import fill_b_class


def approved_b(company: Company, client: str = "hdjd") -> None:
    fill_b_class(company, client=client)
    company.press("李明", "提交")
    company.press("王经理", "同意")
    company.press("赵总", "同意")


def test_admin_office_ticks_items_and_the_requester_sees_progress(company: Company) -> None:
    approved_b(company)
    ticked = company.press("孙行政", "⬜ 会议室")
    assert "✅ 会议室" in ticked
    # Seven items, and helmets and the safety briefing for its plant tour.
    assert "会议室 已准备好(1/9)" in company.last("李明")
    assert "行政准备:1/9 已完成" in company.say("李明", "/my")
    refused = company.say("李明", "#" + str(company.buttons_shown["孙行政"][-1][1]))
    assert "只有行政部可以勾选" in refused


@pytest.mark.parametrize("ending", ["withdrawn", "rejected"])
def test_the_admin_office_is_told_to_stand_down_when_an_edit_ends_the_reception(
    company: Company, ending: str
) -> None:
    approved_b(company)
    company.press("孙行政", "⬜ 酒店")  # booked while it stood approved
    company.say("李明", "/my")  # then the requester changes it, and it goes back to its chain
    company.press("李明", "修改")
    company.press("李明", "修改某项")
    company.press("李明", "人数")
    company.say("李明", "6")
    company.press("李明", "提交")
    if ending == "withdrawn":
        company.say("李明", "/my")
        company.press("李明", "撤回")
        company.press("李明", "确定撤回")  # it was approved once: asked first
        state = "已撤回"
    else:
        company.press("王经理", "驳回")
        company.give_reason("王经理", "客户取消来访")
        state = "已驳回"
    assert company.last("孙行政") == (
        f"🚫 接待 #1 华东机电 {state},不用再准备了(原定 11月25日(周三) 10:00 到访)。\n"
        "已准备的:酒店 —— 有预订的请取消。"
    )
    ticked = company.press("孙行政", "✅ 酒店")  # the old card's button
    assert ticked == f"这份申请当前状态为「{state}」,不能再操作。"


def test_the_calendar_file_holds_the_schedule(company: Company) -> None:
    approved_b(company)
    line = next(m for m in reversed(company.inbox["李明"]) if "(file:" in m)
    path = Path(line.split("(file: ")[1].split(")")[0])
    event = Calendar.from_ical(path.read_bytes()).walk("VEVENT")[0]
    assert str(event["summary"]) == "接待申请 #1 华东机电"
    # In the place's named zone (with its VTIMEZONE), not bare UTC: 10:00 there, everywhere.
    assert event.decoded("dtstart").isoformat() == "2026-11-25T10:00:00+08:00"
    assert event.decoded("dtend").isoformat() == "2026-11-26T15:00:00+08:00"
    assert event["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert b"BEGIN:VTIMEZONE" in path.read_bytes()


def test_front_desk_checks_guests_in_and_the_host_is_told(company: Company) -> None:
    approved_b(company)
    assert "今天没有预约来访" in company.say("周前台", "/today")
    company.clock.advance(days=7)  # Wednesday 25 Nov, the day they come
    listing = company.say("周前台", "/today")
    assert "10:00 华东机电 5人,主宾 张总(采购总监),接待人 李明" in listing
    done = company.press("周前台", "登记到达")
    assert "已登记:华东机电 到达" in done
    assert "🔔 华东机电 的 5 位客人已于 09:00 到达前台" in company.last("李明")
    assert "已经在 09:00 登记过了" in company.press("周前台", "登记到达")
    assert "没有使用这个命令的权限" in company.say("李明", "/today")
    check_in = next(n for label, n in company.buttons_shown["周前台"] if label == "登记到达")
    assert "只有前台可以登记" in company.say("孙行政", f"#{check_in}")


def test_check_in_is_for_todays_guests_and_yesterdays_late_ones(company: Company) -> None:
    """A forged check-in button for guests expected next week is refused (SPEC §6)."""
    approved_b(company)  # Wednesday 18 Nov, 09:00; the guests come on Wednesday 25 Nov

    def forged_check_in() -> list[str]:
        answer = company.core.handle(Event(CONSOLE, "周前台", action="in:1"))
        company.console.deliver()  # what the tap sent to others
        return [message.text for message in answer]

    refused = "接待 #1 华东机电 预约 11月25日(周三) 到访,只能在当天或次日登记到达。"
    assert forged_check_in() == [refused]
    company.clock.advance(days=6, hours=14)  # Tuesday 24 Nov, 23:00: still the day before
    assert forged_check_in() == [refused]
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.checked_in_at)).one() is None
        refusals = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "checkin.refused")
        ).all()
        assert len(refusals) == 2
    assert not any("到达前台" in line for line in company.inbox["李明"])
    company.clock.advance(days=1, hours=3)  # Thursday 26 Nov, 02:00: they came late last night
    assert forged_check_in()[-1] == "已登记:华东机电 到达,接待人已收到通知。"
    assert any("到达前台" in line for line in company.inbox["李明"])


def test_close_out_after_departure_then_follow_up(company: Company) -> None:
    approved_b(company)
    assert "结案" not in company.say("李明", "/my")
    company.clock.advance(days=8, hours=8)  # after the departure on the 26th
    company.say("李明", "/my")
    reply = company.press("李明", "结案")
    # Only the lines the request budgeted (meals, transport, gifts; not the guest-paid hotel,
    # nor "other"), then what went outside the budget.
    asked = [reply] + [company.say("李明", amount) for amount in ["1100", "300", "900", "200"]]
    assert [q.split("?")[0].split("\n")[-1] for q in asked] == [
        "餐饮实际支出多少元",
        "交通实际支出多少元",
        "礼品实际支出多少元",
        "预算之外还有其他支出吗",
        "这次接待的成果",
    ]
    company.say("李明", "签订年度框架协议")
    summary = company.say("李明", "12月签约")
    assert (
        "接待 #1 华东机电 结案:\n"
        "餐饮:预算 ¥1,200,实际 ¥1,100\n"
        "交通:预算 ¥300,实际 ¥300\n"
        "礼品:预算 ¥800,实际 ¥900\n"
        "预算外:实际 ¥200\n"
        "合计:预算 ¥2,300,实际 ¥2,500\n"
        "⚠ 超出预算 ¥200\n"
        "成果:签订年度框架协议"
    ) in summary
    assert "住宿" not in summary and "其他:" not in summary
    assert company.press("李明", "提交").endswith("\n接待 #1 已结案。")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        assert reception.state == "closed" and reception.actual is not None
        assert reception.actual["act_meals"] == "1100.00"
        assert (reception.actual["act_hotel"], reception.actual["act_unplanned"]) == (
            "0.00",
            "200.00",
        )
        follow_up = session.scalars(
            select(Reminder).where(Reminder.kind == "reception.followup")
        ).one()
        # Left Thu 26 Nov at 15:00 by train (G7012), 5 h home: 20:00 is after working hours,
        # so the call is due Fri 27 Nov, 09:00 Shanghai (set at approval, not at close-out).
        assert follow_up.due_at.isoformat() == "2026-11-27T01:00:00+00:00"
    company.say("李明", "/my")
    company.press("李明", "记录回访")
    company.say("李明", "客户满意,下周发合同")
    company.press("李明", "5 很满意")
    assert "已记录 华东机电 的回访结果" in company.say("李明", "-")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.follow_up)).one() == "客户满意,下周发合同"


def follow_up_opened(company: Company) -> None:
    """华东机电's reception approved, its guests gone, closed out; 李明 taps 记录回访."""
    approved_b(company)
    company.clock.advance(days=8, hours=8)
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["1100", "300", "800", "-", "签订年度框架协议", "-"]:
        company.say("李明", answer)
    company.press("李明", "提交")
    company.say("李明", "/my")
    company.press("李明", "记录回访")


def test_a_follow_up_logged_meanwhile_elsewhere_drops_the_open_one(company: Company) -> None:
    follow_up_opened(company)
    # The same call is logged from his other device while this chat waits for the result.
    with company.core.db.session() as session:
        session.scalars(select(Reception)).one().follow_up = "客户满意"

    company.say("李明", "客户不满意")
    company.press("李明", "2 不满意")
    reply = company.say("李明", "-")
    assert reply == (
        "华东机电 的回访已经记录过了:“客户满意”。保留原记录,没有改动。\n"
        "已放弃「电话回访」,什么都没有保存。"
    )
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.follow_up)).one() == "客户满意"
        assert session.scalars(select(Draft)).all() == []


def press_action(company: Company, person: str, action: str) -> str:
    """Press the newest button shown for `action`, where labels alone do not tell which."""
    number = max(n for n, shown in company.console.buttons.items() if shown == action)
    return company.say(person, f"#{number}")


def test_closing_out_another_reception_starts_its_own_close_out(company: Company) -> None:
    approved_b(company)  # #1 华东机电
    approved_b(company, client="东方精密")  # #2
    company.clock.advance(days=8, hours=8)  # both have left
    company.say("李明", "/my")
    press_action(company, "李明", "cls:1")
    company.clock.advance(minutes=1)
    company.say("李明", "1100")  # #1's meals; then he turns to #2 instead
    company.clock.advance(minutes=1)
    reply = press_action(company, "李明", "cls:2")
    assert "之前没填完的接待结案已放弃" in reply and "餐饮实际支出" in reply
    for answer in ["900", "300", "800", "-", "签订年度框架协议"]:
        company.clock.advance(minutes=1)
        company.say("李明", answer)
    summary = company.say("李明", "12月签约")
    assert "接待 #2 东方精密 结案:" in summary and "实际 ¥900" in summary
    assert "接待 #2 已结案" in company.press("李明", "提交")
    with company.core.db.session() as session:
        first, second = session.scalars(select(Reception).order_by(Reception.id)).all()
        assert (first.state, first.actual) == ("approved", None)
        assert second.state == "closed" and second.actual is not None
        assert second.actual["act_meals"] == "900.00"


def test_pressing_close_out_again_continues_the_same_one(company: Company) -> None:
    approved_b(company)
    company.clock.advance(days=8, hours=8)
    company.say("李明", "/my")
    company.press("李明", "结案")
    company.say("李明", "1100")
    company.say("李明", "/my")
    reply = company.press("李明", "结案")
    assert "继续填写您未完成的「接待结案」" in reply and "交通实际支出" in reply


def test_logging_another_receptions_follow_up_logs_it_for_that_one(company: Company) -> None:
    for client in ("hdjd", "东方精密"):
        approved_b(company, client=client)
    company.clock.advance(days=8, hours=8)
    for reception in ("1", "2"):
        company.say("李明", "/my")
        press_action(company, "李明", f"cls:{reception}")
        for answer in ["1100", "300", "800", "-", "签订年度框架协议", "-"]:
            company.clock.advance(minutes=1)
            company.say("李明", answer)
        company.press("李明", "提交")
    company.say("李明", "/my")
    press_action(company, "李明", "fu:1")
    company.clock.advance(minutes=1)
    reply = press_action(company, "李明", "fu:2")
    assert "之前没填完的电话回访已放弃" in reply and "回访" in reply
    company.say("李明", "客户满意")
    company.press("李明", "4 满意")
    assert "已记录 东方精密 的回访结果" in company.say("李明", "-")
    with company.core.db.session() as session:
        results = session.scalars(select(Reception.follow_up).order_by(Reception.id)).all()
        assert results == [None, "客户满意"]


def test_once_the_guests_have_left_the_reception_is_closed_out_not_edited(
    company: Company,
) -> None:
    approved_b(company)
    company.say("李明", "/my")
    old_edit = max(n for n, shown in company.console.buttons.items() if shown == "rcp:edit:1")
    company.press("李明", "修改")  # an edit begun while the visit is ahead, left at its summary
    edit_submit = next(n for label, n in reversed(company.buttons_shown["李明"]) if label == "提交")
    company.clock.advance(days=8, hours=8)  # after the departure on the 26th
    listing = company.say("李明", "/my")  # the reminders due by now come with it
    buttons = listing.split("行政准备:0/9 已完成\n")[1].split("\n")[0]
    assert "结案" in buttons and "修改" not in buttons
    left = "客人已于 11月26日(周四) 15:00 离开,这份申请不能再修改了"
    assert left in company.say("李明", f"#{old_edit}")
    # Refused at once, not after asking why the (now past) arrival is so close; the edit
    # can never be sent, so it is dropped rather than shown again.
    refused = company.say("李明", f"#{edit_submit}")
    assert refused.startswith("(card updated)\n请核对接待申请")  # that summary is done with
    assert refused.endswith(f"\n{left}。\n已放弃「接待申请」,什么都没有保存。")
    with company.core.db.session() as session:
        assert session.scalars(select(Draft)).all() == []
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["1100", "300", "800", "-", "签订年度框架协议", "12月签约"]:
        company.say("李明", answer)
    assert "接待 #1 已结案" in company.press("李明", "提交")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        assert (reception.state, reception.round) == ("closed", 1)


def test_an_english_approver_reads_an_english_card(company: Company) -> None:
    company.say("Tom Walker", "/reception")
    answers = ["acme", "B", "3", "John Smith", "Head of Procurement", "talks", "next Monday 10am"]
    answers += ["yes", "next Monday 5pm", "yes", "no", "no", "1", "3", "100", "-", "no", "-", "-"]
    answers += ["-", "-", "0"]
    for answer in answers:
        company.say("Tom Walker", answer)
    summary = company.say("Tom Walker", "-")
    assert "ACME Industrial · class B (Important)" in summary
    assert "Visit: Mon 23 Nov 10:00 — Mon 23 Nov 17:00" in summary
    company.press("Tom Walker", "Submit")
    card = company.last("Grace Lee")
    assert card.startswith(
        "[Reception #1] ACME Industrial · class B (Important)\n"
        "Requested by Tom Walker (International Sales)\n"
    )
    assert "meals 3×1×100=300" in card and "total CNY 300" in card
    assert "Host: GM 赵总" in card  # class B: a deputy GM, and the org has none: the GM
    assert "Approve" in card and "Ask for changes" in card
    company.press("Grace Lee", "Approve")
    company.press("赵总", "同意")
    assert "✅ Reception #1 ACME Industrial is approved." in "\n".join(
        company.inbox["Tom Walker"][-2:]
    )


@pytest.mark.parametrize("who", ["张伟", "周前台"])
def test_no_one_else_can_close_or_edit_a_reception(company: Company, who: str) -> None:
    approved_b(company)
    with company.core.db.session() as session:
        reception_id = session.scalars(select(Reception.id)).one()
    for action in (f"rcp:edit:{reception_id}", f"cls:{reception_id}", f"rcp:wd:{reception_id}"):
        number = max(company.console.buttons) + 1
        company.console.buttons[number] = action
        assert "这不是您的申请" in company.say(who, f"#{number}")


def test_an_old_follow_up_button_does_not_overwrite_the_logged_result(company: Company) -> None:
    follow_up_opened(company)
    company.say("李明", "客户满意,下周发合同")  # Thu 26 Nov 17:00 Shanghai
    company.press("李明", "5 很满意")
    company.say("李明", "-")
    company.clock.advance(days=1)

    reply = press_action(company, "李明", "fu:1")  # the button still in his chat
    assert "华东机电 的回访已于 11月26日(周四) 17:00 记录过了:“客户满意,下周发合同”" in reply
    assert "回访结果如何" not in reply
    company.say("李明", "客户不满意")  # no form is open: this is not taken as a result
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.follow_up)).one() == "客户满意,下周发合同"
        assert session.scalars(select(Draft)).all() == []


def test_guests_of_the_day_before_yesterday_cannot_be_checked_in(company: Company) -> None:
    approved_b(company)
    with company.core.db.session() as session:
        reception_id = session.scalars(select(Reception.id)).one()
    company.clock.advance(days=8, hours=15)  # Friday 27 Nov, 00:00 in Shanghai
    refused = company.core.handle(Event(CONSOLE, "周前台", action=f"in:{reception_id}"))
    assert "只能在当天或次日登记到达" in refused[0].text
