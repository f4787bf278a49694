"""A rejection's reason typed in the chat: words meant as something else ("帮助") never
reject a request unseen — the approver is shown what Submit will do, and decides."""

from __future__ import annotations

from tests.telegram.harness import World
from tests.telegram.test_reception import request_b_class


async def test_a_typed_reason_shows_the_rejection_before_it_is_made(world: World) -> None:
    li, wang = [await world.linked(name) for name in ("李明", "王经理")]
    await request_b_class(li)
    card = wang.showing("同意")
    told = len(li.screen)
    await wang.press("驳回")

    shown = await wang.send("帮助")  # meant as "help", read as the reason
    assert [s.text for s in shown] == [
        "将驳回「接待申请 #1 华东机电」,原因:帮助\n提交后申请人会收到。"
    ]
    assert shown[0].labels == ["提交", "修改某项", "取消"]
    assert card.labels == ["同意", "驳回", "退回修改"] and len(li.screen) == told

    await wang.press("取消")
    assert card.labels == ["同意", "驳回", "退回修改"] and len(li.screen) == told
    await wang.press("驳回", on=card)
    await wang.send("客户临时取消")
    await wang.press("提交")
    assert card.labels == [] and li.last.text.startswith("❌")
    assert "客户临时取消" in li.last.text
