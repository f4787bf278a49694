"""A message belongs to a person, not to a platform: what was queued for someone before they
linked (a card, a reminder) waits for them and arrives when they link, on the platform they
linked — a card as it stands now, not as it stood when it was queued."""

from __future__ import annotations

from handlers.engine.messages import Button, Message, rows
from tests.telegram.harness import World
from tests.telegram.test_reception import request_b_class


async def test_a_card_queued_before_the_approver_linked_arrives_when_he_links(
    world: World,
) -> None:
    li = await world.linked("李明")
    await request_b_class(li)  # its card is for 王经理, who has not linked yet

    wang = await world.linked("王经理")
    card = wang.showing("同意")
    assert card.text.startswith("【接待申请 #1】华东机电 · B类(比较重要)\n申请人:李明(销售一部)")
    assert card.labels == ["同意", "驳回", "退回修改"]
    await wang.press("同意")
    assert li.last.text == "「接待申请 #1 华东机电」:已送 赵总 审批。"


async def test_a_card_decided_before_its_reader_linked_arrives_as_it_stands_now(
    world: World,
) -> None:
    pending = Message("【接待申请 #7】", rows(Button("同意", "apv:77:ok")), card="apv:77")
    world.queue("钱会计", pending, "test:card")
    outcome = Message("【接待申请 #7】\n✅ 赵总 已同意", card="apv:77", replace=True)
    world.queue("钱会计", outcome, "test:outcome")

    qian = await world.linked("钱会计")
    card = [shown for shown in qian.screen if shown.text.startswith("【接待申请 #7】")]
    assert [c.text for c in card] == ["【接待申请 #7】\n✅ 赵总 已同意"]  # once, as decided
    assert card[0].labels == [] and card[0].edits == 0  # its old buttons were never shown
