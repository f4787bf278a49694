"""Reading and checking an org file before anything is written.

The file is the truth (SPEC §1): whoever it does not list is deactivated by the import, so a
manager or a client's owner must be in the file itself, and the file must list somebody.
Every refusal is one line naming the entry (`person #3 (张伟): ...`): a wrong type, an
unknown key (a misspelt `manger` must not pass silently), a name twice, a person who is
their own manager, a loop of managers, a value longer than the database keeps.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from handlers.org.geo import is_location
from handlers.rules.policy.schema import Policy

# vp: a deputy GM (副总经理), chairman: 董事长 — who hosts the higher classes (seeds 000, 002).
ROLES = frozenset(
    {
        "sales",
        "manager",
        "vp",
        "gm",
        "chairman",
        "finance",
        "admin_office",
        "front_desk",
        "org_admin",
    }
)
REGIONS = ("local", "province", "other")
LOCALES = ("zh_CN", "en")
PERSON_KEYS = frozenset({"name", "department", "roles", "manager", "locale", "timezone"})
CLIENT_KEYS = frozenset({"name", "class", "region", "owner", "notes", "contacts", "location"})
CONTACT_KEYS = frozenset({"name", "title", "phone"})
# What the database columns hold (storage/models/org.py); notes are Text, bounded here.
PERSON_NAME_MAX = DEPARTMENT_MAX = CONTACT_NAME_MAX = TITLE_MAX = 100
CLIENT_NAME_MAX = 200
PHONE_MAX = 40
NOTES_MAX = 2000


class OrgError(ValueError):
    """A bad org file; the message names the entry and what is wrong."""


def load_org_file(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise OrgError(f"{path}: {error}") from None
    except OSError as error:
        raise OrgError(f"{path}: {error.strerror}") from None


def entries(org: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The file's `[[person]]` or `[[client]]` tables, refused unless they are tables."""
    items = org.get(kind, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise OrgError(f"{kind}: must be a list of [[{kind}]] tables")
    return items


def check_org(org: Mapping[str, Any], policy: Policy) -> None:
    """Raise OrgError on the first bad entry, naming it."""
    unknown = sorted(set(org) - {"person", "client"})
    if unknown:
        raise OrgError(f"unknown section {unknown[0]!r}; an org file has [[person]] and [[client]]")
    people = entries(org, "person")
    clients = entries(org, "client")
    if not people:
        raise OrgError("the file lists nobody: an import deactivates everyone it does not list")
    first: dict[str, int] = {}
    for index, entry in enumerate(people, start=1):
        where = _where("person", index, entry)
        _check_person(where, entry)
        _once(where, entry["name"], first, index)
    names = set(first)
    for index, entry in enumerate(people, start=1):
        _check_manager(_where("person", index, entry), entry, names)
    _check_chains(people)
    seen: dict[str, int] = {}
    for index, entry in enumerate(clients, start=1):
        where = _where("client", index, entry)
        _check_client(where, entry, names, policy)
        _once(where, entry["name"], seen, index)


def _where(kind: str, index: int, entry: dict[str, Any]) -> str:
    name = entry.get("name")
    shown = name[:CLIENT_NAME_MAX] if isinstance(name, str) else "?"
    return f"{kind} #{index} ({shown})"


def _once(where: str, name: str, first: dict[str, int], index: int) -> None:
    if name in first:
        raise OrgError(f"{where}: listed twice (first as #{first[name]}); keep one entry")
    first[name] = index


def _keys(where: str, entry: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise OrgError(f"{where}: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")


def _text(where: str, entry: dict[str, Any], key: str, longest: int, needed: bool = False) -> None:
    """`key` is absent (unless `needed`) or a string of at most `longest` characters; a name
    (`needed`) is also non-empty, without surrounding spaces or invisible characters."""
    value = entry.get(key)
    if value is None and not needed:
        return
    if not isinstance(value, str):
        raise OrgError(f"{where}: {key} must be text in quotes")
    if len(value) > longest:
        raise OrgError(f"{where}: {key} is longer than {longest} characters")
    if needed and (not value.strip() or value != value.strip() or _invisible(value)):
        raise OrgError(
            f"{where}: {key} must be non-empty, with no surrounding spaces or invisible characters"
        )


def _invisible(value: str) -> bool:
    # Control and format characters (zero-width spaces, bidi marks) make two names that look
    # alike differ, or one that looks right unmatchable when typed.
    return any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in value)


def _check_person(where: str, entry: dict[str, Any]) -> None:
    _keys(where, entry, PERSON_KEYS)
    _text(where, entry, "name", PERSON_NAME_MAX, needed=True)
    _text(where, entry, "department", DEPARTMENT_MAX)
    roles = entry.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise OrgError(f'{where}: roles must be a list like ["sales"]')
    unknown = set(roles) - ROLES
    if unknown:
        shown = sorted(r[:20] for r in unknown)[:3]
        raise OrgError(f"{where}: unknown roles {shown}; known: {sorted(ROLES)}")
    if entry.get("locale") is not None and entry["locale"] not in LOCALES:
        raise OrgError(f"{where}: locale must be zh_CN or en")
    timezone = entry.get("timezone")
    if timezone is not None:
        if not isinstance(timezone, str):
            raise OrgError(f'{where}: timezone must be text like "Asia/Shanghai"')
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise OrgError(f"{where}: unknown time zone {timezone[:64]!r}") from None


def _check_manager(where: str, entry: dict[str, Any], names: set[str]) -> None:
    manager = entry.get("manager")
    if manager is None:
        return
    if not isinstance(manager, str):
        raise OrgError(f"{where}: manager must be a name in quotes")
    if manager == entry["name"]:
        raise OrgError(f"{where}: is their own manager; name someone above them, or nobody")
    if manager not in names:
        raise OrgError(f"{where}: manager {manager[:PERSON_NAME_MAX]!r} is not in the file")


def _check_chains(people: list[dict[str, Any]]) -> None:
    """Following managers from anyone must reach someone without one."""
    manager_of = {p["name"]: p.get("manager") for p in people}
    for index, entry in enumerate(people, start=1):
        chain = [entry["name"]]
        above = manager_of[entry["name"]]
        while above is not None:
            if above in chain:
                loop = " → ".join([*chain[chain.index(above) :], above])
                raise OrgError(f"{_where('person', index, entry)}: managers loop: {loop}")
            chain.append(above)
            above = manager_of[above]


def _check_client(where: str, entry: dict[str, Any], names: set[str], policy: Policy) -> None:
    _keys(where, entry, CLIENT_KEYS)
    _text(where, entry, "name", CLIENT_NAME_MAX, needed=True)
    _text(where, entry, "notes", NOTES_MAX)
    if not isinstance(entry.get("class"), str) or entry["class"] not in policy.classes:
        raise OrgError(f"{where}: class must be one of {sorted(policy.classes)}")
    if entry.get("region", "local") not in REGIONS:
        raise OrgError(f"{where}: region must be one of {list(REGIONS)}")
    owner = entry.get("owner")
    if not isinstance(owner, str) or owner not in names:
        shown = repr(owner[:PERSON_NAME_MAX]) if isinstance(owner, str) else "a name in quotes"
        raise OrgError(f"{where}: owner {shown} is not a person in the file")
    if "location" in entry and not is_location(entry["location"]):
        raise OrgError(f"{where}: location must be [latitude, longitude], like [31.23, 121.47]")
    contacts = entry.get("contacts", [])
    if not isinstance(contacts, list) or not all(isinstance(c, dict) for c in contacts):
        raise OrgError(f'{where}: contacts must be a list like [{{ name = "张总" }}]')
    for number, contact in enumerate(contacts, start=1):
        at = f"{where}, contact #{number}"
        _keys(at, contact, CONTACT_KEYS)
        _text(at, contact, "name", CONTACT_NAME_MAX, needed=True)
        _text(at, contact, "title", TITLE_MAX)
        _text(at, contact, "phone", PHONE_MAX)
