"""A draft written by two devices at once, on PostgreSQL where steps of several processes
really overlap: the draft is saved with one UPDATE on the step's connection (not the unit of
work's flush, issue 26), and a draft removed meanwhile must still fail the step, as the ORM's
own UPDATE did — never be answered as if saved."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event, Message
from storage.models import Draft, Person
from tests.reliability.support import ZH
from tests.support import Company

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
WAIT = 30.0  # seconds: a ceiling for a hung step, never a measure


def test_an_answer_to_a_draft_cancelled_meanwhile_on_another_device_saves_nothing(
    company: Company,
) -> None:
    company.say("李明", "/reception")
    assert "客户级别" in company.say("李明", "hdjd")
    core = company.core
    replies: dict[str, list[Message]] = {}

    def step(device: str, text: str) -> None:
        replies[device] = core.handle(Event(CONSOLE, "李明", text=text))

    def cancel_on_the_laptop(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        """Once the phone's step has read its draft, the laptop cancels it, to the end."""
        if threading.current_thread().name != "phone" or "laptop" in replies:
            return
        if statement.lstrip().startswith("SELECT draft."):
            laptop = threading.Thread(target=step, args=("laptop", "/cancel"), name="laptop")
            laptop.start()
            laptop.join(WAIT)
            assert not laptop.is_alive(), "the cancel waited for the phone's step"

    event.listen(core.db.engine, "after_cursor_execute", cancel_on_the_laptop)
    try:
        phone = threading.Thread(target=step, args=("phone", "B"), name="phone")
        phone.start()
        phone.join(WAIT)
    finally:
        event.remove(core.db.engine, "after_cursor_execute", cancel_on_the_laptop)

    assert "什么都没有保存" in replies["laptop"][-1].text  # cancelled
    # The phone's answer went to a draft that no longer exists: refused, not "saved".
    assert [m.text for m in replies["phone"]] == [ZH("error.internal")]
    with core.db.session() as session:
        li = session.scalars(select(Person.id).where(Person.name == "李明")).one()
        assert session.scalars(select(Draft).where(Draft.person_id == li)).all() == []
    assert "哪位客户来访" in company.say("李明", "/reception")  # and a new one starts clean
