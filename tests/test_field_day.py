"""The day in the field (issue 22 items 2, 3, 4, 7; seeds 001, 003) on the console: check-in
and check-out, the visit report the manager reviews, the daily report drafted at the end of
visiting hours, the checklist the morning of a planned visit, and the manager's digest."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from handlers.visits import daily_report
from storage.models import (
    Client,
    DailyReport,
    FieldCheckin,
    Person,
    PlanEntry,
    Reminder,
    Review,
    VisitPlan,
)
from tests.support import Company
from tests.test_scheduler import at, jump

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def checkins(company: Company) -> list[FieldCheckin]:
    with company.core.db.session() as session:
        return list(session.scalars(select(FieldCheckin).order_by(FieldCheckin.id)))


def located(company: Company, who: str, where: tuple[float, float]) -> str:
    """A shared location, as the Telegram adapter hands it to the core."""
    replies = company.core.handle(Event(CONSOLE, who, location=where))
    return "\n".join(m.text for m in replies)


def log_problem_visit(company: Company, outcome: str = "商谈成功") -> str:
    company.say("李明", f"/visit 东方精密 见了王工 解决问题 {outcome}")
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    company.say("李明", "交期问题")
    return company.press("李明", "提交")


def test_a_check_in_records_place_and_companions_and_check_out_the_time_spent(
    company: Company,
) -> None:
    assert "您在哪里" in company.say("李明", "/checkin 东方精密")
    assert "同行者" in company.say("李明", "人民广场100号")
    done = company.say("李明", "张伟")
    assert "✅ 已签到:东方精密 09:00" in done and "地点:人民广场100号" in done
    assert "不在拜访时间" not in done  # 09:00 on a Wednesday
    # Typed again at the same client: nothing new.
    assert "已于 09:00 在 东方精密 签到" in company.say("李明", "签到 东方精密")
    company.clock.advance(hours=1, minutes=25)
    out = company.press("李明", "签退")
    assert "已签退:东方精密 10:25,停留 1小时25分钟" in out
    assert "没有签到" in company.say("李明", "/checkout")  # out without in
    assert "已于 10:25 签退" in company.press("李明", "签退")  # the old button again
    (checkin,) = checkins(company)
    assert (checkin.place, checkin.companions) == ("人民广场100号", "张伟")


def test_a_shared_location_shows_the_distance_and_far_or_late_is_flagged_not_refused(
    company: Company,
) -> None:
    assert "哪位客户" in located(company, "李明", (31.2330, 121.4750))  # location first
    company.say("李明", "东方精密")
    near = company.press("李明", "跳过")
    assert "✅ 已签到:东方精密" in near and "距客户 314 米" in near
    company.clock.now = at("2026-11-18 17:10")
    company.say("李明", "/checkin 华东机电")  # checks out of 东方精密 on the way
    far = located(company, "李明", (31.30, 120.62))
    assert "有同行者吗" in far  # the place is taken; still asking who came along
    late = company.say("李明", "-")
    assert "已签退:东方精密 17:10" in late and "✅ 已签到:华东机电 17:10" in late
    assert "华东机电 没有登记坐标" in late and "⚠ 不在拜访时间(08:00-16:30)内" in late
    company.say("李明", "/checkin 东方精密")
    located(company, "李明", (31.9, 121.0))
    assert "⚠ 距客户 86.9 公里" in company.say("李明", "-")
    first, second, third = checkins(company)
    assert (first.distance_m, first.outside_hours, second.outside_hours) == (314, False, True)
    assert third.distance_m == 86_936


@pytest.mark.parametrize("where", [(float("nan"), 121.0), (91.0, 0.0), (0.0, 181.0)])
def test_an_unreadable_location_is_asked_again(
    company: Company, where: tuple[float, float]
) -> None:
    company.say("李明", "/checkin 东方精密")
    assert "读不出来" in located(company, "李明", where)
    assert checkins(company) == []
    assert "同行者" in located(company, "李明", (31.2304, 121.4737))


def test_a_location_nobody_waits_for_gets_a_hint(company: Company) -> None:
    assert "没有需要位置的事" in located(company, "周前台", (31.2, 121.4))


def test_two_devices_checking_in_at_once_make_one_check_in(company: Company) -> None:
    company.say("李明", "/checkin 东方精密")
    company.say("李明", "-")
    with company.core.db.session() as session:  # the other phone's check-in, a moment before
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        client = session.scalars(select(Client).where(Client.name == "东方精密")).one()
        session.add(FieldCheckin(person_id=li.id, client_id=client.id, at=company.clock.now))
    told = company.say("李明", "-")
    assert "已于 09:00 在 东方精密 签到" in told
    assert len(checkins(company)) == 1
    with pytest.raises(IntegrityError), company.core.db.session() as session:
        session.add(FieldCheckin(person_id=li.id, client_id=client.id, at=company.clock.now))


def test_the_manager_acknowledges_or_comments_a_visit_report_once(company: Company) -> None:
    company.say("李明", "/checkin 东方精密")
    company.say("李明", "-")
    company.say("李明", "张伟")
    assert "已呈 王经理 审阅" in log_problem_visit(company)
    card = company.last("王经理")
    assert card.startswith("【拜访报告】李明 · 东方精密 · 11月18日(周三) 09:00")
    assert "同行者:张伟" in card and "已阅" in card and "批注" in card
    # Someone who is not his manager presses it (a forwarded button): refused.
    with company.core.db.session() as session:
        review_id = session.scalars(select(Review.id)).one()
    refused = company.core.handle(Event(CONSOLE, "赵总", action=f"rv:{review_id}:ok"))
    assert refused[0].text == "只有报告人的主管可以审阅这份报告。"
    company.press("王经理", "批注")
    company.say("王经理", "很好,下周跟进")
    assert "“很好,下周跟进”" in company.last("李明") and "王经理 批注了您的报告" in company.last(
        "李明"
    )
    assert "已于 11月18日(周三) 09:00 批注过" in company.press("王经理", "已阅")  # stale
    with company.core.db.session() as session:
        review = session.scalars(select(Review)).one()
        assert (review.state, review.comment) == ("commented", "很好,下周跟进")


def test_a_visit_on_a_day_off_is_flagged_on_its_review_card(company: Company) -> None:
    company.say("李明", "/visit 东方精密 11月14日 见了王工 解决问题 有希望")  # a Saturday
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    company.say("李明", "交期问题")
    company.press("李明", "提交")
    card = company.last("王经理")
    assert "11月14日(周六)" in card and "⚠" in card


def test_a_report_submitted_from_another_device_meanwhile_is_not_submitted_again(
    company: Company,
) -> None:
    log_problem_visit(company)
    company.say("李明", "/daily")
    for _ in ("unsolved", "companions", "expenses"):
        shown = company.say("李明", "-")
    assert "已解决问题:东方精密:交期问题" in shown
    with company.core.db.session() as session:  # the other phone's Submit, a moment before
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        session.add(
            DailyReport(person_id=li.id, day=date(2026, 11, 18), submitted_at=company.clock.now)
        )
    assert "已于 11月18日(周三) 09:00 提交过了" in company.press("李明", "提交")
    with company.core.db.session() as session:
        assert len(session.scalars(select(DailyReport)).all()) == 1
        assert session.scalars(select(Review).where(Review.subject == "daily")).all() == []


def test_a_visit_by_someone_with_no_manager_is_reviewed_by_nobody(company: Company) -> None:
    with company.core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        li.manager_id = None
    assert "审阅" not in log_problem_visit(company)
    with company.core.db.session() as session:
        assert session.scalars(select(Review)).all() == []


def test_the_daily_report_is_drafted_at_the_end_of_visiting_hours_and_submitted_once(
    company: Company,
) -> None:
    company.say("李明", "/checkin 东方精密")
    company.say("李明", "-")
    company.say("李明", "张伟")
    log_problem_visit(company, "有希望")
    jump(company, at("2026-11-18 16:29"))
    assert "日报" not in company.last("李明")
    jump(company, at("2026-11-18 16:30"))
    assert "11月18日(周三) 的日报已按您的 1 条拜访记录起好草稿" in company.last("李明")
    assert "今天解决了哪些问题" in company.press("李明", "核对并提交日报")  # none at a visit
    assert "拜访记录里共记了 ¥0" in company.say("李明", "-")
    assert "这不是费用项目。可以写:交通、餐费、礼品、其他" in company.say("李明", "停车 20")
    assert "最多 ¥20,000" in company.say("李明", "交通 99999")
    draft = company.say("李明", "交通 50, 餐费:120")
    assert "本日拜访:1 家(东方精密)" in draft and "未解决问题:东方精密:交期问题" in draft
    assert "已解决问题:无" in draft and "同行者:张伟" in draft
    assert "费用:交通 ¥50 · 餐费 ¥120 · 合计 ¥170" in draft
    company.press("李明", "修改某项")
    company.press("李明", "已解决问题")
    assert "太长" in company.say("李明", "长" * 100_000)  # 100 KB: refused, asked again
    assert "太长了(最多 1000 个字)" in company.say("李明", "长" * 1001)
    company.say("李明", "样品已寄出")
    assert "已解决问题:样品已寄出" in company.last("李明")
    assert "✅ 11月18日(周三) 的日报已提交" in company.press("李明", "提交")
    assert company.last("王经理").startswith("【拜访日报】李明 · 11月18日(周三)")
    assert "已于" in company.say("李明", "/daily")  # submitted once
    assert "已阅,李明 会收到通知" in company.press("王经理", "已阅")
    assert "王经理 已阅您的报告:【拜访日报】" in company.last("李明")
    with company.core.db.session() as session:
        (report,) = session.scalars(select(DailyReport)).all()
        assert report.content["total"] == "170.00" and report.content["visits"] == 1


def test_missing_daily_reports_and_the_days_check_ins_show_in_the_managers_digest(
    company: Company,
) -> None:
    company.say("李明", "/checkin 东方精密")
    company.say("李明", "-")
    company.say("李明", "-")
    log_problem_visit(company)
    jump(company, at("2026-11-19 08:30"))
    digest = next(m for m in reversed(company.inbox["王经理"]) if "早上好" in m)
    assert "• 团队上个工作日签到:李明:东方精密 09:00" in digest
    assert "• 上个工作日未签到:刘芳 · 张伟 · 陈静" in digest
    assert "• 未交日报:李明(11月18日(周三))" in digest


def test_a_salesperson_who_left_mid_day_gets_no_report_and_is_not_chased(
    company: Company,
) -> None:
    log_problem_visit(company)
    with company.core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        li.active = False
        rows = daily_report.reminder_rows(session, company.core.policy, at("2026-11-18 16:45"))
        assert rows == []
    company.say("张伟", "/visit 华南电子 见了陈经理 有希望")  # still with the company
    company.press("张伟", "初次拜访")
    company.press("张伟", "客户关怀")
    company.press("张伟", "选好了")
    company.say("张伟", "介绍新品")
    company.press("张伟", "提交")
    jump(company, at("2026-11-19 08:30"))
    digest = next(m for m in reversed(company.inbox["王经理"]) if "早上好" in m)
    assert "• 未交日报:张伟(11月18日(周三))" in digest


def test_the_morning_of_a_planned_visit_brings_the_checklist_to_tick(company: Company) -> None:
    with company.core.db.session() as session:
        li = session.scalars(select(Person).where(Person.name == "李明")).one()
        client = session.scalars(select(Client).where(Client.name == "华东机电")).one()
        plan = VisitPlan(person_id=li.id, year=2026, month=11, state="approved", round=1)
        session.add(plan)
        session.flush()
        session.add(
            PlanEntry(
                plan_id=plan.id,
                client_id=client.id,
                planned_on=date(2026, 11, 19),
                purpose="送样品",
            )
        )
    jump(company, at("2026-11-19 07:29"))
    assert "出发前" not in company.last("李明")
    jump(company, at("2026-11-19 07:30"))
    checklist = company.last("李明")
    assert checklist.startswith("今天拜访 华东机电(目的:送样品)。出发前请确认:")
    assert "☐ 名片" in checklist and "☐ 工作证" in checklist
    assert "☑ 名片" in company.press("李明", "名片")
    assert "☐ 名片" in company.press("李明", "✓ 名片")  # untick
    for item in ("已与客户确认预约", "名片", "样品", "价格表", "产品资料", "工作证"):
        shown = company.press("李明", item)
    assert "准备齐了" in shown
    with company.core.db.session() as session:
        reminder = session.scalars(select(Reminder).where(Reminder.kind == "visit.prepare")).one()
        assert reminder.state == "done"
    jump(company, at("2026-11-19 09:00"))  # made once: no second checklist
    assert sum(m.startswith("今天拜访") for m in company.inbox["李明"]) == 1
