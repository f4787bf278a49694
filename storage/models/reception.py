"""Reception requests, their approval steps, and the admin office's checklist."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow
from storage.models.org import Client, Person


class Reception(Base):
    """A client's visit to us (接待申请). `answers` keeps the form as filled, so it can be
    edited and resubmitted; the columns beside it are what lists and rules query."""

    __tablename__ = "reception"
    __table_args__ = (
        Index("ix_reception_arrival", "state", "arrival_at"),
        Index("ix_reception_requester", "requester_id", "state", "arrival_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    class_key: Mapped[str] = mapped_column(String(8))
    arrival_at: Mapped[datetime]
    departure_at: Mapped[datetime]
    visitors: Mapped[int]
    total: Mapped[Decimal]
    company_hotel: Mapped[bool] = mapped_column(default=False)
    answers: Mapped[dict[str, Any]] = mapped_column()
    # draft → pending → approved | rejected | changes | withdrawn; approved → closed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    round: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    actual: Mapped[dict[str, Any] | None] = mapped_column()  # close-out: spend, outcome, agreed
    closed_at: Mapped[datetime | None]
    follow_up: Mapped[str | None] = mapped_column(Text)
    follow_up_score: Mapped[int | None]  # 满意度 1–5, from the follow-up call
    follow_up_issue: Mapped[str | None] = mapped_column(Text)  # what the guests raised, if any
    # What the host asked the admin office for after approval (see-off, screen, tour…).
    arrangements: Mapped[dict[str, Any] | None] = mapped_column()

    requester: Mapped[Person] = relationship(lazy="joined", foreign_keys=[requester_id])
    client: Mapped[Client] = relationship(lazy="joined")


class ApprovalStep(Base):
    """One approver's turn on a subject (a reception, a monthly plan), in one round.

    A step moves from waiting to pending when its turn comes, and is decided once: the
    update that decides it matches only a pending row, so two taps cannot both win.
    """

    __tablename__ = "approval_step"
    __table_args__ = (
        Index("ix_approval_subject", "subject", "subject_id", "round"),
        Index("ix_approval_queue", "approver_id", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    round: Mapped[int]
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # manager / gm / finance
    approver_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    # waiting → pending → approved | rejected | changes; cancelled when the round ends early
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    opened_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    approver: Mapped[Person] = relationship(lazy="joined", foreign_keys=[approver_id])
    decided_by: Mapped[Person | None] = relationship(lazy="joined", foreign_keys=[decided_by_id])


class ChecklistItem(Base):
    """One thing the admin office prepares for an approved reception."""

    __tablename__ = "checklist_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("reception.id"), index=True)
    item: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
