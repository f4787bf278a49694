"""The managers' digest lines of the team's day in the field (seed 003): the check-ins of the
last working day with what was flagged, who of the team checked in nowhere, and the daily
reports missing for it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from handlers.digest.sections.base import DigestView, Line, More, section
from handlers.digest.sections.managers import MANAGERS
from handlers.visits import daily_report
from handlers.visits import rules as visit_rules
from handlers.visits.field_day import day_span
from storage.models import Client, FieldCheckin, Person


def _flags(view: DigestView, distance: int | None, outside: bool) -> str:
    t = view.t
    flags = []
    if distance is not None and distance > view.policy.field.far_from_client_m:
        flags.append(t("digest.flag.far", km=t.number(round(distance / 1000, 1))))
    if outside:
        flags.append(t("digest.flag.outside_hours"))
    return "".join(f" ⚠ {flag}" for flag in flags)


@section(*MANAGERS, order=43)
def team_checkins(view: DigestView) -> Iterable[Line | More]:
    """The team's check-ins of the last working day, and who of the team made none (once
    the team checks in at all)."""
    day = daily_report.previous_working_day(view.policy, view.day)
    start, end = day_span(day, view.tz)
    team = visit_rules.team_members(view.person)
    checkins, more = view.first(
        select(
            Person.name,
            Client.name,
            FieldCheckin.at,
            FieldCheckin.distance_m,
            FieldCheckin.outside_hours,
        )
        .join(Person, Person.id == FieldCheckin.person_id)
        .join(Client, Client.id == FieldCheckin.client_id)
        .where(FieldCheckin.person_id.in_(team), FieldCheckin.at >= start, FieldCheckin.at < end)
        .order_by(FieldCheckin.at, FieldCheckin.id),
        "checkins",
    )
    for name, client, at, distance, outside in checkins:
        item = view.t("digest.item.checkin", name=name, client=client, time=view.when(at))
        yield Line("checkins", item + _flags(view, distance, outside))
    yield from more
    if not checkins:  # a team that does not check in is not told so every morning
        return
    checked_in = select(FieldCheckin.person_id).where(
        FieldCheckin.at >= start, FieldCheckin.at < end
    )
    nobody, rest = view.first(
        select(Person.name)
        .where(Person.id.in_(team), Person.id.not_in(checked_in))
        .order_by(Person.name),
        "no_checkins",
    )
    for (name,) in nobody:
        yield Line("no_checkins", name)
    yield from rest


@section(*MANAGERS, order=45)
def missing_daily_reports(view: DigestView) -> Iterable[Line | More]:
    """Who of the team was out on the last working day and sent no daily report for it."""
    day = daily_report.previous_working_day(view.policy, view.day)
    team = list(view.session.scalars(visit_rules.team_members(view.person)))
    missing = daily_report.missing_on(view.session, team, day)
    if not missing:
        return
    names = view.session.scalars(
        select(Person.name).where(Person.id.in_(missing)).order_by(Person.name)
    )
    for name in names:
        yield Line(
            "missing_daily", view.t("digest.item.missing_daily", name=name, date=view.t.date(day))
        )
