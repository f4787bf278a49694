"""Duplicates and races: the same Telegram update or Slack event delivered twice, two
approvers and double taps at the same moment, a reason typed for a step someone else just
decided, and two bot processes (real ones, each with its own engine) deciding the same step
and draining the same outbox — one effect each time."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.messages import Message
from storage.models import ApprovalStep, AuditEntry, Draft, OutboxMessage, Person
from tests.conftest import START
from tests.reliability.driver import ZH_PEOPLE, draft_state, file_reception, press, say
from tests.reliability.support import EN, ZH, count
from tests.reliability.workers import bot_process
from tests.slack.conftest import FakeSlack, Link, payload
from tests.slack.standin import WebApiStandIn, dm_of
from tests.telegram.harness import World

BOTH = pytest.mark.parametrize("world", ["polling", "webhook"], indirect=True)
APPROVED = ZH("approval.done.approved", title="\0").split("\0")[0]  # 已同意「
ALREADY = ZH("approval.already", outcome="\0").split("\0")[0]  # 已经处理过了:


def pending_step(core: Core) -> int:
    with core.db.session() as session:
        return int(
            session.scalars(select(ApprovalStep.id).where(ApprovalStep.state == "pending")).one()
        )


def decisions(core: Core) -> list[str]:
    with core.db.session() as session:
        return list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("approval.%ed")))
        )


# ---------------------------------------------------------------------------- Telegram


@BOTH
async def test_a_form_answer_delivered_twice_is_taken_once(world: World) -> None:
    li = await world.linked("李明")
    await li.send("/reception")
    answer = world.text_update(li, "东方精密")
    before = len(li.screen)
    for _ in range(2):
        assert await world.receive(answer) == 200
    await world.settle()
    # Taken twice, "东方精密" would also be read as the class — and refused as one.
    assert [s.text.split("\n")[0] for s in li.screen[before:]] == [
        ZH("rcp.ask.cls", classes="").split("\n")[0]
    ]
    state = draft_state(world.bot.core, "李明", "rcp")
    assert state is not None and state.step == "cls" and state.history["steps"] == ["client"]


@BOTH
async def test_a_button_press_delivered_twice_decides_once(world: World) -> None:
    wang = await world.linked("王经理")
    file_reception(world.bot.core, ZH_PEOPLE)
    await world.settle()
    card = wang.showing(ZH("approval.approve"))
    tap = world.press_update(wang, card, card.action(ZH("approval.approve")))
    for _ in range(2):
        assert await world.receive(tap) == 200
    await world.settle()
    assert decisions(world.bot.core) == ["approval.approved"]
    assert sum(text.startswith(APPROVED) for text in wang.texts) == 1
    # The copy was dropped, not answered with "already decided".
    assert not any(text.startswith(ALREADY) for text in wang.texts)


async def test_an_approver_and_the_delegate_tapping_at_once_give_one_decision(
    world: World,
) -> None:
    core = world.bot.core
    wang = await world.linked("王经理")
    zhang = await world.linked("张伟")
    await wang.send("/delegate 张伟 到 12月5日")
    file_reception(core, ZH_PEOPLE)
    await world.settle()
    cards = {phone: phone.showing(ZH("approval.approve")) for phone in (wang, zhang)}
    # Four taps in one batch: each of them twice, their chats handled side by side.
    for phone, card in cards.items():
        for _ in range(2):
            update = world.press_update(phone, card, card.action(ZH("approval.approve")))
            assert await world.receive(update) == 200
    await world.settle()

    assert decisions(core) == ["approval.approved"]
    said = wang.texts + zhang.texts
    assert sum(text.startswith(APPROVED) for text in said) == 1, said
    assert sum(text.startswith(ALREADY) for text in said) == 3, said
    # Every copy of the card now shows the outcome and has no buttons left.
    for card in cards.values():
        assert card.labels == [] and "✅" in card.text, card.text


def test_a_reason_typed_for_a_step_someone_else_just_decided_changes_nothing(
    core: Core,
) -> None:
    say(core, "王经理", "/delegate 张伟 到 12月5日")
    file_reception(core, ZH_PEOPLE)
    step = pending_step(core)
    asked = press(core, "王经理", f"apv:{step}:no")  # Reject: the reason is asked first
    assert asked and draft_state(core, "王经理", "why") is not None
    press(core, "张伟", f"apv:{step}:ok")  # meanwhile, the delegate approves
    late = say(core, "王经理", "预算超标")
    assert any(m.text.startswith(ALREADY) for m in late), [m.text for m in late]
    assert decisions(core) == ["approval.approved"]
    assert count(core.db, Draft) == 0  # the reason form is closed, not left hanging


# ---------------------------------------------------------------------------- Slack


async def test_a_slack_event_retried_by_slack_acts_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    await slack.message(user, "/reception")
    body = payload("event_message_im")
    body["event"] |= {"user": user, "channel": dm_of(user), "text": "东方精密"}
    body["event_id"] = "Ev0RETRIED1"
    before = len(standin.texts(user))
    await slack.event(body)
    await slack.event(body, retry=1)  # Slack heard no 200 in time and sends it again
    await slack.event(body, retry=2)
    assert len(standin.texts(user)) == before + 1, standin.texts(user)[before:]
    state = draft_state(core, "李明", "rcp")
    assert state is not None and state.history["steps"] == ["client"]


async def test_a_slack_button_press_redelivered_decides_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    wang = await link("王经理")
    file_reception(core, ZH_PEOPLE)
    await slack.bot.deliver()
    card = standin.find(wang, "东方精密")
    body = slack._press_body(wang, card.buttons()[EN("approval.approve")])
    body["container"] |= {"message_ts": card.ts, "channel_id": card.channel}
    body["channel"]["id"] = card.channel
    body["message"] |= {"ts": card.ts, "text": card.text, "blocks": card.blocks}
    for _ in range(2):  # delivered twice (same message and press time)
        assert (await slack.interactive(body)).status == 200
    assert decisions(core) == ["approval.approved"]
    done = EN("approval.done.approved", title="\0").split("\0")[0]
    assert sum(text.startswith(done) for text in standin.texts(wang)) == 1, standin.texts(wang)


# ---------------------------------------------------------------------------- processes


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_two_processes_decide_once_and_drain_the_outbox_without_overlap(core: Core) -> None:
    say(core, "王经理", "/delegate 张伟 到 12月5日")
    file_reception(core, ZH_PEOPLE)
    step = pending_step(core)
    with core.db.session() as session:
        zhao = session.scalars(select(Person).where(Person.name == "赵总")).one()
        for n in range(40):  # a backlog, as after an outage
            enqueue(session, zhao, Message(f"积压消息 {n}"), f"race:{n}", START)

    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(2)
    out = spawn.Queue()
    workers = [
        spawn.Process(
            target=bot_process,
            args=(core.db.url, who, f"apv:{step}:ok", "console", start, out),
        )
        for who in ("王经理", "张伟")  # the approver and the delegate, two taps each
    ]
    for worker in workers:
        worker.start()
    try:
        results: list[dict[str, Any]] = [out.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(30)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0, 0]

    answers = [a for r in results for a in r["answers"]]
    assert sum(any(t.startswith(APPROVED) for t in a) for a in answers) == 1, answers
    assert sum(any(t.startswith(ALREADY) for t in a) for a in answers) == 3, answers
    assert decisions(core) == ["approval.approved"]

    claimed = results[0]["claimed"] + results[1]["claimed"]
    assert len(claimed) == len(set(claimed)), "a message was claimed by both processes"
    with core.db.session() as session:
        every = session.execute(  # nobody linked: every row is the console's
            select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.failed_at)
        ).all()
        opened = session.scalar(
            select(func.count()).select_from(ApprovalStep).where(ApprovalStep.state == "pending")
        )
    # The cards shown to the two deciders before the decision were dropped unsent, for the
    # later rows that show them decided (handlers/outbox.py); everything else was claimed.
    rows = [row for row in every if row.failed_at is None]
    assert len(every) - len(rows) == 2
    assert sorted(claimed) == sorted(row.id for row in rows)  # none left behind
    assert {row.attempts for row in rows} == {1}  # each taken once
    assert opened == 1  # the GM's step, opened once
