"""Secrets: tokens come only from the environment (or a `.env` that git ignores), are never
written to the logs — not by us, not by the libraries under us, not in a traceback — and a
wrong setting is reported without echoing its value."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
from pathlib import Path

import pytest

from bot.config import SettingError, load_settings
from handlers.engine.messages import Message
from tests.reliability.driver import ZH_PEOPLE, file_reception
from tests.slack.conftest import SECRET as SLACK_SIGNING_SECRET
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock
from tests.telegram.botapi import TOKEN as TELEGRAM_TOKEN
from tests.telegram.conftest import SECRET as WEBHOOK_SECRET
from tests.telegram.harness import World

ROOT = Path(__file__).resolve().parents[2]
SLACK_TOKEN = "xoxb-test-token"  # what tests/slack/conftest.py gives the client
SOURCE_DIRS = ("bot", "handlers", "storage", "locales", "examples")
# Shapes of real tokens: Telegram's "<bot id>:<35 characters>", Slack's xoxb-/xapp-.
TOKEN_SHAPES = re.compile(
    r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b|xox[abposr]-\d+-[A-Za-z0-9-]+|xapp-\d-[A-Za-z0-9-]{10,}"
)
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the records would print, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


# ---------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_BOT_TOKEN", "SEKRET-no-colon-in-it"),
        ("SLACK_BOT_TOKEN", "SEKRET-not-a-bot-token"),
        ("SLACK_APP_TOKEN", "SEKRET-not-an-app-token"),
        ("TELEGRAM_WEBHOOK_SECRET", "SEKRET with spaces"),
        ("DATABASE_URL", "oracle://admin:SEKRET@db.example/prod"),
        ("TELEGRAM_API_BASE_URL", "ftp://user:SEKRET@host"),
        ("SLACK_LISTEN", "SEKRET"),
    ],
)
def test_a_bad_setting_is_named_but_its_value_never_echoed(name: str, value: str) -> None:
    with pytest.raises(SettingError) as raised:
        load_settings(environ={name: value})
    assert name in str(raised.value)
    assert "SEKRET" not in str(raised.value) and "SEKRET" not in repr(raised.value)


def test_settings_print_without_their_secrets() -> None:
    settings = load_settings(
        environ={
            "DATABASE_URL": "postgresql://visitdesk:DBSEKRET@127.0.0.1/visitdesk",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": SLACK_TOKEN,
            "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_APP_TOKEN": "xapp-1-A0-SEKRET",
        }
    )
    shown = f"{settings!r} {settings!s}"
    for secret in (TELEGRAM_TOKEN, WEBHOOK_SECRET, SLACK_TOKEN, SLACK_SIGNING_SECRET):
        assert secret not in shown
    assert "SEKRET" not in shown
    assert settings.telegram_token == TELEGRAM_TOKEN  # still there to use


def test_tokens_come_from_the_environment_and_nowhere_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().platforms == []
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TELEGRAM_TOKEN)
    assert load_settings().telegram_token == TELEGRAM_TOKEN
    # A .env beside the bot counts as the environment; the real environment wins over it.
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=1:from-dotenv\nSLACK_BOT_TOKEN=xoxb-dot\n")
    settings = load_settings()
    assert (settings.telegram_token, settings.slack_bot_token) == (TELEGRAM_TOKEN, "xoxb-dot")


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = []
    for folder in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if re.search(r"os\.environ|getenv\(|dotenv", text):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == ["bot/config.py"]


def test_no_token_is_written_into_the_code_or_the_examples() -> None:
    found = []
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".po", ".toml", ".md", ".txt"):
                for match in TOKEN_SHAPES.finditer(path.read_text(encoding="utf-8")):
                    found.append(f"{path.relative_to(ROOT)}: {match.group()[:12]}…")
    for name in ("README.md", ".env.example"):
        for match in TOKEN_SHAPES.finditer((ROOT / name).read_text(encoding="utf-8")):
            found.append(f"{name}: {match.group()[:12]}…")
    assert found == []
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SLACK_BOT_TOKEN"):
        assert re.search(rf"^{name}=$", example, re.M), f"{name} has a value in .env.example"
    assert re.search(r"^SLACK_SIGNING_SECRET=$", example, re.M)
    assert re.search(r"^SLACK_APP_TOKEN=$", example, re.M)


# ---------------------------------------------------------------------------- git


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_dotenv_is_ignored_and_was_never_committed() -> None:
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in [line.strip() for line in ignore]
    checked = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert checked.returncode == 0, "git would add a .env"
    tracked = git("ls-files").splitlines()
    assert [p for p in tracked if Path(p).name.startswith(".env")] == [".env.example"]
    ever = set(git("log", "--all", "--name-only", "--format=").split())
    assert {p for p in ever if Path(p).name == ".env"} == set(), "a .env is in git history"


# ---------------------------------------------------------------------------- logs of a run


@pytest.mark.parametrize("world", ["webhook"], indirect=True)
async def test_a_telegram_run_logs_no_token_or_secret(
    world: World, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    li = await world.linked("李明")
    wang = await world.linked("王经理")
    await li.send("/reception")
    world.api.fail_next("sendMessage", 500)  # an error, with its traceback, in the logs
    await li.send("1")
    world.api.refuse_next("sendMessage", retry_after=1)
    await li.send("/help")
    assert await world.receive(world.text_update(li, "/help"), secret="wrong") == 403
    world.queue("王经理", Message("【接待申请 #1】请审批"), "test:secrets:1")
    await world.settle()
    assert "【接待申请 #1】请审批" in wang.texts

    text = logged(caplog)
    assert "sendMessage" in text or "HTTP" in text or caplog.records, "nothing was logged"
    for secret in (TELEGRAM_TOKEN, WEBHOOK_SECRET, TELEGRAM_TOKEN.split(":")[1]):
        assert secret not in text, f"{secret[:6]}… is in the logs"


async def test_a_slack_run_logs_no_token_or_signing_secret(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await link("王经理")
    standin.server_error_next("chat.postMessage", 500)
    file_reception(slack.bot.core, ZH_PEOPLE)
    await slack.bot.deliver()
    await slack.message(user, "/pending")
    await slack.send(b"token=forged", "application/x-www-form-urlencoded", secret="guess")
    text = logged(caplog)
    assert caplog.records, "nothing was logged"
    for secret in (SLACK_TOKEN, SLACK_SIGNING_SECRET):
        assert secret not in text, f"{secret[:6]}… is in the logs"


def test_the_settings_never_reach_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """A settings object logged by mistake, or in a traceback's repr, shows no secret."""
    caplog.set_level(logging.DEBUG)
    settings = load_settings(
        environ={"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN}
    )
    logging.getLogger("visitdesk").info("started with %s", settings)
    logging.getLogger("visitdesk").info("fields %s", dataclasses.asdict(settings).keys())
    assert TELEGRAM_TOKEN not in logged(caplog) and SLACK_TOKEN not in logged(caplog)
