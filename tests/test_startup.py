"""Start-up: `visitdesk --help` and `visitdesk policy check` load only what they use (issue 26:
under half a second). Not timed: each command runs in a fresh interpreter and the test names
the heavy libraries it finds in `sys.modules` afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Client, Person
from tests.support import Company

ROOT = Path(__file__).resolve().parent.parent

# What made `--help` take ~2 s and 160 MB: the charts, the XLSX writer, the pinyin
# dictionaries, the database layer and the whole product behind bot.app.
HEAVY = ("matplotlib", "openpyxl", "pypinyin", "numpy", "sqlalchemy", "telegram", "slack_bolt")

PROBE = """
import json, sys
from bot import cli
try:
    code = cli.main(sys.argv[1:])
except SystemExit as done:  # argparse's --help
    code = done.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def loaded_by(*args: str) -> dict[str, object]:
    """Run `visitdesk ARGS` in a fresh interpreter; its exit code and the heavy libraries
    it had imported by the end."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        input=json.dumps(HEAVY),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [["--help"], ["policy", "check", str(ROOT / "examples" / "policy.toml")], ["org", "--help"]],
)
def test_help_and_the_policy_check_import_no_heavy_library(args: list[str]) -> None:
    assert loaded_by(*args) == {"code": 0, "heavy": []}


def test_a_bad_policy_is_still_reported_without_the_product(tmp_path: Path) -> None:
    bad = tmp_path / "policy.toml"
    bad.write_text("[approval]\nfinance_threshold = -5\n")
    assert loaded_by("policy", "check", str(bad)) == {"code": 1, "heavy": []}


def test_a_bot_process_holds_no_pinyin_phrase_dictionary() -> None:
    """pypinyin's phrase dictionary was ~55 MB of every bot process's 120 MB budget; the
    client search reads single characters' pinyin, every reading of each."""
    probe = (
        "import sys, bot.app, bot.telegram\n"
        "from handlers.org.clients import typed_initials\n"
        "assert typed_initials('华东机电', 'hdjd')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('pypinyin.phrases', 'openpyxl'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_client_whose_name_reads_two_ways_is_found_by_its_initials(company: Company) -> None:
    """重 reads zhong and chong, 行 xing and hang: 重庆银行 is typed cqyh."""
    with company.core.db.session() as session:
        owner = session.scalars(select(Person).where(Person.name == "李明")).one()
        session.add(Client(name="重庆银行", class_key="B", region="local", owner_id=owner.id))
    shown = company.say("李明", "/client cqyh")
    assert shown.startswith("【客户】重庆银行 · B类(比较重要)")
