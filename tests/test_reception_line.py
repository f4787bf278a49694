"""A reception request in one line (issue 24): what the line says is read by the form's own
readers, shown before anything is asked, marked on the summary; only the rest is asked."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Draft, Reception
from tests.support import Company

# Wednesday 2026-11-18 09:00 in Shanghai is "now" (tests/conftest.py).
LINE = (
    "/reception 华东机电 5人 主宾张总 下周三10点到 周四下午走 虹桥站接 G7012 住2晚公司付 "
    "参观一号车间 见总经理 午晚餐各一次 每人120"
)


def answer_until_summary(company: Company, who: str, answers: list[str]) -> str:
    """Answer each question in turn; the last answer must bring the summary."""
    for answer in answers:
        reply = company.say(who, answer)
    assert "请核对接待申请" in reply, reply
    return reply


def test_the_seeds_line_is_read_and_only_the_rest_is_asked(company: Company) -> None:
    reply = company.say("李明", LINE)
    assert "从这一句读到" in reply
    for read in ("华东机电", "5", "张总", "11月25日(周三) 10:00", "11月26日(周四) 14:00", "虹桥站"):
        assert read in reply, read
    assert "G7012" in reply and "总经理" in reply and "一号车间" in reply
    # Known without asking: the client's class, and 张总's title from the client's contacts.
    assert "客户级别 B" in reply and "主宾职务 采购总监" in reply
    assert "每餐多少人" in company.last("李明")
    # Diners, meeting room, transport and hotel budgets: four answers, then Submit — with the
    # line, six messages for a B-class visit with pickup, hotel and meals (issue 24's goal).
    summary = answer_until_summary(company, "李明", ["5", "否", "300", "500"])
    assert "从一句话读到" in summary and "主宾职务" in summary
    assert "已提交" in company.press("李明", "提交")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        answers = reception.answers
    assert reception.visitors == 5 and reception.class_key == "B"
    assert answers["guest"] == "张总" and answers["guest_title"] == "采购总监"
    assert answers["pickup_place"] == "虹桥站" and answers["pickup_ref"] == "G7012"
    assert answers["nights"] == 2 and answers["hotel_payer"] == "company"
    assert answers["meals"] == 2 and answers["per_head"] == "120.00"
    assert answers["leaders"] == ["gm"] and answers["tour"] == "一号车间"
    assert "tour" in answers["purposes"]
    # Optional questions the line did not mention were skipped, not left unanswered.
    assert answers["attendees"] is None and answers["gifts"] is None


def test_an_english_line_is_read_as_well(company: Company) -> None:
    reply = company.say(
        "Anna Schmidt",
        "/reception Nordic Tools 3 people guest Mr Berg arriving next Wed 10am, "
        "leaving Thursday 4pm, no pickup, no hotel, lunch and dinner, 100 per head",
    )
    assert "From your line I read" in reply
    for read in ("Nordic Tools", "Mr Berg", "Wed 25 Nov 10:00", "Thu 26 Nov", "16:00"):
        assert read in reply, (read, reply)
    # Pickup and hotel were declined in the line: neither they nor their details are asked.
    company_asked = company.last("Anna Schmidt")
    assert "pick" not in company_asked.lower() and "hotel" not in company_asked.lower()


def test_whole_sections_are_declined_in_one_phrase(company: Company) -> None:
    line = "/reception 华东机电 3人 下周三10点到 周四下午走 不接站 不住宿 不用餐"
    reply = company.say("李明", line)
    assert "接站 否" in reply and "住宿 否" in reply and "餐数 0" in reply
    for question in ("在哪里接", "住几晚", "住宿费用谁付", "每餐多少人"):
        assert question not in reply


def test_what_a_reader_refuses_is_asked_again_with_its_reason(company: Company) -> None:
    # 上周三 is in the past: the arrival is not taken from the line, and is asked in its turn.
    reply = company.say("李明", "/reception 华东机电 5人 主宾张总 上周三10点到")
    assert "到访时间" not in reply.split("\n")[0]
    reply = company.say("李明", "业务洽谈")
    assert "什么时候到" in reply


def test_a_line_with_nothing_to_read_is_the_whole_form(company: Company) -> None:
    reply = company.say("李明", "/reception 嗯嗯 😀")
    assert "从这一句读到" not in reply
    assert "客户" in reply


def test_the_summary_says_who_approves_and_why(company: Company) -> None:
    # The one-line B request: the class's chain (manager, GM); the company pays the hotel,
    # so finance comes last, and says so.
    company.say("李明", LINE)
    reply = answer_until_summary(company, "李明", ["5", "否", "300", "500"])
    assert "审批:王经理(部门,B类流程) → 赵总(总经理,B类流程) → 钱会计(财务,公司付住宿)" in reply


def test_a_total_over_the_finance_line_is_the_reason_given(company: Company) -> None:
    line = (
        "/reception 华东机电 5人 主宾张总 业务洽谈 下周三10点到 周四下午走 不接站 不住宿 "
        "午晚餐各一次 每人120"
    )
    company.say("李明", line)
    reply = answer_until_summary(company, "李明", ["5", "否", "6000"])
    assert "钱会计(财务,合计¥7,200超过¥5,000)" in reply


def test_like_last_time_copies_the_arrangements_and_asks_dates_and_headcount(
    company: Company,
) -> None:
    company.say("李明", LINE)
    answer_until_summary(company, "李明", ["5", "否", "300", "500"])
    assert "已提交" in company.press("李明", "提交")
    # A month later the same client comes again: one question offers last time's way.
    reply = company.say("李明", "/reception 华东机电")
    assert "和上次(11月25日(周三))一样安排吗" in reply, reply
    assert "接站地点 虹桥站" in reply and "参观 一号车间" in reply and "会见领导 总经理" in reply
    asked = company.press("李明", "是")
    assert "来访多少人" in asked
    for answer, next_question in [
        ("3", "什么时候到"),
        ("12月16日上午10点", "对吗"),
        ("对", "什么时候离开"),
        ("12月17日下午3点", "对吗"),
        ("对", "航班或车次"),
        ("-", "住几晚"),
        ("1", "每餐多少人"),
    ]:
        reply = company.say("李明", answer)
        assert next_question in reply, (answer, reply)
    summary = company.say("李明", "4")
    assert "请核对接待申请" in summary, summary
    assert "虹桥站" in summary and "一号车间" in summary and "公司承担" in summary


def test_like_last_time_said_in_the_line(company: Company) -> None:
    company.say("李明", LINE)
    answer_until_summary(company, "李明", ["5", "否", "300", "500"])
    company.press("李明", "提交")
    reply = company.say(
        "李明", "/reception 华东机电 照上次 3人 12月16日10点到 12月17日15点走 住1晚"
    )
    assert "照上次安排 是" in reply and "接站地点 虹桥站" in reply
    # What the line said wins over last time's: 1 night, 3 visitors.
    assert "晚数 1" in reply and "人数 3" in reply
    assert "每餐多少人" in company.last("李明")


class Counted:
    """What a salesperson sends, counted: each typed message and each tap is one."""

    def __init__(self, company: Company, who: str) -> None:
        self.company, self.who, self.sent = company, who, 0

    def say(self, text: str) -> str:
        self.sent += 1
        return self.company.say(self.who, text)

    def press(self, label: str) -> str:
        self.sent += 1
        return self.company.press(self.who, label)


def file_counted(company: Company, who: str, line: str, answers: list[str]) -> int:
    """One request from its line to Submit: the messages it took."""
    counted = Counted(company, who)
    counted.say(line)
    for answer in answers:
        reply = counted.say(answer)
    assert "请核对接待申请" in reply, reply
    assert "已提交" in counted.press("提交")
    return counted.sent


def test_three_typical_receptions_take_at_most_six_messages_each(company: Company) -> None:
    """Issue 24's measure: against 26+ questions asked one by one before."""
    supplier_d = file_counted(
        company,
        "张伟",
        "/reception 信达物流 2人 主宾黄主管 审核 下周三9点到 下周三17点走 不接站 不住宿 不用餐",
        ["否", "0"],  # meeting room, transport budget
    )
    b_pickup_meals = file_counted(company, "李明", LINE, ["5", "否", "300", "500"])
    a_hotel_gm = file_counted(
        company,
        "李明",
        "/reception 北京宏达 4人 主宾刘董 业务洽谈 12月9日10点到 12月11日15点走 首都机场接 CA1501 "
        "住2晚公司付 见董事长 总经理 午晚餐各一次 每人150",
        ["6", "是", "800", "2400"],  # diners, meeting room, transport, hotel
    )
    assert (supplier_d, b_pickup_meals, a_hotel_gm) == (4, 6, 6)


def test_the_clients_contacts_are_buttons_for_the_main_visitor(company: Company) -> None:
    reply = company.say("李明", "/reception 华东机电 5人 下周三10点到 周四下午走")
    assert "主宾姓名" in company.last("李明") and "张总(采购总监)" in reply
    reply = company.press("李明", "张总(采购总监)")
    # The title the client's contacts keep is marked as the default, one tap to take.
    assert "主宾职务" in reply and "采购总监(默认)" in reply, reply
    reply = company.press("李明", "采购总监(默认)")
    assert "来访目的" in reply


def test_a_colleagues_client_in_the_line_is_not_read_nor_named(company: Company) -> None:
    # 华南电子 is 张伟's: the line's reader refuses it as the form's does, and says nothing of it.
    reply = company.say("李明", "/reception 华南电子 5人 下周三10点到 周四下午走")
    assert "华南电子" not in reply.split("其余的我来问")[0]
    assert "哪位客户来访" in company.last("李明")


def test_what_is_out_of_bounds_in_the_line_is_asked_again(company: Company) -> None:
    # 999 visitors (over 500), 100 nights (over 60), a departure before the arrival.
    reply = company.say("李明", "/reception 华东机电 999人 下周三10点到 下周二走 住100晚")
    first = reply.split("其余的我来问")[0]
    assert "人数" not in first and "晚数" not in first and "离开时间" not in first
    assert "来访多少人" in company.last("李明")


def test_invisible_characters_in_the_line_are_not_read_as_words(company: Company) -> None:
    reply = company.say("李明", "/reception 华东\u200b机电 5\ufeff人 下周三10点到")
    assert "客户 华东机电" in reply and "人数 5" in reply


def test_a_lone_surrogate_refuses_the_line_whole_and_starts_nothing(company: Company) -> None:
    reply = company.say("李明", "/reception 华东机电 5人 \ud800 下周三10点到")
    assert "无法识别的字符" in reply
    with company.core.db.session() as session:
        assert session.scalars(select(Draft)).first() is None
