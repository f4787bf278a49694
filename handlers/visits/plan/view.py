"""A plan as its owner sees it, with what they can do with it now."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, rows
from handlers.visits.plan.months import (
    EDITABLE,
    SENT_BACK,
    SUBJECT,
    SUBMITTABLE,
    deadline,
    entry_line,
    may_plan,
    month_key,
    month_label,
    targeted,
    targets_line,
)
from handlers.visits.rules import plan_of
from storage.models import ApprovalStep, PlanEntry, VisitPlan


def entries_of(plan: VisitPlan) -> list[PlanEntry]:
    """In date order, as numbered on screen (a just-added entry is last in the collection)."""
    return sorted(plan.entries, key=lambda e: (e.planned_on, e.id))


def plan_lines(t: Translator, plan: VisitPlan) -> list[str]:
    lines = []
    for number, entry in enumerate(entries_of(plan), start=1):
        line = entry_line(
            t,
            entry.planned_on,
            entry.client.name,
            entry.purpose,
            entry.planned_time,
            entry.expected_outcome,
        )
        lines.append(f"{number}. {line}" + (" ✅" if entry.visit_id else ""))
    return lines


def manager_note(session: Session, plan: VisitPlan, t: Translator, round_: int) -> str | None:
    """The note a decision of that round left (what to change, why rejected), by whom."""
    step = session.scalars(
        select(ApprovalStep)
        .where(
            ApprovalStep.subject == SUBJECT,
            ApprovalStep.subject_id == plan.id,
            ApprovalStep.round == round_,
            ApprovalStep.state.in_(("changes", "rejected")),
        )
        .limit(1)
    ).first()
    if step is None or step.decided_by is None:
        return None
    mark = "❌" if step.state == "rejected" else "↩"
    return t("plan.note", mark=mark, name=step.decided_by.name, note=step.note)


def plan_is_open(plan: VisitPlan | None) -> bool:
    """No plan yet, or one its owner may still change."""
    return plan is None or plan.state in EDITABLE


def show(ctx: Ctx, year: int, month: int) -> None:
    """The person's plan for a month, with what they can do with it now."""
    t = ctx.t
    label = month_label(t, year, month)
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    can_add = may_plan(ctx, year, month)
    add = Button(t("plan.add"), f"pl:add:{month_key(year, month)}", "primary")
    goals = Button(t("plan.set_targets"), f"pl:tgt:{month_key(year, month)}")
    with_goals = (add, goals) if targeted(ctx.policy) else (add,)
    goals_line = targets_line(t, ctx.policy, plan) if plan is not None else None
    if plan is None or not plan.entries:
        text = "\n".join([t("plan.empty", month=label), *([goals_line] if goals_line else [])])
        ctx.reply(text, rows(*with_goals) if can_add and plan_is_open(plan) else ())
        return
    head = t("plan.view", month=label, state=t(f"plan.state.{plan.state}"), n=len(plan.entries))
    lines = [head, *plan_lines(t, plan)]
    if goals_line:
        lines.append(goals_line)
    note = manager_note(ctx.session, plan, t, plan.round) if plan.state in SENT_BACK else None
    if note:
        lines.append(note)
    if plan.state in SUBMITTABLE:
        due = deadline(ctx.policy, year, month)
        key = "plan.deadline_line" if ctx.local_now.date() <= due else "plan.deadline_passed"
        lines.append(t(key, date=t.date(due)))
    buttons: list[Button] = []
    if plan.state in EDITABLE and can_add:
        buttons += with_goals
    if plan.state in SUBMITTABLE:
        buttons.append(Button(t("plan.submit"), f"pl:sub:{plan.id}", "primary"))
    if plan.state == "pending":
        buttons.append(Button(t("plan.withdraw"), f"pl:wd:{plan.id}", "danger"))
    layout = rows(*buttons, per_row=3)
    if plan.state in EDITABLE:
        removable = [
            Button(t("plan.remove", n=n), f"pl:rm:{e.id}")
            for n, e in enumerate(entries_of(plan), start=1)
            if e.visit_id is None
        ]
        layout += rows(*removable, per_row=4)
    ctx.reply("\n".join(lines), layout)
