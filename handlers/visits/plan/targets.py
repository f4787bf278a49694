"""The month's targets filed with the plan (seed 003: 本月最后一个工作日上报次月拓展、成交工作
计划): one number for each assessment item counted against a target (`TARGETED` sources the
policy's `[assessment]` lists), asked by `/plan targets` or the plan's button."""

from __future__ import annotations

from decimal import Decimal

from handlers.engine.context import Ctx
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Invalid, Kind, Step
from handlers.engine.i18n import N_
from handlers.rules.policy.service import TARGETED
from handlers.visits.assessment import item_name
from handlers.visits.plan.entry import touched
from handlers.visits.plan.months import may_plan, month_key, month_label, target_month, targeted
from handlers.visits.plan.view import show
from handlers.visits.rules import plan_of
from storage.models import VisitPlan

FORM_NAME = "pltgt"
MOST = Decimal(1000)  # more new clients or deals than this in a month is a typo


def _asks(source: str) -> Step:
    return Step(
        source,
        N_(f"plan.ask.target.{source}"),
        Kind.NUMBER,
        minimum=Decimal(0),
        maximum=MOST,
        when=lambda ctx, data: source in targeted(ctx.policy),
        params=lambda ctx, data: {
            "month": month_label(ctx.t, *target_month(ctx, data)),
            "item": item_name(ctx.t, targeted(ctx.policy)[source]),
        },
    )


def _summary(ctx: Ctx, data: Data) -> str:
    return ""


def _submit(ctx: Ctx, data: Data) -> None:
    year, month = target_month(ctx, data)
    if not may_plan(ctx, year, month):
        raise Invalid(N_("plan.error.month"))
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        raise Invalid(N_("plan.error.pending"))
    if plan is None:
        plan = VisitPlan(person_id=ctx.person.id, year=year, month=month, created_at=ctx.now)
        plan.state, plan.round = "draft", 0
        ctx.session.add(plan)
    chosen = {source: int(data[source]) for source in targeted(ctx.policy) if source in data}
    plan.targets = {**(plan.targets or {}), **chosen}
    ctx.session.flush()
    ctx.audit("plan.targets", "visit_plan", plan.id, **chosen)
    touched(ctx, plan)
    show(ctx, year, month)


FORM = Form(
    FORM_NAME,
    N_("plan.targets_title"),
    tuple(_asks(source) for source in TARGETED),
    _summary,
    _submit,
    confirm=False,
)


def start(ctx: Ctx, year: int, month: int) -> None:
    if not targeted(ctx.policy):
        ctx.say("plan.no_targets")
        return
    if not may_plan(ctx, year, month):
        ctx.say("plan.error.month")
        return
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        ctx.say("plan.error.pending")
        return
    engine.start(ctx, FORM, prefill={"@month": month_key(year, month)})
