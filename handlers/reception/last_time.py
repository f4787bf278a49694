"""Like last time (issue 24 item 2): a client received before is most often received the same
way — the same station, hotel, meals, tour and people. The form offers the last reception's
arrangements in one question; taken, only what changes each time is asked (the dates, the
headcount and what follows from them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data
from handlers.org.clients import chosen_client
from handlers.reception.card import CHANGES
from storage.models import Reception

# Asked afresh each time: who and when, what the dates and headcount decide, and the reasons
# the rules ask for (they are about this request, not the last).
FRESH = frozenset(
    {
        "client",
        "region",
        "cls",
        "same",
        "visitors",
        "arrival",
        "departure",
        "nights",
        "diners",
        "pickup_ref",
        "urgent",
        "over_cap",
        CHANGES,
    }
)


def last_reception(ctx: Ctx, data: Data) -> Reception | None:
    """The form's client's latest reception that went ahead (not one withdrawn); none for a
    new client or when editing a sent request (its own answers are there already)."""
    client = chosen_client(ctx, data)
    if client is None or data.get("@reception"):
        return None
    return ctx.session.scalars(
        select(Reception)
        .where(Reception.client_id == client.id, Reception.state != "withdrawn")
        .order_by(Reception.arrival_at.desc(), Reception.id.desc())
        .limit(1)
    ).first()


def has_last(ctx: Ctx, data: Data) -> bool:
    return last_reception(ctx, data) is not None


def arrangements(reception: Reception) -> Data:
    """The last request's answers that carry over."""
    answers: dict[str, Any] = reception.answers or {}
    return {k: v for k, v in answers.items() if k not in FRESH and not k.startswith("@")}


def copy_last(ctx: Ctx, data: Data, same: bool) -> Data:
    last = last_reception(ctx, data) if same else None
    return arrangements(last) if last is not None else {}
