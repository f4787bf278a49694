"""Approval chains (审批), SPEC §5, for any subject that needs them (receptions, plans).

A chain is a list of approver kinds from the policy, resolved to people when it starts. One
step is pending at a time; its approver (or their active delegate) decides once — the
decision is an UPDATE that matches only a pending row, so double taps, redelivered events
and two people tapping together yield one decision, and the loser is told politely. Every
copy of the card is then updated to show the outcome, and the requester is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import CursorResult, Select, select, update
from sqlalchemy.orm import Session

from handlers import flow
from handlers.context import Ctx, named_by, people_with, translator_for, zone_of
from handlers.dates import DateNotUnderstood, parse_when
from handlers.flow import Data, Form, Kind, Step
from handlers.i18n import N_, Translator
from handlers.messages import Button, Message, rows
from handlers.policy import Policy
from handlers.registry import Command, Feature
from handlers.workdays import WorkCalendar
from storage.models import ApprovalStep, Person, Reception, Reminder, VisitPlan


@dataclass(frozen=True)
class Subject:
    """What a kind of approvable thing tells the engine about itself."""

    name: str
    requester: Callable[[Session, int], Person]
    title: Callable[[Session, int, Translator], str]
    card: Callable[[Session, Policy, int, list[ApprovalStep], Translator, tzinfo], str]
    # Called once the chain ends: "approved", "rejected" or "changes" (with the note).
    concluded: Callable[[Ctx, int, str, str], None]
    current_round: Callable[[Session, int], int]
    # The button sent with "changes asked": (label key, action with {id}), e.g.
    # ("rcp.edit_resubmit", "rcp:edit:{id}"); None for no button.
    resubmit: tuple[str, str] | None = None


SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    SUBJECTS[subject.name] = subject


# ---------------------------------------------------------------------------- chains


def resolve(ctx: Ctx, requester: Person, kinds: list[str]) -> list[tuple[str, Person]]:
    """Approver kinds → people. The manager is the requester's own; GM and finance are the
    people holding those roles. A person appears once, and never approves their own."""
    people: list[tuple[str, Person]] = []
    for kind in kinds:
        person = requester.manager if kind == "manager" else _role_holder(ctx.session, kind)
        if person is None and kind == "manager":
            person = _role_holder(ctx.session, "gm")  # nobody above: the GM decides
        if person is None or person.id == requester.id:
            continue
        if any(p.id == person.id for _, p in people):
            continue
        people.append((kind, person))
    return people


def _role_holder(session: Session, role: str) -> Person | None:
    holders = people_with(session, role)
    return holders[0] if holders else None


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
    _open(ctx, steps[0])
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


def steps_of(session: Session, subject: str, subject_id: int, round_: int) -> list[ApprovalStep]:
    return list(
        session.scalars(
            select(ApprovalStep)
            .where(
                ApprovalStep.subject == subject,
                ApprovalStep.subject_id == subject_id,
                ApprovalStep.round == round_,
            )
            .order_by(ApprovalStep.position)
        )
    )


def _open(ctx: Ctx, step: ApprovalStep) -> None:
    step.state = "pending"
    step.opened_at = ctx.now
    ctx.session.flush()
    for person in card_readers(ctx, step):
        ctx.notify(
            person,
            card_message(ctx.session, ctx.policy, step, person),
            f"apv:{step.id}:{person.id}",
        )
    _schedule_reminders(ctx, step)
    requester = SUBJECTS[step.subject].requester(ctx.session, step.subject_id)
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


def card_readers(ctx: Ctx, step: ApprovalStep) -> list[Person]:
    """The approver, and their delegate while the delegation runs."""
    readers = [step.approver]
    delegate = active_delegate(ctx, step.approver)
    if delegate is not None:
        readers.append(delegate)
    return readers


def active_delegate(ctx: Ctx, person: Person) -> Person | None:
    if person.delegate_id and person.delegate_until and person.delegate_until > ctx.now:
        return ctx.session.get(Person, person.delegate_id)
    return None


def card_message(session: Session, policy: Policy, step: ApprovalStep, reader: Person) -> Message:
    t = translator_for(session, reader, policy)
    subject = SUBJECTS[step.subject]
    steps = steps_of(session, step.subject, step.subject_id, step.round)
    text = subject.card(session, policy, step.subject_id, steps, t, zone_of(reader, policy))
    if step.state != "pending":
        return Message(
            text + "\n" + outcome_line(step, t, zone_of(reader, policy)),
            card=f"apv:{step.id}",
            replace=True,
        )
    buttons = rows(
        Button(t("approval.approve"), f"apv:{step.id}:ok", "primary"),
        Button(t("approval.reject"), f"apv:{step.id}:no", "danger"),
        Button(t("approval.changes"), f"apv:{step.id}:chg"),
    )
    return Message(text, buttons, card=f"apv:{step.id}")


def outcome_line(step: ApprovalStep, t: Translator, tz: tzinfo) -> str:
    who = step.decided_by.name if step.decided_by else ""
    at = t.datetime(step.decided_at, tz) if step.decided_at else ""
    line = t(f"approval.outcome.{step.state}", name=who, at=at)
    return line + (f" — {step.note}" if step.note else "")


def _schedule_reminders(ctx: Ctx, step: ApprovalStep) -> None:
    """A reminder to the approver after the policy's working hours, and after twice that
    one to their own manager too. The hours are the approver's, in their own zone: a
    request sent at their evening waits for their morning, wherever the org's office is."""
    calendar = approvers_hours(ctx.policy, step)
    hours = ctx.policy.approval
    local = ctx.now.astimezone(calendar.tz)
    plan = [("approval.remind", step.approver, hours.remind_after_working_hours)]
    if step.approver.manager is not None:
        plan.append(
            ("approval.escalate", step.approver.manager, hours.escalate_after_working_hours)
        )
    for kind, person, after in plan:
        ctx.session.add(
            Reminder(
                key=f"{kind}:{step.id}",
                person_id=person.id,
                kind=kind,
                subject="approval_step",
                subject_id=step.id,
                due_at=calendar.add_working_hours(local, after),
                created_at=ctx.now,
            )
        )


def approvers_hours(policy: Policy, step: ApprovalStep) -> WorkCalendar:
    return WorkCalendar.for_policy(policy, zone_of(step.approver, policy))


def _cancel_reminders(ctx: Ctx, step: ApprovalStep) -> None:
    ctx.session.execute(
        update(Reminder)
        .where(
            Reminder.subject == "approval_step",
            Reminder.subject_id == step.id,
            Reminder.state == "pending",
        )
        .values(state="cancelled")
    )


def _tell(ctx: Ctx, person: Person, step: ApprovalStep, key: str, **params: str) -> None:
    t = translator_for(ctx.session, person, ctx.policy)
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


# ---------------------------------------------------------------------------- deciding


def may_decide(ctx: Ctx, step: ApprovalStep) -> bool:
    if step.approver_id == ctx.person.id:
        return True
    delegate = active_delegate(ctx, step.approver)
    return delegate is not None and delegate.id == ctx.person.id


def _refused(ctx: Ctx, step: ApprovalStep) -> bool:
    """True, audited and told, when the person may not decide `step`."""
    if may_decide(ctx, step):
        return False
    ctx.audit("approval.refused", "approval_step", step.id)
    ctx.say("approval.not_yours")
    return True


def decidable_by(session: Session, person: Person, now: datetime) -> Select[ApprovalStep]:
    """`may_decide` as a query, for lists: the pending steps of `person` and of whoever
    delegated to them, oldest first. The approvers are a list, not a subquery, so the planner
    knows how few it looks up (not every pending step of the company)."""
    deputy_for = select(Person.id).where(
        Person.delegate_id == person.id, Person.delegate_until > now
    )
    approvers = [person.id, *session.scalars(deputy_for)]
    return (
        select(ApprovalStep)
        .where(ApprovalStep.state == "pending", ApprovalStep.approver_id.in_(approvers))
        .order_by(ApprovalStep.opened_at, ApprovalStep.id)
    )


def press(ctx: Ctx, parts: list[str]) -> None:
    """`apv:<step>:ok|no|chg` — approve at once; reject and changes first ask why."""
    step = named_by(ctx.session, ApprovalStep, parts) if len(parts) == 2 else None
    if step is None or parts[1] not in ("ok", "no", "chg"):
        ctx.say("button.stale")
        return
    if _refused(ctx, step):
        return
    if step.state != "pending":
        _already(ctx, step)
        return
    if parts[1] == "ok":
        decide(ctx, step.id, "approved", "")
    else:
        decision = "rejected" if parts[1] == "no" else "changes"
        flow.start(ctx, REASON_FORM, prefill={"@step": step.id, "@decision": decision})


def _already(ctx: Ctx, step: ApprovalStep) -> None:
    """Someone (maybe this person, a moment ago) decided first: show what happened."""
    ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person))
    ctx.say("approval.already", outcome=outcome_line(step, ctx.t, ctx.tz))


def decide(ctx: Ctx, step_id: int, decision: str, note: str) -> None:
    """Take the decision if the step is still pending; otherwise say who was first."""
    step = ctx.session.get(ApprovalStep, step_id)
    if step is None:
        ctx.say("button.stale")
        return
    if _refused(ctx, step):
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
        _already(ctx, step)
        return
    ctx.audit(f"approval.{decision}", step.subject, step.subject_id, step=step.id, note=note)
    _cancel_reminders(ctx, step)
    _update_cards(ctx, step)
    ctx.say(
        f"approval.done.{decision}",
        title=SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t),
    )
    if decision == "approved":
        _advance(ctx, step)
    else:
        _end_round(ctx, step, decision)


def _update_cards(ctx: Ctx, step: ApprovalStep) -> None:
    for person in card_readers(ctx, step):
        message = card_message(ctx.session, ctx.policy, step, person)
        ctx.notify(person, message, f"apv:{step.id}:{person.id}:{step.state}")


def _advance(ctx: Ctx, step: ApprovalStep) -> None:
    steps = steps_of(ctx.session, step.subject, step.subject_id, step.round)
    following = [s for s in steps if s.position > step.position and s.state == "waiting"]
    if following:
        _open(ctx, following[0])
        return
    requester = SUBJECTS[step.subject].requester(ctx.session, step.subject_id)
    _tell(ctx, requester, step, "approval.told.approved")
    SUBJECTS[step.subject].concluded(ctx, step.subject_id, "approved", "")


def _end_round(ctx: Ctx, step: ApprovalStep, decision: str) -> None:
    cancel_round(ctx, step.subject, step.subject_id, step.round)
    requester = SUBJECTS[step.subject].requester(ctx.session, step.subject_id)
    _tell(ctx, requester, step, f"approval.told.{decision}", name=ctx.person.name, note=step.note)
    SUBJECTS[step.subject].concluded(ctx, step.subject_id, decision, step.note)


def cancel_round(ctx: Ctx, subject: str, subject_id: int, round_: int) -> None:
    """End a round early (a rejection, a withdrawal): open cards show it and go quiet."""
    for other in steps_of(ctx.session, subject, subject_id, round_):
        if other.state in ("waiting", "pending"):
            was_open = other.state == "pending"
            other.state = "cancelled"
            other.decided_at = ctx.now
            _cancel_reminders(ctx, other)
            if was_open:
                _update_cards(ctx, other)


# ---------------------------------------------------------------------------- why (reject, changes)


def _reason_prompt(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"what": ctx.t(f"approval.why.{data['@decision']}")}


def _reason_summary(ctx: Ctx, data: Data) -> str:
    """What Submit will do, said before it does it: typed words (maybe meant as "help") must
    not reject a request unseen."""
    step = ctx.session.get(ApprovalStep, int(data["@step"]))
    subject = SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t) if step else ""
    return ctx.t(f"approval.why.summary.{data['@decision']}", title=subject, note=data["reason"])


def _reason_still_open(ctx: Ctx, data: Data) -> None:
    """Someone decided the step while the reason was typed: say who, and ask nothing more."""
    step = ctx.session.get(ApprovalStep, int(data["@step"]))
    if step is not None and step.state != "pending":
        raise flow.Gone(N_("approval.already"), outcome=outcome_line(step, ctx.t, ctx.tz))


def _reason_submit(ctx: Ctx, data: Data) -> None:
    decide(ctx, int(data["@step"]), data["@decision"], data["reason"])


REASON_FORM = Form(
    "why",
    N_("approval.why.title"),
    (Step("reason", N_("approval.why.ask"), Kind.TEXT, params=_reason_prompt, max_length=500),),
    summary=_reason_summary,
    submit=_reason_submit,
    still_open=_reason_still_open,
    whole_submits=True,  # a modal's Submit, under the reason typed, is the decision itself
)


# ---------------------------------------------------------------------------- queues, delegation


def pending(ctx: Ctx, argument: str) -> None:
    """The approver's queue: every step waiting for them (or for whom they stand in)."""
    steps = ctx.session.scalars(decidable_by(ctx.session, ctx.person, ctx.now)).all()
    if not steps:
        ctx.say("approval.queue_empty")
        return
    ctx.say("approval.queue", n=len(steps))
    for step in steps:
        ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person))


def delegate(ctx: Ctx, argument: str) -> None:
    """`/delegate NAME until DATE` hands decisions to a colleague for a while; `off` ends it."""
    text = argument.strip()
    if text.lower() in ("off", "关闭", "取消"):
        ctx.person.delegate_id = None
        ctx.person.delegate_until = None
        ctx.audit("delegate.off", "person", ctx.person.id)
        ctx.say("delegate.off")
        return
    people = sorted(
        ctx.session.scalars(select(Person).where(Person.active.is_(True))),
        key=lambda p: -len(p.name),
    )
    target = next((p for p in people if text.startswith(p.name)), None)
    if target is None or target.id == ctx.person.id:
        ctx.say("delegate.usage")
        return
    when_text = text[len(target.name) :].strip()
    for word in ("until", "till", "到", "至"):
        when_text = when_text.removeprefix(word).strip()
    try:
        when = parse_when(when_text, ctx.local_now, ctx.t.lang)
    except DateNotUnderstood:
        ctx.say("delegate.usage")
        return
    until = when.value if when.has_time else when.value + timedelta(days=1)
    if until <= ctx.now:
        ctx.say("delegate.past")
        return
    ctx.person.delegate_id = target.id
    ctx.person.delegate_until = until
    ctx.audit("delegate.on", "person", ctx.person.id, to=target.id, until=until.isoformat())
    ctx.say("delegate.on", name=target.name, until=ctx.t.datetime(until, ctx.tz))
    t = translator_for(ctx.session, target, ctx.policy)
    note = Message(
        t(
            "delegate.told",
            name=ctx.person.name,
            until=t.datetime(until, zone_of(target, ctx.policy)),
        )
    )
    ctx.notify(target, note, f"delegate:{ctx.person.id}:{until.isoformat()}")


FEATURE = Feature(
    commands=(
        Command("pending", N_("help.pending"), pending, frozenset({"manager", "gm", "finance"})),
        Command("delegate", N_("help.delegate"), delegate, frozenset({"manager", "gm", "finance"})),
    ),
    actions={"apv": press},
    forms=(REASON_FORM,),
)
