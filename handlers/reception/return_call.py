"""The follow-up call (电话回访, seeds 003/004): "按送来访人员走的航班号(车次),估计他们到达的时间,
适时去电". It is due when the guests should be home — their departure plus the policy's travel
time for how they travel, moved into working hours — whether or not the reception is closed
out yet; its result records how it went, a satisfaction score (满意度 1–5) and any issue."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Choice, Data, Form, Gone, Kind, Step
from handlers.engine.i18n import N_
from handlers.engine.messages import Button, Message
from handlers.engine.registry import Feature
from handlers.reception.own import form_reception, own_in, remind_requester, start_on_own
from handlers.reminders import ReminderView, reminder_message, renders
from handlers.rules.policy.after_approval import TRAVEL_MODES
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import AuditEntry, Reception, Reminder

KIND = "reception.followup"
CALLED_FROM = ("approved", "closed")  # before or after the close-out
SCORES = tuple(str(score) for score in range(1, 6))
# A flight or train number typed for the pickup (seeds: 航班号, 车次): China's trains are a
# letter of G D C Z T K Y L S then digits; a flight is a two-character airline code, digits.
_TRAIN = re.compile(r"\b[GDCZTKYLS]\d{1,4}\b", re.IGNORECASE)
_FLIGHT = re.compile(r"\b(?=[A-Z0-9]{2}\d)[A-Z0-9]{2}\d{2,4}\b", re.IGNORECASE)


def travel_mode(policy: Policy, reception: Reception) -> str:
    """How the guests travel home: as the host's arrangements say, else as the pickup's
    flight or train number says they came, else the policy's default."""
    said = (reception.arrangements or {}).get("return_by")
    if said in TRAVEL_MODES:
        return str(said)
    ref = str(reception.answers.get("pickup_ref") or "") if reception.answers.get("pickup") else ""
    if _TRAIN.search(ref):
        return "train"
    if _FLIGHT.search(ref):
        return "plane"
    return policy.follow_up.default_travel


def due_at(policy: Policy, reception: Reception) -> datetime:
    """When the guests should be home, or the next working moment after it."""
    hours = policy.follow_up.travel_hours.of(travel_mode(policy, reception))
    home = reception.departure_at + timedelta(hours=hours)
    calendar = WorkCalendar.for_policy(policy)
    local = home.astimezone(calendar.tz)
    day = local.date()
    start, end = policy.working_days.day_start, policy.working_days.day_end
    if calendar.is_working_day(day) and local.time() < end:
        return max(home, datetime.combine(day, start, calendar.tz))
    return datetime.combine(calendar.next_working_day(day), start, calendar.tz)


def schedule(ctx: Ctx, reception: Reception) -> None:
    """Due the call (again): at approval, and when the dates or the way home change."""
    remind_requester(ctx, reception, KIND, due_at(ctx.policy, reception))


@renders(KIND)
def _reminder(view: ReminderView) -> Message | None:
    """When the guests should be home: call them and log how it went."""
    reception = view.session.get(Reception, view.reminder.subject_id or 0)
    if reception is None or reception.state not in CALLED_FROM or reception.follow_up:
        return None
    t = view.t
    text = t(
        "reminder.reception.followup",
        client=reception.client.name,
        contact=reception.answers.get("guest") or "",
        title=t("rcp.title_of", id=reception.id, client=reception.client.name),
    )
    log_it = (Button(t("followup.log"), f"fu:{reception.id}", "primary"),)
    return reminder_message(view, text, log_it)


def _awaiting_follow_up(ctx: Ctx, item: Reception | None) -> Reception:
    """`item` if its follow-up call is still to be logged (see `own_in`); else Invalid
    saying when and what was logged. The state does not change with the call, so the logged
    result is what says it is done, and an old button must not overwrite it."""
    item = own_in(ctx, item, *CALLED_FROM)
    if item.follow_up is None:
        return item
    logged = ctx.session.scalar(
        select(AuditEntry.at)
        .where(
            AuditEntry.subject == "reception",
            AuditEntry.subject_id == item.id,
            AuditEntry.action == "reception.follow_up",
        )
        .order_by(AuditEntry.at)
        .limit(1)
    )
    params = {"client": item.client.name, "result": item.follow_up}
    if logged is None:  # set outside the bot (a hand edit): nothing says when
        raise Gone(N_("followup.already_undated"), **params)
    raise Gone(N_("followup.already"), at=ctx.t.datetime(logged, ctx.tz), **params)


def awaits_call(item: Reception) -> bool:
    """Whether the requester can still log this reception's call (a `fu:` button)."""
    return item.state in CALLED_FROM and item.follow_up is None


def start_follow_up(ctx: Ctx, parts: list[str]) -> None:
    """`fu:<reception>` — log how the follow-up call went."""
    start_on_own(ctx, parts, _awaiting_follow_up, FOLLOW_UP_FORM)


def _follow_up_submit(ctx: Ctx, data: Data) -> None:
    item = _awaiting_follow_up(ctx, form_reception(ctx, data))
    item.follow_up = data["result"]
    item.follow_up_score = int(data["score"])
    item.follow_up_issue = data.get("issue") or None
    ctx.audit("reception.follow_up", "reception", item.id, score=item.follow_up_score)
    ctx.session.execute(
        update(Reminder)
        .where(Reminder.key == f"{KIND}:{item.id}", Reminder.state.in_(("pending", "sent")))
        .values(state="done")
    )
    ctx.say("followup.done", client=item.client.name)


SCORE_CHOICES = tuple(Choice(score, f"followup.score.{score}") for score in SCORES)

FOLLOW_UP_FORM = Form(
    "fu",
    N_("followup.title"),
    (
        Step("result", N_("followup.ask"), max_length=500),
        Step("score", N_("followup.ask.score"), Kind.CHOICE, SCORE_CHOICES),
        Step("issue", N_("followup.ask.issue"), optional=True, max_length=500),
    ),
    summary=lambda ctx, data: "",
    submit=_follow_up_submit,
    confirm=False,
)


FEATURE = Feature(actions={"fu": start_follow_up}, forms=(FOLLOW_UP_FORM,))
