"""The engine: a form run one question at a time (start, ask, a typed or tapped answer, the
date confirmation, back, cancel, the summary, submit).

After an answer the engine asks the first applicable step still unanswered, so the same rule
serves a first pass, an edit from the summary, `/back`, and a quick log that filled some fields
already. A button from an earlier question, or from a draft cancelled or replaced since, is
answered with a polite line plus the current question.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from handlers.engine.context import Ctx
from handlers.engine.forms.drafts import (
    history_of,
    load_draft,
    mark_shown,
    new_draft,
    next_step,
    save,
)
from handlers.engine.forms.model import (
    FIELDS,
    PENDING,
    SUMMARY,
    Choice,
    Data,
    Form,
    FormAction,
    Gone,
    Invalid,
    Kind,
    Step,
)
from handlers.engine.forms.readers import (
    SKIP_WORDS,
    clean_text,
    in_order,
    pick,
    read_answer,
    show_value,
    yes_or_no,
)
from handlers.engine.forms.sheet import sheet
from handlers.engine.i18n import N_
from handlers.engine.messages import Button, EditCard, Message, OpenForm, action_id, rows
from storage.models import Draft


def _button(label: str, form: Form, draft: Draft, step: str, value: str, style: str = "") -> Button:
    return Button(label, FormAction(form.name, draft.id, step, value).action, style)


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
        draft = new_draft(ctx, form, data, next_step(ctx, form, data), [])
        ctx.audit("draft.start", form.name)
    else:
        ctx.say("flow.resumed", title=ctx.t(form.title))
    ask(ctx, form, draft)


def resume(ctx: Ctx, form: Form, draft: Draft) -> None:
    """A draft set aside, brought back (`/my`'s Continue): its question, asked once."""
    ctx.say("flow.resumed", title=ctx.t(form.title))
    ask(ctx, form, draft)


def ask(ctx: Ctx, form: Form, draft: Draft, replace: bool = False) -> None:
    """Show the current question (or the summary) with its buttons; with `replace`, in place
    of the message whose button was pressed (a choice ticked on a multiple choice)."""
    mark_shown(ctx, draft)
    if draft.step == SUMMARY:
        if _still_open(ctx, form, draft):
            _show_summary(ctx, form, draft)
        return
    step = form.step(draft.step)
    if step is None:  # the form changed under a saved draft: resume at the first gap
        save(ctx, draft, draft.data, next_step(ctx, form, draft.data), history_of(draft))
        ask(ctx, form, draft)
        return
    pending = draft.data.get(PENDING)
    if pending and pending["step"] == step.name:
        _confirm_date(ctx, form, draft, step)
        return
    _tick_default(ctx, draft, step)
    text = question_text(ctx, step, draft.data)
    buttons = _step_buttons(ctx, form, draft, step)
    if step.kind is Kind.MULTI:  # in chat only: a modal's select needs no Done
        text = ctx.t("flow.multi_question", question=text)
    if step.optional:
        text += "\n" + ctx.t("flow.skip_hint")
    number = step.kind in (Kind.NUMBER, Kind.MONEY)
    card = question_card(draft, step.name)
    question = Message(text, buttons, card=card, expects_number=number, replace=replace)
    if history_of(draft):
        ctx.replies.append(question)
        return
    # A form begins: where the whole form can be shown (a Slack modal), it is shown so.
    whole = sheet(ctx, form, draft) if ctx.whole_forms else None
    ctx.replies.append(OpenForm(form.name, question, whole))


def _tick_default(ctx: Ctx, draft: Draft, step: Step) -> None:
    """A multiple choice asked in chat starts with its default ticked (the leaders to meet
    start from the host, SPEC §6a); asked again, with what was chosen (`edit_field`). A
    modal ticks nothing: what its select sends is the whole answer."""
    if step.kind is not Kind.MULTI or step.default is None or f"_{step.name}" in draft.data:
        return
    default = step.default(ctx, draft.data)
    if default is not None:
        data = {**draft.data, f"_{step.name}": [default]}
        save(ctx, draft, data, draft.step, history_of(draft))


def question_card(draft: Draft, name: str) -> str:
    """The card key of a draft's question (or its summary, field list, date confirmation):
    each copy shown, a re-ask's too, loses its buttons once the question is answered."""
    return f"q:{draft.id}:{name}"


def _settle(ctx: Ctx, draft: Draft, name: str, text: str) -> None:
    """Every copy of a question, tapped or typed, becomes the record of its answer: nothing
    left on it to tap (a button there would only be refused as stale)."""
    ctx.replies.append(EditCard(text, card=question_card(draft, name), settles=True))


def _settle_step(ctx: Ctx, draft: Draft, step: Step, value: Any) -> None:
    shown = show_value(ctx, step, {**draft.data, step.name: value})
    answered = question_text(ctx, step, draft.data) + "\n" + ctx.t("flow.answered", answer=shown)
    _settle(ctx, draft, step.name, answered)
    if draft.data.get(PENDING):
        _settle_date(ctx, draft, step, answered)


def _settle_date(ctx: Ctx, draft: Draft, step: Step, text: str) -> None:
    _settle(ctx, draft, f"{step.name}.date", text)


def question_text(ctx: Ctx, step: Step, data: Data) -> str:
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
    elif step.kind in (Kind.CHOICE, Kind.MULTI) or step.choices:  # a text step's suggestions
        chosen = data.get(f"_{step.name}", [])
        default = step.default(ctx, data) if step.default else None
        for index, choice in enumerate(step.options(ctx, data)):
            mark = "✓ " if choice.value in chosen else ""
            label = mark + choice.text(ctx)
            if choice.value == default and step.kind is not Kind.MULTI:  # a MULTI's is ticked
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
        word = pick(ctx, DATE_ACTIONS, text) or yes_or_no(text)
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
        save(ctx, draft, data, step.name, history_of(draft))
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
    elif step.kind in (Kind.CHOICE, Kind.MULTI) or step.choices:
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
        _take(ctx, form, draft, step, in_order(ctx, step, draft.data, set(chosen)))
        return
    index = action_id(value)
    if index is None or index >= len(options):
        ctx.say("flow.stale_button")
        ask(ctx, form, draft)
        return
    choice = options[index].value
    if step.kind is not Kind.MULTI:
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
    save(ctx, draft, {**draft.data, f"_{step.name}": sorted(chosen)}, step.name, history_of(draft))
    ask(ctx, form, draft, replace=True)  # the ticks change on the question itself


def _take(ctx: Ctx, form: Form, draft: Draft, step: Step, value: Any) -> None:
    """An answer, tapped or typed: the question now shows the answer and no buttons, so the
    chat reads as a record and nothing there can be tapped twice; then the form goes on."""
    _settle_step(ctx, draft, step, value)
    _accept(ctx, form, draft, step, value)


def _accept(ctx: Ctx, form: Form, draft: Draft, step: Step, value: Any) -> None:
    data = {k: v for k, v in draft.data.items() if k not in (PENDING, f"_{step.name}")}
    data = step.taken(ctx, data, value)
    history = [*history_of(draft), step.name]
    save(ctx, draft, data, next_step(ctx, form, data), history)
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
    save(ctx, draft, data, step.name, history_of(draft))
    mark_shown(ctx, draft)
    ctx.reply(question_text(ctx, step, data))


# The date confirmation's buttons, also read when typed, before any yes or no.
DATE_ACTIONS = (Choice("ok", N_("flow.date_ok")), Choice("retype", N_("flow.date_retype")))


def _confirm_date(ctx: Ctx, form: Form, draft: Draft, step: Step) -> None:
    """Ask whether the answer waiting is right: a date as read (with what is unusual about
    it), or a doubted answer."""
    mark_shown(ctx, draft)
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


def back(ctx: Ctx, form: Form, draft: Draft) -> None:
    """One step back: forget the last answer and ask it again."""
    history = history_of(draft)
    data = {k: v for k, v in draft.data.items() if k != PENDING}
    if draft.step != SUMMARY and draft.data.get(PENDING):
        save(ctx, draft, data, draft.step, history)  # first /back drops the unconfirmed date
    elif history:
        previous = history.pop()
        data.pop(previous, None)
        save(ctx, draft, data, previous, history)
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
        _settle(ctx, draft, step.name, question_text(ctx, step, draft.data))
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
    mark_shown(ctx, draft)
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
    mark_shown(ctx, draft)
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
    if step.kind is Kind.MULTI:  # asked again, it starts from what was chosen, not its default
        data[f"_{name}"] = list(draft.data.get(name) or [])
    save(ctx, draft, data, name, history_of(draft))
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
            save(ctx, draft, draft.data, missing, history_of(draft))
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
