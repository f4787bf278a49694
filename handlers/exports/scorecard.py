"""The monthly scorecard per team (seed 003, 客户专人月度考核表; SPEC §7, §9): for each
salesperson, visits planned, planned visits done, all visits made, the completion rate and
the assessment (`handlers/visits/assessment.py`: its total and each item's score) —
as a table (CSV / XLSX, a text summary in chat) and as a chart (`handlers/scorecard_chart`).

A team is a manager and their direct reports who sell, as `handlers/visit_rules.team` has it;
the definitions (which plans count, what is done, the rate) are `visit_rules`'. The numbers
here come from two grouped queries for the whole scope rather than one query per person, and
a test holds them equal to `visit_rules.plan_completion`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from handlers.exports.common import Request
from handlers.exports.table import Column
from handlers.visits.assessment import Assessment, assess, item_name, points
from handlers.visits.rules import FILED, Score, completion_rate, team
from handlers.visits.scorecard_chart import Bar, Chart, Legend, Panel, draw
from storage.models import Person, PlanEntry, Visit, VisitPlan

TITLE = "exp.title.scorecard"

COLUMNS: tuple[Column, ...] = (
    Column("team"),
    Column("salesperson"),
    Column("department"),
    Column("plan_state"),
    Column("planned", "int"),
    Column("done", "int"),
    Column("actual", "int"),
    Column("rate", "percent"),
    Column("assessment", "money"),
    Column("assessment_items", width=40),
)


@dataclass(frozen=True)
class TeamScore:
    manager: Person
    scores: list[Score]

    @property
    def planned(self) -> int:
        return sum(s.planned for s in self.scores)

    @property
    def done(self) -> int:
        return sum(s.done for s in self.scores)

    @property
    def actual(self) -> int:
        return sum(s.actual for s in self.scores)

    @property
    def rate(self) -> int | None:
        return completion_rate(self.actual, self.planned)


def teams(request: Request) -> list[TeamScore]:
    """Every team in the reader's scope with its members' scores, managers in org order."""
    session, scope, month = request.session, request.scope, request.month
    members: dict[int, list[Person]] = {}
    managers: list[Person] = []
    for manager in session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.id)
    ):
        if not scope.includes(manager.id):
            continue
        people = [p for p in team(session, manager) if scope.includes(p.id)]
        if people:
            managers.append(manager)
            members[manager.id] = people
    ids = sorted({p.id for people in members.values() for p in people})
    plans = _plans(request, ids)
    actual = _actual(request, ids)
    result = []
    for manager in managers:
        scores = []
        for person in members[manager.id]:
            state, planned, done = plans.get(person.id, (None, 0, 0))
            counted = state in FILED
            scores.append(
                Score(
                    person,
                    month.year,
                    month.month,
                    state,
                    planned if counted else 0,
                    done if counted else 0,
                    actual.get(person.id, 0),
                )
            )
        result.append(TeamScore(manager, scores))
    return result


def _plans(request: Request, ids: list[int]) -> dict[int, tuple[str, int, int]]:
    """person → (plan state, entries, entries a visit closed) for the month's plan."""
    if not ids:
        return {}
    found = request.session.execute(
        select(
            VisitPlan.person_id,
            VisitPlan.state,
            func.count(PlanEntry.id),
            func.count(PlanEntry.visit_id),
        )
        .outerjoin(PlanEntry, PlanEntry.plan_id == VisitPlan.id)
        .where(
            VisitPlan.year == request.month.year,
            VisitPlan.month == request.month.month,
            VisitPlan.person_id.in_(ids),
        )
        .group_by(VisitPlan.person_id, VisitPlan.state)
    )
    return {person_id: (state, planned, done) for person_id, state, planned, done in found}


def _actual(request: Request, ids: list[int]) -> dict[int, int]:
    """person → visits logged in the month, planned or not."""
    if not ids:
        return {}
    found = request.session.execute(
        select(Visit.person_id, func.count(Visit.id))
        .where(
            request.month.covers(Visit.visited_on),
            Visit.person_id.in_(ids),
        )
        .group_by(Visit.person_id)
    )
    return {person_id: count for person_id, count in found}


def plan_state(request: Request, state: str | None) -> str:
    return request.t(f"exp.plan.{state}") if state else request.t("exp.plan.none")


def ratio(score: Score | TeamScore) -> float | None:
    """The completion rate as a fraction, unrounded, for a spreadsheet's percent cell."""
    return score.actual / score.planned if score.planned else None


def assessment_of(request: Request, person: Person) -> Assessment:
    return assess(request.session, request.policy, person, request.month)


def items_text(request: Request, assessment: Assessment) -> str:
    """ "拜访 40 · 拓展 12.5 · 成交 0 · 平常工作 —": each item's score, "—" where unmarked."""
    t = request.t
    return " · ".join(
        f"{item_name(t, i.key)} "
        + ("—" if i.actual is None else points(t, i.score(assessment.cap_percent)))
        for i in assessment.items
    )


def rows(request: Request) -> Iterator[tuple[Any, ...]]:
    for item in teams(request):
        for score in item.scores:
            assessment = assessment_of(request, score.person)
            yield (
                item.manager.name,
                score.person.name,
                score.person.department,
                plan_state(request, score.plan_state),
                score.planned,
                score.done,
                score.actual,
                ratio(score),
                assessment.total,
                items_text(request, assessment),
            )


def summary(request: Request, items: list[TeamScore]) -> str:
    """The scorecard as a few chat lines: each team's totals, then one line per person."""
    t = request.t
    month = request.month.label(t)
    lines = [t("exp.score.title", month=month)]
    for item in items:
        lines.append(
            t(
                "exp.score.team",
                name=item.manager.name,
                planned=item.planned,
                done=item.done,
                actual=item.actual,
                rate=_rate(request, item.rate),
            )
        )
        for score in item.scores:
            lines.append(
                t(
                    "exp.score.person",
                    name=score.person.name,
                    planned=score.planned,
                    done=score.done,
                    actual=score.actual,
                    rate=_rate(request, score.rate),
                    plan=plan_state(request, score.plan_state),
                )
                + t(
                    "assess.member_total",
                    total=points(t, assessment_of(request, score.person).total),
                )
            )
    return "\n".join(lines)


def _rate(request: Request, rate: int | None) -> str:
    return request.t("exp.score.rate", rate=rate) if rate is not None else "—"


def _total(request: Request, person: Person) -> str:
    return points(request.t, assessment_of(request, person).total)


def _bar_label(request: Request, score: Score) -> str:
    """The rate, then the assessment's total: "100% · 72.5分"."""
    total = _total(request, score.person)
    return request.t("exp.score.bar", rate=_rate(request, score.rate), total=total)


def chart(request: Request, items: list[TeamScore]) -> Chart:
    """The scorecard as a PNG: a panel per team."""
    t = request.t
    month = request.month.label(t)
    panels = [
        Panel(
            t("exp.score.panel", name=item.manager.name, rate=_rate(request, item.rate)),
            [
                Bar(s.person.name, s.planned, s.done, s.actual, _bar_label(request, s))
                for s in item.scores
            ],
        )
        for item in items
    ]
    legend = Legend(t("exp.col.planned"), t("exp.col.done"), t("exp.col.actual"))
    return draw(t("exp.score.title", month=month), panels, legend)
