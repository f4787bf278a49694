"""The form model and its button format: a form is data (typed steps, their choices and
doubts), and what its buttons and a whole form shown say of the draft they belong to.

Button actions are `f:<form>:<draft>:<step>:<value>` (`FormAction`): one from an earlier question,
or from a draft cancelled or replaced since, is stale. A whole form filled at once (a Slack modal)
names its draft too (`Opened`): one meant for another draft saves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from handlers.engine.context import Ctx
from handlers.engine.i18n import Translator
from handlers.engine.messages import ID_MAX, Button, action_id
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


# No count or amount anyone types is larger; past it, rounding to the cent overflows Decimal.
LARGEST = Decimal(10) ** 12


@dataclass(frozen=True)
class Step:
    """One question of a form."""

    name: str
    prompt: str
    kind: Kind = Kind.TEXT
    choices: Sequence[Choice] | ChoicesFn = ()  # of a text step: suggestions, one tap each
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
    # A choice to mark as default; a multiple choice starts with it ticked.
    default: Callable[[Ctx, Data], str | None] | None = None
    # An answer allowed but unusual (an arrival in 2099): the text asking to confirm it, or None.
    caution: Callable[[Ctx, Data, Any], str | None] | None = None
    # An answer that answers other questions too ("like last time" copies last time's
    # arrangements): those answers, taken where the form has none yet (or only a skip).
    then: Callable[[Ctx, Data, Any], Data] | None = None
    # Asked in a conversation only: a whole form at once (a modal) shows every field anyway,
    # so a shortcut that fills others has nothing to spare it.
    chat_only: bool = False

    def taken(self, ctx: Ctx, data: Data, value: Any) -> Data:
        """The answers once this step's `value` is in: its own, and what it answers too."""
        more = self.then(ctx, data, value) if self.then else {}
        filled = {k: v for k, v in more.items() if data.get(k) is None}
        return {**data, **filled, self.name: value}

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

    @property
    def whole_steps(self) -> tuple[Step, ...]:
        """The steps a whole form at once (a modal, a card form) shows and reads."""
        return tuple(step for step in self.steps if not step.chat_only)

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
