"""A whole form at once (a Slack modal): every answer read together, or the modal closed
unsent; answers meant for another draft than the one now open save nothing."""

from __future__ import annotations

from sqlalchemy import delete

from handlers.engine.context import Ctx
from handlers.engine.forms.drafts import load_draft, new_draft, save
from handlers.engine.forms.engine import ask, question_text, submit
from handlers.engine.forms.model import SUMMARY, Form, FormAction, Invalid, Opened, context_of
from handlers.engine.forms.readers import SKIP_WORDS, clean_text, read_answer
from storage.models import Draft


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
        if step.chat_only:  # not shown in a whole form: answered as not taken
            data.setdefault(step.name, None)
            continue
        raw = texts.get(step.name) or ""
        if not clean_text(raw) or (step.optional and clean_text(raw).lower() in SKIP_WORDS):
            if step.optional:
                data[step.name] = None
            elif step.when is not None:  # required by what was answered: say which rule
                errors[step.name] = ctx.t(
                    "flow.error.required_now", question=question_text(ctx, step, data)
                )
            else:
                errors[step.name] = ctx.t("flow.error.empty")
            continue
        try:
            value = read_answer(ctx, step, data, raw)
        except Invalid as error:
            errors[step.name] = ctx.t(error.key, **error.params)
            continue
        data = step.taken(ctx, data, value)  # the later inputs, read next, have the last word
    if errors:
        return errors
    history = [s.name for s in form.steps if s.name in data]
    if draft is None:
        draft = new_draft(ctx, form, data, SUMMARY, history)
    else:
        save(ctx, draft, data, SUMMARY, history)
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


def edited_form(action: str) -> FormAction | None:
    """A summary's "Edit" (`f:<form>:<draft>:_summary:edit`): where a whole form can be
    shown, it is edited again whole rather than one question at a time."""
    pressed = FormAction.read(action)
    if pressed and (pressed.step, pressed.value) == (SUMMARY, "edit"):
        return pressed
    return None
