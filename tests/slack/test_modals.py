"""Forms as modals, built from any Form's steps: a test-only form with every kind of step,
opened by a slash command, checked on submission (errors back in the modal, nothing saved),
then its summary in the DM with buttons that act once."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.engine.context import Ctx
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.engine.forms.engine import start
from handlers.engine.forms.model import Choice, Data, Form, Invalid, Kind, Step
from handlers.engine.forms.readers import show_value
from handlers.engine.i18n import Translator
from handlers.engine.registry import Command, Feature
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import AuditEntry, Draft
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock

EN = Translator("en")


def _future(ctx: Ctx, data: Data, value: str) -> None:
    if datetime.fromisoformat(value) <= ctx.now:
        raise Invalid("flow.error.date.past")


def _summary(ctx: Ctx, data: Data) -> str:
    lines = [f"{s.name}: {show_value(ctx, s, data)}" for s in STEPS if s.name in data]
    return "TEST SUMMARY\n" + "\n".join(lines)


def _submit(ctx: Ctx, data: Data) -> None:
    ctx.audit("tst.submit", detail=str(data["title"]))
    ctx.reply(f"submitted {data['title']}")


STEPS = (
    Step("title", "tst.ask.title", max_length=40),
    Step("count", "tst.ask.count", Kind.NUMBER, minimum=Decimal(1)),
    Step("budget", "tst.ask.budget", Kind.MONEY),
    Step("day", "tst.ask.day", Kind.DATE),
    Step("when", "tst.ask.when", Kind.DATETIME, check=_future),
    Step(
        "colour",
        "tst.ask.colour",
        Kind.CHOICE,
        (Choice("r", "Red", True), Choice("g", "Green", True)),
    ),
    Step(
        "tags", "tst.ask.tags", Kind.MULTI, (Choice("a", "Alpha", True), Choice("b", "Beta", True))
    ),
    Step("car", "tst.ask.car", Kind.YESNO),
    Step("plate", "tst.ask.plate", when=lambda ctx, data: bool(data.get("car"))),
    Step("note", "tst.ask.note", optional=True, max_length=500),
)
FORM = Form("tst", "tst.title", STEPS, _summary, _submit)
TEST_FEATURE = Feature(
    commands=(Command("tform", "tst.help", lambda ctx, arg: start(ctx, FORM), form="tst"),),
    forms=(FORM,),
)
GOOD = {
    "title": "Kick-off",
    "count": "5",
    "budget": "1,200.50",
    "day": "2026-12-03",
    "when": "next Wed 3pm",
    "colour": "Green",
    "tags": ["Alpha", "Beta"],
    "car": EN("flow.yes"),
    "plate": "沪A12345",
}


@pytest.fixture
def core(org_db: Database, policy: Policy, clock: FakeClock) -> Core:
    return Core(org_db, policy, (*FEATURES, TEST_FEATURE), clock)


def _blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _count(core: Core, action: str, model: Any = AuditEntry) -> int:
    with core.db.session() as session:
        query = select(func.count()).select_from(model)
        if model is AuditEntry:
            query = query.where(AuditEntry.action == action)
        return int(session.scalar(query) or 0)


async def _open(slack: FakeSlack, standin: WebApiStandIn, user: str) -> dict[str, Any]:
    await slack.command(user, "tform")
    views = standin.opened_views()
    assert views, f"no modal opened; the DM says {standin.texts(user)}"
    return views[-1]


async def test_the_modal_has_one_input_per_step(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    view = await _open(slack, standin, await link("李明"))
    assert view["callback_id"] == "vd.form:tst"
    assert view["submit"]["text"] == EN("slack.modal.next")
    blocks = _blocks(view)
    assert list(blocks) == [s.name for s in STEPS]
    kinds = {name: b["element"]["type"] for name, b in blocks.items()}
    assert kinds == {
        "title": "plain_text_input",
        "count": "plain_text_input",
        "budget": "plain_text_input",
        "day": "plain_text_input",
        "when": "plain_text_input",
        "colour": "static_select",
        "tags": "multi_static_select",
        "car": "static_select",
        "plate": "plain_text_input",
        "note": "plain_text_input",
    }
    assert [o["text"]["text"] for o in blocks["colour"]["element"]["options"]] == ["Red", "Green"]
    assert [o["text"]["text"] for o in blocks["car"]["element"]["options"]] == ["Yes", "No"]
    optional = {name for name, b in blocks.items() if b["optional"]}
    assert optional == {"plate", "note"}  # plate applies only with a car
    assert blocks["plate"]["hint"]["text"] == EN("slack.modal.if_applies")
    assert blocks["when"]["element"]["placeholder"]["text"] == EN("slack.placeholder.datetime")
    assert blocks["title"]["element"]["max_length"] == 40
    assert blocks["note"]["element"]["multiline"] is True


async def test_a_bad_field_comes_back_in_the_modal_and_nothing_is_saved(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    view = await _open(slack, standin, user)
    bad = GOOD | {"count": "lots", "when": "yesterday 3pm", "plate": None}
    answer = await slack.submit(user, view, bad)

    assert answer.status == 200
    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            "count": EN("flow.error.number"),
            "when": EN("flow.error.date.past"),
            # A car was chosen, so the plate is needed: the error says so, with its question.
            "plate": EN("flow.error.required_now", question=EN("tst.ask.plate")),
        },
    }
    assert _count(core, "", Draft) == 0
    assert standin.inbox(user) == []


async def test_a_good_modal_posts_the_summary_with_the_dates_echoed(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("李明")
    view = await _open(slack, standin, user)
    answer = await slack.submit(user, view, GOOD)

    assert (answer.status, answer.body) == (200, "")  # the modal closes
    summary = standin.last(user)
    assert summary.text.splitlines() == [
        "TEST SUMMARY",
        "title: Kick-off",
        "count: 5",
        "budget: CNY 1,200.5",
        "day: Thu 3 Dec",
        "when: Wed 25 Nov 15:00",  # "next Wed 3pm", said back as an exact date
        "colour: Green",
        "tags: Alpha, Beta",
        "car: Yes",
        "plate: 沪A12345",
        "note: none",
    ]
    assert list(summary.buttons()) == [EN("flow.submit"), EN("flow.edit"), EN("flow.cancel")]
    assert summary.buttons()[EN("flow.submit")]["style"] == "primary"


async def test_a_double_click_on_submit_submits_once(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    await slack.submit(user, await _open(slack, standin, user), GOOD)
    summary = standin.last(user)

    await asyncio.gather(
        slack.press(user, summary, EN("flow.submit"), settle=False),
        slack.press(user, summary, EN("flow.submit"), settle=False),
    )
    await slack.bot.idle()

    assert _count(core, "tst.submit") == 1
    assert standin.texts(user).count("submitted Kick-off") == 1
    assert _count(core, "", Draft) == 0


async def test_edit_reopens_the_modal_with_the_answers_so_far(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("李明")
    await slack.submit(user, await _open(slack, standin, user), GOOD)
    await slack.press(user, standin.last(user), EN("flow.edit"))

    blocks = _blocks(standin.opened_views()[-1])
    assert blocks["title"]["element"]["initial_value"] == "Kick-off"
    assert blocks["when"]["element"]["initial_value"] == "2026-11-25 15:00"
    assert blocks["colour"]["element"]["initial_option"]["text"]["text"] == "Green"
    assert [o["text"]["text"] for o in blocks["tags"]["element"]["initial_options"]] == [
        "Alpha",
        "Beta",
    ]
    assert blocks["car"]["element"]["initial_option"]["value"] == "y"
    assert "initial_value" not in blocks["note"]["element"]

    # Submitted unchanged, the answers read back the same.
    view = standin.opened_views()[-1]
    await slack.submit(user, view, GOOD | {"when": "2026-11-25 15:00"})
    assert "when: Wed 25 Nov 15:00" in standin.last(user).text.splitlines()


async def test_cancel_on_the_summary_drops_the_draft(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    await slack.submit(user, await _open(slack, standin, user), GOOD)
    await slack.press(user, standin.last(user), EN("flow.cancel"))
    assert standin.last(user).text == EN("flow.cancelled", title="tst.title")
    assert _count(core, "", Draft) == 0


async def test_a_cancelled_drafts_summary_neither_edits_nor_submits_the_next_one(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    await slack.submit(user, await _open(slack, standin, user), GOOD)
    shown = standin.last(user)
    cancelled = copy.deepcopy(shown)  # as a second device, or a tap on its way, still has it
    await slack.message(user, "cancel")  # typed: the summary loses its buttons, as if tapped
    assert shown.buttons() == {}
    await slack.submit(user, await _open(slack, standin, user), GOOD | {"title": "Review"})
    summary = standin.last(user)
    views = len(standin.opened_views())

    await slack.press(user, cancelled, EN("flow.edit"))
    await slack.press(user, cancelled, EN("flow.submit"))

    assert len(standin.opened_views()) == views  # no modal opened over the new draft
    assert _count(core, "tst.submit") == 0
    stale = [EN("flow.other_draft", title="tst.title"), summary.text]
    assert standin.texts(user)[-4:] == stale + stale


async def _begin_in_the_dm(slack: FakeSlack, standin: WebApiStandIn, user: str) -> None:
    """A draft begun in the DM (Slack would not open the modal), its title answered."""
    standin.fail_next("views.open", "expired_trigger_id")
    await slack.command(user, "tform")
    await slack.message(user, "Review")


@pytest.mark.parametrize("opened_for", ["a draft", "no draft"])
async def test_a_modal_whose_draft_went_meanwhile_leaves_the_open_one_alone(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, opened_for: str
) -> None:
    """The modal was opened for a draft (its summary's Edit), since cancelled, or before the
    person had any; then a draft was begun in the DM. The modal's answers were meant for
    neither: nothing is saved and the draft open now stays as it was."""
    user = await link("李明")
    if opened_for == "a draft":
        await slack.submit(user, await _open(slack, standin, user), GOOD)
        summary = standin.last(user)
        await slack.press(user, summary, EN("flow.edit"))
        modal = standin.opened_views()[-1]
        await slack.press(user, summary, EN("flow.cancel"))
    else:
        modal = await _open(slack, standin, user)
    await _begin_in_the_dm(slack, standin, user)
    shown = standin.texts(user)

    answer = await slack.submit(user, modal, GOOD)

    assert (answer.status, answer.body) == (200, "")  # the modal closes; the DM says why
    assert standin.texts(user) == [*shown, EN("flow.form_gone", title="tst.title")]
    with core.db.session() as session:
        drafts = [(d.data, d.step) for d in session.scalars(select(Draft))]
    assert drafts == [({"title": "Review"}, "count")]


async def test_a_modal_opened_before_modals_named_their_draft_still_fills_the_form(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    """One open over the deploy is taken for the draft open now, as before, if its `@`
    context matches: here the Edit of a draft's summary."""
    user = await link("李明")
    await slack.submit(user, await _open(slack, standin, user), GOOD)
    await slack.press(user, standin.last(user), EN("flow.edit"))
    view = standin.opened_views()[-1]
    # What the bot put there before: only the draft's `@` context, none for this form.
    answer = await slack.submit(user, view | {"private_metadata": "{}"}, GOOD | {"title": "Review"})

    assert (answer.status, answer.body) == (200, "")
    assert standin.last(user).text.startswith("TEST SUMMARY\ntitle: Review")


async def test_when_slack_refuses_the_modal_the_form_goes_on_in_the_dm(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("李明")
    standin.fail_next("views.open", "expired_trigger_id")
    await slack.command(user, "tform")
    assert standin.texts(user) == ["tst.ask.title"]  # the first question, chat-style


async def test_in_the_dm_a_tapped_answer_stays_on_its_question_and_ticks_change_in_place(
    slack: FakeSlack, standin: WebApiStandIn, link: Link
) -> None:
    user = await link("李明")
    standin.fail_next("views.open", "expired_trigger_id")
    await slack.command(user, "tform")
    for answer in ["Review", "3", "100", "2026-12-01", "yes", "2026-12-01 15:00", "yes"]:
        await slack.message(user, answer)
    colour = standin.last(user)
    assert colour.text == "tst.ask.colour"
    await slack.press(user, colour, "Green")
    # The question was updated where it stood: the answer on it, its buttons gone.
    assert colour.updates == 1 and colour.text == "tst.ask.colour\n→ Green"
    assert colour.buttons() == {}
    tags = standin.last(user)
    shown = len(standin.inbox(user))
    await slack.press(user, tags, "Alpha")
    assert len(standin.inbox(user)) == shown  # ticked on the question, not sent anew
    assert tags.updates == 1 and "✓ Alpha" in tags.buttons()


async def test_a_line_typed_in_the_dm_while_the_modal_is_open_goes_into_no_form(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core
) -> None:
    user = await link("李明")
    modal = await _open(slack, standin, user)
    await slack.message(user, "Kick-off")  # meant for the modal's first box, typed in the DM
    with core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 0
    answer = await slack.submit(user, modal, GOOD)
    assert (answer.status, answer.body) == (200, "")
    assert standin.last(user).text.startswith("TEST SUMMARY\ntitle: Kick-off")
