"""Signed Slack requests of shapes our listeners cannot read, and header values that are not
what Slack sends: each is refused (400, or 401 for what cannot be verified) and audited as
`request.refused`, never answered with HTTP 500 (which Slack retries), nothing else written."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.reliability.support import audit_rows, changed_tables, dump
from tests.slack.conftest import FakeSlack, Link, payload

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _interactive(body: Any) -> tuple[bytes, str]:
    return urlencode({"payload": json.dumps(body)}).encode(), FORM


def _event(body: Any) -> tuple[bytes, str]:
    return json.dumps(body).encode(), JSON


def _changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`base` with the value at the dotted `path` replaced, or removed when `value` is DROP."""
    body = copy.deepcopy(base)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is DROP:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return body


DROP = object()
PRESS = payload("block_actions")
SUBMIT = _changed(payload("view_submission"), "view.callback_id", "vd.form:rcp")
MESSAGE = _changed(payload("event_message_im"), "event.channel", "D0001")
COMMAND = payload("slash_command") | {"text": "help", "trigger_id": "t.1"}

SHAPES: dict[str, tuple[bytes, str]] = {
    "a press without actions": _interactive(_changed(PRESS, "actions", [])),
    "a press whose value is an object": _interactive(_changed(PRESS, "actions.0.value", {})),
    "a press without trigger_id": _interactive(_changed(PRESS, "trigger_id", DROP)),
    "a press whose container is text": _interactive(_changed(PRESS, "container", "x")),
    "a modal without state": _interactive(_changed(SUBMIT, "view.state", DROP)),
    "a modal whose state values are a list": _interactive(
        _changed(SUBMIT, "view.state", {"values": []})
    ),
    "a modal with broken metadata": _interactive(_changed(SUBMIT, "view.private_metadata", "{")),
    "a modal whose metadata is a list": _interactive(
        _changed(SUBMIT, "view.private_metadata", "[1]")
    ),
    "a message without channel": _event(_changed(MESSAGE, "event.channel", DROP)),
    "a message whose text is a number": _event(_changed(MESSAGE, "event.text", 5)),
    "a message whose text is null": _event(_changed(MESSAGE, "event.text", None)),
    "an event id that is a number": _event(_changed(MESSAGE, "event_id", 7)),
    "a body that is not JSON": (b"{not json", JSON),
    "a JSON list": (b"[1, 2]", JSON),
    "a payload that is not JSON": (b"payload=%7Bnot", FORM),
    "a payload that is a list": _interactive([1]),
    "a body that is not UTF-8": (b"payload=\xff\xfe", FORM),
    "a command without trigger_id": (
        urlencode({k: v for k, v in COMMAND.items() if k != "trigger_id"}).encode(),
        FORM,
    ),
}


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_a_signed_request_of_a_shape_we_cannot_read_is_refused_not_a_500(
    slack: FakeSlack, link: Link, shape: str
) -> None:
    await link("李明")
    core = slack.bot.core
    before = dump(core.db)
    body, content_type = SHAPES[shape]
    answer = await slack.send(body, content_type)
    assert answer.status == 400, (answer.status, answer.body)
    refused = audit_rows(core.db, "request.refused")
    assert [r.detail["status"] for r in refused] == [400]
    assert changed_tables(before, dump(core.db)) == {"audit"}


@pytest.mark.parametrize("stamp", ["abc", "1.5", "-1", "", "9" * 40, "１２３"])
async def test_a_timestamp_header_that_is_not_a_number_is_refused_as_unverified(
    slack: FakeSlack, stamp: str
) -> None:
    body = json.dumps(MESSAGE).encode()
    answer = await slack.send(body, JSON, headers={"X-Slack-Request-Timestamp": stamp})
    assert answer.status == 401, (answer.status, answer.body)
    assert [r.detail["status"] for r in audit_rows(slack.bot.core.db, "request.refused")] == [401]
