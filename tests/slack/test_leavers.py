"""A person removed from the org file who had linked twice — Slack and a Telegram phone:
both stop at once, the Slack command and DM get the stranger line (issue 18 item 2)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.engine.core import Core
from handlers.engine.messages import Event
from handlers.org.chart import import_org, invite, load_org_file
from storage.models import Person
from tests.conftest import EXAMPLE_ORG
from tests.reliability.support import EN, ZH
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.test_leavers import without


async def test_a_removed_persons_slack_and_second_device_stop_at_once(
    slack: FakeSlack, standin: WebApiStandIn, core: Core, link: Link
) -> None:
    user = await link("张伟")
    with core.db.session() as session:
        zhang = session.scalars(select(Person).where(Person.name == "张伟")).one()
        code = invite(session, zhang, core.clock())
    phone = Event("telegram", "1004", text=f"/start {code}", chat_id="1004")
    assert "张伟" in core.handle(phone)[0].text
    await slack.command(user, "client 华南电子")
    assert "陈经理" in standin.texts(user)[-1]

    with core.db.session() as session:
        import_org(session, without(load_org_file(EXAMPLE_ORG), "张伟"), core.policy, core.clock())

    await slack.command(user, "client 华南电子")
    await slack.message(user, "华南电子")
    # A stranger is answered in the platform's language: the stand-in's Slack speaks English.
    assert standin.texts(user)[-2:] == [EN("stranger.slack")] * 2
    asked = Event("telegram", "1004", text="/client 华南电子", chat_id="1004")
    assert [m.text for m in core.handle(asked)] == [ZH("stranger")]
