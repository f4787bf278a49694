"""How updates arrive: polling and the webhook, started as `visitdesk run telegram` does.
The webhook takes only requests carrying Telegram's secret token; an update delivered twice
(same update_id) acts once."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import start_retry
from bot.app import App
from bot.config import SettingError
from bot.telegram import TelegramBot, serve
from bot.telegram_limits import TelegramLimits
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from storage.db import Database
from storage.models import Identity
from tests.conftest import Reserve
from tests.support import FakeClock, run_visitdesk, taken_port
from tests.telegram.botapi import TOKEN, BotApi
from tests.telegram.conftest import SECRET
from tests.telegram.harness import SECRET_HEADER, USER_IDS, World, eventually

BOTH = pytest.mark.parametrize("world", ["polling", "webhook"], indirect=True)
WEBHOOK = pytest.mark.parametrize("world", ["webhook"], indirect=True)
REFUSED = "999:not-this-bots-token"  # a token the stand-in (like Telegram) answers 401 for
WELCOME = "欢迎,李明!账号已开通。\n\n发送 /help 查看可以做什么,例如 /reception 申请接待。"


def linked_identities(world: World) -> int:
    with world.bot.core.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Identity)) or 0)


@WEBHOOK
async def test_the_webhook_is_registered_with_the_secret(world: World) -> None:
    [call] = world.api.calls_of("setWebhook")
    assert call.params["url"] == world.webhook
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]
    assert not world.api.calls_of("getUpdates")


@WEBHOOK
async def test_a_request_without_the_right_secret_is_refused_and_does_nothing(
    world: World,
) -> None:
    phone = world.phone(USER_IDS["李明"])
    update = world.text_update(phone, f"/start {world.link_code('李明')}")
    assert await world.receive(update, secret=None) == 403
    assert await world.receive(update, secret="forged-token") == 403
    await world.settle()
    assert not world.api.calls_of("sendMessage")
    assert linked_identities(world) == 0

    # The same update from Telegram itself: the code was not used up by the forgeries.
    assert await world.receive(update) == 200
    await world.settle()
    assert phone.texts == [WELCOME]


@BOTH
async def test_an_update_delivered_twice_acts_once(world: World) -> None:
    phone = world.phone(USER_IDS["李明"])
    update = world.text_update(phone, f"/start {world.link_code('李明')}")
    for _ in range(2):
        assert await world.receive(update) == 200
    await world.settle()
    # Handled twice, the second /start would have said the code was already used.
    assert phone.texts == [WELCOME]
    assert linked_identities(world) == 1


@BOTH
async def test_several_people_at_once_each_get_their_own_answers(world: World) -> None:
    phones = {name: world.phone(USER_IDS[name], first_name=name) for name in USER_IDS}
    for name, phone in phones.items():
        code = world.link_code(name)
        assert await world.receive(world.text_update(phone, f"/start {code}")) == 200
        assert await world.receive(world.text_update(phone, "/lang en")) == 200
        assert await world.receive(world.text_update(phone, "/help")) == 200
    await world.settle()
    for name, phone in phones.items():
        assert len(phone.texts) == 3, (name, phone.texts)
        welcome, switched, help_text = phone.texts  # in order, though chats ran side by side
        assert name in welcome.split("\n")[0]  # 欢迎,… or Welcome, … (Grace Lee's profile)
        assert switched == "OK, English from now on."
        assert help_text.startswith(f"{name}, here is what you can do:")


async def test_serve_polls_until_cancelled(botapi: BotApi, telegram_app: App) -> None:
    task = asyncio.create_task(serve(telegram_app, webhook=None))
    await eventually(lambda: botapi.polls > 0, "the first getUpdates")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [c.method for c in botapi.calls][:2] == ["getMe", "setMyCommands"]
    assert botapi.calls[-1].method == "getUpdates"  # marks what was fetched as read
    assert botapi.calls[-1].params["timeout"] == 0


async def test_webhook_mode_refuses_to_start_without_a_secret(
    botapi: BotApi, telegram_app: App
) -> None:
    settings = dataclasses.replace(telegram_app.settings, telegram_webhook_secret=None)
    app = dataclasses.replace(telegram_app, settings=settings)
    with pytest.raises(SettingError, match="TELEGRAM_WEBHOOK_SECRET"):
        await TelegramBot(app).start("https://bot.example.com/telegram")
    assert botapi.calls == []


async def test_a_token_telegram_refuses_stops_the_start_naming_its_setting(
    botapi: BotApi, telegram_app: App
) -> None:
    settings = dataclasses.replace(telegram_app.settings, telegram_token=REFUSED)
    app = dataclasses.replace(telegram_app, settings=settings)
    with pytest.raises(SettingError, match="TELEGRAM_BOT_TOKEN: Telegram refused it") as refused:
        await TelegramBot(app).start(None)
    assert REFUSED not in str(refused.value)  # PTB's own message prints the token
    assert [(c.method, c.status) for c in botapi.calls] == [("getMe", 401)]


async def test_visitdesk_run_telegram_with_a_wrong_token_says_so_in_one_line(
    botapi: BotApi, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": REFUSED,
        "TELEGRAM_API_BASE_URL": botapi.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
        "PATH": "/usr/bin:/bin",
    }
    code, said = await run_visitdesk(["run", "telegram"], env, tmp_path)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        "setting TELEGRAM_BOT_TOKEN: Telegram refused it; copy the token from @BotFather again"
    )
    assert "Traceback" not in said and REFUSED not in said


async def test_visitdesk_run_telegram_webhook_at_a_port_already_taken_says_so_in_one_line(
    botapi: BotApi, tmp_path: Path
) -> None:
    with taken_port() as port:  # another program (an older visitdesk?) listens there
        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": botapi.url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_LISTEN": f"127.0.0.1:{port}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
            "PATH": "/usr/bin:/bin",
        }
        webhook = ["--webhook", "https://bot.example.com/telegram"]
        code, said = await run_visitdesk(["run", "telegram", *webhook], env, tmp_path)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        f"setting TELEGRAM_LISTEN: cannot listen at 127.0.0.1:{port} (address already in use)"
    )
    assert "Traceback" not in said


async def test_telegram_unreachable_at_start_is_waited_out_and_logged(
    botapi: BotApi,
    telegram_app: App,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(start_retry, "START_RETRY_SECONDS", (0.0, 0.0))
    botapi.fail_next("getMe", 502, times=2)  # a proxy in front of Telegram, or an outage
    bot = TelegramBot(telegram_app)
    await bot.start(None)
    try:
        await eventually(lambda: botapi.polls > 0, "the first getUpdates")
    finally:
        await bot.stop()
    retried = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(retried) == 2 and all("telegram: getMe" in line for line in retried)
    assert [c.status for c in botapi.calls_of("getMe")] == [502, 502, 200]


@WEBHOOK
async def test_two_bot_processes_given_the_same_update_act_once(
    world: World, telegram_app: App, clock: FakeClock, reserve_port: Reserve
) -> None:
    # A second process: its own connection to the same database, its own webhook server.
    db = Database(telegram_app.db.url)
    policy = telegram_app.policy
    port = reserve_port()
    settings = dataclasses.replace(telegram_app.settings, telegram_listen=("127.0.0.1", port))
    other = TelegramBot(
        App(settings, db, policy, Core(db, policy, FEATURES, clock)),
        TelegramLimits(chat_burst=1000, chat_period=1),
    )
    hooks = [world.webhook, f"http://127.0.0.1:{port}/telegram/updates"]
    await other.start(hooks[1])
    phone = world.phone(USER_IDS["李明"])
    update = world.text_update(phone, f"/start {world.link_code('李明')}")

    async def post(http: aiohttp.ClientSession, hook: str | None) -> int:
        async with http.post(str(hook), json=update, headers={SECRET_HEADER: SECRET}) as answer:
            return answer.status

    try:
        async with aiohttp.ClientSession() as http:
            assert await asyncio.gather(*(post(http, hook) for hook in hooks)) == [200, 200]
        await asyncio.wait_for(other.application.update_queue.join(), 10)
        await world.settle()
        assert phone.texts == [WELCOME]
    finally:
        await other.stop()
        db.dispose()
