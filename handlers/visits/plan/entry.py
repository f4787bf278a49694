"""Adding a planned visit (`/plan add`): client, day, purpose, time and expected outcome
(seed 001 拜望打算书; seed 003 联系计划表)."""

from __future__ import annotations

from datetime import date, datetime, time

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Choice, Data, Form, Invalid, Kind, Step
from handlers.engine.i18n import N_
from handlers.org.clients import REGION_STEP, client_choices, client_label
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from handlers.visits import form as visit
from handlers.visits.plan.months import (
    FORM_NAME,
    entry_line,
    may_plan,
    month_label,
    target_month,
)
from handlers.visits.plan.view import show
from handlers.visits.rules import OUTCOMES, plan_of
from storage.models import PlanEntry, VisitPlan


def _month_params(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"month": month_label(ctx.t, *target_month(ctx, data))}


def _in_month(ctx: Ctx, data: Data, value: str) -> None:
    day = date.fromisoformat(value)
    year, month = target_month(ctx, data)
    if (day.year, day.month) != (year, month):
        raise Invalid(N_("plan.error.not_in_month"), month=month_label(ctx.t, year, month))
    if day < ctx.local_now.date():
        raise Invalid(N_("plan.error.past"), date=ctx.t.date(day))


def _read_time(ctx: Ctx, data: Data, text: str) -> str:
    """A time of day on the planned day ("10:00", "下午3点", "3pm"), kept as HH:MM."""
    day = date.fromisoformat(data["date"])
    try:
        when = parse_when(text, datetime.combine(day, time(0), ctx.tz), ctx.t.lang)
    except DateNotUnderstood:
        raise Invalid(N_("plan.error.time")) from None
    if not when.has_time:
        raise Invalid(N_("plan.error.time"))
    return f"{when.value:%H:%M}"


def _outcome_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(o, f"visit.outcome.{o}") for o in OUTCOMES]


STEPS = (
    Step(
        "client",
        N_("plan.ask.client"),
        Kind.CHOICE,
        client_choices,
        read=visit.read_client,
        params=_month_params,
    ),
    REGION_STEP,
    Step("date", N_("plan.ask.date"), Kind.DATE, check=_in_month, params=_month_params),
    Step("time", N_("plan.ask.time"), optional=True, read=_read_time),
    Step(
        "purpose",
        N_("plan.ask.purpose"),
        Kind.CHOICE,
        visit.purpose_choices,
        allow_other=True,
        max_length=100,
    ),
    Step("expected", N_("plan.ask.expected"), Kind.CHOICE, _outcome_choices, optional=True),
)


def _entry_summary(ctx: Ctx, data: Data) -> str:
    t = ctx.t
    line = entry_line(
        t,
        date.fromisoformat(data["date"]),
        client_label(ctx, data),
        data["purpose"],
        _time_of(data),
        data.get("expected"),
    )
    return t("plan.entry_summary", entry=line)


def _time_of(data: Data) -> time | None:
    return time.fromisoformat(data["time"]) if data.get("time") else None


def _entry_submit(ctx: Ctx, data: Data) -> None:
    """Add the entry to the person's plan for its month, then show that plan."""
    year, month = target_month(ctx, data)
    if not may_plan(ctx, year, month):
        raise Invalid(N_("plan.error.month"))
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        raise Invalid(N_("plan.error.pending"))
    client = visit.client_for(ctx, data)
    day = date.fromisoformat(data["date"])
    if plan is None:
        plan = VisitPlan(person_id=ctx.person.id, year=year, month=month, created_at=ctx.now)
        plan.state, plan.round = "draft", 0
        ctx.session.add(plan)
        ctx.session.flush()
    if any(e.client_id == client.id and e.planned_on == day for e in plan.entries):
        raise Invalid(N_("plan.error.duplicate"))
    entry = PlanEntry(
        client_id=client.id,
        planned_on=day,
        purpose=data["purpose"],
        planned_time=_time_of(data),
        expected_outcome=data.get("expected"),
        created_at=ctx.now,
    )
    plan.entries.append(entry)
    ctx.session.flush()
    ctx.audit("plan.entry_add", "visit_plan", plan.id, entry=entry.id)
    touched(ctx, plan)
    show(ctx, plan.year, plan.month)


def touched(ctx: Ctx, plan: VisitPlan) -> None:
    """An approved plan that changes must be approved again."""
    if plan.state == "approved":
        plan.state = "draft"
        ctx.audit("plan.reopen", "visit_plan", plan.id)
        ctx.say("plan.reopened")


FORM = Form(FORM_NAME, N_("plan.title"), STEPS, _entry_summary, _entry_submit, confirm=False)
