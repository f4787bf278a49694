"""The salesperson's day in the field (seed 003): check-ins at clients (签到), the daily
report (大客户拜访日报表), and the manager's review of a report (seed 001: 呈主管审核).

A `FieldCheckin` is open until checked out; a person has at most one open at a time (a
partial unique index), so two devices checking in at once make one check-in, not two.
A `DailyReport` is one person's submitted report for one day (unique: submitted once).
A `Review` is the manager's Acknowledge or Comment on a visit report or a daily report,
one per report, decided once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow
from storage.models.org import Client, Person


class FieldCheckin(Base):
    """Where and when a salesperson arrived at a client; `place` is what they typed or
    "lat,lon" shared; `distance_m` from the client's coordinates when both are known."""

    __tablename__ = "field_checkin"
    __table_args__ = (
        Index("ix_field_checkin_person", "person_id", "at"),
        Index(
            "uq_field_checkin_open",
            "person_id",
            unique=True,
            sqlite_where=text("checked_out_at IS NULL"),
            postgresql_where=text("checked_out_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[int | None]
    outside_hours: Mapped[bool] = mapped_column(default=False)
    companions: Mapped[str | None] = mapped_column(String(200))
    checked_out_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(lazy="joined")
    client: Mapped[Client] = relationship(lazy="joined")


class DailyReport(Base):
    """One salesperson's submitted report of one day in their own calendar."""

    __tablename__ = "daily_report"
    __table_args__ = (UniqueConstraint("person_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    day: Mapped[date]
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)  # as submitted
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined")


class Review(Base):
    """The manager's word on one report (`subject` "visit" or "daily"): pending until
    acknowledged or commented, once, by whoever is the author's manager then."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("subject", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # acknowledged / commented
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[Person] = relationship(lazy="joined", foreign_keys=[author_id])
    reviewer: Mapped[Person | None] = relationship(lazy="joined", foreign_keys=[reviewer_id])
