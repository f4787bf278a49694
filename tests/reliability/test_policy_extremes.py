"""Every number the policy check accepts runs the bot: each number of the schema at its
smallest and at its largest allowed value, a reception submitted, approved, and weeks of
scheduler ticks (reminders, escalations, close-out, follow-up, digests, plan reminders) with
no error anywhere. A number past its bound is refused by the check, naming its line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import annotated_types
import pytest
from pydantic import BaseModel

from handlers.rules.policy.classes import DEFAULT_CLASSES, ClassPolicy
from handlers.rules.policy.load import PolicyError, parse_policy
from handlers.rules.policy.schema import Policy
from storage.models import Reception
from tests.support import Company

Path = tuple[str, ...]


def _numbers(model: type[BaseModel], path: Path = ()) -> Iterator[tuple[Path, Any, Any]]:
    """Every numeric field of the schema, with its lower and upper bound (None: none)."""
    for name, field in model.model_fields.items():
        inner = field.annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _numbers(inner, (*path, name))
            continue
        kinds = [getattr(kind, "__origin__", kind) for kind in getattr(inner, "__args__", (inner,))]
        if not any(kind in (int, float, Decimal) for kind in kinds):
            continue
        metadata = [*field.metadata, *_nested_metadata(inner)]
        low = next((m.ge for m in metadata if isinstance(m, annotated_types.Ge)), None)
        high = next((m.le for m in metadata if isinstance(m, annotated_types.Le)), None)
        yield (*path, name), low, high


def _nested_metadata(annotation: Any) -> list[Any]:
    # `Annotated[Amount, Field(le=…)] | None`: the bounds sit inside the union's member.
    found: list[Any] = []
    for member in getattr(annotation, "__args__", ()):
        found += getattr(member, "__metadata__", [])
        for info in getattr(member, "__metadata__", []):
            found += getattr(info, "metadata", [])
    return found


def _class_fields() -> Iterator[tuple[Path, Any, Any]]:
    for path, low, high in _numbers(ClassPolicy):
        yield ("classes", "C", *path), low, high


NUMBERS = [*_numbers(Policy), *_class_fields()]
# A rule tying two numbers: moving the first to an end may need the second at the same end.
PARTNERS: dict[Path, Path] = {
    ("approval", "remind_after_working_hours"): ("approval", "escalate_after_working_hours"),
    ("approval", "escalate_after_working_hours"): ("approval", "remind_after_working_hours"),
    ("reception", "min_lead_days"): ("reception", "min_lead_days_with_leaders"),
    ("reception", "min_lead_days_with_leaders"): ("reception", "min_lead_days"),
}
BOUNDS = {path: (low, high) for path, low, high in NUMBERS}


def _toml(values: dict[Path, Any]) -> str:
    tables: dict[Path, list[str]] = {}
    for path, value in values.items():
        tables.setdefault(path[:-1], []).append(f"{path[-1]} = {value}")
    if any(path[0] == "classes" for path in values):  # [classes.C] replaces the whole set
        for key, entry in DEFAULT_CLASSES.items():
            fields = entry.model_dump(exclude_none=True)
            if ("classes", key, "meal_cap") in values:
                del fields["meal_cap"]
            lines = [
                f"{name} = {json.dumps(value, ensure_ascii=False, default=float)}"
                for name, value in fields.items()
            ]
            tables.setdefault(("classes", key), []).extend(lines)
    return "".join(f"[{'.'.join(t)}]\n" + "\n".join(lines) + "\n" for t, lines in tables.items())


def extreme_policy(path: Path, end: int) -> Policy:
    """The default policy with `path` at its lower (end 0) or upper (end 1) bound, and its
    partner moved to the same end when the rule between them needs it."""
    values = {path: BOUNDS[path][end]}
    try:
        return parse_policy(_toml(values))
    except PolicyError:
        partner = PARTNERS[path]
        values[partner] = BOUNDS[partner][end]
        if path[-1] == "escalate_after_working_hours" and end == 0:
            values[path] = BOUNDS[partner][0] + BOUNDS[path][0]  # just above the reminder
        return parse_policy(_toml(values))


def test_every_number_of_the_schema_has_both_bounds() -> None:
    unbounded = [".".join(path) for path, low, high in NUMBERS if low is None or high is None]
    assert len(NUMBERS) >= 16  # the test finds them all
    assert unbounded == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "[approval]\nescalate_after_working_hours = 2e9\nremind_after_working_hours = 1e9\n",
            2,
            "approval.escalate_after_working_hours: must be a number ≤ 400 (got 2E+9)",
        ),
        (
            "[approval]\n\nat_risk_working_days_before_arrival = 100000000\n",
            3,
            "approval.at_risk_working_days_before_arrival: must be a number ≤ 30 (got 100000000)",
        ),
        (
            "[reception]\nclose_out_after_departure_hours = 1e9\n",
            2,
            "reception.close_out_after_departure_hours: must be a number ≤ 720 (got 1E+9)",
        ),
        (
            "[visits.frequency_months]\nlocal = 100000000\n",
            2,
            "visits.frequency_months.local: must be a number ≤ 36 (got 100000000)",
        ),
        (
            "[approval]\nfinance_threshold = 1e30\n",
            2,
            "approval.finance_threshold: must be a number ≤ 10000000 (got 1E+30)",
        ),
        (
            '[classes.A]\nlabel_zh = "特"\nlabel_en = "A"\nmeal_cap = 1e9\n',
            4,
            "classes.A.meal_cap: must be a number ≤ 10000 (got 1E+9)",
        ),
    ],
)
def test_a_number_past_its_bound_is_refused_naming_the_line(
    text: str, line: int, message: str
) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(text, "policy.toml")
    assert (refused.value.line, refused.value.message) == (line, message)


# The longest waits on the shortest working day the check accepts: a minute.
SHORTEST_DAY = (
    '[working_days]\nhours = "09:00-09:01"\n[approval]\n'
    "remind_after_working_hours = 200\nescalate_after_working_hours = 400\n"
    "[reception]\nclose_out_after_departure_hours = 720\n"
)
CASES: dict[str, str | tuple[Path, int]] = {
    **{f"{'.'.join(path)}={('min', 'max')[end]}": (path, end) for path in BOUNDS for end in (0, 1)},
    "a one-minute working day": SHORTEST_DAY,
}


@pytest.fixture(params=list(CASES), ids=str)
def policy(request: pytest.FixtureRequest) -> Policy:
    case = CASES[request.param]
    if isinstance(case, str):
        return parse_policy(case)
    path, end = case
    return extreme_policy(path, end)


def test_a_submit_an_approval_and_weeks_of_ticks_run_at_every_bound(
    company: Company, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    company.say("李明", "/reception")
    per_head = str(min(Decimal(80), policy.budget.meal_per_head_max))
    answers = ["东方精密", "C", "2", "王工", "经理", "会议", "下周一上午10点", "对"]
    answers += ["下周一下午5点", "对", "否", "否", "1", "2", per_head, "-", "否", "-", "-", "-"]
    answers += ["-"]  # the drinks line (issue 21) is asked after the meal standard
    answers += ["0", "-"]
    for answer in answers:
        reply = company.say("李明", answer)
    if "加急理由" in reply:
        reply = company.say("李明", "客户临时改期")
    if "请说明理由" in reply:
        reply = company.say("李明", "客户级别高")
    assert "请核对接待申请" in reply, reply
    company.press("李明", "提交")
    for approver in ("王经理", "钱会计"):  # finance too when its threshold is 0
        if "同意" in company.last(approver):
            company.press(approver, "同意")
    for _ in range(12 * 21):  # three weeks, two hours a tick: past departure and close-out
        company.clock.advance(hours=2)
        company.console.deliver()
    with company.core.db.session() as session:
        assert session.query(Reception.state).scalar() in ("approved", "closed")
    assert [record.getMessage() for record in caplog.records] == []
