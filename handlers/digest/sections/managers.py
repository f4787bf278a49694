"""The managers' and GM's digest sections (SPEC §8): the team's guests today, the team's
visits on the last working day, overdue visit reports, plan completion this month."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import aliased

from handlers.digest.sections.base import DigestView, Line, More, guest_rows, section
from handlers.rules.workdays import WorkCalendar
from handlers.visits import rules as visit_rules
from storage.models import Client, Person, PlanEntry, Reception, Visit, VisitPlan

MANAGERS = ("manager", "gm")


@section(*MANAGERS, order=40)
def team_arrivals(view: DigestView) -> Iterable[Line | More]:
    """Guests the reader's team (everyone below them in the org chart) receives today."""
    start, end = view.span(0)
    me = view.person.id
    # Each of the day's arrivals climbs from its host up the org chart, through active
    # people, until it reaches the reader (or the top): as many steps as the chart is deep,
    # where walking down would read the reader's whole team (for a GM, the company).
    climb = (
        select(Reception.id.label("reception"), Person.manager_id.label("boss"))
        .join(Person, Person.id == Reception.requester_id)
        .where(
            Reception.state.in_(("pending", "approved")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            Person.active.is_(True),
            Person.id != me,
        )
        .cte("climb", recursive=True)
    )
    boss = aliased(Person)
    climb = climb.union(
        select(climb.c.reception, boss.manager_id)
        .join(boss, boss.id == climb.c.boss)
        .where(climb.c.boss != me, boss.active.is_(True))
    )
    guests, more = view.first(
        guest_rows(Person.name).where(
            Reception.id.in_(select(climb.c.reception).where(climb.c.boss == me))
        ),
        "arrivals",
    )
    for number, arrival, client, zone, host in guests:
        yield Line(
            "arrivals",
            view.t(
                "digest.item.arrival",
                time=view.when(arrival, view.host_zone(zone)),
                client=client,
                name=host,
                id=number,
            ),
        )
    yield from more


@section(*MANAGERS, order=42)
def team_visits_last_working_day(view: DigestView) -> Iterable[Line | More]:
    """Visits the team logged for the last working day (and any weekend after it)."""
    since = WorkCalendar.for_policy(view.policy).add_working_days(view.day, -1)
    until = view.day - timedelta(days=1)
    visits, more = view.first(
        visit_rules.team_visits(view.person, since, until)
        .join(Person, Person.id == Visit.person_id)
        .join(Client, Client.id == Visit.client_id)
        .with_only_columns(Person.name, Client.name, Visit.outcome),  # not whole visits
        "team_visits",
    )
    for name, client, outcome in visits:
        yield Line(
            "team_visits",
            view.t(
                "digest.item.team_visit",
                name=name,
                client=client,
                outcome=view.t(f"visit.outcome.{outcome}"),
            ),
        )
    yield from more


@section(*MANAGERS, order=44)
def team_overdue_reports(view: DigestView) -> Iterable[Line | More]:
    """Planned visits of the team whose report is past its deadline."""
    t = view.t
    entries, more = view.first(
        visit_rules.team_overdue_reports(view.policy, view.person, view.day)
        .join(Person, Person.id == VisitPlan.person_id)
        .join(Client, Client.id == PlanEntry.client_id)
        .with_only_columns(Person.name, Client.name, PlanEntry.planned_on),  # not entries
        "overdue_reports",
    )
    for name, client, planned_on in entries:
        yield Line(
            "overdue_reports",
            t(
                "digest.item.overdue_report",
                name=name,
                client=client,
                date=t.date(planned_on),
            ),
        )
    yield from more


@section(*MANAGERS, order=46)
def plan_completion(view: DigestView) -> Iterable[Line | More]:
    """This month's planned visits done, per salesperson with a filed plan."""
    t = view.t
    counts, more = view.first(
        visit_rules.team_plan_counts(view.person, view.day.year, view.day.month), "plan"
    )
    for name, planned, done in counts:
        yield Line(
            "plan",
            t(
                "digest.item.completion",
                name=name,
                done=done,
                planned=planned,
                rate=visit_rules.completion_rate(done, planned),
            ),
        )
    yield from more
