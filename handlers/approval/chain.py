"""Approval chains (审批), SPEC §5, for any subject that needs them (receptions, plans).

A chain is a list of approver kinds from the policy, resolved to people when it starts. One
step is pending at a time; an approval opens the next, and the requester is told how it
goes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from handlers.approval.cards import card_message, card_readers, update_cards
from handlers.approval.escalation import cancel_reminders, schedule_reminders
from handlers.approval.subjects import SUBJECTS, requester_of, steps_of
from handlers.engine.context import Ctx, people_with, translator_for
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message, rows
from storage.models import ApprovalStep, Person, Reception, Reminder, VisitPlan

# Roles that make someone a manager in the chain's sense: the manager step goes to the
# nearest of them above the requester.
MANAGING = frozenset({"manager", "vp", "gm", "chairman"})


def resolve(ctx: Ctx, requester: Person, kinds: list[str]) -> list[tuple[str, Person]]:
    """Approver kinds → people, as `approver_now` finds them. A person appears once."""
    people: list[tuple[str, Person]] = []
    for kind in kinds:
        person = approver_now(ctx.session, requester, kind)
        if person is None or any(p.id == person.id for _, p in people):
            continue
        people.append((kind, person))
    return people


def approver_now(session: Session, requester: Person, kind: str) -> Person | None:
    """Who decides a `kind` step of `requester`'s today: for the manager, the nearest active
    person above them holding a managing role (the GM when nobody is); for another kind,
    the first active holder of that role. Never the requester: None when nobody else."""
    if kind == "manager":
        person = _managing_boss(session, requester)
        if person is None:
            person = _role_holder(session, "gm")  # nobody above: the GM decides
    else:
        person = _role_holder(session, kind)
    return None if person is None or person.id == requester.id else person


def _role_holder(session: Session, role: str) -> Person | None:
    holders = people_with(session, role)
    return holders[0] if holders else None


def _managing_boss(session: Session, requester: Person) -> Person | None:
    seen: set[int] = {requester.id}
    boss = requester.manager
    while boss is not None and boss.id not in seen:
        if boss.active and boss.role_set & MANAGING:
            return boss
        seen.add(boss.id)
        boss = boss.manager
    return None


def _start_chain(
    ctx: Ctx, subject: str, subject_id: int, round_: int, requester: Person, kinds: list[str]
) -> list[ApprovalStep]:
    """Create a round of steps and open the first; with nobody to ask, it is approved."""
    steps = [
        ApprovalStep(
            subject=subject,
            subject_id=subject_id,
            round=round_,
            position=index,
            kind=kind,
            approver_id=person.id,
            state="waiting",
        )
        for index, (kind, person) in enumerate(resolve(ctx, requester, kinds))
    ]
    ctx.session.add_all(steps)
    ctx.session.flush()
    if not steps:
        ctx.audit("approval.none_needed", subject, subject_id)
        SUBJECTS[subject].concluded(ctx, subject_id, "approved", "")
        return steps
    open_step(ctx, steps[0])
    return steps


def submit(
    ctx: Ctx,
    subject: str,
    item: Reception | VisitPlan,
    kinds: list[str],
    audited_as: str,
    **detail: Any,
) -> None:
    """Send `item` to the approvers `kinds` in a new round: its first, or again after changes
    were asked (the round before, if still open, ends). Audited as `<subject>.submit` or
    `<subject>.resubmit`, under `audited_as`."""
    item.round += 1
    item.state = "pending"
    item.submitted_at = ctx.now
    item.decided_at = None
    ctx.session.flush()
    action = "resubmit" if item.round > 1 else "submit"
    ctx.audit(f"{subject}.{action}", audited_as, item.id, **detail)
    if item.round > 1:
        cancel_round(ctx, subject, item.id, item.round - 1)
    _start_chain(ctx, subject, item.id, item.round, ctx.person, kinds)


def open_step(ctx: Ctx, step: ApprovalStep) -> None:
    step.state = "pending"
    step.opened_at = ctx.now
    ctx.session.flush()
    for person in card_readers(ctx, step):
        ctx.notify(
            person,
            card_message(ctx.session, ctx.policy, step, person, ctx.now),
            f"apv:{step.id}:{person.id}",
        )
    schedule_reminders(ctx, step)
    requester = requester_of(ctx.session, step)
    if requester.id != ctx.person.id or step.position > 0:
        _tell(ctx, requester, step, "approval.told.waiting", name=step.approver.name)
    else:
        t = ctx.t
        ctx.reply(
            t(
                "approval.submitted",
                title=SUBJECTS[step.subject].title(ctx.session, step.subject_id, t),
                name=step.approver.name,
            )
        )


def _tell(ctx: Ctx, person: Person, step: ApprovalStep, key: str, **params: str) -> None:
    t = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
    title = SUBJECTS[step.subject].title(ctx.session, step.subject_id, t)
    message = Message(t(key, title=title, **params), _follow_up_buttons(step, key, t))
    ctx.notify(person, message, f"{key}:{step.id}:{person.id}")


def _follow_up_buttons(
    step: ApprovalStep, key: str, t: Translator
) -> tuple[tuple[Button, ...], ...]:
    resubmit = SUBJECTS[step.subject].resubmit
    if key == "approval.told.changes" and resubmit is not None:
        label, action = resubmit
        return rows(Button(t(label), action.format(id=step.subject_id), "primary"))
    return ()


def hand_over(ctx: Ctx, step: ApprovalStep, approver: Person) -> None:
    """The step's approver has left: it is `approver`'s now. An open step's card goes to
    them with reminders of their own (the leaver's are deleted, so the keys can be reused).
    If `approver` already has a step of this round, this one is dropped: as in `resolve`,
    a person decides a request once."""
    ctx.session.execute(
        delete(Reminder).where(
            Reminder.subject == "approval_step",
            Reminder.subject_id == step.id,
            Reminder.kind.in_(("approval.remind", "approval.escalate")),
        )
    )
    steps = steps_of(ctx.session, step.subject, step.subject_id, step.round)
    if any(s.approver_id == approver.id and s.state in ("waiting", "pending") for s in steps):
        was_open = step.state == "pending"
        step.state = "cancelled"
        step.decided_at = ctx.now
        if was_open:
            advance(ctx, step)
        return
    step.approver = approver
    if step.state == "pending":
        open_step(ctx, step)


def advance(ctx: Ctx, step: ApprovalStep) -> None:
    steps = steps_of(ctx.session, step.subject, step.subject_id, step.round)
    following = [s for s in steps if s.position > step.position and s.state == "waiting"]
    if following:
        open_step(ctx, following[0])
        return
    _round_ended(ctx, steps, step)
    requester = requester_of(ctx.session, step)
    _tell(ctx, requester, step, "approval.told.approved")
    SUBJECTS[step.subject].concluded(ctx, step.subject_id, "approved", "")


def end_round(ctx: Ctx, step: ApprovalStep, decision: str) -> None:
    cancel_round(ctx, step.subject, step.subject_id, step.round, decided=step)
    requester = requester_of(ctx.session, step)
    _tell(ctx, requester, step, f"approval.told.{decision}", name=ctx.person.name, note=step.note)
    SUBJECTS[step.subject].concluded(ctx, step.subject_id, decision, step.note)


def cancel_round(
    ctx: Ctx, subject: str, subject_id: int, round_: int, decided: ApprovalStep | None = None
) -> None:
    """End a round early (a rejection, a withdrawal): open cards go quiet, and every card
    the round showed says how it ended. `decided` is the step that ended it, whose cards
    its decision already updated."""
    steps = steps_of(ctx.session, subject, subject_id, round_)
    for other in steps:
        if other.state in ("waiting", "pending"):
            other.state = "cancelled"
            other.decided_at = ctx.now
            cancel_reminders(ctx, other)
    _round_ended(ctx, steps, decided)


def _round_ended(ctx: Ctx, steps: list[ApprovalStep], decided: ApprovalStep | None) -> None:
    """Each card the round sent shows the final chain: an earlier approver's copy would
    still show the next one waiting."""
    for other in steps:
        if other.opened_at is not None and other is not decided:
            update_cards(ctx, other, "end")
