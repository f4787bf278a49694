"""The quick visit line read on its own: client, contact, kind, purposes, outcome, next step
and its day, in Chinese and English; what it cannot check it leaves to the form."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from handlers.visits.quick import parse_quick
from storage.models import Client

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 2026-11-18 09:00 in Shanghai, as tests/conftest.py's START.
NOW = datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)

# Stand-ins for the person's clients: parse_quick reads only their id and name.
CLIENTS = cast(
    list[Client],
    [
        SimpleNamespace(id=1, name="华东机电"),
        SimpleNamespace(id=2, name="东方精密"),
        SimpleNamespace(id=3, name="ACME Industrial"),
        SimpleNamespace(id=4, name="Nordic Tools"),
    ],
)


# What each line should give: client | contact | outcome | next step | its day | the visit's
# day ("-": nothing). A day already come is when the visit was; one ahead is the next step's.
@pytest.mark.parametrize(
    ("lang", "line", "expected"),
    [
        (
            "zh",
            "华东机电 见了张经理 有希望 下周五回访",
            "华东机电|张经理|hopeful|回访|2026-11-27|-",
        ),
        ("zh", "华东机电见了张经理,有希望,下周五回访", "华东机电|张经理|hopeful|回访|2026-11-27|-"),
        ("zh", "hdjd 见了张总 没有希望", "华东机电|张总|no_hope|-|-|-"),
        ("zh", "东方 见王工 继续观察 12月3日前报价", "东方精密|王工|watch|报价|2026-12-03|-"),
        ("zh", "东方精密 拜访了王工 商谈成功", "东方精密|王工|won|-|-|-"),
        ("zh", "意见很多", "-|-|-|-|-|-"),
        (
            "en",
            "ACME met Zhang, hopeful, follow up next Friday",
            "ACME Industrial|Zhang|hopeful|follow up|2026-11-27|-",
        ),
        (
            "en",
            "acme met with John Smith hopeful call on Friday",
            "ACME Industrial|John Smith|hopeful|call|2026-11-20|-",
        ),
        ("en", "Nordic Tools, saw Mr. Berg, no hope", "Nordic Tools|Mr. Berg|no_hope|-|-|-"),
        (
            "en",
            "nordic, keep watching, send samples by Dec 3",
            "Nordic Tools|-|watch|send samples|2026-12-03|-",
        ),
        ("zh", "华东机电 昨天 见了李总", "华东机电|李总|-|-|-|2026-11-17"),
        (
            "zh",
            "昨天去了华东机电,见了李总,有希望,下周三再去",
            "华东机电|李总|hopeful|再去|2026-11-25|2026-11-17",
        ),
        ("zh", "周一 东方精密 见了王工", "东方精密|王工|-|-|-|2026-11-16"),
        ("zh", "华东机电 见了张总 昨天回访", "华东机电|张总|-|-|-|2026-11-17"),
        (
            "en",
            "ACME yesterday met Zhang, hopeful, call on Friday",
            "ACME Industrial|Zhang|hopeful|call|2026-11-20|2026-11-17",
        ),
    ],
)
def test_parse_quick_reads_what_the_line_says(lang: str, line: str, expected: str) -> None:
    quick = parse_quick(line, CLIENTS, NOW, lang)
    got = [
        quick.client.name if quick.client else None,
        quick.contact,
        quick.outcome,
        quick.next_step,
        quick.next_due.isoformat() if quick.next_due else None,
        quick.visited_on.isoformat() if quick.visited_on else None,
    ]
    assert "|".join(value or "-" for value in got) == expected


def test_a_bare_number_is_not_a_date() -> None:
    quick = parse_quick("华东机电 见了张总 有希望 3", CLIENTS, NOW, "zh")
    assert quick.next_due is None and quick.next_step is None and quick.visited_on is None


# What each line should give: kind | purposes | outcome | next step ("-": nothing). Words of
# either language are read whatever the person's language (issue 19, item 8).
@pytest.mark.parametrize(
    ("lang", "line", "expected"),
    [
        ("zh", "华东机电 周一 见了张总 解决问题 催款 无希望", "problem|payment|no_hope|-"),
        (
            "zh",
            "东方精密 初访、调研、新品 见了王工 有希望",
            "initial|research,new_product|hopeful|-",
        ),
        ("zh", "华东机电 见了张总 建立关系,客户关怀 下周五回访", "relationship|care|-|回访"),
        ("zh", "华东机电 见了张经理 有希望 下周五回访", "-|-|hopeful|回访"),  # 回访 is the step
        ("zh", "华东机电 见了张总 对手报价低", "-|-|-|-"),  # 对手 inside words is no purpose
        (
            "en",
            "ACME met Zhang, first visit, collect payment and market research, hopeful",
            "initial|payment,research|hopeful|-",
        ),
        ("en", "ACME met Zhang 解决问题 催款", "problem|payment|-|-"),
        ("en", "ACME met Zhang First visit Collect payment", "initial|payment|-|-"),  # not names
        ("zh", "ACME met Zhang, Solve a problem, account care", "problem|care|-|-"),
    ],
)
def test_parse_quick_reads_the_kind_and_purposes(lang: str, line: str, expected: str) -> None:
    quick = parse_quick(line, CLIENTS, NOW, lang)
    got = [quick.kind, ",".join(quick.purposes), quick.outcome, quick.next_step]
    assert "|".join(value or "-" for value in got) == expected
    assert quick.client is not None and quick.contact in ("张总", "王工", "张经理", "Zhang")
