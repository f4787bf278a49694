"""Each person's Telegram menu lists what their roles allow (issue 25 item 4): set in their
chat (`BotCommandScopeChat`) when they link, in their language, over the bot-wide menu."""

from __future__ import annotations

from typing import Any

from tests.telegram.harness import World


def chat_menus(world: World) -> dict[int, list[str]]:
    """The commands set for each chat, by the last setMyCommands with a chat scope."""
    menus: dict[int, list[str]] = {}
    for call in world.api.calls_of("setMyCommands"):
        scope: dict[str, Any] = call.params["scope"]
        if scope["type"] == "chat":
            menus[int(scope["chat_id"])] = [c["command"] for c in call.params["commands"]]
    return menus


async def test_linking_sets_the_menu_of_the_persons_roles_in_their_chat(world: World) -> None:
    li = await world.linked("李明")  # sales
    sun = await world.linked("孙行政", "en")  # the admin office, and the org's admin
    menus = chat_menus(world)
    assert set(menus) == {li.user_id, sun.user_id}
    assert "visit" in menus[li.user_id] and "plan" in menus[li.user_id]
    assert "invite" not in menus[li.user_id] and "delegate" not in menus[li.user_id]
    assert "invite" in menus[sun.user_id]  # an org admin's command, in the admin's menu alone
    assert menus[li.user_id][-3:] == ["help", "cancel", "back"]
    [sun_call] = [
        c
        for c in world.api.calls_of("setMyCommands")
        if c.params["scope"].get("chat_id") and int(c.params["scope"]["chat_id"]) == sun.user_id
    ]
    descriptions = {c["command"]: c["description"] for c in sun_call.params["commands"]}
    assert descriptions["help"] == "what you can do"  # in the person's language


async def test_a_stranger_refused_gets_no_menu_of_their_own(world: World) -> None:
    phone = world.phone(4242, "zh-hans", "路人")
    await phone.send("/start WRONGCODE")
    assert chat_menus(world) == {}
