"""The daily digest (SPEC §8, §11): one short message per person, at their local morning.

A digest is made of sections, each registered for the roles it serves with `@section`
(`handlers/digest/sections/base.py`); a section yields `Line`s, each one item under a topic
("Today", "Due", "Waiting for your decision"...). The items of a topic share one bullet line,
joined with " · ", in the order the sections come; a line may carry a row of buttons (the
approval buttons, a check-in). A topic shows `MAX_ITEMS` items and counts the rest ("+3
more"): a section whose items grow with the company (the GM's team, the day's guests) reads
only those and yields `More` with the count (`DigestView.first`), so a digest costs the same
in a company of any size. A person with several roles gets every section of each in the one
message, and no message at all when nothing has anything to say.

Sections (SPEC §8), one module per role in `handlers/digest/sections/`, imported below so
that they are registered before any digest is built:
- `sales`: receptions today and tomorrow, today's planned visits, what is due (visit
  reports, next steps agreed at visits, close-outs, follow-up calls), clients past their
  visit frequency;
- `approvers`, anyone who may decide (approvers and their active delegates): pending
  approvals, with Approve / Reject / Ask for changes;
- `managers` (manager and GM): the team's guests today, the team's visits on the last working
  day, overdue visit reports, plan completion this month;
- `admin_office`: open checklist items for receptions today and tomorrow;
- `front_desk`: today's expected guests, each with a check-in button.
The visit rules themselves (deadlines, frequency, completion) are `handlers/visits/rules.py`.

The scheduler (`handlers/schedule.py`) makes one `digest.daily` reminder row per person and
local working day, due at the policy's digest time; the renderer below turns it into the
message, or drops it when empty or when its day has passed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from handlers.digest.sections import (  # noqa: F401  (imported so that their sections register)
    admin_office,
    approvers,
    field,
    front_desk,
    managers,
    sales,
    service,
)
from handlers.digest.sections.base import MAX_ITEMS, SECTIONS, DigestView, Line, More
from handlers.engine.context import translator_for, zone_of
from handlers.engine.messages import Button, Message
from handlers.reminders import ReminderView, renders
from handlers.rules.policy.schema import Policy
from storage.models import Person

# Topics in the order a reader scans them: decisions first, their own day, then the team's.
TOPICS = (
    "approvals",
    "today",
    "tomorrow",
    "due",
    "overdue_clients",
    "arrivals",
    "team_visits",
    "overdue_reports",
    "plan",
    "complaints",
    "prep_today",
    "prep_tomorrow",
    "guests",
)
KIND = "digest.daily"


# ---------------------------------------------------------------------------- when


def digest_window(policy: Policy, tz: tzinfo, day: date) -> tuple[datetime, datetime]:
    """When `day`'s digest may go out in zone `tz`: from the digest time to the end of
    working hours (a bot that was down all morning still sends it; one down all day does
    not send a stale "good morning" at night)."""
    start = datetime.combine(day, policy.digest.time, tz)
    end_of_work = policy.working_days.day_end
    if end_of_work > policy.digest.time:
        return start, datetime.combine(day, end_of_work, tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tz)


# ---------------------------------------------------------------------------- building


def build(
    session: Session,
    policy: Policy,
    person: Person,
    now: datetime,
    day: date,
    greeting: bool = True,
) -> Message | None:
    """The person's digest for `day`, or None when there is nothing to say; without its
    morning greeting for a home screen, read at any hour."""
    t = translator_for(session, person, policy, now=now)
    view = DigestView(session, policy, person, t, zone_of(person, policy), now, day)
    topics: dict[str, list[Line]] = {}
    unread: Counter[str] = Counter()
    for _, roles, fn in SECTIONS:
        if roles and not roles & person.role_set:
            continue
        for line in fn(view):
            if isinstance(line, More):
                unread[line.topic] += line.n
            else:
                topics.setdefault(line.topic, []).append(line)
    if not topics:
        return None
    text = [t("digest.greeting", name=person.name, date=t.date(day))] if greeting else []
    buttons: list[tuple[Button, ...]] = []
    ranked = sorted(topics, key=lambda name: TOPICS.index(name) if name in TOPICS else len(TOPICS))
    for topic in ranked:
        lines = topics[topic]
        shown = [line.item for line in lines[:MAX_ITEMS]]
        hidden = len(lines) - MAX_ITEMS + unread[topic]
        if hidden > 0:
            shown.append(t("digest.more", n=hidden))
        text.append(t("digest.line", topic=t(f"digest.topic.{topic}"), items=" · ".join(shown)))
        buttons += [line.buttons for line in lines[:MAX_ITEMS] if line.buttons]
    return Message("\n".join(text), tuple(buttons))


@renders(KIND)
def _daily(view: ReminderView) -> Message | None:
    day = date.fromisoformat(view.reminder.detail["day"])
    start, end = digest_window(view.policy, view.tz, day)
    if not start <= view.now < end:
        return None  # its morning has passed (the bot was down): tomorrow's will do
    return build(view.session, view.policy, view.person, view.now, day)
