"""The salesperson's digest sections (SPEC §8): receptions today and tomorrow, today's planned
visits, what is due (visit reports, next steps agreed at visits, close-outs, follow-up calls),
clients past their visit frequency."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select

from handlers.digest.sections.base import MAX_ITEMS, DigestView, Line, section
from handlers.engine.messages import Button
from handlers.reception import return_call
from handlers.visits import rules as visit_rules
from storage.models import Reception, Reminder, Visit


def _reception_item(view: DigestView, item: Reception) -> str:
    return view.t(
        "digest.item.reception",
        client=item.client.name,
        time=view.when(item.arrival_at),
        id=item.id,
        state=view.t(f"rcp.state.{item.state}"),
    )


@section("sales", order=10)
def receptions_today_and_tomorrow(view: DigestView) -> Iterable[Line]:
    """The salesperson's own receptions arriving today and tomorrow."""
    start, end = view.span(0, 2)
    tomorrow = view.span(1)[0]
    items = view.session.scalars(
        select(Reception)
        .where(
            Reception.requester_id == view.person.id,
            Reception.state.in_(("pending", "approved")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
        )
        .order_by(Reception.arrival_at)
    )
    for item in items:
        topic = "today" if item.arrival_at < tomorrow else "tomorrow"
        yield Line(topic, _reception_item(view, item))


@section("sales", order=20)
def planned_visits_today(view: DigestView) -> Iterable[Line]:
    """Today's planned visits not yet logged, each with a button to log it."""
    t = view.t
    for entry in visit_rules.planned_visits(view.session, view.person, view.day):
        if entry.visit_id is not None:
            continue
        yield Line(
            "today",
            t("digest.item.planned_visit", client=entry.client.name),
            (Button(t("digest.button.log_visit", client=entry.client.name), f"vs:e:{entry.id}"),),
        )


@section("sales", order=25)
def visit_work_due(view: DigestView) -> Iterable[Line]:
    """Visit reports due or overdue (seed 001: within two working days), and next steps
    agreed at visits that are due by today."""
    t = view.t
    for due in visit_rules.reports_due(view.session, view.policy, view.person, view.day):
        key = "digest.item.report_overdue" if due.overdue else "digest.item.report_due"
        yield Line(
            "due",
            t(key, client=due.client.name, date=t.date(due.entry.planned_on)),
            (Button(t("digest.button.report", client=due.client.name), f"vs:e:{due.entry.id}"),),
        )
    steps = view.session.scalars(
        _reminded_by_tonight(view, Visit, "visit.next_step", "visit").where(
            Reminder.person_id == view.person.id
        )
    )
    for visit in steps:
        yield Line(
            "due", t("digest.item.next_step", step=visit.next_step or "", client=visit.client.name)
        )


def _reminded_by_tonight(
    view: DigestView, model: type[Visit] | type[Reception], kind: str, subject: str
) -> Select[Any]:
    """`model` rows with a `kind` reminder still open and due by the end of the reader's day,
    earliest first; the caller narrows it to the reader's own."""
    return (
        select(model)
        .join(
            Reminder,
            (Reminder.kind == kind)
            & (Reminder.subject == subject)
            & (Reminder.subject_id == model.id),
        )
        .where(Reminder.state.in_(("pending", "sent")), Reminder.due_at < view.span(0)[1])
        .order_by(Reminder.due_at)
    )


@section("sales", order=30)
def closing_and_follow_ups(view: DigestView) -> Iterable[Line]:
    """Receptions past their departure to close out, and follow-up calls due by today."""
    t = view.t
    to_close = view.session.scalars(
        select(Reception)
        .where(
            Reception.requester_id == view.person.id,
            Reception.state == "approved",
            Reception.departure_at <= view.now,
        )
        .order_by(Reception.departure_at)
    )
    for item in to_close:
        yield Line(
            "due",
            t("digest.item.close", client=item.client.name, id=item.id),
            (Button(t("digest.button.close", id=item.id), f"cls:{item.id}"),),
        )
    calls = view.session.scalars(
        _reminded_by_tonight(view, Reception, "reception.followup", "reception").where(
            Reception.requester_id == view.person.id,
            Reception.state.in_(return_call.CALLED_FROM),
            Reception.follow_up.is_(None),
        )
    )
    for item in calls:
        yield Line(
            "due",
            t("digest.item.follow_up", client=item.client.name),
            (Button(t("digest.button.follow_up", client=item.client.name), f"fu:{item.id}"),),
        )


@section("sales", order=35)
def clients_past_their_frequency(view: DigestView) -> Iterable[Line]:
    """The salesperson's clients not visited within their region's interval, longest first."""
    t = view.t
    dues = visit_rules.overdue_clients(view.session, view.policy, view.person, view.day)
    if not dues:
        return
    names = [
        t("digest.item.client_days", client=due.client.name, days=due.days_overdue)
        for due in dues[:MAX_ITEMS]
    ]
    if len(dues) > MAX_ITEMS:
        names.append(t("digest.more", n=len(dues) - MAX_ITEMS))
    clients = t("digest.client_sep").join(names)
    yield Line("overdue_clients", t("digest.item.overdue_clients", n=len(dues), clients=clients))
