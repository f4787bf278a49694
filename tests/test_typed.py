"""What people type for a button (issue 19, items 4–6): every button can be typed, by its
exact label, a unique prefix or the catalog's words; typed choices add to tapped ones; the
words for cancel and back work in both languages; and a typed line goes only into the form
whose question the person has in front of them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE, Core
from handlers.engine.features import FEATURES
from handlers.engine.forms.engine import start
from handlers.engine.forms.model import Choice, Form, Kind, Step
from handlers.engine.messages import Event
from handlers.engine.registry import Command, Feature
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import Draft, Reception
from tests.support import Company, FakeClock
from tests.test_reception import B_CLASS_ANSWERS

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def to_purposes(company: Company, who: str = "李明") -> str:
    """`who` starts a reception and answers up to its purposes question."""
    company.say(who, "/reception")
    for answer, expected in [("hdjd", B_CLASS_ANSWERS[0][1]), *B_CLASS_ANSWERS[1:5]]:
        reply = company.say(who, answer)
        assert expected in reply, f"after {answer!r} expected {expected!r} in:\n{reply}"
    assert "来访目的" in reply
    return reply


def drafts(company: Company) -> list[Draft]:
    with company.core.db.session() as session:
        return list(session.scalars(select(Draft).order_by(Draft.id)))


def test_a_typed_choice_adds_to_the_tapped_ones(company: Company) -> None:
    to_purposes(company)
    company.press("李明", "参观考察")
    reply = company.say("李明", "洽谈")
    assert "什么时候到" in reply
    (draft,) = drafts(company)
    assert draft.data["purposes"] == ["tour", "talks"]


@pytest.mark.parametrize("done", ["选好了", " 选好了 ", "选好"])
def test_the_done_button_can_be_typed(company: Company, done: str) -> None:
    to_purposes(company)
    company.press("李明", "参观考察")
    assert "什么时候到" in company.say("李明", done)
    (draft,) = drafts(company)
    assert draft.data["purposes"] == ["tour"]


def test_done_typed_with_nothing_chosen_is_asked_again(company: Company) -> None:
    to_purposes(company)
    reply = company.say("李明", "选好了")
    assert "请至少选择一项" in reply and "来访目的" in reply


def test_done_in_english_and_a_class_label_inside_another(company: Company) -> None:
    company.say("Tom Walker", "/reception")
    company.say("Tom Walker", "Suzhou New Materials")
    company.say("Tom Walker", "other region")  # a new client: where it is
    reply = company.say("Tom Walker", "Important")  # also inside "Very important"
    assert "How many visitors" in reply, reply
    company.say("Tom Walker", "3")
    company.say("Tom Walker", "Mr Wu")
    company.say("Tom Walker", "CEO")
    company.press("Tom Walker", "tour")
    assert "When do they arrive" in company.say("Tom Walker", "Done")
    (draft,) = drafts(company)
    assert (draft.data["cls"], draft.data["purposes"]) == ("B", ["tour"])


def test_the_date_confirmation_and_the_edit_field_list_can_be_typed(company: Company) -> None:
    to_purposes(company)
    company.say("李明", "参观考察")
    assert "11月25日(周三) 10:00,对吗" in company.say("李明", "下周三上午10点")
    assert "什么时候到" in company.say("李明", "不对,重新输入")
    assert "11月26日(周四) 10:00,对吗" in company.say("李明", "下周四上午10点")
    company.say("李明", "对")
    for answer, _ in B_CLASS_ANSWERS[8:]:
        reply = company.say("李明", answer)
    assert "请核对接待申请" in reply
    assert "要修改哪一项" in company.say("李明", "修改")
    assert "礼品预算" in company.say("李明", "礼品预算")
    assert "请核对接待申请" in company.say("李明", "900")
    company.say("李明", "修改")
    assert "需要接站" in company.say("李明", "接站")  # exact, though 接站地点 starts with it
    (draft,) = drafts(company)
    assert draft.data["b_gifts"] == "900.00"


def test_an_english_speaker_cancels_in_chinese(company: Company) -> None:
    company.say("Tom Walker", "/reception")
    reply = company.say("Tom Walker", "取消")
    assert "Dropped your reception request" in reply, reply
    assert drafts(company) == []


def test_a_chinese_speaker_goes_back_in_english(company: Company) -> None:
    to_purposes(company)
    assert "主宾职务" in company.say("李明", "go back")
    assert "主宾职务" not in company.say("李明", "采购总监")  # asked once, then on
    with company.core.db.session() as session:
        assert session.scalars(select(Reception)).first() is None


def test_a_form_started_over_another_sets_it_aside(company: Company) -> None:
    company.say("李明", "/visit")
    company.say("李明", "东方精密")
    company.say("李明", "昨天")
    company.say("李明", "对")
    company.say("李明", "王工")  # the visit now asks 拜访类型
    added = company.say("李明", "/plan add")
    assert "「拜访记录」已保留" in added and "要拜访哪位客户" in added, added
    company.say("李明", "华东机电")
    company.say("李明", "12月8日")
    company.say("李明", "对")
    company.say("李明", "跳过")  # the time
    company.say("李明", "回访")
    plan = company.say("李明", "跳过")  # the expected outcome
    assert "提交给经理" in plan, plan
    reply = company.say("李明", "提交给经理")  # the plan card's button, typed
    assert "拜访类型" not in reply and "王经理" in reply, reply
    listed = company.say("李明", "/my")
    assert "未完成的表单:拜访记录。" in listed and "没有填进去" not in listed
    resumed = company.press("李明", "继续填写 拜访记录")
    assert "拜访类型" in resumed


def test_a_typed_line_never_goes_into_a_hidden_draft(company: Company) -> None:
    company.say("李明", "/visit")
    company.say("李明", "东方精密")  # the visit asks 哪天拜访的
    started = company.say("李明", "/reception")
    assert "「拜访记录」已保留" in started and "哪位客户来访" in started
    company.say("李明", "/cancel")
    reply = company.say("李明", "华东机电")
    assert "哪天拜访的" not in reply and "您有未完成的:拜访记录。这句话没有填进去" in reply
    again = company.say("李明", "/cancel")  # nothing on screen: the visit is not dropped
    assert "没有正在填写的表单" in again and "未完成的表单:拜访记录。" in again
    (draft,) = drafts(company)
    assert draft.flow == "visit" and "visited_on" not in draft.data
    assert "哪天拜访的" in company.say("李明", "/visit")  # asked again where it was


def test_a_checklist_item_can_be_typed(company: Company) -> None:
    from tests.test_after_approval import approved_b

    approved_b(company)
    ticked = company.say("孙行政", "接站车辆")
    assert "✅ 接站车辆" in ticked, ticked
    assert "接站车辆 已准备好(1/9)" in company.last("李明")  # with helmets, safety briefing
    approved_b(company, client="dfjm")
    which = company.say("孙行政", "会议室")  # two receptions need one: which is asked
    assert "哪一场接待" in which and "华东机电" in which and "东方精密" in which, which
    assert "✅ 会议室" in company.press("孙行政", "#2 东方精密")
    assert "help" in company.say("李明", "会议室")  # only the admin office ticks


@pytest.mark.parametrize("typed", ["选 好 了", "选好了。", "ＤＯＮＥ"])
def test_a_label_typed_with_spaces_full_width_or_a_full_stop(company: Company, typed: str) -> None:
    to_purposes(company)
    company.press("李明", "业务洽谈")
    assert "什么时候到" in company.say("李明", typed)


def test_a_start_shared_by_two_fields_is_asked_again(company: Company) -> None:
    company.say("李明", "/reception")
    for answer, _ in B_CLASS_ANSWERS:
        reply = company.say("李明", answer)
    assert "请核对接待申请" in reply
    again = company.say("李明", "礼品预")  # only 礼品预算 starts so (礼品 does not)
    assert "礼品预算" in again, again
    company.say("李明", "400")
    shared = company.say("李明", "住宿")  # a label whole: 住宿, not 住宿付费 or 住宿预算
    assert "需要安排住宿" in shared
    company.say("李明", "是")
    company.say("李明", "2")
    company.say("李明", "客户自理")
    stray = company.say("李明", "餐")  # one character: no guess among 餐数 and 餐标
    assert stray.startswith("请点下面的按钮")


NUMBERED = Form(
    "tnum",
    "tst.title",
    (
        Step(
            "rooms",
            "tst.ask.rooms",
            Kind.CHOICE,
            (Choice("three", "3", True), Choice("one", "1", True), Choice("two", "2", True)),
        ),
    ),
    lambda ctx, data: f"rooms: {data.get('rooms')}",
    lambda ctx, data: ctx.reply(f"booked {data['rooms']}"),
)


def test_a_number_typed_is_a_label_before_it_is_a_position(
    org_db: Database, policy: Policy, clock: FakeClock
) -> None:
    feature = Feature(
        commands=(Command("tnum", "tst.help", lambda ctx, arg: start(ctx, NUMBERED)),),
        forms=(NUMBERED,),
    )
    core = Core(org_db, policy, (*FEATURES, feature), clock)
    # As Telegram or Slack send it (the console reads a bare digit as its own button number).
    core.handle(Event(CONSOLE, "李明", text="/tnum"))
    replies = core.handle(Event(CONSOLE, "李明", text="1"))
    assert "rooms: one" in replies[-1].text  # the button "1", not the first one ("3")
    replies = core.handle(Event(CONSOLE, "李明", text="/back"))
    replies = core.handle(Event(CONSOLE, "李明", text="4"))  # no such label or position
    assert replies[0].text.startswith("请从按钮中选择一项")


@pytest.mark.parametrize("forged", ["dr:1", "dr:x", "dr:99999999999", "dr:"])
def test_a_forged_continue_opens_nobody_elses_draft(company: Company, forged: str) -> None:
    company.say("李明", "/visit")  # draft 1 is 李明's
    company.say("李明", "/reception")
    replies = company.core.handle(Event(CONSOLE, "张伟", action=forged))
    assert [r.text for r in replies] == ["这个按钮已经失效了,请使用最新的消息。"]
    assert "哪位客户来访" in company.say("李明", "/reception")  # 李明's drafts as they were


def test_a_form_filled_in_a_modal_sets_the_open_one_aside(company: Company) -> None:
    from handlers.engine.forms.model import Opened

    to_purposes(company)  # a reception open in the DM
    texts = {
        "client": "3",
        "date": "2",
        "contact": "张总",
        "kind": "1",
        "purposes": "3",
        "summary": "介绍新产品",
        "outcome": "2",
    }
    result = company.core.fill_form(Event(CONSOLE, "李明"), "visit", texts, Opened.of(None))
    assert result.errors == {}
    assert "「接待申请」已保留" in result.replies[0].text
    company.say("李明", "提交")  # the visit's summary, on screen
    (draft,) = drafts(company)
    assert draft.flow == "rcp" and "purposes" not in draft.data  # untouched, set aside
