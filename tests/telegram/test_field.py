"""The day in the field on Telegram: a check-in from a shared location (the Bot API's location
message), the manager's Acknowledge on the visit report, and the morning checklist's ticks."""

from __future__ import annotations

from typing import Any

from tests.telegram.harness import Phone, World, fixture


def location_update(
    world: World, phone: Phone, latitude: float, longitude: float
) -> dict[str, Any]:
    update = fixture("message_private_location")
    update["update_id"] = world.next_update_id()
    message = update["message"]
    message["from"].update(id=phone.user_id, language_code=phone.language_code)
    message["chat"].update(id=phone.user_id)
    message["location"].update(latitude=latitude, longitude=longitude)
    return update


async def share(world: World, phone: Phone, latitude: float, longitude: float) -> list[str]:
    before = len(phone.screen)
    assert await world.receive(location_update(world, phone, latitude, longitude)) == 200
    await world.settle()
    return [shown.text for shown in phone.screen[before:]]


async def test_a_shared_location_checks_in_with_the_distance_then_check_out(
    world: World,
) -> None:
    li = await world.linked("李明")
    asked = await li.send("/checkin 东方精密")
    assert "请分享位置" in asked[-1].text
    replies = await share(world, li, 31.233, 121.475)
    assert replies[-1].startswith("有同行者吗")
    done = await li.press("跳过")
    checked_in = done[-1].text
    assert "✅ 已签到:东方精密 09:00" in checked_in and "距客户 314 米" in checked_in
    card = li.showing("签退")
    out = await li.press("签退", card)
    assert any("已签退:东方精密" in shown.text for shown in out)
    assert (card.labels, card.edits) == ([], 1)  # edited in place: nothing left to tap


async def test_a_location_first_asks_the_client(world: World) -> None:
    li = await world.linked("李明")
    replies = await share(world, li, 31.233, 121.475)
    assert replies[-1].startswith("在哪位客户处签到")
    assert "东方精密" in li.last.labels


async def test_the_manager_acknowledges_a_visit_report_with_its_button(world: World) -> None:
    li = await world.linked("李明")
    wang = await world.linked("王经理")
    await li.send("/visit 东方精密 见了王工 解决问题 商谈成功")
    await li.press("客户关怀")
    await li.press("选好了")
    await li.send("交期问题")
    saved = await li.press("提交")
    assert any("已呈 王经理 审阅" in s.text for s in saved)
    card = wang.showing("已阅")
    assert card.text.startswith("【拜访报告】李明 · 东方精密")
    comment = card.action("批注")
    await wang.press("已阅", card)
    assert card.labels == [] and "✅ 您已于" in card.text  # edited: no buttons left
    assert "王经理 已阅您的报告" in li.last.text
    again = await wang.tap(comment, card)  # a tap already on its way, or a second device
    assert "阅过这份报告" in again[-1].text
