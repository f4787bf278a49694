"""A whole form on one sheet, for a platform that shows a form at once (a Slack modal).

Every step becomes a field with its label, hint, choices and the answer saved so far, in the
person's language: decided here, in the core's transaction, so the adapter only draws it.
Each field's answer comes back as the text a person could have typed (a choice as its
1-based number, yes/no as "y"/"n"), which `fill` checks exactly as it checks a chat answer.

Steps that apply only after some answer (`when`) are optional here: a sheet cannot hide a
field as the person types, and the engine still asks for one that turns out to apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Choice, Data, Form, Kind, Opened, Step
from storage.models import Draft

OPTIONS_MAX = 100  # choices a sheet lists (Slack's select holds 100); more are typed
LONG_TEXT = 200  # answers allowed longer than this get a box of several lines
PLACEHOLDERS = {Kind.DATE: "slack.placeholder.date", Kind.DATETIME: "slack.placeholder.datetime"}


@dataclass(frozen=True)
class Field:
    """One step of the form on the sheet."""

    name: str  # the step's name: its answer comes back under it
    kind: Kind
    label: str
    hint: str
    optional: bool
    # (value sent back, label) for a select; None when the step is typed
    options: tuple[tuple[str, str], ...] | None
    chosen: tuple[int, ...]  # indexes into `options` already answered
    typed: str | None  # the answer saved so far as text, for a typed step
    max_length: int
    multiline: bool
    placeholder: str
    other: str | None  # label of the box beside a choice that takes a new name


@dataclass(frozen=True)
class Sheet:
    """A form to fill at once: its words and fields, and the draft it is for (`opened`)."""

    form: str
    title: str
    intro: str
    submit: str
    cancel: str
    choose: str  # what an empty select says
    opened: Opened
    fields: tuple[Field, ...]


def sheet(ctx: Ctx, form: Form, draft: Draft | None) -> Sheet:
    """The sheet of `form`, its fields filled from `draft` (one being continued), if any."""
    t = ctx.t
    data = dict(draft.data) if draft else {}
    submit = form.submit_label(ctx, data) if form.submit_label else t("slack.modal.next")
    return Sheet(
        form=form.name,
        title=t(form.title),
        intro=t("slack.modal.intro"),
        submit=submit,
        cancel=t("flow.cancel"),
        choose=t("slack.modal.choose"),
        opened=Opened.of(draft),
        fields=tuple(_field(ctx, form, step, data) for step in form.whole_steps),
    )


def _field(ctx: Ctx, form: Form, step: Step, data: Data) -> Field:
    t = ctx.t
    field_key = f"{form.name}.field.{step.name}"
    label = t(field_key) if t.has(field_key) else _prompt(ctx, step, data) or step.name
    hints = [_prompt(ctx, step, data)] if t.has(field_key) else []
    if step.when is not None:
        hints.append(t("slack.modal.if_applies"))
    options = _options(ctx, step, data)
    value = data.get(step.name)
    # A select cannot take a new name: a box beside it can.
    other = options is not None and step.kind is Kind.CHOICE and bool(step.allow_other or step.read)
    return Field(
        name=step.name,
        kind=step.kind,
        label=label,
        hint="\n".join(h for h in hints if h),
        optional=step.optional or step.when is not None or other,
        options=None if options is None else _sent(step, options),
        chosen=() if options is None else _chosen(step, options, value),
        typed=_typed(ctx, step, value) if options is None else None,
        max_length=step.max_length,
        multiline=step.max_length > LONG_TEXT,
        placeholder=t(PLACEHOLDERS[step.kind]) if step.kind in PLACEHOLDERS else "",
        other=t("slack.modal.other", field=label) if other else None,
    )


def _prompt(ctx: Ctx, step: Step, data: Data) -> str:
    """The step's question; empty when its parameters need answers not given yet."""
    try:
        params = step.params(ctx, data) if step.params else {}
    except (KeyError, TypeError, ValueError):
        return ""
    return ctx.t(step.prompt, **params)


def _options(ctx: Ctx, step: Step, data: Data) -> list[tuple[str, str]] | None:
    """(value, label) pairs for a select; None when the step is typed, or its choices depend
    on answers not given yet (then a box takes the answer)."""
    if step.kind is Kind.YESNO:
        return [("y", ctx.t("flow.yes")), ("n", ctx.t("flow.no"))]
    if step.kind not in (Kind.CHOICE, Kind.MULTI):
        return None
    try:
        choices: Sequence[Choice] = step.options(ctx, data)
    except (KeyError, TypeError, ValueError):
        return None
    if not choices:
        return None
    return [(c.value, c.text(ctx)) for c in choices][:OPTIONS_MAX]


def _sent(step: Step, options: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    # What a person would type: "y"/"n" for yes-no, a choice's number otherwise.
    return tuple(
        (choice if step.kind is Kind.YESNO else str(index), label)
        for index, (choice, label) in enumerate(options, start=1)
    )


def _chosen(step: Step, options: list[tuple[str, str]], value: Any) -> tuple[int, ...]:
    if step.kind is Kind.MULTI:
        return tuple(i for i, (choice, _) in enumerate(options) if choice in (value or []))
    wanted = {True: "y", False: "n"}.get(value, value) if step.kind is Kind.YESNO else value
    return tuple(i for i, (choice, _) in enumerate(options) if choice == wanted)[:1]


def _typed(ctx: Ctx, step: Step, value: Any) -> str | None:
    """A saved answer written back as text the engine reads again unchanged."""
    if value is None or isinstance(value, list | dict):
        return None
    if step.kind is Kind.DATETIME:
        return datetime.fromisoformat(value).astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")
    if step.kind is Kind.DATE:
        return date.fromisoformat(value).isoformat()
    return str(value)
