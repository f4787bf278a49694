"""What approvers and requesters see of an approval (issue 19, items 13, 14, 16, 17): the
delegate's queue, on whose behalf a decision was taken, the card's header and flags, the
digest's buttons, every copy of a card at the end, and an edited approved request."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Reception, VisitPlan
from tests.support import Company
from tests.test_approval import plain_reception
from tests.test_digest import digest_of
from tests.test_plan import december_plan
from tests.test_scheduler import at, jump

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def _reception_state(company: Company) -> str:
    with company.core.db.session() as session:
        return session.scalars(select(Reception.state)).one()


def test_a_delegate_lists_and_decides_what_waits_for_them(company: Company) -> None:
    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    queue = company.say("张伟", "/pending")
    assert "等您审批的事项:1 项" in queue and "【接待申请 #1】" in queue and "同意" in queue
    company.press("张伟", "同意")
    assert "✅ 张伟(代王经理) 已同意" in company.last("张伟")
    assert "✅ 张伟(代王经理) 已同意" in company.last("王经理")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/delegate 张三 到 12月5日", "找不到名为「张三」的同事"),
        ("/delegate 张三到12月5日", "找不到名为「张三」的同事"),
        ("/delegate 王经理 到 12月5日", "不能委托给自己"),
        ("/delegate", "用法:/delegate 姓名 到 日期"),
    ],
)
def test_delegate_says_why_it_cannot(company: Company, typed: str, said: str) -> None:
    assert said in company.say("王经理", typed)


URGENT_B = ["华东机电", "B", "5", "张总", "采购总监", "参观考察", "明天上午10点", "对"]
URGENT_B += ["明天下午5点", "对", "否", "否", "0", "否", "-", "总经理", "-", "-", "6000", "-"]
URGENT_B += ["客户临时提前行程"]


def urgent_b_with_finance(company: Company) -> None:
    """A B-class reception tomorrow with the GM to meet (short of the 2 days' notice that
    needs), and a total above the finance line: 王经理, 赵总, then 钱会计."""
    company.say("李明", "/reception")
    for answer in URGENT_B:
        company.say("李明", answer)
    company.press("李明", "提交")


def test_the_card_says_which_rule_flagged_it_and_why_finance_is_asked(company: Company) -> None:
    urgent_b_with_finance(company)
    card = company.last("王经理")
    assert card.splitlines()[0] == "【接待申请 #1】华东机电 · B类(比较重要)"
    assert card.count("华东机电") == 1
    assert "⚠ 距到访不足2天(总经理出席) — 加急理由:客户临时提前行程" in card
    assert "合计 ¥6,000 超过财务审核线 ¥5,000,需财务审批" in card
    assert "审批链:王经理(部门) ⏳ → 赵总(总经理) … → 钱会计(财务) …" in card


def test_after_the_final_decision_every_copy_shows_it(company: Company) -> None:
    urgent_b_with_finance(company)
    for approver in ("王经理", "赵总", "钱会计"):
        company.press(approver, "同意")
    final = "审批链:王经理(部门) ✅ → 赵总(总经理) ✅ → 钱会计(财务) ✅"
    for approver in ("王经理", "赵总", "钱会计"):
        copy = company.last(approver)
        assert copy.startswith("(card updated)") and final in copy, (approver, copy)


def test_after_a_rejection_every_copy_shows_it(company: Company) -> None:
    urgent_b_with_finance(company)
    company.press("王经理", "同意")
    company.press("赵总", "驳回")
    company.give_reason("赵总", "时间太紧")
    ended = "审批链:王经理(部门) ✅ → 赵总(总经理) ❌ → 钱会计(财务) —"
    assert ended in company.last("王经理") and ended in company.last("赵总")
    assert not any("华东机电" in text for text in company.inbox["钱会计"])


def test_digest_buttons_name_their_subject(company: Company) -> None:
    december_plan(company)  # 计划 #1
    plain_reception(company, "李明", "东方精密", "C")  # 接待 #1
    jump(company, at("2026-11-19 08:30"))
    digest = digest_of(company, "王经理")
    assert "] 同意 接待#1  [" in digest and "] 同意 计划#1  [" in digest
    assert "同意 #1" not in digest
    assert "已同意「接待申请 #1 东方精密」" in company.press("王经理", "同意 接待#1")
    with company.core.db.session() as session:
        assert session.scalars(select(VisitPlan.state)).one() == "pending"


def test_an_edited_approved_reception_says_what_changed(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # 2 visitors
    company.press("王经理", "同意")
    assert "东方精密" in company.last("孙行政")  # the admin office's checklist
    company.say("李明", "/my")
    company.press("李明", "修改")
    company.press("李明", "修改某项")
    company.press("李明", "人数")
    company.say("李明", "3")
    company.press("李明", "提交")
    card = company.last("王经理")
    assert card.splitlines()[0] == "【接待申请 #1】东方精密 · C类(普通)(第2次提交)"
    assert "改动:人数 2→3" in card
    told = company.last("孙行政")
    assert "接待 #1 东方精密 已修改,正在重新审批" in told and "改动:人数 2→3" in told
    # Withdrawing what was approved once (the admin office may have booked) asks first.
    company.say("李明", "/my")
    asked = company.press("李明", "撤回")
    assert "接待申请 #1 已批准过,行政部可能已经在安排。确定撤回吗?" in asked
    assert _reception_state(company) == "pending"
    assert "不撤回" in asked and "已保留" in company.press("李明", "不撤回")
    assert _reception_state(company) == "pending"
    assert "已撤回" in company.press("李明", "确定撤回")
    assert _reception_state(company) == "withdrawn"
    assert "不用再准备了" in company.last("孙行政")


def test_a_request_never_approved_is_withdrawn_at_once(company: Company) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    company.say("李明", "/my")
    assert "已撤回" in company.press("李明", "撤回")
    assert _reception_state(company) == "withdrawn"


def test_removing_a_visit_from_an_approved_plan_asks_first(company: Company) -> None:
    december_plan(company)
    company.press("王经理", "同意")
    company.say("李明", "/plan 2026-12")
    asked = company.press("李明", "删除 2")
    assert "计划已批准。删除第2项(12月10日(周四) 北京宏达)后需要重新提交审批,确定吗?" in asked
    with company.core.db.session() as session:
        assert session.scalars(select(VisitPlan.state)).one() == "approved"
    shown = company.press("李明", "确定删除")
    assert "计划有改动,需要重新提交审批" in shown and "北京宏达" not in shown


def test_the_managers_note_shows_on_the_plan(company: Company) -> None:
    december_plan(company)
    company.press("王经理", "退回修改")
    company.give_reason("王经理", "北京宏达改到下旬")
    shown = company.press("李明", "修改计划")
    assert "↩ 王经理:北京宏达改到下旬" in shown
    company.press("李明", "提交给经理")
    assert "↩ 王经理:北京宏达改到下旬" in company.last("王经理")  # the round before's note
