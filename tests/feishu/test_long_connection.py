"""The long connection: lark-oapi's own `lark.ws.Client`, in its thread and loop, connected
to the stand-in's endpoint; a message and a card form's Submit go down it as Feishu sends them, and
the bot answers on its own loop within the frame."""

from __future__ import annotations

import asyncio
import json

from bot.feishu.bot import FeishuBot
from bot.feishu.ws import LongConnection
from tests.feishu.conftest import APP_ID, APP_SECRET, ZH, FakeFeishu, Link, reception_answers
from tests.feishu.openapi import OpenApiStandIn


async def test_a_message_and_a_press_over_the_long_connection(
    feishu: FakeFeishu, standin: OpenApiStandIn, bot: FeishuBot, link: Link
) -> None:
    li = await link("李明")
    connection = LongConnection(
        APP_ID, APP_SECRET, standin.origin, bot.on_callback, asyncio.get_running_loop()
    )
    connection.start()  # returns at once: start() blocks in its own thread
    try:
        event = feishu.envelope("im.message.receive_v1", _text(li, "/reception"), None)
        answer = await standin.over_long_connection(event)
        assert answer["code"] == 200
        await feishu.settle()
        form = standin.last(li)
        assert form.form() is not None  # the same card form as over HTTP

        # The card form's Submit: its answer (the card it turns into) comes back in the frame.
        form_value = reception_answers(form, "2026-11-25 10:00 +0800")
        submit = next(iter(form.buttons().values()))
        action = {"tag": "button", "value": submit, "form_value": form_value}
        payload, _ = feishu.action_callback(li, form, action, None)
        answer = await standin.over_long_connection(payload)
        assert answer["code"] == 200
        assert answer["data"]["card"]["data"]["body"]["elements"][0]["text"]["content"] == ZH(
            "feishu.form.sent"
        )
        await feishu.settle()
        assert standin.last(li).text.startswith(ZH("rcp.summary_title"))
    finally:
        await connection.stop()
    assert not connection._thread.is_alive()  # stopped, and not connected again
    assert [c.method for c in standin.calls if c.method == "ws.endpoint"] == ["ws.endpoint"]


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
