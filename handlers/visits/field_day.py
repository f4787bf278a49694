"""The facts of a salesperson's day in the field that several flows read: visiting hours
(seed 003: 从上午8点至下午4点30分为拜访客户时间), check-ins, and how long was spent.

Outside visiting hours (or on a day off) a check-in or a visit is flagged, never refused:
the case may be real (a client who only has the evening), and the manager decides.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.i18n import Translator
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from storage.models import FieldCheckin, Visit


def outside_hours(policy: Policy, moment: datetime, tz: tzinfo) -> bool:
    """Whether `moment`, on the person's clock, falls outside the policy's visiting hours or
    on a day that is not a working day."""
    local = moment.astimezone(tz)
    if not WorkCalendar.for_policy(policy).is_working_day(local.date()):
        return True
    hours = policy.field
    return not hours.visiting_start <= local.time().replace(tzinfo=None) < hours.visiting_end


def day_span(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tz)
    return start, start + timedelta(days=1)


def open_checkin(session: Session, person_id: int) -> FieldCheckin | None:
    return session.scalars(
        select(FieldCheckin).where(
            FieldCheckin.person_id == person_id, FieldCheckin.checked_out_at.is_(None)
        )
    ).first()


def checkins_on(session: Session, person_id: int, day: date, tz: tzinfo) -> list[FieldCheckin]:
    """The person's check-ins of `day` on their clock, in order."""
    start, end = day_span(day, tz)
    return list(
        session.scalars(
            select(FieldCheckin)
            .where(
                FieldCheckin.person_id == person_id,
                FieldCheckin.at >= start,
                FieldCheckin.at < end,
            )
            .order_by(FieldCheckin.at, FieldCheckin.id)
        )
    )


def spent(t: Translator, start: datetime, end: datetime) -> str:
    """Time spent, as people say it: "1小时25分钟", "40 min"."""
    minutes = max(0, round((end - start).total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if hours:
        return t("field.spent_hours", h=hours, m=rest)
    return t("field.spent_minutes", m=rest)


def attach_to_visit(session: Session, policy: Policy, visit: Visit, tz: tzinfo) -> None:
    """A visit takes its time of day and companions from the check-in at its client that day
    (the last one): the salesperson said both when they arrived. A visit checked in outside
    visiting hours, or made on a day off, is flagged."""
    checkins = [
        c
        for c in checkins_on(session, visit.person_id, visit.visited_on, tz)
        if c.client_id == visit.client_id
    ]
    off_day = not WorkCalendar.for_policy(policy).is_working_day(visit.visited_on)
    answers = {**visit.answers, "outside_hours": off_day}
    if checkins:
        checkin = checkins[-1]
        answers |= {
            "time": checkin.at.astimezone(tz).strftime("%H:%M"),
            "companions": checkin.companions,
            "checkin": checkin.id,
            "outside_hours": off_day or checkin.outside_hours,
        }
    visit.answers = answers
