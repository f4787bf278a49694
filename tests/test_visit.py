"""Logging visits (SPEC §7): the whole /visit form, the one-line quick log in Chinese and
English, the rules that re-ask, next steps that become reminders, and the visit in the
approver's card history."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from handlers.engine.core import CONSOLE
from handlers.engine.forms.model import Opened
from handlers.engine.messages import Event
from storage.models import AuditEntry, Client, Reminder, Visit
from tests.support import Company
from tests.test_reception import fill_b_class, reassign

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def visits(company: Company) -> list[Visit]:
    with company.core.db.session() as session:
        return list(session.scalars(select(Visit).order_by(Visit.id)))


def reminder(company: Company, key: str) -> Reminder | None:
    with company.core.db.session() as session:
        return session.scalars(select(Reminder).where(Reminder.key == key)).first()


def quick_li_ming(company: Company) -> str:
    """李明's quick log of the issue's example, finished with a tap or a word each."""
    read = company.say("李明", "/visit 华东机电 见了张经理 有希望 下周五回访")
    assert "已读取:华东机电 · 见 张经理 · 有希望 · 11月27日(周五) 回访" in read
    assert "拜访类型?" in read  # client, contact, outcome and next step are not asked
    company.press("李明", "初次拜访")
    company.press("李明", "客户关怀")
    assert "面谈概要" in company.press("李明", "选好了")
    return company.say("李明", "谈了明年的采购计划")


def test_the_whole_form_asks_every_field_and_saves_the_visit(company: Company) -> None:
    asked = company.say("李明", "/visit")
    assert "拜访了哪位客户" in asked and "华东机电" in asked
    conversation = [
        ("dfjm", "哪天拜访的"),  # pinyin initials of 东方精密
        ("昨天", "在 东方精密 见了谁"),
        ("王工", "拜访类型"),
        ("解决问题", "拜访目的"),
        ("；", "拜访目的"),  # only a separator: nothing chosen, asked again
        ("1,3", "面谈概要"),
        ("沟通交期", "客户有什么需求"),
        ("希望缩短到两周", "竞争对手的动态"),
        ("对手报价低5%", "结果如何"),
        ("继续观察", "下一步做什么"),
        ("送样品", "下一步哪天到期"),
        ("12月1日", "12月1日(周二),对吗"),
        ("对", "费用多少元"),
        ("120", "请核对拜访记录"),
    ]
    for answer, expected in conversation:
        reply = company.say("李明", answer)
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    assert "东方精密 · 11月17日(周二) · 面谈:王工" in reply
    assert "类型:解决问题 · 目的:市场调查、客户关怀" in reply
    assert "客户需求:希望缩短到两周" in reply and "竞争动态:对手报价低5%" in reply
    assert "结果:继续观察" in reply and "下一步:送样品(12月1日(周二)前)" in reply
    assert "费用:¥120" in reply
    saved = company.press("李明", "提交")
    assert "✅ 已记录拜访:东方精密 11月17日(周二),结果:继续观察。" in saved
    assert "下一步“送样品”会在 12月1日(周二) 提醒您。" in saved

    (visit,) = visits(company)
    assert (visit.visited_on, visit.contact, visit.kind) == (date(2026, 11, 17), "王工", "problem")
    assert visit.purposes == ["research", "care"] and visit.outcome == "watch"
    assert (visit.next_step, visit.next_due) == ("送样品", date(2026, 12, 1))
    assert str(visit.expenses) == "120.00" and visit.client.name == "东方精密"
    row = reminder(company, f"visit.next_step:{visit.id}")
    assert row is not None and row.kind == "visit.next_step" and row.person_id == visit.person_id
    assert row.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "visit.log")) == 1


def test_quick_log_in_chinese_asks_only_what_is_missing(company: Company) -> None:
    summary = quick_li_ming(company)
    assert "华东机电 · 11月18日(周三) · 面谈:张经理" in summary
    assert "结果:有希望" in summary and "下一步:回访(11月27日(周五)前)" in summary
    assert "修改某项" in summary and "客户需求、竞争动态、费用" in summary
    saved = company.press("李明", "提交")
    assert "下一步“回访”会在 11月27日(周五) 提醒您" in saved
    (visit,) = visits(company)
    assert (visit.client.name, visit.contact, visit.outcome) == ("华东机电", "张经理", "hopeful")
    assert (visit.visited_on, visit.next_due) == (date(2026, 11, 18), date(2026, 11, 27))
    assert visit.needs is None and visit.expenses is None
    row = reminder(company, f"visit.next_step:{visit.id}")
    assert row is not None and row.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)


def test_a_quick_line_saying_yesterday_logs_the_visit_on_yesterday(company: Company) -> None:
    read = company.say("李明", "/visit 昨天去了华东机电,见了张经理,有希望,下周三再去")
    assert "已读取:华东机电 · 11月17日(周二) · 见 张经理 · 有希望 · 11月25日(周三) 再去" in read
    company.press("李明", "初次拜访")
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    summary = company.say("李明", "谈了明年的采购计划")
    assert "华东机电 · 11月17日(周二) · 面谈:张经理" in summary
    company.press("李明", "提交")
    (visit,) = visits(company)
    assert (visit.visited_on, visit.next_due) == (date(2026, 11, 17), date(2026, 11, 25))


def test_a_quick_line_with_kind_and_purpose_asks_only_the_summary(company: Company) -> None:
    """Issue 19, item 8: the kind and purposes the line gives are not asked again."""
    read = company.say("李明", "/visit 华东机电 周一 见了张总 解决问题 催款 无希望")
    assert "已读取:华东机电 · 11月16日(周一) · 见 张总 · 解决问题 · 催收货款 · 无希望" in read
    assert "拜访类型" not in read and "拜访目的" not in read and "面谈概要" in read
    summary = company.say("李明", "货款下月结清")
    assert "类型:解决问题 · 目的:催收货款" in summary and "结果:无希望" in summary
    company.press("李明", "提交")
    (visit,) = visits(company)
    assert (visit.kind, visit.purposes, visit.outcome) == ("problem", ["payment"], "no_hope")
    assert visit.visited_on == date(2026, 11, 16) and visit.contact == "张总"


def test_an_english_quick_line_with_kind_and_purposes(company: Company) -> None:
    read = company.say("Tom Walker", "/visit ACME met Zhang, first visit, market research, hopeful")
    assert "Got it: ACME Industrial · met Zhang · First visit · Market research · Hopeful" in read
    assert "What kind of visit?" not in read and "Purpose of the visit" not in read
    assert "Summary: what did you talk about?" in read


def test_choices_are_also_read_in_the_words_salespeople_use(company: Company) -> None:
    company.say("李明", "/visit 华东机电 见了张经理 下周五回访")
    assert "拜访目的" in company.say("李明", "初访")  # 初次拜访
    assert "面谈概要" in company.say("李明", "回款、调研")  # 催收货款, 市场调查
    assert "结果如何" in company.say("李明", "谈了付款节点")
    summary = company.say("李明", "签单")  # 商谈成功
    assert "类型:初次拜访 · 目的:市场调查、催收货款" in summary and "结果:商谈成功" in summary


def test_quick_log_in_english_for_tom_walker(company: Company) -> None:
    read = company.say("Tom Walker", "/visit ACME met Zhang, hopeful, follow up next Friday")
    assert "Got it: ACME Industrial · met Zhang · Hopeful · follow up Fri 27 Nov" in read
    assert "What kind of visit?" in read
    company.press("Tom Walker", "First visit")
    assert "Summary" in company.say("Tom Walker", "3, 6")
    summary = company.say("Tom Walker", "Talked about the 2027 frame contract")
    assert "ACME Industrial · Wed 18 Nov · met Zhang" in summary
    assert "Kind: First visit · Purpose: Account care, New product" in summary
    assert "Next step: follow up (by Fri 27 Nov)" in summary
    company.press("Tom Walker", "Edit a field")
    assert "What did the visit cost" in company.press("Tom Walker", "Expenses")
    assert "Expenses: CNY 250" in company.say("Tom Walker", "250")
    saved = company.press("Tom Walker", "Submit")
    assert "✅ Visit logged: ACME Industrial, Wed 18 Nov — Hopeful." in saved
    (visit,) = visits(company)
    assert (visit.contact, visit.next_step, str(visit.expenses)) == ("Zhang", "follow up", "250.00")
    row = reminder(company, f"visit.next_step:{visit.id}")
    singapore = ZoneInfo("Asia/Singapore")
    assert row is not None and row.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=singapore)


def test_quick_log_in_english_for_anna_in_berlin(company: Company) -> None:
    # 02:00 on Wednesday in Berlin: "today" is her Wednesday, "Dec 3" her date.
    read = company.say("Anna Schmidt", "/visit nordic saw Erik Berg, promising, quote by Dec 3")
    assert "Got it: Nordic Tools · met Erik Berg · Hopeful · quote Thu 3 Dec" in read
    company.say("Anna Schmidt", "build the relationship")
    assert "Summary" in company.say("Anna Schmidt", "research")  # typed: no Done needed
    summary = company.say("Anna Schmidt", "Price list for 2027")
    assert "Nordic Tools · Wed 18 Nov · met Erik Berg" in summary
    assert "Kind: Build the relationship · Purpose: Market research" in summary
    company.press("Anna Schmidt", "Submit")
    (visit,) = visits(company)
    assert (visit.kind, visit.next_step, visit.next_due) == (
        "relationship",
        "quote",
        date(2026, 12, 3),
    )


def test_a_quick_line_without_a_client_asks_for_it(company: Company) -> None:
    reply = company.say("李明", "/visit 见了王总 有意向")
    assert "已读取:见 王总 · 有希望" in reply and "拜访了哪位客户" in reply
    reply = company.say("李明", "苏北重工")  # a new client: where it is sets its frequency
    assert "苏北重工(新客户) 在哪里" in reply
    assert "拜访类型" in company.press("李明", "本省")  # the contact came from the line
    company.press("李明", "初次拜访")
    company.say("李明", "开发新客户")
    company.press("李明", "选好了")
    summary = company.say("李明", "初次接触")
    assert "苏北重工(新客户) · 11月18日(周三) · 面谈:王总" in summary
    assert "地区:本省" in summary
    company.press("李明", "提交")
    with company.core.db.session() as session:
        client = session.scalars(select(Client).where(Client.name == "苏北重工")).one()
        assert (client.owner.name, client.region, client.class_key) == ("李明", "province", "C")
        assert [c.name for c in client.contacts] == ["王总"]  # kept for the next visit
    company.say("李明", "/visit")
    company.say("李明", "苏北重工")
    assert "] 王总" in company.say("李明", "今天")  # a button now


def test_a_contact_not_on_file_is_kept_with_the_client(company: Company) -> None:
    quick_li_ming(company)  # 华东机电, met 张经理: not among its contacts yet
    company.press("李明", "提交")
    with company.core.db.session() as session:
        client = session.scalars(select(Client).where(Client.name == "华东机电")).one()
        names = [c.name for c in client.contacts]
    assert names.count("张经理") == 1
    company.say("李明", "/visit 华东机电 见了张经理 建立关系 客户关怀 有希望")  # again
    company.say("李明", "谈了交期")
    company.press("李明", "提交")
    with company.core.db.session() as session:
        client = session.scalars(select(Client).where(Client.name == "华东机电")).one()
        assert [c.name for c in client.contacts] == names  # not twice


def test_a_longer_name_holding_a_clients_name_is_a_new_client(company: Company) -> None:
    """华东机电二厂 is another company than 华东机电: not filed under it unasked. A shorter
    name (华东) is still the short name of the client it begins."""
    company.say("李明", "/visit")
    assert "华东机电二厂(新客户) 在哪里" in company.say("李明", "华东机电二厂")
    company.say("李明", "/cancel")
    company.say("李明", "/visit")
    company.say("李明", "华东")
    assert "在 华东机电 见了谁" in company.say("李明", "今天")


def test_answers_that_cannot_be_right_are_asked_again(company: Company) -> None:
    company.say("李明", "/visit")
    company.say("李明", "华东机电")
    reply = company.say("李明", "12月5日")
    assert "拜访日期不能在将来(12月5日(周六))" in reply and "哪天拜访的" in reply
    reply = company.say("李明", "周一")  # the Monday just gone, not the coming one
    assert "在 华东机电 见了谁" in reply
    for answer in ["张总", "建立关系", "客户关怀", "聊了交期", "-", "-", "有希望", "打电话"]:
        company.say("李明", answer)
    reply = company.say("李明", "2026-11-10")
    assert "11月10日(周二) 已经过去了" in reply and "下一步哪天到期" in reply
    company.say("李明", "明天")
    company.say("李明", "对")
    summary = company.say("李明", "-")
    assert "华东机电 · 11月16日(周一) · 面谈:张总" in summary
    assert "下一步:打电话(11月19日(周四)前)" in summary


def test_someone_elses_client_cannot_be_logged(company: Company) -> None:
    reply = company.say("张伟", "/visit 华东机电 见了张经理 有希望")  # 李明's client
    assert "华东机电" not in reply.split("\n")[0] and "拜访了哪位客户" in reply
    reply = company.say("张伟", "华东机电")
    assert "无法用这个名称记录拜访" in reply and "拜访了哪位客户" in reply
    assert visits(company) == []


def test_a_client_reassigned_before_the_visit_is_saved_is_refused(company: Company) -> None:
    quick_li_ming(company)
    reassign(company, "华东机电", "张伟")
    reply = company.press("李明", "提交")
    assert "无法用这个名称记录拜访" in reply and "请核对拜访记录" in reply
    assert visits(company) == []


def test_the_next_step_reminder_comes_on_its_day_and_opens_the_form(company: Company) -> None:
    quick_li_ming(company)
    company.press("李明", "提交")
    company.clock.now = datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI)
    company.console.deliver()
    nudge = next(m for m in company.inbox["李明"] if m.startswith("🔔 华东机电"))
    assert "下一步“回访”11月27日(周五) 到期(11月18日(周三) 拜访时约定)" in nudge
    assert "[" in nudge and "明天再提醒" in nudge
    reply = company.press("李明", "记录拜访")
    assert "哪天拜访的" in reply  # the client is filled in from the reminder
    (visit,) = visits(company)
    row = reminder(company, f"visit.next_step:{visit.id}")
    assert row is not None and row.state == "sent"
    done = company.press("李明", "完成")
    assert done.startswith("(card updated)\n🔔 华东机电") and "[" not in done
    row = reminder(company, f"visit.next_step:{visit.id}")
    assert row is not None and row.state == "done"


def test_a_second_visit_leaves_the_first_visits_next_step_open(company: Company) -> None:
    """A client has several open next steps: logging another visit closes none of them;
    only Done on a step's own reminder does (issue 19, item 7)."""
    quick_li_ming(company)
    company.press("李明", "提交")  # next step: 回访 on Fri 27 Nov
    company.clock.advance(days=2)  # Friday 20 Nov: another visit, with a step of its own
    company.say("李明", "/visit 华东机电 见了张总 商谈成功 12月1日送样品")
    company.press("李明", "建立关系")
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    company.say("李明", "签了框架协议")
    saved = company.press("李明", "提交")
    assert "仍未完成的下一步:回访(11月27日(周五)前)" in saved
    first, second = visits(company)
    assert second.next_step == "送样品"
    for visit in (first, second):
        row = reminder(company, f"visit.next_step:{visit.id}")
        assert row is not None and row.state == "pending"
    timeline = company.say("李明", "/client 华东机电")
    assert "11月27日(周五) 回访" in timeline and "12月1日(周二) 送样品" in timeline
    company.clock.now = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
    company.console.deliver()
    nudge = next(m for m in company.inbox["李明"] if m.startswith("🔔 华东机电"))
    assert "下一步“回访”11月27日(周五) 到期" in nudge
    company.press("李明", "完成")
    assert reminder(company, f"visit.next_step:{first.id}").state == "done"  # type: ignore[union-attr]
    assert reminder(company, f"visit.next_step:{second.id}").state == "pending"  # type: ignore[union-attr]


def test_a_next_step_done_twice_from_two_devices_is_done_once(company: Company) -> None:
    """The reminder's Done, pressed on one device and then on another (the same card, or
    a copy): the second is told it was handled, and the other step of the client stays."""
    quick_li_ming(company)
    company.press("李明", "提交")
    company.say("李明", "/visit 华东机电 见了张经理 建立关系 客户关怀 有希望 12月1日送样品")
    company.say("李明", "谈了样品")
    company.press("李明", "提交")
    company.clock.now = datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
    company.console.deliver()
    done = company.button("李明", "完成")
    assert "[" not in company.say("李明", done)
    assert "这条提醒已经处理过了" in company.say("李明", done)  # the other device
    second = visits(company)[1]
    assert reminder(company, f"visit.next_step:{second.id}").state == "pending"  # type: ignore[union-attr]
    with company.core.db.session() as session:
        done_rows = session.scalar(select(func.count()).where(AuditEntry.action == "reminder.done"))
    assert done_rows == 1


def test_a_visit_submitted_twice_at_once_is_logged_once(company: Company) -> None:
    """Submit pressed on the phone and again on the desktop: one visit, one next step."""
    quick_li_ming(company)
    submit = company.button("李明", "提交")
    assert "已记录拜访" in company.say("李明", submit)
    again = company.say("李明", submit)
    assert "已记录拜访" not in again
    assert len(visits(company)) == 1
    with company.core.db.session() as session:
        steps = session.scalar(select(func.count()).where(Reminder.kind == "visit.next_step"))
        assert steps == 1


def test_a_quick_log_replaces_an_unfinished_one(company: Company) -> None:
    company.say("李明", "/visit")
    company.say("李明", "北京宏达")
    reply = company.say("李明", "/visit 华东机电 见了张总 有希望")
    assert "之前没填完的拜访记录已放弃" in reply and "拜访类型" in reply


def test_a_choice_of_a_replaced_quick_log_changes_nothing(company: Company) -> None:
    """Both quick logs wait at the same question: the first one's 初次拜访, tapped after the
    second replaced it, must not answer the second."""
    company.say("李明", "/visit 华东机电 见了张总 有希望")
    old_first_visit = company.button("李明", "初次拜访")
    reply = company.say("李明", "/visit 东方精密 见了王工 有希望")
    assert "之前没填完的拜访记录已放弃" in reply and "拜访类型" in reply

    reply = company.say("李明", old_first_visit)
    assert "这个按钮属于之前那份已结束的「拜访记录」" in reply and "拜访类型" in reply
    assert "拜访目的" not in reply  # the question was not answered

    assert "拜访目的" in company.press("李明", "建立关系")  # this log's own button
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    assert "请核对拜访记录" in company.say("李明", "谈了交期")
    company.press("李明", "提交")
    (visit,) = visits(company)
    assert (visit.client.name, visit.kind) == ("东方精密", "relationship")


def test_the_approvers_card_shows_the_clients_recent_visits(company: Company) -> None:
    quick_li_ming(company)
    company.press("李明", "提交")
    fill_b_class(company)
    company.press("李明", "提交")
    assert "近期往来:11月18日(周三)拜访(有希望)" in company.last("王经理")


def test_the_form_filled_at_once_as_a_slack_modal_does(company: Company) -> None:
    texts = {
        "client": "3",  # the third of 李明's clients, as a select sends it: 华东机电
        "date": "2",  # yesterday
        "contact": "张总",
        "kind": "1",
        "purposes": "3",
        "summary": "介绍新产品",
        "outcome": "2",
    }
    # A wrong field saves nothing, so the modal, still open, is then sent again for no draft.
    wrong = company.core.fill_form(
        Event(CONSOLE, "李明"), "visit", {**texts, "date": "下周一"}, Opened.of(None)
    )
    assert "不能在将来" in wrong.errors["date"]
    result = company.core.fill_form(Event(CONSOLE, "李明"), "visit", texts, Opened.of(None))
    assert result.errors == {}
    summary = result.replies[-1].text
    assert "华东机电 · 11月17日(周二) · 面谈:张总" in summary and "结果:有希望" in summary
