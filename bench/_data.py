"""Data for the scale and fan-out benchmarks: a company of any size, bulk-inserted.

Two layers:

* the **focus**: examples/org.toml (赵总, 王经理, 李明, 孙行政, 周前台...) linked to Telegram, with
  a day's worth of things to say in their digests on the corpus's day (Wed 2026-11-18): a
  reception of 李明's arriving today (approved, checklist open), one tomorrow waiting for
  王经理, a closed one whose follow-up call is due, and a few visits and plan entries.
  The scale benchmark measures these people, on an otherwise empty database and on a full one.
* the **bulk**: `Scale` people (departments of ~50 under managers under 赵总), clients,
  receptions over the two years before the day and the month after it (older ones closed,
  rejected or withdrawn; recent ones pending, approved or closed, with their approval steps,
  checklists and follow-up reminders), monthly visit plans for the last year (past entries
  nine in ten fulfilled by a visit), and visits over three years.

Rows are made as plain tuples and inserted with SQLAlchemy Core `executemany` in one
transaction on SQLite, and with `COPY ... FROM STDIN` on PostgreSQL (then the id sequences are
moved past the ids used). Deterministic: the same seed makes the same company.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select, text

from bench._support import START, import_example_org
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import (
    ApprovalStep,
    ChecklistItem,
    Client,
    Identity,
    Person,
    PlanEntry,
    Reception,
    Reminder,
    Visit,
    VisitPlan,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = START.astimezone(SHANGHAI).date()  # Wed 2026-11-18
FIRST_TELEGRAM_ID = 800_000
CHECKLIST = ("room", "car", "hotel", "restaurant", "screen", "badge", "gifts")
OUTCOMES = ("won", "hopeful", "again", "no_hope", "watch")
KINDS = ("initial", "problem", "relationship")
PURPOSES = ("research", "competitors", "care", "payment", "new_client", "new_product")


@dataclass(frozen=True)
class Scale:
    """How big the bulk company is."""

    people: int = 1_000
    clients: int = 10_000
    receptions: int = 100_000
    visits: int = 1_000_000

    def scaled(self, factor: float) -> Scale:
        return Scale(
            *(
                max(1, round(n * factor))
                for n in (self.people, self.clients, self.receptions, self.visits)
            )
        )

    def __str__(self) -> str:
        return (
            f"{self.people:,} people, {self.clients:,} clients, {self.receptions:,} receptions, "
            f"{self.visits:,} visits"
        )


@dataclass
class Template:
    """A reception as the real form stores it, to copy (tests/test_reception.py's answers)."""

    answers: dict[str, Any]
    total: Decimal
    visitors: int


@dataclass
class Rows:
    """Rows per table, in insertion order; columns named once per table."""

    columns: dict[Table, tuple[str, ...]] = field(default_factory=dict)
    values: dict[Table, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: Table, row: dict[str, Any]) -> None:
        columns = self.columns.setdefault(table, tuple(row))
        self.values.setdefault(table, []).append(tuple(row[c] for c in columns))

    def count(self) -> int:
        return sum(len(v) for v in self.values.values())


def naive(moment: datetime) -> datetime:
    """In UTC (UTCDateTime takes aware values; COPY gets them as naive UTC)."""
    return moment.astimezone(UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------- the focus


def focus(db: Database, policy: Policy, template: Template) -> dict[str, int]:
    """The example org, linked to Telegram, with today's items; returns name -> person id."""
    import_example_org(db, policy)
    with db.session() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        clients = {c.name: c for c in session.scalars(select(Client))}
        for number, person in enumerate(people.values()):
            user = str(FIRST_TELEGRAM_ID - 1 - number)
            session.add(
                Identity(
                    person_id=person.id,
                    platform="telegram",
                    platform_user=user,
                    chat_id=user,
                    platform_locale="zh-hans",
                    linked_at=START,
                    last_seen_at=START,
                )
            )
        li, wang = people["李明"], people["王经理"]
        own = [c for c in clients.values() if c.owner_id == li.id]
        arrivals = [
            ("approved", local(TODAY, 14), own[0]),
            ("pending", local(TODAY + timedelta(days=1), 10), own[1 % len(own)]),
            ("closed", local(TODAY - timedelta(days=3), 10), own[2 % len(own)]),
        ]
        for state, arrival, client in arrivals:
            reception = Reception(
                requester_id=li.id,
                client_id=client.id,
                class_key="B",
                arrival_at=arrival,
                departure_at=arrival + timedelta(hours=26),
                visitors=template.visitors,
                total=template.total,
                company_hotel=False,
                answers={**template.answers, "client": f"c:{client.id}"},
                state=state,
                round=1,
                submitted_at=arrival - timedelta(days=4),
                decided_at=None if state == "pending" else arrival - timedelta(days=3),
                closed_at=arrival + timedelta(days=2) if state == "closed" else None,
                actual={"outcome": "hopeful"} if state == "closed" else None,
            )
            session.add(reception)
            session.flush()
            session.add(
                ApprovalStep(
                    subject="reception",
                    subject_id=reception.id,
                    round=1,
                    position=0,
                    kind="manager",
                    approver_id=wang.id,
                    state="pending" if state == "pending" else "approved",
                    opened_at=arrival - timedelta(days=4),
                    decided_at=None if state == "pending" else arrival - timedelta(days=3),
                    decided_by_id=None if state == "pending" else wang.id,
                )
            )
            if state == "approved":
                for item in CHECKLIST:
                    session.add(ChecklistItem(reception_id=reception.id, item=item))
            if state == "closed":
                session.add(
                    Reminder(
                        key=f"reception.followup:{reception.id}",
                        person_id=li.id,
                        kind="reception.followup",
                        subject="reception",
                        subject_id=reception.id,
                        due_at=local(TODAY, 9),
                        state="sent",
                        created_at=START - timedelta(days=1),
                    )
                )
        for days_ago, client in ((1, own[0]), (8, own[1 % len(own)])):
            session.add(
                Visit(
                    person_id=li.id,
                    client_id=client.id,
                    visited_on=TODAY - timedelta(days=days_ago),
                    contact="张总",
                    kind="relationship",
                    purposes=["care"],
                    summary="回访,了解新项目进度",
                    outcome="hopeful",
                    answers={},
                    created_at=START - timedelta(days=days_ago),
                )
            )
        plan = VisitPlan(
            person_id=li.id, year=TODAY.year, month=TODAY.month, state="approved", round=1
        )
        session.add(plan)
        session.flush()
        for offset, client in enumerate(own):
            session.add(
                PlanEntry(
                    plan_id=plan.id,
                    client_id=client.id,
                    planned_on=TODAY + timedelta(days=offset - 1),
                    purpose="客户维护",
                )
            )
        return {name: person.id for name, person in people.items()}


def reception_template(workdir: Any, policy: Policy) -> Template:
    """Fill and submit tests/test_reception.py's class-B form through the core on a scratch
    database, and keep what the reception row holds."""
    from bench._support import RunningClock, bench_db
    from bench.bench_step import add_people, form_texts, people
    from handlers.engine.core import Core
    from handlers.engine.features import FEATURES
    from handlers.engine.messages import Event

    with bench_db("sqlite", workdir, "template") as scratch:
        import_example_org(scratch.db, policy)
        add_people(scratch.db, 1)
        core = Core(scratch.db, policy, FEATURES, RunningClock())
        user_id, _, client = people(1)[0]
        texts = [text for text, _, _ in form_texts(client)][:-1]  # without /cancel

        def event(number: int, text: str | None = None, action: str | None = None) -> Event:
            return Event(
                "telegram",
                str(user_id),
                text=text,
                action=action,
                chat_id=str(user_id),
                platform_locale="zh-hans",
                event_id=f"template-{number}",
            )

        for number, typed in enumerate(texts):
            summary = core.handle(event(number, text=typed))[-1]
        # The summary's own Submit: a form button names its draft.
        submit = next(
            b.action for row in summary.buttons for b in row if b.action.endswith(":submit")
        )
        core.handle(event(len(texts), action=submit))
        with scratch.db.session() as session:
            reception = session.scalars(select(Reception)).one()
            return Template(dict(reception.answers), reception.total, reception.visitors)


# ---------------------------------------------------------------------------- the bulk


def bulk(scale: Scale, template: Template, gm_id: int, first_id: int, seed: int = 9) -> Rows:
    """The bulk company's rows (ids from `first_id` on, so they never meet the focus's)."""
    rng = random.Random(seed)
    rows = Rows()
    ids = iter(range(first_id, first_id + 10_000_000))
    person_t, identity_t, client_t = (m.__table__ for m in (Person, Identity, Client))
    assert isinstance(person_t, Table) and isinstance(identity_t, Table)
    assert isinstance(client_t, Table)

    people: list[tuple[int, str, int | None]] = []  # id, roles, manager
    staff = [("finance", 5), ("admin_office", 10), ("front_desk", 5)]
    others = sum(n for _, n in staff)
    departments = max(1, (scale.people - others) // 50)
    managers = []
    for _ in range(departments):
        managers.append(next(ids))
        people.append((managers[-1], "manager sales", gm_id))
    for role, count in staff:
        for _ in range(count):
            people.append((next(ids), role, gm_id))
    while len(people) < scale.people:
        people.append((next(ids), "sales", managers[len(people) % departments]))
    sellers = [pid for pid, roles, _ in people if "sales" in roles]
    for number, (pid, roles, manager) in enumerate(people):
        rows.add(
            person_t,
            {
                "id": pid,
                "name": f"员工{number:05d}",
                "department": f"销售{(manager or 0) % 100:02d}部" if "sales" in roles else "职能",
                "roles": roles,
                "manager_id": manager,
                "locale": None,
                "timezone": None,
                "delegate_id": None,
                "delegate_until": None,
                "active": True,
                "created_at": naive(START - timedelta(days=900)),
            },
        )
        user = str(FIRST_TELEGRAM_ID + number)
        rows.add(
            identity_t,
            {
                "id": next(ids),
                "person_id": pid,
                "platform": "telegram",
                "platform_user": user,
                "chat_id": user,
                "platform_locale": "zh-hans",
                "linked_at": naive(START - timedelta(days=800)),
                "last_seen_at": naive(START - timedelta(hours=rng.randint(1, 500))),
            },
        )

    clients: list[tuple[int, int, str]] = []  # id, owner, class
    by_owner: dict[int, list[int]] = {}
    for number in range(scale.clients):
        cid, owner = next(ids), sellers[number % len(sellers)]
        cls = rng.choices("ABCD", weights=(5, 25, 50, 20))[0]
        clients.append((cid, owner, cls))
        by_owner.setdefault(owner, []).append(cid)
        rows.add(
            client_t,
            {
                "id": cid,
                "name": f"客户{number:06d}",
                "class_key": cls,
                "region": rng.choices(("local", "province", "other"), weights=(5, 3, 2))[0],
                "owner_id": owner,
                "notes": "",
                "created_at": naive(START - timedelta(days=rng.randint(30, 1200))),
            },
        )
    manager_of = {pid: manager for pid, _, manager in people}
    _receptions(rows, rng, ids, scale, template, clients, manager_of, gm_id)
    _visits(rows, rng, ids, scale, clients, by_owner, sellers)
    return rows


def _receptions(
    rows: Rows,
    rng: random.Random,
    ids: Iterator[int],
    scale: Scale,
    template: Template,
    clients: Sequence[tuple[int, int, str]],
    manager_of: dict[int, int | None],
    gm_id: int,
) -> None:
    reception_t, step_t, item_t, reminder_t = (
        m.__table__ for m in (Reception, ApprovalStep, ChecklistItem, Reminder)
    )
    assert isinstance(reception_t, Table) and isinstance(step_t, Table)
    assert isinstance(item_t, Table) and isinstance(reminder_t, Table)
    span = 760 * 24 * 60  # minutes: two years back to a month ahead
    first = START - timedelta(days=730)
    for _ in range(scale.receptions):
        rid = next(ids)
        cid, requester, cls = clients[rng.randrange(len(clients))]
        arrival = first + timedelta(minutes=rng.randrange(span))
        arrival = arrival.replace(minute=0, second=0, microsecond=0)
        age = (START - arrival).days
        if age > 30:
            state = rng.choices(("closed", "rejected", "withdrawn"), weights=(85, 10, 5))[0]
        elif age > 0:
            state = rng.choices(("closed", "approved", "rejected"), weights=(60, 30, 10))[0]
        else:
            state = rng.choices(("pending", "approved", "rejected"), weights=(40, 50, 10))[0]
        submitted = arrival - timedelta(days=rng.randint(2, 10))
        decided = submitted + timedelta(hours=rng.randint(1, 30))
        rows.add(
            reception_t,
            {
                "id": rid,
                "requester_id": requester,
                "client_id": cid,
                "class_key": cls,
                "arrival_at": naive(arrival),
                "departure_at": naive(arrival + timedelta(hours=rng.choice((3, 8, 26, 50)))),
                "visitors": rng.randint(1, 8),
                "total": template.total,
                "company_hotel": rng.random() < 0.1,
                "answers": {**template.answers, "client": f"c:{cid}", "cls": cls},
                "state": state,
                "round": 1,
                "submitted_at": naive(submitted),
                "decided_at": None if state in ("pending", "withdrawn") else naive(decided),
                "checked_in_at": naive(arrival) if state == "closed" else None,
                "actual": {"outcome": rng.choice(OUTCOMES)} if state == "closed" else None,
                "closed_at": naive(arrival + timedelta(days=2)) if state == "closed" else None,
                "follow_up": "已回访" if state == "closed" and age > 30 else None,
            },
        )
        chain = [("manager", manager_of[requester] or gm_id)]
        if cls in "AB":
            chain.append(("gm", gm_id))
        waiting_at = rng.randrange(len(chain)) if state == "pending" else -1
        for position, (kind, approver) in enumerate(chain):
            if state in ("approved", "closed"):
                step_state = "approved"
            elif state == "rejected":
                step_state = "rejected" if position == len(chain) - 1 else "approved"
            elif state == "withdrawn":
                step_state = "cancelled"
            else:
                step_state = (
                    "approved"
                    if position < waiting_at
                    else "pending"
                    if position == waiting_at
                    else "waiting"
                )
            done = step_state in ("approved", "rejected")
            rows.add(
                step_t,
                {
                    "id": next(ids),
                    "subject": "reception",
                    "subject_id": rid,
                    "round": 1,
                    "position": position,
                    "kind": kind,
                    "approver_id": approver,
                    "state": step_state,
                    "opened_at": naive(submitted) if step_state != "waiting" else None,
                    "decided_at": naive(decided) if done else None,
                    "decided_by_id": approver if done else None,
                    "note": "",
                },
            )
        if state in ("approved", "closed") and age < 30:
            for item in CHECKLIST:
                done_at = naive(arrival - timedelta(hours=2)) if age > 0 else None
                rows.add(
                    item_t,
                    {
                        "id": next(ids),
                        "reception_id": rid,
                        "item": item,
                        "done_at": done_at,
                        "done_by_id": None,
                    },
                )
        if state == "closed":
            rows.add(
                reminder_t,
                {
                    "id": next(ids),
                    "key": f"reception.followup:{rid}",
                    "person_id": requester,
                    "kind": "reception.followup",
                    "subject": "reception",
                    "subject_id": rid,
                    "due_at": naive(arrival + timedelta(days=3)),
                    "detail": {},
                    "state": "done" if age > 30 else "sent",
                    "sent_at": naive(arrival + timedelta(days=3)),
                    "created_at": naive(arrival + timedelta(days=2)),
                },
            )


def _visits(
    rows: Rows,
    rng: random.Random,
    ids: Iterator[int],
    scale: Scale,
    clients: Sequence[tuple[int, int, str]],
    by_owner: dict[int, list[int]],
    sellers: Sequence[int],
) -> None:
    """Monthly plans (the last twelve months and this one, eight entries each) whose past
    entries are nine times in ten fulfilled by a visit; then other visits over three years,
    up to `scale.visits` in all."""
    visit_t, plan_t, entry_t = (m.__table__ for m in (Visit, VisitPlan, PlanEntry))
    assert isinstance(visit_t, Table) and isinstance(plan_t, Table)
    assert isinstance(entry_t, Table)
    made = 0

    def visit(owner: int, cid: int, day: date) -> int:
        nonlocal made
        made += 1
        vid = next(ids)
        rows.add(
            visit_t,
            {
                "id": vid,
                "person_id": owner,
                "client_id": cid,
                "visited_on": day,
                "contact": "联系人",
                "kind": rng.choice(KINDS),
                "purposes": rng.sample(PURPOSES, 2),
                "summary": "拜访客户,了解需求",
                "needs": None,
                "competitors": None,
                "outcome": rng.choice(OUTCOMES),
                "next_step": None,
                "next_due": None,
                "expenses": None,
                "answers": {},
                "created_at": naive(local(day, 18)),
            },
        )
        return vid

    for seller in sellers:
        for months_back in range(12, -1, -1):
            month_index = TODAY.year * 12 + TODAY.month - 1 - months_back
            year, month = divmod(month_index, 12)
            first = local(date(year, month + 1, 1), 9)
            pid = next(ids)
            rows.add(
                plan_t,
                {
                    "id": pid,
                    "person_id": seller,
                    "year": year,
                    "month": month + 1,
                    "state": "approved",
                    "round": 1,
                    "submitted_at": naive(first - timedelta(days=3)),
                    "decided_at": naive(first - timedelta(days=2)),
                    "created_at": naive(first - timedelta(days=5)),
                },
            )
            for cid in by_owner.get(seller, [])[:8]:
                day = date(year, month + 1, rng.randint(1, 28))
                done = day < TODAY - timedelta(days=2) and rng.random() < 0.9
                rows.add(
                    entry_t,
                    {
                        "id": next(ids),
                        "plan_id": pid,
                        "client_id": cid,
                        "planned_on": day,
                        "purpose": "客户维护",
                        "visit_id": visit(seller, cid, day) if done else None,
                        "created_at": naive(first - timedelta(days=5)),
                    },
                )
    while made < scale.visits:
        cid, owner, _ = clients[rng.randrange(len(clients))]
        visit(owner, cid, TODAY - timedelta(days=rng.randrange(1, 1096)))


# ---------------------------------------------------------------------------- inserting


def _copy_value(value: Any) -> Any:
    """What COPY must get: JSON as text, times as naive UTC (as UTCDateTime stores them)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def insert_rows(db: Database, rows: Rows, batch: int = 20_000) -> float:
    """Insert every table's rows in order; seconds taken."""
    started = time.perf_counter()
    if db.is_sqlite:
        with db.engine.begin() as conn:
            for table, values in rows.values.items():
                columns = rows.columns[table]
                for start in range(0, len(values), batch):
                    chunk = [
                        dict(zip(columns, v, strict=True)) for v in values[start : start + batch]
                    ]
                    conn.execute(insert(table), chunk)
        return time.perf_counter() - started
    raw = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            for table, values in rows.values.items():
                names = ", ".join(rows.columns[table])
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row([_copy_value(v) for v in value])
        raw.commit()
    finally:
        raw.close()
    with db.engine.begin() as conn:
        for table in rows.values:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            )
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def table_sizes(db: Database, tables: Iterable[str]) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables
        }
