"""What approvers and requesters see of an approval (issue 19, items 13, 14, 16, 17): the
delegate's queue, on whose behalf a decision was taken, the card's header and flags, the
digest's buttons, every copy of a card at the end, and an edited approved request."""

from __future__ import annotations

import pytest

from tests.support import Company
from tests.test_approval import plain_reception

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def test_a_delegate_lists_and_decides_what_waits_for_them(company: Company) -> None:
    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    queue = company.say("张伟", "/pending")
    assert "等您审批的事项:1 项" in queue and "【接待申请 #1】" in queue and "同意" in queue
    company.press("张伟", "同意")
    assert "✅ 张伟(代王经理) 已同意" in company.last("张伟")
    assert "✅ 张伟(代王经理) 已同意" in company.last("王经理")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/delegate 张三 到 12月5日", "找不到名为「张三」的同事"),
        ("/delegate 张三到12月5日", "找不到名为「张三」的同事"),
        ("/delegate 王经理 到 12月5日", "不能委托给自己"),
        ("/delegate", "用法:/delegate 姓名 到 日期"),
    ],
)
def test_delegate_says_why_it_cannot(company: Company, typed: str, said: str) -> None:
    assert said in company.say("王经理", typed)
