"""`/client NAME`: one client's receptions, visits, next steps, plans and owner — shown to
the owner, their management chain and org admins (SPEC §2), and to nobody else: for anyone
else a client that exists reads exactly like one that does not."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from storage.models import Client
from tests.support import Company
from tests.test_plan import add_entry
from tests.test_reception import fill_b_class

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def history_of_huadong(company: Company) -> None:
    """A visit with a next step, a reception request, and a visit planned for December."""
    company.say("李明", "/visit 华东机电 见了张经理 有希望 下周五回访")
    company.press("李明", "初次拜访")
    company.press("李明", "客户关怀")
    company.press("李明", "选好了")
    company.say("李明", "谈了明年的采购计划")
    company.press("李明", "提交")
    fill_b_class(company)
    company.press("李明", "提交")
    add_entry(company, "李明", "华东机电", "12月3日", "新产品推广")
    company.press("李明", "提交给经理")


def client_id(company: Company, name: str) -> int:
    with company.core.db.session() as session:
        return session.scalars(select(Client.id).where(Client.name == name)).one()


def test_the_owner_sees_the_whole_timeline(company: Company) -> None:
    history_of_huadong(company)
    shown = company.say("李明", "/client 华东机电")
    lines = shown.split("\n")
    assert lines[:7] == [
        "【客户】华东机电 · B类(比较重要)· 本省 · 负责人:李明",
        "联系人:张总(采购总监)、张经理",  # 张经理, met at the visit, is kept
        "备注:老客户,关注交期",
        "下次拜访:2027年2月18日(周四) 前(每 3 个月)",  # next year: said with its year
        "待办:11月27日(周五) 回访(李明)",
        "计划拜访:12月3日(周四) 新产品推广(李明)",
        "往来记录:",
    ]
    # Newest first: the reception arrives on 25 Nov, the visit was on 18 Nov.
    assert lines[7] == "11月25日(周三) 接待 #1(李明)· B类 · 审批中"
    assert lines[8] == "11月18日(周三) 拜访(李明)· 见 张经理 · 有希望 · 谈了明年的采购计划"
    assert "记录拜访" in lines[9]
    assert "哪天拜访的" in company.press("李明", "记录拜访")


@pytest.mark.parametrize("viewer", ["王经理", "赵总", "孙行政"])
def test_the_owners_chain_and_org_admins_see_it(company: Company, viewer: str) -> None:
    history_of_huadong(company)
    shown = company.say(viewer, "/client hdjd")  # pinyin initials work too
    assert shown.startswith("【客户】华东机电 · B类(比较重要)· 本省 · 负责人:李明")
    assert "11月18日(周三) 拜访(李明)" in shown
    assert "记录拜访" not in shown  # only the owner logs visits to it


@pytest.mark.parametrize("viewer", ["张伟", "Grace Lee"])
def test_anyone_else_gets_what_a_missing_client_gets(company: Company, viewer: str) -> None:
    history_of_huadong(company)
    real = company.say(viewer, "/client 华东机电")
    missing = company.say(viewer, "/client 火星贸易")
    assert real.replace("华东机电", "X") == missing.replace("火星贸易", "X")
    assert "张总" not in real and "李明" not in real and "[" not in real
    initials = company.say(viewer, "/client hdjd")
    assert initials == missing.replace("火星贸易", "hdjd")


def test_forged_buttons_reveal_nothing(company: Company) -> None:
    history_of_huadong(company)
    own = company.say("李明", "/client")
    assert "用法" in own and "华东机电" in own
    button = next(n for label, n in company.buttons_shown["李明"] if label == "华东机电")
    assert company.press("李明", "华东机电").startswith("【客户】华东机电")
    stale = company.say("张伟", f"#{button}")  # 张伟 presses 李明's button
    huadong = client_id(company, "华东机电")
    assert stale == "这个按钮已经失效了,请使用最新的消息。"
    for action in (f"cl:{huadong}", "cl:9999", f"vs:c:{huadong}"):
        reply = "\n".join(m.text for m in company.core.handle(_press("张伟", action)))
        assert reply == stale, action


def test_an_english_reader_sees_it_in_english(company: Company) -> None:
    shown = company.say("Tom Walker", "/client acme")
    assert shown.startswith(
        "Client: ACME Industrial · class B (Important) · other region · owner: Tom Walker"
    )
    assert "Contacts: John Smith (Head of Procurement)" in shown
    assert "Next visit due by Tue 18 May 2027 (every 6 months)" in shown
    assert "No visits or receptions yet." in shown
    assert company.say("Tom Walker", "/client Siemens") == "No client called “Siemens”."


def _press(person: str, action: str) -> Event:
    return Event(CONSOLE, person, action=action)
