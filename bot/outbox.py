"""Delivering queued messages: claim, send through an adapter, mark sent.

Claims are leases: a claimed row is hidden for `LEASE` and marked sent after the platform
accepted it, so a process that dies mid-send leaves the row to be sent again later rather
than lost. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several processes claim side by
side without taking the same row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handlers.messages import Message
from storage.db import Database
from storage.models import DeliveredCard, Identity, OutboxMessage

LEASE = timedelta(minutes=2)
GIVE_UP_AFTER = 8


@dataclass(frozen=True)
class Pending:
    id: int
    person_id: int
    chat_id: str | None  # the recipient's chat on this platform (None on the console)
    message: Message


def claim(db: Database, platform: str, now: datetime, limit: int = 50) -> list[Pending]:
    """Take up to `limit` due rows for this platform, hidden from others for a lease."""
    with db.session() as session:
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.platform == platform,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.failed_at.is_(None),
                OutboxMessage.not_before <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows: list[OutboxMessage] = []
        found = limit
        while not rows and found == limit:  # a batch all expired: the next one, at once
            found = 0
            for row in session.scalars(query):
                found += 1
                if row.expires_at is not None and row.expires_at <= now:
                    row.failed_at = now  # past its time (OutboxMessage.expires_at): dropped
                    continue
                row.not_before = now + LEASE
                row.attempts += 1
                rows.append(row)
        chats = _chats(session, platform, {row.person_id for row in rows})
        return [
            Pending(
                row.id, row.person_id, chats.get(row.person_id), Message.from_payload(row.payload)
            )
            for row in rows
        ]


def _chats(session: Session, platform: str, person_ids: set[int]) -> dict[int, str | None]:
    """Each person's chat on the platform: that of their identity seen last. One query for
    a whole batch, not one per row: the sender waits for the claim."""
    if not person_ids:
        return {}
    found = session.execute(
        select(Identity.person_id, Identity.chat_id)
        .where(Identity.platform == platform, Identity.person_id.in_(person_ids))
        .order_by(Identity.last_seen_at, Identity.id)
    )
    return {person_id: chat_id for person_id, chat_id in found}  # ascending: the last wins


def mark_sent(db: Database, pending_id: int, now: datetime) -> None:
    with db.session() as session:
        row = session.get(OutboxMessage, pending_id)
        if row is not None:
            row.sent_at = now


def mark_failed(db: Database, pending_id: int, now: datetime, retry_in: timedelta) -> None:
    """Try again later; after too many attempts, stop and keep the row for inspection."""
    with db.session() as session:
        row = session.get(OutboxMessage, pending_id)
        if row is None:
            return
        if row.attempts >= GIVE_UP_AFTER:
            row.failed_at = now
        else:
            row.not_before = now + retry_in


def remember_card(
    db: Database, card: str, person_id: int, platform: str, chat_id: str, message_id: str
) -> None:
    """Note where a card was shown, so a decision can update it later."""
    with db.session() as session:
        session.add(
            DeliveredCard(
                card=card,
                person_id=person_id,
                platform=platform,
                chat_id=chat_id,
                message_id=message_id,
            )
        )


def forget_card(db: Database, card: str, person_id: int, platform: str) -> None:
    """A card settled for good (a question answered): where it was shown is needed no more."""
    with db.session() as session:
        session.execute(
            delete(DeliveredCard).where(
                DeliveredCard.card == card,
                DeliveredCard.person_id == person_id,
                DeliveredCard.platform == platform,
            )
        )


def copies_of(db: Database, card: str, person_id: int, platform: str) -> list[tuple[str, str]]:
    """(chat_id, message_id) of every copy of a card shown to a person on a platform."""
    with db.session() as session:
        return [
            (c.chat_id, c.message_id)
            for c in session.scalars(
                select(DeliveredCard).where(
                    DeliveredCard.card == card,
                    DeliveredCard.person_id == person_id,
                    DeliveredCard.platform == platform,
                )
            )
        ]


class SentMarks:
    """Rows a platform accepted, waiting to be marked sent. One the database would not take
    stays here and is marked before anything is claimed again, so its lease ending cannot
    send it twice."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._unmarked: dict[int, datetime] = {}

    async def sent(self, pending_id: int, at: datetime) -> None:
        self._unmarked[pending_id] = at
        await self.flush()

    async def flush(self) -> None:
        while self._unmarked:
            pending_id, sent_at = next(iter(self._unmarked.items()))
            await asyncio.to_thread(mark_sent, self.db, pending_id, sent_at)
            self._unmarked.pop(pending_id, None)  # another chat's delivery may have marked it
