"""What the host asked the admin office for after approval (seed 002 综合部, seed 000): see-off
transport (送站) and return tickets (返程车船票), the welcome screen's text, flags and name
plates, the materials, and for a plant tour its time and route. Kept in
`Reception.arrangements`; the checklist card, the reminders and the guests' schedule read it
from here."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from handlers.engine.i18n import Translator
from storage.models import Reception

MATERIALS = ("intro", "catalogue", "projector")  # 公司介绍, 市场版产品目录, 投影仪 (seed 000)
RETURN_TICKETED = ("plane", "train")  # a way home with a ticket to buy (返程车船票)


def of(reception: Reception) -> dict[str, Any]:
    return dict(reception.arrangements or {})


def moment(arranged: dict[str, Any], key: str) -> datetime | None:
    """A time the arrangements hold (`tour_at`, `meal_at`), or None."""
    value = arranged.get(key)
    return datetime.fromisoformat(value) if value else None


def has_tour(reception: Reception) -> bool:
    return bool(reception.answers.get("tour"))


def items(arranged: dict[str, Any]) -> list[str]:
    """The checklist items the arrangements add."""
    wanted = {
        "seeoff": bool(arranged.get("seeoff")),
        "tickets": bool(arranged.get("tickets")),
        "flags": bool(arranged.get("flags")),
        "materials": bool(arranged.get("materials")),
    }
    return [item for item, needed in wanted.items() if needed]


def lines(
    arranged: dict[str, Any], answers: dict[str, Any], t: Translator, tz: tzinfo
) -> list[str]:
    """The arrangements (of a request with these `answers`) as the admin office reads them."""
    said = []
    if arranged.get("seeoff"):
        said.append(t("aw.line.seeoff", place=arranged.get("seeoff_place") or ""))
    if arranged.get("return_by"):
        way = t(f"aw.return.{arranged['return_by']}")
        ref = arranged.get("return_ref")
        said.append(
            t("aw.line.return_ref", way=way, ref=ref) if ref else t("aw.line.return", way=way)
        )
    if arranged.get("tickets"):
        said.append(t("aw.line.tickets"))
    if arranged.get("screen_text"):
        said.append(t("aw.line.screen", text=arranged["screen_text"]))
    if arranged.get("flags"):
        said.append(t("aw.line.flags"))
    if arranged.get("materials"):
        names = [t(f"aw.material.{m}") for m in arranged["materials"]]
        said.append(t("aw.line.materials", items=t("flow.list_sep").join(names)))
    tour = moment(arranged, "tour_at")
    if tour or arranged.get("tour_route"):
        when = t.datetime(tour, tz) if tour else t("aw.time_unknown")
        said.append(
            t(
                "aw.line.tour",
                at=when,
                route=arranged.get("tour_route") or answers.get("tour") or "",
            )
        )
    meal = moment(arranged, "meal_at")
    if meal:
        said.append(t("aw.line.meal", at=t.datetime(meal, tz)))
    return said
