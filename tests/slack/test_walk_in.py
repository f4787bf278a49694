"""A walk-in on Slack: registered in a modal, the host's Coming / Please wait / Decline as
buttons in their DM, a double tap answering once, the desk told in its own language."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.slack import SlackBot
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from storage.models import AuditEntry, WalkIn
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn

ZH = Translator("zh_CN")
EN = Translator("en")


async def test_registered_in_a_modal_answered_once_by_a_button(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, bot: SlackBot
) -> None:
    standin.locales["USUN"] = "zh-CN"
    desk = await link("孙行政")  # the org admin stands in at the front desk
    host = await link("李明")  # en-US on Slack: English

    await slack.command(desk, "walkin")
    view = standin.opened_views()[-1]
    assert view["title"]["text"] == ZH("wi.title")
    assert {"host", "name", "company", "visitors", "plate", "belongings"} <= {
        b.get("block_id") for b in view["blocks"]
    }
    answers = {"host": "李明", "name": "王强", "company": "华南电子", "visitors": "2"}
    bad = await slack.submit(desk, view, answers | {"plate": "not a plate!!"})
    assert bad.json() == {"response_action": "errors", "errors": {"plate": ZH("wi.error.plate")}}
    answer = await slack.submit(desk, view, answers | {"plate": "沪A-12345"})
    assert answer.status == 200
    summary = standin.last(desk)
    assert summary.text.startswith("请核对访客登记 —— 找 李明:")
    await slack.press(desk, summary, ZH("flow.submit"))

    card = standin.last(host)
    assert card.text.startswith("🚪 Front desk 09:00: a visitor without an appointment")
    assert list(card.buttons()) == ["Coming", "Please wait", "Decline"]
    await asyncio.gather(
        slack.press(host, card, "Coming", settle=False),
        slack.press(host, card, "Coming", settle=False),
    )
    await bot.idle()
    assert card.buttons() == {}
    assert card.text.endswith("You answered: coming (09:00)")
    told = [t for t in standin.texts(desk) if t.startswith("🔔")]
    assert told == ["🔔 李明 答复 华南电子 的 王强:马上到"]
    with core.db.session() as session:
        assert session.scalars(select(WalkIn.state)).one() == "coming"
        answers_logged = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "walk_in.answer")
        )
        assert len(answers_logged.all()) == 1
