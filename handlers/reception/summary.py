"""The visit summary (到访总结汇报, seed 004: "到访总结汇报、食宿费用签单报告"), SPEC §6a:
budget against actual line by line, the outcome and the agreed items — what the requester
checks before closing a reception out, and the short report their manager gets then."""

from __future__ import annotations

from decimal import Decimal

from handlers.approval.chain import approver_now
from handlers.engine.context import Ctx, translator_for, zone_of
from handlers.engine.forms.model import Data
from handlers.engine.i18n import Translator
from handlers.engine.messages import Message
from handlers.reception.card import BUDGET_LINES, budget, place_zone
from handlers.rules.policy.schema import Policy
from storage.models import Reception

UNPLANNED = "unplanned"  # spent on no line with a budget: asked once, after the budgeted ones


def actual(data: Data, line: str) -> Decimal:
    return Decimal(data.get(f"act_{line}") or 0)


def spend_lines(t: Translator, policy: Policy, reception: Reception, data: Data) -> list[str]:
    """Budget against actual for each line that had a budget, what was spent off budget, the
    totals, how much over budget when it is; then the outcome and the agreed items."""
    planned = budget(policy, reception.answers)
    money = t.money
    lines = [
        t(
            "close.line",
            line=t(f"cls.field.act_{line}"),
            planned=money(planned.lines[line]),
            actual=money(actual(data, line)),
        )
        for line in BUDGET_LINES
        if planned.lines[line]
    ]
    if actual(data, UNPLANNED):
        lines.append(t("close.unplanned", actual=money(actual(data, UNPLANNED))))
    spent = sum((actual(data, line) for line in (*BUDGET_LINES, UNPLANNED)), Decimal(0))
    lines.append(t("close.total", planned=money(planned.total), actual=money(spent)))
    if spent > planned.total:
        lines.append(t("close.over", over=money(spent - planned.total)))
    lines.append(t("close.outcome", outcome=data["outcome"]))
    if data.get("agreed"):
        lines.append(t("close.agreed", agreed=data["agreed"]))
    return lines


def report_to_manager(ctx: Ctx, reception: Reception) -> None:
    """The closed reception's summary to the requester's manager (the one their manager
    step goes to), in the manager's language; once per reception. Nobody above the requester
    and no GM but themselves: nobody gets it."""
    requester = reception.requester
    manager = approver_now(ctx.session, requester, "manager")
    if manager is None or reception.actual is None:
        return
    t = translator_for(ctx.session, manager, ctx.policy, now=ctx.now)
    tz, place = zone_of(manager, ctx.policy), place_zone(ctx.policy, reception)
    lines = [
        t(
            "report.title",
            id=reception.id,
            client=reception.client.name,
            name=requester.name,
            department=requester.department,
        ),
        t(
            "report.visit",
            arrival=t.datetime(reception.arrival_at, tz, place),
            departure=t.datetime(reception.departure_at, tz, place),
            n=reception.visitors,
        ),
        *spend_lines(t, ctx.policy, reception, reception.actual),
    ]
    ctx.notify(manager, Message("\n".join(lines)), f"report:{reception.id}")
