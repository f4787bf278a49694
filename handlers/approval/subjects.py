"""The kinds of things approval chains decide (receptions, plans), and a subject's steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx
from handlers.engine.i18n import Translator
from handlers.rules.policy.schema import Policy
from storage.models import ApprovalStep, Person


@dataclass(frozen=True)
class Subject:
    """What a kind of approvable thing tells the engine about itself."""

    name: str
    requester: Callable[[Session, int], Person]
    title: Callable[[Session, int, Translator], str]
    card: Callable[[Session, Policy, int, list[ApprovalStep], Translator, tzinfo], str]
    # Called once the chain ends: "approved", "rejected" or "changes" (with the note).
    concluded: Callable[[Ctx, int, str, str], None]
    current_round: Callable[[Session, int], int]
    # The ids of this subject filed by a person, as a query (to keep them off their queue).
    filed_by: Callable[[int], Select[int]]
    # Whether a person may read the subject (a reception: whoever may see its client).
    readable_by: Callable[[Session, int, Person], bool]
    # The button sent with "changes asked": (label key, action with {id}), e.g.
    # ("rcp.edit_resubmit", "rcp:edit:{id}"); None for no button.
    resubmit: tuple[str, str] | None = None


SUBJECTS: dict[str, Subject] = {}


def register(subject: Subject) -> None:
    SUBJECTS[subject.name] = subject


def steps_of(session: Session, subject: str, subject_id: int, round_: int) -> list[ApprovalStep]:
    return list(
        session.scalars(
            select(ApprovalStep)
            .where(
                ApprovalStep.subject == subject,
                ApprovalStep.subject_id == subject_id,
                ApprovalStep.round == round_,
            )
            .order_by(ApprovalStep.position)
        )
    )


def requester_of(session: Session, step: ApprovalStep) -> Person:
    return SUBJECTS[step.subject].requester(session, step.subject_id)
