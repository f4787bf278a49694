"""What a flow gets when it runs: who is acting, in which language and zone, and the ways
to answer them, notify others and leave an audit row — all inside one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator, choose_locale
from handlers.engine.messages import Button, Intent, Message, action_id
from storage.db import announce
from storage.models import AuditEntry, Base, Identity, OutboxMessage, Person

if TYPE_CHECKING:
    from handlers.rules.policy.schema import Policy

Record = TypeVar("Record", bound=Base)
OUTBOX = "outbox"  # announced on commit when messages were queued (storage.db.announce)


@dataclass
class Ctx:
    session: Session
    person: Person
    policy: Policy
    now: datetime  # aware, UTC
    platform: str
    platform_locale: str | None = None
    whole_forms: bool = False  # the event may be answered with a form's whole sheet
    replies: list[Intent] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # catalog keys said, so the core can audit
    audited: list[str] = field(default_factory=list)  # audit actions written so far
    shown_drafts: set[int] = field(default_factory=set)  # drafts whose question went out

    @cached_property
    def t(self) -> Translator:
        return translator_for(
            self.session, self.person, self.policy, self.platform_locale, now=self.now
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        return zone_of(self.person, self.policy)

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(self.tz)

    def reply(
        self,
        text: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
        **options: Any,
    ) -> None:
        """Answer the person acting."""
        self.replies.append(Message(text, buttons, **options))

    def say(self, key: str, **params: Any) -> None:
        self.said.append(key)
        self.reply(self.t(key, **params))

    def notify(self, person: Person, message: Message, key: str) -> None:
        """Queue a message for someone else; `key` makes a repeat of the same cause a no-op."""
        enqueue(self.session, person, message, key, self.now)

    def audit(
        self, action: str, subject: str = "", subject_id: int | None = None, **detail: Any
    ) -> None:
        self.audited.append(action)
        self.session.add(
            AuditEntry(
                at=self.now,
                actor_id=self.person.id,
                platform=self.platform,
                action=action,
                subject=subject,
                subject_id=subject_id,
                detail=detail,
            )
        )


def zone_of(person: Person, policy: Policy) -> ZoneInfo:
    return ZoneInfo(person.timezone or policy.org.default_timezone)


def people_with(session: Session, role: str) -> list[Person]:
    """The active people holding `role`, in the order they were added."""
    people = session.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.id))
    return [person for person in people if person.has_role(role)]


def latest_identity(session: Session, person: Person) -> Identity | None:
    return session.scalars(
        select(Identity)
        .where(Identity.person_id == person.id)
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
        .limit(1)
    ).first()


def translator_for(
    session: Session,
    person: Person,
    policy: Policy,
    platform_locale: str | None = None,
    now: datetime | None = None,
) -> Translator:
    """A person's language: their profile, else their platform's, else the org default; with
    `now`, their today too, so that a date of another year is shown with its year."""
    if not person.locale and platform_locale is None:
        identity = latest_identity(session, person)
        platform_locale = identity.platform_locale if identity else None
    locale = choose_locale(person.locale, platform_locale, policy.org.default_locale)
    today = now.astimezone(zone_of(person, policy)).date() if now else None
    return Translator(locale, today)


def audit_refused_request(
    session: Session,
    now: datetime,
    platform: str,
    status: int,
    remote: str | None,
    reason: str | None = None,
) -> None:
    """An HTTP request a platform's endpoint refused (a bad signature or secret, a shape no
    listener reads): kept with no actor, the caller's address and why, never its body."""
    detail: dict[str, Any] = {"status": status, "from": (remote or "")[:64]}
    if reason is not None:
        detail["reason"] = reason
    session.add(AuditEntry(at=now, platform=platform, action="request.refused", detail=detail))


def enqueue(
    session: Session,
    person: Person,
    message: Message,
    key: str,
    now: datetime,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> OutboxMessage | None:
    """Put a message for a person in the outbox, to go out from `not_before` and, if given,
    not at all from `expires_at` — on the platform they use when it goes, not the one they
    used (or had not linked yet) when it was queued. The new row; None when `key` had one."""
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
        return None
    announce(session, OUTBOX)
    row = OutboxMessage(
        key=key,
        person_id=person.id,
        card=message.card,
        payload=message.to_payload(),
        created_at=now,
        not_before=not_before or now,
        expires_at=expires_at,
    )
    session.add(row)
    return row


def named_by(session: Session, model: type[Record], parts: list[str], at: int = 0) -> Record | None:
    """The record a button's action names by id in `parts[at]`; None when there is no such
    part, no such record, or the part is not an id (`action_id`)."""
    number = action_id(parts[at]) if len(parts) > at else None
    return session.get(model, number) if number is not None else None
