"""The adapter's parts on their own: pacing, Block Kit limits, reading a modal, `serve`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot import slack as slack_module
from bot import start_retry
from bot.app import App
from bot.config import SettingError, load_settings
from bot.slack import EVENTS_PATH, SlackBot, serve
from bot.slack_blocks import SECTION_MAX, message_blocks, read_modal, slack_spelling
from bot.slack_send import Pacer
from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.forms.fill import edited_form
from handlers.engine.forms.model import FormAction
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message
from handlers.rules.policy.schema import Policy
from storage.models import Person
from tests.conftest import Reserve
from tests.slack.conftest import SECRET, FakeSlack, payload
from tests.slack.standin import WebApiStandIn
from tests.support import run_visitdesk, taken_port


async def test_the_pacer_spaces_sends_per_channel() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(1.0, clock=lambda: now[0], sleep=sleep)
    for channel in ("D1", "D1", "D2", "D1"):
        await pacer.wait(channel)
    assert slept == [1.0, 1.0]  # D1 waited twice; D2 went at once


def test_long_text_is_split_into_sections_slack_accepts() -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(80))
    blocks = message_blocks(Message(text))
    sections = [b["text"]["text"] for b in blocks]
    assert len(sections) > 1
    assert all(len(s) <= SECTION_MAX for s in sections)
    assert "\n".join(sections) == text


def test_buttons_carry_the_core_action_and_slack_styles() -> None:
    message = Message(
        "card",
        (
            (Button("OK", "apv:1:ok", "primary"), Button("No", "apv:1:no", "danger")),
            (Button("Later", "apv:1:chg", "fancy"),),
        ),
    )
    elements = [e for b in message_blocks(message) if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"], e.get("style")) for e in elements] == [
        ("vd.b0", "apv:1:ok", "primary"),
        ("vd.b1", "apv:1:no", "danger"),
        ("vd.b2", "apv:1:chg", None),
    ]


def test_a_typed_new_name_wins_over_the_select_beside_it() -> None:
    values: dict[str, Any] = {
        "client": {"v": {"type": "static_select", "selected_option": {"value": "2"}}},
        "client~other": {"v": {"type": "plain_text_input", "value": "新客户"}},
        "tags": {
            "v": {
                "type": "multi_static_select",
                "selected_options": [{"value": "1"}, {"value": "3"}],
            }
        },
        "note": {"v": {"type": "plain_text_input", "value": None}},
    }
    submitted = read_modal(values)
    assert submitted.texts == {"client": "新客户", "tags": "1,3", "note": ""}
    assert submitted.blocks["client"] == "client~other"  # its error belongs under the box


def test_only_a_summary_edit_reopens_a_modal() -> None:
    assert edited_form("f:rcp:7:_summary:edit") == FormAction("rcp", 7, "_summary", "edit")
    assert edited_form("f:rcp:_summary:edit") == FormAction("rcp", None, "_summary", "edit")
    assert edited_form("f:rcp:7:_summary:submit") is None
    assert edited_form("f:rcp:7:_summary:edit.cls") is None
    assert edited_form("f:rcp:x:_summary:edit") is None
    assert edited_form("apv:3:ok") is None


BOT_TOKEN = "xoxb-1-bot-secret"
APP_TOKEN = "xapp-1-A0001-app-secret"
CEILING = 30  # seconds: reached only by a start that hangs, which fails the test


def _app(core: Core, policy: Policy, tmp_path: Path, **env: str) -> App:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", **env})
    return App(settings, core.db, policy, core)


def _env(standin: WebApiStandIn, port: int, socket_mode: bool) -> dict[str, str]:
    """Slack's settings for a start against the stand-in: Socket Mode, or HTTP at `port`."""
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_BASE_URL": standin.base_url}
    if socket_mode:
        return env | {"SLACK_APP_TOKEN": APP_TOKEN}
    return env | {"SLACK_SIGNING_SECRET": SECRET, "SLACK_LISTEN": f"127.0.0.1:{port}"}


async def test_serve_needs_a_signing_secret_for_http(
    core: Core, policy: Policy, tmp_path: Path
) -> None:
    with pytest.raises(SettingError, match="SLACK_SIGNING_SECRET"):
        await serve(_app(core, policy, tmp_path, SLACK_BOT_TOKEN="xoxb-1"))


async def test_serve_listens_at_slack_listen_with_the_settings(
    core: Core,
    policy: Policy,
    tmp_path: Path,
    standin: WebApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    reserve_port: Reserve,
) -> None:
    port = reserve_port()
    app = _app(core, policy, tmp_path, **_env(standin, port, False), TICK_SECONDS="7")
    seen: dict[str, Any] = {}

    async def one_tick(bot: SlackBot, tick_seconds: float) -> None:
        # Instead of the endless outbox loop: one signed request while serve() is up.
        url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
        body = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
        async with aiohttp.ClientSession() as http:
            answer = await FakeSlack(url, bot, standin, http).send(body, "application/json")
        seen.update(answer=(answer.status, answer.json()), tick=tick_seconds)

    monkeypatch.setattr(slack_module.SlackBot, "run_outbox", one_tick)
    await serve(app)
    assert seen == {"answer": (200, {"challenge": "c-123"}), "tick": 7.0}


async def test_serve_that_cannot_listen_leaves_no_bot_woken_by_commits(
    core: Core,
    policy: Policy,
    tmp_path: Path,
    standin: WebApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    passes: list[int] = []

    async def counted(bot: SlackBot) -> None:
        passes.append(1)

    monkeypatch.setattr(slack_module.SlackBot, "deliver", counted)
    with taken_port() as port:  # another program already listens at SLACK_LISTEN
        app = _app(core, policy, tmp_path, **_env(standin, port, False))
        with pytest.raises(SettingError, match="SLACK_LISTEN"):
            await serve(app)
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == "王经理")).one()
        enqueue(session, person, Message("after a failed start"), "failed:1", core.clock())
    for _ in range(3):  # a wake-up's turn, its pass's turn, and one to spare
        await asyncio.sleep(0)
    assert passes == []


async def test_a_slack_listen_host_not_of_this_machine_stops_the_start_naming_it(
    core: Core, policy: Policy, tmp_path: Path, standin: WebApiStandIn
) -> None:
    env = _env(standin, 3000, False) | {"SLACK_LISTEN": "192.0.2.1:3000"}  # a documentation IP
    with pytest.raises(SettingError) as refused:
        await serve(_app(core, policy, tmp_path, **env))
    assert str(refused.value) == (
        "setting SLACK_LISTEN: cannot listen at 192.0.2.1:3000 (cannot assign requested address)"
    )


async def test_a_listener_that_cannot_start_is_cleaned_up(
    bot: SlackBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    cleaned: list[str] = []
    make = bot.bolt.web_app

    def watched(path: str, port: int) -> web.Application:
        served = make(path=path, port=port)

        async def note_cleanup(app: web.Application) -> None:
            cleaned.append(path)

        served.on_cleanup.append(note_cleanup)  # runs when the runner is cleaned up
        return served

    monkeypatch.setattr(bot.bolt, "web_app", watched)
    with taken_port() as port, pytest.raises(OSError):
        await bot.start_http("127.0.0.1", port)
    assert cleaned == [EVENTS_PATH]


@pytest.mark.parametrize(
    ("setting", "error", "socket_mode"),
    [
        ("SLACK_APP_TOKEN", "invalid_auth", True),
        ("SLACK_APP_TOKEN", "token_revoked", True),
        ("SLACK_BOT_TOKEN", "token_revoked", True),
        ("SLACK_BOT_TOKEN", "invalid_auth", False),
    ],
)
async def test_a_token_slack_refuses_stops_the_start_naming_its_setting(
    core: Core,
    policy: Policy,
    tmp_path: Path,
    standin: WebApiStandIn,
    reserve_port: Reserve,
    setting: str,
    error: str,
    socket_mode: bool,
) -> None:
    env = _env(standin, reserve_port(), socket_mode)
    standin.refuse_token(env[setting], error)
    async with asyncio.timeout(CEILING):  # slack_sdk alone retries a refused app token forever
        with pytest.raises(SettingError) as refused:
            await serve(_app(core, policy, tmp_path, **env))
    assert str(refused.value).startswith(f"setting {setting}: Slack refused it ({error}); ")
    assert env[setting] not in str(refused.value)  # a secret, even when wrong


async def test_slack_trouble_at_start_is_waited_out_and_logged(
    core: Core,
    policy: Policy,
    tmp_path: Path,
    standin: WebApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(start_retry, "START_RETRY_SECONDS", (0.0, 0.0))
    standin.server_error_next("auth.test", status=503)  # a proxy's, or Slack's outage
    standin.fail_next("apps.connections.open", "service_unavailable")
    served: list[SlackBot] = []

    async def up(bot: SlackBot, tick_seconds: float) -> None:
        served.append(bot)  # instead of the endless outbox loop

    monkeypatch.setattr(slack_module.SlackBot, "run_outbox", up)
    async with asyncio.timeout(CEILING):
        await serve(_app(core, policy, tmp_path, **_env(standin, 0, True)))
    assert len(served) == 1
    retried = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(retried) == 2
    assert "auth.test" in retried[0] and "HTTP 503" in retried[0]
    assert "apps.connections.open" in retried[1] and "service_unavailable" in retried[1]


async def test_socket_mode_checks_the_tokens_then_connects_once_and_serves(
    core: Core,
    policy: Policy,
    tmp_path: Path,
    standin: WebApiStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    async def one_command(bot: SlackBot, tick_seconds: float) -> None:
        # Instead of the endless outbox loop: a slash command over the socket while it is up.
        body = payload("slash_command") | {"user_id": "USTRANGER", "text": "help"}
        seen["ack"] = await standin.envelope("slash_commands", body)
        await bot.idle()

    monkeypatch.setattr(slack_module.SlackBot, "run_outbox", one_command)
    async with asyncio.timeout(CEILING):
        await serve(_app(core, policy, tmp_path, **_env(standin, 0, True)))
    # The URL the check was given is the one connected to: apps.connections.open once.
    assert [c.method for c in standin.calls][:2] == ["auth.test", "apps.connections.open"]
    assert len(standin.calls_to("apps.connections.open")) == 1
    assert seen["ack"]["envelope_id"]
    assert standin.texts("USTRANGER") == [Translator("en")("stranger.slack")]


async def run_slack(env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """`visitdesk run slack` as a process, with these settings and a database of its own."""
    env = env | {"DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}", "PATH": "/usr/bin:/bin"}
    return await run_visitdesk(["run", "slack"], env, tmp_path, CEILING)


async def test_visitdesk_run_slack_with_a_revoked_app_token_says_so_in_one_line(
    tmp_path: Path, standin: WebApiStandIn
) -> None:
    standin.refuse_token(APP_TOKEN, "token_revoked")
    code, said = await run_slack(_env(standin, 0, socket_mode=True), tmp_path)
    assert code == 2
    assert said.strip().splitlines()[-1].startswith("setting SLACK_APP_TOKEN: Slack refused it")
    assert "Traceback" not in said
    assert APP_TOKEN not in said


async def test_visitdesk_run_slack_at_a_port_already_taken_says_so_in_one_line(
    tmp_path: Path, standin: WebApiStandIn
) -> None:
    with taken_port() as port:  # another program (an older visitdesk?) listens at SLACK_LISTEN
        code, said = await run_slack(_env(standin, port, socket_mode=False), tmp_path)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        f"setting SLACK_LISTEN: cannot listen at 127.0.0.1:{port} (address already in use)"
    )
    assert "Traceback" not in said


async def test_visitdesk_run_slack_at_an_address_that_is_not_slack_names_slack_api_base_url(
    tmp_path: Path, standin: WebApiStandIn
) -> None:
    wrong = standin.base_url.replace("/api/", "/nowhere/")  # a web server's 404, no Slack JSON
    code, said = await run_slack(_env(standin, 0, True) | {"SLACK_API_BASE_URL": wrong}, tmp_path)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        f"setting SLACK_API_BASE_URL: {wrong} does not answer like a Slack Web API"
        " (auth.test: HTTP 404)"
    )
    assert "Traceback" not in said
    assert BOT_TOKEN not in said


async def test_commits_that_queue_messages_wake_one_outbox_pass_not_one_each(
    bot: SlackBot, core: Core
) -> None:
    passes: list[int] = []
    deliver = bot.deliver

    async def counted() -> None:
        passes.append(1)
        await deliver()

    bot.deliver = counted  # type: ignore[method-assign]  # counting the passes
    now = core.clock()
    for number in range(20):  # a scheduler tick commits like this, batch after batch
        with core.db.session() as session:
            person = session.scalars(select(Person).where(Person.name == "王经理")).one()
            enqueue(session, person, Message(f"digest {number}"), f"burst:{number}", now)
    await asyncio.sleep(0)  # the commits' wake-ups run on the loop's next turn
    await bot.idle()
    assert passes == [1]


async def test_a_closed_bot_is_no_longer_woken_by_commits(bot: SlackBot, core: Core) -> None:
    passes: list[int] = []

    async def counted() -> None:
        passes.append(1)

    bot.deliver = counted  # type: ignore[method-assign]  # counting the passes
    bot.close()
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == "王经理")).one()
        enqueue(session, person, Message("after close"), "closed:1", core.clock())
    await asyncio.sleep(0)
    await bot.idle()
    assert passes == []


def test_commands_are_spelled_the_slack_way_and_nothing_else_is() -> None:
    commands = frozenset({"reception", "help", "start", "link", "my"})
    assert slack_spelling("/help — /reception; /my.", commands) == (
        "/visitdesk help — /visitdesk reception; /visitdesk my."
    )
    assert slack_spelling("发送 /start 开通码", commands) == "发送 /visitdesk link 开通码"
    untouched = [
        "Telegram:/start 1234;Slack:/visitdesk link 1234",  # names both platforms' spelling
        "https://t.me/visitdesk_bot?start=1234",
        "2026/12/my",
        "/unknown and /Reception",
        "a/help",
    ]
    assert [slack_spelling(text, commands) for text in untouched] == untouched
