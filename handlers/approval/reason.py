"""The reason form: why a step is rejected or changes are asked, confirmed before it decides."""

from __future__ import annotations

from handlers.approval.cards import outcome_line
from handlers.approval.deciding import decide
from handlers.approval.subjects import SUBJECTS
from handlers.engine.context import Ctx
from handlers.engine.forms.model import Data, Form, Gone, Kind, Step
from handlers.engine.i18n import N_
from storage.models import ApprovalStep


def _reason_prompt(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"what": ctx.t(f"approval.why.{data['@decision']}")}


def _reason_submit_label(ctx: Ctx, data: Data) -> str:
    return ctx.t({"rejected": "approval.reject", "changes": "approval.changes"}[data["@decision"]])


def _reason_summary(ctx: Ctx, data: Data) -> str:
    """What Submit will do, said before it does it: typed words (maybe meant as "help") must
    not reject a request unseen."""
    step = ctx.session.get(ApprovalStep, int(data["@step"]))
    subject = SUBJECTS[step.subject].title(ctx.session, step.subject_id, ctx.t) if step else ""
    return ctx.t(f"approval.why.summary.{data['@decision']}", title=subject, note=data["reason"])


def _reason_still_open(ctx: Ctx, data: Data) -> None:
    """Someone decided the step while the reason was typed: say who, and ask nothing more."""
    step = ctx.session.get(ApprovalStep, int(data["@step"]))
    if step is not None and step.state != "pending":
        raise Gone(N_("approval.already"), outcome=outcome_line(step, ctx.t, ctx.tz))


def _reason_submit(ctx: Ctx, data: Data) -> None:
    decide(ctx, int(data["@step"]), data["@decision"], data["reason"])


REASON_FORM = Form(
    "why",
    N_("approval.why.title"),
    (Step("reason", N_("approval.why.ask"), Kind.TEXT, params=_reason_prompt, max_length=500),),
    summary=_reason_summary,
    submit=_reason_submit,
    still_open=_reason_still_open,
    whole_submits=True,  # a modal's Submit, under the reason typed, is the decision itself
    submit_label=_reason_submit_label,
)
