"""The monthly assessment (seed 003, 客户专人月度考核表; SPEC §7a): each item of the policy's
`[assessment]`, its weight, target, actual, completion rate and score, for one person's month.

Where each item's numbers come from (`AssessmentItem.source`):
* `visits` — planned: the filed plan's visits; actual: every visit logged in the month;
  the rate is the seed's actual ÷ planned, with the planned visits done shown beside it;
* `new_clients` (拓展) — target: the plan's; actual: clients the person first visited this
  month with an initial visit (初次拜访);
* `deals` (成交) — target: the plan's; actual: visits of the month whose outcome was "won";
* `satisfaction` — the month's average call-back score (1–5) as a share of 5;
* `manual` (平常工作) — the manager's mark, 1 to `mark_max`, as a share of `mark_max`.

An item's score is its weight × its rate, the rate counted up to `rate_cap_percent`; an item
with nothing to measure (no target, no mark yet) scores 0 and says why. The total is the sum,
less `repeat_complaint_points` for each repeat complaint from the person's clients that month
(seed 003: 引起客户再次投诉…记录在考核栏上), never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator
from handlers.rules.policy.schema import Policy
from handlers.rules.policy.service import AssessmentItem
from handlers.text.months import Month
from handlers.visits.rules import FILED, plan_completion, plan_of
from storage.models import AssessmentMark, Client, Complaint, Person, Satisfaction, Visit

SCORE_STEP = Decimal("0.1")


@dataclass(frozen=True)
class ItemScore:
    key: str
    source: str
    weight: int
    target: Decimal | None  # planned visits, the plan's target, or the scale's top
    actual: Decimal | None  # None: nothing yet (no mark, no score)
    done: int | None = None  # visits only: planned visits a logged visit closed

    @property
    def rate(self) -> int | None:
        """Actual ÷ target in whole percent, half up; None with no target or no actual."""
        if not self.target or self.actual is None:
            return None
        ratio = Decimal(100) * self.actual / self.target
        return int(ratio.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def score(self, cap_percent: int) -> Decimal:
        rate = self.rate
        if rate is None:
            return Decimal(0)
        counted = Decimal(min(rate, cap_percent))
        return (self.weight * counted / 100).quantize(SCORE_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Assessment:
    person: Person
    month: Month
    plan_state: str | None
    items: list[ItemScore]
    repeats: int  # repeat complaints from the person's clients this month
    cap_percent: int
    repeat_points: int

    @property
    def total(self) -> Decimal:
        scored = sum((item.score(self.cap_percent) for item in self.items), Decimal(0))
        return max(scored - self.repeats * self.repeat_points, Decimal(0))

    @property
    def unmarked(self) -> list[ItemScore]:
        """Manual items the manager has not marked yet."""
        return [item for item in self.items if item.source == "manual" and item.actual is None]


def assess(session: Session, policy: Policy, person: Person, month: Month) -> Assessment:
    """One person's assessment for a month, as the policy's items count it."""
    settings = policy.assessment
    plan = plan_of(session, person.id, month.year, month.month)
    targets = plan.targets if plan is not None and plan.state in FILED else {}
    tz_start, tz_end = month.bounds(ZoneInfo(policy.org.default_timezone))
    marks = {
        mark.item: mark.mark
        for mark in session.scalars(
            select(AssessmentMark).where(
                AssessmentMark.person_id == person.id,
                AssessmentMark.year == month.year,
                AssessmentMark.month == month.month,
            )
        )
    }
    items = []
    for key, item in settings.items.items():
        items.append(_item(session, policy, person, month, key, item, targets, marks))
    repeats = session.scalar(
        select(func.count(Complaint.id))
        .join(Client, Client.id == Complaint.client_id)
        .where(
            Client.owner_id == person.id,
            Complaint.repeat_of_id.is_not(None),
            Complaint.opened_at >= tz_start,
            Complaint.opened_at < tz_end,
        )
    )
    return Assessment(
        person,
        month,
        plan.state if plan is not None else None,
        items,
        repeats or 0,
        settings.rate_cap_percent,
        settings.repeat_complaint_points,
    )


def _item(
    session: Session,
    policy: Policy,
    person: Person,
    month: Month,
    key: str,
    item: AssessmentItem,
    targets: dict[str, object],
    marks: dict[str, int],
) -> ItemScore:
    first, last = month.first_day, month.last_day
    if item.source == "visits":
        score = plan_completion(session, person, month.year, month.month)
        return ItemScore(
            key, item.source, item.weight, Decimal(score.planned), Decimal(score.actual), score.done
        )
    if item.source in ("new_clients", "deals"):
        target = targets.get(item.source)
        if item.source == "deals":
            actual = session.scalar(
                select(func.count(Visit.id)).where(
                    Visit.person_id == person.id,
                    Visit.visited_on.between(first, last),
                    Visit.outcome == "won",
                )
            )
        else:
            actual = _new_clients(session, person, month)
        shown = Decimal(str(target)) if target is not None else None
        return ItemScore(key, item.source, item.weight, shown, Decimal(actual or 0))
    if item.source == "satisfaction":
        average = session.scalar(
            select(func.avg(Satisfaction.score))
            .join(Visit, Visit.id == Satisfaction.visit_id)
            .where(Visit.person_id == person.id, Visit.visited_on.between(first, last))
        )
        mean = None if average is None else Decimal(str(average)).quantize(SCORE_STEP)
        return ItemScore(key, item.source, item.weight, Decimal(5), mean)
    mark = marks.get(key)
    top = Decimal(policy.assessment.mark_max)
    return ItemScore(key, item.source, item.weight, top, None if mark is None else Decimal(mark))


def _new_clients(session: Session, person: Person, month: Month) -> int:
    """Clients whose first visit ever was the person's initial visit (初次拜访) this month."""
    first_visits = (
        select(Visit.client_id, func.min(Visit.visited_on).label("first"))
        .group_by(Visit.client_id)
        .subquery()
    )
    found = session.scalar(
        select(func.count(func.distinct(Visit.client_id)))
        .join(first_visits, first_visits.c.client_id == Visit.client_id)
        .where(
            Visit.person_id == person.id,
            Visit.kind == "initial",
            Visit.visited_on == first_visits.c.first,
            Visit.visited_on.between(month.first_day, month.last_day),
        )
    )
    return found or 0


# ---------------------------------------------------------------------------- as text


def item_name(t: Translator, key: str) -> str:
    """The item's name from the catalogs; an item they do not name shows its policy key."""
    label = f"assess.item.{key}"
    return t(label) if t.has(label) else key


def points(t: Translator, value: Decimal) -> str:
    return t.number(value.normalize() if value == value.to_integral() else value)


def item_line(t: Translator, item: ItemScore, cap_percent: int) -> str:
    """ "• 拜访 40%:计划 3 · 实际 3 · 完成率 100%(计划内完成 2)· 得分 40"."""
    rate = t("score.no_rate") if item.rate is None else f"{item.rate}%"
    said = {
        "name": item_name(t, item.key),
        "weight": item.weight,
        "rate": rate,
        "score": points(t, item.score(cap_percent)),
    }
    if item.source == "visits":
        return t(
            "assess.line.visits",
            planned=_count(t, item.target),
            actual=_count(t, item.actual),
            done=item.done or 0,
            **said,
        )
    if item.source in ("new_clients", "deals"):
        if item.target is None:
            return t("assess.line.no_target", actual=_count(t, item.actual), **said)
        return t(
            "assess.line.target",
            target=_count(t, item.target),
            actual=_count(t, item.actual),
            **said,
        )
    if item.actual is None:
        key = "assess.line.unmarked" if item.source == "manual" else "assess.line.no_scores"
        return t(key, **said)
    return t(
        "assess.line.mark",
        mark=points(t, item.actual),
        top=_count(t, item.target),
        **said,
    )


def _count(t: Translator, value: Decimal | None) -> str:
    return "0" if value is None else points(t, value)


def assessment_lines(t: Translator, assessment: Assessment) -> list[str]:
    """The items, one line each, then the total (and the repeat complaints that cost it)."""
    lines = [t("assess.title")]
    lines += [item_line(t, item, assessment.cap_percent) for item in assessment.items]
    if assessment.repeats:
        lines.append(
            t(
                "assess.repeats",
                n=assessment.repeats,
                points=assessment.repeats * assessment.repeat_points,
            )
        )
    lines.append(t("assess.total", total=points(t, assessment.total)))
    return lines
