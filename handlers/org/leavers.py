"""Someone leaves the org (SPEC §1): removed from the org file, or deactivated by an org admin
in chat. Their identities stop working at once, and what they held goes on:

- their open approval steps to the first active person up their management chain who did not
  file the request (else the GM, else an org admin), with a fresh card and reminders, and the
  requester told;
- their clients and their team (whoever still has them as manager) to the first active person
  up their chain (else the GM, else an org admin), who is told;
- delegations to them end (the delegator is told), and theirs ends;
- their drafts are dropped, their reminders end (an escalation they would have had goes to the
  approver's manager now), messages still queued for them are not sent, unused link codes stop
  working, and their platform identities are unlinked: re-added later, they link anew.

`plan` works out who takes what without changing anything (the chat command shows it before
the admin confirms); `carry_out` does it and audits it once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from handlers.approval.chain import hand_over
from handlers.approval.subjects import SUBJECTS
from handlers.engine.context import Ctx, enqueue, people_with, translator_for
from handlers.engine.i18n import Translator
from handlers.engine.messages import Message
from handlers.rules.policy.schema import Policy
from storage.models import (
    ApprovalStep,
    AuditEntry,
    Client,
    Draft,
    Identity,
    LinkCode,
    OutboxMessage,
    Person,
    Reminder,
)

OPEN_STEPS = ("waiting", "pending")
FALLBACK_ROLES = ("gm", "org_admin")  # who takes over when nobody above is left


@dataclass
class Handover:
    """Who takes what from a leaver; filled in by `plan`, counted by `carry_out`."""

    person: Person
    heir: Person | None  # takes the clients and the team
    steps: list[tuple[ApprovalStep, Person | None]] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    team: list[Person] = field(default_factory=list)
    delegators: list[Person] = field(default_factory=list)
    drafts: int = 0
    reminders: int = 0
    identities: list[str] = field(default_factory=list)  # "telegram 1004"


def successor(
    session: Session, person: Person, skip: frozenset[int] = frozenset()
) -> Person | None:
    """The first active person up `person`'s management chain not in `skip`; else the first
    active GM, else org admin, other than them. Walked by ids: an import may have just
    changed a manager, and a chain read from the file may loop (the file check refuses it,
    this walk still ends)."""
    skip = skip | {person.id}
    seen = {person.id}
    above_id = person.manager_id
    while above_id is not None and above_id not in seen:
        seen.add(above_id)
        above = session.get(Person, above_id)
        if above is None:
            break
        if above.active and above.id not in skip:
            return above
        above_id = above.manager_id
    for role in FALLBACK_ROLES:
        for holder in people_with(session, role):
            if holder.id not in skip:
                return holder
    return None


def plan(session: Session, person: Person) -> Handover:
    """What `person` holds and who takes each, changing nothing."""
    handover = Handover(person, successor(session, person))
    steps = session.scalars(
        select(ApprovalStep)
        .where(ApprovalStep.approver_id == person.id, ApprovalStep.state.in_(OPEN_STEPS))
        .order_by(ApprovalStep.id)
    )
    for step in steps:
        requester = SUBJECTS[step.subject].requester(session, step.subject_id)
        handover.steps.append((step, successor(session, person, frozenset({requester.id}))))
    handover.clients = list(
        session.scalars(select(Client).where(Client.owner_id == person.id).order_by(Client.name))
    )
    handover.team = list(
        session.scalars(
            select(Person)
            .where(Person.manager_id == person.id, Person.active.is_(True))
            .order_by(Person.id)
        )
    )
    handover.delegators = list(
        session.scalars(select(Person).where(Person.delegate_id == person.id).order_by(Person.id))
    )
    handover.drafts = len(
        session.scalars(select(Draft.id).where(Draft.person_id == person.id)).all()
    )
    handover.reminders = len(
        session.scalars(
            select(Reminder.id).where(Reminder.person_id == person.id, Reminder.state == "pending")
        ).all()
    )
    handover.identities = [
        f"{i.platform} {i.platform_user}"
        for i in session.scalars(
            select(Identity).where(Identity.person_id == person.id).order_by(Identity.id)
        )
    ]
    return handover


def carry_out(
    session: Session,
    policy: Policy,
    handover: Handover,
    now: datetime,
    platform: str,
    actor: Person | None,
) -> None:
    """Deactivate the leaver and hand over what `plan` found; `actor` is the org admin who
    asked in chat, or None for an import."""
    leaver = handover.person
    leaver.active = False
    leaver.delegate_id = None
    leaver.delegate_until = None
    session.flush()
    for step, heir in handover.steps:
        if heir is None:
            continue  # nobody at all is left to decide: the import reports it
        # The approval engine acts through a context. The requester stands in: what the
        # engine would tell them of the new approver is then its reply to them, dropped,
        # and they are told once, with the reason, below.
        requester = SUBJECTS[step.subject].requester(session, step.subject_id)
        ctx = Ctx(session, requester, policy, now, platform)
        hand_over(ctx, step, heir)
        if step.state == "pending":
            _tell_requester(ctx, step, heir, leaver)
    heir = handover.heir
    if heir is not None:
        for client in handover.clients:
            client.owner_id = heir.id
        for member in handover.team:
            member.manager_id = heir.id
        _tell_heir(session, policy, handover, heir, now)
    for delegator in handover.delegators:
        delegator.delegate_id = None
        delegator.delegate_until = None
        t = translator_for(session, delegator, policy)
        note = Message(t("leaver.delegation_ended", name=leaver.name))
        enqueue(session, delegator, note, f"leaver:{leaver.id}:delegation:{delegator.id}", now)
    _end_what_was_theirs(session, leaver, now)
    session.add(
        AuditEntry(
            at=now,
            actor_id=actor.id if actor else None,
            platform=platform,
            action="person.deactivate",
            subject="person",
            subject_id=leaver.id,
            detail={
                "heir": heir.id if heir else None,
                "steps": {str(s.id): h.id if h else None for s, h in handover.steps},
                "clients": [c.id for c in handover.clients],
                "team": [p.id for p in handover.team],
                "delegators": [p.id for p in handover.delegators],
                "drafts": handover.drafts,
                "reminders": handover.reminders,
                "identities": handover.identities,
            },
        )
    )
    session.flush()


def _end_what_was_theirs(session: Session, leaver: Person, now: datetime) -> None:
    # An escalation to the leaver (a report of theirs sat on a step) goes to that approver's
    # manager as the org now stands; every other reminder of theirs ends.
    escalations = session.scalars(
        select(Reminder).where(
            Reminder.person_id == leaver.id,
            Reminder.state == "pending",
            Reminder.kind == "approval.escalate",
        )
    )
    for reminder in escalations:
        step = session.get(ApprovalStep, reminder.subject_id or 0)
        # By id: the import may just have changed the approver's manager.
        above_id = step.approver.manager_id if step is not None else None
        above = session.get(Person, above_id) if above_id is not None else None
        if above is not None and above.active:
            reminder.person_id = above.id
    session.execute(
        update(Reminder)
        .where(Reminder.person_id == leaver.id, Reminder.state == "pending")
        .values(state="cancelled")
    )
    session.execute(delete(Draft).where(Draft.person_id == leaver.id))
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.person_id == leaver.id,
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
        )
        .values(failed_at=now)
    )
    session.execute(
        update(LinkCode)
        .where(LinkCode.person_id == leaver.id, LinkCode.used_at.is_(None))
        .values(used_at=now)
    )
    session.execute(delete(Identity).where(Identity.person_id == leaver.id))


def _tell_requester(ctx: Ctx, step: ApprovalStep, heir: Person, leaver: Person) -> None:
    title = SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t)
    text = ctx.t("leaver.step_moved", title=title, name=heir.name, leaver=leaver.name)
    ctx.notify(ctx.person, Message(text), f"leaver:{leaver.id}:step:{step.id}")


def _tell_heir(
    session: Session, policy: Policy, handover: Handover, heir: Person, now: datetime
) -> None:
    if not handover.clients and not handover.team:
        return
    t = translator_for(session, heir, policy)
    lines = [t("leaver.yours_now", name=handover.person.name)]
    lines += [t("leaver.line.client", client=c.name, name=heir.name) for c in handover.clients]
    lines += [t("leaver.line.team", member=p.name, name=heir.name) for p in handover.team]
    key = f"leaver:{handover.person.id}:heir:{heir.id}:{now.isoformat()}"
    enqueue(session, heir, Message("\n".join(lines)), key, now)


def describe(session: Session, handover: Handover, t: Translator) -> list[str]:
    """What happens (or happened) to each thing the leaver held, one line each."""
    nobody = t("leaver.nobody")
    heir = handover.heir.name if handover.heir else nobody
    lines = []
    for step, to in handover.steps:
        title = SUBJECTS[step.subject].title(session, step.subject_id, t)
        lines.append(t("leaver.line.step", title=title, name=to.name if to else nobody))
    lines += [t("leaver.line.client", client=c.name, name=heir) for c in handover.clients]
    lines += [t("leaver.line.team", member=p.name, name=heir) for p in handover.team]
    lines += [t("leaver.line.delegation", name=p.name) for p in handover.delegators]
    lines.append(t("leaver.line.drafts", n=handover.drafts))
    lines.append(t("leaver.line.reminders", n=handover.reminders))
    lines += [t("leaver.line.identity", identity=i) for i in handover.identities]
    return lines
