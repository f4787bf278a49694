"""Walk-in visitors registered at the front desk (seed 004 《访客登记表》)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow
from storage.models.org import Person


class WalkIn(Base):
    """A visitor with no appointment: who came, for whom, and what the host answered.

    The host answers once per state: asked → coming | waiting | declined, waiting → coming |
    declined; the update that answers matches only the state it was read in, so two taps (or
    a stale button) cannot both win."""

    __tablename__ = "walk_in"
    __table_args__ = (Index("ix_walk_in_day", "registered_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    host_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    company: Mapped[str] = mapped_column(String(100))
    visitors: Mapped[int]
    plate: Mapped[str | None] = mapped_column(String(12))
    belongings: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="asked")
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]

    registered_by: Mapped[Person] = relationship(lazy="joined", foreign_keys=[registered_by_id])
    host: Mapped[Person] = relationship(lazy="joined", foreign_keys=[host_id])
