"""The day in the field on Slack: a check-in typed as text (Slack has no location to share),
the daily report submitted in the DM, and the manager's Comment reaching the salesperson."""

from __future__ import annotations

from handlers.engine.core import Core
from tests.slack.conftest import FakeSlack, Link
from tests.slack.standin import WebApiStandIn
from tests.support import FakeClock
from tests.test_scheduler import at


async def test_a_typed_check_in_a_daily_report_and_the_managers_comment(
    slack: FakeSlack, standin: WebApiStandIn, link: Link, core: Core, clock: FakeClock
) -> None:
    standin.locales["ULIMING"] = "zh-CN"
    standin.locales["UWANG"] = "zh-CN"
    li = await link("李明")
    wang = await link("王经理")
    await slack.command(li, "checkin 东方精密")
    assert "请分享位置" in standin.last(li).text
    await slack.message(li, "人民广场100号")
    await slack.message(li, "张伟")
    checked_in = standin.find(li, "已签到")
    assert "东方精密 09:00" in checked_in.text and "地点:人民广场100号" in checked_in.text
    clock.now = at("2026-11-18 17:00")
    await slack.message(li, "签退")
    assert "停留 8小时0分钟" in standin.last(li).text
    # Typed in the DM, the report is asked there (the slash command would open it as a modal).
    await slack.message(li, "日报")
    assert "今天解决了哪些问题" in standin.last(li).text  # no problem visit to draft it from
    await slack.message(li, "交期问题已解决")
    await slack.message(li, "-")
    await slack.message(li, "交通 30")
    summary = standin.last(li)
    assert "同行者:张伟" in summary.text and "合计 ¥30" in summary.text
    await slack.press(li, summary, "提交")
    card = standin.find(wang, "【拜访日报】李明")
    await slack.press(wang, card, "批注")
    await slack.message(wang, "明天把报价发给客户")
    assert "“明天把报价发给客户”" in standin.last(li).text
