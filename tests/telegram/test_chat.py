"""A private chat with the bot: strangers, linking by deep link, help in the person's
language, the command menus, and what the bot says to groups and to stickers."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Identity
from tests.telegram.harness import USER_IDS, World, fixture


async def test_a_stranger_gets_one_polite_line_and_nothing_else(world: World) -> None:
    phone = world.phone(4242, "zh-hans")
    replies = await phone.send("/reception")
    assert [r.text for r in replies] == [
        "您好!您还没有开通 visitdesk。请联系管理员获取开通码,然后发送 /start 开通码。"
    ]
    english = world.phone(4343, "en")
    replies = await english.send("hello")
    assert [r.text for r in replies] == [
        "Hello! You are not set up on visitdesk yet. Ask your admin for a link code, "
        "then send /start CODE."
    ]


async def test_the_deep_link_code_links_the_account_once(world: World) -> None:
    code = world.link_code("李明")
    phone = world.phone(USER_IDS["李明"], "zh-hans", "明")
    replies = await phone.send(f"/start {code}")
    assert [r.text for r in replies] == [
        "欢迎,李明!账号已开通。\n\n发送 /help 查看可以做什么,例如 /reception 申请接待。"
    ]
    with world.bot.core.db.session() as session:
        identity = session.scalars(select(Identity)).one()
        assert (identity.platform, identity.platform_user) == ("telegram", "1001")
        assert identity.chat_id == "1001" and identity.person.name == "李明"

    thief = world.phone(6666, "zh-hans")
    replies = await thief.send(f"/start {code}")
    assert [r.text for r in replies] == ["这个开通码无效或已被使用。请向管理员重新索取。"]


async def test_help_speaks_the_language_telegram_reports(world: World) -> None:
    chinese = await world.linked("张伟", "zh-hans")
    english = await world.linked("李明", "en-US")
    zh_help = (await chinese.send("/help"))[-1].text
    en_help = (await english.send("/help"))[-1].text
    assert zh_help.startswith("张伟,您可以使用:\n/reception — 申请客户接待")
    assert en_help.startswith("李明, here is what you can do:\n/reception — request a client")
    assert "/cancel — drop the form you are filling in" in en_help


async def test_lang_overrides_the_telegram_language(world: World) -> None:
    phone = await world.linked("李明", "zh-hans")
    assert [r.text for r in await phone.send("/lang en")] == ["OK, English from now on."]
    assert (await phone.send("/help"))[-1].text.startswith("李明, here is what you can do:")


async def test_command_menus_in_chinese_english_and_the_org_default(world: World) -> None:
    menus = {
        call.params.get("language_code"): call.params
        for call in world.api.calls_of("setMyCommands")
    }
    assert set(menus) == {"zh", "en", None}  # None: everyone else, in the org's zh_CN
    assert menus[None]["commands"] == menus["zh"]["commands"]
    for menu in menus.values():
        assert menu["scope"] == {"type": "all_private_chats"}
    zh = {c["command"]: c["description"] for c in menus["zh"]["commands"]}
    en = {c["command"]: c["description"] for c in menus["en"]["commands"]}
    assert zh["reception"] == "申请客户接待" and en["reception"] == "request a client reception"
    assert en["help"] == "what you can do" and zh["back"] == "返回上一步"
    assert "invite" not in en  # an org admin's command stays out of everyone's menu


async def test_a_group_is_pointed_to_the_private_chat(world: World) -> None:
    update = fixture("message_group_command")  # /help@visitdesk_bot
    other = fixture("message_group_command")
    other["message"]["text"] = "/help@another_bot"
    other["message"]["entities"][0]["length"] = len("/help@another_bot")
    for each in (other, update):
        each["update_id"] = world.next_update_id()
        assert await world.receive(each) == 200
    await world.settle()
    group = update["message"]["chat"]["id"]
    assert [m.text for m in world.api.chats[group]] == [
        "我只在私聊中工作——请直接私聊我使用 visitdesk。"
    ]
    assert [c.params["chat_id"] for c in world.api.calls_of("sendMessage")] == [group]


async def test_a_sticker_gets_a_hint_in_the_persons_language(world: World) -> None:
    phone = await world.linked("李明", "en")
    await phone.send("/lang zh")
    update = fixture("message_sticker")
    update["update_id"] = world.next_update_id()
    update["message"]["from"]["language_code"] = "en"  # the profile's zh wins
    assert await world.receive(update) == 200
    await world.settle()
    assert phone.last.text == "我只能读取文字和按钮——请直接输入文字回答。"
