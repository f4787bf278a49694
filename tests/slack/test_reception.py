"""A whole reception on Slack: the salesperson's modal (in Chinese, from their Slack locale),
the summary in their DM, the approval card in the manager's DM, the decision updating that
card in place, and the salesperson told — each step asserted on what each person received."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.slack import SlackBot
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from storage.models import ApprovalStep, AuditEntry, Draft, Reception
from tests.slack.conftest import FakeSlack, Link, file_reception, reception_answers
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock

EN = Translator("en")
ZH = Translator("zh_CN")


def _count(core: Core, model: Any, *where: Any) -> int:
    with core.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


@pytest.fixture
async def li(standin: WebApiStandIn, link: Link) -> str:
    standin.locales["ULIMING"] = "zh-CN"
    return await link("李明")


async def test_a_reception_from_modal_to_approval(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, li: str, bot: SlackBot
) -> None:
    wang = await link("王经理")  # en-US on Slack, no language in the profile: English

    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    assert view["title"]["text"] == ZH("rcp.title")

    # Bad fields come back under each field, in Chinese; nothing is saved or sent.
    bad = reception_answers(view, "下周三上午10点") | {
        "visitors": "a lot",
        "departure": "下周三上午9点",
    }
    answer = await slack.submit(li, view, bad)
    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            "visitors": ZH("flow.error.number"),
            "departure": ZH("rcp.error.departure_before", arrival="11月25日(周三) 10:00"),
        },
    }
    assert _count(core, Draft) == 0
    assert standin.inbox(li) == []

    answer = await slack.submit(li, view, reception_answers(view, "下周三上午10点"))
    assert answer.status == 200 and answer.body == ""
    summary = standin.last(li)
    assert summary.text.startswith(ZH("rcp.summary_title"))
    assert "11月25日(周三) 10:00" in summary.text  # the typed date, said back exactly
    assert "东方精密" in summary.text

    await slack.press(li, summary, ZH("flow.submit"))
    assert _count(core, Reception) == 1
    assert standin.last(li).text.startswith("已提交") and "王经理" in standin.last(li).text

    card = standin.find(wang, "东方精密")
    assert list(card.buttons()) == [
        EN("approval.approve"),
        EN("approval.reject"),
        EN("approval.changes"),
    ]

    # A double tap on Approve decides once; the card is updated in place.
    await asyncio.gather(
        slack.press(wang, card, EN("approval.approve"), settle=False),
        slack.press(wang, card, EN("approval.approve"), settle=False),
    )
    await bot.idle()
    assert _count(core, AuditEntry, AuditEntry.action == "approval.approved") == 1
    assert _count(core, ApprovalStep, ApprovalStep.state == "approved") == 1
    assert card.updates >= 1
    assert card.buttons() == {}
    assert "✅" in card.text and "王经理" in card.text.splitlines()[-1]
    updates = [c for c in standin.calls_to("chat.update") if c.params["ts"] == card.ts]
    assert updates and all(c.params["channel"] == card.channel for c in updates)

    told = [t for t in standin.texts(li) if t.startswith("✅")]
    assert len(told) == 1 and "东方精密" in told[0]


async def test_an_arrival_in_the_past_comes_back_under_its_field(
    slack: FakeSlack, standin: WebApiStandIn, li: str
) -> None:
    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    answer = await slack.submit(li, view, reception_answers(view, "昨天上午10点"))
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"arrival": ZH("rcp.error.arrival_past", when="11月17日(周二) 10:00")},
    }


async def test_the_modal_hints_only_what_it_has_and_a_field_a_rule_requires_says_the_rule(
    slack: FakeSlack, standin: WebApiStandIn, li: str
) -> None:
    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    shown = json.dumps(view, ensure_ascii=False)
    assert ZH("flow.done") not in shown  # no "选好了" button in a modal to tap
    purposes = next(b for b in view["blocks"] if b.get("block_id") == "purposes")
    assert purposes["element"]["type"] == "multi_static_select"

    answer = await slack.submit(li, view, reception_answers(view, "今天下午5点"))  # no notice
    assert answer.json() == {
        "response_action": "errors",
        "errors": {"urgent": "根据前面的回答,这一项必须填写:" + ZH("rcp.ask.urgent", days=1)},
    }


async def sent_back_and_reopened(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, li: str
) -> str:
    """李明's request, sent back by 王经理 ("Please add the plant tour"), reopened by 李明;
    returns 王经理's Slack user."""
    wang = await link("王经理")
    await file_reception(slack, li)
    await slack.press(wang, standin.find(wang, "东方精密"), EN("approval.changes"))
    await slack.submit(wang, standin.opened_views()[-1], {"reason": "Please add the plant tour"})
    await slack.press(li, standin.find(li, "Please add the plant tour"), ZH("rcp.edit_resubmit"))
    return wang


async def test_changes_asked_then_resubmitted_edit_the_same_request(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, li: str
) -> None:
    wang = await sent_back_and_reopened(slack, standin, link, li)
    summary = standin.last(li)
    assert summary.text.startswith(ZH("rcp.summary_title"))

    # Edit reopens the whole form as a modal; the draft still knows which request it is.
    views = len(standin.opened_views())
    await slack.press(li, summary, ZH("flow.edit"))
    (modal,) = standin.opened_views()[views:]
    answers = reception_answers(modal, "下周三上午10点") | {"tour": "一车间"}
    await slack.submit(li, modal, answers)
    summary = standin.last(li)
    assert "一车间" in summary.text

    await slack.press(li, summary, ZH("flow.submit"))
    with core.db.session() as session:
        (reception,) = session.scalars(select(Reception)).all()
        assert (reception.round, reception.state) == (2, "pending")
    cards = [m for m in standin.inbox(wang) if "东方精密" in m.text and m.buttons()]
    assert len(cards) == 1  # the first card was closed; the new round sent a new one


async def _close_out_modal(slack: FakeSlack, li: str, reception: int) -> dict[str, Any]:
    """Press 结案 for `reception` under /my; its form opens as a modal."""
    await slack.command(li, "my")
    listing = next(
        m
        for m in reversed(slack.standin.inbox(li))
        if any(b.get("value") == f"cls:{reception}" for b in m.buttons().values())
    )
    views = len(slack.standin.opened_views())
    await slack.press(li, listing, ZH("close.start"))
    (modal,) = slack.standin.opened_views()[views:]
    assert modal["callback_id"] == "vd.form:cls"
    return modal


CLOSE_OUT = {
    "act_transport": "200",
    "act_hotel": "0",
    "act_meals": "0",
    "act_gifts": "0",
    "act_other": "0",
    "outcome": "签订年度框架协议",
}


@pytest.mark.parametrize("meanwhile", ["cancel", "another"])
async def test_a_close_out_modal_whose_draft_went_meanwhile_saves_nothing(
    slack: FakeSlack,
    standin: WebApiStandIn,
    link: Link,
    core: Core,
    li: str,
    clock: FakeClock,
    meanwhile: str,
) -> None:
    wang = await link("王经理")
    for _ in range(2):  # two receptions; #1's modal must close out neither
        await file_reception(slack, li)
        await slack.press(wang, standin.find(wang, "东方精密"), EN("approval.approve"))
    clock.advance(days=8, hours=8)  # the guests have left
    modal = await _close_out_modal(slack, li, 1)

    if meanwhile == "cancel":
        await slack.command(li, "cancel")
        assert standin.last(li).text == ZH("flow.cancelled", title=ZH("close.title"))
    else:  # 李明 turns to #2's close-out, which replaces #1's draft
        await _close_out_modal(slack, li, 2)
    answer = await slack.submit(li, modal, CLOSE_OUT)

    assert (answer.status, answer.body) == (200, "")  # the modal closes; the DM says why
    assert standin.last(li).text == ZH("flow.form_gone", title=ZH("close.title"))
    with core.db.session() as session:
        states = session.scalars(select(Reception.state).order_by(Reception.id)).all()
        assert states == ["approved", "approved"]
        drafts = [d.data for d in session.scalars(select(Draft))]
    assert drafts == ([] if meanwhile == "cancel" else [{"@reception": 2}])


async def test_an_edit_modal_whose_draft_was_cancelled_files_no_new_request(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, li: str
) -> None:
    await sent_back_and_reopened(slack, standin, link, li)
    views = len(standin.opened_views())
    await slack.press(li, standin.last(li), ZH("flow.edit"))
    (modal,) = standin.opened_views()[views:]

    await slack.command(li, "cancel")
    await slack.submit(li, modal, reception_answers(modal, "下周三上午10点"))

    # Filled in, this draft would have been sent as a second, new request.
    assert standin.last(li).text == ZH("flow.form_gone", title=ZH("rcp.title"))
    assert _count(core, Draft) == 0
    assert _count(core, Reception) == 1


async def test_a_modal_with_a_slipped_year_is_told_so_beside_submit(
    slack: FakeSlack, standin: WebApiStandIn, li: str
) -> None:
    """A modal's dates get no one-by-one confirmation: the summary says what is unusual."""
    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    answers = reception_answers(view, "下周三上午10点") | {"departure": "明年11月26日下午4点"}
    await slack.submit(li, view, answers)
    summary = standin.last(li)
    assert summary.text.startswith(ZH("rcp.summary_title"))
    assert "2027年11月26日(周五) 16:00" in summary.text
    assert ZH("rcp.caution.long_stay", days=366, max=14) in summary.text


async def test_closing_an_edit_modal_keeps_the_draft_and_its_summary(
    slack: FakeSlack, standin: WebApiStandIn, core: Core, li: str
) -> None:
    await slack.command(li, "reception")
    view = standin.opened_views()[-1]
    await slack.submit(li, view, reception_answers(view, "下周三上午10点"))
    summary = standin.last(li)
    await slack.press(li, summary, ZH("flow.edit"))
    edit = standin.opened_views()[-1]
    assert edit is not view and edit["notify_on_close"] is True
    await slack.close(li, edit)  # changed his mind: the answers stay as they were
    assert _count(core, Draft) == 1
    await slack.press(li, summary, ZH("flow.submit"))
    assert _count(core, Reception) == 1
