"""The manager's marks on the assessment's manual items (seed 003: 平常工作指标 — 团队合作、
客户维护、平时表现、出勤), 1 to `assessment.mark_max`, tapped at month end.

* `as:p:<person>:<YYYYMM>` shows one team member's card: each manual item with a button per
  mark, the current mark ticked.
* `as:m:<person>:<YYYYMM>:<item>:<mark>` sets a mark. Only the person's manager (or an org
  admin) may, only for an active person, for this month or the one before (a month further
  back is closed: its assessment has been read); a second tap of the same mark changes
  nothing, another mark replaces it. The salesperson is told.
* The reminder `assessment.mark:<manager>:<YYYY-MM>` comes to each manager with a team
  `mark_working_days_before_month_end` working days before the month's last working day,
  at the start of working hours, with a button per member (`mark_reminder_rows`, planned by
  the scheduler's tick like the other clock-made rows).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx, named_by, people_with, translator_for
from handlers.engine.i18n import Translator
from handlers.engine.messages import Button, Message, action_id, rows
from handlers.engine.registry import Feature
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.text.months import Month
from handlers.visits.assessment import item_name
from handlers.visits.plan.months import month_label
from handlers.visits.rules import team
from storage.models import AssessmentMark, Person

KIND = "assessment.mark"


def month_code(month: Month) -> str:
    return f"{month.year:04d}{month.month:02d}"


def _month_of(code: str) -> Month | None:
    if len(code) != 6 or not code.isdecimal() or not 1 <= int(code[4:]) <= 12:
        return None
    return Month(int(code[:4]), int(code[4:]))


def mark_button(t: Translator, person: Person, month: Month) -> Button:
    return Button(
        t("assess.mark_button", name=person.name), f"as:p:{person.id}:{month_code(month)}"
    )


def manual_items(policy: Policy) -> list[str]:
    return [key for key, item in policy.assessment.items.items() if item.source == "manual"]


def _marks(session: Session, person: Person, month: Month) -> dict[str, AssessmentMark]:
    found = session.scalars(
        select(AssessmentMark).where(
            AssessmentMark.person_id == person.id,
            AssessmentMark.year == month.year,
            AssessmentMark.month == month.month,
        )
    )
    return {mark.item: mark for mark in found}


def _may_mark(ctx: Ctx, person: Person | None, month: Month | None) -> bool:
    """Says why not and returns False unless the presser may mark this person's month now."""
    if person is None or month is None:
        ctx.say("button.stale")
        return False
    if person.manager_id != ctx.person.id and not ctx.person.has_role("org_admin"):
        ctx.audit("assessment.refused", "person", person.id)
        ctx.say("assess.not_your_team", name=person.name)
        return False
    if not person.active:
        ctx.say("assess.left", name=person.name)
        return False
    this = Month.of(ctx.local_now.date())
    if month not in (this, this.plus(-1)):
        ctx.say("assess.closed", month=month_label(ctx.t, month.year, month.month))
        return False
    return True


def show_card(ctx: Ctx, person: Person, month: Month, note: str = "") -> None:
    """The person's manual items for the month, a row of marks each, the current one ticked;
    the copy on screen is replaced, so an old card never shows a mark that changed."""
    t = ctx.t
    marks = _marks(ctx.session, person, month)
    top = ctx.policy.assessment.mark_max
    lines = [t("assess.card", name=person.name, month=month_label(t, month.year, month.month))]
    layout: tuple[tuple[Button, ...], ...] = ()
    for index, key in enumerate(manual_items(ctx.policy)):
        mark = marks.get(key)
        shown = t("assess.card_mark", mark=mark.mark, top=top) if mark else t("assess.card_none")
        lines.append(t("assess.card_item", name=item_name(t, key), mark=shown))
        layout += rows(
            *(
                Button(
                    f"✓ {n}" if mark and mark.mark == n else str(n),
                    f"as:m:{person.id}:{month_code(month)}:{index}:{n}",
                )
                for n in range(1, top + 1)
            ),
            per_row=top,
        )
    if note:
        lines.append(note)
    card = f"assess:{person.id}:{month_code(month)}"
    ctx.replies.append(Message("\n".join(lines), layout, card=card, replace=bool(note)))


def press(ctx: Ctx, parts: list[str]) -> None:
    """`as:p:<person>:<YYYYMM>` and `as:m:<person>:<YYYYMM>:<item>:<mark>`."""
    if len(parts) == 3 and parts[0] == "p":
        person = named_by(ctx.session, Person, parts, 1)
        month = _month_of(parts[2])
        if _may_mark(ctx, person, month):
            assert person is not None and month is not None
            show_card(ctx, person, month)
        return
    if len(parts) != 5 or parts[0] != "m":
        ctx.say("button.stale")
        return
    person = named_by(ctx.session, Person, parts, 1)
    month = _month_of(parts[2])
    index, value = action_id(parts[3]), action_id(parts[4])
    items = manual_items(ctx.policy)
    top = ctx.policy.assessment.mark_max
    if not _may_mark(ctx, person, month):
        return
    assert person is not None and month is not None
    if index is None or not 0 <= index < len(items) or value is None or not 1 <= value <= top:
        ctx.say("button.stale")  # the policy's items or scale changed since the card
        return
    _set(ctx, person, month, items[index], value)


def _set(ctx: Ctx, person: Person, month: Month, item: str, value: int) -> None:
    t = ctx.t
    mark = _marks(ctx.session, person, month).get(item)
    if mark is not None and mark.mark == value:
        show_card(ctx, person, month, t("assess.same", mark=value))
        return
    if mark is None:
        mark = AssessmentMark(
            person_id=person.id,
            year=month.year,
            month=month.month,
            item=item,
            mark=value,
            marked_by_id=ctx.person.id,
            marked_at=ctx.now,
        )
        try:
            with ctx.session.begin_nested():
                ctx.session.add(mark)
        except IntegrityError:  # another tap stored it meanwhile: this one replaces it
            mark = _marks(ctx.session, person, month)[item]
    mark.mark, mark.marked_by_id, mark.marked_at = value, ctx.person.id, ctx.now
    ctx.audit(
        "assessment.mark", "person", person.id, month=month_code(month), item=item, mark=value
    )
    show_card(ctx, person, month, t("assess.saved", name=person.name, mark=value))
    told = translator_for(ctx.session, person, ctx.policy, now=ctx.now)
    text = told(
        "assess.told",
        manager=ctx.person.name,
        month=month_label(told, month.year, month.month),
        item=item_name(told, item),
        mark=value,
        top=ctx.policy.assessment.mark_max,
    )
    key = f"assess:{person.id}:{month_code(month)}:{item}:{ctx.now.isoformat()}"
    ctx.notify(person, Message(text), key)


# ---------------------------------------------------------------------------- the reminder


def mark_day(policy: Policy, month: Month) -> datetime:
    """When managers are asked for the month's marks (org zone, start of working hours)."""
    calendar = WorkCalendar.for_policy(policy)
    last = calendar.last_working_day_of_month(month.year, month.month)
    day = calendar.add_working_days(last, -policy.assessment.mark_working_days_before_month_end)
    return datetime.combine(
        day, policy.working_days.day_start, ZoneInfo(policy.org.default_timezone)
    )


def mark_reminder_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """From the mark day to the month's end: one row per manager with a team who sells, for
    an INSERT that skips the keys already stored."""
    if not manual_items(policy):
        return []
    month = Month.of(now.astimezone(ZoneInfo(policy.org.default_timezone)).date())
    due = mark_day(policy, month)
    if now < due:
        return []
    found = []
    for manager in people_with(session, "manager"):
        if not team(session, manager):
            continue
        key = f"{KIND}:{manager.id}:{month.year:04d}-{month.month:02d}"
        detail = {"year": month.year, "month": month.month}
        found.append(reminder_row(key, manager.id, KIND, due, detail, "month", created_at=now))
    return found


@renders(KIND)
def render_mark(view: ReminderView) -> Message | None:
    month = Month(int(view.reminder.detail["year"]), int(view.reminder.detail["month"]))
    members = team(view.session, view.person)
    waiting = [
        p for p in members if len(_marks(view.session, p, month)) < len(manual_items(view.policy))
    ]
    if not waiting:
        return None
    t = view.t
    names = [item_name(t, key) for key in manual_items(view.policy)]
    text = t(
        "assess.remind",
        month=month_label(t, month.year, month.month),
        items=t("assess.item_sep").join(names),
        n=len(waiting),
    )
    buttons = rows(*(mark_button(t, p, month) for p in waiting), per_row=3)
    return reminder_message(view, text, *buttons)


FEATURE = Feature(actions={"as": press})
