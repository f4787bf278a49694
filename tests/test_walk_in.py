"""Walk-in visitors at the front desk (seed 004 《访客登记表》, seed 000's 车辆登记, 携带物品):
registered, answered by the host (Coming / Please wait / Decline), seen by the desk, in the
day's list, the audit trail and the exports."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.exports.walk_ins import COLUMNS
from storage.models import AuditEntry, Person, WalkIn
from tests.support import Company
from tests.test_export import csv_rows, exported

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def register(company: Company, host: str = "李明", plate: str = "沪A·12345") -> str:
    """周前台 registers 王强 of 华南电子 (3 people, by car, with samples) for `host`."""
    assert "访客要找哪位同事" in company.say("周前台", "/walkin")
    assert "访客姓名" in company.say("周前台", host)
    assert "哪个单位" in company.say("周前台", "王强")
    assert "几位访客" in company.say("周前台", "华南电子")
    assert "车牌号" in company.say("周前台", "3")
    assert "携带了哪些物品" in company.say("周前台", plate)
    summary = company.say("周前台", "样品两箱")
    assert f"请核对访客登记 —— 找 {host}" in summary
    return company.press("周前台", "提交")


def test_the_host_answers_and_the_desk_sees_it(company: Company) -> None:
    assert register(company).endswith("\n已通知 李明,等候答复。")
    card = company.last("李明")
    assert card.startswith("🚪 前台 09:00:有访客(无预约)找您\n华南电子 的 王强,共 3 人\n")
    assert "车牌:沪A12345\n携带物品:样品两箱" in card
    assert "马上到" in card and "请稍等" in card and "不见" in card
    waiting = company.press("李明", "请稍等")
    assert "您已答复:请访客稍等(09:00)" in waiting
    assert company.last("周前台") == "🔔 李明 答复 华南电子 的 王强:请访客稍等"
    company.clock.advance(minutes=10)
    assert "请稍等" not in company.inbox["李明"][-1].split("\n")[-1]  # only Coming / Decline
    company.press("李明", "马上到")
    assert company.last("周前台") == "🔔 李明 答复 华南电子 的 王强:马上到"
    again = company.press("李明", "马上到")  # the same button, tapped twice
    assert again == "已经答复过了:马上到(09:10)。"
    assert "已经答复过了" in company.press("李明", "不见")  # an old card's other answer
    listing = company.say("周前台", "/today")
    assert "今天的无预约访客:1 批\n09:00 华南电子 的 王强 3人,找 李明:马上到" in listing
    with company.core.db.session() as session:
        visit = session.scalars(select(WalkIn)).one()
        assert (visit.state, visit.plate, visit.visitors) == ("coming", "沪A12345", 3)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == "walk_in").order_by(AuditEntry.id)
        ).all()
        assert actions == ["walk_in.register", "walk_in.answer", "walk_in.answer"]


def test_only_the_host_answers_and_only_the_same_day(company: Company) -> None:
    register(company)
    button = company.button("李明", "马上到")
    assert company.say("张伟", button) == "这位访客不是来找您的。"
    company.clock.advance(days=1)
    assert company.say("李明", button) == "这是 11月18日(周三) 的访客,已经不能再答复了。"
    with company.core.db.session() as session:
        assert session.scalars(select(WalkIn.state)).one() == "asked"
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "walk_in.refused"))
        assert len(refused.all()) == 1
    assert "没有使用这个命令的权限" in company.say("李明", "/walkin")


def test_a_host_who_left_a_name_shared_and_a_bad_plate_are_asked_again(company: Company) -> None:
    with company.core.db.session() as session:
        session.scalars(select(Person).where(Person.name == "陈静")).one().active = False
    company.say("周前台", "/walkin")
    assert "陈静 已不在公司。请问访客还要找哪位同事" in company.say("周前台", "陈静")
    assert "没有找到这位同事" in company.say("周前台", "钱总")
    several = company.say("周前台", "a")  # part of three names
    assert "有几位同事符合“a”:Anna Schmidt、Grace Lee、Tom Walker。请输入全名。" in several
    assert "访客姓名" in company.say("周前台", "李")  # part of one name only: 李明
    company.say("周前台", "王强")
    company.say("周前台", "华南电子")
    assert "几位访客" in company.say("周前台", "0")  # at least one
    company.say("周前台", "2")
    assert "车牌号看起来不对" in company.say("周前台", "我不知道")
    assert "太长了(最多 30 个字)" in company.say("周前台", "沪A" + "1" * 40)
    assert "车牌号看起来不对" in company.say("周前台", "沪A1234567890")
    assert "携带了哪些物品" in company.say("周前台", "-")  # no car: skipped
    summary = company.say("周前台", "-")
    assert "车牌" not in summary.split("请核对")[1]
    company.press("周前台", "提交")
    with company.core.db.session() as session:
        visit = session.scalars(select(WalkIn)).one()
        assert (visit.plate, visit.belongings, visit.host.name) == (None, None, "李明")


def test_walk_ins_are_exported(company: Company) -> None:
    register(company)
    company.press("李明", "不见")
    message = exported(company.core, "孙行政", "/export walkins 2026-11 csv")
    keys = [column.key for column in COLUMNS]
    (row,) = csv_rows(message, keys)
    assert (row["visitor"], row["visitor_company"], row["visitors"], row["host"]) == (
        "王强",
        "华南电子",
        "3",
        "李明",
    )
    assert (row["plate"], row["belongings"], row["host_answer"], row["registered_by"]) == (
        "沪A12345",
        "样品两箱",
        "不见",
        "周前台",
    )
