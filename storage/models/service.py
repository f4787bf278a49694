"""The assessment's manual marks, client satisfaction after a visit, and complaints
(SPEC §7a; seeds 001, 003: 月度考核表, 满意度, 顾客投诉处理记录表)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow
from storage.models.org import Client, Person
from storage.models.visit import Visit


class AssessmentMark(Base):
    """A manager's mark (1–5) on a manual item of a person's monthly assessment (平常工作);
    one per person, month and item, so a second tap changes it rather than adds one."""

    __tablename__ = "assessment_mark"
    __table_args__ = (UniqueConstraint("person_id", "year", "month", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    year: Mapped[int]
    month: Mapped[int]
    item: Mapped[str] = mapped_column(String(20))
    mark: Mapped[int]
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Satisfaction(Base):
    """How satisfied the client was with a visit (1–5), as the salesperson heard it on the
    call back (回访); one per visit."""

    __tablename__ = "satisfaction"
    __table_args__ = (Index("ix_satisfaction_client", "client_id", "recorded_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id"), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    score: Mapped[int]
    issue: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(lazy="joined")


class Complaint(Base):
    """A client's complaint (顾客投诉处理记录表): who took it, the department responsible and
    its person, and each step of seed 003's timetable as the time it was done.

    open → told (the responsible person took it) → answered (the client was told what
    happens) → called_back (the client's feedback, 回访) → closed (the manager confirmed)."""

    __tablename__ = "complaint"
    __table_args__ = (
        Index("ix_complaint_client", "client_id", "opened_at"),
        Index("ix_complaint_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))  # who recorded it
    department: Mapped[str] = mapped_column(String(100))
    responsible_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="client")  # client / satisfaction
    satisfaction_id: Mapped[int | None] = mapped_column(ForeignKey("satisfaction.id"))
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    told_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    called_back_at: Mapped[datetime | None]
    feedback: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    client: Mapped[Client] = relationship(lazy="joined")
    person: Mapped[Person] = relationship(lazy="joined", foreign_keys=[person_id])
    responsible: Mapped[Person] = relationship(lazy="joined", foreign_keys=[responsible_id])
