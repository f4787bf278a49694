"""The visit rules of SPEC §7 as plain queries: report deadlines, visit frequency and the
next due visit, plan completion (the seed 003 scorecard), and what the daily digest shows.

Nothing here talks to anyone: every function takes a session, the policy where a rule
needs it, and a day in the reader's own calendar, and returns rows or small records. The
commands (`handlers/visits/scorecard.py`, `handlers/visits/timeline.py`) and the digest read them.

Definitions, used alike everywhere:
* A plan is *filed* once submitted: pending, approved, or sent back for changes. Its
  entries are the person's planned visits; a draft or rejected plan plans nothing.
* A planned visit is *done* when a logged visit closed its entry (`PlanEntry.visit_id`).
* Its report is due `visits.report_due_days` working days after the planned day, by the end
  of working hours; an open entry past that is an overdue report. Digests chase missing
  reports of this month's plan and the `visits.missing_report_months` plan months before it;
  an older open entry is a miss the scorecard counted, not work still due.
* A client is due for a visit `visits.frequency_months[region]` months after its last
  visit (by anyone), or after it was added when it has never been visited.
* Completion rate = visits made ÷ visits planned (seed 003: 完成率 = 实际 ÷ 计划), with the
  planned visits done shown beside it; the daily digest's plan line counts planned visits
  done against planned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_
from sqlalchemy.orm import Session

from handlers.org.clients import own_clients
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.text.months import Month, add_months
from storage.models import Client, Person, PlanEntry, Reminder, Visit, VisitPlan

FILED = ("pending", "approved", "changes")
KINDS = ("initial", "problem", "relationship")  # seed 003: 初次拜访 / 解决问题 / 建立关系
PURPOSES = (  # seed 001, 拜访目的
    "research",
    "competitors",
    "care",
    "payment",
    "new_client",
    "new_product",
)
OUTCOMES = ("won", "hopeful", "again", "no_hope", "watch")  # seed 003: 结果 A–E


# ---------------------------------------------------------------------------- report deadlines


def report_deadline(policy: Policy, planned_on: dt.date) -> dt.date:
    """The last day a planned visit's report may come (seed 001: 两日内提出客户拜访报告)."""
    calendar = WorkCalendar.for_policy(policy)
    return calendar.add_working_days(planned_on, policy.visits.report_due_days)


def report_due_at(policy: Policy, planned_on: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """When a missing report becomes overdue: the deadline day's end of working hours."""
    end = policy.working_days.day_end
    return dt.datetime.combine(report_deadline(policy, planned_on), end, tz)


@dataclass(frozen=True)
class ReportDue:
    entry: PlanEntry
    due_on: dt.date
    overdue: bool  # the deadline has passed

    @property
    def client(self) -> Client:
        return self.entry.client

    @property
    def person(self) -> Person:
        return self.entry.plan.person


def last_overdue_day(policy: Policy, today: dt.date) -> dt.date:
    """The latest planned day whose report is overdue on `today`. A later planned day never
    has an earlier deadline, so the overdue ones are exactly those planned up to this day
    (a condition the database can apply, instead of a deadline computed per entry)."""
    day = today - dt.timedelta(days=1)
    while report_deadline(policy, day) >= today:
        day -= dt.timedelta(days=1)
    return day


def _open_entries(
    policy: Policy, people: Sequence[int] | Select[int], today: dt.date
) -> Select[PlanEntry]:
    """Open entries of the people's filed plans, from the oldest plan month digests chase
    (see the module's definitions) on, in planned order."""
    since = Month.of(today).plus(-policy.visits.missing_report_months)
    return (
        select(PlanEntry)
        .join(VisitPlan, PlanEntry.plan_id == VisitPlan.id)
        .where(
            VisitPlan.person_id.in_(people),
            VisitPlan.state.in_(FILED),
            tuple_(VisitPlan.year, VisitPlan.month) >= tuple_(since.year, since.month),
            PlanEntry.visit_id.is_(None),
        )
        .order_by(PlanEntry.planned_on, PlanEntry.id)
    )


def reports_due(
    session: Session, policy: Policy, person: Person, today: dt.date
) -> list[ReportDue]:
    """Planned visits whose day has passed with no visit logged: due soon or overdue."""
    entries = session.scalars(
        _open_entries(policy, [person.id], today).where(PlanEntry.planned_on < today)
    )
    found = []
    for entry in entries:
        due_on = report_deadline(policy, entry.planned_on)
        found.append(ReportDue(entry, due_on, due_on < today))
    return found


def team_overdue_reports(policy: Policy, manager: Person, today: dt.date) -> Select[PlanEntry]:
    """The manager's line: planned visits of their team whose report is past the deadline."""
    return _open_entries(policy, team_members(manager), today).where(
        PlanEntry.planned_on <= last_overdue_day(policy, today)
    )


def entry_to_close(
    session: Session, person_id: int, client_id: int, visited_on: dt.date
) -> PlanEntry | None:
    """The planned visit a logged visit fulfils: an open entry of the person's filed plan
    for that client, in the visit's month or overdue from before it — the nearest in time."""
    visited = Month.of(visited_on)
    first, last = visited.first_day, visited.last_day
    candidates = session.scalars(
        select(PlanEntry)
        .join(VisitPlan, PlanEntry.plan_id == VisitPlan.id)
        .where(
            VisitPlan.person_id == person_id,
            VisitPlan.state.in_(FILED),
            PlanEntry.client_id == client_id,
            PlanEntry.visit_id.is_(None),
            PlanEntry.planned_on >= first - dt.timedelta(days=31),
            PlanEntry.planned_on <= last,
        )
    ).all()
    eligible = [e for e in candidates if e.planned_on >= first or e.planned_on <= visited_on]
    if not eligible:
        return None
    return min(eligible, key=lambda e: (abs((e.planned_on - visited_on).days), e.planned_on))


# ---------------------------------------------------------------------------- visit frequency


@dataclass(frozen=True)
class ClientDue:
    client: Client
    last_visit: dt.date | None
    next_due: dt.date
    days_overdue: int  # 0 when not yet due


def frequency_months(policy: Policy, region: str) -> int:
    try:
        # Any string from the data, not only a Region: an unknown one is the except below.
        return policy.visit_frequency_months(region)  # type: ignore[arg-type]
    except AttributeError:  # a region the policy does not know: the longest interval
        return policy.visit_frequency_months("other")


def last_visits(session: Session, client_ids: list[int]) -> dict[int, dt.date]:
    if not client_ids:
        return {}
    rows = session.execute(
        select(Visit.client_id, func.max(Visit.visited_on))
        .where(Visit.client_id.in_(client_ids))
        .group_by(Visit.client_id)
    ).all()
    return {client_id: day for client_id, day in rows}


def added_on(policy: Policy, client: Client) -> dt.date:
    return client.created_at.astimezone(ZoneInfo(policy.org.default_timezone)).date()


def client_due(
    policy: Policy, client: Client, last_visit: dt.date | None, today: dt.date
) -> ClientDue:
    since = last_visit or added_on(policy, client)
    next_due = add_months(since, frequency_months(policy, client.region))
    return ClientDue(client, last_visit, next_due, max((today - next_due).days, 0))


def next_visit_due(session: Session, policy: Policy, client: Client, today: dt.date) -> ClientDue:
    return client_due(policy, client, last_visits(session, [client.id]).get(client.id), today)


def client_dues(
    session: Session, policy: Policy, person: Person, today: dt.date
) -> list[ClientDue]:
    """When each of the person's own clients is due a visit."""
    clients = own_clients(session, person)
    last = last_visits(session, [c.id for c in clients])
    return [client_due(policy, c, last.get(c.id), today) for c in clients]


def overdue_clients(
    session: Session, policy: Policy, person: Person, today: dt.date
) -> list[ClientDue]:
    """The person's own clients past their visit frequency, the longest overdue first."""
    return past_due(client_dues(session, policy, person, today))


def past_due(dues: list[ClientDue]) -> list[ClientDue]:
    """Of `dues`, the clients past their visit frequency, the longest overdue first."""
    return sorted((d for d in dues if d.days_overdue > 0), key=lambda d: -d.days_overdue)


def never_visited(dues: list[ClientDue]) -> list[ClientDue]:
    """Of `dues`, the clients nobody has visited yet and not yet overdue, the soonest due
    first: a client just added is not "within its frequency", it has had no visit at all."""
    waiting = (d for d in dues if d.last_visit is None and not d.days_overdue)
    return sorted(waiting, key=lambda d: (d.next_due, d.client.name))


# ---------------------------------------------------------------------------- next steps


def open_next_steps(session: Session, client_id: int) -> list[Visit]:
    """Visits to the client whose next step is still open: its reminder is neither done nor
    cancelled. A client may have several; only Done on a step's reminder closes it."""
    return list(
        session.scalars(
            select(Visit)
            .join(Reminder, and_(Reminder.subject == "visit", Reminder.subject_id == Visit.id))
            .where(
                Reminder.kind == "visit.next_step",
                Visit.client_id == client_id,
                Visit.next_step.is_not(None),
                Visit.next_due.is_not(None),
                Reminder.state.in_(("pending", "sent")),
            )
            .order_by(Visit.next_due, Visit.id)
        )
    )


# ---------------------------------------------------------------------------- plans and teams


_SELLS = (literal(" ") + Person.roles + " ").contains(" sales ")  # roles: space-separated


def _in_team_of(manager: Person) -> ColumnElement[bool]:
    """A manager's team: their active direct reports who sell."""
    return and_(Person.manager_id == manager.id, Person.active.is_(True), _SELLS)


def team(session: Session, manager: Person) -> list[Person]:
    """A manager's direct reports who sell."""
    return list(session.scalars(select(Person).where(_in_team_of(manager)).order_by(Person.id)))


def team_members(manager: Person) -> Select[int]:
    """The ids of `team`, for a query to read within rather than a list to pass."""
    return select(Person.id).where(_in_team_of(manager))


def plan_of(session: Session, person_id: int, year: int, month: int) -> VisitPlan | None:
    return session.scalars(
        select(VisitPlan).where(
            VisitPlan.person_id == person_id, VisitPlan.year == year, VisitPlan.month == month
        )
    ).first()


def planned_visits(session: Session, person: Person, day: dt.date) -> list[PlanEntry]:
    """The person's planned visits on `day` (from a filed plan), done or not."""
    return list(
        session.scalars(
            select(PlanEntry)
            .join(VisitPlan, PlanEntry.plan_id == VisitPlan.id)
            .where(
                VisitPlan.person_id == person.id,
                VisitPlan.state.in_(FILED),
                PlanEntry.planned_on == day,
            )
            .order_by(PlanEntry.id)
        )
    )


def visits_made(
    people: Sequence[int] | Select[int], first: dt.date, last: dt.date
) -> Select[Visit]:
    """Visits the people logged from `first` to `last`, in order."""
    return (
        select(Visit)
        .where(Visit.person_id.in_(people), Visit.visited_on >= first, Visit.visited_on <= last)
        .order_by(Visit.visited_on, Visit.id)
    )


def visits_between(
    session: Session, people: list[int], first: dt.date, last: dt.date
) -> list[Visit]:
    if not people:
        return []
    return list(session.scalars(visits_made(people, first, last)))


def team_visits(manager: Person, first: dt.date, last: dt.date) -> Select[Visit]:
    """Visits the manager's team logged from `first` to `last`."""
    return visits_made(team_members(manager), first, last)


def recent_visits(session: Session, client_id: int, limit: int = 3) -> list[Visit]:
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.client_id == client_id)
            .order_by(Visit.visited_on.desc(), Visit.id.desc())
            .limit(limit)
        )
    )


# ---------------------------------------------------------------------------- the scorecard


@dataclass(frozen=True)
class Score:
    """One salesperson's month (seed 003, 客户专人月度考核表: 计划拜访 / 实际拜访 / 完成率)."""

    person: Person
    year: int
    month: int
    plan_state: str | None  # None: no plan at all for the month
    planned: int
    done: int  # planned visits that a logged visit closed
    actual: int  # every visit logged in the month, planned or not

    @property
    def rate(self) -> int | None:
        """The seed's completion rate (完成率): visits made ÷ visits planned."""
        return completion_rate(self.actual, self.planned)


def completion_rate(made: int, planned: int) -> int | None:
    """Made ÷ planned in whole percent, half up (2 of 3 is 67); None with nothing planned."""
    if not planned:
        return None
    ratio = Decimal(100 * made) / Decimal(planned)
    return int(ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def plan_completion(session: Session, person: Person, year: int, month: int) -> Score:
    """Planned vs actual visits for one person's month."""
    plan = plan_of(session, person.id, year, month)
    entries = plan.entries if plan is not None and plan.state in FILED else []
    whole = Month(year, month)
    first, last = whole.first_day, whole.last_day
    actual = len(visits_between(session, [person.id], first, last))
    done = sum(1 for e in entries if e.visit_id is not None)
    state = plan.state if plan is not None else None
    return Score(person, year, month, state, len(entries), done, actual)


def team_completion(session: Session, manager: Person, year: int, month: int) -> list[Score]:
    return [plan_completion(session, p, year, month) for p in team(session, manager)]


def team_plan_counts(manager: Person, year: int, month: int) -> Select[str, int, int]:
    """(name, planned, done) of each team member whose filed plan for the month plans
    anything, in `team` order: `plan_completion`'s numbers, grouped by the database."""
    return (
        select(Person.name, func.count(PlanEntry.id), func.count(PlanEntry.visit_id))
        .join(VisitPlan, VisitPlan.person_id == Person.id)
        .join(PlanEntry, PlanEntry.plan_id == VisitPlan.id)
        .where(
            _in_team_of(manager),
            VisitPlan.year == year,
            VisitPlan.month == month,
            VisitPlan.state.in_(FILED),
        )
        .group_by(Person.id, Person.name)
        .order_by(Person.id)
    )


# ---------------------------------------------------------------------------- reminder keys


def next_step_key(visit_id: int) -> str:
    """A visit's next step, due on its day (kind "visit.next_step")."""
    return f"visit.next_step:{visit_id}"


def report_key(entry_id: int) -> str:
    """A planned visit's missing report (kind "visit.report_due")."""
    return f"visit.report_due:{entry_id}"


def plan_deadline_key(person_id: int, year: int, month: int) -> str:
    """The plan for (year, month) not yet filed (kind "plan.deadline")."""
    return f"plan.deadline:{person_id}:{year:04d}-{month:02d}"
