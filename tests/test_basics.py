"""Linking, strangers, help, language and bad input — through the console's code path."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from handlers.engine.core import Core
from handlers.engine.messages import Event
from handlers.org.chart import invite
from storage.models import AuditEntry, Draft, Identity, Person
from tests.support import Company

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def telegram(user: str, text: str, locale: str = "zh-hans", event_id: str | None = None) -> Event:
    return Event(
        "telegram", user, text=text, chat_id=user, platform_locale=locale, event_id=event_id
    )


def code_for(core: Core, name: str) -> str:
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == name)).one()
        return invite(session, person, core.clock())


def test_a_stranger_gets_one_polite_line_and_nothing_else(core: Core) -> None:
    for text in ("/reception", "hello", "/my", "/pending"):
        replies = core.handle(telegram("999", text, locale="en"))
        assert [m.text for m in replies] == [
            "Hello! You are not set up on visitdesk yet. Ask your admin for a link code, "
            "then send /start CODE."
        ]
    zh = core.handle(telegram("999", "你好"))
    assert "请联系管理员获取开通码" in zh[0].text


def test_a_link_code_links_once(core: Core) -> None:
    code = code_for(core, "李明")
    welcome = core.handle(telegram("111", f"/start {code}"))
    assert "欢迎,李明" in welcome[0].text
    # The same code from someone else does nothing.
    again = core.handle(telegram("222", f"/start {code}"))
    assert "开通码无效" in again[0].text
    with core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Identity)) == 1
    # Now linked, 李明 is recognised.
    help_text = core.handle(telegram("111", "/help"))[0].text
    assert "/reception" in help_text and "李明" in help_text


def test_language_comes_from_person_then_platform(core: Core) -> None:
    code = code_for(core, "张伟")
    core.handle(telegram("333", f"/start {code}", locale="en-US"))
    assert core.handle(telegram("333", "/help", locale="en-US"))[0].text.startswith("张伟, here is")
    core.handle(telegram("333", "/lang zh", locale="en-US"))
    assert core.handle(telegram("333", "/help", locale="en-US"))[0].text.startswith("张伟,您可以")
    # Tom's profile says English whatever his platform says.
    tom = code_for(core, "Tom Walker")
    core.handle(telegram("444", f"/start {tom}", locale="zh-hans"))
    assert "here is what you can do" in core.handle(telegram("444", "/help"))[0].text


def test_a_redelivered_event_is_handled_once(core: Core) -> None:
    code = code_for(core, "李明")
    core.handle(telegram("111", f"/start {code}"))
    first = core.handle(telegram("111", "/reception", event_id="upd-1"))
    second = core.handle(telegram("111", "/reception", event_id="upd-1"))
    assert first and second == []


def test_admins_invite_and_others_may_not(company: Company) -> None:
    refused = company.say("李明", "/invite 张伟")
    assert "没有使用这个命令的权限" in refused
    made = company.say("孙行政", "/invite 张伟")
    assert "张伟 的开通码" in made


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "x" * 10_000, "😀😀😀", "\x00\x07\x1b[31m", "'; DROP TABLE person; --", "五百万亿"],
)
def test_bad_input_is_re_asked_and_changes_nothing(company: Company, bad: str) -> None:
    company.say("李明", "/reception")
    company.say("李明", "hdjd")
    company.say("李明", "B")
    reply = company.say("李明", bad) if bad.strip() else company.say("李明", bad + "?")
    assert "来访多少人" in reply  # the same question again
    assert "数字" in reply or "太长" in reply or "不能大于" in reply or "不能为空" in reply
    with company.core.db.session() as session:
        draft = session.scalars(select(Draft)).one()
        assert draft.step == "visitors"
        assert "visitors" not in draft.data
        assert session.scalar(select(func.count()).select_from(Person)) == 12


@pytest.mark.parametrize("bad", ["😀😀", "-", "……", "👍 !"])
def test_a_name_needs_words(company: Company, bad: str) -> None:
    company.say("李明", "/reception")
    for answer in ["hdjd", "B", "5"]:
        company.say("李明", answer)
    reply = company.say("李明", bad)
    # The question again, with the client's contacts one tap away (issue 24).
    assert re.fullmatch(r"请用文字回答。\n主宾姓名\?\n\[\d+\] 张总\(采购总监\)", reply), reply
    assert "主宾职务" in company.say("李明", "张总")


def test_english_speaker_gets_english_errors(company: Company) -> None:
    company.say("Tom Walker", "/reception")
    company.say("Tom Walker", "ACME")
    company.say("Tom Walker", "B")
    reply = company.say("Tom Walker", "lots")
    assert "That is not a number" in reply and "How many visitors?" in reply
    # A form's title sits mid-sentence in English ("reception request"), never first.
    dropped = company.say("Tom Walker", "/cancel")
    assert dropped == "Dropped your reception request; nothing was saved."


def test_commands_typed_as_words_without_the_slash(company: Company) -> None:
    assert "李明,您可以使用" in company.say("李明", "帮助")
    assert "哪位客户来访" in company.say("李明", "接待")
    assert "客户级别" in company.say("李明", "东方精密")
    assert "哪位客户来访" in company.say("李明", "返回")  # a form's own /back, typed
    assert company.say("李明", "取消") == "已放弃「接待申请」,什么都没有保存。"
    read = company.say("李明", "拜访 华东机电 见了张经理 有希望")
    assert read.startswith("已读取:华东机电 · 见 张经理 · 有希望")
    assert "请从按钮中选择一项" in company.say("李明", "帮助")  # a form waits: just an answer
    company.say("李明", "/cancel")
    # A word for a command he may not use is no command, just text.
    assert company.say("李明", "今日来访") == "发送 /help 查看可以做什么,例如 /reception 申请接待。"
    assert "Tom Walker — visits" in company.say("Tom Walker", "scorecard")


def test_cancel_and_back(company: Company) -> None:
    company.say("李明", "/reception")
    company.say("李明", "hdjd")
    company.say("李明", "B")
    back = company.say("李明", "/back")
    assert "客户级别" in back
    cancelled = company.say("李明", "/cancel")
    assert "已放弃「接待申请」" in cancelled
    assert "没有正在填写" in company.say("李明", "/cancel")
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 0
        actions = set(session.scalars(select(AuditEntry.action)))
        assert {"draft.start", "draft.cancel"} <= actions


def test_typed_text_goes_to_the_form_touched_last(company: Company) -> None:
    """Both forms are touched at the same frozen moment: only the order of touching counts,
    never a second clock (the draft's save once took the machine's time when the event's
    time had not moved)."""
    company.say("李明", "/reception")
    assert "客户级别" in company.say("李明", "hdjd")
    assert "拜访了哪位客户" in company.say("李明", "/visit")
    reply = company.say("李明", "hdjd")
    assert "客户级别" not in reply and "请从按钮中选择" not in reply, reply
    assert "哪天拜访的" in reply, reply  # the visit form's next question


def test_a_form_button_from_before_buttons_named_their_draft_is_stale(company: Company) -> None:
    """Phones keep buttons sent before a form button carried its draft's id
    (`f:<form>:<step>:<value>`). Which draft one was for is unknown, so it answers none: the
    open form's question is asked again, with buttons that work."""
    company.say("李明", "/reception")
    replies = company.core.handle(Event("console", "李明", action="f:rcp:client:2"))
    assert replies[0].text == "这个按钮属于之前那份已结束的「接待申请」,没有改动。请继续当前这一份:"
    assert replies[1].text.startswith("哪位客户来访?")
    assert "客户级别" in company.press("李明", "华东机电")  # the button shown again


@pytest.mark.parametrize(
    "action",
    [
        "apv:abc:ok",
        "apv:999:ok",
        "apv:1",
        "f:rcp:visitors:abc",
        "f:nosuchform:x:1",
        "ck:",
        "in:x",
        "rcp:edit:",
        "zzz:1",
        "f:rcp:_summary:submit",
        "cls:²",  # "²".isdigit() is true, and int() refuses it (found by the fuzz)
        "apv:٣:ok",  # Arabic-Indic digits: not an id either
        "rem:99999999999999999999:done",  # past the databases' integer keys
        "vs:e:2147483648",
        "ck:" + "9" * 400,
    ],
)
def test_tampered_buttons_get_a_polite_line_and_change_nothing(core: Core, action: str) -> None:
    replies = core.handle(Event("console", "李明", action=action))
    assert len(replies) >= 1
    assert all("出了点问题" not in m.text for m in replies), [m.text for m in replies]
    with core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 0
