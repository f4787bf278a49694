"""A card form is the core's sheet drawn: after a restart the bot no longer holds the sheet a
card form was drawn from, so a Submit with errors is answered with the reasons alone, the
card left as it is (Feishu keeps what was typed), nothing saved; sent again right, it files
the draft as before."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.feishu.bot import FeishuBot
from handlers.engine.core import Core
from storage.models import Draft
from tests.feishu.conftest import ENCRYPT_KEY, TOKEN, ZH, FakeFeishu, Link, reception_answers
from tests.feishu.openapi import OpenApiStandIn

ARRIVAL = "2026-11-25 10:00 +0800"


def _drafts(core: Core) -> int:
    with core.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Draft)) or 0)


async def test_a_card_form_sent_before_a_restart_answers_its_errors_as_a_toast(
    feishu: FakeFeishu, standin: OpenApiStandIn, link: Link, core: Core, bot: FeishuBot
) -> None:
    li = await link("李明")
    await feishu.message(li, "/reception")
    form = standin.last(li)

    restarted = FeishuBot(core, bot.sender, "zh-CN")
    runner = await restarted.start_http("127.0.0.1", 0, ENCRYPT_KEY, TOKEN)
    try:
        url = feishu.url.replace(feishu.url.split("/")[2], f"127.0.0.1:{runner.addresses[0][1]}")
        # Feishu's event ids go on; this side's counter would begin again.
        after = FakeFeishu(url, restarted, standin, feishu.http)
        bad = reception_answers(form, ARRIVAL) | {"visitors": "a lot"}
        answer = await after.submit(li, form, bad, event_id="ev_restarted_1")
        assert answer.json()["toast"]["type"] == "error"
        assert ZH("flow.error.number") in answer.json()["toast"]["content"]
        assert standin.message(form.message_id).updates == 0  # the card as it was
        assert _drafts(core) == 0

        await after.submit(li, form, reception_answers(form, ARRIVAL), event_id="ev_restarted_2")
        assert standin.message(form.message_id).text == ZH("feishu.form.sent")
        assert standin.last(li).text.startswith(ZH("rcp.summary_title"))
        assert _drafts(core) == 1
    finally:
        await restarted.idle()
        await runner.cleanup()
        restarted.close()
