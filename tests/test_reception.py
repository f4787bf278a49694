"""Whole reception conversations through the console's code path (SPEC §4–§6)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from handlers.org.chart import import_org, load_org_file
from storage.models import (
    ApprovalStep,
    AuditEntry,
    ChecklistItem,
    Client,
    Draft,
    Reception,
    Reminder,
)
from tests.conftest import EXAMPLE_ORG
from tests.support import Company

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

# Wednesday 2026-11-18 09:00 in Shanghai is "now" (tests/conftest.py).
B_CLASS_ANSWERS = [
    ("hdjd", "客户级别"),
    ("B", "来访多少人"),
    ("5", "主宾姓名"),
    ("张总", "主宾职务"),
    ("采购总监", "来访目的"),
    ("参观考察、业务洽谈", "什么时候到"),
    ("下周三上午10点", "11月25日(周三) 10:00,对吗"),
    ("对", "什么时候离开"),
    ("下周四下午3点", "11月26日(周四) 15:00,对吗"),
    ("对", "需要接站"),
    ("是", "在哪里接"),
    ("虹桥站", "航班或车次"),
    ("G7012 09:12", "需要安排住宿"),
    ("是", "住几晚"),
    ("2", "只有 1 夜。确定是 2 晚吗"),  # 25th to 26th: one night; two may be real
    ("对", "住宿费用谁付"),
    ("客户自理", "安排几餐"),
    ("2", "每餐多少人"),
    ("5", "餐标每人多少元?(B类上限 ¥130)"),
    ("120", "烟酒预算多少元?(单列,不计入餐标)"),
    ("-", "需要会议室"),
    ("是", "参观工厂吗"),
    ("一车间", "会见哪些领导"),
    ("总经理", "我方陪同"),
    ("李明、王经理", "礼品"),
    ("茶叶", "交通预算"),
    ("300", "礼品预算"),
    ("800", "其他费用预算"),
    ("-", "请核对接待申请"),
]


def reassign(company: Company, client: str, owner: str) -> None:
    """The org admin gives `client` to `owner` in the org file and imports it again."""
    org = load_org_file(EXAMPLE_ORG)
    next(c for c in org["client"] if c["name"] == client)["owner"] = owner
    with company.core.db.session() as session:
        import_org(session, org, company.core.policy, company.clock())


def first_visit(company: Company, who: str, client: str) -> None:
    """`who` logs a first visit to `client`, a company new to the bot: it becomes theirs."""
    company.say(who, "/visit 见了王总 有意向")
    company.say(who, client)
    company.press(who, "本省")
    company.press(who, "初次拜访")
    company.say(who, "开发新客户")
    company.press(who, "选好了")
    company.say(who, "初次接触")
    assert "已记录拜访" in company.press(who, "提交")


def fill_b_class(
    company: Company, who: str = "李明", client: str = "hdjd", region: str | None = None
) -> str:
    """`who` files the B-class request; a new `client` is asked where it is (`region`)."""
    reply = company.say(who, "/reception")
    assert "哪位客户来访" in reply
    head = [(client, "在哪里"), (region, "客户级别")] if region else [(client, "客户级别")]
    for answer, expected in [*head, *B_CLASS_ANSWERS[1:]]:
        reply = company.say(who, answer)
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    return reply


def test_b_class_from_form_to_final_approval(company: Company) -> None:
    summary = fill_b_class(company)
    assert "华东机电 · B类(比较重要)" in summary
    assert "餐饮 5×2餐×120=1,200 · 交通 300 · 礼品 800 · 合计 ¥2,300" in summary
    sent = company.press("李明", "提交")
    assert "等待 王经理 审批" in sent

    card = company.last("王经理")
    assert "【接待申请 #1】" in card and "申请人:李明(销售一部)" in card
    assert "审批链:王经理(部门) ⏳ → 赵总(总经理) …" in card
    assert "赵总" not in "".join(company.inbox["赵总"])  # the GM sees nothing yet

    company.press("王经理", "同意")
    assert company.inbox["王经理"][-2] == "已同意「接待申请 #1 华东机电」。"
    updated = company.last("王经理")  # the card, updated in place, buttons gone
    assert updated.startswith("(card updated)\n【接待申请 #1】")
    assert "✅ 王经理 已同意 11月18日(周三) 09:00" in updated and "[" not in updated
    assert "已送 赵总 审批" in company.last("李明")
    gm_card = company.last("赵总")
    assert "王经理(部门) ✅ → 赵总(总经理) ⏳" in gm_card

    company.press("赵总", "同意")
    told = "\n".join(company.inbox["李明"][-2:])
    assert "已获批准" in told and "日程" in told
    assert "(file:" in told and "reception-1.ics" in told
    checklist = company.last("孙行政")
    assert "【行政准备】接待 #1 华东机电" in checklist
    for item in ("会议室", "接站车辆", "酒店", "餐厅", "欢迎屏", "贵宾证", "礼品"):
        assert item in checklist

    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        assert reception.state == "approved" and str(reception.total) == "2300.00"
        assert [s.state for s in session.scalars(select(ApprovalStep))] == ["approved", "approved"]
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions.count("approval.approved") == 2 and "reception.submit" in actions
        items = session.scalars(select(ChecklistItem.item).order_by(ChecklistItem.id)).all()
        items_for_tour = ["helmets", "safety"]  # it tours 一车间 (seed 003: 必须戴安全帽)
        assert items == [
            "room",
            "car",
            "hotel",
            "restaurant",
            "screen",
            "badge",
            "gifts",
            *items_for_tour,
        ]
        kinds = set(session.scalars(select(Reminder.kind)))
        assert {"approval.remind", "approval.escalate", "reception.close"} <= kinds


def test_editing_a_sent_request_tells_that_an_unfinished_one_was_dropped(
    company: Company,
) -> None:
    fill_b_class(company)
    company.press("李明", "提交")
    company.say("李明", "/reception")
    company.say("李明", "东方精密")  # a second request, begun and left
    company.say("李明", "/my")
    reply = company.press("李明", "修改")
    assert "之前没填完的接待申请已放弃" in reply and "华东机电 · B类" in reply


def test_finance_joins_when_the_total_is_high_and_the_hotel_is_ours(company: Company) -> None:
    company.say("李明", "/reception")
    # 验厂: the word people use for 审核 (a catalog's other words for the label).
    for answer in ["东方精密", "C", "3", "王工", "技术经理", "验厂", "12月1日 14:00", "对"]:
        company.say("李明", answer)
    for answer in [
        "12月2日 12:00",
        "对",
        "否",
        "是",
        "1",
        "公司承担",
        "0",
        "否",
        "-",
        "-",
        "-",
        "-",
    ]:
        company.say("李明", answer)
    for answer in ["100", "600", "5000"]:
        reply = company.say("李明", answer)
    assert "住宿由公司承担" in reply and "合计 ¥5,700" in reply and "审核" in reply
    company.press("李明", "提交")
    assert "审批链:王经理(部门) ⏳ → 钱会计(财务) …" in company.last("王经理")


def test_late_request_and_meals_over_cap_need_reasons_approvers_see(company: Company) -> None:
    company.say("李明", "/reception")
    for answer in [
        "东方精密",
        "C",
        "2",
        "王工",
        "经理",
        "会议",
        "今晚8点",
        "对",
        "明天中午12点",
        "对",
    ]:
        company.say("李明", answer)
    for answer in ["否", "否", "1", "2", "150", "-", "否", "-", "-", "-", "-", "0"]:
        reply = company.say("李明", answer)
    # Short notice (tonight) and 150 per head over class C's 100: both asked last.
    reply = company.say("李明", "-")
    assert "距到访不足 1 天,属于加急申请" in reply
    reply = company.say("李明", "客户临时提前行程")
    assert "餐标 ¥150/人 超过 C 类上限 ¥100" in reply
    summary = company.say("李明", "对方董事长同行")
    assert "⚠ 距到访不足1天 — 加急理由:客户临时提前行程" in summary
    assert "⚠ 餐标超出上限 — 理由:对方董事长同行" in summary
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Reception)) == 0
    company.press("李明", "提交")
    card = company.last("王经理")
    assert "加急理由:客户临时提前行程" in card and "餐标 150元/人(C类上限100)" in card


def test_arrival_in_the_past_and_departure_before_arrival_are_re_asked(company: Company) -> None:
    company.say("李明", "/reception")
    for answer in ["东方精密", "C", "2", "王工", "经理", "会议"]:
        company.say("李明", answer)
    assert "到访时间 11月1日(周日) 10:00 已经过去了" in company.say("李明", "2026-11-01 10:00")
    # A day no time of which could do is refused for that, not first asked for its time.
    assert "到访时间 11月17日(周二) 已经过去了" in company.say("李明", "昨天")
    assert "还需要具体时间" in company.say("李明", "今天")  # later today still can
    company.say("李明", "下周一上午9点")
    company.say("李明", "对")
    reply = company.say("李明", "2026-11-20 10:00")
    assert "离开时间必须晚于到访时间" in reply and "什么时候离开" in reply
    reply = company.say("李明", "11月20日")
    assert "离开时间必须晚于到访时间" in reply and "什么时候离开" in reply


def test_the_summary_takes_its_buttons_typed(company: Company) -> None:
    fill_b_class(company)
    stray = company.say("李明", "好的")  # an OK is not a decision to send it
    assert stray.startswith("请点下面的按钮,或输入“提交”“修改”“取消”。\n请核对接待申请")
    assert "要修改哪一项" in company.say("李明", "修改")
    company.press("李明", "人数")
    company.say("李明", "6")
    assert "已提交" in company.say("李明", "提交")
    with company.core.db.session() as session:
        assert session.scalars(select(Reception.visitors)).one() == 6


def test_a_choice_may_be_typed_as_a_word_of_its_label(company: Company) -> None:
    company.say("李明", "/reception")
    company.say("李明", "hdjd")
    ambiguous = company.say("李明", "重要")  # part of both A 特别重要 and B 比较重要
    assert "请从按钮中选择一项(也可以输入序号或名称)" in ambiguous and "客户级别" in ambiguous
    # One character is too little to go on ("会", though only 会议 has it): asked again.
    typed = {"B": "比较重要", "参观考察、业务洽谈": "参观、会"}
    reply = ""
    for answer, expected in B_CLASS_ANSWERS[1:]:
        reply = company.say("李明", typed.get(answer, answer))
        if answer in typed and answer != "B":
            assert "来访目的" in reply and "什么时候到" not in reply
            reply = company.say("李明", "参观 洽谈")
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    assert "B类(比较重要)" in reply and "参观考察、业务洽谈" in reply


def test_an_optional_question_answered_no_records_nothing(company: Company) -> None:
    """An answer of 否 to "参观工厂吗?" is not a factory area, and 不用 is no leader."""
    typed = {"一车间": "否", "总经理": "不用"}
    reply = ""
    for answer, expected in [("hdjd", "客户级别"), *B_CLASS_ANSWERS[1:]]:
        if answer == "hdjd":
            company.say("李明", "/reception")
        reply = company.say("李明", typed.get(answer, answer))
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    assert "请核对接待申请" in reply
    assert "参观:" not in reply and "会见:" not in reply  # no areas, no leaders


def test_someone_elses_client_is_not_revealed(company: Company) -> None:
    company.say("李明", "/reception")
    reply = company.say("李明", "华南电子")  # 张伟's client
    assert "无法用这个名称申请接待" in reply
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 12


def test_a_client_reassigned_while_the_draft_waited_is_refused_at_submit(
    company: Company,
) -> None:
    fill_b_class(company)  # 华东机电, 李明's when he named it
    reassign(company, "华东机电", "张伟")
    reply = company.press("李明", "提交")
    assert "无法用这个名称申请接待" in reply and "请核对接待申请" in reply
    assert "等待" not in reply and company.inbox["王经理"] == []
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Reception)) == 0
    assert "继续填写" in company.say("李明", "/reception")  # the draft is kept


def test_a_new_clients_name_taken_while_the_draft_waited_is_refused_at_submit(
    company: Company,
) -> None:
    summary = fill_b_class(company, client="苏北重工", region="本省")
    assert "苏北重工(新客户) · B类" in summary and "地区:本省" in summary
    first_visit(company, "张伟", "苏北重工")  # 张伟 meets the same company first
    reply = company.press("李明", "提交")
    assert "无法用这个名称申请接待" in reply and "请核对接待申请" in reply
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Reception)) == 0
        owners = session.scalars(select(Client).where(Client.name == "苏北重工")).all()
        assert [c.owner.name for c in owners] == ["张伟"]
    assert "继续填写" in company.say("李明", "/reception")


def test_a_new_client_he_created_himself_while_the_draft_waited_is_his_at_submit(
    company: Company,
) -> None:
    fill_b_class(company, client="苏北重工", region="外地")
    submit = company.button("李明", "提交")
    company.clock.advance(minutes=1)
    first_visit(company, "李明", "苏北重工")  # meanwhile he logs a visit to them
    reply = company.say("李明", submit)
    assert "等待 王经理 审批" in reply and "无法用这个名称申请接待" not in reply
    with company.core.db.session() as session:
        client = session.scalars(select(Client).where(Client.name == "苏北重工")).one()
        assert client.owner.name == "李明" and client.region == "province"
        assert session.scalars(select(Reception.client_id)).one() == client.id


def test_a_new_client_is_asked_where_it_is_and_keeps_its_guest(company: Company) -> None:
    """Issue 19, item 9: a new client typed in /reception is not filed as 本市 unasked, and
    the guest named becomes its contact."""
    company.say("李明", "/reception")
    reply = company.say("李明", "苏北重工")
    assert "苏北重工(新客户) 在哪里" in reply and "客户级别" not in reply
    assert "客户级别" in company.press("李明", "外地")
    for answer, expected in B_CLASS_ANSWERS[1:]:
        reply = company.say("李明", answer)
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    assert "苏北重工(新客户) · B类" in reply and "地区:外地" in reply
    assert "等待 王经理 审批" in company.press("李明", "提交")
    with company.core.db.session() as session:
        client = session.scalars(select(Client).where(Client.name == "苏北重工")).one()
        assert (client.owner.name, client.region, client.class_key) == ("李明", "other", "B")
        assert [(c.name, c.title) for c in client.contacts] == [("张总", "采购总监")]
    assert "张总(采购总监)" in company.say("李明", "/client 苏北重工")


def test_the_submit_of_a_cancelled_requests_summary_sends_nothing(company: Company) -> None:
    """The old summary still shows 华东机电's answers: its 提交 must not send the request
    filled since, which sits at the same step (and, on SQLite, would take the same row id)."""
    fill_b_class(company)
    old_submit = company.button("李明", "提交")
    assert "已放弃「接待申请」" in company.press("李明", "取消")
    summary = fill_b_class(company, client="东方精密")
    assert "东方精密 · B类" in summary

    reply = company.say("李明", old_submit)
    assert reply.startswith("这个按钮属于之前那份已结束的「接待申请」,没有改动。请继续当前这一份:")
    assert "东方精密 · B类" in reply
    assert "等待" not in reply and company.inbox["王经理"] == []
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Reception)) == 0

    assert "等待 王经理 审批" in company.press("李明", "提交")  # the summary shown now
    with company.core.db.session() as session:
        assert session.scalars(select(Reception)).one().client.name == "东方精密"


def test_a_budget_line_past_the_policys_ceiling_is_refused_in_money_and_minus_zero_is_zero(
    company: Company,
) -> None:
    company.say("李明", "/reception")
    answers = B_CLASS_ANSWERS[:-3]  # up to the transport budget
    for answer, _ in [("hdjd", ""), *answers[1:]]:
        company.say("李明", answer)
    assert "礼品预算" in company.say("李明", "-0")  # transport
    refused = company.say("李明", "1e9")  # gifts: ¥1,000,000,000
    assert refused.startswith("不能大于 ¥20,000,请重新输入。\n"), refused
    assert "礼品预算" in refused
    assert "其他费用预算" in company.say("李明", "800")
    summary = company.say("李明", "-")
    assert "礼品 800" in summary and "1,000,000,000" not in summary
    with company.core.db.session() as session:
        data = session.scalars(select(Draft.data)).one()
        assert (data["b_transport"], data["b_gifts"]) == ("0.00", "800.00")


def test_the_meal_ceiling_per_head_is_the_policys(company: Company) -> None:
    company.say("李明", "/reception")
    for answer, _ in [("hdjd", ""), *B_CLASS_ANSWERS[1:19]]:
        company.say("李明", answer)
    refused = company.say("李明", "5000")  # per head
    assert refused.startswith("不能大于 ¥1,000,请重新输入。\n"), refused


def test_contradicting_answers_are_said_and_asked_and_a_real_case_goes_through(
    company: Company,
) -> None:
    company.say("李明", "/reception")
    for answer in ["东方精密", "C", "2", "王工", "经理", "会议", "下周一下午3点", "对"]:
        company.say("李明", answer)
    for answer in ["下周二下午3点", "对", "是", "虹桥机场"]:
        company.say("李明", answer)
    # A flight landing at 08:15 for a 15:00 arrival: said, and asked.
    doubt = company.say("李明", "MU5101 08:15")
    assert doubt.startswith("航班/车次的时间 08:15 与到访时间 15:00 对不上。确定没写错吗?"), doubt
    assert "航班或车次" in company.press("李明", "不对,重新输入")
    assert "需要安排住宿" in company.say("李明", "MU5101 13:45")  # fits: no question
    company.say("李明", "是")
    # Two nights for a Monday-to-Tuesday stay (one night): said, asked, kept when confirmed.
    doubt = company.say("李明", "2")
    assert doubt.startswith("您填了住 2 晚,但到访和离开之间只有 1 夜。确定是 2 晚吗?"), doubt
    assert "住宿费用谁付" in company.say("李明", "对")
    for answer in ["客户自理", "0", "否", "-", "-", "-", "-", "0"]:
        company.say("李明", answer)
    summary = company.say("李明", "-")
    assert "⚠ 住宿 2 晚,但行程只有 1 夜" in summary
    assert "等待 王经理 审批" in company.press("李明", "提交")
    assert "⚠ 住宿 2 晚,但行程只有 1 夜" in company.last("王经理")
