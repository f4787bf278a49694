"""The console as a newcomer uses it (issue 19, item 20): each person sees what is theirs,
others' messages wait for them, and `/digest` and `/at` show what time does."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.console import Console
from handlers.engine.core import CONSOLE
from handlers.engine.messages import Event
from storage.models import OutboxMessage
from tests.support import Company
from tests.test_reception import B_CLASS_ANSWERS

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


class Screen:
    """A console as one terminal: everything printed, in order."""

    def __init__(self, company: Company, person: str) -> None:
        self.lines: list[str] = []
        self.console = Console(company.core, person, out=self.lines.append, clock=company.clock)

    def type(self, text: str) -> str:
        before = len(self.lines)
        self.console.feed(text)
        return "\n".join(self.lines[before:])


def file_reception(screen: Screen) -> str:
    """李明 files the B-class request on the console; returns what the Submit printed."""
    screen.type("/reception")
    for answer, _ in B_CLASS_ANSWERS:
        screen.type(answer)
    summary = screen.lines[-1]
    submit = next(c for c in summary.split("\n")[-1].split("  ") if c.endswith("] 提交"))
    return screen.type(submit[1:].split("]")[0])


def test_a_person_sees_only_what_is_theirs_and_others_messages_wait(company: Company) -> None:
    screen = Screen(company, "李明")
    first = screen.type("/reception")
    assert "哪位客户来访" in first and "[1] " in first  # his own buttons take the first numbers
    sent = file_reception(screen)
    assert "等待 王经理 审批" in sent
    assert "【接待申请 #1】" not in sent  # 王经理's card is not on 李明's screen
    assert "(王经理 收到 1 条新消息,/switch 王经理 查看)" in sent
    shown = screen.type("/switch 王经理")
    assert "(you are now 王经理)" in shown and "【接待申请 #1】" in shown
    assert "【接待申请 #1】" not in screen.type("/switch 王经理")  # shown once, not again
    assert "每个人" in screen.type("/all")  # asked: everyone's messages as they arrive
    approve = next(c for c in shown.split("\n")[-1].split("  ") if c.endswith("] 同意"))
    approved = screen.type(approve[1:].split("]")[0])
    assert "已同意" in approved and "── to 赵总 ──" in approved  # the GM's card, headed
    assert "只显示您自己的" in screen.type("/all")


def test_digest_now_and_the_scheduler_at_a_given_time(company: Company) -> None:
    screen = Screen(company, "李明")
    assert "(您今天的日报没有内容" in screen.type("/digest")
    file_reception(screen)
    screen.type("/switch 王经理")
    digest = screen.type("/digest")
    assert "王经理,早上好" in digest and "待您审批" in digest and "] 同意" in digest
    screen.type("/switch 李明")
    ran = screen.type("/at 明天 8:30")
    assert "(按 11月19日(周四) 08:30 运行提醒和日报)" in ran
    assert "王经理,早上好" not in ran and "(王经理 收到 " in ran
    assert "王经理,早上好 — 11月19日(周四)" in screen.type("/switch 王经理")
    assert company.clock() == datetime.fromisoformat("2026-11-18T01:00:00+00:00")  # unmoved
    assert "已经过去了" in screen.type("/at 昨天")
    assert "太远了" in screen.type("/at 2027年6月1日 10点")
    assert "没看懂" in screen.type("/at " + "明" * 100_000)
    assert "/at 明天 8:30" in screen.type("/at 乱写一通")


def test_the_english_console_speaks_english(company: Company) -> None:
    screen = Screen(company, "Tom Walker")
    assert "(Nothing in your digest today" in screen.type("/digest")
    assert "Running reminders and digests as at" in screen.type("/at next Monday")


def test_the_demo_commands_as_nobody_the_org_knows(company: Company) -> None:
    screen = Screen(company, "路人甲")
    assert "nobody called '路人甲'" in screen.type("/digest")
    assert "nobody called '路人甲'" in screen.type("/at 明天")


def test_the_demo_commands_are_the_consoles_not_the_bots(company: Company) -> None:
    """On a chat platform (or any adapter but the terminal), /at and /digest are unknown
    commands: nobody moves the scheduler or reads a digest through the bot with them."""
    for text in ("/at 明天 8:30", "/digest"):
        replies = company.core.handle(Event(CONSOLE, "李明", text=text))
        assert "这个命令" in replies[0].text
    with company.core.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
