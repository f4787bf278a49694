"""The digest's lines about satisfaction and complaints (SPEC §7a): a salesperson's call-backs
still to score and the complaint steps that are theirs; a manager's team's open complaints."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from handlers.complaints.record import STATES
from handlers.digest.sections.base import DigestView, Line, More, section
from handlers.visits import rules as visit_rules
from handlers.visits.satisfaction import KIND as CALL_BACK
from storage.models import Client, Complaint, Reminder, Visit

OPEN = STATES[:-1]  # every state but closed


@section("sales", order=32)
def call_backs_due(view: DigestView) -> Iterable[Line | More]:
    """Visits whose call-back reminder came and still has no score (seed 001, 回访)."""
    rows, more = view.first(
        select(Client.name, Visit.visited_on)
        .join(Visit, Visit.client_id == Client.id)
        .join(Reminder, Reminder.subject_id == Visit.id)
        .where(
            Reminder.kind == CALL_BACK,
            Reminder.person_id == view.person.id,
            Reminder.state == "sent",
        )
        .order_by(Visit.visited_on, Visit.id),
        "due",
    )
    for client, day in rows:
        yield Line("due", view.t("digest.item.call_back", client=client, date=view.t.date(day)))
    yield from more


@section("sales", order=33)
def my_complaint_steps(view: DigestView) -> Iterable[Line | More]:
    """Complaints the salesperson recorded that wait for them: an answer or a call back."""
    rows, more = view.first(
        select(Complaint.id, Client.name, Complaint.state)
        .join(Client, Client.id == Complaint.client_id)
        .where(Complaint.person_id == view.person.id, Complaint.state.in_(("told", "answered")))
        .order_by(Complaint.opened_at),
        "due",
    )
    for number, client, state in rows:
        step = view.t(f"digest.complaint_step.{state}")
        yield Line("due", view.t("digest.item.complaint_step", id=number, client=client, step=step))
    yield from more


@section("manager", order=44)
def team_complaints(view: DigestView) -> Iterable[Line | More]:
    """Open complaints the manager is responsible for or that their team recorded."""
    rows, more = view.first(
        select(Complaint.id, Client.name, Complaint.state, Complaint.repeat_of_id)
        .join(Client, Client.id == Complaint.client_id)
        .where(
            Complaint.state.in_(OPEN),
            or_(
                Complaint.responsible_id == view.person.id,
                Complaint.person_id.in_(visit_rules.team_members(view.person)),
            ),
        )
        .order_by(Complaint.opened_at),
        "complaints",
    )
    for number, client, state, repeat in rows:
        text = view.t(
            "digest.item.complaint",
            id=number,
            client=client,
            state=view.t(f"cp.state.{state}"),
        )
        yield Line("complaints", text + (view.t("cp.on_timeline_repeat") if repeat else ""))
    yield from more
