"""Large months stream (SPEC §9): 100 000 visits export in bounded memory.

The visits are bulk-inserted with SQLAlchemy Core (one executemany per 20 000 rows). Each
export then runs under tracemalloc in this very process; the peak of Python allocations
while it runs must stay under a fixed ceiling — far below the size of the file it writes,
so the rows went out as they were read instead of piling up. No timing is asserted.

XLSX goes through openpyxl's write-only workbook, which allocates so much per cell that
tracing 100 000 rows would take minutes; its streaming is shown instead by the peak staying
flat from a month of 300 visits to one of 1 500 (five times the rows, the same memory).
"""

from __future__ import annotations

import csv
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from handlers.engine.i18n import Translator
from handlers.exports import EVERYONE, export
from handlers.exports import visits as visits_export
from handlers.exports.cli import reading
from handlers.exports.table import Format
from handlers.org.chart import import_org, load_org_file
from handlers.rules.policy.schema import Policy, default_policy
from handlers.text.months import Month
from storage.db import Database
from storage.models import Client, Person, PlanEntry, Visit, VisitPlan
from tests.conftest import EXAMPLE_ORG, START, fresh_database

CEILING = 16 * 2**20  # bytes of Python allocations at an export's peak
BIG = Month(2026, 11)  # 100 000 visits
SMALL, MEDIUM = Month(2026, 10), Month(2026, 12)  # 300 and 1 500 visits
SIZES = {BIG: 100_000, SMALL: 300, MEDIUM: 1_500}
PLANNED = 1_000  # November visits that fulfilled a plan entry
SHANGHAI = ZoneInfo("Asia/Shanghai")
KINDS = ("initial", "problem", "relationship")
OUTCOMES = ("won", "hopeful", "again", "no_hope", "watch")
PURPOSES = ("research", "competitors", "care", "payment", "new_client", "new_product")


def _visit(n: int, first: date, people: list[int], clients: list[int]) -> dict[str, Any]:
    day = first + timedelta(days=n % 28)
    return {
        "person_id": people[n % len(people)],
        "client_id": clients[n % len(clients)],
        "visited_on": day,
        "contact": f"联系人{n % 97}",
        "kind": KINDS[n % 3],
        "purposes": [PURPOSES[n % 6], PURPOSES[(n + 1) % 6]],
        "summary": f"第{n}次拜访:介绍新产品线,客户关注交期与价格,约定下月再谈。",
        "needs": f"需求{n}:年度框架协议" if n % 2 else None,
        "competitors": "对手报价低5%" if n % 5 == 0 else None,
        "outcome": OUTCOMES[n % 5],
        "next_step": f"寄送样品 #{n}" if n % 3 else None,
        "next_due": day + timedelta(days=7) if n % 3 else None,
        "expenses": Decimal(n % 500) + Decimal("0.50"),
        "answers": {},
        "created_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(seconds=n),
    }


def _batches(
    month: Month, people: list[int], clients: list[int], size: int = 20_000
) -> Iterator[list[dict[str, Any]]]:
    total = SIZES[month]
    for start in range(0, total, size):
        end = min(start + size, total)
        yield [_visit(n, month.first_day, people, clients) for n in range(start, end)]


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The example company with 101 800 visits by its six salespeople over three months."""
    db = fresh_database("sqlite", tmp_path_factory.mktemp("large"))
    with db.session() as session:
        import_org(session, load_org_file(EXAMPLE_ORG), default_policy(), START)
    with db.session() as session:
        people = sorted(p.id for p in session.scalars(select(Person)) if p.role_set == {"sales"})
        clients = sorted(session.scalars(select(Client.id)))
    with db.engine.begin() as conn:
        for month in SIZES:
            for batch in _batches(month, people, clients):
                conn.execute(insert(Visit), batch)
        plan = {"person_id": people[0], "year": 2026, "month": 11, "state": "approved"}
        plan_id = conn.execute(
            insert(VisitPlan).returning(VisitPlan.id), [{**plan, "round": 1, "created_at": START}]
        ).scalar_one()
        fulfilled = conn.scalars(
            select(Visit.id)
            .where(Visit.person_id == people[0], Visit.visited_on >= BIG.first_day)
            .order_by(Visit.id)
            .limit(PLANNED)
        ).all()
        entry = {"plan_id": plan_id, "client_id": clients[0], "purpose": "回访"}
        conn.execute(
            insert(PlanEntry),
            [
                {**entry, "planned_on": date(2026, 11, 2), "visit_id": v, "created_at": START}
                for v in fulfilled
            ],
        )
    yield db
    db.dispose()


def measured(
    db: Database, policy: Policy, month: Month, fmt: Format, path: Path
) -> tuple[int, int]:
    """Export a month of visits to `path`: (rows written, peak bytes allocated meanwhile)."""
    t = Translator("zh_CN")
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with reading(db) as session, path.open("wb") as out:
            rows = export(session, policy, "visits", month, fmt, out, t, SHANGHAI, EVERYONE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return rows, peak - before


def test_100k_visits_stream_to_csv_under_a_fixed_ceiling(
    big_db: Database, policy: Policy, tmp_path: Path
) -> None:
    path = tmp_path / "visits.csv"
    rows, peak = measured(big_db, policy, BIG, "csv", path)
    size = path.stat().st_size
    print(f"\ncsv: {rows} rows, file {size / 2**20:.1f} MiB, peak {peak / 2**20:.2f} MiB")
    assert rows == 100_000
    assert peak < CEILING
    assert size > CEILING  # the file is larger than the memory that wrote it

    # Every row, field by field, against the database read in the same order.
    query = (
        select(
            Visit.id,
            Visit.visited_on,
            Person.name,
            Client.name,
            Visit.contact,
            Visit.summary,
            Visit.needs,
            Visit.next_due,
            Visit.expenses,
            PlanEntry.id,
            Visit.created_at,
        )
        .join(Person, Person.id == Visit.person_id)
        .join(Client, Client.id == Visit.client_id)
        .outerjoin(PlanEntry, PlanEntry.visit_id == Visit.id)
        .where(Visit.visited_on >= BIG.first_day, Visit.visited_on < BIG.next.first_day)
        .order_by(Visit.visited_on, Visit.id)
    )
    compared = planned = 0
    with big_db.engine.connect() as conn, path.open(encoding="utf-8-sig", newline="") as handle:
        read = csv.reader(handle)
        assert next(read)[:3] == ["编号", "拜访日期", "业务员"]
        for row, db_row in zip(read, conn.execute(query), strict=True):
            visit_id, day, person, client, contact, summary, needs, due, spent, entry, logged = (
                db_row
            )
            assert row[0] == str(visit_id)
            assert row[1] == day.isoformat()
            assert row[2] == person
            assert row[4] == client
            assert row[6] == contact
            assert row[9] == summary
            assert row[10] == (needs or "")
            assert row[14] == (due.isoformat() if due else "")
            assert row[15] == str(spent)
            assert bool(row[16]) == (entry is not None)
            assert row[17] == logged.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            compared += 1
            planned += entry is not None
    assert compared == 100_000
    assert planned == PLANNED


def test_xlsx_memory_stays_flat_as_the_month_grows(
    big_db: Database, policy: Policy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows are read 1 000 at a time; with batches of 50 both months span several batches, so
    # what the comparison sees is the writer's memory, not a fuller read buffer.
    monkeypatch.setattr(visits_export, "BATCH", 50)
    measured(big_db, policy, SMALL, "xlsx", tmp_path / "warm-up.xlsx")  # openpyxl's one-offs
    small_rows, small_peak = measured(big_db, policy, SMALL, "xlsx", tmp_path / "small.xlsx")
    rows, peak = measured(big_db, policy, MEDIUM, "xlsx", tmp_path / "medium.xlsx")
    print(
        f"\nxlsx: {small_rows} rows peak {small_peak / 2**20:.2f} MiB, "
        f"{rows} rows peak {peak / 2**20:.2f} MiB"
    )
    assert (small_rows, rows) == (300, 1_500)
    assert peak < CEILING
    # 1 200 more rows of ~600 bytes each would add ~0.7 MiB if they were kept.
    assert peak - small_peak < 128 * 1024

    book = load_workbook(tmp_path / "medium.xlsx", read_only=True)
    sheet = book.active
    assert sheet is not None
    with big_db.session() as session:
        visits = session.scalars(
            select(Visit)
            .where(Visit.visited_on >= MEDIUM.first_day, Visit.visited_on < MEDIUM.next.first_day)
            .order_by(Visit.visited_on, Visit.id)
        ).all()
        assert len(visits) == 1_500
        for row, visit in zip(sheet.iter_rows(min_row=2, values_only=True), visits, strict=True):
            assert row[0] == visit.id
            assert row[1] == datetime.combine(visit.visited_on, datetime.min.time())
            assert row[2] == visit.person.name
            assert row[9] == visit.summary
            assert visit.expenses is not None  # _visit gives every visit expenses
            assert row[15] == float(visit.expenses)
            assert row[17] == visit.created_at.astimezone(SHANGHAI).replace(tzinfo=None)
    book.close()
