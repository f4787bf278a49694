"""`/plan` and the plan's buttons: show, add, remove, submit, withdraw."""

from __future__ import annotations

from sqlalchemy import update

from handlers.approval import chain as approval
from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.i18n import N_
from handlers.engine.messages import Button, action_id, rows
from handlers.engine.registry import Command, Feature
from handlers.text.months import Month, parse_month
from handlers.visits.plan import targets
from handlers.visits.plan.entry import FORM, touched
from handlers.visits.plan.months import (
    EDITABLE,
    SUBJECT,
    SUBMITTABLE,
    may_plan,
    month_key,
    month_label,
)
from handlers.visits.plan.view import entries_of, show
from handlers.visits.rules import plan_deadline_key, plan_of, report_key
from storage.models import PlanEntry, Reminder, VisitPlan

TARGET_WORDS = ("targets", "target", "目标")


def command(ctx: Ctx, argument: str) -> None:
    """`/plan` shows next month's plan; `/plan 2026-12` another month's; `/plan add` adds a
    visit to next month's; `/plan targets` sets its targets (new clients, deals); `/plan
    submit` sends it to the manager."""
    words = argument.split()
    action = words[0].lower() if words else ""
    today = ctx.local_now.date()
    following = Month.of(today).next
    next_month = following.year, following.month
    if action in ("add", "添加", "submit", "提交", *TARGET_WORDS):
        target = parse_month(" ".join(words[1:]), today, ahead=True) if words[1:] else None
        year, month = target or next_month
        if action in ("add", "添加"):
            _add(ctx, year, month)
            return
        if action in TARGET_WORDS:
            targets.start(ctx, year, month)
            return
        plan = plan_of(ctx.session, ctx.person.id, year, month)
        if plan is None or not plan.entries:
            ctx.say("plan.error.empty", month=month_label(ctx.t, year, month))
            return
        submit_plan(ctx, plan)
        return
    target = parse_month(argument, today, ahead=True) if action else next_month
    if target is None:
        ctx.say("plan.usage")
        return
    show(ctx, *target)


def _add(ctx: Ctx, year: int, month: int) -> None:
    if not may_plan(ctx, year, month):
        ctx.say("plan.error.month")
        return
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        ctx.say("plan.error.pending")
        return
    engine.start(ctx, FORM, prefill={"@month": month_key(year, month)})


def _own_plan(ctx: Ctx, plan_id: str) -> VisitPlan | None:
    plan = named_by(ctx.session, VisitPlan, [plan_id])
    if plan is None or plan.person_id != ctx.person.id:
        ctx.say("plan.not_yours")
        return None
    return plan


def press(ctx: Ctx, parts: list[str]) -> None:
    """`pl:add:<YYYY-MM>`, `pl:tgt:<YYYY-MM>`, `pl:show:<YYYY-MM|plan id>`, `pl:sub:<plan>`,
    `pl:wd:<plan>`, `pl:rm:<entry>` (`pl:rmok:<entry>` once confirmed) — each only on the
    person's own plan."""
    if len(parts) != 2:
        ctx.say("button.stale")
        return
    action, value = parts
    if action in ("add", "show", "tgt") and action_id(value) is None:
        target = parse_month(value, ctx.local_now.date(), ahead=True)
        if target is None:
            ctx.say("button.stale")
        elif action == "add":
            _add(ctx, *target)
        elif action == "tgt":
            targets.start(ctx, *target)
        else:
            show(ctx, *target)
        return
    if action in ("rm", "rmok"):
        _remove(ctx, value, confirmed=action == "rmok")
        return
    plan = _own_plan(ctx, value)
    if plan is None:
        return
    if action == "show":
        show(ctx, plan.year, plan.month)
    elif action == "sub":
        submit_plan(ctx, plan)
    elif action == "wd":
        withdraw(ctx, plan)
    else:
        ctx.say("button.stale")


def _remove(ctx: Ctx, entry_id: str, confirmed: bool) -> None:
    """Take a visit off the plan; off an approved plan (which must then be approved again)
    only once the person confirms."""
    entry = named_by(ctx.session, PlanEntry, [entry_id])
    if entry is None or entry.plan.person_id != ctx.person.id:
        ctx.say("plan.not_yours")
        return
    plan = entry.plan
    if plan.state not in EDITABLE:
        ctx.say("plan.error.pending")
        return
    if entry.visit_id is not None:
        ctx.say("plan.error.done")
        return
    if plan.state == "approved" and not confirmed:
        t = ctx.t
        n = entries_of(plan).index(entry) + 1
        what = t("plan.entry_short", date=t.date(entry.planned_on), client=entry.client.name)
        yes = Button(t("plan.remove_yes"), f"pl:rmok:{entry.id}", "danger")
        no = Button(t("plan.remove_no"), f"pl:show:{plan.id}")
        ctx.reply(t("plan.remove_confirm", n=n, what=what), rows(yes, no))
        return
    close_reminder(ctx, report_key(entry.id), "cancelled")
    plan.entries.remove(entry)
    ctx.session.flush()
    ctx.audit("plan.entry_remove", "visit_plan", plan.id, entry=int(entry_id))
    touched(ctx, plan)
    show(ctx, plan.year, plan.month)


def submit_plan(ctx: Ctx, plan: VisitPlan) -> None:
    """Send the plan to the manager; a plan sent back for changes goes in a new round."""
    if plan.state not in SUBMITTABLE:
        ctx.say("plan.error.state", state=ctx.t(f"plan.state.{plan.state}"))
        return
    if not plan.entries:
        ctx.say("plan.error.empty", month=month_label(ctx.t, plan.year, plan.month))
        return
    close_reminder(ctx, plan_deadline_key(plan.person_id, plan.year, plan.month), "cancelled")
    approval.submit(ctx, SUBJECT, plan, ["manager"], "visit_plan", entries=len(plan.entries))


def withdraw(ctx: Ctx, plan: VisitPlan) -> None:
    if plan.state != "pending":
        ctx.say("plan.error.state", state=ctx.t(f"plan.state.{plan.state}"))
        return
    plan.state = "draft"
    approval.cancel_round(ctx, SUBJECT, plan.id, plan.round)
    ctx.audit("plan.withdraw", "visit_plan", plan.id)
    ctx.say("plan.withdrawn", month=month_label(ctx.t, plan.year, plan.month))


def close_reminder(ctx: Ctx, key: str, state: str) -> None:
    """A reminder that no longer applies: cancelled if not yet sent, else done."""
    sent_state = "done" if state == "cancelled" else state
    for current, new in (("pending", state), ("sent", sent_state)):
        ctx.session.execute(
            update(Reminder)
            .where(Reminder.key == key, Reminder.state == current)
            .values(state=new)
            .execution_options(synchronize_session=False)
        )


FEATURE = Feature(
    commands=(
        Command(
            "plan",
            N_("help.plan"),
            command,
            frozenset({"sales"}),
            buttons=((N_("plan.submit"), "submit"), (N_("plan.add"), "add")),
            form=FORM.name,
        ),
    ),
    actions={"pl": press},
    forms=(FORM, targets.FORM),
)
