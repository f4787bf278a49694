"""The whole policy: its sections, and what flows ask of it (chains, lead days, deadlines)."""

from __future__ import annotations

import datetime as dt
from calendar import monthrange
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Literal, Protocol

from pydantic import Field

from handlers.rules.policy.after_approval import AdminWorkPolicy, FollowUpPolicy
from handlers.rules.policy.classes import DEFAULT_CLASSES, ClassPolicy
from handlers.rules.policy.fields import ClassKey
from handlers.rules.policy.sections import (
    ApprovalPolicy,
    BudgetPolicy,
    DigestPolicy,
    FieldPolicy,
    OrgPolicy,
    ReceptionPolicy,
    VisitsPolicy,
    WorkingDaysPolicy,
    _Section,
)
from handlers.rules.policy.service import AssessmentPolicy, ComplaintsPolicy, SatisfactionPolicy

Region = Literal["local", "province", "other"]


class MonthEnds(Protocol):
    """What `Policy.plan_deadline` asks of a calendar; `workdays.WorkCalendar` is one."""

    def last_working_day_of_month(self, year: int, month: int) -> dt.date: ...


class Policy(_Section):
    org: OrgPolicy = Field(default_factory=OrgPolicy)
    classes: Annotated[dict[ClassKey, ClassPolicy], Field(min_length=1, max_length=26)] = Field(
        default_factory=lambda: dict(DEFAULT_CLASSES)
    )
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    reception: ReceptionPolicy = Field(default_factory=ReceptionPolicy)
    budget: BudgetPolicy = Field(default_factory=BudgetPolicy)
    visits: VisitsPolicy = Field(default_factory=VisitsPolicy)
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    working_days: WorkingDaysPolicy = Field(default_factory=WorkingDaysPolicy)
    follow_up: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    admin_work: AdminWorkPolicy = Field(default_factory=AdminWorkPolicy)
    field: FieldPolicy = Field(default_factory=FieldPolicy)
    assessment: AssessmentPolicy = Field(default_factory=AssessmentPolicy)
    satisfaction: SatisfactionPolicy = Field(default_factory=SatisfactionPolicy)
    complaints: ComplaintsPolicy = Field(default_factory=ComplaintsPolicy)

    def class_policy(self, key: str) -> ClassPolicy:
        """The class `key` (KeyError when the policy has no such class)."""
        return self.classes[key]

    def meal_cap(self, class_key: str) -> Decimal:
        """Meal budget cap per head; a class without its own cap uses the employee standard."""
        cap = self.class_policy(class_key).meal_cap
        return self.org.employee_meal_cap if cap is None else cap

    def chain_for(self, class_key: str) -> list[str]:
        return list(self.class_policy(class_key).chain)

    def needs_finance(self, total: Decimal | int, company_paid_hotel: bool) -> bool:
        approval = self.approval
        hotel = company_paid_hotel and approval.finance_for_company_hotel
        return total > approval.finance_threshold or hotel

    def approvers_for(
        self, class_key: str, total: Decimal | int, company_paid_hotel: bool
    ) -> list[str]:
        """The class's chain, with finance added last when the total or the hotel needs it."""
        chain = self.chain_for(class_key)
        if "finance" not in chain and self.needs_finance(total, company_paid_hotel):
            chain.append("finance")
        return chain

    def lead_days(self, leaders: Iterable[str]) -> int:
        """Days of notice a reception needs, given the leaders the guests must meet."""
        reception = self.reception
        longer = any(leader in reception.leaders_needing_longer_lead for leader in leaders)
        return reception.min_lead_days_with_leaders if longer else reception.min_lead_days

    def visit_frequency_months(self, region: Region) -> int:
        return int(getattr(self.visits.frequency_months, region))

    def plan_deadline(self, year: int, month: int, calendar: MonthEnds) -> dt.date:
        """The day in (year, month) by which next month's visit plan is due."""
        if self.visits.plan_deadline == "last_working_day":
            return calendar.last_working_day_of_month(year, month)
        return dt.date(year, month, monthrange(year, month)[1])


def default_policy() -> Policy:
    """The built-in policy, which examples/policy.toml spells out."""
    return Policy()
