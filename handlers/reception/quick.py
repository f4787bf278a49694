"""A reception request in one line, read (issue 24): `/reception 华东机电 5人 主宾张总 下周三10点到
周四下午走 虹桥站接 G7012 住2晚公司付 参观一号车间 见总经理 午晚餐各一次 每人120`, or in English
`/reception ACME 5 people guest Mr Smith arriving next Wed 10am leaving Thu 3pm pickup at Hongqiao
G7012 2 nights company pays tour of workshop 1 meet the GM lunch and dinner 120 per head`.

`hear` only finds the words each question would have been answered with; `prefill` then gives
each to the form's own reader and checks, in the form's order, exactly as if typed one by one.
What a reader refuses is simply asked again later, with the reason the form gives then.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import replace
from datetime import datetime

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Invalid
from handlers.engine.forms.readers import clean_text, parse_number, read_answer, show_value
from handlers.org.clients import find_client, own_clients
from handlers.text.phrases import SEPARATORS, choice_words, cut, take_words, word_pattern

_NOT_SEP = rf"[^{SEPARATORS}]"
_END = rf"(?=$|[{SEPARATORS}])"
_NUMBER = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"

# A phrase that says a whole section is not wanted: the question's "no" is read from it.
_NO_PICKUP = re.compile(r"不(?:用|需要?)?接(?:站|机|送)?|无需接(?:站|机)|(?i:no\s+pick-?\s?up)")
_NO_HOTEL = re.compile(r"不(?:用|需要?)?住(?:宿|酒店)?|无需住宿|(?i:no\s+(?:hotel|stay))")
_NO_MEALS = re.compile(r"不(?:用|需要?)?(?:用餐|吃饭|安排餐)|(?i:no\s+meals?)")

_VISITORS = re.compile(
    rf"(?<![每人均]){_NUMBER}\s*(?:人|位|名)(?!均){_END}"
    r"|(?i:\b(\d+)\s+(?:people|persons|guests|visitors|pax)\b)"
)
_PER_HEAD = re.compile(
    rf"(?:每人|人均|每位){_NUMBER}\s*(?:元|块)?"
    r"|(?i:\b(\d+(?:\.\d+)?)\s*(?:per\s+head|per\s+person|a\s+head|/\s*head|/\s*person)\b)"
    r"|(?i:\bper\s+head\s+(\d+(?:\.\d+)?)\b)"
)
_NIGHTS = re.compile(rf"住(?:宿)?{_NUMBER}\s*(?:晚|夜|天)|(?i:\b(\d+)\s+nights?\b)")
_PAYER = re.compile(
    r"(公司(?:付|支付|结算|承担|买单|安排))|(?i:\b(company\s+pays?|paid\s+by\s+(?:the\s+)?company)\b)"
    r"|((?:客户|客人|对方)(?:付|支付|结算|自理)|自费|自付)|(?i:\b(guests?\s+pays?|they\s+pay)\b)"
)
_REF = re.compile(
    r"(?<![A-Za-z0-9])([GDCZTKY]\d{1,4}|[A-Z]{2}\d{3,4}|[A-Z]\d[A-Z]?\d{3,4})(?![A-Za-z0-9])"
)
_PICKUP = re.compile(
    rf"({_NOT_SEP}{{1,20}}?)(?:接站|接机|接){_END}"
    r"|(?i:\bpick(?:\s|-)?up\s+(?:at|from)\s+([a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3}?))(?=\s*(?:[,;]|$|\s[A-Z]{1,2}\d))"
)
_TOUR = re.compile(
    rf"(?:参观|看){_NOT_SEP}{{0,1}}?({_NOT_SEP}{{1,30}}){_END}"
    r"|(?i:\btour\s+(?:of\s+)?(?:the\s+)?([\w'-]+(?:\s+(?!meet\b|lunch\b|dinner\b)[\w'-]+){0,3}))"
)
_GUEST = re.compile(
    rf"(?:主宾|来宾|带队|客人)\s*({_NOT_SEP}{{1,12}})"
    r"|(?:(?i:guest|led\s+by|headed\s+by)\s+((?:(?i:mr|ms|mrs|dr)\.?\s+)?[A-Z][\w'-]*))"
)
_ARRIVAL = re.compile(
    rf"({_NOT_SEP}{{2,16}}?)(?:到达|抵达|到访|到){_END}"
    r"|(?i:\barriv(?:e|es|ing|al)\s+(?:on\s+|at\s+)?(.+?))(?=\s*(?:[,;]|$|\s(?i:leav|depart)))"
)
_DEPARTURE = re.compile(
    rf"({_NOT_SEP}{{2,16}}?)(?:离开|返程|离|走|回){_END}"
    r"|(?i:\b(?:leav(?:e|es|ing)|depart(?:s|ing)?)\s+(?:on\s+|at\s+)?(.+?))(?=\s*(?:[,;]|$|\s(?i:pick|\d+\s+nights?|hotel|tour|meet|lunch|dinner)))"
)
# Meals: "午晚餐各一次" is two, "午餐" one, "lunch and dinner" two, "3顿饭" three.
_MEAL_COUNT = re.compile(rf"{_NUMBER}\s*(?:顿|餐|次)(?:饭|餐)?|(?i:\b(\d+)\s+meals?\b)")
_MEAL_WORDS = re.compile(r"[早午晚]+(?:餐|饭|宴)|(?i:\b(?:breakfast|lunch|dinner)s?\b)")
_MEALS_EACH = re.compile(r"各\s*" + _NUMBER + r"\s*(?:次|顿|餐)")


def hear(text: str, ctx: Ctx) -> dict[str, str]:
    """The words each question would be answered with, found in the line: step name → text."""
    rest = " " + clean_text(text) + " "
    heard: dict[str, str] = {}

    def take(pattern: re.Pattern[str], step: str | None = None) -> str | None:
        nonlocal rest
        found = pattern.search(rest)
        if found is None:
            return None
        rest = cut(rest, found.start(), found.end())
        said = next((g for g in found.groups() if g), found.group(0)).strip()
        if step is not None:
            heard[step] = said
        return said

    for pattern, step in ((_NO_PICKUP, "pickup"), (_NO_HOTEL, "hotel"), (_NO_MEALS, "meals")):
        if take(pattern):
            heard[step] = "0" if step == "meals" else "no"
    classes = "|".join(re.escape(k) for k in ctx.policy.classes)
    if classes:
        take(
            re.compile(rf"(?<![A-Za-z])({classes})\s*(?:类|级)|(?i:\bclass\s+)({classes})\b"), "cls"
        )
    take(_PER_HEAD, "per_head")
    take(_VISITORS, "visitors")
    if "hotel" not in heard and take(_NIGHTS, "nights"):
        heard["hotel"] = "yes"
    if payer := take(_PAYER):
        who = "guest" if re.search(r"客|对方|自|guest|they", payer, re.I) else "company"
        heard["hotel_payer"] = ctx.t(f"rcp.payer.{who}")
        heard.setdefault("hotel", "yes")
    if "pickup" not in heard:
        if take(_REF, "pickup_ref"):
            heard["pickup"] = "yes"
        if take(_PICKUP, "pickup_place"):
            heard["pickup"] = "yes"
    take(_GUEST, "guest")
    take(_ARRIVAL, "arrival")
    take(_DEPARTURE, "departure")
    if "meals" not in heard:
        _hear_meals(heard, rest)
        rest = _MEAL_WORDS.sub(" ", _MEALS_EACH.sub(" ", _MEAL_COUNT.sub(" ", rest)))
    if take(_TOUR, "tour"):
        heard["purposes"] = "tour"
    leaders = choice_words("rcp.leader", ctx.policy.reception.leaders)
    said, rest = take_words(rest, word_pattern(leaders), leaders, len(leaders))
    if said:
        heard["leaders"] = " ".join(ctx.t(f"rcp.leader.{key}") for key in said)
    purposes = choice_words("rcp.purpose", ctx.policy.reception.purposes)
    said, rest = take_words(rest, word_pattern(purposes, whole=True), purposes, len(purposes))
    if said or "purposes" in heard:
        keys = dict.fromkeys([*said, *(["tour"] if "purposes" in heard else [])])
        heard["purposes"] = " ".join(ctx.t(f"rcp.purpose.{key}") for key in keys)
    # The line's first phrase names the client, as people begin such a line; alone, it is
    # taken only for a client of theirs ("嗯嗯" is no new company).
    client = re.split(rf"[{SEPARATORS}]+", rest.strip(), maxsplit=1)[0]
    if client and (heard or find_client(own_clients(ctx.session, ctx.person), client)):
        heard["client"] = client
    return heard


def _hear_meals(heard: dict[str, str], line: str) -> None:
    counted = _MEAL_COUNT.search(line)
    if counted and not _MEALS_EACH.search(line):
        heard["meals"] = next(g for g in counted.groups() if g)
        return
    words = _MEAL_WORDS.findall(line)
    if not words:
        return
    kinds = sum(len(re.findall(r"[早午晚]", w)) or 1 for w in words)
    each = _MEALS_EACH.search(line)
    heard["meals"] = str(kinds * parse_number(each.group(1)) if each else kinds)


def prefill(ctx: Ctx, form: Form, heard: dict[str, str]) -> Data:
    """The answers the line gave, each read and checked by its own step, in the form's order
    (later steps depend on earlier ones). A departure said as a weekday is read from the
    arrival ("下周三到 周四走": the Thursday after that Wednesday)."""
    data: Data = {}
    for step in form.steps:
        text = heard.get(step.name)
        if not step.applies(ctx, data):
            continue
        if text is None:
            # What the line left out but the record knows (the client's class) is taken too:
            # the summary shows it, marked, to be changed there.
            default = step.default(ctx, data) if step.default and data else None
            if default is not None:
                data[step.name] = default
            continue
        try:
            data[step.name] = read_answer(ctx, step, data, text)
        except Invalid:
            if step.name == "departure" and "arrival" in data:
                from_arrival = replace(ctx, now=datetime.fromisoformat(data["arrival"]))
                with suppress(Invalid):
                    data[step.name] = read_answer(from_arrival, step, data, text)
    return data


def fields(ctx: Ctx, form: Form, names: list[str]) -> str:
    """The named answers' field names, in the form's order ("人数、主宾、到达时间")."""
    named = [ctx.t(f"{form.name}.field.{s.name}") for s in form.steps if s.name in names]
    return ctx.t("flow.list_sep").join(named)


def what_was_read(ctx: Ctx, form: Form, data: Data) -> str:
    """Each answer read from the line as the form understood it, a dense line: dates as the
    date they were read as, so a wrong reading is seen before anything is asked."""
    return " · ".join(
        f"{ctx.t(f'{form.name}.field.{step.name}')} {show_value(ctx, step, data)}"
        for step in form.steps
        if step.name in data
    )
