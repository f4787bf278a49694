"""Moving a complaint on, one step per button, each step once and only by whom it falls to:

* `cp:told:<id>` — the responsible person (or whoever acts for them) takes it;
* `cp:ans:<id>` — the one who recorded it has answered the client;
* `cp:cb:<id>` — they called the client back (回访): the client's feedback is asked;
* `cp:ok:<id>` — their manager confirms the close, the feedback before them.

A step is an UPDATE guarded by the state it moves from, so a second tap (or a second device)
changes nothing and is told what the complaint is at now; each step tells the next person
with the card and its button.
"""

from __future__ import annotations

from sqlalchemy import update

from handlers.complaints.record import (
    acting,
    card_buttons,
    card_text,
    manager_of,
    may_act_for,
    notify_card,
)
from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Gone, Step
from handlers.engine.i18n import N_
from handlers.engine.messages import Message
from storage.models import Complaint, Person

# action → (the state it moves from, the state it moves to, the column it stamps)
STEPS = {
    "told": ("open", "told", "told_at"),
    "ans": ("told", "answered", "answered_at"),
    "cb": ("answered", "called_back", "called_back_at"),
    "ok": ("called_back", "closed", "closed_at"),
}


def confirmer(ctx: Ctx, complaint: Complaint) -> Person:
    """Who confirms the close: the recorder's manager, else the responsible person."""
    return manager_of(ctx.session, complaint.person) or acting(ctx.session, complaint.responsible)


def _allowed(ctx: Ctx, complaint: Complaint, action: str) -> bool:
    if action == "told":
        return may_act_for(ctx.session, ctx.person, complaint.responsible)
    if action in ("ans", "cb"):
        return may_act_for(ctx.session, ctx.person, complaint.person)
    return ctx.person.id == confirmer(ctx, complaint).id or ctx.person.has_role("org_admin")


def press(ctx: Ctx, parts: list[str]) -> None:
    complaint = named_by(ctx.session, Complaint, parts, 1)
    action = parts[0] if parts else ""
    if complaint is None or action not in STEPS or len(parts) != 2:
        ctx.say("button.stale")
        return
    if not _allowed(ctx, complaint, action):
        ctx.audit("complaint.refused", "complaint", complaint.id, step=action)
        ctx.say("cp.not_yours")
        return
    before, _, _ = STEPS[action]
    if complaint.state != before:
        show(ctx, complaint, ctx.t("cp.already", state=ctx.t(f"cp.state.{complaint.state}")))
        return
    if action == "cb":  # the client's feedback first: the step is taken when it is given
        engine.start(ctx, FEEDBACK, prefill={"@complaint": complaint.id})
        return
    if not advance(ctx, complaint, action):
        show(ctx, complaint, ctx.t("cp.already", state=ctx.t(f"cp.state.{complaint.state}")))


def advance(ctx: Ctx, complaint: Complaint, action: str, feedback: str | None = None) -> bool:
    """Take the step if the complaint is still where it was; tell whom it concerns next."""
    before, after, column = STEPS[action]
    values: dict[str, object] = {"state": after, column: ctx.now}
    if action == "ok":
        values["closed_by_id"] = ctx.person.id
    if feedback is not None:
        values["feedback"] = feedback
    moved = ctx.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.state == before)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        ctx.session.refresh(complaint)
        return False
    ctx.session.refresh(complaint)
    ctx.audit(f"complaint.{after}", "complaint", complaint.id)
    show(ctx, complaint, ctx.t(f"cp.done.{after}"))
    if after == "told" and complaint.person_id != ctx.person.id:
        notify_card(ctx, complaint, complaint.person, "cp.taken")
    elif after == "called_back":
        manager = confirmer(ctx, complaint)
        if manager.id != ctx.person.id:
            notify_card(ctx, complaint, manager, "cp.to_confirm")
    elif after == "closed" and complaint.person_id != ctx.person.id:
        notify_card(ctx, complaint, complaint.person, "cp.closed_told")
    return True


def show(ctx: Ctx, complaint: Complaint, note: str) -> None:
    """The card as it stands, replacing the copy pressed, with `note` under it."""
    t = ctx.t
    text = card_text(ctx.session, ctx.policy, complaint, t, ctx.person) + "\n" + note
    buttons = card_buttons(complaint, t) if _allowed_next(ctx, complaint) else ()
    ctx.replies.append(Message(text, buttons, card=f"cp:{complaint.id}", replace=True))


def _allowed_next(ctx: Ctx, complaint: Complaint) -> bool:
    action = {"open": "told", "told": "ans", "answered": "cb", "called_back": "ok"}.get(
        complaint.state
    )
    return action is not None and _allowed(ctx, complaint, action)


# ---------------------------------------------------------------------------- the feedback


def _complaint(ctx: Ctx, data: Data) -> Complaint:
    complaint = ctx.session.get(Complaint, int(data["@complaint"]))
    if complaint is None or complaint.state != "answered":
        raise Gone(N_("cp.gone"))
    return complaint


def _feedback_submit(ctx: Ctx, data: Data) -> None:
    complaint = _complaint(ctx, data)
    if not advance(ctx, complaint, "cb", feedback=data["feedback"]):
        raise Gone(N_("cp.gone"))


FEEDBACK = Form(
    "cpfb",
    N_("cp.feedback_title"),
    (Step("feedback", N_("cp.ask.feedback"), max_length=500),),
    lambda ctx, data: "",
    _feedback_submit,
    confirm=False,
    still_open=_complaint,
)
