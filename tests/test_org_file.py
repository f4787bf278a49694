"""A careless admin's org file (issue 18 item 7): a person who is their own manager, a loop of
managers, one person or client listed twice, wrong types, unknown keys, huge or invisible
names. Each is refused with one line naming the entry, before anything is written."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.org.chart import OrgError, import_org, load_org_file
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import Person
from tests.conftest import EXAMPLE_ORG, ROOT
from tests.support import FakeClock


def edited(change: Any) -> dict[str, Any]:
    org = copy.deepcopy(load_org_file(EXAMPLE_ORG))
    change(org)
    return org


def person(org: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in org["person"] if p["name"] == name)


def client(org: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in org["client"] if c["name"] == name)


BAD_FILES = [
    (
        lambda org: person(org, "王经理").update(manager="王经理"),
        "person #5 (王经理): is their own manager",
    ),
    (
        lambda org: person(org, "赵总").update(manager="李明"),
        "person #1 (赵总): managers loop: 赵总 → 李明 → 王经理 → 赵总",
    ),
    (
        lambda org: org["person"].append({"name": "张伟", "roles": ["gm"]}),
        "person #13 (张伟): listed twice (first as #8)",
    ),
    (
        lambda org: org["client"].append({"name": "华东机电", "class": "C", "owner": "李明"}),
        "client #13 (华东机电): listed twice (first as #1)",
    ),
    (lambda org: person(org, "李明").update(roles="sales"), "(李明): roles must be a list"),
    (lambda org: person(org, "李明").update(roles=[1]), "(李明): roles must be a list"),
    (lambda org: person(org, "李明").update(manager=7), "person #7 (李明): manager must be a name"),
    (lambda org: person(org, "李明").update(name=42), "person #7 (?): name must be text"),
    (lambda org: person(org, "李明").update(department=["x"]), "(李明): department must be text"),
    (lambda org: person(org, "李明").update(timezone=8), "(李明): timezone must be text"),
    (lambda org: person(org, "李明").update(locale=["en"]), "(李明): locale must be zh_CN or en"),
    (lambda org: person(org, "李明").update(manger="王经理"), "(李明): unknown key 'manger'"),
    (lambda org: person(org, "李明").update(name="李明" * 60), "name is longer than 100"),
    (lambda org: person(org, "李明").update(name="李\u200b明"), "invisible characters"),
    (lambda org: person(org, "李明").update(name=" 李明"), "no surrounding spaces"),
    (lambda org: person(org, "李明").update(manager="老板"), "manager '老板' is not in the file"),
    (lambda org: client(org, "华东机电").update(owner="离职者"), "owner '离职者' is not a person"),
    (lambda org: client(org, "华东机电").update(owner=1e400), "owner a name in quotes"),
    (lambda org: client(org, "华东机电").update(**{"class": ["B"]}), "class must be one of"),
    (lambda org: client(org, "华东机电").update(contacts="张总"), "contacts must be a list"),
    (
        lambda org: client(org, "华东机电").update(contacts=[{"name": "张总", "phone": "1" * 99}]),
        "client #1 (华东机电), contact #1: phone is longer than 40",
    ),
    (lambda org: client(org, "华东机电").update(notes="x" * 100_000), "notes is longer than 2000"),
    (lambda org: org.update(person={"name": "x"}), "person: must be a list of [[person]] tables"),
    (lambda org: org.update(person=[]), "the file lists nobody"),
    (lambda org: org.update(classes={}), "unknown section 'classes'"),
]


@pytest.mark.parametrize(("change", "message"), BAD_FILES)
def test_a_bad_org_file_is_refused_naming_the_entry_and_writes_nothing(
    org_db: Database, policy: Policy, clock: FakeClock, change: Any, message: str
) -> None:
    with org_db.session() as session:
        before = session.scalar(select(func.count()).select_from(Person))
        with pytest.raises(OrgError) as refused:
            import_org(session, edited(change), policy, clock())
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    with org_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == before
        assert session.scalars(select(Person).where(Person.active.is_(False))).all() == []


def test_the_command_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "org.toml"
    text = (ROOT / "examples/org.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('roles = ["sales"]\nmanager = "王经理"', 'roles = "sales"', 1))
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "org", "import", str(bad)],
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr  # the bot's start line about 2027 may come first
    assert result.stderr.strip().splitlines()[-1] == (
        'person #7 (李明): roles must be a list like ["sales"]'
    )
