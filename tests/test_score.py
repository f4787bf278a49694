"""The monthly scorecard (seed 003, 客户专人月度考核表) on a known month, clients past their
visit frequency, and the queries the daily digest reads."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from handlers.visits import rules as visit_rules
from storage.models import Person
from tests.support import Company
from tests.test_plan import add_entry

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def quick(company: Company, who: str, line: str, purpose: str = "客户关怀") -> str:
    """A quick log finished with one tap each and a short summary; returns the reply."""
    company.say(who, f"/visit {line}")
    company.press(who, "建立关系")
    company.press(who, purpose)
    company.press(who, "选好了")
    company.say(who, "例行拜访")
    return company.press(who, "提交")


def at(day: int, hour: int = 10, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def file_plan(company: Company, who: str, entries: list[tuple[str, str]]) -> None:
    for client, day in entries:
        add_entry(company, who, client, day, "客户关怀")
    company.press(who, "提交给经理")
    company.press("王经理", "同意")


def known_december(company: Company) -> None:
    """李明 plans 3 visits and makes 3 (2 of them planned); 张伟 plans 2 and makes 1;
    刘芳 makes 1 with no plan; 陈静 does nothing. A November visit does not count."""
    quick(company, "李明", "北京宏达 见了刘董 有希望")  # Wed 18 Nov
    planned = [("华东机电", "12月3日"), ("北京宏达", "12月10日"), ("东方精密", "12月15日")]
    file_plan(company, "李明", planned)
    file_plan(company, "张伟", [("华南电子", "12月4日"), ("信达物流", "12月8日")])
    company.clock.now = at(3)
    assert "计划中 12月3日(周四) 的这次拜访已完成" in quick(
        company, "李明", "华东机电 见了张总 有希望"
    )
    company.clock.now = at(4)
    assert "计划中 12月15日(周二)" in quick(company, "李明", "东方精密 见了王工 继续观察")
    company.say("李明", "/visit 见了王总 有意向")  # a new client, outside the plan
    company.say("李明", "苏北重工")
    company.press("李明", "本市")
    company.press("李明", "初次拜访")
    company.say("李明", "开发新客户")
    company.say("李明", "初次接触")
    assert "计划中" not in company.press("李明", "提交")
    quick(company, "张伟", "华南电子 见了陈经理 再访")
    quick(company, "刘芳", "苏州新材 见了吴总 有希望")


def test_the_scorecard_of_a_known_month(company: Company) -> None:
    known_december(company)
    mine = company.say("李明", "/score 2026-12")
    assert "📊 李明 2026年12月拜访考核" in mine
    assert "计划 3 · 实际 3(计划内完成 2)· 完成率 100%" in mine  # 实际 ÷ 计划 (seed 003)
    assert "未完成:12月10日(周四) 北京宏达" in mine
    assert "完成率 100%" in company.say("李明", "/score")  # this month, December
    november = company.say("李明", "/score 11月")
    assert "计划 0 · 实际 1(计划内完成 0)· 完成率 —(没有计划)" in november
    assert company.say("李明", "/score 上个月") == november  # said from this month, too

    team = company.say("王经理", "/score team 2026-12")
    assert "📊 王经理的团队 2026年12月拜访考核" in team
    assert "李明:计划 3 · 实际 3(计划内完成 2)· 完成率 100% · 考核 40 分(待评分)" in team
    assert "张伟:计划 2 · 实际 1(计划内完成 1)· 完成率 50%" in team
    assert "刘芳:计划 0 · 实际 1(计划内完成 0)· 完成率 —(没有计划)" in team
    assert "陈静:计划 0 · 实际 0(计划内完成 0)· 完成率 —(没有计划)" in team
    assert "合计:计划 5 · 实际 5(计划内完成 3)· 完成率 100%" in team
    assert "王经理:" not in team  # the manager's own numbers are not the team's

    assert "只有经理可以查看团队考核" in company.say("李明", "/score team")
    assert "用法" in company.say("李明", "/score 下辈子")
    grace = company.say("Grace Lee", "/score team 2026-12")
    assert "Tom Walker: planned 0 · made 0 (0 as planned) · completion — (no plan)" in grace


def test_the_queries_the_digest_reads(company: Company) -> None:
    known_december(company)
    policy = company.core.policy
    with company.core.db.session() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        li, wang = people["李明"], people["王经理"]
        planned = visit_rules.planned_visits(session, li, date(2026, 12, 10))
        assert [e.client.name for e in planned] == ["北京宏达"]
        due = visit_rules.reports_due(session, policy, li, date(2026, 12, 14))
        assert [(d.client.name, d.due_on, d.overdue) for d in due] == [
            ("北京宏达", date(2026, 12, 14), False)
        ]
        late = visit_rules.team_overdue_reports(policy, wang, date(2026, 12, 15))
        assert [(e.plan.person.name, e.client.name) for e in session.scalars(late)] == [
            ("张伟", "信达物流"),
            ("李明", "北京宏达"),
        ]
        day = date(2026, 12, 4)
        made = session.scalars(visit_rules.team_visits(wang, day, day))
        assert sorted(v.client.name for v in made) == [
            "东方精密",
            "华南电子",
            "苏北重工",
            "苏州新材",
        ]
        score = visit_rules.plan_completion(session, li, 2026, 12)
        assert (score.planned, score.done, score.actual, score.rate) == (3, 2, 3, 100)
    assert visit_rules.completion_rate(1, 3) == 33
    assert visit_rules.completion_rate(1, 8) == 13  # 12.5 rounds half up
    assert visit_rules.completion_rate(0, 0) is None


def test_clients_never_visited_are_shown_as_such(company: Company) -> None:
    """Issue 19, item 15: not "all within their frequency" while none was ever visited."""
    listing = company.say("李明", "/overdue")
    assert "您的客户都在拜访周期内" not in listing and "超过拜访周期" not in listing
    assert "从未拜访的客户(3):" in listing
    (huadong,) = [line for line in listing.split("\n") if line.startswith("华东机电")]
    assert huadong.startswith("华东机电(本省)· 11月18日(周三) 建档 · ")  # quarterly:
    assert "2月18日" in huadong and huadong.endswith("前应首次拜访")  # 2027, its year or not
    assert "东方精密(本市)· 11月18日(周三) 建档 · 12月18日(周五)前应首次拜访" in listing
    assert "拜访 北京宏达" in listing  # a button to log the first one
    quick(company, "李明", "东方精密 见了王工 有希望")
    assert "从未拜访的客户(2):" in company.say("李明", "/overdue")
    company.clock.now = at(28)  # Mon 28 Dec: 信达物流 (张伟's, local) is past its first month
    listing = company.say("张伟", "/overdue")
    assert "信达物流(本市)· 从未拜访 · 逾期 10 天" in listing
    assert "华南电子(外地)· 11月18日(周三) 建档" in listing.split("从未拜访的客户(1):")[1]
    english = company.say("Tom Walker", "/overdue")
    assert "Clients never visited (1):" in english
    assert "ACME Industrial (other region) · added Wed 18 Nov · first visit due by" in english


def test_clients_past_their_visit_frequency(company: Company) -> None:
    quick(company, "张伟", "信达物流 见了周总 有希望")
    quick(company, "张伟", "华南电子 见了陈经理 有希望")
    assert "您的客户都在拜访周期内" in company.say("张伟", "/overdue")
    company.clock.now = at(25, month=11)
    quick(company, "李明", "东方精密 见了王工 有希望")
    company.clock.now = at(28)  # Mon 28 Dec
    # 东方精密 is local (monthly): last visited 25 Nov, due 25 Dec. 信达物流 (local, 张伟's)
    # was never visited: due a month after it was added on 18 Nov.
    assert "东方精密(本市)· 上次拜访 11月25日(周三) · 逾期 3 天" in company.say("李明", "/overdue")
    assert "信达物流(本市)· 上次拜访 11月18日(周三) · 逾期 10 天" in company.say("张伟", "/overdue")
    company.clock.now = datetime(2027, 3, 1, 10, 0, tzinfo=SHANGHAI)
    listing = company.say("李明", "/overdue")
    assert "超过拜访周期的客户(2)" in listing
    first, second = listing.split("\n")[1:3]
    assert first.startswith("东方精密(本市)") and "逾期 66 天" in first
    assert second.startswith("华东机电(本省)") and "逾期 11 天" in second  # quarterly
    assert "哪天拜访的" in company.press("李明", "拜访 华东机电")
