"""A reception in one message on Telegram (issue 24): the line read, the contact's title one
tap away, "like last time" one tap for a client received before."""

from __future__ import annotations

from tests.telegram.harness import World

LINE = (
    "/reception 华东机电 5人 下周三10点到 周四下午走 虹桥站接 G7012 住2晚公司付 "
    "参观一号车间 见总经理 午晚餐各一次 每人120"
)


async def test_the_line_then_taps_then_like_last_time(world: World) -> None:
    li = await world.linked("李明")
    replies = await li.send(LINE)
    assert replies[0].text.startswith("从这一句读到:客户 华东机电 · 客户级别 B 比较重要 · 人数 5")
    assert li.last.text.startswith("主宾姓名?") and li.last.labels == ["张总(采购总监)"]
    await li.press("张总(采购总监)")
    assert li.last.text.startswith("主宾职务?") and li.last.labels == ["采购总监(默认)"]
    await li.press("采购总监(默认)")
    for answer in ("5", "否", "300", "500"):
        await li.send(answer)
    assert li.last.text.startswith("请核对接待申请")
    assert (
        "审批:王经理(部门,B类流程) → 赵总(总经理,B类流程) → 钱会计(财务,公司付住宿)" in li.last.text
    )
    await li.press("提交")

    await li.send("/reception 华东机电")
    assert li.last.text.startswith("和上次(11月25日(周三))一样安排吗?")
    assert li.last.labels == ["是", "否"]
    await li.press("是")
    assert li.last.text.startswith("来访多少人")
