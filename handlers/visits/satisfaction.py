"""Satisfaction after a visit (seed 001: "回访客户,了解客户对拜访的满意度"; seed 003 满意度).

`satisfaction.after_working_days` working days after a visit, at the start of working hours
in the salesperson's zone, a reminder (`visit.satisfaction:<visit>`) asks them to call the
client and tap how satisfied the client was, 1–5; then any issue, or Skip. The score shows on
the client's timeline and feeds an assessment item of source "satisfaction"; a score at or
below `satisfaction.complaint_at_or_below` opens a complaint (`handlers/complaints/`), the
department responsible being the salesperson's own.

The reminder rows are made by the scheduler's tick from the visits themselves
(`call_back_rows`), like the other rows due by the clock, for visits of the last
`satisfaction.chase_days` days: a visit logged a week late still gets its call, a bot down
for a month does not call back on every old visit. The score is one per visit: a second tap
of a score button, or a stale form, says it was already recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.complaints.record import open_complaint
from handlers.engine.context import Ctx, named_by, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Gone, Step
from handlers.engine.i18n import N_, Translator, clipped
from handlers.engine.messages import Button, Message, action_id, rows
from handlers.engine.registry import Feature
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import Person, Reminder, Satisfaction, Visit

KIND = "visit.satisfaction"
FORM_NAME = "sat"
SCORES = range(1, 6)


def key_for(visit_id: int) -> str:
    return f"{KIND}:{visit_id}"


# ---------------------------------------------------------------------------- the reminder


def call_back_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """A row for each recent visit with no score yet whose call-back time has come."""
    settings = policy.satisfaction
    org_today = now.astimezone(ZoneInfo(policy.org.default_timezone)).date()
    since = org_today - timedelta(days=settings.chase_days)
    visits = session.execute(
        select(Visit.id, Visit.person_id, Visit.visited_on)
        .outerjoin(Satisfaction, Satisfaction.visit_id == Visit.id)
        .where(Visit.visited_on >= since, Satisfaction.id.is_(None))
    ).all()
    if not visits:
        return []
    calendar = WorkCalendar.for_policy(policy)
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({v[1] for v in visits})))
    }
    found = []
    for visit_id, person_id, visited_on in visits:
        person = people[person_id]
        if not person.active:
            continue
        day = calendar.add_working_days(visited_on, settings.after_working_days)
        due = datetime.combine(day, policy.working_days.day_start, zone_of(person, policy))
        if due > now:
            continue
        found.append(
            reminder_row(key_for(visit_id), person_id, KIND, due, {}, "visit", visit_id, now)
        )
    return found


def _open_visit(session: Session, visit_id: int | None) -> Visit | None:
    """The visit, while it still has no score."""
    visit = session.get(Visit, visit_id or 0)
    if visit is None:
        return None
    recorded = session.scalar(select(Satisfaction.id).where(Satisfaction.visit_id == visit.id))
    return None if recorded else visit


def score_buttons(t: Translator, visit: Visit) -> tuple[tuple[Button, ...], ...]:
    return rows(*(Button(t(f"sat.score.{n}"), f"sat:{visit.id}:{n}") for n in SCORES), per_row=5)


@renders(KIND)
def render_call_back(view: ReminderView) -> Message | None:
    visit = _open_visit(view.session, view.reminder.subject_id)
    if visit is None:
        return None
    t = view.t
    text = t(
        "sat.remind",
        client=visit.client.name,
        contact=visit.contact,
        date=t.date(visit.visited_on),
    )
    return reminder_message(view, text, *score_buttons(t, visit))


# ---------------------------------------------------------------------------- recording it


def press(ctx: Ctx, parts: list[str]) -> None:
    """`sat:<visit>:<score>` — only the salesperson who made the visit, once per visit."""
    visit = named_by(ctx.session, Visit, parts)
    score = action_id(parts[1]) if len(parts) == 2 else None
    if visit is None or score not in SCORES:
        ctx.say("button.stale")
        return
    if visit.person_id != ctx.person.id:
        ctx.audit("satisfaction.refused", "visit", visit.id)
        ctx.say("sat.not_yours")
        return
    if _open_visit(ctx.session, visit.id) is None:
        ctx.say("sat.already", client=visit.client.name)
        return
    engine.start(ctx, FORM, prefill={"@visit": visit.id, "@score": score})


def _still_open(ctx: Ctx, data: Data) -> None:
    if _open_visit(ctx.session, int(data["@visit"])) is None:
        raise Gone(N_("sat.gone"))


def _summary(ctx: Ctx, data: Data) -> str:
    return ""


def _submit(ctx: Ctx, data: Data) -> None:
    visit = _open_visit(ctx.session, int(data["@visit"]))
    if visit is None:
        raise Gone(N_("sat.gone"))
    score = int(data["@score"])
    issue = data.get("issue") or None
    row = Satisfaction(
        visit_id=visit.id,
        client_id=visit.client_id,
        person_id=ctx.person.id,
        score=score,
        issue=issue,
        recorded_at=ctx.now,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError:  # the same visit scored from another device meanwhile
        raise Gone(N_("sat.gone")) from None
    ctx.session.execute(
        update(Reminder)
        .where(Reminder.key == key_for(visit.id), Reminder.state.in_(("pending", "sent")))
        .values(state="done")
        .execution_options(synchronize_session=False)
    )
    ctx.audit("satisfaction.record", "visit", visit.id, score=score)
    ctx.say("sat.saved", client=visit.client.name, score=score)
    if score <= ctx.policy.satisfaction.complaint_at_or_below:
        text = issue or ctx.t("sat.low_score", score=score)
        open_complaint(
            ctx, visit.client, ctx.person.department, text, source="satisfaction", origin=row
        )


FORM = Form(
    FORM_NAME,
    N_("sat.title"),
    # The score is the button tapped on the reminder (`@score`); then any issue.
    (Step("issue", N_("sat.ask.issue"), optional=True, max_length=500),),
    _summary,
    _submit,
    confirm=False,
    still_open=_still_open,
)


# ---------------------------------------------------------------------------- the timeline


def on_visit(session: Session, t: Translator, visit_id: int) -> str:
    """ " · 满意度 4/5" after a visit's line on the client's timeline, or nothing."""
    row = session.scalars(select(Satisfaction).where(Satisfaction.visit_id == visit_id)).first()
    if row is None:
        return ""
    issue = t("sat.issue_part", issue=clipped(row.issue, 40)) if row.issue else ""
    return t("sat.on_visit", score=row.score) + issue


FEATURE = Feature(actions={"sat": press}, forms=(FORM,))
