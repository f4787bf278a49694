"""Receptions as the seeds run them (issue 21, SPEC §6a), on the console's code path: the host
by class (主陪), the arrangement sheet the day before (接待安排表), drinks and tobacco as a
budget line of their own, and the visit summary to the requester's manager (到访总结汇报)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from handlers.org.chart import import_org, load_org_file
from handlers.rules.policy.load import parse_policy
from storage.models import OutboxMessage, Reminder
from tests.conftest import EXAMPLE_ORG
from tests.support import Company
from tests.test_after_approval import approved_b
from tests.test_reception import B_CLASS_ANSWERS, fill_b_class

# Wednesday 2026-11-18 09:00 in Shanghai is "now"; the B request's guests come Wed 25 Nov.
VP = {"name": "孙副总", "department": "总经办", "roles": ["vp"], "manager": "赵总"}


def reimport(company: Company, change: Any = None) -> None:
    """The org admin imports the example org file again, changed by `change(org)`."""
    org = load_org_file(EXAMPLE_ORG)
    if change is not None:
        change(org)
    with company.core.db.session() as session:
        import_org(session, org, company.core.policy, company.clock())


def with_vp(org: dict[str, Any]) -> None:
    org["person"].append(dict(VP))


def sheets(company: Company, person: str) -> list[str]:
    return [m for m in company.inbox[person] if m.startswith("📋【接待安排表")]


# The B request's dates as typed on another day than the 18th.
ON_THE_25TH = {"下周三上午10点": "11月25日上午10点", "下周四下午3点": "11月26日下午3点"}


def until_leaders(company: Company, dates: dict[str, str] | None = None) -> str:
    """李明 fills the B request up to the "leaders to meet" question (`dates` replaced)."""
    company.say("李明", "/reception")
    for answer, _ in B_CLASS_ANSWERS:
        reply = company.say("李明", (dates or {}).get(answer, answer))
        if "会见哪些领导" in reply:
            return reply
    raise AssertionError("never asked for the leaders")


# ---------------------------------------------------------------------------- host


def test_a_b_class_is_hosted_by_a_deputy_gm_and_the_leaders_start_from_them(
    company: Company,
) -> None:
    reimport(company, with_vp)
    asked = until_leaders(company)
    assert "✓ 副总经理" in asked and "✓ 总经理" not in asked  # ticked, nothing tapped yet
    company.press("李明", "选好了")
    for answer in ["李明、王经理", "茶叶", "300", "800", "-"]:
        summary = company.say("李明", answer)
    assert "主陪:副总经理 孙副总" in summary and "会见:副总经理" in summary
    company.press("李明", "提交")
    assert "主陪:副总经理 孙副总" in company.last("王经理")


def test_the_leaders_asked_again_start_from_what_was_chosen_not_the_host(
    company: Company,
) -> None:
    fill_b_class(company)  # 会见:总经理, typed
    company.press("李明", "修改某项")
    company.press("李明", "会见领导")
    company.press("李明", "✓ 总经理")  # untick the GM
    asked = company.press("李明", "董事长")
    assert "✓ 董事长" in asked and "✓ 总经理" not in asked
    summary = company.press("李明", "选好了")
    assert "会见:董事长" in summary
    company.press("李明", "修改某项")
    again = company.press("李明", "会见领导")
    assert "✓ 董事长" in again and "✓ 总经理" not in again  # the answer, not the host


def test_without_a_deputy_gm_the_gm_hosts_and_brings_the_two_day_lead(company: Company) -> None:
    company.clock.advance(days=5, hours=6)  # Mon 23 Nov 15:00: 43 hours before the arrival
    asked = until_leaders(company, ON_THE_25TH)
    assert "✓ 总经理" in asked  # no deputy GM in the org: the GM hosts
    company.press("李明", "选好了")
    for answer in ["李明、王经理", "茶叶", "300", "800", "-"]:
        reply = company.say("李明", answer)
    assert "不足 2 天" in reply  # the GM must attend: seed 000's 提前2天, an urgent reason
    summary = company.say("李明", "客户临时提前行程")
    assert "主陪:总经理 赵总" in summary


def test_a_host_who_is_the_requester_is_said_so(company: Company) -> None:
    company.say("王经理", "/reception")
    company.say("王经理", "市工信局")
    for answer in ["C", *[a for a, _ in B_CLASS_ANSWERS[2:]]]:
        company.say("王经理", answer)
    summary = company.say("王经理", "领导同席")  # 120 a head is over C's 100: why
    assert "主陪:部门负责人 王经理(申请人本人)" in summary


def test_a_host_nobody_holds_is_flagged_for_the_approver(company: Company) -> None:
    company.core.policy = parse_policy(
        '[classes.B]\nlabel_zh = "比较重要"\nlabel_en = "Important"\naccompany = ["chairman"]\n'
        'meal_cap = 130\nchain = ["manager", "gm"]\n'
    )
    asked = until_leaders(company)
    assert "✓" not in asked  # nobody to meet: nothing ticked
    company.say("李明", "-")
    for answer in ["李明、王经理", "茶叶", "300", "800", "-"]:
        summary = company.say("李明", answer)
    assert "⚠ 主陪:董事长 —— 组织架构中无人担任,请审批人指定" in summary


def test_a_class_naming_no_host_shows_none(company: Company) -> None:
    company.core.policy = parse_policy(
        '[classes.B]\nlabel_zh = "比较重要"\nlabel_en = "Important"\naccompany = []\n'
        'meal_cap = 130\nchain = ["manager", "gm"]\n'
    )
    summary = fill_b_class(company)
    assert "主陪" not in summary


# ---------------------------------------------------------------------------- arrangement sheet


def test_the_sheet_reaches_gm_deputy_and_department_head_the_day_before_once(
    company: Company,
) -> None:
    reimport(company, with_vp)
    approved_b(company)
    company.clock.advance(days=5, hours=23, minutes=59)  # Tue 24 Nov 08:59
    company.say("李明", "/my")
    assert not any(sheets(company, p) for p in ("赵总", "孙副总", "王经理"))
    company.clock.advance(minutes=1)  # 09:00, the working day before the arrival
    company.say("李明", "/my")
    for reader in ("赵总", "孙副总", "王经理"):
        (sheet,) = sheets(company, reader)
        head = "📋【接待安排表 #1】华东机电 · B类(比较重要)\n接待人员:李明(销售一部)"
        assert sheet.startswith(head)
        assert "主陪:副总经理 孙副总" in sheet and "只读副本" in sheet
        assert "[同意]" not in sheet  # nothing to decide on it
    assert sheets(company, "李明") == []  # the requester's own plan
    company.clock.advance(hours=2)
    company.say("李明", "/my")  # later ticks, and more processes, send nothing again
    assert [len(sheets(company, p)) for p in ("赵总", "孙副总", "王经理")] == [1, 1, 1]


def test_a_c_class_approved_after_the_sheet_was_due_gets_it_at_once(company: Company) -> None:
    company.clock.advance(days=5, hours=23)  # Tue 24 Nov 08:00
    company.say("李明", "/reception")
    company.say("李明", "dfjm")
    for answer in ["C", *[a for a, _ in B_CLASS_ANSWERS[2:]]]:
        company.say("李明", ON_THE_25TH.get(answer, answer))
    company.say("李明", "客户临时提前行程")  # the GM to meet, 26 hours ahead: urgent
    company.say("李明", "领导同席")  # 120 a head is over C's 100: why
    company.press("李明", "提交")
    company.clock.advance(hours=3)  # 11:00, two hours after the sheet's time
    company.press("王经理", "同意")
    company.say("李明", "/my")
    (sheet,) = sheets(company, "赵总")
    assert "东方精密 · C类(普通)" in sheet and "主陪:部门负责人 王经理" in sheet
    assert len(sheets(company, "王经理")) == 1


def test_an_edit_after_the_sheet_sends_the_new_version_once_approved_again(
    company: Company,
) -> None:
    approved_b(company)
    company.clock.advance(days=6)  # Tue 24 Nov 09:00
    company.say("李明", "/my")
    assert len(sheets(company, "赵总")) == 1
    company.press("李明", "修改")
    company.say("李明", "客户要求增加一人")  # now less than 2 days ahead: urgent
    company.press("李明", "修改某项")
    company.press("李明", "人数")
    company.say("李明", "6")
    company.press("李明", "提交")
    company.say("李明", "/my")
    assert len(sheets(company, "赵总")) == 1  # under review again: no sheet for it
    company.press("王经理", "同意")
    company.press("赵总", "同意")
    company.clock.advance(minutes=1)  # the next plan of the tick
    company.say("李明", "/my")
    latest = sheets(company, "赵总")
    assert len(latest) == 2 and "来访:6人" in latest[-1]


def test_a_reader_who_lost_the_role_before_it_went_gets_nothing(company: Company) -> None:
    reimport(company, with_vp)
    approved_b(company)
    reimport(company)  # the deputy GM left before the day
    company.clock.advance(days=6)
    company.say("李明", "/my")
    assert sheets(company, "孙副总") == []
    (sheet,) = sheets(company, "赵总")
    assert "主陪:总经理 赵总" in sheet  # the next host the class names


def test_the_policy_chooses_the_readers(company: Company) -> None:
    company.core.policy = parse_policy('[reception]\narrangement_sheet_to = ["host"]\n')
    approved_b(company)
    company.clock.advance(days=6)
    company.say("李明", "/my")
    assert len(sheets(company, "赵总")) == 1  # the B host: no deputy GM, so the GM
    assert sheets(company, "王经理") == []
    company.core.policy = parse_policy("[reception]\narrangement_sheet_to = []\n")
    company.say("李明", "/reception")  # planning reads the policy it has now
    with company.core.db.session() as session:
        kinds = session.scalars(select(Reminder.kind)).all()
    assert kinds.count("reception.sheet") == 1


# ---------------------------------------------------------------------------- drinks


def test_drinks_and_tobacco_are_a_line_of_their_own_outside_the_meal_cap(
    company: Company,
) -> None:
    company.say("李明", "/reception")
    for answer, _ in B_CLASS_ANSWERS:
        reply = company.say("李明", answer)
        if "烟酒预算" in reply:
            break
    assert "不计入餐标" in reply
    assert company.say("李明", "-5").startswith("不能小于 ¥0,请重新输入。\n烟酒预算")
    for huge in ("99999", "1e9"):  # over the policy's drinks_max
        assert company.say("李明", huge).startswith("不能大于 ¥20,000,请重新输入。\n烟酒预算")
    assert "需要会议室" in company.say("李明", "600")
    for answer, _ in B_CLASS_ANSWERS[company_index("需要会议室") :]:
        summary = company.say("李明", answer)
    assert "餐饮 5×2餐×120=1,200 · 烟酒 600 · 交通 300 · 礼品 800 · 合计 ¥2,900" in summary
    assert "超过" not in summary  # 120 a head is within B's 130: drinks are not in it


def company_index(expected: str) -> int:
    """Where in the B answers the answer to the question `expected` is."""
    return next(i for i, (_, asked) in enumerate(B_CLASS_ANSWERS) if expected in asked) + 1


# ---------------------------------------------------------------------------- visit summary


def test_the_close_out_goes_to_the_manager_as_a_short_report_once(company: Company) -> None:
    approved_b(company)
    company.clock.advance(days=8, hours=8)  # after the departure on the 26th
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["1100", "300", "900", "-", "签订年度框架协议", "12月签约"]:
        company.say("李明", answer)
    close_button = company.button("李明", "结案")
    company.press("李明", "提交")
    report = company.last("王经理")
    assert report == (
        "📝【到访总结】接待 #1 华东机电 · 李明(销售一部)\n"
        "到访:11月25日(周三) 10:00 — 11月26日(周四) 15:00,5人\n"
        "餐饮:预算 ¥1,200,实际 ¥1,100\n"
        "交通:预算 ¥300,实际 ¥300\n"
        "礼品:预算 ¥800,实际 ¥900\n"
        "合计:预算 ¥2,300,实际 ¥2,300\n"
        "成果:签订年度框架协议\n"
        "达成事项:12月签约"
    )
    redone = company.say("李明", close_button)  # the reminder's old button: closed already
    assert "已结案" in redone
    with company.core.db.session() as session:
        keys = session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("report:%")))
        assert list(keys) == ["report:1"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_an_english_manager_reads_the_report_in_english(company: Company) -> None:
    company.say("Tom Walker", "/reception")
    answers = ["acme", "C", "3", "John Smith", "Head of Procurement", "talks", "next Monday 10am"]
    answers += ["yes", "next Monday 5pm", "yes", "no", "no", "1", "3", "100", "250", "no", "-"]
    answers += ["-", "-", "-", "0", "-"]
    for answer in answers:
        summary = company.say("Tom Walker", answer)
    assert "meals 3×1×100=300 · drinks 250 · total CNY 550" in summary
    assert "Host: department head Grace Lee" in summary
    company.press("Tom Walker", "Submit")
    company.press("Grace Lee", "Approve")
    company.clock.advance(days=6)
    company.say("Tom Walker", "/my")
    company.press("Tom Walker", "Close out")
    for answer in ["280", "300", "-", "Signed", "-"]:
        company.say("Tom Walker", answer)
    company.press("Tom Walker", "Submit")
    report = company.last("Grace Lee")
    assert report.startswith("📝 Visit summary: reception #1 ACME Industrial · Tom Walker")
    assert "Drinks and tobacco: budget CNY 250, actual CNY 300" in report
    assert "⚠ Over budget by CNY 30" in report
