"""The callback URL as Feishu and as others reach it: the URL check, a forged or stale
signature, a body not encrypted, a wrong verification token, a redelivered event, a
stranger, linking with the code alone or `/link CODE`, a group chat."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from handlers.engine.core import Core
from handlers.org.chart import invite
from storage.models import AuditEntry, Identity, Person
from tests.feishu.conftest import TOKEN, ZH, FakeFeishu, Link
from tests.feishu.openapi import OpenApiStandIn


def _audited(core: Core, action: str) -> list[AuditEntry]:
    with core.db.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_the_url_check_is_answered_with_its_challenge(feishu: FakeFeishu) -> None:
    # Feishu sends it encrypted and unsigned when the callback URL is saved.
    check = {"challenge": "ajls384kdjx98XX", "token": TOKEN, "type": "url_verification"}
    answer = await feishu.post(check, headers={"Content-Type": "application/json"})
    assert (answer.status, answer.json()) == (200, {"challenge": "ajls384kdjx98XX"})


async def test_a_url_check_with_another_token_is_refused(feishu: FakeFeishu, core: Core) -> None:
    check = {"challenge": "x", "token": "not-ours", "type": "url_verification"}
    answer = await feishu.post(check, headers={"Content-Type": "application/json"})
    assert answer.status == 401 and "x" not in answer.json().values()
    assert [a.detail["reason"] for a in _audited(core, "request.refused")] == ["verification token"]


async def test_a_forged_signature_is_refused_audited_and_does_nothing(
    feishu: FakeFeishu, standin: OpenApiStandIn, core: Core, link: Link
) -> None:
    li = await link("李明")
    payload = feishu.envelope("im.message.receive_v1", _text(li, "/my"), None)
    answer = await feishu.post(payload, signed_with="a-key-that-is-not-ours")
    assert answer.status == 401
    assert answer.body == '{"error": "invalid request"}'  # no word of why, no 500
    (refused,) = _audited(core, "request.refused")
    assert refused.detail["status"] == 401 and refused.detail["reason"] == "signature"
    assert refused.detail["from"] == "127.0.0.1"
    assert standin.inbox(li) == []


async def test_a_replayed_callback_outside_five_minutes_is_refused(
    feishu: FakeFeishu, core: Core, link: Link
) -> None:
    li = await link("李明")
    payload = feishu.envelope("im.message.receive_v1", _text(li, "/my"), None)
    answer = await feishu.post(payload, timestamp=int(time.time()) - 600)
    assert answer.status == 401
    assert [a.detail["reason"] for a in _audited(core, "request.refused")] == ["stale timestamp"]


async def test_a_body_not_encrypted_or_not_json_is_refused(feishu: FakeFeishu, core: Core) -> None:
    plain = json.dumps({"schema": "2.0", "header": {"token": TOKEN}}).encode()
    async with feishu.http.post(feishu.url, data=plain) as response:
        assert response.status == 401
    async with feishu.http.post(feishu.url, data=b"\xff not json") as response:
        assert response.status == 400
    reasons = [a.detail["reason"] for a in _audited(core, "request.refused")]
    assert reasons == ["not encrypted", "not JSON"]


async def test_a_redelivered_event_acts_once(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link
) -> None:
    li = await link("李明")
    await feishu.message(li, "/my", event_id="ev_same")
    shown = len(standin.inbox(li))
    assert shown >= 1
    await feishu.message(li, "/my", event_id="ev_same")  # Feishu retries what it thinks lost
    assert len(standin.inbox(li)) == shown

    await feishu.message(li, "/reception", event_id="ev_form")  # the adapter's own card form
    await feishu.message(li, "/reception", event_id="ev_form")
    assert len([m for m in standin.inbox(li) if m.form()]) == 1


async def test_a_stranger_is_told_how_to_link_and_audited(
    feishu: FakeFeishu, standin: OpenApiStandIn, core: Core
) -> None:
    await feishu.message("ou_stranger", "/reception")
    assert standin.texts("ou_stranger") == [ZH("stranger.feishu")]
    (audit,) = _audited(core, "stranger.refused")
    assert audit.detail["user"] == "ou_stranger"
    assert standin.calls_to("create")[-1].params["receive_id_type"] == "open_id"


async def test_linking_with_link_code_or_the_code_alone(
    feishu: FakeFeishu, standin: OpenApiStandIn, core: Core, link: Link
) -> None:
    await link("李明")  # the fixture sends the code alone
    with core.db.session() as session:
        wang = session.scalars(select(Person).where(Person.name == "王经理")).one()
        code = invite(session, wang, core.clock())
    await feishu.message("ou_wang", f"/link {code.lower()}")
    assert standin.texts("ou_wang")[0].startswith(ZH("link.welcome", name="王经理")[:6])
    with core.db.session() as session:
        linked = {
            i.platform_user for i in session.scalars(select(Identity)) if i.platform == "feishu"
        }
    assert linked == {"ou_liming", "ou_wang"}


async def test_a_group_chat_is_pointed_to_the_private_chat(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link
) -> None:
    li = await link("李明")
    await feishu.message(li, "/my", chat_type="group")
    assert standin.texts("oc_group") == [ZH("feishu.private_only")]
    assert standin.calls_to("create")[-1].params["receive_id_type"] == "chat_id"
    assert standin.inbox(li) == []


def _text(open_id: str, text: str) -> dict[str, object]:
    return {
        "sender": {"sender_id": {"open_id": open_id}},
        "message": {
            "message_id": "om_x",
            "chat_id": f"oc_{open_id}",
            "chat_type": "p2p",
            "message_type": "text",
            "content": json.dumps({"text": text}),
        },
    }
