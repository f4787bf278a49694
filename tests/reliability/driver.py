"""A small driver that fills any form of the core validly, one step at a time, as a person
would type it — so a test can stop at each step and try what it likes there.

It knows a valid answer per step Kind (the first option for choices), a few answers per
step that open the steps behind a condition (a company-paid hotel opens its budget line,
a new client's name opens its region), and how to open each form: by its command, or by
the button that starts it (a rejection's reason, closing a reception, its follow-up).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from handlers.engine.core import CONSOLE, Core
from handlers.engine.forms.model import PENDING, SUMMARY, Form, Kind, Step
from handlers.engine.messages import Event, Message
from storage.models import ApprovalStep, Client, Complaint, Draft, Person, Reception, Review, Visit


@dataclass(frozen=True)
class People:
    """Who fills the forms in one language: a salesperson, and their manager (an approver)."""

    lang: str
    sales: str
    approver: str


ZH_PEOPLE = People("zh", "李明", "王经理")
EN_PEOPLE = People("en", "Tom Walker", "Grace Lee")  # both have locale = "en" in the org

# A valid answer for each kind of step (the fake clock reads Wed 2026-11-18 09:00).
BY_KIND = {
    Kind.TEXT: "样例 sample",
    Kind.CHOICE: "1",
    Kind.MULTI: "1",
    Kind.NUMBER: "2",
    Kind.MONEY: "100",
    Kind.DATE: "2026-12-10",
    Kind.DATETIME: "2026-11-19 08:00",
    Kind.YESNO: "yes",
}
# Answers that reach the steps behind conditions: arriving tomorrow makes the request late
# (the urgent reason), 500 a head is over every class's cap, the company pays the hotel,
# a new client's name asks for its region.
BY_STEP = {
    ("rcp", "departure"): "2026-11-19 17:00",
    ("rcp", "hotel_payer"): "2",
    ("rcp", "per_head"): "500",
    ("visit", "client"): "新客户甲 {who}",
    ("plan", "client"): "新客户乙 {who}",
    ("wlk", "host"): "王经理",  # a colleague's name: the walk-in's host
    ("wlk", "plate"): "沪A12345",
    # A check-in submits on its last answer: its new client must not be a near spelling of
    # the plan's (which would then not ask the region), nor bring companions to the daily
    # report's draft (which would then not ask them).
    ("checkin", "client"): "丙丁戊化工 {who}",
    ("checkin", "companions"): "-",
    ("daily", "expenses"): "transport 50",
    ("plan", "time"): "10:00",
}


@dataclass
class DraftState:
    step: str
    data: dict[str, Any]
    history: dict[str, Any]


def say(core: Core, who: str, text: str) -> list[Message]:
    return core.handle(Event(CONSOLE, who, text=text))


def press(core: Core, who: str, action: str) -> list[Message]:
    return core.handle(Event(CONSOLE, who, action=action))


def person_id(core: Core, who: str) -> int:
    with core.db.session() as session:
        return int(session.scalars(select(Person.id).where(Person.name == who)).one())


def draft_state(core: Core, who: str, form: str) -> DraftState | None:
    query = (
        select(Draft.step, Draft.data, Draft.history)
        .join(Person)
        .where(Person.name == who, Draft.flow == form)
    )
    with core.db.engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else DraftState(row.step, dict(row.data), dict(row.history or {}))


# A reception for a new client, which asks its region (file_reception's is an existing one).
NEW_CLIENT = {("rcp", "client"): "新客户丙 {who}"}
Answers = Mapping[tuple[str, str], str]


def valid_answer(form: Form, step: Step, who: str, answers: Answers = BY_STEP) -> str:
    key = (form.name, step.name)
    return answers.get(key, BY_STEP.get(key, BY_KIND[step.kind])).format(who=who)


def answer(
    core: Core, who: str, form: Form, step: Step, answers: Answers = BY_STEP
) -> list[Message]:
    """Answer the current step validly (and confirm a date); fail loudly if it is not taken."""
    replies = say(core, who, valid_answer(form, step, who, answers))
    state = draft_state(core, who, form.name)
    if state is not None and PENDING in state.data:
        replies = say(core, who, "yes")
        state = draft_state(core, who, form.name)
    if state is not None and state.step == step.name:
        raise AssertionError(
            f"{form.name}.{step.name} did not take {valid_answer(form, step, who, answers)!r}: "
            f"{[m.text for m in replies]}"
        )
    return replies


OnStep = Callable[[Step, list[Message]], None]


def walk(
    core: Core,
    who: str,
    form: Form,
    shown: list[Message],
    on_step: OnStep | None,
    answers: Answers = BY_STEP,
) -> list[Message]:
    """From the current step to the summary (or the end), answering validly (`answers` before
    `BY_STEP`); `on_step` is called at each step first, with what the person was last shown
    (its question). Returns what the person was shown last: the summary, when there is one."""
    for _ in range(len(form.steps) + 5):
        state = draft_state(core, who, form.name)
        if state is None or state.step == SUMMARY:
            return shown
        step = form.step(state.step)
        assert step is not None, f"{form.name}: unknown step {state.step}"
        if on_step is not None:
            on_step(step, shown)
        shown = answer(core, who, form, step, answers)
    raise AssertionError(f"{form.name} never reached its summary")


def shown_action(message: Message, ending: str) -> str:
    """The action of the button on `message` whose action ends so: a form's button names its
    draft, so it is pressed as shown, not spelled out."""
    return next(b.action for row in message.buttons for b in row if b.action.endswith(ending))


# ---------------------------------------------------------------------------- opening forms


def file_reception(core: Core, people: People) -> int:
    """The salesperson sends a reception request; its id."""
    form = core.forms["rcp"]
    summary = walk(core, people.sales, form, say(core, people.sales, "/reception"), None)[-1]
    press(core, people.sales, shown_action(summary, f":{SUMMARY}:submit"))
    with core.db.session() as session:
        return int(
            session.scalars(
                select(Reception.id)
                .join(Person, Reception.requester_id == Person.id)
                .where(Person.name == people.sales)
                .order_by(Reception.id.desc())
            ).first()
            or 0
        )


def _reception(core: Core, people: People, state: str) -> int:
    """One of the salesperson's receptions, put in `state` (as its chain would leave it)."""
    reception_id = file_reception(core, people)
    assert reception_id, "the reception was not filed"
    with core.db.session() as session:
        session.execute(update(Reception).where(Reception.id == reception_id).values(state=state))
    return reception_id


def _pending_step(core: Core, people: People) -> int:
    reception_id = file_reception(core, people)
    with core.db.session() as session:
        return int(
            session.scalars(
                select(ApprovalStep.id).where(
                    ApprovalStep.subject == "reception",
                    ApprovalStep.subject_id == reception_id,
                    ApprovalStep.state == "pending",
                )
            ).one()
        )


def _review(core: Core, people: People) -> int:
    """A report of the salesperson's waiting for their manager's word (the report itself
    does not matter to the comment)."""
    author = person_id(core, people.sales)
    with core.db.session() as session:
        review = Review(subject="visit", subject_id=author, author_id=author)
        session.add(review)
        session.flush()
        return review.id


def _own_visit(core: Core, people: People) -> int:
    """A visit the salesperson made yesterday to a client of theirs, as logged."""
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == people.sales)).one()
        client = session.scalars(select(Client).where(Client.owner_id == person.id)).first()
        assert client is not None, f"{people.sales} owns no client"
        visit = Visit(
            person_id=person.id,
            client_id=client.id,
            visited_on=date(2026, 11, 17),
            contact="张总",
            kind="relationship",
            purposes=["care"],
            summary="例行拜访",
            outcome="hopeful",
            answers={},
        )
        session.add(visit)
        session.commit()
        return visit.id


def _answered_complaint(core: Core, people: People) -> int:
    """A complaint the salesperson recorded and answered: the call back is next."""
    now = core.clock()
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == people.sales)).one()
        client = session.scalars(select(Client).where(Client.owner_id == person.id)).first()
        assert client is not None, f"{people.sales} owns no client"
        complaint = Complaint(
            client_id=client.id,
            person_id=person.id,
            department=person.department,
            responsible_id=person.manager_id or person.id,
            text="送货晚了",
            state="answered",
            opened_at=now,
            told_at=now,
            answered_at=now,
        )
        session.add(complaint)
        session.commit()
        return complaint.id


Opener = Callable[[Core, People], tuple[str, list[Message]]]

OPENERS: dict[str, Opener] = {
    "rcp": lambda core, p: (p.sales, say(core, p.sales, "/reception")),
    "visit": lambda core, p: (p.sales, say(core, p.sales, "/visit")),
    "plan": lambda core, p: (p.sales, say(core, p.sales, "/plan add")),
    "why": lambda core, p: (
        p.approver,
        press(core, p.approver, f"apv:{_pending_step(core, p)}:no"),
    ),
    "cls": lambda core, p: (
        p.sales,
        press(core, p.sales, f"cls:{_reception(core, p, 'approved')}"),
    ),
    "fu": lambda core, p: (p.sales, press(core, p.sales, f"fu:{_reception(core, p, 'closed')}")),
    "aw": lambda core, p: (p.sales, press(core, p.sales, f"aw:{_reception(core, p, 'approved')}")),
    "wlk": lambda core, p: (p.sales, say(core, _at_the_front_desk(core, p.sales), "/walkin")),
    "checkin": lambda core, p: (p.sales, say(core, p.sales, "/checkin")),
    "daily": lambda core, p: (p.sales, say(core, p.sales, "/daily")),
    "review": lambda core, p: (p.approver, press(core, p.approver, f"rv:{_review(core, p)}:c")),
    "pltgt": lambda core, p: (p.sales, say(core, p.sales, "/plan targets")),
    "complaint": lambda core, p: (p.sales, say(core, p.sales, "/complaint")),
    "sat": lambda core, p: (p.sales, press(core, p.sales, f"sat:{_own_visit(core, p)}:4")),
    "cpfb": lambda core, p: (
        p.sales,
        press(core, p.sales, f"cp:cb:{_answered_complaint(core, p)}"),
    ),
}


def _at_the_front_desk(core: Core, who: str) -> str:
    """`who`, given the front desk's role too (no one at the example's desk speaks English)."""
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == who)).one()
        if "front_desk" not in person.role_set:
            person.roles = f"{person.roles} front_desk".strip()
    return who
