"""Who may decide, as intruders would try it (issue 18, items 1 and 5): the requester standing
in as a delegate, an approver demoted by a re-import, an escalation that would show a client
to someone outside its owner's chain, an ended delegation, a forged button for another step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from handlers.org.chart import import_org, load_org_file
from storage.models import ApprovalStep, AuditEntry, Person, Reception
from tests.conftest import EXAMPLE_ORG
from tests.support import Company
from tests.test_approval import plain_reception
from tests.test_scheduler import at, jump

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def forge(company: Company, who: str, action: str) -> str:
    """Press a button `who` was never shown, as a tampered client would send it."""
    replies = company.core.handle(Event(CONSOLE, who, action=action))
    company.console.deliver()
    return "\n".join(m.text for m in replies)


def _state(company: Company) -> str:
    with company.core.db.session() as session:
        return session.scalars(select(Reception.state)).one()


def test_a_requester_never_decides_his_own_request_as_a_delegate(company: Company) -> None:
    company.say("王经理", "/delegate 李明 到 12月5日")
    plain_reception(company, "李明", "东方精密", "D")
    # The card goes to 王经理 alone, and says why his delegate does not get it.
    card = company.last("王经理")
    assert "【接待申请 #1】" in card and "同意" in card
    assert "李明 是申请人,不能代您审批,请您亲自审批" in card
    assert not any("【接待申请 #1】" in text for text in company.inbox["李明"])
    # A button made up by the requester changes nothing either.
    with company.core.db.session() as session:
        step_id = session.scalars(select(ApprovalStep.id)).one()
    reply = forge(company, "李明", f"apv:{step_id}:ok")
    assert "这是您本人提交的申请,不能由您审批" in reply
    assert "由 王经理 审批" in reply
    assert _state(company) == "pending"
    assert "没有等您审批" in company.say("李明", "/pending")
    with company.core.db.session() as session:
        refused = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "approval.refused")
        ).one()
        assert refused == {"why": "own_request"}
    company.press("王经理", "同意")
    assert _state(company) == "approved"


def reimport(company: Company, change: Callable[[dict[str, Any]], None]) -> None:
    """The org admin edits examples/org.toml with `change` and imports it again."""
    org = load_org_file(EXAMPLE_ORG)
    change(org)
    with company.core.db.session() as session:
        import_org(session, org, company.core.policy, company.clock())


def person_entry(org: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in org["person"] if p["name"] == name)


def test_an_approver_demoted_by_a_reimport_no_longer_decides(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    approve = company.button("王经理", "同意")
    reimport(company, lambda org: person_entry(org, "王经理").update(roles=["sales"]))
    reply = company.say("王经理", approve)
    assert "审批人已变更:这一步已转由 赵总 审批" in reply
    assert _state(company) == "pending"
    # His copy goes quiet; the step is 赵总's now, and 李明 is told whom it waits for.
    assert "⏳ 等待 赵总 审批" in company.last("王经理") and "[" not in company.last("王经理")
    assert "【接待申请 #1】" in company.last("赵总") and "同意" in company.last("赵总")
    assert "已送 赵总 审批" in company.last("李明")
    assert "这不是您的审批" in company.say("王经理", approve)
    company.press("赵总", "同意")
    assert _state(company) == "approved"
    with company.core.db.session() as session:
        step = session.scalars(select(ApprovalStep)).one()
        assert (step.approver.name, step.decided_by and step.decided_by.name) == ("赵总", "赵总")


def test_a_requester_moved_to_another_manager_goes_to_the_new_one(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    reimport(company, lambda org: person_entry(org, "李明").update(manager="Grace Lee"))
    assert "Grace Lee" in company.press("王经理", "驳回")
    assert "[Reception #1]" in company.last("Grace Lee")
    assert _state(company) == "pending"


def test_the_delegate_of_a_deactivated_approver_decides_nothing(company: Company) -> None:
    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    with company.core.db.session() as session:
        session.scalars(select(Person).where(Person.name == "王经理")).one().active = False
    assert "这一步已转由 赵总 审批" in company.press("张伟", "同意")
    assert _state(company) == "pending"
    assert "【接待申请 #1】" in company.last("赵总")


def test_a_finance_escalation_stays_with_who_may_see_the_client(company: Company) -> None:
    def finance_director(org: dict[str, Any]) -> None:
        org["person"].append(
            {"name": "孔总监", "department": "财务部", "roles": ["manager"], "manager": "赵总"}
        )
        person_entry(org, "钱会计")["manager"] = "孔总监"

    reimport(company, finance_director)
    plain_reception(company, "李明", "东方精密", "C", transport="6000")
    company.press("王经理", "同意")
    assert "【接待申请 #1】" in company.last("钱会计")
    company.clock.advance(days=2)  # past twice the reminder's working hours
    company.console.deliver()
    assert not any("东方精密" in text for text in company.inbox["孔总监"])
    escalated = company.last("赵总")
    assert "钱会计 已有" in escalated and "东方精密" in escalated and "合计 ¥6,000" in escalated


def test_a_delegate_whose_delegation_ended_decides_nothing(company: Company) -> None:
    company.say("王经理", "/delegate 张伟 到 11月19日")
    plain_reception(company, "李明", "东方精密", "C")
    approve = company.button("张伟", "同意")
    company.clock.advance(days=2)  # the delegation ran to the end of 11月19日
    assert "这不是您的审批" in company.say("张伟", approve)
    assert _state(company) == "pending"
    assert "没有等您审批" in company.say("张伟", "/pending")


def test_a_forged_button_for_a_step_not_yet_open_decides_nothing(company: Company) -> None:
    plain_reception(company, "李明", "华东机电", "B")  # 王经理, then 赵总
    with company.core.db.session() as session:
        second = session.scalars(select(ApprovalStep.id).where(ApprovalStep.position == 1)).one()
    assert "这一步还没轮到您审批" in forge(company, "赵总", f"apv:{second}:ok")
    assert "这不是您的审批" in forge(company, "王经理", f"apv:{second}:ok")
    with company.core.db.session() as session:
        states = session.scalars(select(ApprovalStep.state).order_by(ApprovalStep.id)).all()
        assert states == ["pending", "waiting"]


def test_the_requester_as_a_later_approvers_delegate_gets_nothing_to_decide(
    company: Company,
) -> None:
    company.say("赵总", "/delegate 李明 到 12月5日")
    company.say("王经理", "/delegate 李明 到 12月5日")
    plain_reception(company, "李明", "华东机电", "B")  # 王经理, then 赵总
    company.press("王经理", "同意")
    assert "李明 是申请人,不能代您审批" in company.last("赵总")
    assert not any("【接待申请 #1】" in text for text in company.inbox["李明"])
    jump(company, at("2026-11-19 08:30"))
    assert "待您审批" not in "\n".join(company.inbox["李明"])  # nor in his digest
    assert "待您审批:接待申请 #1" in company.last("赵总")


def test_a_reason_typed_after_a_demotion_decides_nothing(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    assert "驳回原因" in company.press("王经理", "驳回")
    reimport(company, lambda org: person_entry(org, "王经理").update(roles=["sales"]))
    assert "这一步已转由 赵总 审批" in company.give_reason("王经理", "预算不够")
    assert _state(company) == "pending"


def test_a_colleagues_tap_on_a_stale_step_moves_nothing(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    reimport(company, lambda org: person_entry(org, "王经理").update(roles=["sales"]))
    with company.core.db.session() as session:
        step_id = session.scalars(select(ApprovalStep.id)).one()
    assert "这不是您的审批" in forge(company, "张伟", f"apv:{step_id}:ok")
    assert "赵总" not in forge(company, "张伟", f"apv:{step_id}:ok")
    with company.core.db.session() as session:
        assert session.scalars(select(ApprovalStep)).one().approver.name == "王经理"
