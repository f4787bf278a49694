"""Getting messages onto people's screens: Telegram's 429, texts over 4096 characters,
files, cards that are later updated in place, and digests handed over ahead of their
time — through replies and the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from handlers import outbox
from handlers import schedule as scheduler
from handlers.engine.messages import Attachment, Button, Message, rows
from handlers.rules.policy.schema import Policy
from tests.support import Company, FakeClock
from tests.telegram.botapi import Call
from tests.telegram.harness import World, eventually
from tests.test_approval import plain_reception
from tests.test_scheduler import at

# PTB warns about its own RetryAfter internals (v22.2 deprecation), not about our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def sends_to(world: World, chat_id: int) -> list[Call]:
    return [c for c in world.api.calls_of("sendMessage") if c.params["chat_id"] == chat_id]


async def test_a_429_pauses_and_the_reply_still_arrives_once(world: World) -> None:
    li = await world.linked("李明")
    world.api.refuse_next("sendMessage", retry_after=1)
    replies = await li.send("/help")
    assert len(replies) == 1 and replies[0].text.startswith("李明,您可以使用:\n/reception")
    last_two = sends_to(world, li.user_id)[-2:]
    assert [c.status for c in last_two] == [429, 200]
    assert last_two[0].params["text"] == last_two[1].params["text"] == replies[0].text


@pytest.mark.parametrize("telegram_limits", [1], indirect=True)  # one retry, then give up
async def test_a_message_refused_past_every_retry_waits_in_the_outbox(
    world: World, clock: FakeClock
) -> None:
    wang = await world.linked("王经理")
    for _ in range(2):  # the first try and the one retry
        world.api.refuse_next("sendMessage", retry_after=1)
    world.queue("王经理", Message("【接待申请 #9】请审批"), "test:card:9")
    await world.settle()
    assert wang.texts[-1] != "【接待申请 #9】请审批"
    assert [c.status for c in sends_to(world, wang.user_id)[-2:]] == [429, 429]

    clock.advance(seconds=31)  # the row comes due again
    await world.settle()
    assert wang.texts.count("【接待申请 #9】请审批") == 1


async def test_a_long_text_is_split_and_its_buttons_ride_on_the_last_piece(world: World) -> None:
    li = await world.linked("李明")
    text = "\n".join(f"第{n}行:" + "拜访记录" * 40 for n in range(60))  # ~9,900 characters
    world.queue("李明", Message(text, rows(Button("知道了", "ack:1"))), "test:long")
    await world.settle()
    pieces = li.screen[-3:]
    assert all(len(p.text) <= 4096 for p in pieces)
    assert "\n".join(p.text for p in pieces) == text
    assert [p.labels for p in pieces] == [[], [], ["知道了"]]


async def test_a_file_is_sent_as_a_document(world: World) -> None:
    li = await world.linked("李明")
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    attachment = Attachment("reception-3.ics", ics, "text/calendar")
    world.queue("李明", Message("日程:", attachment=attachment), "test:file")
    await world.settle()
    assert li.screen[-2].text == "日程:"
    assert li.screen[-1].document == ("reception-3.ics", ics)


async def test_a_replaced_card_is_edited_where_it_was_shown(world: World) -> None:
    wang = await world.linked("王经理")
    buttons = rows(Button("同意", "apv:77:ok"), Button("驳回", "apv:77:no"))
    world.queue("王经理", Message("【接待申请 #7】", buttons, card="apv:77"), "test:c1")
    await world.settle()
    card = wang.last
    assert card.labels == ["同意", "驳回"]

    outcome = Message("【接待申请 #7】\n✅ 赵总 已同意", card="apv:77", replace=True)
    world.queue("王经理", outcome, "test:c2")
    await world.settle()
    assert wang.last is card and card.edits == 1
    assert card.text.endswith("✅ 赵总 已同意") and card.labels == []


async def test_a_replacement_for_a_card_never_shown_here_is_sent(world: World) -> None:
    wang = await world.linked("王经理")
    outcome = Message("【接待申请 #8】\n❌ 已驳回", card="apv:88", replace=True)
    world.queue("王经理", outcome, "test:c3")
    await world.settle()
    assert wang.last.text == "【接待申请 #8】\n❌ 已驳回"


async def test_the_outbox_loop_delivers_on_its_own(world: World) -> None:
    li = await world.linked("李明")
    world.queue("李明", Message("明天 10:00 华东机电来访"), "test:loop")
    # No settle(): the loop's next tick sends it.
    await eventually(lambda: li.texts[-1] == "明天 10:00 华东机电来访", "the outbox loop")


async def test_a_digest_handed_over_early_is_sent_at_its_time(
    world: World, clock: FakeClock, policy: Policy
) -> None:
    wang = await world.linked("王经理")
    plain_reception(Company(world.bot.core, clock), "李明", "东方精密", "C")  # for 王经理
    await world.settle()
    digest_time = at("2026-11-19 08:30")
    clock.now = digest_time - scheduler.HAND_OVER
    assert scheduler.tick(world.bot.app.db, policy, clock()).sent  # in the outbox now
    await world.settle()
    assert not any("早上好" in text for text in wang.texts)
    clock.now = digest_time
    await world.settle()
    assert wang.texts[-1].startswith("王经理,早上好 — 11月19日(周四)\n• 待您审批:接待申请 #1")


async def test_the_next_batch_is_claimed_while_one_goes_out_in_order(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    li = await world.linked("李明")
    before = len(sends_to(world, li.user_id))
    claims: list[int] = []  # messages sent when each claim that found some was made
    claim = outbox.claim

    def counted(*args: Any, **kwargs: Any) -> list[outbox.Pending]:
        sent = len(sends_to(world, li.user_id)) - before
        found = claim(*args, **kwargs)
        if found:
            claims.append(sent)
        return found

    monkeypatch.setattr(outbox, "claim", counted)
    for n in range(60):  # a batch (50) and some
        world.queue("李明", Message(f"第{n}条"), f"test:many:{n}")
    await world.settle()
    assert li.texts[-60:] == [f"第{n}条" for n in range(60)]
    assert len(claims) == 2 and claims[1] < 50  # not after the first batch was out


async def test_a_file_that_would_not_upload_is_retried_without_its_text(
    world: World, clock: FakeClock
) -> None:
    li = await world.linked("李明")
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    attachment = Attachment("reception-3.ics", ics, "text/calendar")
    world.api.fail_next("sendDocument", status=500, times=3)
    world.queue("李明", Message("日程:", attachment=attachment), "test:file:retried")
    for _ in range(4):  # the first try and three retries, each when the row comes due
        await world.settle()
        clock.advance(seconds=31)
    assert li.texts.count("日程:") == 1  # the text went out once, on the first try
    assert [s.document for s in li.screen if s.document] == [("reception-3.ics", ics)]
    assert [c.status for c in world.api.calls_of("sendDocument")] == [500, 500, 500, 200]
