"""A walk-in on Telegram: the front desk registers the visitor, the host taps an answer on
their phone, the desk is told; a tap redelivered, a second tap and a tap on an answer already
replaced change nothing. Then the follow-up call's score, tapped."""

from __future__ import annotations

from tests.telegram.harness import Phone, World


async def register(desk: Phone) -> None:
    await desk.send("/walkin")
    for answer in ["李明", "王强", "华南电子", "2", "沪A 12345"]:
        await desk.send(answer)
    summary = (await desk.send("-"))[-1]
    assert summary.text.startswith(
        "请核对访客登记 —— 找 李明:\n华南电子 的 王强,共 2 人\n车牌:沪A12345"
    )
    replies = await desk.press("提交")
    assert replies[-1].text == "已通知 李明,等候答复。"


async def test_the_host_taps_and_the_desk_sees(world: World) -> None:
    desk, li = [await world.linked(name) for name in ("周前台", "李明")]
    await register(desk)
    card = li.last
    assert card.text.startswith("🚪 前台 09:00:有访客(无预约)找您\n华南电子 的 王强,共 2 人")
    assert card.labels == ["马上到", "请稍等", "不见"]
    wait = card.action("请稍等")

    await li.press("请稍等", on=card)
    assert card.edits == 1 and card.labels == ["马上到", "不见"]
    assert card.text.endswith("您已答复:请访客稍等(09:00)")
    assert desk.last.text == "🔔 李明 答复 华南电子 的 王强:请访客稍等"

    come = world.press_update(li, card, card.action("马上到"))
    for _ in range(2):  # the same update delivered twice
        assert await world.receive(come) == 200
    await world.settle()
    assert card.edits == 2 and card.labels == []
    assert desk.texts.count("🔔 李明 答复 华南电子 的 王强:马上到") == 1

    replies = await li.tap(wait, on=card)  # "please wait", from a copy on another device
    assert [r.text for r in replies] == ["已经答复过了:马上到(09:00)。"]
    assert card.edits == 2


async def test_someone_else_cannot_answer(world: World) -> None:
    desk, li, zhang = [await world.linked(name) for name in ("周前台", "李明", "张伟")]
    await register(desk)
    card = li.last
    replies = await zhang.tap(card.action("马上到"), on=card)
    assert [r.text for r in replies] == ["这位访客不是来找您的。"]
    assert card.edits == 0 and card.labels == ["马上到", "请稍等", "不见"]
