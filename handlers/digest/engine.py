"""The daily digest (SPEC §8, §11): one short message per person, at their local morning.

A digest is made of sections, each registered for the roles it serves with `@section`; a
section yields `Line`s, each one item under a topic ("Today", "Due", "Waiting for your
decision"...). The items of a topic share one bullet line, joined with " · ", in the order
the sections come; a line may carry a row of buttons (the approval buttons, a check-in).
A topic shows `MAX_ITEMS` items and counts the rest ("+3 more"): a section whose items grow
with the company (the GM's team, the day's guests) reads only those and yields `More` with
the count (`DigestView.first`), so a digest costs the same in a company of any size.
A person with several roles gets every section of each in the one message, and no message
at all when nothing has anything to say.

Sections here (SPEC §8):
- salesperson: receptions today and tomorrow, today's planned visits, what is due (visit
  reports, next steps agreed at visits, close-outs, follow-up calls), clients past their
  visit frequency;
- anyone who may decide (approvers and their active delegates): pending approvals, with
  Approve / Reject / Ask for changes;
- manager: the team's guests today, the team's visits on the last working day, overdue visit
  reports, plan completion this month;
- admin office: open checklist items for receptions today and tomorrow;
- front desk: today's expected guests, each with a check-in button.
The visit rules themselves (deadlines, frequency, completion) are `handlers/visits/rules.py`.

The scheduler (`bot/scheduler.py`) makes one `digest.daily` reminder row per person and
local working day, due at the policy's digest time; the renderer below turns it into the
message, or drops it when empty or when its day has passed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, TypeVarTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from handlers.approval.deciding import decidable_by
from handlers.approval.subjects import SUBJECTS
from handlers.engine.context import translator_for, zone_of
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message
from handlers.reminders import ReminderView, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.visits import rules as visit_rules
from storage.models import (
    ApprovalStep,
    ChecklistItem,
    Client,
    Person,
    PlanEntry,
    Reception,
    Reminder,
    Visit,
    VisitPlan,
)

MAX_ITEMS = 6  # per topic; the rest are counted ("+3 more")
Ts = TypeVarTuple("Ts")
# Topics in the order a reader scans them: decisions first, their own day, then the team's.
TOPICS = (
    "approvals",
    "today",
    "tomorrow",
    "due",
    "overdue_clients",
    "arrivals",
    "team_visits",
    "overdue_reports",
    "plan",
    "prep_today",
    "prep_tomorrow",
    "guests",
)
KIND = "digest.daily"
MANAGERS = ("manager", "gm")


# ---------------------------------------------------------------------------- when


def digest_window(policy: Policy, tz: tzinfo, day: date) -> tuple[datetime, datetime]:
    """When `day`'s digest may go out in zone `tz`: from the digest time to the end of
    working hours (a bot that was down all morning still sends it; one down all day does
    not send a stale "good morning" at night)."""
    start = datetime.combine(day, policy.digest.time, tz)
    end_of_work = policy.working_days.day_end
    if end_of_work > policy.digest.time:
        return start, datetime.combine(day, end_of_work, tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


# ---------------------------------------------------------------------------- sections


@dataclass
class DigestView:
    """What a section reads: the reader, their language and zone, the moment and the day."""

    session: Session
    policy: Policy
    person: Person
    t: Translator
    tz: tzinfo
    now: datetime
    day: date

    def first(self, query: Select[*Ts], topic: str) -> tuple[list[tuple[*Ts]], list[More]]:
        """What a topic shows of `query` (ordered): its first `MAX_ITEMS` rows, and the
        number of the others, counted by the database (in the same statement) rather than
        read."""
        counted = query.add_columns(func.count().over()).limit(MAX_ITEMS)
        rows = self.session.execute(counted).all()
        rest = rows[0][-1] - len(rows) if rows else 0
        return [row[:-1] for row in rows], [More(topic, rest)] if rest else []

    def span(self, first: int = 0, days: int = 1) -> tuple[datetime, datetime]:
        """Local midnight `first` days from the digest's day, to `days` later."""
        start = datetime.combine(self.day + timedelta(days=first), time(0), self.tz)
        return start, start + timedelta(days=days)

    def when(self, moment: datetime, place: tzinfo | None = None) -> str:
        """A time of day; with the zone of where it happens, labelled in both where that
        clock differs from the reader's."""
        return self.t.time(moment, self.tz, place)

    def host_zone(self, timezone: str | None) -> ZoneInfo:
        """A reception's place, from its host's `Person.timezone` (None: the org's)."""
        return ZoneInfo(timezone or self.policy.org.default_timezone)


@dataclass(frozen=True)
class Line:
    """One item under a topic (catalog key `digest.topic.<topic>`), maybe with buttons."""

    topic: str
    item: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class More:
    """`n` items of a topic that a section counted but did not read, all coming after the
    `MAX_ITEMS` it did (`DigestView.first`)."""

    topic: str
    n: int


Section = Callable[[DigestView], Iterable[Line | More]]
SECTIONS: list[tuple[int, frozenset[str], Section]] = []


def section(*roles: str, order: int = 50) -> Callable[[Section], Section]:
    """Register a digest section for people with any of `roles` (none: everyone).

    `order` places it among the others (approvals 5, the reader's own day 10–35, the
    team's 40–46, the admin office's and front desk's 50); topics then read in `TOPICS`
    order, a topic no one listed there coming last.
    """

    def register(fn: Section) -> Section:
        SECTIONS.append((order, frozenset(roles), fn))
        SECTIONS.sort(key=lambda entry: entry[0])
        return fn

    return register


def build(
    session: Session, policy: Policy, person: Person, now: datetime, day: date
) -> Message | None:
    """The person's digest for `day`, or None when there is nothing to say."""
    t = translator_for(session, person, policy, now=now)
    view = DigestView(session, policy, person, t, zone_of(person, policy), now, day)
    topics: dict[str, list[Line]] = {}
    unread: Counter[str] = Counter()
    for _, roles, fn in SECTIONS:
        if roles and not roles & person.role_set:
            continue
        for line in fn(view):
            if isinstance(line, More):
                unread[line.topic] += line.n
            else:
                topics.setdefault(line.topic, []).append(line)
    if not topics:
        return None
    text = [t("digest.greeting", name=person.name, date=t.date(day))]
    buttons: list[tuple[Button, ...]] = []
    ranked = sorted(topics, key=lambda name: TOPICS.index(name) if name in TOPICS else len(TOPICS))
    for topic in ranked:
        lines = topics[topic]
        shown = [line.item for line in lines[:MAX_ITEMS]]
        hidden = len(lines) - MAX_ITEMS + unread[topic]
        if hidden > 0:
            shown.append(t("digest.more", n=hidden))
        text.append(t("digest.line", topic=t(f"digest.topic.{topic}"), items=" · ".join(shown)))
        buttons += [line.buttons for line in lines[:MAX_ITEMS] if line.buttons]
    return Message("\n".join(text), tuple(buttons))


@renders(KIND)
def _daily(view: ReminderView) -> Message | None:
    day = date.fromisoformat(view.reminder.detail["day"])
    start, end = digest_window(view.policy, view.tz, day)
    if not start <= view.now < end:
        return None  # its morning has passed (the bot was down): tomorrow's will do
    return build(view.session, view.policy, view.person, view.now, day)


# ---------------------------------------------------------------------------- salespeople


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
            Reception.state == "closed",
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


# ---------------------------------------------------------------------------- approvers


@section(order=5)
def pending_approvals(view: DigestView) -> Iterable[Line | More]:
    """Everything waiting for the reader's decision (theirs, or as an active delegate),
    with Approve / Reject / Ask for changes on each."""
    t = view.t
    steps, more = view.first(
        decidable_by(view.session, view.person, view.now).with_only_columns(
            ApprovalStep.id, ApprovalStep.subject, ApprovalStep.subject_id
        ),
        "approvals",
    )
    # Their receptions in one query rather than one each; held here, as the session's
    # identity map (where `SUBJECTS` finds them) keeps an object only while it is referenced.
    receptions = [number for _, kind, number in steps if kind == "reception"]
    if receptions:
        _held = view.session.scalars(select(Reception).where(Reception.id.in_(receptions))).all()
    for step, kind, number in steps:
        subject = SUBJECTS[kind]
        item = t(
            "digest.item.approval",
            title=subject.title(view.session, number, t),
            name=subject.requester(view.session, number).name,
        )
        tag = t(f"digest.tag.{kind}", id=number)  # 接待#1 and 计划#1 both have a #1
        yield Line(
            "approvals",
            item,
            (
                Button(t("digest.button.approve", tag=tag), f"apv:{step}:ok", "primary"),
                Button(t("digest.button.reject", tag=tag), f"apv:{step}:no", "danger"),
                Button(t("digest.button.changes", tag=tag), f"apv:{step}:chg"),
            ),
        )
    yield from more


def _guests(*columns: Any) -> Select[*tuple[Any, ...]]:
    """Receptions in arrival order, as the id, arrival time, client name and host's zone (for
    `DigestView.when`) the lines about guests show, then `columns` (the requester is
    `Person`): not whole receptions and all that their relationships load."""
    return (
        select(Reception.id, Reception.arrival_at, Client.name, Person.timezone, *columns)
        .join(Client, Client.id == Reception.client_id)
        .join(Person, Person.id == Reception.requester_id)
        .order_by(Reception.arrival_at, Reception.id)
    )


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
        _guests(Person.name).where(
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


# ---------------------------------------------------------------------------- admin office


@section("admin_office", order=50)
def open_checklists(view: DigestView) -> Iterable[Line | More]:
    """Approved receptions arriving today or tomorrow with items still to prepare."""
    yield from _checklists(view, 0, "prep_today")
    yield from _checklists(view, 1, "prep_tomorrow")


def _checklists(view: DigestView, day: int, topic: str) -> Iterator[Line | More]:
    t = view.t
    start, end = view.span(day)
    to_prepare = ChecklistItem.reception_id == Reception.id, ChecklistItem.done_at.is_(None)
    receptions, more = view.first(
        _guests().where(
            Reception.state == "approved",
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            select(ChecklistItem.id).where(*to_prepare).exists(),
        ),
        topic,
    )
    open_by_reception: dict[int, list[str]] = {}
    for reception_id, name in view.session.execute(  # one query, not one per reception
        select(ChecklistItem.reception_id, ChecklistItem.item)
        .where(
            ChecklistItem.reception_id.in_([number for number, *_ in receptions]),
            ChecklistItem.done_at.is_(None),
        )
        .order_by(ChecklistItem.id)
    ):
        open_by_reception.setdefault(reception_id, []).append(name)
    for number, arrival, client, zone in receptions:
        things = t("flow.list_sep").join(t(f"ck.item.{name}") for name in open_by_reception[number])
        yield Line(
            topic,
            t(
                "digest.item.checklist",
                id=number,
                client=client,
                time=view.when(arrival, view.host_zone(zone)),
                items=things,
            ),
        )
    yield from more


# ---------------------------------------------------------------------------- front desk


@section("front_desk", order=50)
def guests_today(view: DigestView) -> Iterable[Line | More]:
    """Today's expected guests, each with a check-in button."""
    t = view.t
    start, end = view.span(0)
    guests, more = view.first(
        _guests(Reception.visitors, Reception.answers, Person.name).where(
            Reception.state.in_(("approved", "closed")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            Reception.checked_in_at.is_(None),
        ),
        "guests",
    )
    for number, arrival, client, zone, visitors, answers, host in guests:
        yield Line(
            "guests",
            t(
                "digest.item.guest",
                time=view.when(arrival, view.host_zone(zone)),
                client=client,
                n=visitors,
                guest=answers.get("guest", ""),
                host=host,
            ),
            (Button(t("digest.button.check_in", client=client), f"in:{number}"),),
        )
    yield from more
