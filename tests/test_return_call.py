"""The follow-up call (电话回访, seeds 003/004): due when the guests should be home — their
departure plus the policy's travel time for how they travel, inside working hours — whether
or not the reception is closed out; it records a satisfaction score and any issue."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.rules.policy.load import parse_policy
from handlers.rules.policy.schema import Policy
from storage.models import AuditEntry, Reception, Reminder
from tests.support import Company
from tests.test_after_approval import approved_b
from tests.test_approval import plain_reception
from tests.test_scheduler import at, jump, travel

# The B-class request comes by train (G7012) and leaves Thursday 26 Nov at 15:00.
TRAIN_TWO_HOURS = "[follow_up.travel_hours]\ntrain = 2\n"


@pytest.fixture
def policy() -> Policy:
    return parse_policy(TRAIN_TWO_HOURS)


def follow_up_due(company: Company) -> str:
    with company.core.db.session() as session:
        reminder = session.scalars(
            select(Reminder).where(Reminder.kind == "reception.followup")
        ).one()
        return reminder.due_at.astimezone(at("2026-11-26 00:00").tzinfo).isoformat()


def test_the_call_is_due_when_the_guests_are_home_before_any_close_out(company: Company) -> None:
    approved_b(company)
    # Left at 15:00 by train, two hours home: the call is due at 17:00, within working hours.
    assert follow_up_due(company) == "2026-11-26T17:00:00+08:00"
    travel(company, at("2026-11-26 16:30"))
    assert not any(m.startswith("📞") for m in company.inbox["李明"])
    jump(company, at("2026-11-26 17:00"))
    call = company.last("李明")
    assert call.startswith("📞 今天请给 华东机电 做电话回访(接待申请 #1 华东机电),并记录结果。")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.state)).one() == "approved"  # not closed out
    score = company.press("李明", "记录回访")
    assert "回访结果如何" in score
    asked = company.say("李明", "客户已平安到家,对参观很满意")
    assert "客户满意度打几分" in asked
    for label in ("1 很不满意", "2 不满意", "3 一般", "4 满意", "5 很满意"):
        assert f"] {label}" in asked
    assert "客户提出了什么问题或意见吗" in company.press("李明", "4 满意")
    assert "已记录 华东机电 的回访结果" in company.say("李明", "发票寄得晚了")
    with company.core.db.session() as session:
        item = session.scalars(select(Reception)).one()
        assert (item.follow_up, item.follow_up_score, item.follow_up_issue) == (
            "客户已平安到家,对参观很满意",
            4,
            "发票寄得晚了",
        )
        reminder = session.scalars(select(Reminder).where(Reminder.kind == "reception.followup"))
        assert reminder.one().state == "done"
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "reception.follow_up")
        ).one()
        assert audit.detail == {"score": 4}
    # The close-out is still to do, and asks for no second call.
    listed = company.say("李明", "/my")
    assert "结案" in listed and "记录回访" not in listed
    company.press("李明", "结案")
    for answer in ["1100", "300", "800", "-", "签订年度框架协议", "-"]:
        company.say("李明", answer)
    assert company.press("李明", "提交").endswith("\n接待 #1 已结案。")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.follow_up_score)).one() == 4
        kinds = session.scalars(select(Reminder.kind).where(Reminder.kind == "reception.followup"))
        assert len(kinds.all()) == 1


def test_a_score_is_one_of_five_and_the_issue_may_be_skipped(company: Company) -> None:
    approved_b(company)
    company.clock.advance(days=8, hours=8)  # Thu 26 Nov, 17:00: home
    company.say("李明", "/my")
    company.press("李明", "记录回访")
    company.say("李明", "一切顺利")
    refused = company.say("李明", "十分")  # typed, not one of the five
    assert "客户满意度打几分" in refused
    assert "客户提出了什么问题或意见吗" in company.say("李明", "很满意")
    assert "已记录" in company.say("李明", "-")
    with company.core.db.session() as session:
        item = session.scalars(select(Reception)).one()
        assert (item.follow_up_score, item.follow_up_issue) == (5, None)


def test_home_after_working_hours_the_call_is_due_the_next_working_morning(
    company: Company,
) -> None:
    """No pickup, no way home said: the policy's default (other, 6 h). Monday 17:00 + 6 h is
    23:00: the call is due Tuesday 09:00."""
    plain_reception(company, "李明", "东方精密", "C")
    company.press("王经理", "同意")
    assert follow_up_due(company) == "2026-11-24T09:00:00+08:00"


def test_a_flight_number_means_the_plane(company: Company, policy: Policy) -> None:
    from handlers.reception.return_call import due_at, travel_mode

    approved_b(company)
    with company.core.db.session() as session:
        item = session.scalars(select(Reception)).one()
        assert travel_mode(policy, item) == "train"
        item.answers = {**item.answers, "pickup_ref": "MU5101 08:30"}
        assert travel_mode(policy, item) == "plane"
        # Plane: 5 h; left 15:00, home 20:00: the next working morning, Friday 27 Nov 09:00.
        assert due_at(policy, item) == at("2026-11-27 09:00")
        item.answers = {**item.answers, "pickup": False}
        assert travel_mode(policy, item) == "other"
        item.arrangements = {"return_by": "car"}
        assert travel_mode(policy, item) == "car"
