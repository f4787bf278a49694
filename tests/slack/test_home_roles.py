"""App Home per role (issue 25 item 3): besides `/my` and `/pending`, a person's day as their
digest reads it now — the admin office's open checklists for today and tomorrow, the front
desk's guests with Check in, a manager's team — decided in the core (`handlers/home.py`);
and a Home published again when a message reaches its owner, not only when it is opened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from handlers.engine.core import Core
from storage.models import Reception
from tests.slack.conftest import ZH, FakeSlack, Link, file_reception
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock


def _texts(view: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in view["blocks"] if b["type"] in ("header", "section")]


async def test_a_managers_home_follows_a_card_that_reaches_them_unopened(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    for user in ("ULIMING", "UWANG"):
        standin.locales[user] = "zh-CN"
    li, wang = await link("李明"), await link("王经理")
    await slack.open_home(wang)
    assert ZH("approval.queue_empty") in _texts(standin.published_home(wang))

    await file_reception(slack, li)  # its card goes to 王经理's DM: his Home follows
    texts = _texts(standin.published_home(wang))
    assert ZH("approval.queue", n=1) in texts
    assert any("东方精密" in text for text in texts)


async def test_the_admin_offices_home_shows_the_days_open_checklist(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, clock: FakeClock
) -> None:
    for user in ("ULIMING", "UWANG", "USUN"):
        standin.locales[user] = "zh-CN"
    li, wang, sun = await link("李明"), await link("王经理"), await link("孙行政")
    await slack.open_home(sun)
    assert ZH("slack.home.today") not in _texts(standin.published_home(sun))  # a quiet day

    await file_reception(slack, li)
    await slack.press(wang, standin.find(wang, "东方精密"), ZH("approval.approve"))
    with core.db.session() as session:
        arrival = session.scalars(select(Reception.arrival_at)).one()
    clock.now = arrival - timedelta(hours=1)  # the morning of the visit
    await slack.open_home(sun)
    texts = _texts(standin.published_home(sun))
    today = texts.index(ZH("slack.home.today"))
    assert "东方精密" in texts[today + 1] and ZH("digest.topic.prep_today") in texts[today + 1]
    assert ZH("slack.home.pending") in texts  # what the Home showed before is still there
