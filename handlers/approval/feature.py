"""The approval feature: a card's buttons (`apv:`), the /pending queue, /delegate, the form."""

from __future__ import annotations

from handlers.approval.cards import card_message
from handlers.approval.deciding import already, decidable_by, decide, refused
from handlers.approval.delegation import delegate
from handlers.approval.reason import REASON_FORM
from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.i18n import N_
from handlers.engine.registry import Command, Feature
from storage.models import ApprovalStep


def press(ctx: Ctx, parts: list[str]) -> None:
    """`apv:<step>:ok|no|chg` — approve at once; reject and changes first ask why."""
    step = named_by(ctx.session, ApprovalStep, parts) if len(parts) == 2 else None
    if step is None or parts[1] not in ("ok", "no", "chg"):
        ctx.say("button.stale")
        return
    if refused(ctx, step):
        return
    if step.state != "pending":
        already(ctx, step)
        return
    if parts[1] == "ok":
        decide(ctx, step.id, "approved", "")
    else:
        decision = "rejected" if parts[1] == "no" else "changes"
        engine.start(ctx, REASON_FORM, prefill={"@step": step.id, "@decision": decision})


def pending(ctx: Ctx, argument: str) -> None:
    """The approver's queue: every step waiting for them (or for whom they stand in)."""
    steps = ctx.session.scalars(decidable_by(ctx.session, ctx.person, ctx.now)).all()
    if not steps:
        ctx.say("approval.queue_empty")
        return
    ctx.say("approval.queue", n=len(steps))
    for step in steps:
        ctx.replies.append(card_message(ctx.session, ctx.policy, step, ctx.person, ctx.now))


FEATURE = Feature(
    commands=(
        # Anyone: a salesperson standing in for their manager decides too.
        Command("pending", N_("help.pending"), pending),
        Command(
            "delegate",
            N_("help.delegate"),
            delegate,
            frozenset({"manager", "vp", "gm", "chairman", "finance"}),
        ),
    ),
    actions={"apv": press},
    forms=(REASON_FORM,),
)
