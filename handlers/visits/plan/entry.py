"""Adding a planned visit (`/plan add`): client, day, purpose, time and expected outcome
(seed 001 拜望打算书; seed 003 联系计划表)."""

from __future__ import annotations

from datetime import date

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Invalid, Kind, Step
from handlers.engine.i18n import N_
from handlers.org.clients import REGION_STEP, client_choices, client_label
from handlers.visits import form as visit
from handlers.visits.plan.months import FORM_NAME, may_plan, month_label, purpose_text, target_month
from handlers.visits.plan.view import show
from handlers.visits.rules import plan_of
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
    Step(
        "purpose",
        N_("plan.ask.purpose"),
        Kind.CHOICE,
        visit.purpose_choices,
        allow_other=True,
        max_length=100,
    ),
)


def _entry_summary(ctx: Ctx, data: Data) -> str:
    t = ctx.t
    line = t(
        "plan.entry",
        date=t.date(date.fromisoformat(data["date"])),
        client=client_label(ctx, data),
        purpose=purpose_text(t, data["purpose"]),
    )
    return t("plan.entry_summary", entry=line)


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
        client_id=client.id, planned_on=day, purpose=data["purpose"], created_at=ctx.now
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
