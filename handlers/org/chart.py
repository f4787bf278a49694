"""The org chart: importing it from a TOML file, invitation codes, and linking accounts.

An import is idempotent: people and clients are matched by name, and the report says what
was created, changed, kept, reactivated or removed. The file is the truth: a person it no
longer lists is deactivated and what they held handed over (`handlers.org.leavers`). Every new
or returning person gets a one-time link code.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from handlers.engine.messages import Event
from handlers.org import leavers
from handlers.org.file import ROLES as ROLES
from handlers.org.file import OrgError as OrgError
from handlers.org.file import check_org, entries
from handlers.org.file import load_org_file as load_org_file
from handlers.rules.policy.schema import Policy
from storage.models import AuditEntry, Client, Contact, Identity, LinkCode, Person

IMPORT = "import"  # the audit trail's platform for what an import does
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes get typed off screens
CODE_LENGTH = 10


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    removed: list[leavers.Handover] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)  # new or returning person -> code


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_code(text: str) -> bool:
    """Whether a text is a link code by its shape (typed in either case)."""
    word = text.strip().upper()
    return len(word) == CODE_LENGTH and set(word) <= set(CODE_ALPHABET)


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


class LinkRefused(Exception):
    """A link code that links nobody; `reason` is `bad_code` or `expired` (catalog `link.*`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def link_identity(
    session: Session, event: Event, code: str, now: datetime, valid_for: timedelta
) -> Person:
    """Link the event's platform account to the person the code was made for, once, within
    `valid_for` of its making, and only while that person is active; else LinkRefused."""
    link = session.get(LinkCode, code.strip().upper()[:32])
    if link is None or link.used_at is not None:
        raise LinkRefused("bad_code")
    person = session.get(Person, link.person_id)
    if person is None or not person.active:
        raise LinkRefused("bad_code")
    if link.created_at + valid_for <= now:
        raise LinkRefused("expired")
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
        raise LinkRefused("bad_code")
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
    return person


# ---------------------------------------------------------------------------- import


def import_org(
    session: Session, org: dict[str, Any], policy: Policy, now: datetime
) -> ImportReport:
    """Create, update, reactivate and deactivate people, and create or update clients, as the
    file says; raises OrgError before writing on a bad file."""
    check_org(org, policy)
    people = entries(org, "person")
    clients = entries(org, "client")

    report = ImportReport()
    by_name: dict[str, Person] = {p.name: p for p in session.scalars(select(Person))}
    for entry in people:
        person = by_name.get(entry["name"])
        fields = {
            "department": entry.get("department", ""),
            "roles": " ".join(sorted(set(entry.get("roles", [])))),
            "locale": entry.get("locale"),
            "timezone": entry.get("timezone"),
        }
        if person is None:
            person = Person(name=entry["name"], created_at=now, **fields)
            session.add(person)
            by_name[person.name] = person
            report.created.append(f"person {person.name}")
        elif not person.active:
            person.active = True
            for key, value in fields.items():
                setattr(person, key, value)
            report.reactivated.append(f"person {person.name}")
        else:
            _apply(person, fields, f"person {person.name}", report)
    session.flush()
    for entry in people:
        manager = by_name[entry["manager"]].id if entry.get("manager") else None
        person = by_name[entry["name"]]
        if person.manager_id != manager:
            person.manager_id = manager
            label = f"person {person.name}"
            if label in report.kept:
                report.kept.remove(label)
                report.changed.append(label)
    for entry in clients:
        _import_client(session, entry, by_name, now, report)
    session.flush()
    _remove_the_unlisted(session, policy, {entry["name"] for entry in people}, now, report)
    for label in report.created + report.reactivated:
        if label.startswith("person "):
            person = by_name[label.removeprefix("person ")]
            report.codes[person.name] = invite(session, person, now)
    return report


def _remove_the_unlisted(
    session: Session, policy: Policy, listed: set[str], now: datetime, report: ImportReport
) -> None:
    """Deactivate whoever is active but not in the file. All of them first, so that nobody
    hands anything to another leaver."""
    gone = [
        person
        for person in session.scalars(
            select(Person).where(Person.active.is_(True)).order_by(Person.id)
        )
        if person.name not in listed
    ]
    for person in gone:
        person.active = False
    session.flush()
    for person in gone:
        handover = leavers.plan(session, person)
        leavers.carry_out(session, policy, handover, now, IMPORT, actor=None)
        report.removed.append(handover)


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
        "latitude": entry["location"][0] if "location" in entry else None,
        "longitude": entry["location"][1] if "location" in entry else None,
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
