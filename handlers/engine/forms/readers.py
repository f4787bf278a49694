"""Reading answers: typed text made a step's value (text, numbers, money, dates, choices,
yes/no, several choices), or refused with the reason (`Invalid`); and a value shown back.

A step knows how to read an answer (`read_answer`), which a whole form filled at once also uses
to check every answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import cn2an

from handlers.engine.context import Ctx
from handlers.engine.forms.model import LARGEST, Choice, Data, Invalid, Kind, Step
from handlers.engine.i18n import N_
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when

# Hangul and braille fillers look like letters to Unicode but show as nothing: a name made
# of them, or a real name with them inside, is a different name that reads the same.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Control, format (zero-width, bidi embeddings and isolates, soft hyphen, tags), surrogate,
# and line/paragraph separators; tab and newline stay.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_YES = {
    "y",
    "yes",
    "yeah",
    "ok",
    "sure",
    "是",
    "是的",
    "对",
    "好",
    "要",
    "需要",
    "有",
    "可以",
    "嗯",
}
_NO = {"n", "no", "nope", "否", "不", "不是", "不要", "不需要", "不用", "无需", "没有", "无", "没"}
# An optional question answered "no" ("参观工厂吗?" "否") has nothing to record either.
SKIP_WORDS = {"-", "skip", "none", "n/a", "跳过"} | _NO


def clean_text(text: str) -> str:
    """Drop control and invisible characters, fold full-width forms, trim."""
    return "".join(
        c
        for c in unicodedata.normalize("NFKC", text)
        if c in "\t\n" or (unicodedata.category(c) not in _INVISIBLE and c not in _BLANK_LETTERS)
    ).strip()


def read_answer(ctx: Ctx, step: Step, data: Data, text: str) -> Any:
    """Turn typed text into the step's value, or raise Invalid with the reason."""
    text = clean_text(text)
    if not text:
        raise Invalid(N_("flow.error.empty"))
    if len(text) > step.max_length:
        raise Invalid(N_("flow.error.too_long"), max=step.max_length)
    value = step.read(ctx, data, text) if step.read else _READERS[step.kind](ctx, step, data, text)
    if step.check:
        step.check(ctx, data, value)
    return value


def _read_text(ctx: Ctx, step: Step, data: Data, text: str) -> str:
    # A name or a reason is said in words: "-", "……" or "😀" alone says nothing.
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        raise Invalid(N_("flow.error.no_words"))
    return text


def _read_yesno(ctx: Ctx, step: Step, data: Data, text: str) -> bool:
    word = text.lower().rstrip("!！。.")
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise Invalid(N_("flow.error.yesno"))


def yes_or_no(text: str) -> str | None:
    """A typed word at the date confirmation: "ok" for yes, "retype" for no, else None."""
    word = clean_text(text).lower()
    return "ok" if word in _YES else "retype" if word in _NO else None


def parse_number(text: str) -> Decimal:
    """Digits, grouping commas, a currency sign or unit, or Chinese numerals (五, 一千二)."""
    stripped = re.sub(r"[,，\s¥￥$]|元|块|人|位|个|晚|顿|餐|CNY|RMB", "", text, flags=re.I)
    try:
        return Decimal(stripped)
    except InvalidOperation:
        pass
    try:
        return Decimal(str(cn2an.cn2an(stripped, "smart")))
    except (ValueError, KeyError, TypeError):
        raise Invalid(N_("flow.error.number")) from None


def _bounded(ctx: Ctx, step: Step, data: Data, number: Decimal) -> Decimal:
    """The number within the step's bounds, which a refusal shows as the reader writes them
    (¥20,000, not 20000); -0 is 0."""
    if not number.is_finite():
        raise Invalid(N_("flow.error.number"))
    shown = ctx.t.money if step.kind is Kind.MONEY else ctx.t.number
    minimum = step.minimum if step.minimum is not None else -LARGEST
    maximum = step.ceiling(ctx, data)
    if number < minimum:
        raise Invalid(N_("flow.error.too_small"), min=shown(minimum))
    if number > maximum:
        raise Invalid(N_("flow.error.too_large"), max=shown(maximum))
    return number if number else Decimal(0)


def _read_number(ctx: Ctx, step: Step, data: Data, text: str) -> int:
    number = _bounded(ctx, step, data, parse_number(text))
    if number != number.to_integral_value():
        raise Invalid(N_("flow.error.whole_number"))
    return int(number)


def _read_money(ctx: Ctx, step: Step, data: Data, text: str) -> str:
    number = _bounded(ctx, step, data, parse_number(text))
    if number != number.quantize(Decimal("0.01")):
        raise Invalid(N_("flow.error.money_cents"))
    return str(number.quantize(Decimal("0.01")))


def _read_when(ctx: Ctx, step: Step, data: Data, text: str) -> str:
    try:
        when = parse_when(text, ctx.local_now, ctx.t.lang)
    except DateNotUnderstood as error:
        raise Invalid(f"flow.error.date.{error.reason}") from None
    if step.kind is Kind.DATETIME and not when.has_time:
        if step.check:  # a day no time of which could pass is refused for that at once
            step.check(ctx, data, datetime.combine(when.value.date(), time.max, ctx.tz).isoformat())
        raise Invalid(N_("flow.error.need_time"), date=ctx.t.date(when.value.date()))
    if step.kind is Kind.DATE:
        return when.value.date().isoformat()
    return when.value.isoformat()


def _read_choice(ctx: Ctx, step: Step, data: Data, text: str) -> str:
    options = step.options(ctx, data)
    value = pick(ctx, options, text)
    if value is not None:
        return value
    if text.isdecimal() and 1 <= int(text) <= len(options):  # the buttons' order, as numbered
        return options[int(text) - 1].value
    if step.allow_other:
        return text
    raise Invalid(N_("flow.error.choice"))


def folded(text: str) -> str:
    """Text as compared with a button's label: full-width forms, case, spaces and a closing
    full stop do not count ("选好了。", " Done ", "不对，重新输入")."""
    return re.sub(r"\s+", "", clean_text(text).casefold()).rstrip("。.!！")


def pick(ctx: Ctx, options: Sequence[Choice], text: str) -> str | None:
    """The value of the option `text` names, or None. In order: a button's exact label (or
    value), the start of exactly one label, exactly one of the other words people use for it
    (catalog `.also`), then a part of exactly one option's names ("洽谈" for 业务洽谈). A
    start or part shared by several ("重要"), or one character ("会"), is no answer rather
    than a guess, and a label found whole wins over one it begins ("接站" over 接站地点)."""
    typed = folded(text)
    if not typed:
        return None
    labels = [[folded(label) for label in (c.value, *c.labels(ctx))] for c in options]
    names = [[folded(name) for name in c.names(ctx)] for c in options]
    tiers: list[Callable[[int], bool]] = [
        lambda i: typed in labels[i],
        lambda i: len(typed) > 1 and any(label.startswith(typed) for label in labels[i][1:]),
        lambda i: typed in names[i],
        lambda i: len(typed) > 1 and any(typed in name for name in names[i]),
    ]
    for matches in tiers:
        found = {options[i].value for i in range(len(options)) if matches(i)}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


DONE = Choice("done", N_("flow.done"))


def _read_multi(ctx: Ctx, step: Step, data: Data, text: str) -> list[str]:
    """Typed choices, added to those ticked already (a tap, then a word for the next)."""
    chosen = set(data.get(f"_{step.name}", []))
    if pick(ctx, (DONE,), text) is None:
        chosen |= _typed_choices(ctx, step, data, text)
    if not chosen:  # only separators ("；"), or "done" before any tick
        raise Invalid(N_("flow.error.choose_one"))
    return in_order(ctx, step, data, chosen)


def _typed_choices(ctx: Ctx, step: Step, data: Data, text: str) -> set[str]:
    """One label typed whole ("Plant tour"), else the parts between separators, each a label
    whole or, failing that, word by word."""
    try:
        return {_read_choice(ctx, step, data, text)}
    except Invalid:
        pass
    chosen: set[str] = set()
    for part in filter(None, re.split(r"[,，、;；/]+", text)):
        try:
            chosen.add(_read_choice(ctx, step, data, part.strip()))
        except Invalid:
            words = part.split()
            if len(words) < 2:
                raise
            chosen |= {_read_choice(ctx, step, data, word) for word in words}
    return chosen


def in_order(ctx: Ctx, step: Step, data: Data, chosen: set[str]) -> list[str]:
    """Chosen values in the order the choices are offered, whatever order they came in."""
    return [c.value for c in step.options(ctx, data) if c.value in chosen]


_READERS: dict[Kind, Callable[[Ctx, Step, Data, str], Any]] = {
    Kind.TEXT: _read_text,
    Kind.CHOICE: _read_choice,
    Kind.MULTI: _read_multi,
    Kind.NUMBER: _read_number,
    Kind.MONEY: _read_money,
    Kind.DATE: _read_when,
    Kind.DATETIME: _read_when,
    Kind.YESNO: _read_yesno,
}


def show_value(ctx: Ctx, step: Step, data: Data) -> str:
    """An answer as the person should read it back."""
    value = data.get(step.name)
    if value is None:
        return ctx.t("flow.none")
    if step.kind is Kind.YESNO:
        return ctx.t("flow.yes" if value else "flow.no")
    if step.kind in (Kind.CHOICE, Kind.MULTI):
        labels = {c.value: c.text(ctx) for c in step.options(ctx, data)}
        values: list[str] = value if isinstance(value, list) else [value]
        return ctx.t("flow.list_sep").join(labels.get(v, v) for v in values)
    if step.kind is Kind.DATETIME:
        return ctx.t.datetime(datetime.fromisoformat(value), ctx.tz)
    if step.kind is Kind.DATE:
        return ctx.t.date(date.fromisoformat(value))
    if step.kind is Kind.MONEY:
        return ctx.t.money(Decimal(value))
    return str(value)
