"""How a reception reads: the budget arithmetic and the summary every reader sees.

The same text serves the requester's summary before submitting and the approver's card,
each in the reader's own language and time zone; the card adds who asked, the flags, the
client's recent history and the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.i18n import Translator
from handlers.policy import Policy
from handlers.visit_rules import recent_visits
from storage.models import ApprovalStep, Client, Reception

BUDGET_LINES = ("meals", "transport", "hotel", "gifts", "other")


@dataclass(frozen=True)
class Budget:
    lines: dict[str, Decimal]
    total: Decimal


def budget(policy: Policy, data: dict[str, Any]) -> Budget:
    """Meals are computed (meals × diners × per head); the other lines are as typed."""
    meals = Decimal(data.get("meals") or 0) * Decimal(data.get("diners") or 0)
    lines = {
        "meals": meals * Decimal(data.get("per_head") or 0),
        "transport": Decimal(data.get("b_transport") or 0),
        "hotel": Decimal(data.get("b_hotel") or 0),
        "gifts": Decimal(data.get("b_gifts") or 0),
        "other": Decimal(data.get("b_other") or 0),
    }
    return Budget(lines, sum(lines.values(), Decimal(0)))


def client_name(session: Session, data: dict[str, Any], t: Translator) -> str:
    value = str(data.get("client", ""))
    if value.startswith("n:"):
        return t("visit.new_client", name=value[2:])
    client = session.get(Client, int(value[2:])) if value.startswith("c:") else None
    return client.name if client else "?"


def _when(t: Translator, tz: tzinfo, value: str) -> str:
    return t.datetime(datetime.fromisoformat(value), tz)


def _listed(t: Translator, prefix: str, values: list[str] | None) -> str:
    return t("flow.list_sep").join(t(f"{prefix}.{v}") for v in values or [])


def reception_summary(
    session: Session, policy: Policy, data: dict[str, Any], t: Translator, tz: tzinfo
) -> str:
    """The request in a few dense lines, decision-relevant facts first."""
    cls = policy.class_policy(data["cls"])
    lines = [
        t(
            "rcp.line.client",
            client=client_name(session, data, t),
            cls=data["cls"],
            label=cls.label(t.locale),
        ),
        t("rcp.line.visitors", n=data["visitors"], guest=data["guest"], title=data["guest_title"]),
        t(
            "rcp.line.when",
            arrival=_when(t, tz, data["arrival"]),
            departure=_when(t, tz, data["departure"]),
        ),
        t("rcp.line.purposes", purposes=_listed(t, "rcp.purpose", data.get("purposes"))),
    ]
    if str(data.get("client", "")).startswith("n:") and data.get("region"):
        lines.insert(1, t("visit.line.region", region=t(f"visit.region.{data['region']}")))
    extras = []
    if data.get("pickup"):
        ref = f" {data['pickup_ref']}" if data.get("pickup_ref") else ""
        extras.append(t("rcp.line.pickup", place=data["pickup_place"], ref=ref))
    if data.get("hotel"):
        extras.append(
            t("rcp.line.hotel", nights=data["nights"], payer=t(f"rcp.payer.{data['hotel_payer']}"))
        )
    if data.get("room"):
        extras.append(t("rcp.line.room"))
    if data.get("tour"):
        extras.append(t("rcp.line.tour", areas=data["tour"]))
    if data.get("leaders"):
        extras.append(t("rcp.line.leaders", leaders=_listed(t, "rcp.leader", data["leaders"])))
    if extras:
        lines.append("   ".join(extras))
    if data.get("attendees"):
        lines.append(t("rcp.line.attendees", names=data["attendees"]))
    if data.get("gifts"):
        lines.append(t("rcp.line.gifts", gifts=data["gifts"]))
    lines.append(_budget_line(policy, data, t))
    lines += flags(policy, data, t)
    return "\n".join(lines)


def _budget_line(policy: Policy, data: dict[str, Any], t: Translator) -> str:
    money = budget(policy, data)
    parts = []
    if money.lines["meals"]:
        parts.append(
            t(
                "rcp.budget.meals",
                diners=data["diners"],
                meals=data["meals"],
                per_head=t.number(Decimal(data["per_head"])),
                amount=t.number(money.lines["meals"]),
            )
        )
    for line in BUDGET_LINES[1:]:
        if money.lines[line]:
            parts.append(t(f"rcp.budget.{line}", amount=t.number(money.lines[line])))
    parts.append(t("rcp.budget.total", total=t.money(money.total)))
    return t("rcp.line.budget", lines=" · ".join(parts))


def flags(policy: Policy, data: dict[str, Any], t: Translator) -> list[str]:
    """What the rules flagged, for the approver to weigh."""
    found = []
    if data.get("per_head"):
        cap = policy.meal_cap(data["cls"])
        line = t(
            "rcp.flag.meal_std",
            per_head=t.number(Decimal(data["per_head"])),
            cls=data["cls"],
            cap=t.number(cap),
        )
        found.append(line)
    if data.get("urgent"):
        found.append(t("rcp.flag.late", reason=data["urgent"]))
    if data.get("over_cap"):
        found.append(t("rcp.flag.over_cap", reason=data["over_cap"]))
    if data.get("hotel") and data.get("hotel_payer") == "company":
        found.append(t("rcp.flag.company_hotel"))
    return found


def recent_history(session: Session, reception: Reception, t: Translator, tz: tzinfo) -> str | None:
    """This client's last few receptions and visits, newest first, so the approver sees the
    relationship at a glance."""
    earlier = session.scalars(
        select(Reception)
        .where(Reception.client_id == reception.client_id, Reception.id != reception.id)
        .order_by(Reception.arrival_at.desc())
        .limit(3)
    ).all()
    items = [
        (
            r.arrival_at.astimezone(tz).date(),
            t(
                "rcp.history.item",
                date=t.date(r.arrival_at.astimezone(tz).date()),
                cls=r.class_key,
                state=t(f"rcp.state.{r.state}"),
            ),
        )
        for r in earlier
    ]
    items += [
        (
            v.visited_on,
            t(
                "visit.history.item",
                date=t.date(v.visited_on),
                outcome=t(f"visit.outcome.{v.outcome}"),
            ),
        )
        for v in recent_visits(session, reception.client_id, 3)
    ]
    if not items:
        return None
    items.sort(key=lambda item: item[0], reverse=True)
    return t("rcp.history", items=" · ".join(text for _, text in items[:3]))


def chain_line(steps: list[ApprovalStep], t: Translator) -> str:
    marks = {"approved": "✅", "pending": "⏳", "rejected": "❌", "changes": "↩", "cancelled": "—"}
    parts = [
        t(
            "approval.chain_step",
            name=s.approver.name,
            kind=t(f"approval.kind.{s.kind}"),
            mark=marks.get(s.state, "…"),
        )
        for s in steps
    ]
    return t("approval.chain", chain=" → ".join(parts))


def reception_card(
    session: Session,
    policy: Policy,
    reception: Reception,
    steps: list[ApprovalStep],
    t: Translator,
    tz: tzinfo,
) -> str:
    """The approver's card: one look to decide."""
    requester = reception.requester
    head = [
        t("rcp.card.title", id=reception.id)
        + (t("rcp.card.resubmitted", round=reception.round) if reception.round > 1 else ""),
        t("rcp.card.requester", name=requester.name, department=requester.department),
        reception_summary(session, policy, reception.answers, t, tz),
    ]
    history = recent_history(session, reception, t, tz)
    if history:
        head.append(history)
    head.append(chain_line(steps, t))
    return "\n".join(head)
