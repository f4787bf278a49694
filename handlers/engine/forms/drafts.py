"""Drafts in the database: every answer is saved as it comes, so a form survives restarts
and continues from any device; which draft takes typed text, and which are set aside."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

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
    """The draft's question (or summary) is being shown: it is in front of the person again."""
    history = {"steps": history_of(draft)} if set_aside(draft) else draft.history
    _write(ctx, draft, draft.data, draft.step, history, ctx.now)
    ctx.shown_drafts.add(draft.id)


def set_aside_others(ctx: Ctx) -> list[Draft]:
    """After something else was shown (a command's answer, another form): every draft not
    shown by this very event is set aside. Returns those newly set aside, to tell of them."""
    newly = []
    for draft in open_drafts(ctx):
        if draft.id in ctx.shown_drafts or set_aside(draft):
            continue
        aside = {"steps": history_of(draft), "aside": True}
        _write(ctx, draft, draft.data, draft.step, aside, draft.updated_at)
        newly.append(draft)
    return newly


def resume_button(ctx: Ctx, form: Form, draft: Draft) -> Button:
    return Button(ctx.t("flow.resume", title=ctx.t(form.title)), f"dr:{draft.id}", "primary")


def save(ctx: Ctx, draft: Draft, data: Data, step: str, history: list[str]) -> None:
    _write(ctx, draft, dict(data), step, {"steps": list(history)}, ctx.now)


def new_draft(ctx: Ctx, form: Form, data: Data, step: str, history: list[str]) -> Draft:
    draft = Draft(person_id=ctx.person.id, flow=form.name)
    save(ctx, draft, data, step, history)
    ctx.session.add(draft)
    ctx.session.flush()  # for its id, which its buttons carry
    return draft


_TABLE = Draft.__table__
assert isinstance(_TABLE, Table)  # typed as any FromClause; a declarative model's is a Table
# Built once, run on the session's connection: every answer saves its draft, and the unit of
# work's flush (finding what changed, ordering, the UPDATE built per flush) was the largest
# part of a step's cost after the reply itself (bench/RESULTS.md, issue 26).
_SAVE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("draft"))
    .values(
        data=bindparam("new_data"),
        step=bindparam("new_step"),
        history=bindparam("new_history"),
        updated_at=bindparam("new_updated_at"),
    )
)


def _write(
    ctx: Ctx,
    draft: Draft,
    data: dict[str, Any],
    step: str,
    history: dict[str, Any],
    updated_at: datetime,
) -> None:
    """Store the draft's state at once with one UPDATE, and tell the ORM it is the saved
    state, so the commit has nothing left to flush for it. A draft not inserted yet is the
    unit of work's (new_draft flushes it). A row gone meanwhile (submitted or cancelled from
    another device) fails the step, as the ORM's own UPDATE did: the person is told, nothing
    is half written, and the draft is not brought back."""
    values = {"data": data, "step": step, "history": history, "updated_at": updated_at}
    if not inspect(draft).persistent:
        for key, value in values.items():
            setattr(draft, key, value)
        return
    if all(getattr(draft, key) == value for key, value in values.items()):
        return  # shown again within the same step: already saved so
    parameters = {f"new_{key}": value for key, value in values.items()}
    saved = ctx.session.connection().execute(_SAVE, {"draft": draft.id, **parameters})
    if saved.rowcount != 1:
        raise StaleDataError(f"draft {draft.id} was removed while this step saved it")
    for key, value in values.items():
        set_committed_value(draft, key, value)


def next_step(ctx: Ctx, form: Form, data: Data) -> str:
    for step in form.steps:
        if step.name not in data and step.applies(ctx, data):
            return step.name
    return SUMMARY


def history_of(draft: Draft) -> list[str]:
    return list((draft.history or {}).get("steps", []))
