"""Bad input, generated: every step of every form gets random text, numbers, dates, emoji,
control characters, 10 000-character strings and SQL-looking text (hypothesis).

At each step the answer is either refused — then the person hears why in their own language,
the same question comes again, the draft is as it was and nothing at all was written — or
taken, as a value of the step's type within its bounds, with only the draft changed (a form
that submits on its last answer may write its record). Never the "something went wrong"
line of a crash. The database is put back after each taken answer, so every example starts
from the same step.
"""

from __future__ import annotations

import os
import string
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.engine.context import Ctx
from handlers.engine.core import Core
from handlers.engine.forms.model import PENDING, Form, Kind, Step
from handlers.engine.forms.readers import clean_text
from handlers.engine.messages import Message
from storage.models import Person
from tests.reliability.driver import (
    EN_PEOPLE,
    NEW_CLIENT,
    OPENERS,
    ZH_PEOPLE,
    People,
    draft_state,
    file_reception,
    say,
    walk,
)
from tests.reliability.support import (
    INTERNAL,
    audit_actions,
    changed_tables,
    dump,
    has_cjk,
    no_fsync,
    restore,
    snapshot,
)

# Per language, so about 25 a step; VISITDESK_FUZZ_EXAMPLES=200 for a deeper search.
EXAMPLES_PER_STEP = int(os.environ.get("VISITDESK_FUZZ_EXAMPLES", "12"))

SQL = [
    "'; DROP TABLE reception; --",
    "1 OR 1=1",
    "' OR '1'='1",
    "Robert'); DROP TABLE client;--",
    "%' UNION SELECT name, phone FROM contact --",
    "1; DELETE FROM draft",
    "NULL",
    "\\x00",
    "$(rm -rf /)",
    "{name}{0}%s%d",
]
EMOJI = "😀🎉👍🏽🇨🇳👨‍👩‍👧‍👦❤️🔥🀄\U0001f9e7"
CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\x85\u200b\u200e\u202e\u2028\ufeff"
# Invisible letters and format characters, and half an emoji (a lone surrogate).
CONTROL += "\u2066\u2069\u2060\u00ad\u3164\U000e0041\ud83d\udc00"
NUMBERISH = [
    "五", "一千二", "负三", "零", "二十万亿", "1e400", "-0", "NaN", "-Infinity", "1e30",
    "٣", "١٢٣", "１２３", "3.14159", "0.001", "99999999999999999999999999999999", "1,2,3",
    "¥-5", "12元5角", "½", "Ⅻ", "0x1F", "1_000",
]  # fmt: skip


def _date_texts(day: date) -> list[str]:
    return [
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        f"{day.year}年{day.month}月{day.day}日",
        day.strftime("%b %d %Y"),
        f"{day.month}月{day.day}号下午3点",
        day.strftime("%A 25:61"),
    ]


JUNK = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=string.printable, max_size=40),
    st.integers(-(10**15), 10**15).map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True).map(str),
    st.sampled_from(NUMBERISH),
    st.dates(min_value=date(1, 1, 1)).flatmap(lambda d: st.sampled_from(_date_texts(d))),
    st.datetimes().map(str),
    st.text(alphabet=EMOJI, min_size=1, max_size=12),
    st.text(alphabet=CONTROL, min_size=1, max_size=12),
    st.tuples(st.text(alphabet=CONTROL, max_size=3), st.sampled_from(["yes", "2", "是"])).map(
        "".join
    ),
    st.sampled_from(["x", "长", "😀", "1", " "]).map(lambda c: c * 10_000),
    st.sampled_from(SQL),
    st.tuples(st.sampled_from(SQL), st.text(max_size=10)).map(" ".join),
)


def _check_value(
    form: Form, step: Step, value: Any, options: list[str] | None, ceiling: Decimal
) -> None:
    """A taken answer is a value of the step's type, within its bounds."""
    where = f"{form.name}.{step.name}"
    if value is None:
        assert step.optional, f"{where}: a required step took None"
        return
    if isinstance(value, str):
        assert value == value.strip() and value, f"{where}: untrimmed or empty {value!r}"
        assert clean_text(value) == value, f"{where}: invisible characters kept: {value!r}"
        assert len(value) <= step.max_length, f"{where}: {len(value)} > {step.max_length}"
    kind = step.kind
    if kind is Kind.YESNO:
        assert isinstance(value, bool), where
    elif kind is Kind.NUMBER:
        assert isinstance(value, int), where
        _bounded(step, ceiling, Decimal(value), where)
    elif kind is Kind.MONEY:
        amount = Decimal(value)
        assert amount.is_finite() and amount == amount.quantize(Decimal("0.01")), where
        assert amount or not value.startswith("-"), f"{where}: {value} stored"
        _bounded(step, ceiling, amount, where)
    elif kind is Kind.DATE:
        date.fromisoformat(value)
    elif kind is Kind.DATETIME:
        assert datetime.fromisoformat(value).tzinfo is not None, where
    elif kind is Kind.MULTI:
        assert value and options is not None and set(value) <= set(options), where
    elif kind is Kind.CHOICE and not (step.allow_other or step.read):
        assert options is not None and value in options, f"{where}: {value!r} not offered"


def _bounded(step: Step, ceiling: Decimal, number: Decimal, where: str) -> None:
    if step.minimum is not None:
        assert number >= step.minimum, f"{where}: {number} < {step.minimum}"
    assert number <= ceiling, f"{where}: {number} > {ceiling}"


def _options(
    core: Core, who: str, step: Step, data: dict[str, Any]
) -> tuple[list[str] | None, Decimal]:
    """The values a choice step offers (None for another kind), and the step's ceiling."""
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == who)).one()
        ctx = Ctx(session, person, core.policy, core.clock(), "console")
        ceiling = step.ceiling(ctx, data)
        if step.kind not in (Kind.CHOICE, Kind.MULTI):
            return None, ceiling
        return [c.value for c in step.options(ctx, data)], ceiling


def fuzz_step(
    core: Core, people: People, who: str, form: Form, step: Step, question: Message
) -> None:
    """Throw junk at one step; see module docstring for what must hold."""
    before_state = draft_state(core, who, form.name)
    assert before_state is not None and before_state.step == step.name
    options, ceiling = _options(core, who, step, before_state.data)
    before = dump(core.db)
    saved = snapshot(core.db)

    @settings(
        max_examples=EXAMPLES_PER_STEP,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(junk=JUNK)
    def check(junk: str) -> None:
        assume(not junk.strip().startswith("/"))  # a command is a command, not an answer
        replies = say(core, who, junk)
        after_state = draft_state(core, who, form.name)
        after = dump(core.db)
        try:
            crashed = INTERNAL & {m.text for m in replies}
            assert not crashed, f"{form.name}.{step.name} crashed on {junk!r}"
            if after_state == before_state:
                _refused(people, form, step, junk, replies, question)
                # Only a text that can never be taken (too long, half an emoji) is audited.
                kept = {t: rows for t, rows in after.items() if t != "audit"}
                assert kept == {t: rows for t, rows in before.items() if t != "audit"}, (
                    f"a refused {junk!r} wrote to the database"
                )
                added = audit_actions(core.db)[len(before["audit"]) :]
                assert set(added) <= {"text.refused"}, f"{junk!r} audited as {added}"
            elif after_state is not None:
                data = after_state.data
                pending = data.get(PENDING)
                value = pending["value"] if pending else data.get(step.name)
                _check_value(form, step, value, options, ceiling)
                changed = changed_tables(before, after)
                assert changed <= {"draft"}, f"{junk!r} at {step.name} changed {changed}"
        finally:
            if after != before:
                restore(core.db, saved)

    try:
        check()
    finally:
        saved.close()


def _refused(
    people: People,
    form: Form,
    step: Step,
    junk: str,
    replies: list[Message],
    question: Message,
) -> None:
    where = f"{form.name}.{step.name} ({people.lang}) on {junk[:80]!r}"
    assert len(replies) >= 2, f"{where}: no reason and question: {replies}"
    reason = replies[0].text
    if people.lang == "zh":
        assert has_cjk(reason), f"{where}: not in Chinese: {reason!r}"
    else:
        assert not has_cjk(reason), f"{where}: Chinese in an English reason: {reason!r}"
    assert replies[-1] == question, f"{where}: asked something else: {replies[-1].text!r}"


def test_every_step_of_every_form_survives_junk_in_both_languages(core: Core) -> None:
    no_fsync(core.db)
    fuzzed: dict[str, set[tuple[str, str]]] = {}
    for people in (ZH_PEOPLE, EN_PEOPLE):
        seen = fuzzed.setdefault(people.lang, set())
        for name, form in core.forms.items():
            assert name in OPENERS, f"no way to open the form {name!r}: add it to OPENERS"
            who, shown = OPENERS[name](core, people)
            assert shown, f"{name}: opening it said nothing"

            def at_step(
                step: Step,
                last: list[Message],
                people: People = people,
                who: str = who,
                form: Form = form,
                seen: set[tuple[str, str]] = seen,
            ) -> None:
                fuzz_step(core, people, who, form, step, last[-1])
                seen.add((form.name, step.name))

            walk(core, who, form, shown, at_step, NEW_CLIENT)
            say(core, who, "/cancel")
            if name == "rcp":  # "like last time" is asked only for a client received before
                file_reception(core, people)
                again = say(core, who, "/reception")

                def at_new_step(step: Step, last: list[Message], seen: set[Any] = seen) -> None:
                    if ("rcp", step.name) not in seen:
                        at_step(step, last)

                walk(core, who, form, again, at_new_step)
                say(core, who, "/cancel")
    every = {(f.name, s.name) for f in core.forms.values() for s in f.steps}
    for lang, seen in fuzzed.items():
        assert every - seen == set(), f"{lang}: steps never reached"
