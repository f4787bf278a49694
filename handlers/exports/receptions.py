"""The receptions export: one row per reception arriving in the month, every budget line
against what was actually spent, the total against the actual total, the state, and each
approver of the current round with their decision and its time.

Rows are read in batches (`yield_per`) and the approval steps fetched per batch, so the export
streams: memory holds one batch, whatever the month's size.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import aliased

from handlers.exports.common import Request
from handlers.exports.table import Column, local
from handlers.reception.card import BUDGET_LINES, budget
from handlers.rules.policy.fields import APPROVER_KINDS  # manager, gm, finance
from storage.models import ApprovalStep, Client, Person, Reception

TITLE = "exp.title.receptions"
BATCH = 500

COLUMNS: tuple[Column, ...] = (
    Column("id", "int", 7),
    Column("state"),
    Column("client", width=20),
    Column("class", width=6),
    Column("requester"),
    Column("department"),
    Column("submitted_at", "datetime"),
    Column("arrival_at", "datetime"),
    Column("departure_at", "datetime"),
    Column("local_arrival", width=26),  # at the host's clock, named: 2026-12-09 15:00 柏林时间
    Column("visitors", "int"),
    Column("guest"),
    Column("guest_title"),
    Column("purposes", width=20),
    Column("leaders"),
    Column("company_hotel", width=8),
    Column("meals", "int"),
    Column("diners", "int"),
    Column("per_head", "money"),
    *(Column(f"{side}_{line}", "money") for line in BUDGET_LINES for side in ("budget", "actual")),
    Column("total", "money"),
    Column("actual_total", "money"),
    Column("variance", "money"),
    Column("urgent", width=24),
    Column("over_cap", width=24),
    *(
        Column(f"{kind}_{part}", "datetime" if part == "decided_at" else "text")
        for kind in APPROVER_KINDS
        for part in ("approver", "result", "decided_at")
    ),
    Column("decided_at", "datetime"),
    Column("closed_at", "datetime"),
    Column("outcome", width=30),
    Column("agreed", width=30),
    Column("follow_up", width=30),
    Column("follow_up_score", "int"),
    Column("follow_up_issue", width=30),
)

Requester = aliased(Person)


def query(request: Request) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Reception.id,
            Reception.state,
            Reception.round,
            Client.name.label("client"),
            Reception.class_key,
            Requester.name.label("requester"),
            Requester.department,
            Requester.timezone,
            Reception.submitted_at,
            Reception.arrival_at,
            Reception.departure_at,
            Reception.visitors,
            Reception.company_hotel,
            Reception.answers,
            Reception.total,
            Reception.actual,
            Reception.decided_at,
            Reception.closed_at,
            Reception.follow_up,
            Reception.follow_up_score,
            Reception.follow_up_issue,
        )
        .join(Client, Client.id == Reception.client_id)
        .join(Requester, Requester.id == Reception.requester_id)
        .where(
            request.month.covers(Reception.arrival_at, request.org_tz),
            request.scope.covers(Reception.requester_id, Client.owner_id),
        )
        .order_by(Reception.arrival_at, Reception.id)
        .execution_options(yield_per=BATCH)
    )


def rows(request: Request) -> Iterator[tuple[Any, ...]]:
    """The month's receptions in arrival order, one tuple per row, matching COLUMNS."""
    result = request.session.execute(query(request))
    for batch in result.partitions():
        steps = _steps(request, batch)
        for item in batch:
            yield _row(request, item, steps.get(item.id, {}))


StepCells = dict[str, tuple[str, str, Any]]  # kind → (approver, result, decided_at)


def _steps(request: Request, batch: Sequence[Row[Any]]) -> dict[int, StepCells]:
    """Each reception's steps of its current round, by approver kind."""
    rounds = {item.id: item.round for item in batch}
    approver, decider = aliased(Person), aliased(Person)
    found = request.session.execute(
        select(
            ApprovalStep.subject_id,
            ApprovalStep.round,
            ApprovalStep.kind,
            ApprovalStep.state,
            ApprovalStep.decided_at,
            approver.name,
            decider.name,
        )
        .join(approver, approver.id == ApprovalStep.approver_id)
        .outerjoin(decider, decider.id == ApprovalStep.decided_by_id)
        .where(ApprovalStep.subject == "reception", ApprovalStep.subject_id.in_(sorted(rounds)))
        .order_by(ApprovalStep.subject_id, ApprovalStep.position)
    )
    cells: dict[int, StepCells] = {}
    t = request.t
    for subject_id, round_, kind, state, decided_at, approver_name, decider_name in found:
        if round_ != rounds[subject_id]:
            continue
        who = approver_name
        if decider_name and decider_name != approver_name:
            who = t("exp.delegate", delegate=decider_name, approver=approver_name)
        cells.setdefault(subject_id, {})[kind] = (who, t(f"exp.step.{state}"), decided_at)
    return cells


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(Decimal(str(value)))


def _local_arrival(request: Request, item: Row[Any]) -> str:
    """The arrival as the host arranged it, by their zone's clock, with the zone's name: the
    other columns are in the reader's zone, which for a Berlin host is not the guests'."""
    place = ZoneInfo(item.timezone or request.policy.org.default_timezone)
    wall = local(item.arrival_at, place).strftime("%Y-%m-%d %H:%M")
    return request.t("fmt.in_zone", time=wall, zone=request.t.zone(place))


def _row(request: Request, item: Row[Any], steps: StepCells) -> tuple[Any, ...]:
    t = request.t
    answers: dict[str, Any] = item.answers or {}
    planned = budget(request.policy, answers).lines
    actual: dict[str, Any] = item.actual or {}
    spent = {line: _money(actual.get(f"act_{line}")) for line in BUDGET_LINES}
    unplanned = _money(actual.get("act_unplanned"))
    if unplanned:  # spent on no budgeted line: the close-out's last question
        spent["other"] = (spent["other"] or Decimal(0)) + unplanned
    actual_total = (
        sum((v for v in spent.values() if v is not None), Decimal(0)) if item.actual else None
    )
    lines: list[Any] = []
    for line in BUDGET_LINES:
        lines += [planned[line], spent[line]]
    approvals: list[Any] = []
    for kind in APPROVER_KINDS:
        approvals += steps.get(kind, (None, None, None))
    yes_no = t("exp.yes") if item.company_hotel else t("exp.no")
    has_meals = bool(_int(answers.get("meals")))
    return (
        item.id,
        t(f"rcp.state.{item.state}"),
        item.client,
        item.class_key,
        item.requester,
        item.department,
        item.submitted_at,
        item.arrival_at,
        item.departure_at,
        _local_arrival(request, item),
        item.visitors,
        answers.get("guest"),
        answers.get("guest_title"),
        request.labels("rcp.purpose", answers.get("purposes")),
        request.labels("rcp.leader", answers.get("leaders")),
        yes_no,
        _int(answers.get("meals")),
        _int(answers.get("diners")) if has_meals else None,
        _money(answers.get("per_head")) if has_meals else None,
        *lines,
        item.total,
        actual_total,
        None if actual_total is None else actual_total - item.total,
        answers.get("urgent") or None,
        answers.get("over_cap") or None,
        *approvals,
        item.decided_at,
        item.closed_at,
        actual.get("outcome"),
        actual.get("agreed") or None,
        item.follow_up,
        item.follow_up_score,
        item.follow_up_issue,
    )
