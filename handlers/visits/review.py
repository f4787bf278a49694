"""The manager reviews reports (seed 001: 拜访后…提出客户拜访报告,呈主管审核): each visit report
and each daily report reaches the author's manager with Acknowledge / Comment, and what the
manager says reaches the author.

A `Review` row is made with the report; it is decided once (`UPDATE … WHERE state =
'pending'`): a second tap, a second device or a stale card is told who decided and when.
Who may decide is the author's manager at the moment of the tap, so a report filed before
a reorganisation or a manager's leaving goes to whoever manages the author now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from sqlalchemy import update

from handlers.engine.context import Ctx, named_by, translator_for, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Gone, Step
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, action_id, rows
from handlers.engine.registry import Feature
from storage.models import Person, Review, Visit

# The report as its reader reads it: (their translator, their zone) → text.
ReportText = Callable[[Translator, tzinfo], str]
# How a kind of report reads on its review card, from the review; None: the report is gone.
Describer = Callable[[Ctx, Review], ReportText | None]
TEXTS: dict[str, Describer] = {}
COMMENT_MAX = 1000
FORM_NAME = "review"


def describes(subject: str) -> Callable[[Describer], Describer]:
    """Register how a kind of report reads on its review card: `@describes("daily")`."""

    def register(fn: Describer) -> Describer:
        TEXTS[subject] = fn
        return fn

    return register


def request(ctx: Ctx, subject: str, subject_id: int, text: ReportText) -> Person | None:
    """Send the acting person's new report to their manager; the manager, or None when they
    have none (the top of the chart) and nobody reviews it."""
    manager = ctx.person.manager
    if manager is None or not manager.active:
        return None
    review = Review(
        subject=subject, subject_id=subject_id, author_id=ctx.person.id, created_at=ctx.now
    )
    ctx.session.add(review)
    ctx.session.flush()
    ctx.notify(manager, card_for(ctx, review, manager, text), f"review:{review.id}")
    return manager


def card_for(ctx: Ctx, review: Review, reader: Person, text: ReportText) -> Message:
    t = translator_for(ctx.session, reader, ctx.policy, now=ctx.now)
    body = text(t, zone_of(reader, ctx.policy))
    buttons = (
        Button(t("review.acknowledge"), f"rv:{review.id}:ok", "primary"),
        Button(t("review.comment"), f"rv:{review.id}:c"),
    )
    return Message(body, rows(*buttons, per_row=2), card=f"rv:{review.id}")


def _decidable(ctx: Ctx, parts: list[str]) -> Review | None:
    """The review a button names, if the presser may still decide it (else said why)."""
    review = named_by(ctx.session, Review, parts)
    if review is None:
        ctx.say("button.stale")
        return None
    if review.author.manager_id != ctx.person.id:
        ctx.audit("review.refused", "review", review.id)
        ctx.say("review.not_yours")
        return None
    if review.state != "pending":
        _already(ctx, review)
        return None
    return review


def _already(ctx: Ctx, review: Review) -> None:
    who = review.reviewer.name if review.reviewer else "?"
    at = ctx.t.datetime(review.decided_at or ctx.now, ctx.tz)
    ctx.say(f"review.already.{review.state}", name=who, at=at)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`rv:<review>:ok` acknowledges; `rv:<review>:c` asks for the comment."""
    if len(parts) != 2 or action_id(parts[0]) is None or parts[1] not in ("ok", "c"):
        ctx.say("button.stale")
        return
    review = _decidable(ctx, parts)
    if review is None:
        return
    if parts[1] == "c":
        engine.start(ctx, COMMENT_FORM, prefill={"@review": review.id})
        return
    if _decide(ctx, review, "acknowledged", None):
        ctx.say("review.acknowledged", name=review.author.name)


def _decide(ctx: Ctx, review: Review, state: str, comment: str | None) -> bool:
    """Decide the review once; False (and said) when someone got there first."""
    won = ctx.session.execute(
        update(Review)
        .where(Review.id == review.id, Review.state == "pending")
        .values(state=state, reviewer_id=ctx.person.id, comment=comment, decided_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    ctx.session.refresh(review)
    if not won.rowcount:  # type: ignore[attr-defined]
        _already(ctx, review)
        return False
    ctx.audit(f"review.{state}", "review", review.id, of=review.subject)
    describe = TEXTS.get(review.subject)
    text = describe(ctx, review) if describe else None
    if text is not None:  # the card, decided: its buttons go, the decision shows
        status = ctx.t(f"review.status.{state}", at=ctx.t.time(ctx.now, ctx.tz))
        body = text(ctx.t, ctx.tz) + "\n" + status
        ctx.replies.append(Message(body, card=f"rv:{review.id}", replace=True))
    _tell_author(ctx, review, text)
    return True


def _tell_author(ctx: Ctx, review: Review, text: ReportText | None) -> None:
    author = review.author
    t = translator_for(ctx.session, author, ctx.policy, now=ctx.now)
    what = text(t, zone_of(author, ctx.policy)).split("\n", 1)[0] if text else ""
    if review.state == "acknowledged":
        line = t("review.told.acknowledged", name=ctx.person.name, what=what)
    else:
        line = t("review.told.commented", name=ctx.person.name, what=what, comment=review.comment)
    ctx.notify(author, Message(line), f"review:{review.id}:{review.state}")


# ---------------------------------------------------------------------------- visit reports


def visit_text(visit: Visit) -> ReportText:
    """A visit report as its review card reads: who, where, when, what came of it, and a
    check-in outside visiting hours flagged."""

    def text(t: Translator, tz: tzinfo) -> str:
        answers = visit.answers
        when = t.date(visit.visited_on)
        if answers.get("time"):
            when = t("review.visit.at", date=when, time=answers["time"])
        lines = [
            t("review.visit.head", name=visit.person.name, client=visit.client.name, when=when)
        ]
        kind, outcome = t(f"visit.kind.{visit.kind}"), t(f"visit.outcome.{visit.outcome}")
        lines.append(t("review.visit.result", kind=kind, outcome=outcome, contact=visit.contact))
        lines.append(t("visit.line.summary", text=visit.summary))
        if visit.next_step and visit.next_due:
            lines.append(
                t("visit.line.next_step", step=visit.next_step, due=t.date(visit.next_due))
            )
        if answers.get("companions"):
            lines.append(t("review.visit.companions", names=answers["companions"]))
        if answers.get("outside_hours"):
            lines.append(t("review.visit.outside_hours"))
        return "\n".join(lines)

    return text


@describes("visit")
def _visit(ctx: Ctx, review: Review) -> ReportText | None:
    visit = ctx.session.get(Visit, review.subject_id)
    return visit_text(visit) if visit is not None else None


# ---------------------------------------------------------------------------- the comment


def _still_pending(ctx: Ctx, data: Data) -> None:
    review = ctx.session.get(Review, int(data["@review"]))
    if review is None or review.state != "pending":
        raise Gone(N_("review.gone"))


def _summary(ctx: Ctx, data: Data) -> str:
    return ""  # never shown: the comment is sent as typed (confirm=False)


def _submit(ctx: Ctx, data: Data) -> None:
    review = ctx.session.get(Review, int(data["@review"]))
    if review is None or review.author.manager_id != ctx.person.id:
        raise Gone(N_("review.gone"))
    if _decide(ctx, review, "commented", data["comment"]):
        ctx.say("review.commented", name=review.author.name)


COMMENT_FORM = Form(
    FORM_NAME,
    N_("review.title"),
    (Step("comment", N_("review.ask.comment"), max_length=COMMENT_MAX),),
    _summary,
    _submit,
    confirm=False,
    still_open=_still_pending,
)

FEATURE = Feature(actions={"rv": press}, forms=(COMMENT_FORM,))
