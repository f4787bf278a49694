"""The approvers' digest section (SPEC §8): for anyone who may decide (approvers and their
active delegates), what waits for their decision, with Approve / Reject / Ask for changes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from handlers.approval.deciding import decidable_by
from handlers.approval.subjects import SUBJECTS
from handlers.digest.sections.base import DigestView, Line, More, section
from handlers.engine.messages import Button
from storage.models import ApprovalStep, Reception


@section(order=5)
def pending_approvals(view: DigestView) -> Iterable[Line | More]:
    """Everything waiting for the reader's decision (theirs, or as an active delegate),
    with Approve / Reject / Ask for changes on each."""
    t = view.t
    steps, more = view.first(
        decidable_by(view.session, view.person, view.now).with_only_columns(
            ApprovalStep.id, ApprovalStep.subject, ApprovalStep.subject_id
        ),
        "approvals",
    )
    # Their receptions in one query rather than one each; held here, as the session's
    # identity map (where `SUBJECTS` finds them) keeps an object only while it is referenced.
    receptions = [number for _, kind, number in steps if kind == "reception"]
    if receptions:
        _held = view.session.scalars(select(Reception).where(Reception.id.in_(receptions))).all()
    for step, kind, number in steps:
        subject = SUBJECTS[kind]
        item = t(
            "digest.item.approval",
            title=subject.title(view.session, number, t),
            name=subject.requester(view.session, number).name,
        )
        tag = t(f"digest.tag.{kind}", id=number)  # 接待#1 and 计划#1 both have a #1
        yield Line(
            "approvals",
            item,
            (
                Button(t("digest.button.approve", tag=tag), f"apv:{step}:ok", "primary"),
                Button(t("digest.button.reject", tag=tag), f"apv:{step}:no", "danger"),
                Button(t("digest.button.changes", tag=tag), f"apv:{step}:chg"),
            ),
        )
    yield from more
