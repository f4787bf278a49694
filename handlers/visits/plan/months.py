"""The plan's months: labels, keys, which month an entry goes into, the deadline."""

from __future__ import annotations

from datetime import date, time

from babel.dates import format_date

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data
from handlers.engine.i18n import Translator
from handlers.rules.policy.schema import Policy
from handlers.rules.policy.service import TARGETED
from handlers.rules.workdays import WorkCalendar
from handlers.text.months import Month
from handlers.visits import rules as visit_rules
from handlers.visits.assessment import item_name
from storage.models import VisitPlan

FORM_NAME = "plan"
SUBJECT = "plan"
SUBMITTABLE = ("draft", "changes", "rejected")
SENT_BACK = ("changes", "rejected")  # the manager's note says why
EDITABLE = (*SUBMITTABLE, "approved")


def month_label(t: Translator, year: int, month: int) -> str:
    return format_date(date(year, month, 1), t("plan.fmt.month"), locale=t.locale)


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def target_month(ctx: Ctx, data: Data) -> tuple[int, int]:
    """The month an entry goes into: the one the person opened, else next month."""
    chosen = data.get("@month")
    if chosen:
        year, month = str(chosen).split("-")
        return int(year), int(month)
    following = Month.of(ctx.local_now.date()).next
    return following.year, following.month


def may_plan(ctx: Ctx, year: int, month: int) -> bool:
    """This month (a late plan) or next month."""
    this = Month.of(ctx.local_now.date())
    return Month(year, month) in (this, this.next)


def deadline(policy: Policy, year: int, month: int) -> date:
    """The day the plan for (year, month) is due: in the month before (seed: 每月底)."""
    before = Month(year, month).plus(-1)
    return policy.plan_deadline(before.year, before.month, WorkCalendar.for_policy(policy))


def purpose_text(t: Translator, purpose: str) -> str:
    return t(f"visit.purpose.{purpose}") if purpose in visit_rules.PURPOSES else purpose


def entry_line(
    t: Translator,
    day: date,
    client: str,
    purpose: str,
    at: time | None = None,
    expected: str | None = None,
) -> str:
    """One planned visit: its day (and time), client, purpose, and the outcome hoped for
    (seed 001 拜望打算书: 预期成果)."""
    when = t.date(day) + (f" {at:%H:%M}" if at is not None else "")
    line = t("plan.entry", date=when, client=client, purpose=purpose_text(t, purpose))
    if expected:
        line += t("plan.entry_expected", outcome=t(f"visit.outcome.{expected}"))
    return line


def targeted(policy: Policy) -> dict[str, str]:
    """source → item key, for the policy's items that have a target in the plan."""
    return {
        item.source: key for key, item in policy.assessment.items.items() if item.source in TARGETED
    }


def targets_line(t: Translator, policy: Policy, plan: VisitPlan) -> str | None:
    """ "目标:拓展 3 · 成交 2", or None when the plan has none the policy still counts."""
    parts = [
        t("plan.target_part", item=item_name(t, key), n=plan.targets[source])
        for source, key in targeted(policy).items()
        if source in plan.targets
    ]
    return t("plan.targets", targets=" · ".join(parts)) if parts else None
