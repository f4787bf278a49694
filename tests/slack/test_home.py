"""App Home as the dashboard, the global shortcut, a decision's reason, and files."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.slack import SlackBot
from handlers.engine.context import enqueue
from handlers.engine.core import Core
from handlers.engine.i18n import Translator
from handlers.engine.messages import Attachment, Message
from storage.models import ApprovalStep, Person
from tests.slack.conftest import ZH, FakeSlack, Link, file_reception
from tests.slack.standin import Shown, WebApiStandIn, dm_of
from tests.support import FakeClock

EN = Translator("en")


def _texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] in ("header", "section")]


async def test_home_shows_my_requests_and_opens_the_reception_modal(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li = await link("李明")
    await slack.open_home(li)
    home = standin.published_home(li)
    assert home["type"] == "home"
    none = ZH("rcp.my.none").replace("/reception", "/visitdesk reception")  # as Slack spells it
    mine = [ZH("slack.home.title"), ZH("slack.home.my"), none]
    # A salesperson may stand in for a manager: what waits for them shows too.
    assert _texts(home) == [*mine, ZH("slack.home.pending"), ZH("approval.queue_empty")]

    await slack.press_home(li, home, ZH("slack.home.open.reception"))
    assert standin.opened_views()[-1]["callback_id"] == "vd.form:rcp"


async def test_a_manager_decides_from_home_and_the_dm_card_follows(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await file_reception(slack, li)
    dm_card = standin.find(wang, "东方精密")

    await slack.open_home(wang)
    home = standin.published_home(wang)
    texts = _texts(home)
    none = EN("rcp.my.none").replace("/reception", "/visitdesk reception")
    assert texts[:3] == [EN("slack.home.title"), EN("slack.home.my"), none]
    assert texts[3:5] == [EN("slack.home.pending"), EN("approval.queue", n=1)]
    assert "东方精密" in texts[5]

    await slack.press_home(wang, home, EN("approval.approve"))
    with core.db.session() as session:
        assert session.scalars(select(ApprovalStep.state)).all() == ["approved"]
    assert dm_card.buttons() == {} and dm_card.updates == 1
    refreshed = standin.published_home(wang)
    assert EN("approval.queue_empty") in _texts(refreshed)
    assert Shown("", "", "", refreshed["blocks"]).buttons().get(EN("approval.approve")) is None


async def test_the_global_shortcut_opens_the_modal(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    li = await link("李明")
    await slack.shortcut(li, "vd_reception")
    view = standin.opened_views()[-1]
    assert view["callback_id"] == "vd.form:rcp"
    assert view["title"]["text"] == EN("rcp.title")[:24]


async def test_a_rejection_reason_is_asked_in_a_modal_and_reaches_the_requester(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await file_reception(slack, li)
    card = standin.find(wang, "东方精密")
    views = len(standin.opened_views())

    await slack.press(wang, card, EN("approval.reject"))
    assert card.buttons()  # nothing decided until the reason is given
    (modal,) = standin.opened_views()[views:]
    assert modal["callback_id"] == "vd.form:why"
    assert modal["submit"]["text"] == EN("approval.reject")  # what it does, not "Next"
    assert not any(EN("approval.why.rejected") in m.text for m in standin.inbox(wang))

    empty = await slack.submit(wang, modal, {"reason": ""})
    assert empty.json()["response_action"] == "errors"  # a reason is required
    assert card.buttons()
    await slack.submit(wang, modal, {"reason": "Budget & dates unclear"})

    assert card.buttons() == {}
    assert "Budget & dates unclear" in card.text
    told = standin.last(li).text
    assert "Budget & dates unclear" in told and "东方精密" in told


async def test_a_closed_reason_modal_decides_nothing_and_the_next_dm_is_just_a_dm(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    standin.locales["ULIMING"] = standin.locales["UWANG"] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await file_reception(slack, li)
    card = standin.find(wang, "东方精密")
    told = len(standin.inbox(li))
    await slack.press(wang, card, ZH("approval.reject"))
    modal = standin.opened_views()[-1]
    assert modal["notify_on_close"] is True
    assert (await slack.close(wang, modal)).status == 200

    await slack.message(wang, "帮助")  # he wants the help, and gets it
    assert standin.last(wang).text.startswith(ZH("help.title", name="王经理"))
    assert list(card.buttons()) == [
        ZH("approval.approve"),
        ZH("approval.reject"),
        ZH("approval.changes"),
    ]
    assert len(standin.inbox(li)) == told  # the requester was told nothing


async def test_a_reason_typed_in_the_dm_shows_what_it_will_do_before_it_decides(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    """The modal still open (or its close never reached us): text typed in the DM is read as
    the reason, but the approver is shown the rejection it would make, and decides."""
    standin.locales["ULIMING"] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await file_reception(slack, li)
    card = standin.find(wang, "东方精密")
    await slack.press(wang, card, EN("approval.reject"))
    await slack.message(wang, "Budget &amp; dates unclear")  # Slack escapes & in text
    confirm = standin.last(wang)
    assert "Budget & dates unclear" in confirm.text and "东方精密" in confirm.text
    assert list(confirm.buttons()) == [EN("flow.submit"), EN("flow.edit"), EN("flow.cancel")]
    assert card.buttons()  # nothing decided yet

    await slack.press(wang, confirm, EN("flow.submit"))
    assert card.buttons() == {}
    assert "Budget & dates unclear" in standin.last(li).text


async def test_outbox_files_and_cards_are_sent_once(
    slack: FakeSlack,
    standin: WebApiStandIn,
    link: Link,
    core: Core,
    bot: SlackBot,
    clock: FakeClock,
) -> None:
    li = await link("李明")
    ics = Attachment("reception-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        enqueue(session, person, Message("Your schedule", attachment=ics), "test:ics", clock())

    await bot.deliver()
    await bot.deliver()  # a second pass finds nothing left to send

    assert standin.texts(li) == ["Your schedule"]
    (upload,) = standin.calls_to("files.completeUploadExternal")
    assert upload.params["channel_id"] == dm_of(li)
    assert [c.method for c in standin.calls if c.method.startswith(("files.", "upload"))] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_a_card_deleted_in_slack_is_skipped_not_retried(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, bot: SlackBot
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await file_reception(slack, li)
    standin.shown[dm_of(wang)].clear()  # 王经理 deleted the card

    await slack.open_home(wang)
    await slack.press_home(wang, standin.published_home(wang), EN("approval.approve"))
    await bot.deliver()

    updates = [c for c in standin.calls_to("chat.update") if c.params["channel"] == dm_of(wang)]
    assert len(updates) == 1  # tried once, told it is gone, not tried again
    assert EN("approval.queue_empty") in _texts(standin.published_home(wang))


async def test_a_stranger_home_says_one_line(slack: FakeSlack, standin: WebApiStandIn) -> None:
    await slack.open_home("USTRANGER")
    assert _texts(standin.published_home("USTRANGER")) == [
        EN("slack.home.title"),
        EN("stranger.slack"),
    ]


async def test_a_file_that_would_not_upload_is_retried_without_its_text(
    slack: FakeSlack,
    standin: WebApiStandIn,
    link: Link,
    core: Core,
    bot: SlackBot,
    clock: FakeClock,
) -> None:
    li = await link("李明")
    ics = Attachment("reception-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    standin.server_error_next("files.getUploadURLExternal", times=2)
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == "李明")).one()
        enqueue(session, person, Message("Your schedule", attachment=ics), "test:ics", clock())

    for _ in range(3):  # the first try and two retries, each when the row comes due
        await bot.deliver()
        clock.advance(minutes=2)
    assert standin.texts(li) == ["Your schedule"]  # once, not once per try
    assert len(standin.calls_to("files.completeUploadExternal")) == 1
