"""How a reception reads: the budget arithmetic and the summary every reader sees.

The same text serves the requester's summary before submitting and the approver's card,
each in the reader's own language and time zone; the card adds who asked, the flags, the
client's recent history and the chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import zone_of
from handlers.engine.i18n import Translator
from handlers.reception.host import host_line
from handlers.rules.policy.schema import Policy
from handlers.visits.rules import recent_visits
from storage.models import ApprovalStep, Client, Reception

# Drinks and tobacco are a line of their own, outside the meal cap (seed 000: 不含烟、酒水).
BUDGET_LINES = ("meals", "drinks", "transport", "hotel", "gifts", "other")
# In a resubmitted request's answers: [field, was, now] for what the edit changed.
CHANGES = "@changes"
CHANGE_ECHO = 24  # characters of a changed text shown; longer ones are only named


@dataclass(frozen=True)
class Budget:
    lines: dict[str, Decimal]
    total: Decimal


def budget(policy: Policy, data: dict[str, Any]) -> Budget:
    """Meals are computed (meals × diners × per head); the other lines are as typed."""
    meals = Decimal(data.get("meals") or 0) * Decimal(data.get("diners") or 0)
    lines = {
        "meals": meals * Decimal(data.get("per_head") or 0),
        "drinks": Decimal(data.get("b_drinks") or 0),
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


def place_zone(policy: Policy, reception: Reception) -> ZoneInfo:
    """The zone where a reception happens, whose clock its times are arranged by: its host's
    (a Berlin salesperson receives guests in Berlin, at 15:00 Berlin time)."""
    return zone_of(reception.requester, policy)


def _when(t: Translator, tz: tzinfo, value: str, place: tzinfo | None) -> str:
    return t.datetime(datetime.fromisoformat(value), tz, place)


def _listed(t: Translator, prefix: str, values: list[str] | None) -> str:
    return t("flow.list_sep").join(t(f"{prefix}.{v}") for v in values or [])


def client_line(session: Session, policy: Policy, data: dict[str, Any], t: Translator) -> str:
    label = policy.class_policy(data["cls"]).label(t.locale)
    return t("rcp.line.client", client=client_name(session, data, t), cls=data["cls"], label=label)


def reception_summary(
    session: Session,
    policy: Policy,
    data: dict[str, Any],
    t: Translator,
    tz: tzinfo,
    place: tzinfo | None = None,
    with_client: bool = True,
    host: str | None = None,
) -> str:
    """The request in a few dense lines, decision-relevant facts first; its times in the
    reader's zone `tz`, and in the `place`'s too (labelled) where that clock differs. The
    card puts the client in its header instead (`with_client`); `host` is its host line
    (`host.host_line`), which needs the requester."""
    lines = [client_line(session, policy, data, t)] if with_client else []
    lines += [
        t("rcp.line.visitors", n=data["visitors"], guest=data["guest"], title=data["guest_title"]),
        t(
            "rcp.line.when",
            arrival=_when(t, tz, data["arrival"], place),
            departure=_when(t, tz, data["departure"], place),
        ),
        t("rcp.line.purposes", purposes=_listed(t, "rcp.purpose", data.get("purposes"))),
    ]
    if host:
        lines.append(host)
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
    lines += contradictions(data, t, tz)
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


def stay_nights(data: dict[str, Any]) -> int | None:
    """Nights between arrival and departure, by the dates as typed (None before both)."""
    if not (data.get("arrival") and data.get("departure")):
        return None
    arrival = datetime.fromisoformat(data["arrival"])
    departure = datetime.fromisoformat(data["departure"]).astimezone(arrival.tzinfo)
    return (departure.date() - arrival.date()).days


_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)")
# A pickup more than this long before the arrival, or after it, reads as a typo.
PICKUP_LEAD = timedelta(hours=4)


def pickup_far_from_arrival(data: dict[str, Any]) -> str | None:
    """The time in the flight or train given ("G7012 09:12") when it does not fit the
    arrival: after it, or hours before. None when it fits or holds no time."""
    found = _CLOCK.search(str(data.get("pickup_ref") or ""))
    if found is None or not data.get("arrival"):
        return None
    arrival = datetime.fromisoformat(data["arrival"])
    lands = arrival.replace(hour=int(found[1]), minute=int(found[2]))
    if lands <= arrival and arrival - lands <= PICKUP_LEAD:
        return None
    return f"{found[1].zfill(2)}:{found[2]}"


def contradictions(data: dict[str, Any], t: Translator, tz: tzinfo) -> list[str]:
    """Answers that contradict each other, said on the summary and the card (the chat asked
    them to be confirmed as they were typed; a whole form at once, or an edit, did not)."""
    found = []
    nights = stay_nights(data)
    if data.get("hotel") and nights is not None and int(data.get("nights") or 0) > nights:
        found.append(t("rcp.flag.nights", nights=data["nights"], stay=nights))
    lands = pickup_far_from_arrival(data) if data.get("pickup") else None
    if lands is not None:
        arrival = t.time(datetime.fromisoformat(data["arrival"]), tz)
        found.append(t("rcp.flag.pickup_time", lands=lands, arrival=arrival))
    return found


def company_hotel(data: dict[str, Any]) -> bool:
    """The company pays the hotel: finance's concern, and the card's warning."""
    return bool(data.get("hotel")) and data.get("hotel_payer") == "company"


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
        found.append(t("rcp.flag.late", rule=_lead_rule(policy, data, t), reason=data["urgent"]))
    if data.get("over_cap"):
        found.append(t("rcp.flag.over_cap", reason=data["over_cap"]))
    if company_hotel(data):
        found.append(t("rcp.flag.company_hotel"))
    threshold = policy.approval.finance_threshold
    total = budget(policy, data).total
    if total > threshold and "finance" not in policy.chain_for(data["cls"]):
        found.append(t("rcp.flag.finance", total=t.money(total), threshold=t.money(threshold)))
    return found


def _lead_rule(policy: Policy, data: dict[str, Any], t: Translator) -> str:
    """Which notice rule the request is short of: the plain one, or the longer one the
    leaders it asks for need (seed 000: 提前1天, 总经理/董事长出席提前2天)."""
    leaders = data.get("leaders") or []
    days = policy.lead_days(leaders)
    longer = [k for k in leaders if k in policy.reception.leaders_needing_longer_lead]
    if not longer:
        return t("rcp.rule.lead", days=days)
    return t("rcp.rule.lead_leaders", days=days, leaders=_listed(t, "rcp.leader", longer))


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


def changes_line(session: Session, data: dict[str, Any], t: Translator, tz: tzinfo) -> str | None:
    """改动:人数 5→6 · 到访时间 … — what an edit changed, in the reader's words."""
    parts = []
    for name, was, now in data.get(CHANGES) or []:
        label = t(f"rcp.field.{name}")
        shown = [_answer(session, t, tz, name, value) for value in (was, now)]
        if any(len(value) > CHANGE_ECHO for value in shown):
            parts.append(label)
        else:
            parts.append(f"{label} {shown[0]}→{shown[1]}")
    return t("rcp.card.changes", changes=" · ".join(parts)) if parts else None


def _answer(session: Session, t: Translator, tz: tzinfo, name: str, value: Any) -> str:
    """One stored answer as the summary shows it."""
    if value is None or value == "" or value == []:
        return t("rcp.change.none")
    if isinstance(value, bool):
        return t("flow.yes" if value else "flow.no")
    if name in ("arrival", "departure"):
        return _when(t, tz, value, None)
    if name == "client":
        return client_name(session, {"client": value}, t)
    if name in ("purposes", "leaders"):
        return _listed(t, "rcp.purpose" if name == "purposes" else "rcp.leader", value)
    if name == "hotel_payer":
        return t(f"rcp.payer.{value}")
    if isinstance(value, (int, float, Decimal)) or str(value).replace(".", "", 1).isdigit():
        return t.number(Decimal(str(value)))
    return str(value)


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
    answers = reception.answers
    head = [
        t("rcp.card.title", id=reception.id)
        + client_line(session, policy, answers, t)
        + (t("rcp.card.resubmitted", round=reception.round) if reception.round > 1 else ""),
        t("rcp.card.requester", name=requester.name, department=requester.department),
    ]
    changes = changes_line(session, answers, t, tz) if reception.round > 1 else None
    if changes:
        head.append(changes)
    head.append(
        reception_summary(
            session,
            policy,
            answers,
            t,
            tz,
            place_zone(policy, reception),
            with_client=False,
            host=host_line(session, policy, requester, reception.class_key, t),
        )
    )
    history = recent_history(session, reception, t, tz)
    if history:
        head.append(history)
    head.append(chain_line(steps, t))
    return "\n".join(head)
