"""Three scheduler processes against one PostgreSQL database: every due reminder and every
digest goes out exactly once (SPEC §8, issue 7). Skipped when no server answers at
TEST_DATABASE_URL."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.org.chart import import_org, load_org_file
from handlers.rules.policy.schema import default_policy
from storage.db import Database
from storage.models import Client, OutboxMessage, Person, Reception, Reminder
from tests.conftest import EXAMPLE_ORG, fresh_database
from tests.test_scheduler import at

pytestmark = pytest.mark.postgres

PROCESSES = 3
RECEPTIONS = 40
NOW = at("2026-11-23 10:00")  # Monday morning in Shanghai (and Singapore); 03:00 in Berlin


def _worker(url: str, now: str, barrier: Any, results: Any) -> None:
    """One scheduler process: its own engine; tick in small batches until nothing is left."""
    from handlers import schedule as scheduler

    database = Database(url)
    sent: list[str] = []
    failed = 0
    try:
        barrier.wait()
        while True:
            report = scheduler.tick(database, default_policy(), datetime.fromisoformat(now), 3)
            sent += report.sent
            failed += report.failed
            if not report.sent and not report.planned:
                break
        results.put((sent, failed, None))
    except Exception as error:  # reported to the test, which fails on it
        results.put((sent, failed, repr(error)))
    finally:
        database.dispose()


def _receptions_to_close(db: Database) -> None:
    """Receptions that came and left early this morning, each with a close-out reminder due."""
    policy = default_policy()
    with db.session() as session:
        import_org(session, load_org_file(EXAMPLE_ORG), policy, NOW)
        hosts = [
            (session.scalars(select(Person).where(Person.name == name)).one(), client)
            for name, client in (("李明", "东方精密"), ("张伟", "华南电子"), ("刘芳", "苏州新材"))
        ]
        for number in range(RECEPTIONS):
            host, client_name = hosts[number % len(hosts)]
            client = session.scalars(select(Client).where(Client.name == client_name)).one()
            reception = Reception(
                requester_id=host.id,
                client_id=client.id,
                class_key=client.class_key,
                arrival_at=NOW - timedelta(hours=9),
                departure_at=NOW - timedelta(hours=3),
                visitors=2,
                total=Decimal(0),
                answers={"guest": "王工"},
                state="approved",
                round=1,
                submitted_at=NOW - timedelta(days=7),
            )
            session.add(reception)
            session.flush()
            session.add(
                Reminder(
                    key=f"reception.close:{reception.id}",
                    person_id=host.id,
                    kind="reception.close",
                    subject="reception",
                    subject_id=reception.id,
                    due_at=NOW - timedelta(hours=1),
                    created_at=NOW - timedelta(days=7),
                )
            )


def test_three_processes_send_each_reminder_and_digest_once(tmp_path: Path) -> None:
    db = fresh_database("postgresql", tmp_path)
    _receptions_to_close(db)
    # Fork where the platform has it (fast); the parent's pool is emptied first, so no
    # connection is shared with a child — each child opens its own engine.
    db.engine.dispose()
    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(db.url, NOW.isoformat(), barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert [error for _, _, error in outcomes] == [None] * PROCESSES
    assert sum(failed for _, failed, _ in outcomes) == 0
    sent = [key for keys, _, _ in outcomes for key in keys]
    assert len(sent) == len(set(sent)), "a message was queued twice"

    with db.session() as session:
        outbox = list(session.scalars(select(OutboxMessage.key)))
        closes = session.scalars(select(Reminder).where(Reminder.kind == "reception.close")).all()
        digests = session.scalars(select(Reminder).where(Reminder.kind == "digest.daily")).all()
        people = session.scalars(select(func.count()).select_from(Person)).one()
    assert sorted(outbox) == sorted(sent)  # every queued message is one a process reported
    assert {r.state for r in closes} == {"sent"}
    assert len([k for k in outbox if k.startswith("rem:")]) == RECEPTIONS
    # Everyone but Anna Schmidt (03:00 in Berlin) had their digest planned, once; those with
    # something to say got it, once: the hosts (close-outs due), their managers (team
    # guests today) and the front desk (guests today).
    assert len(digests) == people - 1 == len({r.key for r in digests})
    told = sorted(_name(db, int(k.split(":")[1])) for k in outbox if k.startswith("digest:"))
    assert told == sorted(["李明", "张伟", "刘芳", "王经理", "赵总", "周前台"])
    assert {r.state for r in digests} == {"sent", "cancelled"}
    db.dispose()


def _name(db: Database, person_id: int) -> str:
    with db.session() as session:
        return session.scalars(select(Person.name).where(Person.id == person_id)).one()
