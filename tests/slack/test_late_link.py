"""On Slack too, what was queued for someone before they linked arrives when they link."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.org.chart import invite
from storage.models import Person
from tests.slack.conftest import USERS, FakeSlack, Link, file_reception
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock

ZH = Translator("zh_CN")


async def test_a_card_queued_before_the_approver_linked_arrives_when_he_links(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, clock: FakeClock
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li = await link("李明")
    await file_reception(slack, li)  # its card is for 王经理, not on Slack yet

    wang = USERS["王经理"]
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == "王经理")).one()
        code = invite(session, person, clock())
    await slack.command(wang, f"link {code}")
    card = standin.find(wang, "东方精密")
    # Written when it was queued, in the language known then: the org's (Slack's en-US was
    # not known before he linked).
    assert list(card.buttons()) == [
        ZH("approval.approve"),
        ZH("approval.reject"),
        ZH("approval.changes"),
    ]
    await slack.press(wang, card, ZH("approval.approve"))
    assert card.buttons() == {}
    assert any(text.startswith("✅") and "东方精密" in text for text in standin.texts(li))
