"""The front desk's digest section (SPEC §8): today's expected guests, each with a check-in
button."""

from __future__ import annotations

from collections.abc import Iterable

from handlers.digest.sections.base import DigestView, Line, More, guest_rows, section
from handlers.engine.messages import Button
from storage.models import Person, Reception


@section("front_desk", order=50)
def guests_today(view: DigestView) -> Iterable[Line | More]:
    """Today's expected guests, each with a check-in button."""
    t = view.t
    start, end = view.span(0)
    guests, more = view.first(
        guest_rows(Reception.visitors, Reception.answers, Person.name).where(
            Reception.state.in_(("approved", "closed")),
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            Reception.checked_in_at.is_(None),
        ),
        "guests",
    )
    for number, arrival, client, zone, visitors, answers, host in guests:
        yield Line(
            "guests",
            t(
                "digest.item.guest",
                time=view.when(arrival, view.host_zone(zone)),
                client=client,
                n=visitors,
                guest=answers.get("guest", ""),
                host=host,
            ),
            (Button(t("digest.button.check_in", client=client), f"in:{number}"),),
        )
    yield from more
