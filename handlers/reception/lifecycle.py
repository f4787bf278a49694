"""A reception's life after it is sent: its approval outcome, the requester's list (`/my`),
withdrawing, and editing (which sends it through the chain again)."""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.approval import chain as approval
from handlers.approval.subjects import Subject, register
from handlers.engine.context import Ctx, named_by
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, action_id, rows
from handlers.engine.registry import Command, Feature
from handlers.org.clients import may_see
from handlers.reception import after_approval, checklist, return_call
from handlers.reception import form as reception
from handlers.reception.card import reception_card
from handlers.rules.policy.schema import Policy
from storage.models import ApprovalStep, Person, Reception

OPEN_STATES = ("pending", "approved", "changes")
UNDECIDED = ("pending", "changes")


def _requester(session: Session, reception_id: int) -> Person:
    item = session.get(Reception, reception_id)
    assert item is not None
    return item.requester


def title(session: Session, reception_id: int, t: Translator) -> str:
    item = session.get(Reception, reception_id)
    assert item is not None
    return t("rcp.title_of", id=item.id, client=item.client.name)


def _card(
    session: Session,
    policy: Policy,
    reception_id: int,
    steps: list[ApprovalStep],
    t: Translator,
    tz: tzinfo,
) -> str:
    item = session.get(Reception, reception_id)
    assert item is not None
    return reception_card(session, policy, item, steps, t, tz)


def _concluded(ctx: Ctx, reception_id: int, outcome: str, note: str) -> None:
    item = ctx.session.get(Reception, reception_id)
    assert item is not None
    item.state = outcome
    item.decided_at = ctx.now
    if outcome == "approved":
        after_approval.on_approved(ctx, item)
    elif outcome == "rejected":
        checklist.on_called_off(ctx, item)


def _round(session: Session, reception_id: int) -> int:
    item = session.get(Reception, reception_id)
    return item.round if item else 0


def _readable_by(session: Session, reception_id: int, reader: Person) -> bool:
    item = session.get(Reception, reception_id)
    return item is not None and may_see(session, reader, item.client)


register(
    Subject(
        "reception",
        _requester,
        title,
        _card,
        _concluded,
        _round,
        lambda person_id: select(Reception.id).where(Reception.requester_id == person_id),
        _readable_by,
        resubmit=(N_("rcp.edit_resubmit"), "rcp:edit:{id}"),
    )
)


# ---------------------------------------------------------------------------- the requester's list


def my_requests(ctx: Ctx, argument: str) -> None:
    """Open requests, newest arrival first, each with its state and what can be done."""
    awaiting_follow_up = (Reception.state == "closed") & Reception.follow_up.is_(None)
    items = ctx.session.scalars(
        select(Reception)
        .where(
            Reception.requester_id == ctx.person.id,
            Reception.state.in_(OPEN_STATES) | awaiting_follow_up,
        )
        .order_by(Reception.arrival_at)
    ).all()
    if not items:
        ctx.say("rcp.my.none")
        return
    ctx.say("rcp.my.title", n=len(items))
    for item in items:
        line = ctx.t(
            "rcp.my.item",
            id=item.id,
            client=item.client.name,
            arrival=ctx.t.datetime(item.arrival_at, ctx.tz),
            state=ctx.t(f"rcp.state.{item.state}"),
        )
        progress = checklist.checklist_progress(ctx.session, item)
        if progress:
            line += "\n" + ctx.t("rcp.my.checklist", done=progress[0], total=progress[1])
        ctx.reply(line, rows(*_actions(ctx, item)))


def _actions(ctx: Ctx, item: Reception) -> list[Button]:
    """What the requester can do with a request in its present state."""
    # The call is due when the guests are home, closed out or not (its own module says when).
    style = "primary" if item.state == "closed" else ""
    call = [Button(ctx.t("followup.log"), f"fu:{item.id}", style)]
    call = call if return_call.awaits_call(item) else []
    if item.state == "closed":
        return call
    left = reception.guests_left(ctx, item)
    buttons = [] if left else [Button(ctx.t("rcp.edit"), f"rcp:edit:{item.id}")]
    if item.state in UNDECIDED:
        buttons.append(Button(ctx.t("rcp.withdraw"), f"rcp:wd:{item.id}", "danger"))
    if item.state == "approved" and not left:  # what the admin office and the guests get
        buttons.append(Button(ctx.t("aw.start"), f"aw:{item.id}"))
        buttons.append(Button(ctx.t("gs.start"), f"gs:{item.id}"))
    if item.state == "approved" and left:
        buttons.append(Button(ctx.t("close.start"), f"cls:{item.id}", "primary"))
    return buttons + (call if left else [])


def press(ctx: Ctx, parts: list[str]) -> None:
    """`rcp:edit:<id>`, `rcp:wd:<id>` (then `rcp:wdok:<id>` or `rcp:keep:<id>` when it asks)
    — only the requester's own, while still open."""
    if len(parts) != 2 or action_id(parts[1]) is None:
        ctx.say("button.stale")
        return
    item = named_by(ctx.session, Reception, parts, 1)
    if item is None or item.requester_id != ctx.person.id:
        ctx.audit("reception.refused", "reception", int(parts[1]), button=parts[0])
        ctx.say("rcp.not_yours")
        return
    if item.state not in OPEN_STATES:
        ctx.say("rcp.closed_already", state=ctx.t(f"rcp.state.{item.state}"))
        return
    if parts[0] == "edit":
        reception.reopen(ctx, item)
    elif parts[0] in ("wd", "wdok"):
        withdraw(ctx, item, confirmed=parts[0] == "wdok")
    elif parts[0] == "keep":
        ctx.say("rcp.withdraw_kept", id=item.id)
    else:
        ctx.say("button.stale")


def withdraw(ctx: Ctx, item: Reception, confirmed: bool = False) -> None:
    """Before the final decision the requester may take a request back: also one sent back
    for changes, which is otherwise stuck in /my once its visit is over. One approved
    before (edited since) is asked about first: the admin office may have booked for it."""
    if item.state not in UNDECIDED:
        ctx.say("rcp.withdraw_too_late")
        return
    if not confirmed and checklist.was_approved(ctx, item):
        yes = Button(ctx.t("rcp.withdraw_yes"), f"rcp:wdok:{item.id}", "danger")
        no = Button(ctx.t("rcp.withdraw_no"), f"rcp:keep:{item.id}")
        ctx.reply(ctx.t("rcp.withdraw_confirm", id=item.id), rows(yes, no))
        return
    was_pending = item.state == "pending"
    item.state = "withdrawn"
    approval.cancel_round(ctx, "reception", item.id, item.round)
    checklist.on_called_off(ctx, item)
    ctx.audit("reception.withdraw", "reception", item.id)
    # Only a pending round has approvers' cards to show the withdrawal.
    ctx.say("rcp.withdrawn" if was_pending else "rcp.withdrawn_unsent", id=item.id)


FEATURE = Feature(
    commands=(
        Command("reception", N_("help.reception"), reception.start, form=reception.FORM_NAME),
        Command("my", N_("help.my"), my_requests, lists_drafts=True),
    ),
    actions={"rcp": press},
    forms=(reception.FORM,),
)
