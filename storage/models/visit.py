"""Client visits (客户拜访) and monthly visit plans (拜访计划), SPEC §7.

A `Visit` is one logged visit report (seed 003, 大客户拜访日报表). A `VisitPlan` is one
salesperson's plan for one month, approved through the generic approval chain; its
`PlanEntry` rows are the planned visits, each closed by the visit that fulfils it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow
from storage.models.org import Client, Person


class Visit(Base):
    """A visit a salesperson made to a client, as reported. `visited_on` is the day in the
    salesperson's own calendar; `next_due` the due day of the agreed next step, if any."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_client", "client_id", "visited_on"),
        Index("ix_visit_person", "person_id", "visited_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    visited_on: Mapped[date]
    contact: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # initial / problem / relationship
    purposes: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    needs: Mapped[str | None] = mapped_column(Text)
    competitors: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # won / hopeful / again / no_hope / watch
    next_step: Mapped[str | None] = mapped_column(Text)
    next_due: Mapped[date | None]
    expenses: Mapped[Decimal | None]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the form as filled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined", foreign_keys=[person_id])
    client: Mapped[Client] = relationship(lazy="joined")


class VisitPlan(Base):
    """One salesperson's visit plan for one month; filed by the month before's deadline."""

    __tablename__ = "visit_plan"
    __table_args__ = (UniqueConstraint("person_id", "year", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    year: Mapped[int]
    month: Mapped[int]
    # draft → pending → approved | changes | rejected; an edited approved plan is a draft again
    state: Mapped[str] = mapped_column(String(16), default="draft")
    round: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The month's targets of the assessment's items counted from the data other than visits
    # (seed 003: 计划拓展 new clients, 成交 deals): item source → number.
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)

    person: Mapped[Person] = relationship(lazy="joined")
    entries: Mapped[list[PlanEntry]] = relationship(
        back_populates="plan",
        cascade="all, delete-orphan",
        order_by=lambda: [PlanEntry.planned_on, PlanEntry.id],
    )


class PlanEntry(Base):
    """One planned visit: which client, which day, why. `visit_id` is the visit that
    fulfilled it (closing it and its report deadline)."""

    __tablename__ = "plan_entry"
    __table_args__ = (Index("ix_plan_entry_day", "planned_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("visit_plan.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    planned_on: Mapped[date]
    purpose: Mapped[str] = mapped_column(String(200))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Seed 001 拜望打算书 / seed 003 联系计划表: the time planned and the outcome hoped for.
    planned_time: Mapped[time | None]
    expected_outcome: Mapped[str | None] = mapped_column(String(16))

    plan: Mapped[VisitPlan] = relationship(back_populates="entries")
    client: Mapped[Client] = relationship(lazy="joined")
