"""Closing a reception out (SPEC §6): after departure the requester reports the actual spend
per budget line (实际支出额), the outcome and the agreed items; the summary goes to their
manager (`summary.report_to_manager`). The follow-up call does not wait for it
(`return_call`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Kind, Step
from handlers.engine.i18n import N_
from handlers.engine.registry import Feature
from handlers.reception.card import BUDGET_LINES, budget
from handlers.reception.own import form_reception, own_in, start_on_own
from handlers.reception.summary import UNPLANNED, report_to_manager, spend_lines
from storage.models import Reception

CLOSES = "approved"  # the state a reception is closed out from


def _closable(ctx: Ctx, item: Reception | None) -> Reception:
    return own_in(ctx, item, CLOSES)


def start_close_out(ctx: Ctx, parts: list[str]) -> None:
    """`cls:<reception>` — the requester reports actual spend, outcome and agreed items."""
    start_on_own(ctx, parts, _closable, CLOSE_FORM)


def _close_summary(ctx: Ctx, data: Data) -> str:
    item = form_reception(ctx, data)
    title = ctx.t("close.summary", id=item.id, client=item.client.name)
    return "\n".join([title, *spend_lines(ctx.t, ctx.policy, item, data)])


def _close_submit(ctx: Ctx, data: Data) -> None:
    item = _closable(ctx, form_reception(ctx, data))
    # A line without a budget was not asked: nothing was spent on it (exports read 0).
    unasked = {f"act_{line}": "0.00" for line in BUDGET_LINES}
    item.actual = unasked | {k: v for k, v in data.items() if not k.startswith("@")}
    item.state = "closed"
    item.closed_at = ctx.now
    ctx.audit("reception.close", "reception", item.id)
    report_to_manager(ctx, item)  # the follow-up call was set at approval (return_call)
    ctx.say("close.done", id=item.id)


def _budgeted(line: str) -> Callable[[Ctx, Data], bool]:
    """For `Step.when`: ask a line's actual spend only if the request gave it a budget."""
    return lambda ctx, data: bool(budget(ctx.policy, form_reception(ctx, data).answers).lines[line])


def _money_step(line: str) -> Step:
    return Step(
        f"act_{line}", f"close.ask.act_{line}", Kind.MONEY, when=_budgeted(line), minimum=Decimal(0)
    )


CLOSE_FORM = Form(
    "cls",
    N_("close.title"),
    (
        *(_money_step(line) for line in BUDGET_LINES),
        Step(
            f"act_{UNPLANNED}",
            N_("close.ask.act_unplanned"),
            Kind.MONEY,
            optional=True,
            minimum=Decimal(0),
        ),
        Step("outcome", N_("close.ask.outcome"), max_length=500),
        Step("agreed", N_("close.ask.agreed"), optional=True, max_length=500),
    ),
    _close_summary,
    _close_submit,
)

FEATURE = Feature(actions={"cls": start_close_out}, forms=(CLOSE_FORM,))
