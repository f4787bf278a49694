"""The outbox's bookkeeping, for every adapter: claim what is due, mark it sent or failed,
and remember where each card was shown.

Claims are leases: a claimed row is hidden for `LEASE` and marked sent after the platform
accepted it, so a process that dies mid-send leaves the row to be sent again later rather
than lost. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets several processes claim side by
side without taking the same row.

A row names a person, not a platform: each adapter claims the rows of the people seen last on
its platform (the console: of people with no identity at all), so what was queued before
someone linked, or before they moved to another platform, goes where they are now. An unsent
card with a later row for the same card is stale and is dropped for that row, which shows
the card as it stands (a decided request's outcome, never its old buttons).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.orm import Session

from handlers.engine.context import enqueue
from handlers.engine.core import CONSOLE
from handlers.engine.messages import Message
from storage.db import Database
from storage.models import DeliveredCard, Identity, OutboxMessage, Person

LEASE = timedelta(minutes=2)
GIVE_UP_AFTER = 8


@dataclass(frozen=True)
class Pending:
    id: int
    person_id: int
    chat_id: str | None  # the recipient's chat on this platform (None on the console)
    message: Message
    parts_sent: int  # of its parts, those an earlier try delivered (see `bot.adapter.Parts`)


def claim(db: Database, platform: str, now: datetime, limit: int = 50) -> list[Pending]:
    """Take up to `limit` due rows for people on this platform, hidden from others for a
    lease."""
    with db.session() as session:
        query = (
            select(OutboxMessage)
            .where(_unsent(), OutboxMessage.not_before <= now, _reached_on(platform))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        rows: list[OutboxMessage] = []
        found = limit
        while not rows and found == limit:  # a batch all dropped: the next one, at once
            batch = list(session.scalars(query))
            found = len(batch)
            newest = _newest_of_cards(session, batch)
            for row in batch:
                expired = row.expires_at is not None and row.expires_at <= now
                stale = row.card is not None and newest[(row.person_id, row.card)] > row.id
                if expired or stale:
                    row.failed_at = now  # past its time, or shown better by a later row
                    continue
                row.not_before = now + LEASE
                row.attempts += 1
                rows.append(row)
        chats = _chats(session, platform, {row.person_id for row in rows})
        return [
            Pending(
                row.id,
                row.person_id,
                chats.get(row.person_id),
                Message.from_payload(row.payload),
                row.parts_sent,
            )
            for row in rows
        ]


def _unsent() -> ColumnElement[bool]:
    return and_(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))


def _reached_on(platform: str) -> ColumnElement[bool]:
    """Rows for the people seen last on `platform`; on the console, for people with none."""
    latest = (
        select(Identity.platform)
        .where(Identity.person_id == OutboxMessage.person_id)
        .order_by(Identity.last_seen_at.desc(), Identity.id.desc())
        .limit(1)
        .correlate(OutboxMessage)
        .scalar_subquery()
    )
    return latest.is_(None) if platform == CONSOLE else latest == platform


def _newest_of_cards(session: Session, rows: list[OutboxMessage]) -> dict[tuple[int, str], int]:
    """For each (person, card) among `rows`, the id of its newest unsent row, due or not."""
    cards = {row.card for row in rows if row.card is not None}
    if not cards:
        return {}
    found = session.execute(
        select(OutboxMessage.person_id, OutboxMessage.card, func.max(OutboxMessage.id))
        .where(
            _unsent(),
            OutboxMessage.card.in_(cards),
            OutboxMessage.person_id.in_({row.person_id for row in rows}),
        )
        .group_by(OutboxMessage.person_id, OutboxMessage.card)
    )
    return {(person_id, str(card)): newest for person_id, card, newest in found}


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


def release(db: Database, pending_ids: list[int], now: datetime) -> None:
    """Claimed rows a stopping process will not send: due again at once, their claim undone,
    so the next process sends them without waiting for the lease."""
    if not pending_ids:
        return
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(pending_ids), OutboxMessage.sent_at.is_(None))
            .values(not_before=now, attempts=OutboxMessage.attempts - 1)
        )


def mark_parts(db: Database, pending_id: int, parts_sent: int) -> None:
    with db.session() as session:
        row = session.get(OutboxMessage, pending_id)
        if row is not None:
            row.parts_sent = parts_sent


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


def keep(
    db: Database,
    person_id: int,
    messages: list[Message],
    first_parts_sent: int,
    now: datetime,
    retry_in: timedelta,
) -> None:
    """Replies a platform did not take go to the outbox, in order, to be sent by the next
    passes from `now + retry_in` — the answer was saved, so its replies must not be lost; of
    the first, only the parts the platform did not take."""
    with db.session() as session:
        person = session.get(Person, person_id)
        if person is None:
            return
        for number, message in enumerate(messages):
            key = f"kept:{uuid.uuid4().hex}"
            row = enqueue(session, person, message, key, now, not_before=now + retry_in)
            if row is not None and number == 0:
                row.parts_sent = first_parts_sent
