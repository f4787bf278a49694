"""The admin office's digest section (SPEC §8): open checklist items for receptions arriving
today and tomorrow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import select

from handlers.digest.sections.base import DigestView, Line, More, guest_rows, section
from storage.models import ChecklistItem, Reception


@section("admin_office", order=50)
def open_checklists(view: DigestView) -> Iterable[Line | More]:
    """Approved receptions arriving today or tomorrow with items still to prepare."""
    yield from _checklists(view, 0, "prep_today")
    yield from _checklists(view, 1, "prep_tomorrow")


def _checklists(view: DigestView, day: int, topic: str) -> Iterator[Line | More]:
    t = view.t
    start, end = view.span(day)
    to_prepare = ChecklistItem.reception_id == Reception.id, ChecklistItem.done_at.is_(None)
    receptions, more = view.first(
        guest_rows().where(
            Reception.state == "approved",
            Reception.arrival_at >= start,
            Reception.arrival_at < end,
            select(ChecklistItem.id).where(*to_prepare).exists(),
        ),
        topic,
    )
    open_by_reception: dict[int, list[str]] = {}
    for reception_id, name in view.session.execute(  # one query, not one per reception
        select(ChecklistItem.reception_id, ChecklistItem.item)
        .where(
            ChecklistItem.reception_id.in_([number for number, *_ in receptions]),
            ChecklistItem.done_at.is_(None),
        )
        .order_by(ChecklistItem.id)
    ):
        open_by_reception.setdefault(reception_id, []).append(name)
    for number, arrival, client, zone in receptions:
        things = t("flow.list_sep").join(t(f"ck.item.{name}") for name in open_by_reception[number])
        yield Line(
            topic,
            t(
                "digest.item.checklist",
                id=number,
                client=client,
                time=view.when(arrival, view.host_zone(zone)),
                items=things,
            ),
        )
    yield from more
