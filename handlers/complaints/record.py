"""Storing a complaint: who is responsible, whether it repeats an earlier one, its card, and
telling the responsible person at once (seed 003: 告知解决问题的有关部门)."""

from __future__ import annotations

from datetime import date, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, people_with, translator_for, zone_of
from handlers.engine.i18n import Translator, clipped
from handlers.engine.messages import Button, Message, rows
from handlers.rules.policy.schema import Policy
from storage.models import Client, Complaint, Person, Satisfaction

STATES = ("open", "told", "answered", "called_back", "closed")


def departments(session: Session) -> list[str]:
    """The org's departments, as the org file names them (its active people's)."""
    found = session.scalars(
        select(Person.department)
        .where(Person.active.is_(True), Person.department != "")
        .distinct()
        .order_by(Person.department)
    )
    return list(found)


def head_of(session: Session, department: str) -> Person | None:
    """The department's manager: its first active person holding the manager role."""
    for person in people_with(session, "manager"):
        if person.department == department:
            return person
    return None


def acting(session: Session, person: Person) -> Person:
    """Who acts for a person now: them, or — once they have left — the nearest active
    manager above them (their work went there, SPEC §1)."""
    current: Person | None = person
    seen: set[int] = set()
    while current is not None and not current.active and current.id not in seen:
        seen.add(current.id)
        current = session.get(Person, current.manager_id) if current.manager_id else None
    return current if current is not None and current.active else person


def manager_of(session: Session, person: Person) -> Person | None:
    above = session.get(Person, person.manager_id) if person.manager_id else None
    return acting(session, above) if above is not None else None


def may_act_for(session: Session, actor: Person, person: Person) -> bool:
    """The person themselves, whoever acts for them now, or their management chain."""
    if actor.id == person.id or actor.id == acting(session, person).id:
        return True
    above = person.manager_id
    seen: set[int] = set()
    while above is not None and above not in seen:
        if above == actor.id:
            return True
        seen.add(above)
        boss = session.get(Person, above)
        above = boss.manager_id if boss else None
    return actor.has_role("org_admin")


def open_complaint(
    ctx: Ctx,
    client: Client,
    department: str,
    text: str,
    source: str = "client",
    origin: Satisfaction | None = None,
) -> Complaint:
    """Store the complaint, tell the responsible person with a button to take it, and say so."""
    policy = ctx.policy
    responsible = head_of(ctx.session, department) or manager_of(ctx.session, ctx.person)
    earlier = ctx.session.scalars(
        select(Complaint)
        .where(
            Complaint.client_id == client.id,
            Complaint.opened_at >= ctx.now - timedelta(days=policy.complaints.repeat_within_days),
        )
        .order_by(Complaint.opened_at.desc(), Complaint.id.desc())
        .limit(1)
    ).first()
    complaint = Complaint(
        client_id=client.id,
        person_id=ctx.person.id,
        department=department,
        responsible_id=(responsible or ctx.person).id,
        text=text,
        source=source,
        satisfaction_id=origin.id if origin is not None else None,
        repeat_of_id=earlier.id if earlier is not None else None,
        state="open",
        opened_at=ctx.now,
    )
    ctx.session.add(complaint)
    ctx.session.flush()
    ctx.audit("complaint.open", "complaint", complaint.id, client=client.id, source=source)
    ctx.say("cp.recorded", id=complaint.id, name=complaint.responsible.name)
    if complaint.responsible_id != ctx.person.id:
        notify_card(ctx, complaint, complaint.responsible, "cp.new")
    return complaint


def notify_card(ctx: Ctx, complaint: Complaint, person: Person, head: str) -> None:
    """The complaint's card for someone else, under `head`, with what they can do now."""
    t = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
    text = t(head) + "\n" + card_text(ctx.session, ctx.policy, complaint, t, person)
    message = Message(text, card_buttons(complaint, t), card=f"cp:{complaint.id}")
    ctx.notify(person, message, f"cp:{complaint.id}:{complaint.state}:{person.id}:{head}")


def card_text(
    session: Session, policy: Policy, complaint: Complaint, t: Translator, reader: Person
) -> str:
    """The 顾客投诉处理记录表 row: who, what, the department, each step with its time."""
    tz = zone_of(reader, policy)
    lines = [
        t(
            "cp.card.title",
            id=complaint.id,
            client=complaint.client.name,
            state=t(f"cp.state.{complaint.state}"),
        ),
        t("cp.card.text", text=complaint.text),
        t(
            "cp.card.who",
            by=complaint.person.name,
            at=t.datetime(complaint.opened_at, tz),
            department=complaint.department,
            name=complaint.responsible.name,
        ),
    ]
    if complaint.repeat_of_id is not None:
        earlier = session.get(Complaint, complaint.repeat_of_id)
        if earlier is not None:
            day = t.date(earlier.opened_at.astimezone(tz).date())
            lines.append(t("cp.card.repeat", id=earlier.id, date=day))
    for stage, at in (
        ("told", complaint.told_at),
        ("answered", complaint.answered_at),
        ("called_back", complaint.called_back_at),
        ("closed", complaint.closed_at),
    ):
        if at is not None:
            lines.append(t(f"cp.card.done.{stage}", at=t.datetime(at, tz)))
    if complaint.feedback:
        lines.append(t("cp.card.feedback", feedback=complaint.feedback))
    return "\n".join(lines)


def card_buttons(complaint: Complaint, t: Translator) -> tuple[tuple[Button, ...], ...]:
    """The one next step's button: whoever presses it is checked then (`progress`)."""
    step = {
        "open": ("cp.take", "told"),
        "told": ("cp.answered", "ans"),
        "answered": ("cp.call_back", "cb"),
        "called_back": ("cp.confirm", "ok"),
    }.get(complaint.state)
    if step is None:
        return ()
    label, action = step
    return rows(Button(t(label), f"cp:{action}:{complaint.id}", "primary"))


def complaint_events(
    session: Session, t: Translator, tz: tzinfo, client_id: int, limit: int
) -> list[tuple[date, int, str]]:
    """The client's complaints for its timeline: (day, id, line), newest first."""
    found = session.scalars(
        select(Complaint)
        .where(Complaint.client_id == client_id)
        .order_by(Complaint.opened_at.desc())
        .limit(limit)
    )
    events = []
    for complaint in found:
        day = complaint.opened_at.astimezone(tz).date()
        line = t(
            "cp.on_timeline",
            date=t.date(day),
            id=complaint.id,
            text=clipped(complaint.text, 40),
            state=t(f"cp.state.{complaint.state}"),
        )
        if complaint.repeat_of_id is not None:
            line += t("cp.on_timeline_repeat")
        events.append((day, complaint.id, line))
    return events
