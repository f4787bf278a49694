"""The token rules for Chinese: 明天, 下周三, 12月3日, 下午3点, 3天后, 随便."""

from __future__ import annotations

import re

from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.reading import _Clock, _Monthly, _On, _Part, _Reading, _week_day
from handlers.text.dates.tokens import (
    _HOLIDAY,
    _NUM,
    _alternatives,
    _amount,
    _day_and_part,
    _day_from_today,
    _holiday,
    _in_month,
    _int,
    _mark_vague,
    _midnight,
    _month_and_day,
    _now,
    _on_year,
    _refuse_period,
    _rule,
    _skip,
)

# Chinese -------------------------------------------------------------------------------

_ZH_DAYS = {
    "今天": 0, "今日": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2, "大后天": 3,
    "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3,
}  # fmt: skip
_ZH_DAY_PARTS = {
    "今晚": (0, _Part.EVENING), "明晚": (1, _Part.EVENING), "昨晚": (-1, _Part.EVENING),
    "今早": (0, _Part.EARLY), "今晨": (0, _Part.EARLY), "明早": (1, _Part.EARLY),
    "明晨": (1, _Part.EARLY),
}  # fmt: skip
_ZH_PARTS = {
    "早上": _Part.EARLY, "早晨": _Part.EARLY, "清晨": _Part.EARLY, "一早": _Part.EARLY,
    "早": _Part.EARLY, "上午": _Part.MORNING, "中午": _Part.NOON, "正午": _Part.NOON,
    "下午": _Part.AFTERNOON, "午后": _Part.AFTERNOON, "傍晚": _Part.DUSK, "黄昏": _Part.DUSK,
    "晚上": _Part.EVENING, "晚间": _Part.EVENING, "夜晚": _Part.EVENING, "夜里": _Part.EVENING,
    "夜间": _Part.EVENING, "晚": _Part.EVENING, "半夜": _Part.LATE_NIGHT,
    "深夜": _Part.LATE_NIGHT, "午夜": _Part.LATE_NIGHT, "凌晨": _Part.SMALL_HOURS,
}  # fmt: skip
_ZH_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_ZH_WEEKS = {"这": 0, "本": 0, "下": 1, "下下": 2, "上": -1, "上上": -2}
_ZH_YEARS = {"去年": -1, "今年": 0, "明年": 1, "后年": 2}
_ZH_MONTHS = {"上": -1, "这": 0, "本": 0, "下": 1}
_ZH_UNITS = {
    "天": "days", "日": "days", "周": "weeks", "星期": "weeks", "礼拜": "weeks", "月": "months",
    "年": "years", "小时": "hours", "钟头": "hours", "分钟": "minutes", "分": "minutes",
    "刻钟": "quarters",
}  # fmt: skip
_ZH_VAGUE = (
    "随便|随时|都行|都可以|皆可|均可|看情况|待定|再说|再定|不确定|不知道|不一定|改天|改日|有空|"
    "尽快|近期|最近|过两天|过几天|回头|到时候|将来|马上|稍后|晚点|晚些|等通知|什么时候|"
    "啥时候|何时|哪天|几点|几号|几\\s*个?\\s*(?:天|周|星期|礼拜|月|年|小时|钟头|分钟)"
    "(?:以后|之后|后|以内|之内|内)?"
)
_ZH_AMOUNT = (
    rf"(?P<n>\d+\.\d+|{_NUM}|半)\s*个?\s*(?P<half>半)?\s*"
    r"(?P<unit>天|日|周|星期|礼拜|(?<=[个半])月|年|小时|钟头|分钟|分|刻钟)"
)
_ZH_WEEKDAY = r"(?:周|星期|礼拜)(?P<w>[1-7一二三四五六日天])"


def _zh_full_date(match: re.Match[str], reading: _Reading) -> None:
    """2026年12月3日, 二〇二六年十二月三日."""
    _on_year(reading, _int(match["y"]), _int(match["m"]), _int(match["d"]))


def _zh_year_date(match: re.Match[str], reading: _Reading) -> None:
    """明年3月5日, 今年12月1号."""
    year = reading.today.year + _ZH_YEARS[match["rel"]]
    _on_year(reading, year, _int(match["m"]), _int(match["d"]))


def _zh_month_date(match: re.Match[str], reading: _Reading) -> None:
    """下个月5号, 本月20日."""
    _in_month(reading, _ZH_MONTHS[match["rel"]], _int(match["d"]))


def _zh_month_day(match: re.Match[str], reading: _Reading) -> None:
    """12月3日, 十二月三号, 3月5."""
    _month_and_day(reading, None, _int(match["m"]), _int(match["d"]))


def _zh_day_of_month(match: re.Match[str], reading: _Reading) -> None:
    """5号, 二十日."""
    reading.fill("day", _Monthly(_int(match["d"])))


def _zh_offset(match: re.Match[str], reading: _Reading) -> None:
    """3天后, 两周后, 一个半小时后, 半小时后, 再过30分钟, 3天前; N天内 is a span."""
    direction = match["dir"] or "后"  # 再过3天: 过 says "later" already
    if direction.endswith("内"):
        raise DateNotUnderstood("no_single_date")
    amount = _amount(match["n"]) + (0.5 if match["half"] else 0)
    unit = _ZH_UNITS[match["unit"]]
    if unit == "quarters":
        amount, unit = amount * 15, "minutes"
    reading.shift(-amount if direction.endswith("前") else amount, unit)


def _zh_weekday(match: re.Match[str], reading: _Reading) -> None:
    """周五 (a bare weekday), 这周五, 下周三, 下下周二, 上周一 (a weekday in a given week)."""
    weekday = _ZH_WEEKDAYS.get(match["w"]) or int(match["w"])
    prefix = match["pre"]
    if prefix is None:
        reading.fill("weekday", weekday)
    else:
        weeks = _ZH_WEEKS[prefix.removesuffix("个")]
        reading.fill("day", _On(_week_day(reading.today, weeks, weekday)))


def _zh_part(match: re.Match[str], reading: _Reading) -> None:
    """上午, 下午, 晚上, 凌晨..."""
    reading.fill("part", _ZH_PARTS[match[0]])


def _zh_clock(match: re.Match[str], reading: _Reading) -> None:
    """3点, 十点半, 9点一刻, 9点三刻, 3点15分, 15时30分, 3点零5."""
    if match["half"]:
        minute = 30
    elif match["q"]:
        minute = 15 * _int(match["q"])
    else:
        minute = _int(match["mi"]) if match["mi"] else 0
    reading.fill("clock", _Clock(_int(match["h"]), minute))


_ZH_RULES = (
    _rule(_ZH_VAGUE, _mark_vague),
    _rule(r"现在", _now),
    _rule(_HOLIDAY, _holiday),
    _rule(rf"{_NUM}\s*(?:-|~|〜|到|至)\s*{_NUM}\s*(?:点|时|号|日)", _refuse_period),
    _rule(
        rf"(?P<y>\d{{4}}|[零〇一二三四五六七八九]{{4}})\s*年\s*(?P<m>{_NUM})\s*月\s*"
        rf"(?P<d>{_NUM})\s*[日号]?",
        _zh_full_date,
    ),
    _rule(
        rf"(?P<rel>{_alternatives(_ZH_YEARS)})\s*(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*[日号]?",
        _zh_year_date,
    ),
    _rule(rf"(?P<rel>下|上|这|本)个?月\s*(?P<d>{_NUM})\s*[日号]", _zh_month_date),
    _rule(rf"{_ZH_AMOUNT}\s*(?P<dir>以后|之后|过后|后|以前|之前|前|以内|之内|内)", _zh_offset),
    _rule(rf"再?过\s*{_ZH_AMOUNT}(?:\s*(?P<dir>以后|之后|后))?", _zh_offset),
    _rule(
        rf"(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*(?:[日号]|(?![点时分:.\d零〇一二两三四五六七八九十百]))",
        _zh_month_day,
    ),
    _rule(
        rf"(?P<h>{_NUM})\s*[点时](?:\s*钟)?(?:\s*(?P<half>半)|\s*(?P<q>[一二三123])\s*刻"
        rf"|(?P<mi>{_NUM})(?:\s*分)?)?(?:\s*整)?",
        _zh_clock,
    ),
    _rule(rf"(?P<d>{_NUM})\s*[号日]", _zh_day_of_month),
    _rule(_alternatives(_ZH_DAY_PARTS), _day_and_part(_ZH_DAY_PARTS)),
    _rule(_alternatives(_ZH_DAYS), _day_from_today(_ZH_DAYS)),
    _rule(rf"(?P<pre>下下个?|上上个?|下个?|上个?|这个?|本)?\s*{_ZH_WEEKDAY}", _zh_weekday),
    _rule(r"午夜(?!\s*[0-9零〇一二两三四五六七八九十])", _midnight),
    _rule(_alternatives(_ZH_PARTS), _zh_part),
    _rule(
        r"(?:下下|上上|下|上|这|本)?个?(?:周|星期|礼拜)[末]?|(?:下|上|这|本)个?月|"
        rf"(?:{_alternatives(_ZH_YEARS)})|{_NUM}\s*[年月]|[月年](?:底|初|中|末)|[上中下]旬|"
        r"[以之](?:后|前|内)",
        _refuse_period,
    ),
    _rule(
        r"大约|大概|左右|前后|到达|抵达|出发|离开|或者|还是|[的在于是约到来走吧呢啊哦了或和与跟及至]",
        _skip,
    ),
)
