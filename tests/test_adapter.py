"""The adapter base and the core's intents, with no platform at all: the core is asked
directly (its answer's intents asserted), and a collecting adapter (`tests.support.Collecting`)
stands in for a platform, so what the base decides — who an answer is for, where a card's
copies are, what is kept when a send fails — is seen in the calls a platform would get."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.engine.messages import EditCard, Event, Message, OpenForm
from handlers.org.chart import invite
from storage.models import Draft, OutboxMessage, Person
from tests.support import Collecting, FakeClock

ZH = Translator("zh_CN")


def person(core: Core, name: str) -> Person:
    with core.db.session() as session:
        return session.scalars(select(Person).where(Person.name == name)).one()


def link(core: Core, clock: FakeClock, name: str, user: str) -> int:
    """`/start CODE` from a Collecting user; the id of the person linked."""
    with core.db.session() as session:
        code = invite(session, session.get_one(Person, person(core, name).id), clock())
    answer = core.answer(Event(Collecting.platform, user, text=f"/start {code}", chat_id=user))
    assert answer.person_id is not None
    return answer.person_id


def test_every_intent_names_the_person_it_is_for_and_a_stranger_is_nobody(
    core: Core, clock: FakeClock
) -> None:
    stranger = core.answer(Event(Collecting.platform, "u-li", text="/help"))
    assert stranger.person_id is None
    assert [(i.to, type(i)) for i in stranger.intents] == [(None, Message)]

    li = link(core, clock, "李明", "u-li")
    answer = core.answer(Event(Collecting.platform, "u-li", text="/my"))
    assert answer.person_id == li and answer.intents
    assert all(intent.to == li for intent in answer.intents)


def test_a_form_begun_is_an_open_form_a_sheet_only_where_the_event_allows_one(
    core: Core, clock: FakeClock
) -> None:
    li = link(core, clock, "李明", "u-li")
    whole = core.answer(Event(Collecting.platform, "u-li", text="/reception", whole_forms=True))
    [opened] = whole.intents
    assert isinstance(opened, OpenForm) and opened.to == li
    assert opened.form == "rcp" and opened.first is None  # nothing begun: no draft yet
    assert opened.sheet is not None and opened.sheet.fields[0].name == "client"
    with core.db.session() as session:
        assert session.scalars(select(Draft)).first() is None

    chat = core.answer(Event(Collecting.platform, "u-li", text="/reception"))
    opened = chat.intents[-1]
    assert isinstance(opened, OpenForm) and opened.sheet is None
    assert opened.first is not None and opened.first.to == li
    assert chat.replies[-1] == opened.first  # shown in a chat as its first question


async def test_a_card_is_edited_where_it_was_shown_and_a_failed_send_is_kept(
    core: Core, clock: FakeClock
) -> None:
    wang = link(core, clock, "王经理", "u-wang")
    platform = Collecting(core)
    with core.db.session() as session:
        card = Message("【接待申请 #7】", card="apv:7")
        enqueue(session, session.get_one(Person, wang), card, "t:card", clock())
    await platform.deliver()
    assert [(chat, m.text) for chat, m in platform.sent] == [("u-wang", "【接待申请 #7】")]

    with core.db.session() as session:
        decided = EditCard("【接待申请 #7】\n✅ 已同意", card="apv:7")
        enqueue(session, session.get_one(Person, wang), decided, "t:decided", clock())
    await platform.deliver()
    assert [(spot, m.text) for spot, m in platform.edited] == [
        (("u-wang", "1"), "【接待申请 #7】\n✅ 已同意")
    ]
    assert len(platform.sent) == 1  # updated in place, not sent anew

    platform.refuse = 1  # the platform is away for the reply to the next event
    await platform.answer(core.answer(Event(Collecting.platform, "u-wang", text="/help")), "u-wang")
    assert len(platform.sent) == 1
    await platform.deliver()  # kept in the outbox, sent by the next pass, once
    assert platform.sent[-1][1].text.startswith(ZH("help.title", name="王经理"))
    await platform.deliver()
    assert len(platform.sent) == 2

    platform.refuse = 1  # a stranger's line is not kept: there is nobody to keep it for
    before = count_rows(core)
    await platform.answer(core.answer(Event(Collecting.platform, "u-nobody", text="hi")), "c")
    assert count_rows(core) == before


def count_rows(core: Core) -> int:
    with core.db.session() as session:
        return len(session.scalars(select(OutboxMessage)).all())


class OtherCollecting(Collecting):
    """A second platform, so copies on two platforms can be told apart."""

    platform = "collect2"


async def test_a_decision_edits_each_platforms_copies_of_the_card_and_no_other(
    core: Core, clock: FakeClock
) -> None:
    wang = link(core, clock, "王经理", "u-wang")  # on one platform
    with core.db.session() as session:
        code = invite(session, session.get_one(Person, person(core, "李明").id), clock())
    li = core.answer(Event(OtherCollecting.platform, "u-li", text=f"/start {code}", chat_id="d-li"))
    assert li.person_id is not None
    one, other = Collecting(core), OtherCollecting(core)
    for who, key in ((wang, "a"), (li.person_id, "b")):
        with core.db.session() as session:
            card = Message("【接待申请 #9】", card="rcp:9")
            enqueue(session, session.get_one(Person, who), card, f"t:{key}:1", clock())
    await one.deliver()
    await other.deliver()
    assert [chat for chat, _ in one.sent] == ["u-wang"]
    assert [chat for chat, _ in other.sent] == ["d-li"]

    for who, key in ((wang, "a"), (li.person_id, "b")):
        with core.db.session() as session:
            decided = EditCard("【接待申请 #9】\n✅ 已同意", card="rcp:9")
            enqueue(session, session.get_one(Person, who), decided, f"t:{key}:2", clock())
    await one.deliver()
    await other.deliver()
    assert [spot for spot, _ in one.edited] == [("u-wang", "1")]
    assert [spot for spot, _ in other.edited] == [("d-li", "1")]
    assert len(one.sent) == len(other.sent) == 1
