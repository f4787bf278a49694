"""Drafts in the database: every answer is saved as it comes, so a form survives restarts
and continues from any device; which draft takes typed text, and which are set aside."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from handlers.engine.context import Ctx
from handlers.engine.forms.model import SUMMARY, Data, Form
from handlers.engine.messages import Button
from storage.models import Draft


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


def mark_shown(ctx: Ctx, draft: Draft) -> None:
    """The draft's question (or summary) is being shown: it is in front of the person again.
    The history is a new dict so SQLAlchemy sees the JSON column change."""
    if set_aside(draft):
        draft.history = {"steps": history_of(draft)}
    draft.updated_at = ctx.now
    ctx.shown_drafts.add(draft.id)


def set_aside_others(ctx: Ctx) -> list[Draft]:
    """After something else was shown (a command's answer, another form): every draft not
    shown by this very event is set aside. Returns those newly set aside, to tell of them."""
    newly = []
    for draft in open_drafts(ctx):
        if draft.id in ctx.shown_drafts or set_aside(draft):
            continue
        draft.history = {"steps": history_of(draft), "aside": True}
        newly.append(draft)
    return newly


def resume_button(ctx: Ctx, form: Form, draft: Draft) -> Button:
    return Button(ctx.t("flow.resume", title=ctx.t(form.title)), f"dr:{draft.id}", "primary")


def save(ctx: Ctx, draft: Draft, data: Data, step: str, history: list[str]) -> None:
    # New dicts so SQLAlchemy sees the JSON columns changed.
    draft.data = dict(data)
    draft.step = step
    draft.history = {"steps": list(history)}
    draft.updated_at = ctx.now


def new_draft(ctx: Ctx, form: Form, data: Data, step: str, history: list[str]) -> Draft:
    draft = Draft(person_id=ctx.person.id, flow=form.name)
    save(ctx, draft, data, step, history)
    ctx.session.add(draft)
    ctx.session.flush()  # for its id, which its buttons carry
    return draft


def next_step(ctx: Ctx, form: Form, data: Data) -> str:
    for step in form.steps:
        if step.name not in data and step.applies(ctx, data):
            return step.name
    return SUMMARY


def history_of(draft: Draft) -> list[str]:
    return list((draft.history or {}).get("steps", []))
