"""A complaint on Slack (issue 22 item 6): `/visitdesk complaint CLIENT …` asked in the DM,
the department by a button, the responsible manager's card with its button, and the step
taken once however often it is tapped."""

from __future__ import annotations

import copy

from sqlalchemy import select

from handlers.engine.core import Core
from storage.models import Complaint
from tests.slack.conftest import ZH, FakeSlack, Link
from tests.slack.standin import WebApiStandIn


async def test_a_complaint_is_recorded_and_taken_on_slack(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li, zhao = await link("李明"), await link("赵总")
    await slack.command(li, "complaint 华东机电 发票开错了")
    asked = standin.find(li, "哪个部门负责处理")
    await slack.press(li, asked, "总经办")
    summary = standin.find(li, "请核对:华东机电 投诉 · 负责部门 总经办")
    await slack.press(li, summary, ZH("flow.submit"))
    assert "✅ 投诉 #1 已记录,已通知 赵总 处理。" in standin.last(li).text
    card = standin.find(zhao, "[Complaint #1] 华东机电 · to take")
    assert "A new client complaint for you to take" in card.text and "Said: 发票开错了" in card.text
    old = copy.deepcopy(card)  # a second copy of the card, on another device
    await slack.press(zhao, card, "Take it")
    await slack.press(zhao, old, "Take it")
    shown = standin.find(zhao, "Responsible told")  # the one card, updated each time
    assert shown.updates == 2 and 'This complaint is now "taken": nothing changed.' in shown.text
    assert "投诉已受理,请尽快答复客户" in standin.last(li).text
    with core.db.session() as session:
        complaint = session.scalars(select(Complaint)).one()
        assert (complaint.state, complaint.department) == ("told", "总经办")
