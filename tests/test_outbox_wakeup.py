"""Delivery is woken by the commit of a transaction that queued messages, and only by it:
a form step that queues nothing for anyone costs no outbox pass, a rolled-back one wakes
nobody."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import OUTBOX, enqueue
from handlers.engine.messages import Message
from storage.db import Database
from storage.models import Person
from tests.support import Company
from tests.test_reception import fill_b_class


def manager(session: Session) -> Person:
    return session.scalars(select(Person).where(Person.name == "王经理")).one()


def listen(db: Database) -> list[str]:
    heard: list[str] = []
    db.on_commit(OUTBOX, lambda: heard.append("outbox"))
    return heard


def test_a_form_step_wakes_nobody_and_a_submitted_request_wakes_delivery(
    company: Company,
) -> None:
    heard = listen(company.core.db)
    fill_b_class(company)
    assert heard == []  # 28 steps, nothing queued for anyone else

    company.press("李明", "提交")
    assert heard == ["outbox"]  # the approver's card, announced once with its commit


def test_the_listener_hears_only_after_the_commit_and_never_for_a_rollback(
    org_db: Database,
) -> None:
    heard = listen(org_db)
    now = datetime(2026, 11, 18, tzinfo=UTC)
    with org_db.session() as session:
        person = manager(session)
        with session.begin_nested():  # as the scheduler renders each reminder
            enqueue(session, person, Message("hello"), "wake:1", now)
        assert heard == []  # not readable by the delivery loop yet
    assert heard == ["outbox"]

    with pytest.raises(RuntimeError), org_db.session() as session:
        person = manager(session)
        enqueue(session, person, Message("never"), "wake:2", now)
        raise RuntimeError("the step failed")
    with org_db.session():
        pass  # a later transaction does not carry the rolled-back announcement
    assert heard == ["outbox"]


def test_a_listener_stops_when_asked(org_db: Database) -> None:
    heard: list[str] = []
    stop = org_db.on_commit(OUTBOX, lambda: heard.append("outbox"))
    stop()
    now = datetime(2026, 11, 18, tzinfo=UTC)
    with org_db.session() as session:
        person = manager(session)
        enqueue(session, person, Message("hello"), "wake:3", now)
    assert heard == []
