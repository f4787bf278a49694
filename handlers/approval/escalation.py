"""A step's reminders: to its approver, and the escalation to the nearest above them."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from handlers.approval.subjects import SUBJECTS, requester_of
from handlers.engine.context import Ctx, zone_of
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import ApprovalStep, Person, Reminder


def schedule_reminders(ctx: Ctx, step: ApprovalStep) -> None:
    """A reminder to the approver after the policy's working hours, and after twice that
    one up the approver's chain too: to the nearest above them who may read the request
    (finance's own manager may not see a salesperson's client; SPEC §2). The hours are the
    approver's, in their own zone: a request sent at their evening waits for their morning,
    wherever the org's office is."""
    calendar = approvers_hours(ctx.policy, step)
    hours = ctx.policy.approval
    local = ctx.now.astimezone(calendar.tz)
    plan = [("approval.remind", step.approver, hours.remind_after_working_hours)]
    above = escalation_to(ctx.session, step)
    if above is not None:
        plan.append(("approval.escalate", above, hours.escalate_after_working_hours))
    for kind, person, after in plan:
        ctx.session.add(
            Reminder(
                key=f"{kind}:{step.id}:{step.approver_id}",  # again when it moves
                person_id=person.id,
                kind=kind,
                subject="approval_step",
                subject_id=step.id,
                due_at=calendar.add_working_hours(local, after),
                created_at=ctx.now,
            )
        )


def escalation_to(session: Session, step: ApprovalStep) -> Person | None:
    """The nearest active person above the approver who may read the request and did not
    file it; None when the chain has nobody such."""
    requester = requester_of(session, step)
    seen = {step.approver_id}
    boss = step.approver.manager
    while boss is not None and boss.id not in seen:
        if boss.active and boss.id != requester.id and may_read(session, step, boss):
            return boss
        seen.add(boss.id)
        boss = boss.manager
    return None


def may_read(session: Session, step: ApprovalStep, person: Person) -> bool:
    return SUBJECTS[step.subject].readable_by(session, step.subject_id, person)


def approvers_hours(policy: Policy, step: ApprovalStep) -> WorkCalendar:
    return WorkCalendar.for_policy(policy, zone_of(step.approver, policy))


def cancel_reminders(ctx: Ctx, step: ApprovalStep) -> None:
    ctx.session.execute(
        update(Reminder)
        .where(
            Reminder.subject == "approval_step",
            Reminder.subject_id == step.id,
            Reminder.state == "pending",
        )
        .values(state="cancelled")
    )
