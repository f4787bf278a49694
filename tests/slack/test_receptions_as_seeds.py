"""Receptions as the seeds run them, on Slack (issue 21): drinks and tobacco as a field of
their own in the modal, outside the meal cap; the host on the summary and the approver's
card; the close-out modal asking the drinks actually spent, and its summary to the manager."""

from __future__ import annotations

import pytest

from handlers.engine.i18n import Translator
from tests.slack.conftest import FakeSlack, Link, reception_answers
from tests.slack.standin import WebApiStandIn
from tests.slack.test_reception import _close_out_modal
from tests.support import FakeClock

EN = Translator("en")
ZH = Translator("zh_CN")


@pytest.fixture
async def li(standin: WebApiStandIn, link: Link) -> str:
    standin.locales["ULIMING"] = "zh-CN"
    return await link("李明")


async def test_drinks_in_the_modal_the_host_on_the_card_and_the_summary_to_the_manager(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, li: str, clock: FakeClock
) -> None:
    wang = await link("王经理")  # en-US on Slack: English
    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    meals = {"meals": "1", "diners": "3", "per_head": "100"}  # class C's cap, exactly
    answers = reception_answers(view, "下周三上午10点") | meals

    refused = await slack.submit(li, view, answers | {"b_drinks": "-5"})
    assert refused.json()["errors"] == {"b_drinks": "不能小于 ¥0,请重新输入。"}

    await slack.submit(li, view, answers | {"b_drinks": "450"})
    summary = standin.last(li).text
    assert "餐饮 3×1餐×100=300 · 烟酒 450 · 交通 200 · 合计 ¥950" in summary
    assert "主陪:部门负责人 王经理" in summary
    assert "超过" not in summary  # 100 a head is the cap: the drinks are not counted in it
    await slack.press(li, standin.last(li), ZH("flow.submit"))
    card = standin.find(wang, "东方精密")
    assert "Host: department head 王经理" in card.text
    await slack.press(wang, card, EN("approval.approve"))

    clock.advance(days=8, hours=8)  # the guests have left
    modal = await _close_out_modal(slack, li, 1)
    asked = [b["block_id"] for b in modal["blocks"] if b.get("type") == "input"]
    assert "act_drinks" in asked
    close_out = {"act_meals": "280", "act_drinks": "600", "act_transport": "200"}
    await slack.submit(li, modal, close_out | {"outcome": "签订年度框架协议"})
    await slack.press(li, standin.last(li), ZH("flow.submit"))
    report = standin.last(wang).text
    assert report.startswith("📝 Visit summary: reception #1 东方精密 · 李明")
    assert "Drinks and tobacco: budget CNY 450, actual CNY 600" in report
    assert "⚠ Over budget by CNY 130" in report
