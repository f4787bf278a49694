"""The daily report (大客户拜访日报表, seed 003): at the end of visiting hours each salesperson
who visited gets the day's report drafted from their visits and check-ins — how many visits,
the problems solved and not solved (their 解决问题 visits, by outcome), who came along
(同行者), the expenses per item with the total — to correct and submit; the manager gets it
with Acknowledge / Comment (`review`), and a report missing shows in the manager's digest.

The draft is a form whose answers are filled in from the day (`draft_of`); what the day does
not tell is asked — always the expenses, item by item in one line ("交通 50 餐费 120", the
items from the policy) — and the summary then offers Submit, or Edit a field. A day's report
is submitted once (the table's unique key): a second Submit, from a second device or an old
draft, is told when.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Gone, Invalid, Step
from handlers.engine.i18n import N_, Translator, clipped
from handlers.engine.messages import Button, Message
from handlers.engine.registry import Command, Feature
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.visits import field_day, review
from storage.models import DailyReport, FieldCheckin, Person, Review, Visit

FORM_NAME = "daily"
KIND = "visit.daily_report"
DAY = "@day"
PROBLEM_LINE = 80  # characters of a visit's summary quoted as its problem
# "交通 50", "餐费:120.5", "taxi=30" — an item's name, then its amount.
_ITEM = re.compile(r"([^\d\s,,;;、·:=:.]+)\s*[:=:]?\s*(\d+(?:\.\d+)?)")


def report_key(person_id: int, day: date) -> str:
    return f"daily:{person_id}:{day.isoformat()}"


# ---------------------------------------------------------------------------- the day


def visits_of(session: Session, person_id: int, day: date) -> list[Visit]:
    return list(
        session.scalars(
            select(Visit)
            .where(Visit.person_id == person_id, Visit.visited_on == day)
            .order_by(Visit.id)
        )
    )


def _problems(t: Translator, visits: list[Visit], solved: bool) -> str | None:
    """The day's 解决问题 visits, solved (商谈成功) or not, as "client: what it was about"."""
    items = [
        t("daily.problem", client=v.client.name, text=clipped(v.summary, PROBLEM_LINE))
        for v in visits
        if v.kind == "problem" and (v.outcome == "won") == solved
    ]
    return t("flow.list_sep").join(items) or None


def draft_of(ctx: Ctx, day: date) -> Data:
    """The report's answers as the day's visits and check-ins give them; what they do not
    give (no problem solved at a visit, nobody along) is asked, since a call may have."""
    visits = visits_of(ctx.session, ctx.person.id, day)
    checkins = field_day.checkins_on(ctx.session, ctx.person.id, day, ctx.tz)
    companions = dict.fromkeys(c.companions for c in checkins if c.companions)
    drafted = {
        "solved": _problems(ctx.t, visits, solved=True),
        "unsolved": _problems(ctx.t, visits, solved=False),
        "companions": ctx.t("flow.list_sep").join(companions) or None,
    }
    return {DAY: day.isoformat()} | {k: v for k, v in drafted.items() if v is not None}


# ---------------------------------------------------------------------------- expenses


def item_label(t: Translator, item: str) -> str:
    key = f"field.expense.{item}"
    return t(key) if t.has(key) else item


def _item_named(t: Translator, items: tuple[str, ...], typed: str) -> str | None:
    word = typed.strip().lower()
    for item in items:
        key = f"field.expense.{item}"
        names = [
            item,
            item_label(t, item),
            *(t(f"{key}.also").split("|") if t.has(f"{key}.also") else []),
        ]
        if word in (name.lower() for name in names):
            return item
    return None


def read_expenses(t: Translator, policy: Policy, text: str) -> dict[str, Decimal]:
    """Items and amounts from one line; Invalid naming what is wrong."""
    items = policy.field.expense_items
    found: dict[str, Decimal] = {}
    for name, amount in _ITEM.findall(text):
        item = _item_named(t, items, name)
        if item is None:
            listed = t("flow.list_sep").join(item_label(t, i) for i in items)
            raise Invalid(N_("daily.error.item"), items=listed)
        try:
            value = Decimal(amount).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise Invalid(N_("daily.error.expenses")) from None
        if value > policy.field.expense_item_max:
            raise Invalid(N_("daily.error.too_much"), max=t.money(policy.field.expense_item_max))
        found[item] = found.get(item, Decimal(0)) + value
    if not found:
        raise Invalid(N_("daily.error.expenses"))
    return found


def _shown(t: Translator, found: dict[str, Decimal]) -> str:
    """The expenses as the person reads them back, and as the form keeps them."""
    return " · ".join(f"{item_label(t, item)} {t.number(amount)}" for item, amount in found.items())


def _read_expenses(ctx: Ctx, data: Data, text: str) -> str:
    return _shown(ctx.t, read_expenses(ctx.t, ctx.policy, text))


def _expense_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    items = ctx.t("flow.list_sep").join(
        item_label(ctx.t, i) for i in ctx.policy.field.expense_items
    )
    logged = ctx.session.scalar(
        select(func.sum(Visit.expenses)).where(
            Visit.person_id == ctx.person.id, Visit.visited_on == date.fromisoformat(data[DAY])
        )
    )
    return {"items": items, "logged": ctx.t.money(logged or 0)}


STEPS = (
    Step("solved", N_("daily.ask.solved"), optional=True, max_length=1000),
    Step("unsolved", N_("daily.ask.unsolved"), optional=True, max_length=1000),
    Step("companions", N_("daily.ask.companions"), optional=True, max_length=200),
    Step(
        "expenses",
        N_("daily.ask.expenses"),
        optional=True,
        max_length=500,
        read=_read_expenses,
        params=_expense_params,
    ),
)


# ---------------------------------------------------------------------------- the report


def content_of(ctx: Ctx, data: Data) -> dict[str, Any]:
    """What is submitted: the day's figures and the answers, amounts as strings."""
    day = date.fromisoformat(data[DAY])
    visits = visits_of(ctx.session, ctx.person.id, day)
    expenses = read_expenses(ctx.t, ctx.policy, data["expenses"]) if data.get("expenses") else {}
    return {
        "visits": len(visits),
        "clients": list(dict.fromkeys(v.client.name for v in visits)),
        "solved": data.get("solved"),
        "unsolved": data.get("unsolved"),
        "companions": data.get("companions"),
        "expenses": {item: str(amount) for item, amount in expenses.items()},
        "total": str(sum(expenses.values(), Decimal(0))),
    }


def report_text(t: Translator, name: str, day: date, content: dict[str, Any]) -> str:
    none = t("flow.none")
    lines = [t("daily.head", name=name, date=t.date(day))]
    clients = t("flow.list_sep").join(content["clients"]) or none
    lines.append(t("daily.line.visits", n=content["visits"], clients=clients))
    lines.append(t("daily.line.solved", text=content["solved"] or none))
    lines.append(t("daily.line.unsolved", text=content["unsolved"] or none))
    lines.append(t("daily.line.companions", names=content["companions"] or none))
    items = content["expenses"]
    shown = " · ".join(f"{item_label(t, i)} {t.money(Decimal(a))}" for i, a in items.items())
    lines.append(
        t("daily.line.expenses", items=shown or none, total=t.money(Decimal(content["total"])))
    )
    return "\n".join(lines)


def _summary(ctx: Ctx, data: Data) -> str:
    day = date.fromisoformat(data[DAY])
    return report_text(ctx.t, ctx.person.name, day, content_of(ctx, data))


def _not_submitted(ctx: Ctx, data: Data) -> None:
    done = _submitted(ctx.session, ctx.person.id, date.fromisoformat(data[DAY]))
    if done is not None:
        raise Gone(N_("daily.already"), at=ctx.t.datetime(done.submitted_at, ctx.tz))


def _submitted(session: Session, person_id: int, day: date) -> DailyReport | None:
    return session.scalars(
        select(DailyReport).where(DailyReport.person_id == person_id, DailyReport.day == day)
    ).first()


def _submit(ctx: Ctx, data: Data) -> None:
    _not_submitted(ctx, data)
    day = date.fromisoformat(data[DAY])
    content = content_of(ctx, data)
    report = DailyReport(person_id=ctx.person.id, day=day, content=content, submitted_at=ctx.now)
    try:
        with ctx.session.begin_nested():
            ctx.session.add(report)
            ctx.session.flush()
    except IntegrityError:  # submitted a moment ago from another device
        _not_submitted(ctx, data)
        raise
    ctx.audit("daily.submit", "daily_report", report.id, day=day.isoformat())
    name = ctx.person.name
    reviewer = review.request(
        ctx, "daily", report.id, lambda t, tz: report_text(t, name, day, content)
    )
    ctx.say("daily.submitted", date=ctx.t.date(day))
    if reviewer is not None:
        ctx.say("review.sent", name=reviewer.name)


FORM = Form(FORM_NAME, N_("daily.title"), STEPS, _summary, _submit, still_open=_not_submitted)


@review.describes("daily")
def _described(ctx: Ctx, item: Review) -> review.ReportText | None:
    report = ctx.session.get(DailyReport, item.subject_id)
    if report is None:
        return None
    name, day, content = report.person.name, report.day, report.content
    return lambda t, tz: report_text(t, name, day, content)


# ---------------------------------------------------------------------------- starting


def start_for(ctx: Ctx, day: date) -> None:
    done = _submitted(ctx.session, ctx.person.id, day)
    if done is not None:
        ctx.say("daily.already", at=ctx.t.datetime(done.submitted_at, ctx.tz))
        return
    engine.start(ctx, FORM, prefill=draft_of(ctx, day))


def daily_command(ctx: Ctx, argument: str) -> None:
    """`/daily`: today's report, drafted from today's visits."""
    start_for(ctx, ctx.local_now.date())


def press(ctx: Ctx, parts: list[str]) -> None:
    """`dy:<YYYY-MM-DD>` — the reminder's button: that day's report."""
    try:
        day = date.fromisoformat(parts[0]) if len(parts) == 1 else None
    except ValueError:
        day = None
    if day is None or day > ctx.local_now.date():
        ctx.say("button.stale")
        return
    start_for(ctx, day)


# ---------------------------------------------------------------------------- the reminder


def reminder_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """One "your daily report" row per salesperson who visited or checked in today, due at
    the end of visiting hours on their clock, until the report is in. Read in three queries
    whatever the company's size: the scheduler plans every half minute."""
    recent = now - timedelta(days=2)
    out: set[tuple[int, date]] = set(
        session.execute(
            select(Visit.person_id, Visit.visited_on).where(Visit.visited_on >= recent.date())
        ).tuples()
    )
    arrivals = session.execute(
        select(FieldCheckin.person_id, FieldCheckin.at).where(FieldCheckin.at >= recent)
    ).tuples()
    checked_in: dict[int, list[datetime]] = {}
    for person_id, at in arrivals:
        checked_in.setdefault(person_id, []).append(at)
    ids = {person_id for person_id, _ in out} | set(checked_in)
    sent = set(
        session.execute(
            select(DailyReport.person_id, DailyReport.day).where(
                DailyReport.person_id.in_(ids), DailyReport.day >= recent.date()
            )
        ).tuples()
    )
    rows = []
    for person in session.scalars(
        select(Person).where(Person.id.in_(ids), Person.active.is_(True)).order_by(Person.id)
    ):
        tz = zone_of(person, policy)
        day = now.astimezone(tz).date()
        due = datetime.combine(day, policy.field.visiting_end, tz)
        was_out = (person.id, day) in out or any(
            at.astimezone(tz).date() == day for at in checked_in.get(person.id, [])
        )
        if now < due or not was_out or (person.id, day) in sent:
            continue
        detail = {"day": day.isoformat()}
        rows.append(reminder_row(report_key(person.id, day), person.id, KIND, due, detail, "daily"))
    return rows


@renders(KIND)
def _remind(view: ReminderView) -> Message | None:
    day = date.fromisoformat(view.reminder.detail["day"])
    if _submitted(view.session, view.person.id, day) is not None:
        return None
    t = view.t
    count = len(visits_of(view.session, view.person.id, day))
    text = t("daily.remind", date=t.date(day), n=count)
    return reminder_message(
        view, text, (Button(t("daily.open"), f"dy:{day.isoformat()}", "primary"),)
    )


def missing_on(session: Session, person_ids: list[int], day: date) -> set[int]:
    """Those of `person_ids` who were out that day (a visit logged) and sent no report."""
    out = set(
        session.scalars(
            select(Visit.person_id).where(Visit.person_id.in_(person_ids), Visit.visited_on == day)
        )
    )
    sent = set(
        session.scalars(
            select(DailyReport.person_id).where(
                DailyReport.person_id.in_(person_ids), DailyReport.day == day
            )
        )
    )
    return out - sent


def previous_working_day(policy: Policy, day: date) -> date:
    return WorkCalendar.for_policy(policy).add_working_days(day, -1)


FEATURE = Feature(
    commands=(Command("daily", N_("help.daily"), daily_command, frozenset({"sales"})),),
    actions={"dy": press},
    forms=(FORM,),
)
