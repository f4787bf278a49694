"""A step's card: who may decide it now, how each reader sees it, every copy kept current."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.approval.delegation import active_delegate
from handlers.approval.subjects import SUBJECTS, requester_of, steps_of
from handlers.engine.context import Ctx, translator_for, zone_of
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message, rows
from handlers.rules.policy.schema import Policy
from storage.models import ApprovalStep, OutboxMessage, Person


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


def update_cards(ctx: Ctx, step: ApprovalStep, version: str = "") -> None:
    """Every copy of the step's card shows it as it is now; `version` names the change (by
    default its state and approver), so a repeat of one change sends nothing new."""
    version = version or f"{step.state}:{step.approver_id}"
    for person in _shown_to(ctx, step):
        message = card_message(ctx.session, ctx.policy, step, person, ctx.now)
        ctx.notify(person, message, f"apv:{step.id}:{person.id}:{version}")
