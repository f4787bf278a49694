"""What goes out: the outbox, where cards landed, inbound dedupe, reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class OutboxMessage(Base):
    """A message for someone other than the person acting, or a scheduled one.

    Written in the same transaction as the change that causes it; `key` makes a repeated
    cause enqueue nothing new. It names a person, not a platform: the adapter of the platform
    they were seen on last delivers it when it is due (handlers/outbox.py:claim), so what waited
    for someone not linked yet goes out when they link.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "sent_at", "id"),
        Index("ix_outbox_card", "person_id", "card"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # The card the message shows (Message.card): a later row for it makes this one stale.
    card: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    # Not worth sending after this (a digest past its day's working hours): dropped unsent.
    expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How many of its parts (text pieces, then the file) the platform took: a retry sends
    # only the rest, so a file that would not upload does not repeat the text.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]


class DeliveredCard(Base):
    """Where a card was shown, so every copy can be updated after a decision."""

    __tablename__ = "delivered_card"
    id: Mapped[int] = mapped_column(primary_key=True)
    card: Mapped[str] = mapped_column(String(80), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundEvent(Base):
    """Platform deliveries already handled: a redelivered update or retried event is dropped."""

    __tablename__ = "inbound_event"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Reminder(Base):
    """Something due for someone at a time; the scheduler claims and sends it once."""

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ix_reminder_due", "state", "due_at"),
        Index("ix_reminder_subject", "subject", "subject_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    due_at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending/sent/done/cancelled
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
