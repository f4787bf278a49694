"""The form engine: a form is data (typed steps), run one question at a time.

A step knows how to read an answer (`read_answer`), which the Slack adapter also uses to
check a whole modal at once. The draft lives in the database: every answer is saved as it
comes, so a form survives restarts and continues from any device. After an answer the
engine asks the first applicable step still unanswered, so the same rule serves a first
pass, an edit from the summary, `/back`, and a quick log that filled some fields already.

Button actions are `f:<form>:<draft>:<step>:<value>` (`FormAction`); a button from an earlier
question, or from a draft cancelled or replaced since, is stale and answered with a polite line
plus the current question. A whole form filled at once (a Slack modal) names its draft too
(`Opened`): one meant for another draft saves nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any

import cn2an
from sqlalchemy import bindparam, delete, select

from handlers.engine.context import Ctx
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import ID_MAX, Button, action_id, rows
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from storage.models import Draft

SUMMARY = "_summary"
FIELDS = "_fields"  # the summary's list of fields to edit
PENDING = "_pending"  # a parsed date waiting for the person's "yes, that's right"


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    DATETIME = "datetime"
    YESNO = "yesno"


class Invalid(Exception):
    """An answer the step cannot take; the message key says why, in the person's language."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Gone(Invalid):
    """What the draft was for has closed meanwhile (the guests left, the result was logged):
    no answer can make it sendable, so the draft is dropped, not shown again."""


@dataclass(frozen=True)
class Doubt:
    """An answer that contradicts another one (two hotel nights for a one-night stay): said,
    and asked to be confirmed, never refused — the case may be real. Params are text (kept
    in the draft until the person answers)."""

    key: str
    params: dict[str, str]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # a catalog key, or the text itself when `literal`
    literal: bool = False
    words: tuple[str, ...] = ()  # a literal label's own names ("Important" for "B Important")

    def text(self, ctx: Ctx) -> str:
        return self.label if self.literal else ctx.t(self.label)

    def labels(self, ctx: Ctx) -> list[str]:
        """What the button says, and what it says without its key ("Important")."""
        return [self.text(ctx), *self.words]

    def names(self, ctx: Ctx) -> list[str]:
        """What a person may type for it: the label, and the other words people use for it
        ("回款" for 催收货款), kept beside the label in the catalog as `<label>.also`."""
        return [*self.labels(ctx), *([] if self.literal else also(ctx.t, self.label))]


def also(t: Translator, label: str) -> list[str]:
    """A catalog label's other words ("|"-separated under `<label>.also`), if it has any."""
    return t(f"{label}.also").split("|") if t.has(f"{label}.also") else []


Data = dict[str, Any]
ChoicesFn = Callable[[Ctx, Data], Sequence[Choice]]


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str
    prompt: str
    kind: Kind = Kind.TEXT
    choices: Sequence[Choice] | ChoicesFn = ()
    allow_other: bool = False  # a choice step that also takes a typed value (a new client)
    optional: bool = False
    when: Callable[[Ctx, Data], bool] | None = None
    minimum: Decimal | None = None
    maximum: Decimal | Callable[[Ctx, Data], Decimal] | None = None  # callable: the policy's
    max_length: int = 200
    check: Callable[[Ctx, Data, Any], None] | None = None  # a policy rule; raises Invalid
    doubt: Callable[[Ctx, Data, Any], Doubt | None] | None = None  # a typed answer to confirm
    params: Callable[[Ctx, Data], dict[str, Any]] | None = None  # fills the prompt
    read: Callable[[Ctx, Data, str], Any] | None = None  # replaces the kind's own reading
    default: Callable[[Ctx, Data], str | None] | None = None  # a choice to mark as default
    # An answer allowed but unusual (an arrival in 2099): the text asking to confirm it, or None.
    caution: Callable[[Ctx, Data, Any], str | None] | None = None

    def applies(self, ctx: Ctx, data: Data) -> bool:
        return self.when is None or self.when(ctx, data)

    def ceiling(self, ctx: Ctx, data: Data) -> Decimal:
        """The largest number the step takes; with no maximum of its own, `LARGEST`."""
        if self.maximum is None:
            return LARGEST
        return self.maximum(ctx, data) if callable(self.maximum) else self.maximum

    def options(self, ctx: Ctx, data: Data) -> Sequence[Choice]:
        return self.choices(ctx, data) if callable(self.choices) else self.choices


def answered(name: str) -> Callable[[Ctx, Data], bool]:
    """For `Step.when`: ask only once the answer `name` is yes (or given at all)."""
    return lambda ctx, data: bool(data.get(name))


@dataclass(frozen=True)
class Form:
    """A whole form: its steps, how to summarise it, and what submitting it does."""

    name: str  # short: it goes into button actions and the draft table
    title: str
    steps: tuple[Step, ...]
    summary: Callable[[Ctx, Data], str]
    submit: Callable[[Ctx, Data], None]
    confirm: bool = True  # False: submit straight after the last answer (a one-line note)
    # True: a whole form sent at once (a modal's own Submit, which says what it does) is
    # submitted with no summary after it; answered in chat, the summary still comes first.
    whole_submits: bool = False
    # What the Submit of the whole form (a modal) says; None: "Next", as a summary follows.
    submit_label: Callable[[Ctx, Data], str] | None = None
    # Raises Gone when what the draft is for has closed: checked before any question still
    # missing is asked, so nobody answers one for a draft that cannot be sent.
    still_open: Callable[[Ctx, Data], object] | None = None

    def __post_init__(self) -> None:
        # Refused when defined, not when someone taps: each action must fit Telegram's callback
        # data with any draft id. The longest are a field's edit from the summary and a date's
        # "retype" (a choice's index is shorter); Button raises if one does not fit.
        for step in self.steps:
            for at, value in ((SUMMARY, f"edit.{step.name}"), (step.name, "retype")):
                Button("", FormAction(self.name, ID_MAX, at, value).action)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def answers(self, ctx: Ctx, data: Data) -> Data:
        """The answers that count: those of steps that apply, plus `@` context a flow keeps
        (such as which sent request an edit belongs to)."""
        return context_of(data) | {
            s.name: data[s.name] for s in self.steps if s.name in data and s.applies(ctx, data)
        }


@dataclass(frozen=True)
class FormAction:
    """A form button's action: `f:<form>:<draft>:<step>:<value>`. It names the draft it was made
    for: a person's draft of a form may be cancelled or replaced, and a new one reach the same
    step, while the old one's buttons are still on screen."""

    form: str
    draft: int | None  # None: sent before actions named their draft (`f:<form>:<step>:<value>`)
    step: str
    value: str

    @property
    def action(self) -> str:
        return f"f:{self.form}:{self.draft}:{self.step}:{self.value}"

    @classmethod
    def read(cls, action: str) -> FormAction | None:
        """The action read back; None when it is not one (garbled or tampered). One without
        a draft is still read, so that its form's current question can be asked again."""
        prefix, *parts = action.split(":")
        if prefix != "f":
            return None
        if len(parts) == 3:
            return cls(parts[0], None, parts[1], parts[2])
        draft = action_id(parts[1]) if len(parts) == 4 else None
        return None if draft is None else cls(parts[0], draft, parts[2], parts[3])

    def made_for(self, draft: Draft) -> bool:
        """Whether this button belongs to `draft`. One sent before actions named their draft
        belongs to none: it cannot say which draft it was for, and taking it for the open one
        is the very mistake this prevents, on messages that stay on phones for good. Someone
        halfway through a form at the deploy taps the question asked again, once."""
        return self.draft == draft.id


def _button(label: str, form: Form, draft: Draft, step: str, value: str, style: str = "") -> Button:
    return Button(label, FormAction(form.name, draft.id, step, value).action, style)


def context_of(data: Data) -> Data:
    """A draft's `@` keys: what its answers are about (which reception, which request)."""
    return {k: v for k, v in data.items() if k.startswith("@")}


class Unnamed(Enum):
    """The draft of a whole form shown before such forms named theirs (see `Opened`)."""

    DRAFT = "unnamed"


@dataclass(frozen=True)
class Opened:
    """What a whole form (a Slack modal) was shown for, handed back with its answers: the
    draft's id, None when the person had none yet (`fill` makes it), and the draft's `@`
    context. Like a button's, the answers belong to that draft only: a person's draft of a form
    may be cancelled or replaced, or one begun elsewhere, while the modal is still open."""

    draft: int | Unnamed | None
    context: Data

    @classmethod
    def of(cls, draft: Draft | None) -> Opened:
        return cls(draft.id if draft else None, context_of(draft.data if draft else {}))

    def is_for(self, draft: Draft | None) -> bool:
        """Whether the answers are for `draft`, the person's draft of the form now (if any)."""
        now = Opened.of(draft)
        if self.draft is Unnamed.DRAFT:
            # Lenient, unlike a button without its draft: such a modal was opened before the
            # deploy and lives minutes, not for good in a chat; refused, it would lose all
            # that was typed, and its `@` context still keeps it off another reception's draft.
            return now.context == self.context
        return now == self


# ---------------------------------------------------------------------------- reading answers

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


# No count or amount anyone types is larger; past it, rounding to the cent overflows Decimal.
LARGEST = Decimal(10) ** 12


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
    return _in_order(ctx, step, data, chosen)


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


def _in_order(ctx: Ctx, step: Step, data: Data, chosen: set[str]) -> list[str]:
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


# ---------------------------------------------------------------------------- drafts


def load_draft(ctx: Ctx, form: Form) -> Draft | None:
    return ctx.session.scalars(
        select(Draft).where(Draft.person_id == ctx.person.id, Draft.flow == form.name)
    ).first()


# Built once: typed text asks it on every step (see core._IDENTITY).
_DRAFTS_NEWEST_FIRST = (
    select(Draft)
    .where(Draft.person_id == bindparam("person"))
    .order_by(Draft.updated_at.desc(), Draft.id.desc())
)


def open_drafts(ctx: Ctx) -> list[Draft]:
    """The person's drafts, the one touched last first (one per form at most)."""
    return list(ctx.session.scalars(_DRAFTS_NEWEST_FIRST, {"person": ctx.person.id}))


def active_draft(ctx: Ctx) -> Draft | None:
    """The form whose question the person has in front of them: where typed text goes. A
    draft set aside (another form or card shown since) takes no typed line until it is
    shown again: its question is out of sight, and an answer meant for what is on screen
    ("提交给经理" under the plan card) must not become its answer."""
    return next((d for d in open_drafts(ctx) if not set_aside(d)), None)


def set_aside(draft: Draft) -> bool:
    return bool((draft.history or {}).get("aside"))


def _shown(ctx: Ctx, draft: Draft) -> None:
    """The draft's question (or summary) is being shown: it is in front of the person again.
    The history is a new dict so SQLAlchemy sees the JSON column change."""
    if set_aside(draft):
        draft.history = {"steps": _history(draft)}
    draft.updated_at = ctx.now
    ctx.shown_drafts.add(draft.id)


def set_aside_others(ctx: Ctx) -> list[Draft]:
    """After something else was shown (a command's answer, another form): every draft not
    shown by this very event is set aside. Returns those newly set aside, to tell of them."""
    newly = []
    for draft in open_drafts(ctx):
        if draft.id in ctx.shown_drafts or set_aside(draft):
            continue
        draft.history = {"steps": _history(draft), "aside": True}
        newly.append(draft)
    return newly


def resume(ctx: Ctx, form: Form, draft: Draft) -> None:
    """A draft set aside, brought back (`/my`'s Continue): its question, asked once."""
    ctx.say("flow.resumed", title=ctx.t(form.title))
    ask(ctx, form, draft)


def resume_button(ctx: Ctx, form: Form, draft: Draft) -> Button:
    return Button(ctx.t("flow.resume", title=ctx.t(form.title)), f"dr:{draft.id}", "primary")


def _save(ctx: Ctx, draft: Draft, data: Data, step: str, history: list[str]) -> None:
    # New dicts so SQLAlchemy sees the JSON columns changed.
    draft.data = dict(data)
    draft.step = step
    draft.history = {"steps": list(history)}
    draft.updated_at = ctx.now


def _new_draft(ctx: Ctx, form: Form, data: Data, step: str, history: list[str]) -> Draft:
    draft = Draft(person_id=ctx.person.id, flow=form.name)
    _save(ctx, draft, data, step, history)
    ctx.session.add(draft)
    ctx.session.flush()  # for its id, which its buttons carry
    return draft


def next_step(ctx: Ctx, form: Form, data: Data) -> str:
    for step in form.steps:
        if step.name not in data and step.applies(ctx, data):
            return step.name
    return SUMMARY


# ---------------------------------------------------------------------------- running a form


def start(ctx: Ctx, form: Form, prefill: Data | None = None) -> None:
    """Begin a form, or pick up the person's unfinished draft of it. A draft that does not hold
    `prefill` was begun for something else (another reception's close-out, another request's
    rejection): it gives way, and the person is told, since resumed it would send its answers
    for that, not for what the button just pressed names."""
    draft = load_draft(ctx, form)
    if draft is not None and any(draft.data.get(k) != v for k, v in (prefill or {}).items()):
        ctx.session.delete(draft)
        ctx.session.flush()  # before the new draft takes its (person, form) place
        ctx.audit("draft.replace", form.name)
        ctx.say("flow.replaced", title=ctx.t(form.title))
        draft = None
    if draft is None:
        data = dict(prefill or {})
        draft = _new_draft(ctx, form, data, next_step(ctx, form, data), [])
        ctx.audit("draft.start", form.name)
    else:
        ctx.say("flow.resumed", title=ctx.t(form.title))
    ask(ctx, form, draft)


def ask(ctx: Ctx, form: Form, draft: Draft, replace: bool = False) -> None:
    """Show the current question (or the summary) with its buttons; with `replace`, in place
    of the message whose button was pressed (a choice ticked on a multiple choice)."""
    _shown(ctx, draft)
    if draft.step == SUMMARY:
        if _still_open(ctx, form, draft):
            _show_summary(ctx, form, draft)
        return
    step = form.step(draft.step)
    if step is None:  # the form changed under a saved draft: resume at the first gap
        _save(ctx, draft, draft.data, next_step(ctx, form, draft.data), _history(draft))
        ask(ctx, form, draft)
        return
    pending = draft.data.get(PENDING)
    if pending and pending["step"] == step.name:
        _confirm_date(ctx, form, draft, step)
        return
    text = _question(ctx, step, draft.data)
    buttons = _step_buttons(ctx, form, draft, step)
    if step.kind is Kind.MULTI:  # in chat only: a modal's select needs no Done
        text = ctx.t("flow.multi_question", question=text)
    if step.optional:
        text += "\n" + ctx.t("flow.skip_hint")
    # `meta` lets an adapter that shows whole forms (Slack's modals) see a form begin.
    meta = {"form": form.name, "fresh": not _history(draft)}
    number = step.kind in (Kind.NUMBER, Kind.MONEY)
    card = question_card(draft, step.name)
    ctx.reply(text, buttons, card=card, expects_number=number, meta=meta, replace=replace)


def question_card(draft: Draft, name: str) -> str:
    """The card key of a draft's question (or its summary, field list, date confirmation):
    each copy shown, a re-ask's too, loses its buttons once the question is answered."""
    return f"q:{draft.id}:{name}"


def _settle(ctx: Ctx, draft: Draft, name: str, text: str) -> None:
    """Every copy of a question, tapped or typed, becomes the record of its answer: nothing
    left on it to tap (a button there would only be refused as stale)."""
    ctx.reply(text, card=question_card(draft, name), replace=True, settles=True)


def _settle_step(ctx: Ctx, draft: Draft, step: Step, value: Any) -> None:
    shown = show_value(ctx, step, {**draft.data, step.name: value})
    answered = _question(ctx, step, draft.data) + "\n" + ctx.t("flow.answered", answer=shown)
    _settle(ctx, draft, step.name, answered)
    if draft.data.get(PENDING):
        _settle_date(ctx, draft, step, answered)


def _settle_date(ctx: Ctx, draft: Draft, step: Step, text: str) -> None:
    _settle(ctx, draft, f"{step.name}.date", text)


def _question(ctx: Ctx, step: Step, data: Data) -> str:
    params = step.params(ctx, data) if step.params else {}
    return ctx.t(step.prompt, **params)


def _step_buttons(ctx: Ctx, form: Form, draft: Draft, step: Step) -> tuple[tuple[Button, ...], ...]:
    data = draft.data
    buttons: list[Button] = []
    if step.kind is Kind.YESNO:
        buttons = [
            _button(ctx.t("flow.yes"), form, draft, step.name, "y"),
            _button(ctx.t("flow.no"), form, draft, step.name, "n"),
        ]
    elif step.kind in (Kind.CHOICE, Kind.MULTI):
        chosen = data.get(f"_{step.name}", [])
        default = step.default(ctx, data) if step.default else None
        for index, choice in enumerate(step.options(ctx, data)):
            mark = "✓ " if choice.value in chosen else ""
            label = mark + choice.text(ctx)
            if choice.value == default:
                label = ctx.t("flow.default_choice", label=label)
            buttons.append(_button(label, form, draft, step.name, str(index)))
        if step.kind is Kind.MULTI:
            buttons.append(_button(ctx.t("flow.done"), form, draft, step.name, "done", "primary"))
    if step.optional:
        buttons.append(_button(ctx.t("flow.skip"), form, draft, step.name, "skip"))
    return rows(*buttons, per_row=2 if step.kind is Kind.CHOICE else 3)


def answer_text(ctx: Ctx, form: Form, draft: Draft, text: str) -> None:
    """Typed text for the current question."""
    if draft.step == SUMMARY:
        action = pick(ctx, [*SUMMARY_ACTIONS, *_field_choices(ctx, form, draft)], text)
        if action is None:
            ctx.say("flow.use_summary_buttons")
            _show_summary(ctx, form, draft)
            return
        if action.startswith("edit."):  # a field named at the summary itself: it is done too
            _settle(ctx, draft, SUMMARY, form.summary(ctx, form.answers(ctx, draft.data)))
        _summary_action(ctx, form, draft, action)
        return
    step = form.step(draft.step)
    if step is None:
        ask(ctx, form, draft)
        return
    pending = draft.data.get(PENDING)
    if pending and pending["step"] == step.name:
        word = pick(ctx, DATE_ACTIONS, text) or _yes_or_no(text)
        if word == "ok":
            _take(ctx, form, draft, step, pending["value"])
            return
        if word == "retype":
            _drop_pending(ctx, draft, step)
            return
    if step.optional and clean_text(text).lower() in SKIP_WORDS:
        _take(ctx, form, draft, step, None)
        return
    try:
        value = read_answer(ctx, step, draft.data, text)
    except Invalid as error:
        ctx.say(error.key, **error.params)
        ask(ctx, form, draft)
        return
    doubt = step.doubt(ctx, draft.data, value) if step.doubt else None
    if step.kind in (Kind.DATE, Kind.DATETIME) or doubt:
        waiting: Data = {"step": step.name, "value": value}
        if doubt:
            waiting["doubt"] = {"key": doubt.key, "params": doubt.params}
        data = {**draft.data, PENDING: waiting}
        _save(ctx, draft, data, step.name, _history(draft))
        _confirm_date(ctx, form, draft, step)
    else:
        _take(ctx, form, draft, step, value)


def press(ctx: Ctx, form: Form, draft: Draft, pressed: FormAction) -> None:
    """A button of the current question, the date confirmation, or the summary, of this draft:
    one of a draft cancelled or replaced since is as stale as an earlier question's."""
    if not pressed.made_for(draft) or pressed.step != draft.step:
        stale = "flow.stale_button" if pressed.made_for(draft) else "flow.other_draft"
        ctx.say(stale, title=ctx.t(form.title))
        ask(ctx, form, draft)
        return
    step_name, value = pressed.step, pressed.value
    if step_name == SUMMARY:
        _summary_action(ctx, form, draft, value)
        return
    step = form.step(step_name)
    if step is None:
        ask(ctx, form, draft)
        return
    pending = draft.data.get(PENDING)
    if value == "ok" and pending and pending["step"] == step.name:
        _take(ctx, form, draft, step, pending["value"])
    elif value == "retype" and pending:
        _drop_pending(ctx, draft, step)
    elif value == "skip" and step.optional:
        _take(ctx, form, draft, step, None)
    elif step.kind is Kind.YESNO and value in ("y", "n"):
        _take(ctx, form, draft, step, value == "y")
    elif step.kind in (Kind.CHOICE, Kind.MULTI):
        _press_choice(ctx, form, draft, step, value)
    else:
        ctx.say("flow.stale_button")
        ask(ctx, form, draft)


def _press_choice(ctx: Ctx, form: Form, draft: Draft, step: Step, value: str) -> None:
    options = step.options(ctx, draft.data)
    if step.kind is Kind.MULTI and value == "done":
        chosen = draft.data.get(f"_{step.name}", [])
        if not chosen:
            ctx.say("flow.error.choose_one")
            ask(ctx, form, draft)
            return
        _take(ctx, form, draft, step, _in_order(ctx, step, draft.data, set(chosen)))
        return
    index = action_id(value)
    if index is None or index >= len(options):
        ctx.say("flow.stale_button")
        ask(ctx, form, draft)
        return
    choice = options[index].value
    if step.kind is Kind.CHOICE:
        try:
            if step.check:
                step.check(ctx, draft.data, choice)
        except Invalid as error:
            ctx.say(error.key, **error.params)
            ask(ctx, form, draft)
            return
        _take(ctx, form, draft, step, choice)
        return
    chosen = set(draft.data.get(f"_{step.name}", []))
    chosen ^= {choice}
    _save(ctx, draft, {**draft.data, f"_{step.name}": sorted(chosen)}, step.name, _history(draft))
    ask(ctx, form, draft, replace=True)  # the ticks change on the question itself


def _take(ctx: Ctx, form: Form, draft: Draft, step: Step, value: Any) -> None:
    """An answer, tapped or typed: the question now shows the answer and no buttons, so the
    chat reads as a record and nothing there can be tapped twice; then the form goes on."""
    _settle_step(ctx, draft, step, value)
    _accept(ctx, form, draft, step, value)


def _accept(ctx: Ctx, form: Form, draft: Draft, step: Step, value: Any) -> None:
    data = {k: v for k, v in draft.data.items() if k not in (PENDING, f"_{step.name}")}
    data[step.name] = value
    history = [*_history(draft), step.name]
    _save(ctx, draft, data, next_step(ctx, form, data), history)
    if draft.step == SUMMARY and not form.confirm:
        submit(ctx, form, draft)
        return
    ask(ctx, form, draft)


def _drop_pending(ctx: Ctx, draft: Draft, step: Step) -> None:
    shown = show_value(ctx, step, {step.name: draft.data[PENDING]["value"]})
    retyped = ctx.t("flow.date_confirm", when=shown) + "\n"
    _settle_date(
        ctx, draft, step, retyped + ctx.t("flow.answered", answer=ctx.t("flow.date_retype"))
    )
    data = {k: v for k, v in draft.data.items() if k != PENDING}
    _save(ctx, draft, data, step.name, _history(draft))
    _shown(ctx, draft)
    ctx.reply(_question(ctx, step, data))


# The date confirmation's buttons, also read when typed, before any yes or no.
DATE_ACTIONS = (Choice("ok", N_("flow.date_ok")), Choice("retype", N_("flow.date_retype")))


def _yes_or_no(text: str) -> str | None:
    word = clean_text(text).lower()
    return "ok" if word in _YES else "retype" if word in _NO else None


def _confirm_date(ctx: Ctx, form: Form, draft: Draft, step: Step) -> None:
    """Ask whether the answer waiting is right: a date as read (with what is unusual about
    it), or a doubted answer."""
    _shown(ctx, draft)
    pending = draft.data[PENDING]
    doubt = pending.get("doubt")
    if doubt:
        question = ctx.t(doubt["key"], **doubt["params"])
    else:
        shown = show_value(ctx, step, {step.name: pending["value"]})
        caution = step.caution(ctx, draft.data, pending["value"]) if step.caution else None
        question = "\n".join(filter(None, (caution, ctx.t("flow.date_confirm", when=shown))))
    ctx.reply(
        question,
        rows(
            _button(ctx.t("flow.date_ok"), form, draft, step.name, "ok", "primary"),
            _button(ctx.t("flow.date_retype"), form, draft, step.name, "retype"),
        ),
        card=question_card(draft, f"{step.name}.date"),
    )


def _history(draft: Draft) -> list[str]:
    return list((draft.history or {}).get("steps", []))


def back(ctx: Ctx, form: Form, draft: Draft) -> None:
    """One step back: forget the last answer and ask it again."""
    history = _history(draft)
    data = {k: v for k, v in draft.data.items() if k != PENDING}
    if draft.step != SUMMARY and draft.data.get(PENDING):
        _save(ctx, draft, data, draft.step, history)  # first /back drops the unconfirmed date
    elif history:
        previous = history.pop()
        data.pop(previous, None)
        _save(ctx, draft, data, previous, history)
    else:
        ctx.say("flow.at_start")
    ask(ctx, form, draft)


def cancel(ctx: Ctx, form: Form, draft: Draft) -> None:
    """Drop the draft; what it was showing (its question, or summary) keeps its words and
    loses its buttons, which could only be refused now."""
    step = form.step(draft.step)
    if draft.step == SUMMARY:
        _settle(ctx, draft, SUMMARY, form.summary(ctx, form.answers(ctx, draft.data)))
    elif step is not None:
        _settle(ctx, draft, step.name, _question(ctx, step, draft.data))
        if draft.data.get(PENDING):
            value = show_value(ctx, step, {step.name: draft.data[PENDING]["value"]})
            _settle_date(ctx, draft, step, ctx.t("flow.date_confirm", when=value))
    _drop(ctx, form, draft, "draft.cancel")


def _drop(ctx: Ctx, form: Form, draft: Draft, why: str) -> None:
    ctx.session.execute(delete(Draft).where(Draft.id == draft.id))
    ctx.audit(why, form.name)
    ctx.say("flow.cancelled", title=ctx.t(form.title))


# ---------------------------------------------------------------------------- the summary


# The summary's buttons, also read when typed ("提交", "取消"); never by number, since none
# is shown and a stray digit must not send a request.
SUMMARY_ACTIONS = (
    Choice("submit", N_("flow.submit")),
    Choice("edit", N_("flow.edit")),
    Choice("cancel", N_("flow.cancel")),
)


def _show_summary(ctx: Ctx, form: Form, draft: Draft) -> None:
    _shown(ctx, draft)
    answers = form.answers(ctx, draft.data)
    ctx.reply(
        "\n".join([form.summary(ctx, answers), *_cautions(ctx, form, answers)]),
        rows(
            _button(ctx.t("flow.submit"), form, draft, SUMMARY, "submit", "primary"),
            _button(ctx.t("flow.edit"), form, draft, SUMMARY, "edit"),
            _button(ctx.t("flow.cancel"), form, draft, SUMMARY, "cancel", "danger"),
        ),
        card=question_card(draft, SUMMARY),
    )


def _cautions(ctx: Ctx, form: Form, answers: Data) -> list[str]:
    """What is unusual in the answers, said again beside Submit: a whole form (a Slack modal)
    is never asked each date's confirmation, and Submit is then the confirming."""
    found = (
        step.caution(ctx, answers, answers[step.name])
        for step in form.steps
        if step.caution and answers.get(step.name) is not None
    )
    return [text for text in found if text]


def _summary_action(ctx: Ctx, form: Form, draft: Draft, value: str) -> None:
    if value in ("submit", "edit"):  # whatever comes of it, this summary is done (and cancel's)
        _settle(ctx, draft, SUMMARY, form.summary(ctx, form.answers(ctx, draft.data)))
    elif value.startswith("edit."):  # the field list is done with
        step = form.step(value.removeprefix("edit."))
        label = ctx.t(f"{form.name}.field.{step.name}") if step else ""
        _settle(
            ctx,
            draft,
            FIELDS,
            ctx.t("flow.which_field") + "\n" + ctx.t("flow.answered", answer=label),
        )
    if value == "submit":
        submit(ctx, form, draft)
    elif value == "cancel":
        cancel(ctx, form, draft)
    elif value == "edit":
        _offer_fields(ctx, form, draft)
    elif value.startswith("edit."):
        edit_field(ctx, form, draft, value.removeprefix("edit."))
    else:
        _show_summary(ctx, form, draft)


def _field_choices(ctx: Ctx, form: Form, draft: Draft) -> list[Choice]:
    """The fields one may edit from the summary, also read when typed there ("礼品预算")."""
    return [
        Choice(f"edit.{s.name}", f"{form.name}.field.{s.name}")
        for s in form.steps
        if s.applies(ctx, draft.data)
    ]


def _offer_fields(ctx: Ctx, form: Form, draft: Draft) -> None:
    fields = [
        _button(c.text(ctx), form, draft, SUMMARY, c.value)
        for c in _field_choices(ctx, form, draft)
    ]
    _shown(ctx, draft)
    ctx.reply(
        ctx.t("flow.which_field"), rows(*fields, per_row=2), card=question_card(draft, FIELDS)
    )


def edit_field(ctx: Ctx, form: Form, draft: Draft, name: str) -> None:
    """Ask one answer again; after it, the engine returns to the summary."""
    step = form.step(name)
    if step is None or not step.applies(ctx, draft.data):
        ctx.say("flow.stale_button")
        _show_summary(ctx, form, draft)
        return
    data = {k: v for k, v in draft.data.items() if k != name}
    _save(ctx, draft, data, name, _history(draft))
    ask(ctx, form, draft)


def _still_open(ctx: Ctx, form: Form, draft: Draft) -> bool:
    """Whether what the draft is for is still open (`Form.still_open`); if not, the person is
    told why and the draft goes: a summary of what can no longer be sent is not shown."""
    if form.still_open is None:
        return True
    try:
        form.still_open(ctx, form.answers(ctx, draft.data))
    except Gone as gone:
        ctx.say(gone.key, **gone.params)
        _drop(ctx, form, draft, "draft.gone")
        return False
    return True


def submit(ctx: Ctx, form: Form, draft: Draft) -> None:
    """Hand the answers to the form's own submit; the draft goes only once that succeeded."""
    if not _still_open(ctx, form, draft):
        return
    answers = form.answers(ctx, draft.data)
    try:
        missing = next_step(ctx, form, draft.data)
        if missing != SUMMARY:
            _save(ctx, draft, draft.data, missing, _history(draft))
            ask(ctx, form, draft)
            return
        with ctx.session.begin_nested():
            form.submit(ctx, answers)
    except Gone as gone:
        ctx.say(gone.key, **gone.params)
        _drop(ctx, form, draft, "draft.gone")
        return
    except Invalid as error:
        ctx.say(error.key, **error.params)
        _show_summary(ctx, form, draft)
        return
    ctx.session.execute(delete(Draft).where(Draft.id == draft.id))


def fill(ctx: Ctx, form: Form, texts: dict[str, str], opened: Opened) -> dict[str, str]:
    """A whole form at once (a Slack modal): read every answer, in order, since later steps
    depend on earlier ones. Returns the errors by step, in the person's language; with none,
    the draft is saved and its summary shown, exactly as after the last question. The
    draft's `@` context (which sent request an edit belongs to) is kept.

    `opened` is the draft the form was shown for. When the draft now is another (that one was
    cancelled or replaced meanwhile: /cancel, another reception's close-out, a form begun in
    the DM), the answers were meant for something not open now: nothing is saved and the
    person is told."""
    draft = load_draft(ctx, form)
    if not opened.is_for(draft):
        ctx.say("flow.form_gone", title=ctx.t(form.title))
        return {}
    data = context_of(draft.data if draft else {})
    errors: dict[str, str] = {}
    for step in form.steps:
        if not step.applies(ctx, data):
            continue
        raw = texts.get(step.name) or ""
        if not clean_text(raw) or (step.optional and clean_text(raw).lower() in SKIP_WORDS):
            if step.optional:
                data[step.name] = None
            elif step.when is not None:  # required by what was answered: say which rule
                errors[step.name] = ctx.t(
                    "flow.error.required_now", question=_question(ctx, step, data)
                )
            else:
                errors[step.name] = ctx.t("flow.error.empty")
            continue
        try:
            data[step.name] = read_answer(ctx, step, data, raw)
        except Invalid as error:
            errors[step.name] = ctx.t(error.key, **error.params)
    if errors:
        return errors
    history = [s.name for s in form.steps if s.name in data]
    if draft is None:
        draft = _new_draft(ctx, form, data, SUMMARY, history)
    else:
        _save(ctx, draft, data, SUMMARY, history)
    if form.confirm and not form.whole_submits:
        ask(ctx, form, draft)
    else:
        submit(ctx, form, draft)
    return {}


def closed(ctx: Ctx, form: Form, opened: Opened) -> None:
    """A whole form's modal closed unsent. A draft begun for it (a rejection's reason, opened
    by the button) and holding no answer yet goes with it, quietly: left behind, the next
    words typed in the chat would answer a question no longer on screen. A draft with
    answers (a summary's Edit) stays as it was."""
    draft = load_draft(ctx, form)
    if draft is None or not opened.is_for(draft):
        return
    if any(step.name in draft.data for step in form.steps):
        return
    ctx.session.execute(delete(Draft).where(Draft.id == draft.id))
    ctx.audit("draft.closed", form.name)
