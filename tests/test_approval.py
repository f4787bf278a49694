"""Approval chains end to end: classes A–D, reject, ask for changes and resubmit,
delegation, withdrawal, foreign taps, concurrent decisions, a restart mid-form."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from handlers.engine.core import CONSOLE, Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import ApprovalStep, AuditEntry, Reception
from tests.support import Company, FakeClock
from tests.test_reception import fill_b_class

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def plain_reception(
    company: Company, who: str, client: str, cls: str, leaders: str = "-", transport: str = "0"
) -> str:
    """The shortest reception: no pickup, hotel or meals; arriving next Monday. A transport
    budget above the finance threshold brings finance in last."""
    company.say(who, "/reception")
    answers = [client, cls, "2", "王工", "经理", "会议", "下周一上午10点", "对"]
    answers += ["下周一下午5点", "对", "否", "否", "0", "否", "-", leaders, "-", "-", transport]
    for answer in answers:
        if "一样安排吗" in company.say(who, answer):  # the client's second: not like last time
            company.say(who, "否")
    summary = company.say(who, "-")
    assert "请核对接待申请" in summary, summary
    return company.press(who, "提交")


@pytest.mark.parametrize(
    ("client", "cls", "chain"),
    [
        ("北京宏达", "A", ["王经理", "赵总"]),
        ("华东机电", "B", ["王经理", "赵总"]),
        ("东方精密", "C", ["王经理"]),
        ("东方精密", "D", ["王经理"]),
    ],
)
def test_each_class_goes_through_its_chain(
    company: Company, client: str, cls: str, chain: list[str]
) -> None:
    leaders = "总经理" if cls == "A" else "-"
    plain_reception(company, "李明", client, cls, leaders)
    for approver in chain:
        assert "[" in company.last(approver), f"{approver} got no card"
        company.press(approver, "同意")
    assert "已获批准" in "\n".join(company.inbox["李明"][-2:])
    with company.core.db.session() as session:
        steps = session.scalars(select(ApprovalStep).order_by(ApprovalStep.position)).all()
        assert [s.approver.name for s in steps] == chain
        assert session.scalars(select(Reception.state)).one() == "approved"


def test_reject_asks_a_reason_and_tells_the_requester(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    assert "驳回原因" in company.press("王经理", "驳回")
    confirm = company.say("王经理", "本月预算已用完")
    # What Submit will do, before it does it; nothing decided yet.
    assert confirm.startswith("将驳回「接待申请 #1 东方精密」,原因:本月预算已用完")
    assert "驳回" not in company.last("李明")
    done = company.press("王经理", "提交")
    assert "已驳回" in done
    assert "被 王经理 驳回:本月预算已用完" in company.last("李明")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "rejected"
        assert session.scalars(select(ApprovalStep.note)).one() == "本月预算已用完"


def test_a_reason_goes_to_the_request_whose_button_was_pressed(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # #1
    plain_reception(company, "李明", "华东机电", "C")  # #2
    first_reject = next(n for label, n in company.buttons_shown["王经理"] if label == "驳回")
    company.say("王经理", f"#{first_reject}")  # he starts rejecting #1, then turns to #2
    company.clock.advance(minutes=1)
    reply = company.press("王经理", "驳回")
    assert "之前没填完的审批意见已放弃" in reply and "驳回原因" in reply
    company.give_reason("王经理", "本月预算已用完")
    with company.core.db.session() as session:
        states = session.scalars(select(Reception.state).order_by(Reception.id)).all()
        assert states == ["pending", "rejected"]


def test_ask_for_changes_then_resubmit_to_the_same_chain(company: Company) -> None:
    fill_b_class(company)
    company.press("李明", "提交")
    company.press("王经理", "退回修改")
    company.give_reason("王经理", "人数改为3人")
    told = company.last("李明")
    assert "需要修改(王经理):人数改为3人" in told
    reopened = company.press("李明", "修改后重新提交")
    assert "请核对接待申请" in reopened
    assert "要修改哪一项" in company.press("李明", "修改某项")
    assert "来访多少人" in company.press("李明", "人数")
    summary = company.say("李明", "3")
    assert "来访:3人" in summary
    company.press("李明", "提交")
    card = company.last("王经理")
    assert "(第2次提交)" in card and "来访:3人" in card
    company.press("王经理", "同意")
    company.press("赵总", "同意")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        assert (reception.state, reception.round, reception.visitors) == ("approved", 2, 3)
        rounds = session.scalars(select(ApprovalStep.round).order_by(ApprovalStep.id)).all()
        assert rounds == [1, 1, 2, 2]


def test_only_the_current_approver_may_decide(company: Company) -> None:
    plain_reception(company, "李明", "华东机电", "B")
    cardbuttons_shown = company.buttons_shown["王经理"]
    approve = next(n for label, n in cardbuttons_shown if label == "同意")
    # 赵总 (next in the chain) and 张伟 (a colleague) both press 王经理's button.
    assert "这不是您的审批" in company.say("赵总", f"#{approve}")
    assert "这不是您的审批" in company.say("张伟", f"#{approve}")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "pending"
        refused = session.scalar(
            select(func.count()).where(AuditEntry.action == "approval.refused")
        )
        assert refused == 2


def test_a_delegate_decides_while_the_delegation_runs(company: Company) -> None:
    assert "由 张伟 代您审批" in company.say("王经理", "/delegate 张伟 到 12月5日")
    assert "请您代为审批" in company.last("张伟")
    plain_reception(company, "李明", "东方精密", "C")
    assert "【接待申请 #1】" in company.last("张伟")  # the delegate got the card too
    company.press("张伟", "同意")
    assert "✅ 张伟(代王经理) 已同意" in company.last("王经理")  # the approver's copy
    assert "已获批准" in "\n".join(company.inbox["李明"][-2:])
    company.say("王经理", "/delegate off")
    plain_reception(company, "李明", "东方精密", "D")
    assert "【接待申请 #2】" not in company.last("张伟")


def test_withdraw_before_the_decision(company: Company) -> None:
    plain_reception(company, "李明", "华东机电", "B")
    listing = company.say("李明", "/my")
    assert "#1 华东机电" in listing and "审批中" in listing
    assert "已撤回" in company.press("李明", "撤回")
    assert "已撤回或已结束" in company.last("王经理")
    assert "#1" not in company.say("李明", "/my")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "withdrawn"
    again = company.press("李明", "撤回")  # the button, still on the old listing
    assert again == "这份申请当前状态为「已撤回」,不能再操作。"


def test_a_request_sent_back_can_be_withdrawn_also_once_its_visit_is_over(
    company: Company,
) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # next Monday 10:00–17:00
    company.press("王经理", "退回修改")
    company.give_reason("王经理", "请补充来访目的")
    listing = re.sub(r"\[\d+\] ", "", company.say("李明", "/my")).splitlines()
    assert listing[1:] == ["#1 东方精密 · 11月23日(周一) 10:00 · 待修改", "修改  撤回"]
    company.clock.advance(days=7)  # the visit never happened; the request is still his
    listing = re.sub(r"\[\d+\] ", "", company.say("李明", "/my")).splitlines()
    assert listing[1:3] == ["#1 东方精密 · 11月23日(周一) 10:00 · 待修改", "撤回"]
    assert company.press("李明", "撤回") == "接待申请 #1 已撤回。"
    assert company.say("李明", "/my").startswith("您没有进行中的接待申请")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "withdrawn"


def test_editing_an_approved_reception_goes_through_the_chain_again(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    company.press("王经理", "同意")
    company.say("李明", "/my")
    company.press("李明", "修改")
    company.press("李明", "修改某项")
    company.press("李明", "人数")
    company.say("李明", "4")
    company.press("李明", "提交")
    assert "(第2次提交)" in company.last("王经理")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "pending"


def test_pending_lists_the_queue_withbuttons_shown(company: Company) -> None:
    assert "没有等您审批" in company.say("王经理", "/pending")
    plain_reception(company, "李明", "东方精密", "C")
    plain_reception(company, "张伟", "华南电子", "C")
    queue = company.say("王经理", "/pending")
    assert "等您审批的事项:2 项" in queue and "#1" in queue and "#2" in queue
    assert "没有等您审批的事项" in company.say("李明", "/pending")  # anyone may stand in


def test_double_taps_and_simultaneous_deciders_give_one_decision(
    company: Company, core: Core, org_db: Database
) -> None:
    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    with org_db.session() as session:
        step_id = session.scalars(select(ApprovalStep.id)).one()
    barrier = threading.Barrier(4)
    results: list[str] = []

    def tap(who: str) -> None:
        barrier.wait()
        replies = core.handle(Event(CONSOLE, who, action=f"apv:{step_id}:ok"))
        results.append("\n".join(m.text for m in replies))

    threads = [
        threading.Thread(target=tap, args=(w,)) for w in ("王经理", "王经理", "张伟", "张伟")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum("已同意「" in r for r in results) == 1, results
    assert sum("已经处理过了" in r for r in results) == 3, results
    with org_db.session() as session:
        approved = session.scalar(
            select(func.count()).where(AuditEntry.action == "approval.approved")
        )
        assert approved == 1


def test_a_form_survives_a_restart(
    company: Company, org_db: Database, policy: Policy, clock: FakeClock
) -> None:
    company.say("李明", "/reception")
    company.say("李明", "hdjd")
    company.say("李明", "B")
    # A new process: new engine, new core, same database.
    restarted = Database(org_db.url)
    company.core = Core(restarted, policy, FEATURES, clock)
    company.console.core = company.core
    reply = company.say("李明", "/reception")
    assert "继续填写您未完成的「接待申请」" in reply and "来访多少人" in reply
    assert "主宾姓名" in company.say("李明", "5")
    restarted.dispose()
