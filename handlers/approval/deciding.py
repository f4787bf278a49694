"""Deciding a step (SPEC §5): who may, and the one decision taken.

The step's approver (or their active delegate) decides once — the decision is an UPDATE
that matches only a pending row, so double taps, redelivered events and two people tapping
together yield one decision, and the loser is told politely. Every copy of the card is then
updated to show the outcome, and the requester is told.

Nobody decides a request they filed, directly or as anyone's delegate (SPEC §1), and a
decision is checked against the org as it is now: an approver demoted or moved by a
re-import since the step opened finds it handed to whoever holds that place today.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, not_, or_, select, update
from sqlalchemy.orm import Session

from handlers.approval.cards import card_message, card_readers, outcome_line, update_cards
from handlers.approval.chain import advance, approver_now, end_round, open_step
from handlers.approval.escalation import cancel_reminders
from handlers.approval.subjects import SUBJECTS, requester_of
from handlers.engine.context import Ctx
from storage.models import ApprovalStep, Person


def refusal(ctx: Ctx, step: ApprovalStep) -> str | None:
    """Why the person may not decide `step` now, or None when they may: "own_request" (they filed
    it), "moved" (its approver no longer holds that place), "not_open" (not its turn) or
    "not_yours"."""
    requester = requester_of(ctx.session, step)
    if ctx.person.id == requester.id:
        return "own_request"
    if ctx.person.id not in {p.id for p in card_readers(ctx, step)}:
        return "not_yours"  # before "moved": a stranger's tap moves nothing
    if step.state == "pending":
        now = approver_now(ctx.session, requester, step.kind)
        if now is None or now.id != step.approver_id:
            return "moved"
    return "not_open" if step.state == "waiting" else None


def refused(ctx: Ctx, step: ApprovalStep) -> bool:
    """True, audited and told, when the person may not decide `step`; a step whose approver
    was demoted or moved goes to whoever holds the place now."""
    why = refusal(ctx, step)
    if why is None:
        return False
    ctx.audit("approval.refused", "approval_step", step.id, why=why)
    if why == "own_request":
        ctx.say("approval.own_request", name=step.approver.name)
    elif why == "moved":
        _moved(ctx, step)
    elif why == "not_open":
        ctx.say("approval.not_open")
    else:
        ctx.say("approval.not_yours")
    return True


def _moved(ctx: Ctx, step: ApprovalStep) -> None:
    """Hand the step to whoever holds its place today; with nobody, it waits (and says so)."""
    requester = requester_of(ctx.session, step)
    to = approver_now(ctx.session, requester, step.kind)
    if to is None:
        ctx.say("approval.no_approver", kind=ctx.t(f"approval.kind.{step.kind}"))
        return
    old = step.approver_id
    moved = cast(
        CursorResult[Any],
        ctx.session.execute(
            update(ApprovalStep)
            .where(
                ApprovalStep.id == step.id,
                ApprovalStep.state == "pending",
                ApprovalStep.approver_id == old,
            )
            .values(approver_id=to.id)
        ),
    )
    ctx.session.refresh(step)
    if moved.rowcount == 1:
        ctx.audit("approval.moved", step.subject, step.subject_id, step=step.id, to=to.id)
        cancel_reminders(ctx, step)
        update_cards(ctx, step)
        open_step(ctx, step)
    ctx.say("approval.moved", name=step.approver.name)


def decidable_by(session: Session, person: Person, now: datetime) -> Select[ApprovalStep]:
    """The pending steps of `person` and of whoever delegated to them, oldest first, but
    not those of requests `person` filed. The approvers are a list, not a subquery, so the
    planner knows how few it looks up (not every pending step of the company)."""
    deputy_for = select(Person.id).where(
        Person.delegate_id == person.id, Person.delegate_until > now
    )
    approvers = [person.id, *session.scalars(deputy_for)]
    own = or_(
        *(
            and_(ApprovalStep.subject == name, ApprovalStep.subject_id.in_(s.filed_by(person.id)))
            for name, s in SUBJECTS.items()
        )
    )
    return (
        select(ApprovalStep)
        .where(
            ApprovalStep.state == "pending",
            ApprovalStep.approver_id.in_(approvers),
            not_(own),
        )
        .order_by(ApprovalStep.opened_at, ApprovalStep.id)
    )


def already(ctx: Ctx, step: ApprovalStep) -> None:
    """Someone (maybe this person, a moment ago) decided first: show what happened."""
    ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person, ctx.now))
    ctx.say("approval.already", outcome=outcome_line(step, ctx.t, ctx.tz))


def decide(ctx: Ctx, step_id: int, decision: str, note: str) -> None:
    """Take the decision if the step is still pending; otherwise say who was first."""
    step = ctx.session.get(ApprovalStep, step_id)
    if step is None:
        ctx.say("button.stale")
        return
    if refused(ctx, step):
        return
    # An UPDATE's result is a CursorResult (with rowcount); Session.execute is typed as Result.
    won = cast(
        CursorResult[Any],
        ctx.session.execute(
            update(ApprovalStep)
            .where(ApprovalStep.id == step_id, ApprovalStep.state == "pending")
            .values(state=decision, decided_at=ctx.now, decided_by_id=ctx.person.id, note=note)
        ),
    )
    ctx.session.refresh(step)
    if won.rowcount != 1:
        already(ctx, step)
        return
    ctx.audit(f"approval.{decision}", step.subject, step.subject_id, step=step.id, note=note)
    cancel_reminders(ctx, step)
    ctx.say(
        f"approval.done.{decision}",
        title=SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t),
    )
    if decision == "approved":
        advance(ctx, step)
    else:
        end_round(ctx, step, decision)
    update_cards(ctx, step)  # once the chain has moved on: the card shows where it went
