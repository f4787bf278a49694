"""Who will approve a reception request and why (SPEC §5), worked out from its answers: the
class's chain, and finance when the total is over the policy's line or the company pays the
hotel. The request's submit starts that chain; its summary shows it first (issue 24 item 4),
so the requester sees each step's reason before sending."""

from __future__ import annotations

from typing import Any

from handlers.approval.chain import resolve
from handlers.engine.context import Ctx
from handlers.reception.card import budget, company_hotel


def approver_kinds(ctx: Ctx, data: dict[str, Any]) -> list[str]:
    total = budget(ctx.policy, data).total
    return ctx.policy.approvers_for(data["cls"], total, company_hotel(data))


def who_approves(ctx: Ctx, data: dict[str, Any]) -> str:
    """ "审批:王经理(部门,B类流程) → 陈静(财务,合计¥6,200超过¥5,000)", one line."""
    t, policy = ctx.t, ctx.policy
    by_class = policy.chain_for(data["cls"])
    total = budget(policy, data).total
    steps = []
    for kind, person in resolve(ctx, ctx.person, approver_kinds(ctx, data)):
        if kind in by_class:
            why = t("rcp.why.class", cls=data["cls"])
        elif total > policy.approval.finance_threshold:
            why = t(
                "rcp.why.over_line",
                total=t.money(total),
                line=t.money(policy.approval.finance_threshold),
            )
        else:
            why = t("rcp.why.company_hotel")
        steps.append(t("rcp.why.step", name=person.name, kind=t(f"approval.kind.{kind}"), why=why))
    return t("rcp.why.chain", steps=" → ".join(steps) or t("rcp.why.nobody"))
