"""Forms in progress and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class Draft(Base):
    """A form in progress. Lives here, not in memory, so it survives restarts and devices."""

    __tablename__ = "draft"
    # Buttons name their draft by id: on SQLite, AUTOINCREMENT keeps a deleted draft's id from
    # being handed to the next one (migration 0007).
    __table_args__ = (UniqueConstraint("person_id", "flow"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"steps": [...]} for /back
    # Set by the form engine from the event's moment, never by the database's clock: typed
    # text goes to the draft touched last, and one ordering needs one clock.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who did what, when, from where: one row per change of state."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_subject", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    platform: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
