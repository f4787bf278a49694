"""Satisfaction after a visit and client complaints (seeds 001, 003; issue 22 items 5, 6):
the call-back reminder and its score, a low score opening a complaint, `/complaint`, seed
003's timers reminding and escalating, the close with the client's feedback and the
manager's confirmation, and a repeat complaint on the assessment."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers import schedule
from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from storage.db import Database
from storage.models import Complaint, OutboxMessage, Person, Reminder, Satisfaction
from tests.support import Company
from tests.test_digest import digest_of
from tests.test_score import quick

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def tick(company: Company, who: str = "孙行政") -> None:
    company.say(who, "/help")  # the console runs the scheduler on every line


def rows(company: Company, kind: str) -> list[tuple[str, str]]:
    with company.core.db.session() as session:
        found = session.scalars(select(Reminder).where(Reminder.kind == kind).order_by(Reminder.id))
        return [(r.key, r.state) for r in found]


def test_the_client_is_called_back_and_a_low_score_opens_a_complaint(company: Company) -> None:
    quick(company, "李明", "华东机电 见了张总 有希望")  # Wed 18 Nov
    tick(company)
    assert rows(company, "visit.satisfaction") == []  # not before its day
    company.clock.now = at(19, 9, 1)  # one working day later, working hours begun
    tick(company)
    asked = [m for m in company.inbox["李明"] if m.startswith("📞 回访 华东机电")]
    assert asked and "11月18日(周三)的拜访,客户满意吗" in asked[-1] and "张总" in asked[-1]
    issue = company.press("李明", "4 满意")
    assert "客户提到什么问题吗" in issue
    assert "✅ 已记录 华东机电 的满意度:4/5。" in company.press("李明", "跳过")
    again = company.say("李明", company.button("李明", "4 满意"))  # the old button, tapped again
    assert "已经记录过了" in again
    forged = company.core.handle(Event(CONSOLE, "张伟", action="sat:1:5"))  # not his visit
    assert "这次拜访不是您的" in forged[-1].text
    assert "· 满意度 4/5" in company.say("李明", "/client 华东机电")
    tick(company)
    assert ("visit.satisfaction:1", "done") in rows(company, "visit.satisfaction")

    quick(company, "李明", "东方精密 见了王工 继续观察")  # Thu 19 Nov
    company.clock.now = at(20, 9, 1)
    tick(company)
    company.press("李明", "2 不满意")  # 东方精密's call back
    saved = company.say("李明", "样品没按时送到")
    assert "✅ 已记录 东方精密 的满意度:2/5。" in saved
    assert "✅ 投诉 #1 已记录,已通知 王经理 处理。" in saved  # 李明's department's manager
    card = company.last("王经理")
    assert card.startswith("🔔 新的客户投诉,请受理:")
    assert "【客户投诉 #1】东方精密 · 待受理" in card and "内容:样品没按时送到" in card
    with company.core.db.session() as session:
        assert [(s.score, s.issue) for s in session.scalars(select(Satisfaction))] == [
            (4, None),
            (2, "样品没按时送到"),
        ]
        assert session.scalars(select(Complaint)).one().source == "satisfaction"


def test_a_complaint_runs_seed_003s_timetable(company: Company) -> None:
    unknown = company.say("李明", "/complaint 火星公司 发票开错了")
    assert "没有找到这位客户" in unknown and "哪位客户投诉" in unknown
    company.say("李明", "/complaint 华东机电 发票开错了")  # a new start, the client known
    assert "请核对:华东机电 投诉 · 负责部门 总经办" in company.press("李明", "总经办")
    recorded = company.press("李明", "提交")
    assert "✅ 投诉 #1 已记录,已通知 赵总 处理。" in recorded
    assert "🔔 新的客户投诉" in company.last("赵总")

    company.clock.now = at(18, 9, 11)  # 10 minutes gone, not taken
    tick(company)
    assert "⏰ 投诉 #1(华东机电)超时未受理" in company.last("赵总")
    company.clock.now = at(18, 9, 45)  # and 30 more: 赵总 has no manager to escalate to
    tick(company)
    assert rows(company, "complaint.escalate") == []
    taken = company.press("赵总", "受理")
    assert "✅ 已受理。" in taken and "已告知负责人" in taken
    assert "这个投诉现在是「已受理」,没有改动。" in company.press("赵总", "受理")  # twice
    assert company.last("李明").startswith("✅ 投诉已受理,请尽快答复客户:")

    company.clock.now = at(18, 10, 6)  # 20 minutes after it was taken, no answer yet
    tick(company)
    assert "⏰ 投诉 #1(华东机电)超时未答复客户" in company.last("李明")
    company.clock.now = at(18, 10, 40)  # and 30 more: 李明's manager hears of it
    tick(company)
    assert "⚠ 投诉 #1(华东机电)仍未答复客户(李明)" in company.last("王经理")
    assert "✅ 已记录答复客户。" in company.press("李明", "已答复客户")

    company.clock.now = at(19, 9, 1)  # 24 hours after it came in
    tick(company)
    assert "⏰ 投诉 #1(华东机电)到了回访时间" in company.last("李明")
    forged = company.core.handle(Event(CONSOLE, "张伟", action="cp:ok:1"))  # not his to close
    assert "这一步不由您处理。" in forged[-1].text
    asked = company.press("李明", "已回访")
    assert "客户对处理结果怎么说" in asked
    assert "等待经理确认关闭" in company.say("李明", "已重开发票,客户满意")
    to_confirm = company.last("王经理")
    assert "请确认关闭投诉" in to_confirm and "客户反馈:已重开发票,客户满意" in to_confirm
    assert "✅ 投诉已关闭。" in company.press("王经理", "确认关闭")
    assert company.last("李明").startswith("✅ 投诉已确认关闭:")
    tick(company)
    assert all(state != "pending" for _, state in rows(company, "complaint.remind"))

    company.say("李明", "/complaint 华东机电 又开错了")
    company.press("李明", "总经办")
    again = company.press("李明", "提交")
    assert "#2" in again
    assert "⚠ 重复投诉(上次 #1,11月18日(周三))" in company.last("赵总")
    assert "⚠ 重复投诉 1 次(扣 0 分)" in company.say("李明", "/score 2026-11")
    assert "11月19日(周四) 投诉 #2:又开错了(待受理) · 重复投诉" in company.say(
        "李明", "/client 华东机电"
    )


def test_a_complaint_whose_responsible_person_left_goes_above_them(company: Company) -> None:
    quick(company, "李明", "东方精密 见了王工 继续观察")
    company.clock.now = at(19, 9, 1)
    tick(company)
    company.press("李明", "1 很不满意")
    company.press("李明", "跳过")  # complaint #1, for 王经理 to take
    with company.core.db.session() as session:
        wang = session.scalars(select(Person).where(Person.name == "王经理")).one()
        wang.active = False
        session.commit()
    company.clock.now += timedelta(minutes=11)
    tick(company)
    reminded = rows(company, "complaint.remind")
    assert [key.split(":")[-1] for key, _ in reminded] == ["1"]  # 赵总 (person 1), not 王经理
    assert "⏰ 投诉 #1(东方精密)超时未受理" in company.last("赵总")
    assert "✅ 已受理。" in company.press("赵总", "受理")


def test_the_digests_list_call_backs_and_open_complaints(company: Company) -> None:
    quick(company, "李明", "华东机电 见了张总 有希望")  # Wed 18 Nov
    company.say("李明", "/complaint 东方精密 交期一再推迟")
    company.press("李明", "销售一部(默认)")  # the client owner's department, offered first
    company.press("李明", "提交")
    company.clock.now = at(19, 9, 1)  # the call-back reminder goes out, nobody scores it
    tick(company)
    company.press("王经理", "受理")
    company.clock.now = at(20, 8, 30)  # Friday's digests
    tick(company, "李明")
    mine = digest_of(company, "李明")
    assert "回访 华东机电(11月18日(周三)的拜访),记录满意度" in mine
    assert "投诉 #1 东方精密:请答复客户" in mine
    managers = digest_of(company, "王经理")
    assert "团队未结投诉" in managers and "#1 东方精密(已受理)" in managers


def test_complaint_timers_survive_a_restart_and_come_once(company: Company) -> None:
    """The deadlines are the complaint's own times: a new process (a fresh `Database`, no
    memory of the last tick) finds what is due, and two of them send it once."""
    company.say("李明", "/complaint 华东机电 发票开错了")
    company.press("李明", "总经办")
    company.press("李明", "提交")
    url = company.core.db.engine.url.render_as_string(hide_password=False)
    later = at(18, 9, 11)
    for _ in range(2):  # two processes, one after the other, each fresh
        fresh = Database(url)
        try:
            schedule.tick(fresh, company.core.policy, later)
        finally:
            fresh.dispose()
    with company.core.db.session() as session:
        sent = session.scalars(
            select(OutboxMessage).where(OutboxMessage.key.startswith("rem:"))
        ).all()
        assert len(sent) == 1 and "超时未受理" in sent[0].payload["text"]
    assert rows(company, "complaint.remind") == [("complaint.remind:1:tell:1", "sent")]
