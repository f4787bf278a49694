"""A reception request in one line (issue 24): what the line says is read by the form's own
readers, shown before anything is asked, marked on the summary; only the rest is asked."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Reception
from tests.support import Company

# Wednesday 2026-11-18 09:00 in Shanghai is "now" (tests/conftest.py).
LINE = (
    "/reception 华东机电 5人 主宾张总 下周三10点到 周四下午走 虹桥站接 G7012 住2晚公司付 "
    "参观一号车间 见总经理 午晚餐各一次 每人120"
)


def test_the_seeds_line_is_read_and_only_the_rest_is_asked(company: Company) -> None:
    reply = company.say("李明", LINE)
    assert "从这一句读到" in reply
    for read in ("华东机电", "5", "张总", "11月25日(周三) 10:00", "11月26日(周四) 14:00", "虹桥站"):
        assert read in reply, read
    assert "G7012" in reply and "总经理" in reply and "一号车间" in reply
    assert "客户级别 B" in reply  # the client's class, taken without asking
    # The guest's title is the first thing the line left out.
    asked = [company.last("李明")]
    assert "主宾职务" in asked[0]
    for answer in ("采购总监", "5", "否", "李明", "茶叶", "300", "500", "800", "-"):
        reply = company.say("李明", answer) if "请核对" not in asked[-1] else asked[-1]
        asked.append(reply)
        if "请核对" in reply:
            break
    summary = asked[-1]
    assert "请核对接待申请" in summary
    assert "从一句话读到" in summary
    assert len(asked) - 1 <= 9, asked
    assert "已提交" in company.press("李明", "提交")
    with company.core.db.session() as session:
        reception = session.scalars(select(Reception)).one()
        answers = reception.answers
    assert reception.visitors == 5
    assert answers["guest"] == "张总" and answers["pickup_place"] == "虹桥站"
    assert answers["pickup_ref"] == "G7012" and answers["nights"] == 2
    assert answers["hotel_payer"] == "company" and answers["meals"] == 2
    assert answers["per_head"] == "120.00" and answers["leaders"] == ["gm"]
    assert answers["tour"] == "一号车间" and "tour" in answers["purposes"]


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
    for answer in ("采购总监", "业务洽谈"):
        reply = company.say("李明", answer)
    assert "什么时候到" in reply


def test_a_line_with_nothing_to_read_is_the_whole_form(company: Company) -> None:
    reply = company.say("李明", "/reception 嗯嗯 😀")
    assert "从这一句读到" not in reply
    assert "客户" in reply
