"""Intruders: a stranger's messages, a forwarded card pressed by the wrong person, tampered
button data, forged and replayed Slack requests, a webhook call without Telegram's secret,
a salesperson asking about a colleague's client. Each is refused with one line that shows
no data, changes nothing, and leaves a row in the audit trail (who, what, from where)."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.engine.core import CONSOLE, Core
from handlers.engine.messages import Event
from storage.models import ApprovalStep, AuditEntry, Client, Person, Reminder
from tests.reliability.driver import ZH_PEOPLE, file_reception, press, say
from tests.reliability.support import (
    EN,
    INTERNAL,
    ZH,
    audit_actions,
    audit_rows,
    changed_tables,
    count,
    dump,
)
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.telegram.harness import World, fixture

# Tables an intruder's attempt may touch: the audit trail, the inbound-event ledger (the
# delivery was seen), and the identity's last-seen time.
BOOKKEEPING = frozenset({"audit", "inbound_event", "identity"})
# What 李明's reception and its client look like; none of it may reach anyone else.
SECRETS = ("东方精密", "王工", "技术经理", "13800000002", "样例 sample")
OTHERS_CLIENT_SECRETS = ("华南电子", "陈经理", "采购经理", "13800000004")

WEBHOOK = pytest.mark.parametrize("world", ["webhook"], indirect=True)


def ids(core: Core) -> dict[str, int]:
    """The ids tampered buttons aim at: 王经理's approval step and reminder, 李明's
    reception and client."""
    with core.db.session() as session:
        step = session.scalars(select(ApprovalStep).where(ApprovalStep.state == "pending")).one()
        reminder = session.scalars(
            select(Reminder.id).where(Reminder.person_id == step.approver_id)
        ).first()
        client = session.scalars(select(Client.id).where(Client.name == "东方精密")).one()
        return {
            "step": step.id,
            "reception": step.subject_id,
            "reminder": int(reminder or 0),
            "client": client,
        }


def shows_nothing(texts: list[str], secrets: tuple[str, ...] = SECRETS) -> None:
    leaked = [s for s in secrets if any(s in text for text in texts)]
    assert not leaked, f"shown to an intruder: {leaked} in {texts}"


# ---------------------------------------------------------------------------- strangers


async def test_a_strangers_messages_and_taps_are_refused_and_audited(world: World) -> None:
    core = world.bot.core
    await world.linked("王经理")
    file_reception(core, ZH_PEOPLE)
    await world.settle()
    target = ids(core)
    before = dump(core.db)
    stranger = world.phone(4242, "zh-hans")

    texts = []
    for line in ("/reception", "你好,我要看华东机电的接待", "/start NOTACODE", "/pending"):
        texts += [m.text for m in await stranger.send(line)]
    shown = stranger.screen[-1]
    texts += [m.text for m in await stranger._act(
        world.press_update(stranger, shown, f"apv:{target['step']}:ok")
    )]  # fmt: skip

    assert texts == [ZH("stranger")] * 2 + [ZH("link.bad_code"), ZH("stranger"), ZH("stranger")]
    shows_nothing(texts)
    assert changed_tables(before, dump(core.db)) <= {"audit", "inbound_event"}
    refused = [r for r in audit_rows(core.db, "stranger.refused")]
    assert len(refused) == 4 and {r.platform for r in refused} == {"telegram"}
    assert all(r.actor_id is None and r.detail["user"] == "4242" for r in refused)
    assert [r.detail["pressed"] for r in refused] == [False, False, False, True]
    assert len(audit_rows(core.db, "link.refused")) == 1
    # The stranger's words are not kept, only who tried.
    assert "华东机电" not in json.dumps([r.detail for r in refused], ensure_ascii=False)


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice"])
async def test_a_strangers_sticker_photo_or_voice_gets_the_stranger_line(
    world: World, kind: str
) -> None:
    core = world.bot.core
    update = fixture("message_sticker")
    update["update_id"] = world.next_update_id()
    message = update["message"]
    message["from"]["id"] = message["chat"]["id"] = 4242
    if kind != "sticker":
        del message["sticker"]
        media = {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 9, "height": 9}
        message[kind] = [media] if kind == "photo" else {**media, "duration": 2}
    assert await world.receive(update) == 200
    await world.settle()
    assert [m.text for m in world.api.chats[4242]] == [ZH("stranger")]
    refused = audit_rows(core.db, "stranger.refused")
    assert [(r.platform, r.detail["user"]) for r in refused] == [("telegram", "4242")]


async def test_a_slack_stranger_is_refused_and_audited(
    slack: FakeSlack, standin: WebApiStandIn, core: Core
) -> None:
    standin.locales["UINTRUDER"] = "zh-CN"
    await slack.message("UINTRUDER", "/pending")
    await slack.command("UINTRUDER", "my")
    assert standin.texts("UINTRUDER") == [ZH("stranger.slack")] * 2
    refused = audit_rows(core.db, "stranger.refused")
    assert [(r.platform, r.detail["user"]) for r in refused] == [("slack", "T0001:UINTRUDER")] * 2


# ---------------------------------------------------------------------------- forwarded cards


async def test_a_forwarded_card_pressed_by_a_colleague_changes_nothing(world: World) -> None:
    core = world.bot.core
    wang = await world.linked("王经理")
    zhang = await world.linked("张伟")
    file_reception(core, ZH_PEOPLE)
    await world.settle()
    card = wang.showing(ZH("approval.approve"))
    before = dump(core.db)

    # 王经理 forwarded his card to 张伟, who taps Approve, then Reject, on it.
    replies = await zhang.press(ZH("approval.approve"), on=card)
    replies += await zhang.press(ZH("approval.reject"), on=card)

    assert [r.text for r in replies] == [ZH("approval.not_yours")] * 2
    shows_nothing([r.text for r in replies])
    assert changed_tables(before, dump(core.db)) <= BOOKKEEPING
    refused = audit_rows(core.db, "approval.refused")
    assert len(refused) == 2
    with core.db.session() as session:
        zhang_id = session.scalars(select(Person.id).where(Person.name == "张伟")).one()
    assert {(r.actor_id, r.platform) for r in refused} == {(zhang_id, "telegram")}
    assert card.labels[0] == ZH("approval.approve")  # 王经理's card is untouched, still live


# ---------------------------------------------------------------------------- tampered buttons

TAMPERED = [
    "apv:{step}:ok",  # someone else's step
    "apv:{step}:chg",
    "apv:{step}:ok:again",
    "apv:{step}:delete",
    "apv:abc:ok",
    "apv:-1:ok",
    "apv:99999:ok",
    "apv:1e3:ok",
    "apv:{step}:ok' OR '1'='1",
    "rcp:wd:{reception}",  # withdraw 李明's request
    "rcp:edit:{reception}",
    "cls:{reception}",  # close 李明's reception
    "fu:{reception}",
    "aw:{reception}",  # 李明's arrangements, his guests' schedule
    "gs:{reception}",
    "wi:1:come",  # a walk-in answer with no walk-in
    "wi:{reception}:no:again",
    "rem:{reminder}:done",  # 王经理's reminder
    "rem:{reminder}:tmr",
    "cl:{client}",  # 李明's client card
    "vs:c:{client}",  # log a visit to 李明's client
    "pl:sub:1",
    "pl:rm:1",
    "f:rcp:client:0",  # a form button with no form open
    "f:rcp:_summary:submit",
    "f:../../etc:passwd:x",
    "zz:1",
    "::::",
    "x" * 64,
    "'; DROP TABLE reception;--",
]


async def test_tampered_button_data_is_refused_audited_and_changes_nothing(world: World) -> None:
    core = world.bot.core
    await world.linked("王经理")
    zhang = await world.linked("张伟")
    file_reception(core, ZH_PEOPLE)
    await world.settle()
    target = ids(core)
    assert target["reminder"], "王经理 has an approval reminder to aim at"
    await zhang.send("/help")
    shown = zhang.last
    for template in TAMPERED:
        action = template.format(**target)
        before = dump(core.db)
        audits = len(audit_actions(core.db))
        replies = await zhang._act(world.press_update(zhang, shown, action))
        texts = [r.text for r in replies]
        assert len(texts) == 1 and not INTERNAL & set(texts), (action, texts)
        shows_nothing(texts)
        assert changed_tables(before, dump(core.db)) <= BOOKKEEPING, action
        new = audit_actions(core.db)[audits:]
        assert len(new) == 1 and new[0].endswith("refused"), (action, new)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    action=st.one_of(
        st.text(max_size=64),
        st.tuples(
            st.sampled_from(["apv", "rcp", "cls", "fu", "ck", "in", "rem", "cl", "vs", "pl", "f"]),
            st.lists(st.one_of(st.text(max_size=8), st.integers().map(str)), max_size=4),
        ).map(lambda t: ":".join([t[0], *t[1]])),
    )
)
def test_any_button_data_from_a_colleague_changes_nothing_but_the_audit(
    tampering: Core, action: str
) -> None:
    core = tampering
    before = dump(core.db, skip=BOOKKEEPING | {"draft"})
    replies = core.handle(Event(CONSOLE, "张伟", action=action))
    assert not INTERNAL & {r.text for r in replies}, action
    shows_nothing([r.text for r in replies])
    assert dump(core.db, skip=BOOKKEEPING | {"draft"}) == before, action


@pytest.fixture
def tampering(core: Core) -> Core:
    """A pending reception of 李明's, waiting for 王经理: what 张伟 must not touch."""
    file_reception(core, ZH_PEOPLE)
    return core


# ---------------------------------------------------------------------------- someone else's client


def test_a_colleagues_client_reads_as_unknown_and_the_attempt_is_kept(core: Core) -> None:
    before = dump(core.db, skip=BOOKKEEPING)
    unknown = say(core, "李明", "/client 没有这家公司")
    hidden = say(core, "李明", "/client 华南电子")  # 张伟's client
    assert [m.text for m in unknown] == [ZH("client.not_found", name="没有这家公司")]
    assert [m.text for m in hidden] == [ZH("client.not_found", name="华南电子")]
    shows_nothing([m.text for m in hidden], OTHERS_CLIENT_SECRETS[1:])

    with core.db.session() as session:
        client_id = session.scalars(select(Client.id).where(Client.name == "华南电子")).one()
    refused = audit_rows(core.db, "client.refused")
    assert [(r.subject, r.subject_id) for r in refused] == [("client", client_id)]
    assert count(core.db, AuditEntry, AuditEntry.action.like("%refused")) == 1  # not the unknown

    # Its card by a forged button, and a reception request naming it: refused and kept too.
    assert [m.text for m in press(core, "李明", f"cl:{client_id}")] == [ZH("button.stale")]
    say(core, "李明", "/reception")
    taken = say(core, "李明", "华南电子")
    assert taken[0].text == ZH("rcp.error.client_taken")
    shows_nothing([m.text for m in taken], OTHERS_CLIENT_SECRETS[1:])
    reasons = [r.detail["reason"] for r in audit_rows(core.db, "refused")]
    assert reasons == ["button.stale", "rcp.error.client_taken"]
    assert changed_tables(before, dump(core.db, skip=BOOKKEEPING)) <= {"draft"}


@pytest.mark.parametrize(
    ("who", "command"),
    [
        ("李明", "/reception"),
        ("李明", "/visit"),
        ("Tom Walker", "/reception"),
        ("Tom Walker", "/visit"),
    ],
)
def test_a_form_refusing_a_colleagues_client_does_not_say_a_colleague_has_it(
    core: Core, who: str, command: str
) -> None:
    say(core, who, command)
    refusal = say(core, who, "华南电子")[0].text  # 张伟's client
    said = [
        word for word in ("同事", "负责", "colleague", "belongs", "looked after") if word in refusal
    ]
    assert said == [], refusal
    assert "华南电子" not in refusal
    assert len(audit_rows(core.db, "refused")) == 1


def test_a_command_beyond_ones_roles_is_refused_and_kept(core: Core) -> None:
    assert [m.text for m in say(core, "李明", "/export receptions 2026-11")] == [
        ZH("command.not_allowed")
    ]
    [row] = audit_rows(core.db, "refused")
    assert row.detail == {"reason": "command.not_allowed", "command": "export"}


# ---------------------------------------------------------------------------- Slack requests


async def test_forged_and_stale_slack_requests_get_401_and_are_audited(
    slack: FakeSlack, standin: WebApiStandIn, core: Core, link: Link
) -> None:
    user = await link("王经理")
    body = urlencode(
        {"team_id": "T0001", "user_id": user, "command": "/visitdesk", "text": "pending",
         "trigger_id": "trigger.forged", "response_url": "https://hooks.example/x"}
    ).encode()  # fmt: skip
    form = "application/x-www-form-urlencoded"
    before = dump(core.db, skip=frozenset({"audit"}))

    forged = await slack.send(body, form, secret="guessed-secret")
    stale = await slack.send(body, form, timestamp=int(time.time()) - 600)  # a replay, later

    assert (forged.status, stale.status) == (401, 401)
    assert standin.inbox(user) == []
    assert dump(core.db, skip=frozenset({"audit"})) == before
    refused = audit_rows(core.db, "request.refused")
    assert [(r.platform, r.actor_id, r.detail["status"]) for r in refused] == [
        ("slack", None, 401),
        ("slack", None, 401),
    ]


async def test_a_replayed_slack_button_press_decides_once(
    slack: FakeSlack, standin: WebApiStandIn, core: Core, link: Link
) -> None:
    wang = await link("王经理")
    file_reception(core, ZH_PEOPLE)
    await slack.bot.deliver()
    card = standin.find(wang, "东方精密")
    button = card.buttons()[EN("approval.approve")]  # Slack says en-US, he has no locale
    body = slack._press_body(wang, button)
    body["container"] |= {"message_ts": card.ts, "channel_id": card.channel}
    body["channel"]["id"] = card.channel
    body["message"] |= {"ts": card.ts, "text": card.text, "blocks": card.blocks}
    raw = urlencode({"payload": json.dumps(body)}).encode()
    stamp = int(time.time())

    # The same signed request, sent again byte for byte within Slack's five minutes.
    sent = []
    for _ in range(2):
        answer = await slack.send(raw, "application/x-www-form-urlencoded", timestamp=stamp)
        assert answer.status == 200
        await slack.bot.deliver()
        sent.append(len(standin.calls_to("chat.postMessage") + standin.calls_to("chat.update")))

    assert count(core.db, AuditEntry, AuditEntry.action == "approval.approved") == 1
    assert sent[1] == sent[0], "the replay was acted on"


# ---------------------------------------------------------------------------- Telegram webhook


@WEBHOOK
async def test_a_webhook_call_without_the_secret_is_refused_and_only_audited(
    world: World,
) -> None:
    core = world.bot.core
    await world.linked("王经理")
    before = dump(core.db)
    zhang = world.phone(1004)
    update = world.text_update(zhang, f"/start {world.link_code('张伟')}")
    before = dump(core.db)
    assert await world.receive(update, secret=None) == 403
    assert await world.receive(update, secret="guessed") == 403
    await world.settle()
    assert zhang.texts == []
    after = dump(core.db)
    # Not linked, not even seen: nothing but the two refusals, kept without their words.
    assert changed_tables(before, after) == {"audit"}
    added = [row for row in after["audit"] if row not in before["audit"]]
    assert [(row[3], row[4]) for row in added] == [("telegram", "request.refused")] * 2
    assert not any("张伟" in repr(row) or "/start" in repr(row) for row in added)
