"""Every message the code uses exists in every catalog, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from handlers.engine.i18n import LOCALES, catalog

ROOT = Path(__file__).resolve().parent.parent
# A catalog key passed as a literal: t("x.y"), ctx.say("x.y"), N_("x.y"), Invalid("x.y").
KEY_USE = re.compile(
    r"""(?:\bt|\.say|\bN_|\bInvalid|\bt\.has)\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']"""
)


def keys_in_code() -> set[str]:
    found: set[str] = set()
    for folder in ("handlers", "bot"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(KEY_USE.findall(path.read_text(encoding="utf-8")))
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_finds_keys_at_all() -> None:
    assert {"flow.error.number", "rcp.ask.client", "approval.not_yours"} <= keys_in_code()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_used_in_code_is_in_the_catalog(locale: str) -> None:
    missing = sorted(keys_in_code() - set(catalog(locale)))
    assert not missing, f"missing from {locale}: {missing}"


def test_catalogs_hold_the_same_keys_and_placeholders() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    assert sorted(set(zh) ^ set(en)) == []
    differing = [k for k in zh if placeholders(zh[k]) != placeholders(en[k])]
    assert differing == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_key_is_defined_twice(locale: str) -> None:
    """A key twice (two branches adding the same message) would silently keep the last."""
    ids: list[str] = []
    for path in sorted((ROOT / "locales" / locale).glob("*.po")):
        ids += re.findall(r'^msgid "(.+)"$', path.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted({key for key in ids if ids.count(key) > 1}) == []
