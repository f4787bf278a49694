"""The admin office's checklist (SPEC §6): what an approved reception needs prepared, ticked
item by item while the requester sees progress; told when an edit reopens or ends it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, named_by, people_with, translator_for, zone_of
from handlers.engine.forms.model import Choice, Data
from handlers.engine.forms.readers import folded
from handlers.engine.messages import Button, Message, rows
from handlers.engine.registry import Feature
from handlers.reception import arrangements
from handlers.reception.card import (
    changes_line,
    place_zone,
    reception_summary,
)
from storage.models import ChecklistItem, Person, Reception

# The last ones come from a plant tour (seed 003: 必须戴安全帽) and from the host's
# arrangements after approval (`arrangements.items`).
ITEMS = (
    "room",
    "car",
    "hotel",
    "restaurant",
    "screen",
    "badge",
    "gifts",
    "helmets",
    "safety",
    "seeoff",
    "tickets",
    "flags",
    "materials",
)
PREPARED_FOR = ("approved", "closed")  # the states whose checklist the admin office ticks


def needed_items(answers: Data) -> list[str]:
    """What this request needs prepared: a screen and badges always, the rest as asked (for a
    plant tour, helmets and the safety briefing)."""
    wanted = {
        "room": bool(answers.get("room")),
        "car": bool(answers.get("pickup")),
        "hotel": bool(answers.get("hotel")),
        "restaurant": bool(answers.get("meals")),
        "screen": True,
        "badge": True,
        "gifts": bool(answers.get("gifts")),
        "helmets": bool(answers.get("tour")),
        "safety": bool(answers.get("tour")),
    }
    return [item for item in ITEMS if wanted.get(item)]


def add_items(ctx: Ctx, reception: Reception, names: list[str]) -> None:
    """Put on the reception's checklist the items it lacks among `names`."""
    have = {i.item for i in items_of(ctx, reception)}
    for item in names:
        if item not in have:
            ctx.session.add(ChecklistItem(reception_id=reception.id, item=item))
    ctx.session.flush()


def on_called_off(ctx: Ctx, reception: Reception) -> None:
    """A reception approved once, then edited, has ended unapproved (withdrawn, rejected):
    the admin office may have booked for it, so they are told, with what they had done."""
    items = items_of(ctx, reception)
    if not items:
        return
    for person in people_with(ctx.session, "admin_office"):
        t = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
        text = t(
            "ck.called_off",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(
                reception.arrival_at, zone_of(person, ctx.policy), place_zone(ctx.policy, reception)
            ),
            state=t(f"rcp.state.{reception.state}"),
        )
        done = [t(f"ck.item.{i.item}") for i in items if i.done_at]
        if done:
            text += "\n" + t("ck.undo", items=t("flow.list_sep").join(done))
        ctx.notify(person, Message(text), f"ck.off:{reception.id}:{reception.round}:{person.id}")


def on_reopened(ctx: Ctx, reception: Reception) -> None:
    """An approved reception edited and sent for approval again: the admin office, which
    may be arranging it, is told it is back under review, and what changed."""
    if not items_of(ctx, reception):
        return
    for person in people_with(ctx.session, "admin_office"):
        t = translator_for(ctx.session, person, ctx.policy)
        tz = zone_of(person, ctx.policy)
        text = t(
            "ck.reopened",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(reception.arrival_at, tz),
        )
        changes = changes_line(ctx.session, reception.answers, t, tz)
        if changes:
            text += "\n" + changes
        key = f"ck.reopen:{reception.id}:{reception.round}:{person.id}"
        ctx.notify(person, Message(text), key)


def was_approved(ctx: Ctx, reception: Reception) -> bool:
    """Approved once (its checklist exists): the admin office may have booked for it."""
    return bool(items_of(ctx, reception))


def items_of(ctx: Ctx, reception: Reception) -> list[ChecklistItem]:
    return list(
        ctx.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.reception_id == reception.id)
            .order_by(ChecklistItem.id)
        )
    )


def checklist_progress(session: Session, reception: Reception) -> tuple[int, int] | None:
    items = list(
        session.scalars(select(ChecklistItem).where(ChecklistItem.reception_id == reception.id))
    )
    if not items:
        return None
    return sum(1 for i in items if i.done_at), len(items)


def checklist_card(ctx: Ctx, reception: Reception, reader: Person) -> Message:
    t = translator_for(ctx.session, reader, ctx.policy, now=ctx.now)
    tz = zone_of(reader, ctx.policy)
    place = place_zone(ctx.policy, reception)
    lines = [
        t(
            "ck.title",
            id=reception.id,
            client=reception.client.name,
            arrival=t.datetime(reception.arrival_at, tz, place),
        ),
        reception_summary(ctx.session, ctx.policy, reception.answers, t, tz, place),
        *arrangements.lines(arrangements.of(reception), reception.answers, t, tz),
    ]
    buttons = [
        Button(("✅ " if i.done_at else "⬜ ") + t(f"ck.item.{i.item}"), f"ck:{i.id}")
        for i in items_of(ctx, reception)
    ]
    return Message("\n".join(lines), rows(*buttons, per_row=2), card=f"ck:{reception.id}")


def tick(ctx: Ctx, parts: list[str]) -> None:
    """`ck:<item>` — the admin office ticks (or unticks) one item; the requester sees it."""
    item = named_by(ctx.session, ChecklistItem, parts)
    if item is None:
        ctx.say("button.stale")
        return
    if not (ctx.person.has_role("admin_office") or ctx.person.has_role("org_admin")):
        ctx.audit("checklist.refused", "checklist_item", item.id)
        ctx.say("ck.not_yours")
        return
    reception = ctx.session.get(Reception, item.reception_id)
    assert reception is not None
    if reception.state not in PREPARED_FOR:
        ctx.say("rcp.closed_already", state=ctx.t(f"rcp.state.{reception.state}"))
        return
    item.done_at = None if item.done_at else ctx.now
    item.done_by_id = ctx.person.id if item.done_at else None
    ctx.audit("checklist.tick", "reception", reception.id, item=item.item, done=bool(item.done_at))
    card = checklist_card(ctx, reception, ctx.person)
    ctx.replies.append(Message(card.text, card.buttons, card=card.card, replace=True))
    done, total = checklist_progress(ctx.session, reception) or (0, 0)
    requester = reception.requester
    t = translator_for(ctx.session, requester, ctx.policy)
    status = t("ck.item_done" if item.done_at else "ck.item_undone", item=t(f"ck.item.{item.item}"))
    text = t(
        "ck.progress",
        id=reception.id,
        client=reception.client.name,
        done=done,
        total=total,
        status=status,
    )
    ctx.notify(requester, Message(text), f"ck:{item.id}:{item.done_at}:{ctx.now.isoformat()}")


def typed_item(ctx: Ctx, text: str) -> bool:
    """A checklist item typed by its label ("接站车辆") by the admin office: ticked on the one
    reception being prepared that has it; with several, which one is asked."""
    if not (ctx.person.has_role("admin_office") or ctx.person.has_role("org_admin")):
        return False
    typed = folded(text)
    named = [i for i in ITEMS if typed in (folded(n) for n in Choice(i, f"ck.item.{i}").names(ctx))]
    if not named:
        return False
    items = list(
        ctx.session.scalars(
            select(ChecklistItem)
            .join(Reception, Reception.id == ChecklistItem.reception_id)
            .where(ChecklistItem.item == named[0], Reception.state == "approved")
            .order_by(Reception.arrival_at, Reception.id)
        )
    )
    if not items:
        return False
    if len(items) == 1:
        tick(ctx, [str(items[0].id)])
        return True
    buttons = []
    for item in items:
        reception = ctx.session.get(Reception, item.reception_id)
        assert reception is not None
        label = f"#{reception.id} {reception.client.name}"
        buttons.append(Button(("✅ " if item.done_at else "") + label, f"ck:{item.id}"))
    ctx.reply(ctx.t("ck.which", item=ctx.t(f"ck.item.{named[0]}")), rows(*buttons, per_row=2))
    return True


FEATURE = Feature(actions={"ck": tick}, typed=(typed_item,))
