"""The follow-up call (电话回访, seeds 003/004): due when the guests should be home, and its
result."""

from __future__ import annotations

from sqlalchemy import select, update

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Gone, Step
from handlers.engine.i18n import N_
from handlers.engine.registry import Feature
from handlers.reception.own import form_reception, own_in, start_on_own
from storage.models import AuditEntry, Reception, Reminder

FOLLOWS_UP = "closed"  # the state its follow-up call is logged in


def _awaiting_follow_up(ctx: Ctx, item: Reception | None) -> Reception:
    """`item` if its follow-up call is still to be logged (see `_own_in`); else Invalid
    saying when and what was logged. The state stays "closed" after the call, so the logged
    result is what says it is done, and an old button must not overwrite it."""
    item = own_in(ctx, item, FOLLOWS_UP)
    if item.follow_up is None:
        return item
    logged = ctx.session.scalar(
        select(AuditEntry.at)
        .where(
            AuditEntry.subject == "reception",
            AuditEntry.subject_id == item.id,
            AuditEntry.action == "reception.follow_up",
        )
        .order_by(AuditEntry.at)
        .limit(1)
    )
    params = {"client": item.client.name, "result": item.follow_up}
    if logged is None:  # set outside the bot (a hand edit): nothing says when
        raise Gone(N_("followup.already_undated"), **params)
    raise Gone(N_("followup.already"), at=ctx.t.datetime(logged, ctx.tz), **params)


def start_follow_up(ctx: Ctx, parts: list[str]) -> None:
    """`fu:<reception>` — log how the follow-up call went."""
    start_on_own(ctx, parts, _awaiting_follow_up, FOLLOW_UP_FORM)


def _follow_up_submit(ctx: Ctx, data: Data) -> None:
    item = _awaiting_follow_up(ctx, form_reception(ctx, data))
    item.follow_up = data["result"]
    ctx.audit("reception.follow_up", "reception", item.id)
    ctx.session.execute(
        update(Reminder)
        .where(
            Reminder.key == f"reception.followup:{item.id}", Reminder.state.in_(("pending", "sent"))
        )
        .values(state="done")
    )
    ctx.say("followup.done", client=item.client.name)


FOLLOW_UP_FORM = Form(
    "fu",
    N_("followup.title"),
    (Step("result", N_("followup.ask"), max_length=500),),
    summary=lambda ctx, data: "",
    submit=_follow_up_submit,
    confirm=False,
)


FEATURE = Feature(actions={"fu": start_follow_up}, forms=(FOLLOW_UP_FORM,))
