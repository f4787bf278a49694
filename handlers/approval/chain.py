"""Approval chains (审批), SPEC §5, for any subject that needs them (receptions, plans).

A chain is a list of approver kinds from the policy, resolved to people when it starts. One
step is pending at a time; its approver (or their active delegate) decides once — the
decision is an UPDATE that matches only a pending row, so double taps, redelivered events
and two people tapping together yield one decision, and the loser is told politely. Every
copy of the card is then updated to show the outcome, and the requester is told.

Nobody decides a request they filed, directly or as anyone's delegate (SPEC §1), and a
decision is checked against the org as it is now: an approver demoted or moved by a
re-import since the step opened finds it handed to whoever holds that place today.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, delete, not_, or_, select, update
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, named_by, people_with, translator_for, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Gone, Kind, Step
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, rows
from handlers.engine.registry import Command, Feature
from handlers.rules.policy import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.text.dates import DateNotUnderstood, parse_when
from storage.models import ApprovalStep, OutboxMessage, Person, Reception, Reminder, VisitPlan


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
    # The ids of this subject filed by a person, as a query (to keep them off their queue).
    filed_by: Callable[[int], Select[int]]
    # Whether a person may read the subject (a reception: whoever may see its client).
    readable_by: Callable[[Session, int, Person], bool]
    # The button sent with "changes asked": (label key, action with {id}), e.g.
    # ("rcp.edit_resubmit", "rcp:edit:{id}"); None for no button.
    resubmit: tuple[str, str] | None = None


SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    SUBJECTS[subject.name] = subject


# ---------------------------------------------------------------------------- chains


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
            card_message(ctx.session, ctx.policy, step, person, ctx.now),
            f"apv:{step.id}:{person.id}",
        )
    _schedule_reminders(ctx, step)
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


def requester_of(session: Session, step: ApprovalStep) -> Person:
    return SUBJECTS[step.subject].requester(session, step.subject_id)


def card_readers(ctx: Ctx, step: ApprovalStep) -> list[Person]:
    """Who may decide the step now: its approver, and their delegate while the delegation
    runs, unless the delegate filed the request (then the approver alone: `card_message`
    says so)."""
    return deciders(ctx.session, step, ctx.now)


def deciders(session: Session, step: ApprovalStep, now: datetime) -> list[Person]:
    readers = [step.approver]
    delegate = active_delegate(session, step.approver, now)
    if delegate is not None and delegate.id != requester_of(session, step).id:
        readers.append(delegate)
    return readers


def active_delegate(session: Session, person: Person, now: datetime) -> Person | None:
    if person.delegate_id and person.delegate_until and person.delegate_until > now:
        delegate = session.get(Person, person.delegate_id)
        return delegate if delegate is not None and delegate.active else None
    return None


def _shown_to(ctx: Ctx, step: ApprovalStep) -> list[Person]:
    """Whoever may decide the step now, and everyone its card was ever sent to (an
    ex-delegate, an approver it moved from): each copy is brought up to date."""
    sent = ctx.session.scalars(
        select(Person)
        .join(OutboxMessage, OutboxMessage.person_id == Person.id)
        .where(OutboxMessage.key.like(f"apv:{step.id}:%"))
    ).all()
    people = [*card_readers(ctx, step), *sent]
    return list({p.id: p for p in people}.values())


def card_message(
    session: Session, policy: Policy, step: ApprovalStep, reader: Person, now: datetime
) -> Message:
    """The step's card as `reader` sees it: with the buttons when they may decide it now,
    else with the outcome, or whom it waits for. `now` also gives the reader's year, for
    dates of another (2027年1月5日)."""
    t = translator_for(session, reader, policy, now=now)
    tz = zone_of(reader, policy)
    subject = SUBJECTS[step.subject]
    steps = steps_of(session, step.subject, step.subject_id, step.round)
    text = subject.card(session, policy, step.subject_id, steps, t, tz)
    if step.state != "pending":
        return Message(text + "\n" + outcome_line(step, t, tz), card=f"apv:{step.id}", replace=True)
    if reader.id not in {p.id for p in deciders(session, step, now)}:
        waiting = t("approval.waiting_for", name=step.approver.name)
        return Message(text + "\n" + waiting, card=f"apv:{step.id}", replace=True)
    delegate = active_delegate(session, step.approver, now)
    filed = requester_of(session, step)
    if reader.id == step.approver_id and delegate is not None and delegate.id == filed.id:
        text += "\n" + t("approval.delegate_filed", name=delegate.name)
    buttons = rows(
        Button(t("approval.approve"), f"apv:{step.id}:ok", "primary"),
        Button(t("approval.reject"), f"apv:{step.id}:no", "danger"),
        Button(t("approval.changes"), f"apv:{step.id}:chg"),
    )
    return Message(text, buttons, card=f"apv:{step.id}")


def outcome_line(step: ApprovalStep, t: Translator, tz: tzinfo) -> str:
    who = step.decided_by.name if step.decided_by else ""
    if step.decided_by is not None and step.decided_by_id != step.approver_id:
        who = t("approval.on_behalf", name=who, approver=step.approver.name)
    at = t.datetime(step.decided_at, tz) if step.decided_at else ""
    line = t(f"approval.outcome.{step.state}", name=who, at=at)
    return line + (f" — {step.note}" if step.note else "")


def _schedule_reminders(ctx: Ctx, step: ApprovalStep) -> None:
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
            _advance(ctx, step)
        return
    step.approver = approver
    if step.state == "pending":
        _open(ctx, step)


# ---------------------------------------------------------------------------- deciding


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


def _refused(ctx: Ctx, step: ApprovalStep) -> bool:
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
        _cancel_reminders(ctx, step)
        _update_cards(ctx, step)
        _open(ctx, step)
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
        engine.start(ctx, REASON_FORM, prefill={"@step": step.id, "@decision": decision})


def _already(ctx: Ctx, step: ApprovalStep) -> None:
    """Someone (maybe this person, a moment ago) decided first: show what happened."""
    ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person, ctx.now))
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
    ctx.say(
        f"approval.done.{decision}",
        title=SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t),
    )
    if decision == "approved":
        _advance(ctx, step)
    else:
        _end_round(ctx, step, decision)
    _update_cards(ctx, step)  # once the chain has moved on: the card shows where it went


def _update_cards(ctx: Ctx, step: ApprovalStep, version: str = "") -> None:
    """Every copy of the step's card shows it as it is now; `version` names the change (by
    default its state and approver), so a repeat of one change sends nothing new."""
    version = version or f"{step.state}:{step.approver_id}"
    for person in _shown_to(ctx, step):
        message = card_message(ctx.session, ctx.policy, step, person, ctx.now)
        ctx.notify(person, message, f"apv:{step.id}:{person.id}:{version}")


def _advance(ctx: Ctx, step: ApprovalStep) -> None:
    steps = steps_of(ctx.session, step.subject, step.subject_id, step.round)
    following = [s for s in steps if s.position > step.position and s.state == "waiting"]
    if following:
        _open(ctx, following[0])
        return
    _round_ended(ctx, steps, step)
    requester = requester_of(ctx.session, step)
    _tell(ctx, requester, step, "approval.told.approved")
    SUBJECTS[step.subject].concluded(ctx, step.subject_id, "approved", "")


def _end_round(ctx: Ctx, step: ApprovalStep, decision: str) -> None:
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
            _cancel_reminders(ctx, other)
    _round_ended(ctx, steps, decided)


def _round_ended(ctx: Ctx, steps: list[ApprovalStep], decided: ApprovalStep | None) -> None:
    """Each card the round sent shows the final chain: an earlier approver's copy would
    still show the next one waiting."""
    for other in steps:
        if other.opened_at is not None and other is not decided:
            _update_cards(ctx, other, "end")


# ---------------------------------------------------------------------------- why (reject, changes)


def _reason_prompt(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"what": ctx.t(f"approval.why.{data['@decision']}")}


def _reason_submit_label(ctx: Ctx, data: Data) -> str:
    return ctx.t({"rejected": "approval.reject", "changes": "approval.changes"}[data["@decision"]])


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
        raise Gone(N_("approval.already"), outcome=outcome_line(step, ctx.t, ctx.tz))


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
    submit_label=_reason_submit_label,
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
        ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person, ctx.now))


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
    if target is None:
        _no_such_colleague(ctx, text)
        return
    if target.id == ctx.person.id:
        ctx.say("delegate.self")
        return
    when_text = text[len(target.name) :].strip()
    for word in ("until", "till", "到", "至"):
        when_text = when_text.removeprefix(word).strip()
    try:
        when = parse_when(when_text, ctx.local_now, ctx.t.lang)
    except DateNotUnderstood as error:
        if error.reason != "empty":  # the date's own problem (25点), then how to write it
            ctx.say(f"flow.error.date.{error.reason}")
        ctx.say("delegate.usage")
        return
    until = when.value if when.has_time else when.value + timedelta(days=1)
    if until <= ctx.now:
        ctx.say("delegate.past")
        return
    ctx.person.delegate_id = target.id
    ctx.person.delegate_until = until
    ctx.audit("delegate.on", "person", ctx.person.id, to=target.id, until=until.isoformat())
    ctx.say("delegate.on", name=target.name, until=ctx.t.until(until, ctx.tz))
    t = translator_for(ctx.session, target, ctx.policy, now=ctx.now)
    note = Message(
        t(
            "delegate.told",
            name=ctx.person.name,
            until=t.until(until, zone_of(target, ctx.policy)),
        )
    )
    ctx.notify(target, note, f"delegate:{ctx.person.id}:{until.isoformat()}")


def _no_such_colleague(ctx: Ctx, text: str) -> None:
    """The name typed (what stands before "until"), echoed clipped, or the usage if none."""
    name = re.split(r"\s|until|till|到|至", text, maxsplit=1)[0]
    if not name:
        ctx.say("delegate.usage")
        return
    clipped = name if len(name) <= NAME_ECHO else name[:NAME_ECHO] + "…"
    ctx.say("delegate.unknown", name=clipped)


NAME_ECHO = 30  # characters of a mistyped name said back


FEATURE = Feature(
    commands=(
        # Anyone: a salesperson standing in for their manager decides too.
        Command("pending", N_("help.pending"), pending),
        Command("delegate", N_("help.delegate"), delegate, frozenset({"manager", "gm", "finance"})),
    ),
    actions={"apv": press},
    forms=(REASON_FORM,),
)
