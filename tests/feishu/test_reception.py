"""A whole reception on Feishu: 李明's card form (errors re-rendered in the card, nothing saved
until valid), the summary in his chat, the approval card to 王经理, a double tap deciding
once, every copy of the card updated, 李明 told — each step asserted on what each person
was shown by the Open API stand-in."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.feishu.bot import FeishuBot
from handlers.engine.core import Core
from storage.models import ApprovalStep, AuditEntry, Draft, Reception
from tests.feishu.conftest import ZH, FakeFeishu, Link, reception_answers
from tests.feishu.openapi import OpenApiStandIn

ARRIVAL = "2026-11-25 10:00 +0800"  # a datetime picker's value: next Wednesday 10:00


def _count(core: Core, model: Any, *where: Any) -> int:
    with core.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def file_reception(feishu: FakeFeishu, li: str) -> None:
    await feishu.message(li, "/reception")
    form = feishu.standin.last(li)
    await feishu.submit(li, form, reception_answers(form, ARRIVAL))
    await feishu.press(li, feishu.standin.last(li), ZH("flow.submit"))


async def test_a_reception_from_card_form_to_approval(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, core: Core, bot: FeishuBot
) -> None:
    li = await link("李明")
    wang = await link("王经理")

    await feishu.message(li, "/reception")
    form = standin.last(li)
    assert form.msg_type == "interactive" and form.form() is not None
    assert form.content["header"]["title"]["content"] == ZH("rcp.title")
    kinds = {name: field["tag"] for name, field in form.fields().items()}
    assert kinds["arrival"] == "picker_datetime" and kinds["purposes"] == "multi_select_static"

    # Bad fields come back in the same card, under each field; nothing is saved or sent.
    bad = reception_answers(form, ARRIVAL) | {
        "visitors": "a lot",
        "departure": "2026-11-25 09:00 +0800",
    }
    await feishu.submit(li, form, bad)
    again = standin.message(form.message_id)
    assert again.updates == 1 and again.form() is not None
    assert ZH("flow.error.number") in again.text
    assert ZH("rcp.error.departure_before", arrival="11月25日(周三) 10:00") in again.text
    assert again.fields()["guest"]["default_value"] == "王工"  # what was typed is kept
    assert _count(core, Draft) == 0
    assert len(standin.inbox(li)) == 1

    await feishu.submit(li, again, reception_answers(again, ARRIVAL))
    assert standin.message(form.message_id).form() is None  # the card form closed
    summary = standin.last(li)
    assert summary.text.startswith(ZH("rcp.summary_title"))
    assert "11月25日(周三) 10:00" in summary.text and "东方精密" in summary.text

    await feishu.press(li, summary, ZH("flow.submit"))
    assert _count(core, Reception) == 1
    card = standin.find(wang, "东方精密")
    assert list(card.buttons()) == [
        ZH("approval.approve"),
        ZH("approval.reject"),
        ZH("approval.changes"),
    ]
    assert [ZH("approval.approve"), ZH("approval.reject"), ZH("approval.changes")] == [
        "同意",
        "驳回",
        "退回修改",
    ]

    # A double tap on 同意 decides once; the card is updated with its callback's token.
    await asyncio.gather(
        feishu.press(wang, card, ZH("approval.approve"), settle=False),
        feishu.press(wang, card, ZH("approval.approve"), settle=False),
    )
    await feishu.settle()
    assert _count(core, AuditEntry, AuditEntry.action == "approval.approved") == 1
    assert _count(core, ApprovalStep, ApprovalStep.state == "approved") == 1
    decided = standin.message(card.message_id)
    assert decided.updates >= 1 and decided.buttons() == {}
    assert "✅" in decided.text
    assert standin.calls_to("card.update")

    told = [t for t in standin.texts(li) if t.startswith("✅")]
    assert len(told) == 1 and "东方精密" in told[0]
    # Every message carried a uuid, so a retried send is shown once.
    assert all(c.params.get("uuid") for c in standin.calls_to("create"))


async def test_changes_asked_in_a_card_form_then_resubmitted_edit_the_same_request(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, core: Core
) -> None:
    li = await link("李明")
    wang = await link("王经理")
    await file_reception(feishu, li)
    card = standin.find(wang, "东方精密")

    await feishu.press(wang, card, ZH("approval.changes"))
    reason = standin.last(wang)
    assert set(reason.fields()) == {"reason"}  # the reason is asked in a card form
    await feishu.submit(wang, reason, {"reason": "请补充参观车间安排"})
    assert (
        "↩" in standin.message(card.message_id).text
        or not standin.message(card.message_id).buttons()
    )

    await feishu.press(li, standin.find(li, "请补充参观车间安排"), ZH("rcp.edit_resubmit"))
    summary = standin.last(li)
    assert summary.text.startswith(ZH("rcp.summary_title"))

    # Edit sends the whole form again as a card form, filled with the answers so far.
    await feishu.press(li, summary, ZH("flow.edit"))
    form = standin.last(li)
    assert form.fields()["guest"]["default_value"] == "王工"
    assert form.fields()["arrival"]["initial_datetime"] == "2026-11-25 10:00"
    await feishu.submit(li, form, reception_answers(form, ARRIVAL) | {"tour": "一车间"})
    summary = standin.last(li)
    assert "一车间" in summary.text

    await feishu.press(li, summary, ZH("flow.submit"))
    with core.db.session() as session:
        (reception,) = session.scalars(select(Reception)).all()
        assert (reception.round, reception.state) == (2, "pending")
    cards = [m for m in standin.inbox(wang) if "东方精密" in m.text and m.buttons()]
    assert len(cards) == 1  # the first card was closed; the new round sent a new one


async def test_a_double_submit_of_a_card_form_files_one_draft(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, core: Core
) -> None:
    li = await link("李明")
    await feishu.message(li, "/reception")
    form = standin.last(li)
    answers = reception_answers(form, ARRIVAL)
    await feishu.submit(li, form, answers)
    shown = standin.texts(li)
    await feishu.post(feishu.sent[-1])  # Feishu delivers the Submit again: it acts once
    assert standin.texts(li) == shown  # no second summary, no "that form is gone"
    summaries = [t for t in standin.texts(li) if t.startswith(ZH("rcp.summary_title"))]
    assert len(summaries) == 1
    assert _count(core, Draft) == 1
    assert standin.message(form.message_id).text == ZH("feishu.form.sent")  # not an error


async def test_after_approval_the_checklist_is_ticked_on_its_card(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link
) -> None:
    li = await link("李明")
    wang = await link("王经理")
    sun = await link("孙行政")  # the admin office prepares the reception
    await file_reception(feishu, li)
    await feishu.press(wang, standin.find(wang, "东方精密"), ZH("approval.approve"))
    checklist = next(m for m in reversed(standin.inbox(sun)) if m.buttons())
    first = next(label for label in checklist.buttons() if label.startswith("⬜"))

    await feishu.press(sun, checklist, first)
    ticked = standin.message(checklist.message_id)
    assert ticked.updates >= 1 and "✅ " + first.removeprefix("⬜ ") in ticked.buttons()
    assert len([m for m in standin.inbox(sun) if m.buttons()]) == 1  # updated, not re-sent
