"""The plan as an approval subject: the manager's card, and what a decision does."""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.approval.subjects import Subject, register
from handlers.engine.context import Ctx, zone_of
from handlers.engine.i18n import N_, Translator
from handlers.org.clients import may_see_work_of
from handlers.reception.card import chain_line
from handlers.rules.policy.schema import Policy
from handlers.visits.plan.months import SUBJECT, deadline, month_label, targets_line
from handlers.visits.plan.reminders import schedule_report_reminders
from handlers.visits.plan.view import manager_note, plan_lines
from storage.models import ApprovalStep, Person, VisitPlan


def _plan(session: Session, plan_id: int) -> VisitPlan:
    plan = session.get(VisitPlan, plan_id)
    assert plan is not None
    return plan


def _requester(session: Session, plan_id: int) -> Person:
    return _plan(session, plan_id).person


def title(session: Session, plan_id: int, t: Translator) -> str:
    plan = _plan(session, plan_id)
    return t("plan.title_of", name=plan.person.name, month=month_label(t, plan.year, plan.month))


def card(
    session: Session,
    policy: Policy,
    plan_id: int,
    steps: list[ApprovalStep],
    t: Translator,
    tz: tzinfo,
) -> str:
    """The manager's card: who, which month, every planned visit, lateness, the chain."""
    plan = _plan(session, plan_id)
    person = plan.person
    head = t(
        "plan.card.title",
        name=person.name,
        department=person.department,
        month=month_label(t, plan.year, plan.month),
        n=len(plan.entries),
    )
    if plan.round > 1:
        head += t("rcp.card.resubmitted", round=plan.round)
    lines = [head, *plan_lines(t, plan)]
    goals = targets_line(t, policy, plan)
    if goals:
        lines.append(goals)
    note = manager_note(session, plan, t, plan.round - 1)
    if note:
        lines.append(note)  # the round before's: what the manager asked for
    due = deadline(policy, plan.year, plan.month)
    if plan.submitted_at is not None:
        submitted = plan.submitted_at.astimezone(zone_of(person, policy)).date()
        if submitted > due:
            lines.append(t("plan.card.late", date=t.date(due)))
    lines.append(chain_line(steps, t))
    return "\n".join(lines)


def _concluded(ctx: Ctx, plan_id: int, outcome: str, note: str) -> None:
    plan = _plan(ctx.session, plan_id)
    plan.state = outcome
    plan.decided_at = ctx.now
    if outcome == "approved":
        schedule_report_reminders(ctx.session, ctx.policy, plan, ctx.now)


def _round(session: Session, plan_id: int) -> int:
    plan = session.get(VisitPlan, plan_id)
    return plan.round if plan else 0


register(
    Subject(
        SUBJECT,
        _requester,
        title,
        card,
        _concluded,
        _round,
        lambda person_id: select(VisitPlan.id).where(VisitPlan.person_id == person_id),
        lambda session, plan_id, reader: may_see_work_of(
            session, reader, _requester(session, plan_id)
        ),
        resubmit=(N_("plan.edit_resubmit"), "pl:show:{id}"),
    )
)
