"""One client at a glance (客户档案): `/client NAME` shows who owns it, its contacts, when it
is next due for a visit, open next steps, planned visits, and its receptions and visits,
newest first.

Confidential (SPEC §2, seeds 保守秘密 / 信息保密): only the owner, the owner's management chain
and org admins see a client. The name is looked up among the clients the reader may see, so
for anyone else a client that exists reads exactly like one that does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from handlers.complaints.record import complaint_events
from handlers.engine.context import Ctx, named_by
from handlers.engine.forms.readers import clean_text
from handlers.engine.i18n import N_, Translator, clipped
from handlers.engine.messages import Button, rows
from handlers.engine.registry import Command, Feature
from handlers.org.clients import find_client, management_chain, own_clients
from handlers.visits import satisfaction
from handlers.visits.plan import purpose_text
from handlers.visits.rules import FILED, frequency_months, next_visit_due, open_next_steps
from storage.models import Client, Person, PlanEntry, Reception, Visit, VisitPlan

HISTORY_LIMIT = 8
SHORT = 40  # characters of a visit's summary shown in the timeline


def visible_clients(ctx: Ctx) -> list[Client]:
    """Every client the person may see (the rule of `clients.may_see`, for many at once)."""
    viewer = ctx.person
    clients = list(ctx.session.scalars(select(Client).order_by(Client.name)))
    if viewer.has_role("org_admin"):
        return clients
    chains: dict[int, list[int]] = {}
    visible = []
    for client in clients:
        if client.owner_id not in chains:
            chains[client.owner_id] = management_chain(ctx.session, client.owner)
        if viewer.id == client.owner_id or viewer.id in chains[client.owner_id]:
            visible.append(client)
    return visible


def command(ctx: Ctx, argument: str) -> None:
    name = clean_text(argument)
    if not name:
        own = own_clients(ctx.session, ctx.person)
        buttons = [Button(c.name, f"cl:{c.id}") for c in own[:12]]
        ctx.reply(ctx.t("client.usage"), rows(*buttons, per_row=3))
        return
    client = find_client(visible_clients(ctx), name)
    if client is None:
        hidden = ctx.session.scalars(select(Client.id).where(Client.name == name)).first()
        if hidden is not None:  # someone else's: answered as if unknown, but kept in the audit
            ctx.audit("client.refused", "client", hidden)
        ctx.say("client.not_found", name=clipped(name))
        return
    show(ctx, client)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`cl:<client>` — the same rule as typing the name."""
    client = named_by(ctx.session, Client, parts)
    if client is None or client not in visible_clients(ctx):
        ctx.say("button.stale")
        return
    show(ctx, client)


@dataclass(frozen=True)
class _Event:
    day: date
    order: int
    text: str


def show(ctx: Ctx, client: Client) -> None:
    t, today = ctx.t, ctx.local_now.date()
    cls = ctx.policy.classes.get(client.class_key)
    lines = [
        t(
            "client.head",
            name=client.name,
            cls=client.class_key,
            label=cls.label(t.locale) if cls else "",
            region=t(f"visit.region.{client.region}"),
            owner=client.owner.name,
        )
    ]
    if client.contacts:
        people = [
            t("visit.contact", name=c.name, title=c.title) if c.title else c.name
            for c in client.contacts
        ]
        lines.append(t("client.contacts", contacts=t("flow.list_sep").join(people)))
    if client.notes:
        lines.append(t("client.notes", notes=client.notes))
    due = next_visit_due(ctx.session, ctx.policy, client, today)
    months = frequency_months(ctx.policy, client.region)
    if due.days_overdue:
        lines.append(t("client.overdue", date=t.date(due.next_due), days=due.days_overdue))
    else:
        lines.append(t("client.next_due", date=t.date(due.next_due), months=months))
    lines += _next_steps(ctx, client, t)
    lines += _planned(ctx, client, t, today)
    history = _history(ctx, client, t)
    lines.append(t("client.history") if history else t("client.no_history"))
    lines += history
    buttons: tuple[tuple[Button, ...], ...] = ()
    if client.owner_id == ctx.person.id:
        buttons = rows(Button(t("visit.log_button"), f"vs:c:{client.id}", "primary"))
    ctx.reply("\n".join(lines), buttons)


def _next_steps(ctx: Ctx, client: Client, t: Translator) -> list[str]:
    return [
        t(
            "client.next_step",
            date=t.date(visit.next_due),
            step=visit.next_step,
            who=visit.person.name,
        )
        for visit in open_next_steps(ctx.session, client.id)
        if visit.next_due is not None
    ]


def _planned(ctx: Ctx, client: Client, t: Translator, today: date) -> list[str]:
    entries = ctx.session.execute(
        select(PlanEntry, Person.name)
        .join(VisitPlan, PlanEntry.plan_id == VisitPlan.id)
        .join(Person, VisitPlan.person_id == Person.id)
        .where(
            PlanEntry.client_id == client.id,
            PlanEntry.visit_id.is_(None),
            PlanEntry.planned_on >= today,
            VisitPlan.state.in_(FILED),
        )
        .order_by(PlanEntry.planned_on)
    ).all()
    return [
        t(
            "client.planned",
            date=t.date(entry.planned_on),
            purpose=purpose_text(t, entry.purpose),
            who=name,
        )
        for entry, name in entries
    ]


def _history(ctx: Ctx, client: Client, t: Translator) -> list[str]:
    events = []
    for visit in ctx.session.scalars(
        select(Visit)
        .where(Visit.client_id == client.id)
        .order_by(Visit.visited_on.desc(), Visit.id.desc())
        .limit(HISTORY_LIMIT)
    ).all():
        summary = visit.summary if len(visit.summary) <= SHORT else visit.summary[:SHORT] + "…"
        text = t(
            "client.visit",
            date=t.date(visit.visited_on),
            who=visit.person.name,
            contact=visit.contact,
            outcome=t(f"visit.outcome.{visit.outcome}"),
            summary=summary,
        )
        text += satisfaction.on_visit(ctx.session, t, visit.id)
        events.append(_Event(visit.visited_on, visit.id, text))
    for reception in ctx.session.scalars(
        select(Reception)
        .where(Reception.client_id == client.id, Reception.state != "withdrawn")
        .order_by(Reception.arrival_at.desc())
        .limit(HISTORY_LIMIT)
    ).all():
        day = reception.arrival_at.astimezone(ctx.tz).date()
        text = t(
            "client.reception",
            date=t.date(day),
            id=reception.id,
            cls=reception.class_key,
            state=t(f"rcp.state.{reception.state}"),
            who=reception.requester.name,
        )
        events.append(_Event(day, reception.id, text))
    for day, order, text in complaint_events(ctx.session, t, ctx.tz, client.id, HISTORY_LIMIT):
        events.append(_Event(day, order, text))
    events.sort(key=lambda e: (e.day, e.order), reverse=True)
    return [e.text for e in events[:HISTORY_LIMIT]]


FEATURE = Feature(
    commands=(Command("client", N_("help.client"), command),),
    actions={"cl": press},
)
