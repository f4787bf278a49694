"""The org chart: importing it from a TOML file, invitation codes, and linking accounts.

An import is idempotent: people and clients are matched by name, and the report says what
was created, changed or kept. Every new person gets a one-time link code.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from handlers.messages import Event
from handlers.policy import Policy
from storage.models import AuditEntry, Client, Contact, Identity, LinkCode, Person

ROLES = frozenset({"sales", "manager", "gm", "finance", "admin_office", "front_desk", "org_admin"})
REGIONS = ("local", "province", "other")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get typed off screens


class OrgError(ValueError):
    """A bad org file; the message names the entry and what is wrong."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # new person -> link code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def invite(session: Session, person: Person, now: datetime) -> str:
    """A fresh one-time code for a person; earlier unused codes stop working."""
    session.execute(
        update(LinkCode)
        .where(LinkCode.person_id == person.id, LinkCode.used_at.is_(None))
        .values(used_at=now)
    )
    code = new_code()
    session.add(LinkCode(code=code, person_id=person.id, created_at=now))
    return code


def link_identity(session: Session, event: Event, code: str, now: datetime) -> Person | None:
    """Link the event's platform account to the person the code was made for, once."""
    link = session.get(LinkCode, code.strip().upper())
    if link is None or link.used_at is not None:
        return None
    # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as Result.
    claimed = cast(
        CursorResult[Any],
        session.execute(
            update(LinkCode)
            .where(LinkCode.code == link.code, LinkCode.used_at.is_(None))
            .values(used_at=now)
        ),
    )
    if claimed.rowcount != 1:  # someone else used it a moment ago
        return None
    identity = session.scalars(
        select(Identity).where(
            Identity.platform == event.platform, Identity.platform_user == event.user
        )
    ).first()
    if identity is None:
        identity = Identity(platform=event.platform, platform_user=event.user, linked_at=now)
        session.add(identity)
    identity.person_id = link.person_id
    identity.chat_id = event.chat_id
    identity.platform_locale = event.platform_locale
    identity.last_seen_at = now
    session.add(
        AuditEntry(
            at=now,
            actor_id=link.person_id,
            platform=event.platform,
            action="identity.link",
            subject="person",
            subject_id=link.person_id,
        )
    )
    session.flush()
    return session.get(Person, link.person_id)


# ---------------------------------------------------------------------------- import


def load_org_file(path: str | Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise OrgError(f"{path}: {error}") from None
    except OSError as error:
        raise OrgError(f"{path}: {error.strerror}") from None


def import_org(
    session: Session, org: dict[str, Any], policy: Policy, now: datetime
) -> ImportReport:
    """Create or update people and clients; raises OrgError before writing on a bad entry."""
    people = org.get("person", [])
    clients = org.get("client", [])
    names = {p.get("name") for p in people} | set(session.scalars(select(Person.name)).all())
    for index, entry in enumerate(people, start=1):
        _check_person(index, entry, names)
    for index, entry in enumerate(clients, start=1):
        _check_client(index, entry, names, policy)

    report = ImportReport()
    by_name: dict[str, Person] = {p.name: p for p in session.scalars(select(Person))}
    for entry in people:
        person = by_name.get(entry["name"])
        fields = {
            "department": entry.get("department", ""),
            "roles": " ".join(sorted(entry.get("roles", []))),
            "locale": entry.get("locale"),
            "timezone": entry.get("timezone"),
        }
        if person is None:
            person = Person(name=entry["name"], created_at=now, **fields)
            session.add(person)
            by_name[person.name] = person
            report.created.append(f"person {person.name}")
        else:
            _apply(person, fields, f"person {person.name}", report)
    session.flush()
    for entry in people:
        manager = by_name[entry["manager"]].id if entry.get("manager") else None
        person = by_name[entry["name"]]
        if person.manager_id != manager:
            person.manager_id = manager
            label = f"person {person.name}"
            if label not in report.created and label not in report.changed:
                report.kept.remove(label)
                report.changed.append(label)
    for entry in clients:
        _import_client(session, entry, by_name, now, report)
    session.flush()
    for label in report.created:
        if label.startswith("person "):
            person = by_name[label.removeprefix("person ")]
            report.codes[person.name] = invite(session, person, now)
    return report


def _apply(record: Any, fields: dict[str, Any], label: str, report: ImportReport) -> None:
    changed = False
    for key, value in fields.items():
        if getattr(record, key) != value:
            setattr(record, key, value)
            changed = True
    (report.changed if changed else report.kept).append(label)


def _import_client(
    session: Session,
    entry: dict[str, Any],
    people: dict[str, Person],
    now: datetime,
    report: ImportReport,
) -> None:
    client = session.scalars(select(Client).where(Client.name == entry["name"])).first()
    fields = {
        "class_key": entry["class"],
        "region": entry.get("region", "local"),
        "owner_id": people[entry["owner"]].id,
        "notes": entry.get("notes", ""),
    }
    label = f"client {entry['name']}"
    if client is None:
        client = Client(name=entry["name"], created_at=now, **fields)
        session.add(client)
        report.created.append(label)
    else:
        _apply(client, fields, label, report)
    wanted = [
        (c["name"], c.get("title", ""), c.get("phone", "")) for c in entry.get("contacts", [])
    ]
    have = [(c.name, c.title, c.phone) for c in client.contacts]
    if wanted != have:
        client.contacts = [Contact(name=n, title=t, phone=p) for n, t, p in wanted]
        if label in report.kept:
            report.kept.remove(label)
            report.changed.append(label)


def _check_person(index: int, entry: dict[str, Any], names: set[Any]) -> None:
    where = f"person #{index} ({entry.get('name', '?')})"
    if not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise OrgError(f"{where}: needs a name")
    unknown = set(entry.get("roles", [])) - ROLES
    if unknown:
        raise OrgError(f"{where}: unknown roles {sorted(unknown)}; known: {sorted(ROLES)}")
    if entry.get("manager") and entry["manager"] not in names:
        raise OrgError(f"{where}: manager {entry['manager']!r} is not in the org")
    if entry.get("locale") not in (None, "zh_CN", "en"):
        raise OrgError(f"{where}: locale must be zh_CN or en")
    if entry.get("timezone"):
        try:
            ZoneInfo(entry["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise OrgError(f"{where}: unknown time zone {entry['timezone']!r}") from None


def _check_client(index: int, entry: dict[str, Any], names: set[Any], policy: Policy) -> None:
    where = f"client #{index} ({entry.get('name', '?')})"
    if not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise OrgError(f"{where}: needs a name")
    if entry.get("class") not in policy.classes:
        raise OrgError(f"{where}: class must be one of {sorted(policy.classes)}")
    if entry.get("region", "local") not in REGIONS:
        raise OrgError(f"{where}: region must be one of {list(REGIONS)}")
    if entry.get("owner") not in names:
        raise OrgError(f"{where}: owner {entry.get('owner')!r} is not in the org")
