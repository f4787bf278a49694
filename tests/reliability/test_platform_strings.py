"""Strings as platforms hand them over, bounded before they are stored or echoed: a message
of 100 KB, an argument of 4 000 characters, a lone surrogate (half an emoji) and NUL,
invisible and bidi characters in a name, a locale, user id or delivery id longer than its
column. Each is refused with a clear line in the person's language and audited, or taken
cleaned; nothing is quoted back past a few words."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.engine.core import Core
from handlers.engine.i18n import ECHO_MAX
from handlers.engine.inbound import TEXT_MAX
from handlers.engine.messages import Event
from storage.models import Client, Draft, Identity, Person
from tests.reliability.support import ZH, audit_rows, count, dump
from tests.support import Company

LONG = "华" * 4000


def test_no_command_quotes_back_more_than_a_few_words_of_a_long_argument(
    company: Company,
) -> None:
    names = [*company.core.commands, "nosuch" + LONG]
    quoted = "华" * ECHO_MAX
    for who in ("孙行政", "王经理", "钱会计", "李明"):
        for name in names:
            reply = company.say(who, f"/{name} {LONG}")
            company.say(who, "/cancel")
            assert quoted not in reply, f"/{name[:10]} by {who}: {reply[:80]}…"


def test_a_message_past_the_bound_is_refused_audited_and_the_question_asked_again(
    company: Company,
) -> None:
    company.say("李明", "/reception")
    before = dump(company.core.db, skip=frozenset({"audit", "inbound_event"}))
    reply = company.say("李明", "华" * 100_000)
    assert reply.startswith(ZH("inbound.too_long", max=TEXT_MAX) + "\n")
    assert ZH("rcp.ask.client") in reply  # the question again
    assert "华华" not in reply
    assert dump(company.core.db, skip=frozenset({"audit", "inbound_event"})) == before
    refused = audit_rows(company.core.db, "text.refused")
    assert [r.detail["reason"] for r in refused] == ["inbound.too_long"]


@pytest.mark.parametrize("broken", ["东方\ud83d精密", "\udc00", "华南\ud800\udbff"])
def test_half_an_emoji_is_refused_with_why_not_try_again(company: Company, broken: str) -> None:
    company.say("李明", "/reception")
    before = dump(company.core.db, skip=frozenset({"audit", "inbound_event"}))
    reply = company.say("李明", broken)
    assert reply.startswith(ZH("inbound.unstorable") + "\n"), reply
    assert ZH("error.internal") not in reply
    assert ZH("rcp.ask.client") in reply
    assert dump(company.core.db, skip=frozenset({"audit", "inbound_event"})) == before
    assert len(audit_rows(company.core.db, "text.refused")) == 1
    assert "客户级别" in company.say("李明", "东方精密")  # the next answer is taken


@pytest.mark.parametrize(
    "typed",
    [
        "\u2066新华电子\u2069",  # a bidi isolate around it
        "新\u202e华电子",  # a right-to-left override inside
        "新华\u200b\u2060电子\u00ad",  # zero-width space, word joiner, soft hyphen
        "\u3164新华电子\ufeff",  # a Hangul filler, a BOM
        "新华\x00电子",  # NUL
        "新华电子\U000e0041",  # a tag character
    ],
)
def test_invisible_characters_never_reach_a_stored_name(company: Company, typed: str) -> None:
    company.say("李明", "/reception")
    company.say("李明", typed)
    with company.core.db.session() as session:
        draft = session.scalars(select(Draft)).one()
        assert draft.data["client"] == "n:新华电子"  # a new client of that name


def test_a_quick_visit_log_cleans_the_new_clients_name(company: Company) -> None:
    company.say("李明", "/visit \u2066新华\u2069电子 今天 见了张总")
    with company.core.db.session() as session:
        draft = session.scalars(select(Draft)).one()
        assert "\u2066" not in repr(draft.data) and "\u2069" not in repr(draft.data)


def _linked(core: Core, name: str, user: str) -> None:
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == name)).one()
        session.add(Identity(person=person, platform="telegram", platform_user=user))


def test_platform_ids_and_locales_longer_than_their_columns_are_bounded(core: Core) -> None:
    _linked(core, "李明", "1001")
    long_locale = "zh-" + "x" * 60
    replies = core.handle(
        Event("telegram", "1001", text="/help", chat_id="9" * 300, platform_locale=long_locale,
              event_id="e" * 500)
    )  # fmt: skip
    assert replies and ZH("error.internal") not in replies[0].text
    with core.db.session() as session:
        identity = session.scalars(select(Identity)).one()
        assert identity.platform_locale is None
        assert identity.chat_id is not None and len(identity.chat_id) <= 64
    # The same delivery again is still recognised as one.
    again = Event("telegram", "1001", text="/help", event_id="e" * 500)
    assert core.handle(again) == []
    stranger = core.handle(Event("telegram", "8" * 300, text="/start " + "C" * 5000))
    assert ZH("error.internal") not in stranger[0].text
    assert count(core.db, Client) > 0  # nothing else touched
