"""Nobody removed keeps access (SPEC §1, issue 18 item 2): a person the org file no longer
lists, or whom an org admin deactivates in chat, is a stranger at once, and what they held
goes on — approval steps up their chain, clients and team to their manager, delegations
ended, drafts dropped, reminders ended — and the import or the admin is told each."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.i18n import clipped
from handlers.engine.messages import Event
from handlers.org.chart import ImportReport, import_org, load_org_file
from handlers.org.leavers import describe
from handlers.reminders import reminder_row
from storage.inserts import insert_new
from storage.models import ApprovalStep, Draft, OutboxMessage, Person, Reminder
from tests.conftest import EXAMPLE_ORG
from tests.reliability.support import EN, ZH
from tests.support import Company
from tests.test_approval import plain_reception

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

STRANGER = ZH("stranger")


def without(org: dict[str, Any], name: str) -> dict[str, Any]:
    """The org file with `name` taken out, as an admin edits it: their clients left out too
    (the import hands them on), their reports given the leaver's own manager."""
    org = copy.deepcopy(org)
    leaver = next(p for p in org["person"] if p["name"] == name)
    org["person"] = [p for p in org["person"] if p["name"] != name]
    for person in org["person"]:
        if person.get("manager") == name:
            person["manager"] = leaver.get("manager")
    org["client"] = [c for c in org["client"] if c["owner"] != name]
    return org


def reimport(company: Company, org: dict[str, Any]) -> ImportReport:
    with company.core.db.session() as session:
        report = import_org(session, org, company.core.policy, company.clock())
    company.console.deliver()  # what the import queued reaches the console's people
    return report


def described(company: Company, report: ImportReport) -> dict[str, list[str]]:
    """What the import says happened to each removed person, in English."""
    with company.core.db.session() as session:
        return {h.person.name: describe(session, h, EN) for h in report.removed}


def received(company: Company, who: str, text: str) -> bool:
    return any(text in message for message in company.inbox[who])


def person(company: Company, name: str) -> Person:
    with company.core.db.session() as session:
        found = session.scalars(select(Person).where(Person.name == name)).one()
        session.expunge(found)
        return found


def test_a_person_removed_from_the_file_is_a_stranger_and_their_clients_go_to_their_manager(
    company: Company,
) -> None:
    assert "华南电子" in company.say("张伟", "/client 华南电子")
    report = reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))

    assert company.say("张伟", "/client 华南电子") == STRANGER
    assert company.say("张伟", "/reception") == STRANGER
    assert not person(company, "张伟").active
    assert "陈经理" in company.say("王经理", "/client 华南电子")  # the client is his now
    assert received(company, "王经理", "张伟 已离开组织,以下事项现在由您负责:\n客户 信达物流")
    assert described(company, report)["张伟"] == [
        "client 信达物流 → 王经理",
        "client 华南电子 → 王经理",
        "open drafts dropped: 0",
        "reminders ended: 1",  # next month's plan deadline
    ]
    # Imported again unchanged: nothing more is removed or handed over.
    again = reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))
    assert again.removed == [] and "person 张伟" not in again.kept


def test_a_removed_approvers_open_step_goes_up_their_chain_with_its_card(
    company: Company,
) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    assert "同意" in company.last("王经理")
    report = reimport(company, without(load_org_file(EXAMPLE_ORG), "王经理"))

    lines = described(company, report)["王经理"]
    assert lines[0].startswith("approval ") and lines[0].endswith("→ 赵总")
    assert "client 市工信局 → 赵总" in lines
    assert received(company, "李明", "王经理 已离开组织,现在等待 赵总 审批")
    assert company.press("王经理", "同意") == STRANGER  # his old card, tapped afterwards
    company.press("赵总", "同意")
    assert "已获批准" in "\n".join(company.inbox["李明"][-2:])
    with company.core.db.session() as session:
        step = session.scalars(select(ApprovalStep)).one()
        assert (step.state, step.approver.name, step.decided_by and step.decided_by.name) == (
            "approved",
            "赵总",
            "赵总",
        )
        # The reminders are 赵总's now (and his manager's: nobody), none the leaver's.
        owners = session.scalars(
            select(Reminder.person_id).where(Reminder.subject == "approval_step")
        ).all()
    assert set(owners) == {person(company, "赵总").id}


def test_a_removed_requester_never_approves_and_a_step_skips_them_up_the_chain(
    company: Company,
) -> None:
    """张伟 files; his manager 王经理 leaves; 王经理's heir is 赵总 — not 张伟 even if he were
    next up. Here the heir check: the requester is skipped (王经理 removed, 张伟 stays)."""
    plain_reception(company, "张伟", "华南电子", "C")
    reimport(company, without(load_org_file(EXAMPLE_ORG), "王经理"))
    with company.core.db.session() as session:
        step = session.scalars(select(ApprovalStep)).one()
        assert step.approver.name == "赵总" and step.state == "pending"


def test_a_removed_persons_drafts_reminders_and_queued_messages_end(company: Company) -> None:
    company.say("张伟", "/reception")
    zhang = person(company, "张伟")
    with company.core.db.session() as session:
        row = reminder_row("test:1", zhang.id, "reception.close", company.clock(), {}, "x")
        insert_new(session, Reminder, [row])
    report = reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))

    assert described(company, report)["张伟"][-2:] == [
        "open drafts dropped: 1",
        "reminders ended: 2",  # this one, and next month's plan deadline
    ]
    with company.core.db.session() as session:
        theirs = select(Reminder.state).where(Reminder.person_id == zhang.id)
        assert "pending" not in session.scalars(theirs).all()
        assert session.scalars(select(Draft).where(Draft.person_id == zhang.id)).all() == []
        unsent = select(OutboxMessage).where(
            OutboxMessage.person_id == zhang.id, OutboxMessage.failed_at.is_(None)
        )
        assert session.scalars(unsent.where(OutboxMessage.sent_at.is_(None))).all() == []


def test_a_removed_delegate_ends_the_delegation_and_gets_no_more_cards(
    company: Company,
) -> None:
    company.say("王经理", "/delegate 张伟 until 下周五")
    report = reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))

    assert "delegation from 王经理 ended" in described(company, report)["张伟"]
    assert received(company, "王经理", "张伟 已离开组织,您委托其代审的安排已结束")
    wang = person(company, "王经理")
    assert (wang.delegate_id, wang.delegate_until) == (None, None)
    plain_reception(company, "李明", "东方精密", "C")
    with company.core.db.session() as session:
        cards = session.scalars(
            select(OutboxMessage.person_id).where(OutboxMessage.key.startswith("apv:"))
        ).all()
        assert cards == [wang.id]


def test_a_person_added_back_is_reactivated_with_a_new_link_code(company: Company) -> None:
    reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))
    report = reimport(company, load_org_file(EXAMPLE_ORG))

    assert report.reactivated == ["person 张伟"] and list(report.codes) == ["张伟"]
    assert person(company, "张伟").active
    assert "华南电子" in company.say("张伟", "/client 华南电子")  # the file gives it back


def test_an_org_admin_deactivates_one_person_from_chat_after_seeing_what_happens(
    company: Company,
) -> None:
    plain_reception(company, "李明", "东方精密", "C")
    shown = company.say("孙行政", "/deactivate 王经理")
    assert shown.startswith("停用 王经理:其账号立即失效,并且:")
    assert "下属 李明 → 赵总" in shown and "客户 市工信局 → 赵总" in shown
    assert person(company, "王经理").active  # nothing happens before the button

    done = company.press("孙行政", "停用 王经理")
    assert done.startswith("已停用 王经理。请同时把 王经理 从组织文件中删除")
    assert company.say("王经理", "/pending") == STRANGER
    assert person(company, "李明").manager_id == person(company, "赵总").id
    assert "已同意" in company.press("赵总", "同意")  # 王经理's step came to him
    # Pressed again (a double tap, a second device): nothing more happens.
    assert company.press("孙行政", "停用 王经理") == ZH("button.stale")


def test_deactivating_oneself_or_by_a_forged_button_is_refused(company: Company) -> None:
    assert company.say("孙行政", "/deactivate 孙行政") == ZH("deactivate.self")
    assert company.say("孙行政", "/deactivate 无名氏") == ZH("deactivate.unknown", name="无名氏")
    wang = person(company, "王经理")
    # 李明 forges the confirm button; 孙行政 forges one for herself.
    assert company.say("李明", "/deactivate 王经理").startswith(ZH("command.not_allowed"))
    forged = company.core.handle(Event(CONSOLE, "李明", action=f"off:{wang.id}:yes"))
    assert [m.text for m in forged] == [ZH("command.not_allowed")]
    admin = person(company, "孙行政")
    mine = company.core.handle(Event(CONSOLE, "孙行政", action=f"off:{admin.id}:yes"))
    assert [m.text for m in mine] == [ZH("button.stale")]
    assert person(company, "王经理").active and person(company, "孙行政").active


def test_an_invite_for_a_removed_person_is_refused(company: Company) -> None:
    reimport(company, without(load_org_file(EXAMPLE_ORG), "张伟"))
    assert company.say("孙行政", "/invite 张伟") == ZH("invite.inactive", name="张伟")


def test_a_removed_approvers_delegate_can_no_longer_decide_for_them(company: Company) -> None:
    company.say("王经理", "/delegate 刘芳 until 下周五")
    plain_reception(company, "张伟", "华南电子", "C")
    card = company.button("刘芳", "同意")  # her copy, as 王经理's delegate
    reimport(company, without(load_org_file(EXAMPLE_ORG), "王经理"))

    assert company.say("刘芳", card) == ZH("approval.not_yours")
    with company.core.db.session() as session:
        step = session.scalars(select(ApprovalStep)).one()
        assert (step.state, step.approver.name) == ("pending", "赵总")


def test_an_escalation_meant_for_a_removed_manager_goes_to_the_approvers_new_manager(
    company: Company,
) -> None:
    plain_reception(company, "李明", "东方精密", "C")  # 王经理 decides; 赵总 is escalated to
    org = without(load_org_file(EXAMPLE_ORG), "赵总")
    grace = next(p for p in org["person"] if p["name"] == "Grace Lee")
    grace["roles"].append("gm")
    for entry in org["person"]:
        if entry["name"] in ("王经理", "钱会计", "孙行政"):
            entry["manager"] = "Grace Lee"
    reimport(company, org)

    grace_id = person(company, "Grace Lee").id
    with company.core.db.session() as session:
        escalation = session.scalars(
            select(Reminder).where(Reminder.kind == "approval.escalate")
        ).one()
        assert (escalation.person_id, escalation.state) == (grace_id, "pending")


def test_a_successor_who_already_approves_the_next_step_decides_once(company: Company) -> None:
    plain_reception(company, "李明", "华东机电", "B")  # 王经理, then 赵总
    reimport(company, without(load_org_file(EXAMPLE_ORG), "王经理"))

    assert "已同意" in company.press("赵总", "同意")
    assert "已获批准" in "\n".join(company.inbox["李明"][-2:])
    with company.core.db.session() as session:
        steps = session.scalars(select(ApprovalStep).order_by(ApprovalStep.position)).all()
        assert [(s.state, s.approver.name) for s in steps] == [
            ("cancelled", "王经理"),
            ("approved", "赵总"),
        ]


def test_the_admin_may_change_their_mind_and_a_huge_name_is_not_echoed(company: Company) -> None:
    company.say("孙行政", "/deactivate 张伟")
    assert company.press("孙行政", "取消") == ZH("deactivate.kept", name="张伟")
    assert person(company, "张伟").active
    reply = company.say("孙行政", "/deactivate " + "张" * 1000)
    assert reply == ZH("deactivate.unknown", name=clipped("张" * 1000))  # quoted, not whole
