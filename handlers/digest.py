"""The daily digest (SPEC §8, §11): one short message per person, at their local morning.

A digest is made of sections, each registered for the roles it serves with `@section`; a
section yields `Line`s, each one item under a topic ("Today", "Due", "Waiting for your
decision"...). The items of a topic share one bullet line, joined with " · ", in the order
the sections come; a line may carry a row of buttons (the approval buttons, a check-in).
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
The visit rules themselves (deadlines, frequency, completion) are `handlers/visit_rules.py`.

The scheduler (`bot/scheduler.py`) makes one `digest.daily` reminder row per person and
local working day, due at the policy's digest time; the renderer below turns it into the
message, or drops it when empty or when its day has passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import visit_rules
from handlers.approval import SUBJECTS, may_decide
from handlers.context import Ctx, translator_for, zone_of
from handlers.i18n import Translator
from handlers.messages import Button, Message
from handlers.policy import Policy
from handlers.reminders import ReminderView, renders
from handlers.workdays import WorkCalendar
from storage.models import ApprovalStep, ChecklistItem, Person, Reception, Reminder, Visit

MAX_ITEMS = 6  # per topic; the rest are counted ("+3 more")
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

    @cached_property
    def ctx(self) -> Ctx:
        """A context for the reader, to reuse the features' checks (who may decide)."""
        return Ctx(self.session, self.person, self.policy, self.now, "scheduler")

    @cached_property
    def team(self) -> list[Person]:
        """Everyone below the reader in the org chart (reports, their reports...)."""
        people = list(self.session.scalars(select(Person).where(Person.active.is_(True))))
        below: list[Person] = []
        bosses = {self.person.id}
        while True:
            found = [p for p in people if p.manager_id in bosses and p not in below]
            found = [p for p in found if p.id != self.person.id]
            if not found:
                return sorted(below, key=lambda p: p.id)
            below += found
            bosses = {p.id for p in found}

    def span(self, first: int = 0, days: int = 1) -> tuple[datetime, datetime]:
        """Local midnight `first` days from the digest's day, to `days` later."""
        start = datetime.combine(self.day + timedelta(days=first), time(0), self.tz)
        return start, start + timedelta(days=days)

    def when(self, moment: datetime) -> str:
        return self.t.time(moment, self.tz)


@dataclass(frozen=True)
class Line:
    """One item under a topic (catalog key `digest.topic.<topic>`), maybe with buttons."""

    topic: str
    item: str
    buttons: tuple[Button, ...] = ()


Section = Callable[[DigestView], Iterable[Line]]
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
    t = translator_for(session, person, policy)
    view = DigestView(session, policy, person, t, zone_of(person, policy), now, day)
    topics: dict[str, list[Line]] = {}
    for _, roles, fn in SECTIONS:
        if roles and not roles & person.role_set:
            continue
        for line in fn(view):
            topics.setdefault(line.topic, []).append(line)
    if not topics:
        return None
    text = [t("digest.greeting", name=person.name, date=t.date(day))]
    buttons: list[tuple[Button, ...]] = []
    ranked = sorted(topics, key=lambda name: TOPICS.index(name) if name in TOPICS else len(TOPICS))
    for topic in ranked:
        lines = topics[topic]
        shown = [line.item for line in lines[:MAX_ITEMS]]
        if len(lines) > MAX_ITEMS:
            shown.append(t("digest.more", n=len(lines) - MAX_ITEMS))
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
    end_of_day = view.span(0)[1]
    steps = view.session.scalars(
        select(Visit)
        .join(
            Reminder,
            (Reminder.kind == "visit.next_step")
            & (Reminder.subject == "visit")
            & (Reminder.subject_id == Visit.id),
        )
        .where(
            Reminder.person_id == view.person.id,
            Reminder.state.in_(("pending", "sent")),
            Reminder.due_at < end_of_day,
        )
        .order_by(Reminder.due_at)
    )
    for visit in steps:
        yield Line(
            "due", t("digest.item.next_step", step=visit.next_step or "", client=visit.client.name)
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
    end_of_day = view.span(0)[1]
    calls = view.session.scalars(
        select(Reception)
        .join(
            Reminder,
            (Reminder.kind == "reception.followup")
            & (Reminder.subject == "reception")
            & (Reminder.subject_id == Reception.id),
        )
        .where(
            Reception.requester_id == view.person.id,
            Reception.state == "closed",
            Reception.follow_up.is_(None),
            Reminder.state.in_(("pending", "sent")),
            Reminder.due_at < end_of_day,
        )
        .order_by(Reminder.due_at)
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
def pending_approvals(view: DigestView) -> Iterable[Line]:
    """Everything waiting for the reader's decision (theirs, or as an active delegate),
    with Approve / Reject / Ask for changes on each."""
    t = view.t
    # Only the reader's steps and those of whoever delegated to them (not every pending step
    # of the company), and their receptions in one query rather than one each.
    me = view.person.id
    deputy_for = select(Person.id).where(Person.delegate_id == me, Person.delegate_until > view.now)
    steps = view.session.scalars(
        select(ApprovalStep)
        .where(
            ApprovalStep.state == "pending",
            (ApprovalStep.approver_id == me) | ApprovalStep.approver_id.in_(deputy_for),
        )
        .order_by(ApprovalStep.opened_at, ApprovalStep.id)
    ).all()
    receptions = [s.subject_id for s in steps if s.subject == "reception"]
    if receptions:
        view.session.scalars(select(Reception).where(Reception.id.in_(receptions))).all()
    for step in steps:
        if not may_decide(view.ctx, step):
            continue
        subject = SUBJECTS[step.subject]
        requester = subject.requester(view.session, step.subject_id)
        item = t(
            "digest.item.approval",
            title=subject.title(view.session, step.subject_id, t),
            name=requester.name,
        )
        tag = f"#{step.subject_id}"
        yield Line(
            "approvals",
            item,
            (
                Button(t("digest.button.approve", tag=tag), f"apv:{step.id}:ok", "primary"),
                Button(t("digest.button.reject", tag=tag), f"apv:{step.id}:no", "danger"),
                Button(t("digest.button.changes", tag=tag), f"apv:{step.id}:chg"),
            ),
        )


@section(*MANAGERS, order=40)
def team_arrivals(view: DigestView) -> Iterable[Line]:
    """Guests the reader's team receives today."""
    team = [p.id for p in view.team]
    if not team:
        return
    start, end = view.span(0)
    items = view.session.scalars(
        select(Reception)
        .where(
            Reception.requester_id.in_(team),
            Reception.state.in_(("pending", "approved")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
        )
        .order_by(Reception.arrival_at)
    )
    for item in items:
        yield Line(
            "arrivals",
            view.t(
                "digest.item.arrival",
                time=view.when(item.arrival_at),
                client=item.client.name,
                name=item.requester.name,
                id=item.id,
            ),
        )


@section(*MANAGERS, order=42)
def team_visits_last_working_day(view: DigestView) -> Iterable[Line]:
    """Visits the team logged for the last working day (and any weekend after it)."""
    team = [p.id for p in visit_rules.team(view.session, view.person)]
    since = WorkCalendar.for_policy(view.policy).add_working_days(view.day, -1)
    until = view.day - timedelta(days=1)
    for visit in visit_rules.visits_between(view.session, team, since, until):
        yield Line(
            "team_visits",
            view.t(
                "digest.item.team_visit",
                name=visit.person.name,
                client=visit.client.name,
                outcome=view.t(f"visit.outcome.{visit.outcome}"),
            ),
        )


@section(*MANAGERS, order=44)
def team_overdue_reports(view: DigestView) -> Iterable[Line]:
    """Planned visits of the team whose report is past its deadline."""
    t = view.t
    for due in visit_rules.team_overdue_reports(view.session, view.policy, view.person, view.day):
        yield Line(
            "overdue_reports",
            t(
                "digest.item.overdue_report",
                name=due.person.name,
                client=due.client.name,
                date=t.date(due.entry.planned_on),
            ),
        )


@section(*MANAGERS, order=46)
def plan_completion(view: DigestView) -> Iterable[Line]:
    """This month's planned visits done, per salesperson with a filed plan."""
    t = view.t
    scores = visit_rules.team_completion(view.session, view.person, view.day.year, view.day.month)
    for score in scores:
        if not score.planned:
            continue
        yield Line(
            "plan",
            t(
                "digest.item.completion",
                name=score.person.name,
                done=score.done,
                planned=score.planned,
                rate=score.rate,
            ),
        )


# ---------------------------------------------------------------------------- admin office


@section("admin_office", order=50)
def open_checklists(view: DigestView) -> Iterable[Line]:
    """Approved receptions arriving today or tomorrow with items still to prepare."""
    t = view.t
    start, end = view.span(0, 2)
    tomorrow = view.span(1)[0]
    items = view.session.scalars(
        select(Reception)
        .where(
            Reception.state == "approved",
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
        )
        .order_by(Reception.arrival_at)
    ).all()
    open_by_reception: dict[int, list[str]] = {}
    for reception_id, name in view.session.execute(  # one query, not one per reception
        select(ChecklistItem.reception_id, ChecklistItem.item)
        .where(
            ChecklistItem.reception_id.in_([item.id for item in items]),
            ChecklistItem.done_at.is_(None),
        )
        .order_by(ChecklistItem.id)
    ):
        open_by_reception.setdefault(reception_id, []).append(name)
    for item in items:
        open_items = open_by_reception.get(item.id, [])
        if not open_items:
            continue
        topic = "prep_today" if item.arrival_at < tomorrow else "prep_tomorrow"
        things = t("flow.list_sep").join(t(f"ck.item.{name}") for name in open_items)
        yield Line(
            topic,
            t(
                "digest.item.checklist",
                id=item.id,
                client=item.client.name,
                time=view.when(item.arrival_at),
                items=things,
            ),
        )


# ---------------------------------------------------------------------------- front desk


@section("front_desk", order=50)
def guests_today(view: DigestView) -> Iterable[Line]:
    """Today's expected guests, each with a check-in button."""
    t = view.t
    start, end = view.span(0)
    items = view.session.scalars(
        select(Reception)
        .where(
            Reception.state.in_(("approved", "closed")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            Reception.checked_in_at.is_(None),
        )
        .order_by(Reception.arrival_at)
    )
    for item in items:
        yield Line(
            "guests",
            t(
                "digest.item.guest",
                time=view.when(item.arrival_at),
                client=item.client.name,
                n=item.visitors,
                guest=item.answers.get("guest", ""),
                host=item.requester.name,
            ),
            (Button(t("digest.button.check_in", client=item.client.name), f"in:{item.id}"),),
        )
