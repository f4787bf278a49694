"""Sending within Feishu's rules: a 429 waited out for its x-ogw-ratelimit-reset, a send whose
answer was lost sent again under the same uuid and shown once, a token Feishu says is
invalid fetched again, a card over 30 KB cut to fit, and a copy of a card too old to update
followed by a new message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.feishu.bot import FeishuBot
from bot.feishu.cards import CARD_MAX_BYTES, message_card, size
from handlers.engine.core import Core
from handlers.engine.messages import Button, Message
from storage.models import DeliveredCard
from tests.feishu.conftest import ZH, FakeFeishu, Link
from tests.feishu.openapi import OpenApiStandIn
from tests.feishu.test_reception import file_reception
from tests.support import FakeClock


@pytest.fixture
def waits(bot: FeishuBot) -> list[float]:
    """The sender's waits after a 429, recorded instead of slept."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    bot.sender.sleep = sleep
    return waited


async def test_a_429_is_waited_out_for_its_reset_then_sent_once(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, waits: list[float]
) -> None:
    li = await link("李明")
    standin.rate_limit_next("create", times=2, reset=7)
    await feishu.message(li, "/help")
    assert waits == [7.0, 7.0]
    assert [c.status for c in standin.calls_to("create")][-3:] == [429, 429, 200]
    assert len(standin.inbox(li)) == 1


async def test_a_send_whose_answer_was_lost_is_sent_again_and_shown_once(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, clock: FakeClock
) -> None:
    li = await link("李明")
    wang = await link("王经理")
    standin.lose_answer_next("create", to=wang)  # Feishu takes the card; its answer is lost
    await file_reception(feishu, li)
    assert len(standin.inbox(wang)) == 1  # the approval card, taken by Feishu
    clock.advance(minutes=2)  # the outbox's retry is due
    await feishu.settle()
    creates = [c for c in standin.calls_to("create") if "东方精密" in c.params["content"]]
    creates = [c for c in creates if c.params["receive_id"] == wang]
    assert len(creates) == 2 and creates[0].params["uuid"] == creates[1].params["uuid"]
    assert len(standin.inbox(wang)) == 1  # shown once


async def test_a_token_feishu_calls_invalid_is_fetched_again_once(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link
) -> None:
    li = await link("李明")
    tokens = len(standin.calls_to("token"))
    standin.invalidate_token_next("create")
    await feishu.message(li, "/help")
    assert len(standin.calls_to("token")) == tokens + 1
    assert len(standin.inbox(li)) == 1


def test_a_card_over_30_kb_is_cut_to_fit_with_its_buttons() -> None:
    text = "\n".join(f"第{n}行:东方精密 接待安排 参观车间 技术交流" for n in range(2000))
    built = message_card(Message(text, ((Button("同意", "apv:1:ok"),),)))
    assert size(built) <= CARD_MAX_BYTES
    shown = json.dumps(built, ensure_ascii=False)
    assert "…" in shown and "apv:1:ok" in shown


async def test_a_long_card_is_taken_by_feishu(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link
) -> None:
    li = await link("李明")
    long = Message("很长的内容\n" * 6000, ((Button("完成", "rem:1:done"),),))
    await feishu.bot.sender.post(li, long, "vd-test-long")
    assert standin.calls_to("create")[-1].status == 200
    assert list(standin.last(li).buttons()) == ["完成"]


async def test_a_card_copy_too_old_to_update_gets_a_new_message(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, core: Core
) -> None:
    li = await link("李明")
    wang = await link("王经理")
    await file_reception(feishu, li)
    first = standin.find(wang, "东方精密")
    await feishu.message(wang, "/pending")  # the same card again: a second copy
    second = standin.last(wang)
    assert second.message_id != first.message_id and second.buttons()
    with core.db.session() as session:  # Feishu's 14 days are its own clock's: the row ages
        shown = session.scalars(
            select(DeliveredCard).where(DeliveredCard.message_id == first.message_id)
        ).one()
        shown.created_at -= timedelta(days=15)

    await feishu.press(wang, second, ZH("approval.approve"))
    assert not standin.message(second.message_id).buttons()  # pressed: its token updated it
    assert standin.message(first.message_id).buttons()  # 15 days old: Feishu would refuse
    assert not [c for c in standin.calls_to("patch") if c.params["message_id"] == first.message_id]
    # The status comes as a message of its own; the press's own reply ("已同意…") may arrive
    # before or after it (two sends side by side), so it is looked for among the new ones.
    new = [
        m for m in standin.inbox(wang) if m.message_id not in (first.message_id, second.message_id)
    ]
    status = next(m for m in reversed(new) if "✅" in m.text)
    assert not status.buttons()
