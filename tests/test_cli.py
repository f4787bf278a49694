"""The `visitdesk` command: settings errors, the policy check and the date parser."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import SettingError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_a_wrong_setting_names_itself() -> None:
    with pytest.raises(SettingError, match="setting DATABASE_URL"):
        load_settings({"DATABASE_URL": "mysql://x"})
    with pytest.raises(
        SettingError, match="setting TELEGRAM_BOT_TOKEN: does not look like a token"
    ):
        load_settings({"TELEGRAM_BOT_TOKEN": "secret"})
    with pytest.raises(SettingError, match="setting TICK_SECONDS"):
        load_settings({"TICK_SECONDS": "-1"})


def test_no_token_means_the_console() -> None:
    assert load_settings({}).platforms == []
    assert load_settings({"TELEGRAM_BOT_TOKEN": "1:abc"}).platforms == ["telegram"]


def test_parse_date_prints_iso_or_explains(capsys: pytest.CaptureFixture[str]) -> None:
    now = ["--now", "2026-11-18T09:00", "--tz", "Asia/Shanghai"]
    assert main(["parse-date", "明天下午3点", *now, "--lang", "zh"]) == 0
    assert capsys.readouterr().out.strip() == "2026-11-19T15:00"
    assert main(["parse-date", "next Monday", *now, "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == "2026-11-23"
    assert main(["parse-date", "随便", *now, "--lang", "zh"]) == 1
    assert capsys.readouterr().err.strip()


def test_policy_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(ROOT / "examples" / "policy.toml")]) == 0
    bad = tmp_path / "policy.toml"
    bad.write_text("[approval]\nfinance_threshold = -5\n")
    assert main(["policy", "check", str(bad)]) == 1
    assert "policy.toml:2" in capsys.readouterr().err


def _bare_env(tmp_path: Path) -> dict[str, str]:
    """An admin's bare environment and a database of its own; PYTHONPATH makes the child run
    this checkout's code, not whatever the editable install points at."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }


def test_org_import_is_idempotent_and_prints_codes(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    command = [sys.executable, "-m", "bot.cli", "org", "import", str(ROOT / "examples/org.toml")]
    first = subprocess.run(
        command, env=env, capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "created: 24" in first.stdout
    assert first.stdout.count("link code for") == 12
    second = subprocess.run(
        command, env=env, capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert "created: 0" in second.stdout and "kept: 24" in second.stdout
    assert "link code for" not in second.stdout


def test_the_console_demo_keeps_logs_and_others_messages_off_the_screen(tmp_path: Path) -> None:
    """Issue 19, item 20: no log line (English, UTC) on the screen people read, and nobody
    else's reminder taking the first button numbers; the log is a file the banner names."""
    env = _bare_env(tmp_path)
    # From December the org admin 孙行政 is asked in chat for next year's holidays, and the
    # start logs that the calendar does not cover the year: neither reaches 李明's screen.
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        input="/reception\n/digest\n/quit\n",
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    assert result.stderr == ""
    assert not re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", result.stdout, re.MULTILINE)
    assert "── to " not in result.stdout and "[1] " in result.stdout.split("哪位客户来访")[1]
    assert "/digest" in result.stdout and "/at" in result.stdout  # the banner's demo commands
    found = re.search(r"日志写在 (\S+visitdesk\.log)", result.stdout)
    assert found is not None and Path(found[1]).is_file()


def test_bare_visitdesk_opens_the_console_demo_with_no_network(tmp_path: Path) -> None:
    env = _bare_env(tmp_path)
    script = "/reception\nhdjd\nB\n/switch 王经理\n/pending\n/quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli"],
        input=script,
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    assert "visitdesk console — you are 李明" in result.stdout
    assert "哪位客户来访" in result.stdout and "来访多少人" in result.stdout
    assert "(you are now 王经理)" in result.stdout and "没有等您审批" in result.stdout


def org_text_without(name: str) -> str:
    """examples/org.toml as an admin edits it when `name` leaves: their entry and their
    clients' entries taken out (the import hands the clients to their manager)."""
    head, *blocks = (ROOT / "examples/org.toml").read_text(encoding="utf-8").split("\n[[")
    kept = [b for b in blocks if f'name = "{name}"' not in b and f'owner = "{name}"' not in b]
    return "\n[[".join([head, *kept])


def test_org_import_prints_who_was_removed_and_where_what_they_held_went(
    tmp_path: Path,
) -> None:
    env = _bare_env(tmp_path)
    command = [sys.executable, "-m", "bot.cli", "org", "import"]
    subprocess.run([*command, str(ROOT / "examples/org.toml")], env=env, check=True, cwd=tmp_path)
    edited = tmp_path / "org.toml"
    edited.write_text(org_text_without("张伟"), encoding="utf-8")
    result = subprocess.run(
        [*command, str(edited)], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        "removed: 1\n"
        "  person 张伟\n"
        "    client 信达物流 → 王经理\n"
        "    client 华南电子 → 王经理\n"
        "    open drafts dropped: 0\n"
        "    reminders ended: 0\n"
    ) in result.stdout
    again = subprocess.run(
        [*command, str(ROOT / "examples/org.toml")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    assert "reactivated: 1\n  person 张伟\n" in again.stdout
    assert "link code for 张伟: " in again.stdout and again.stdout.count("link code for") == 1
