"""Monthly visit plans (拜访计划), SPEC §7 and seed 001: "业务人员每月底应提出次月拜望打算书,
呈部门主管审核".

A salesperson adds entries (client, day, purpose) to next month's plan with `/plan`, sees
the plan, and submits it; their manager approves it or asks for changes through the generic
approval chain (subject "plan"). While it waits it cannot change; once approved, an edit
makes it a draft that must be approved again.

Reminders (rows in `reminder`, sent by the scheduler):
* `plan.deadline:<person>:<YYYY-MM>` — the plan for YYYY-MM is not filed yet; due
  `visits.plan_reminder_working_days_before` working days before the deadline
  (`Policy.plan_deadline`). `deadline_reminder_rows` lists the month's rows for the
  scheduler to insert on each tick (keys make it idempotent), or `ensure_deadline_reminders`
  stores them; submitting the plan cancels the person's row, and its renderer drops a row
  whose plan has been filed meanwhile.
* `visit.report_due:<entry>` — stored when the plan is approved, for each planned visit:
  due at the end of the report deadline (`visit_rules.report_due_at`); a logged visit that
  closes the entry marks it done, and removing the entry cancels it.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from handlers.approval import chain as approval
from handlers.approval.subjects import Subject, register
from handlers.engine.context import Ctx, named_by, zone_of
from handlers.engine.forms import engine
from handlers.engine.forms.model import Data, Form, Invalid, Kind, Step
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, action_id, rows
from handlers.engine.registry import Command, Feature
from handlers.org.clients import REGION_STEP, client_choices, client_label, may_see_work_of
from handlers.reception.card import chain_line
from handlers.reminders import ReminderView, reminder_message, reminder_row, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.text.months import Month, parse_month
from handlers.visits import form as visit
from handlers.visits import rules as visit_rules
from handlers.visits.rules import FILED, plan_deadline_key, plan_of, report_key
from storage.inserts import insert_new
from storage.models import ApprovalStep, Person, PlanEntry, Reminder, VisitPlan

FORM_NAME = "plan"
SUBJECT = "plan"
SUBMITTABLE = ("draft", "changes", "rejected")
SENT_BACK = ("changes", "rejected")  # the manager's note says why
EDITABLE = (*SUBMITTABLE, "approved")


# ---------------------------------------------------------------------------- months


def month_label(t: Translator, year: int, month: int) -> str:
    return format_date(date(year, month, 1), t("plan.fmt.month"), locale=t.locale)


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _target(ctx: Ctx, data: Data) -> tuple[int, int]:
    """The month an entry goes into: the one the person opened, else next month."""
    chosen = data.get("@month")
    if chosen:
        year, month = str(chosen).split("-")
        return int(year), int(month)
    following = Month.of(ctx.local_now.date()).next
    return following.year, following.month


def _may_plan(ctx: Ctx, year: int, month: int) -> bool:
    """This month (a late plan) or next month."""
    this = Month.of(ctx.local_now.date())
    return Month(year, month) in (this, this.next)


def deadline(policy: Policy, year: int, month: int) -> date:
    """The day the plan for (year, month) is due: in the month before (seed: 每月底)."""
    before = Month(year, month).plus(-1)
    return policy.plan_deadline(before.year, before.month, WorkCalendar.for_policy(policy))


def purpose_text(t: Translator, purpose: str) -> str:
    return t(f"visit.purpose.{purpose}") if purpose in visit_rules.PURPOSES else purpose


# ---------------------------------------------------------------------------- the entry form


def _month_params(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"month": month_label(ctx.t, *_target(ctx, data))}


def _in_month(ctx: Ctx, data: Data, value: str) -> None:
    day = date.fromisoformat(value)
    year, month = _target(ctx, data)
    if (day.year, day.month) != (year, month):
        raise Invalid(N_("plan.error.not_in_month"), month=month_label(ctx.t, year, month))
    if day < ctx.local_now.date():
        raise Invalid(N_("plan.error.past"), date=ctx.t.date(day))


STEPS = (
    Step(
        "client",
        N_("plan.ask.client"),
        Kind.CHOICE,
        client_choices,
        read=visit.read_client,
        params=_month_params,
    ),
    REGION_STEP,
    Step("date", N_("plan.ask.date"), Kind.DATE, check=_in_month, params=_month_params),
    Step(
        "purpose",
        N_("plan.ask.purpose"),
        Kind.CHOICE,
        visit.purpose_choices,
        allow_other=True,
        max_length=100,
    ),
)


def _entry_summary(ctx: Ctx, data: Data) -> str:
    t = ctx.t
    line = t(
        "plan.entry",
        date=t.date(date.fromisoformat(data["date"])),
        client=client_label(ctx, data),
        purpose=purpose_text(t, data["purpose"]),
    )
    return t("plan.entry_summary", entry=line)


def _entry_submit(ctx: Ctx, data: Data) -> None:
    """Add the entry to the person's plan for its month, then show that plan."""
    year, month = _target(ctx, data)
    if not _may_plan(ctx, year, month):
        raise Invalid(N_("plan.error.month"))
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        raise Invalid(N_("plan.error.pending"))
    client = visit.client_for(ctx, data)
    day = date.fromisoformat(data["date"])
    if plan is None:
        plan = VisitPlan(person_id=ctx.person.id, year=year, month=month, created_at=ctx.now)
        plan.state, plan.round = "draft", 0
        ctx.session.add(plan)
        ctx.session.flush()
    if any(e.client_id == client.id and e.planned_on == day for e in plan.entries):
        raise Invalid(N_("plan.error.duplicate"))
    entry = PlanEntry(
        client_id=client.id, planned_on=day, purpose=data["purpose"], created_at=ctx.now
    )
    plan.entries.append(entry)
    ctx.session.flush()
    ctx.audit("plan.entry_add", "visit_plan", plan.id, entry=entry.id)
    _touched(ctx, plan)
    show(ctx, plan.year, plan.month)


def _touched(ctx: Ctx, plan: VisitPlan) -> None:
    """An approved plan that changes must be approved again."""
    if plan.state == "approved":
        plan.state = "draft"
        ctx.audit("plan.reopen", "visit_plan", plan.id)
        ctx.say("plan.reopened")


FORM = Form(FORM_NAME, N_("plan.title"), STEPS, _entry_summary, _entry_submit, confirm=False)


# ---------------------------------------------------------------------------- showing a plan


def entries_of(plan: VisitPlan) -> list[PlanEntry]:
    """In date order, as numbered on screen (a just-added entry is last in the collection)."""
    return sorted(plan.entries, key=lambda e: (e.planned_on, e.id))


def plan_lines(t: Translator, plan: VisitPlan) -> list[str]:
    lines = []
    for number, entry in enumerate(entries_of(plan), start=1):
        line = t(
            "plan.entry",
            date=t.date(entry.planned_on),
            client=entry.client.name,
            purpose=purpose_text(t, entry.purpose),
        )
        lines.append(f"{number}. {line}" + (" ✅" if entry.visit_id else ""))
    return lines


def manager_note(session: Session, plan: VisitPlan, t: Translator, round_: int) -> str | None:
    """The note a decision of that round left (what to change, why rejected), by whom."""
    step = session.scalars(
        select(ApprovalStep)
        .where(
            ApprovalStep.subject == SUBJECT,
            ApprovalStep.subject_id == plan.id,
            ApprovalStep.round == round_,
            ApprovalStep.state.in_(("changes", "rejected")),
        )
        .limit(1)
    ).first()
    if step is None or step.decided_by is None:
        return None
    mark = "❌" if step.state == "rejected" else "↩"
    return t("plan.note", mark=mark, name=step.decided_by.name, note=step.note)


def show(ctx: Ctx, year: int, month: int) -> None:
    """The person's plan for a month, with what they can do with it now."""
    t = ctx.t
    label = month_label(t, year, month)
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    can_add = _may_plan(ctx, year, month)
    add = Button(t("plan.add"), f"pl:add:{month_key(year, month)}", "primary")
    if plan is None or not plan.entries:
        ctx.reply(t("plan.empty", month=label), rows(add) if can_add else ())
        return
    head = t("plan.view", month=label, state=t(f"plan.state.{plan.state}"), n=len(plan.entries))
    lines = [head, *plan_lines(t, plan)]
    note = manager_note(ctx.session, plan, t, plan.round) if plan.state in SENT_BACK else None
    if note:
        lines.append(note)
    if plan.state in SUBMITTABLE:
        due = deadline(ctx.policy, year, month)
        key = "plan.deadline_line" if ctx.local_now.date() <= due else "plan.deadline_passed"
        lines.append(t(key, date=t.date(due)))
    buttons: list[Button] = []
    if plan.state in EDITABLE and can_add:
        buttons.append(add)
    if plan.state in SUBMITTABLE:
        buttons.append(Button(t("plan.submit"), f"pl:sub:{plan.id}", "primary"))
    if plan.state == "pending":
        buttons.append(Button(t("plan.withdraw"), f"pl:wd:{plan.id}", "danger"))
    layout = rows(*buttons, per_row=3)
    if plan.state in EDITABLE:
        removable = [
            Button(t("plan.remove", n=n), f"pl:rm:{e.id}")
            for n, e in enumerate(entries_of(plan), start=1)
            if e.visit_id is None
        ]
        layout += rows(*removable, per_row=4)
    ctx.reply("\n".join(lines), layout)


# ---------------------------------------------------------------------------- commands, buttons


def command(ctx: Ctx, argument: str) -> None:
    """`/plan` shows next month's plan; `/plan 2026-12` another month's; `/plan add` adds a
    visit to next month's; `/plan submit` sends it to the manager."""
    words = argument.split()
    action = words[0].lower() if words else ""
    today = ctx.local_now.date()
    following = Month.of(today).next
    next_month = following.year, following.month
    if action in ("add", "添加", "submit", "提交"):
        target = parse_month(" ".join(words[1:]), today, ahead=True) if words[1:] else None
        year, month = target or next_month
        if action in ("add", "添加"):
            _add(ctx, year, month)
            return
        plan = plan_of(ctx.session, ctx.person.id, year, month)
        if plan is None or not plan.entries:
            ctx.say("plan.error.empty", month=month_label(ctx.t, year, month))
            return
        submit_plan(ctx, plan)
        return
    target = parse_month(argument, today, ahead=True) if action else next_month
    if target is None:
        ctx.say("plan.usage")
        return
    show(ctx, *target)


def _add(ctx: Ctx, year: int, month: int) -> None:
    if not _may_plan(ctx, year, month):
        ctx.say("plan.error.month")
        return
    plan = plan_of(ctx.session, ctx.person.id, year, month)
    if plan is not None and plan.state == "pending":
        ctx.say("plan.error.pending")
        return
    engine.start(ctx, FORM, prefill={"@month": month_key(year, month)})


def _own_plan(ctx: Ctx, plan_id: str) -> VisitPlan | None:
    plan = named_by(ctx.session, VisitPlan, [plan_id])
    if plan is None or plan.person_id != ctx.person.id:
        ctx.say("plan.not_yours")
        return None
    return plan


def press(ctx: Ctx, parts: list[str]) -> None:
    """`pl:add:<YYYY-MM>`, `pl:show:<YYYY-MM|plan id>`, `pl:sub:<plan>`, `pl:wd:<plan>`,
    `pl:rm:<entry>` (`pl:rmok:<entry>` once confirmed) — each only on the person's own plan."""
    if len(parts) != 2:
        ctx.say("button.stale")
        return
    action, value = parts
    if action in ("add", "show") and action_id(value) is None:
        target = parse_month(value, ctx.local_now.date(), ahead=True)
        if target is None:
            ctx.say("button.stale")
        elif action == "add":
            _add(ctx, *target)
        else:
            show(ctx, *target)
        return
    if action in ("rm", "rmok"):
        _remove(ctx, value, confirmed=action == "rmok")
        return
    plan = _own_plan(ctx, value)
    if plan is None:
        return
    if action == "show":
        show(ctx, plan.year, plan.month)
    elif action == "sub":
        submit_plan(ctx, plan)
    elif action == "wd":
        withdraw(ctx, plan)
    else:
        ctx.say("button.stale")


def _remove(ctx: Ctx, entry_id: str, confirmed: bool) -> None:
    """Take a visit off the plan; off an approved plan (which must then be approved again)
    only once the person confirms."""
    entry = named_by(ctx.session, PlanEntry, [entry_id])
    if entry is None or entry.plan.person_id != ctx.person.id:
        ctx.say("plan.not_yours")
        return
    plan = entry.plan
    if plan.state not in EDITABLE:
        ctx.say("plan.error.pending")
        return
    if entry.visit_id is not None:
        ctx.say("plan.error.done")
        return
    if plan.state == "approved" and not confirmed:
        t = ctx.t
        n = entries_of(plan).index(entry) + 1
        what = t("plan.entry_short", date=t.date(entry.planned_on), client=entry.client.name)
        yes = Button(t("plan.remove_yes"), f"pl:rmok:{entry.id}", "danger")
        no = Button(t("plan.remove_no"), f"pl:show:{plan.id}")
        ctx.reply(t("plan.remove_confirm", n=n, what=what), rows(yes, no))
        return
    _close(ctx, report_key(entry.id), "cancelled")
    plan.entries.remove(entry)
    ctx.session.flush()
    ctx.audit("plan.entry_remove", "visit_plan", plan.id, entry=int(entry_id))
    _touched(ctx, plan)
    show(ctx, plan.year, plan.month)


def submit_plan(ctx: Ctx, plan: VisitPlan) -> None:
    """Send the plan to the manager; a plan sent back for changes goes in a new round."""
    if plan.state not in SUBMITTABLE:
        ctx.say("plan.error.state", state=ctx.t(f"plan.state.{plan.state}"))
        return
    if not plan.entries:
        ctx.say("plan.error.empty", month=month_label(ctx.t, plan.year, plan.month))
        return
    _close(ctx, plan_deadline_key(plan.person_id, plan.year, plan.month), "cancelled")
    approval.submit(ctx, SUBJECT, plan, ["manager"], "visit_plan", entries=len(plan.entries))


def withdraw(ctx: Ctx, plan: VisitPlan) -> None:
    if plan.state != "pending":
        ctx.say("plan.error.state", state=ctx.t(f"plan.state.{plan.state}"))
        return
    plan.state = "draft"
    approval.cancel_round(ctx, SUBJECT, plan.id, plan.round)
    ctx.audit("plan.withdraw", "visit_plan", plan.id)
    ctx.say("plan.withdrawn", month=month_label(ctx.t, plan.year, plan.month))


def _close(ctx: Ctx, key: str, state: str) -> None:
    """A reminder that no longer applies: cancelled if not yet sent, else done."""
    sent_state = "done" if state == "cancelled" else state
    for current, new in (("pending", state), ("sent", sent_state)):
        ctx.session.execute(
            update(Reminder)
            .where(Reminder.key == key, Reminder.state == current)
            .values(state=new)
            .execution_options(synchronize_session=False)
        )


# ---------------------------------------------------------------------------- approval


def _plan(session: Session, plan_id: int) -> VisitPlan:
    plan = session.get(VisitPlan, plan_id)
    assert plan is not None
    return plan


def _requester(session: Session, plan_id: int) -> Person:
    return _plan(session, plan_id).person


def title(session: Session, plan_id: int, t: Translator) -> str:
    plan = _plan(session, plan_id)
    return t("plan.title_of", name=plan.person.name, month=month_label(t, plan.year, plan.month))


def card(
    session: Session,
    policy: Policy,
    plan_id: int,
    steps: list[ApprovalStep],
    t: Translator,
    tz: tzinfo,
) -> str:
    """The manager's card: who, which month, every planned visit, lateness, the chain."""
    plan = _plan(session, plan_id)
    person = plan.person
    head = t(
        "plan.card.title",
        name=person.name,
        department=person.department,
        month=month_label(t, plan.year, plan.month),
        n=len(plan.entries),
    )
    if plan.round > 1:
        head += t("rcp.card.resubmitted", round=plan.round)
    lines = [head, *plan_lines(t, plan)]
    note = manager_note(session, plan, t, plan.round - 1)
    if note:
        lines.append(note)  # the round before's: what the manager asked for
    due = deadline(policy, plan.year, plan.month)
    if plan.submitted_at is not None:
        submitted = plan.submitted_at.astimezone(zone_of(person, policy)).date()
        if submitted > due:
            lines.append(t("plan.card.late", date=t.date(due)))
    lines.append(chain_line(steps, t))
    return "\n".join(lines)


def _concluded(ctx: Ctx, plan_id: int, outcome: str, note: str) -> None:
    plan = _plan(ctx.session, plan_id)
    plan.state = outcome
    plan.decided_at = ctx.now
    if outcome == "approved":
        schedule_report_reminders(ctx.session, ctx.policy, plan, ctx.now)


def _round(session: Session, plan_id: int) -> int:
    plan = session.get(VisitPlan, plan_id)
    return plan.round if plan else 0


register(
    Subject(
        SUBJECT,
        _requester,
        title,
        card,
        _concluded,
        _round,
        lambda person_id: select(VisitPlan.id).where(VisitPlan.person_id == person_id),
        lambda session, plan_id, reader: may_see_work_of(
            session, reader, _requester(session, plan_id)
        ),
        resubmit=(N_("plan.edit_resubmit"), "pl:show:{id}"),
    )
)


# ---------------------------------------------------------------------------- reminders


def schedule_report_reminders(
    session: Session, policy: Policy, plan: VisitPlan, now: datetime
) -> None:
    """For each open planned visit: a reminder if no report has come by its deadline."""
    tz = zone_of(plan.person, policy)
    for entry in plan.entries:
        if entry.visit_id is not None:
            continue
        due = visit_rules.report_due_at(policy, entry.planned_on, tz)
        key = report_key(entry.id)
        row = session.scalars(select(Reminder).where(Reminder.key == key)).first()
        if row is None:
            session.add(
                Reminder(
                    key=key,
                    person_id=plan.person_id,
                    kind="visit.report_due",
                    subject="plan_entry",
                    subject_id=entry.id,
                    due_at=due,
                    created_at=now,
                )
            )
        elif row.state in ("pending", "cancelled"):
            row.due_at, row.state = due, "pending"


def deadline_reminder_rows(session: Session, policy: Policy, now: datetime) -> list[dict[str, Any]]:
    """The "file next month's plan" reminders due this month, one per salesperson who has
    not filed it, as `reminder` rows (column → value) for an INSERT that skips existing keys.

    Made from the start of the month until the deadline; each is due
    `visits.plan_reminder_working_days_before` working days before the deadline, at the start
    of working hours in the person's zone (a row made after that moment is due at once)."""
    today = now.astimezone(ZoneInfo(policy.org.default_timezone)).date()
    following = Month.of(today).next
    year, month = following.year, following.month
    due_day = deadline(policy, year, month)
    if today > due_day:
        return []
    calendar = WorkCalendar.for_policy(policy)
    remind_day = calendar.add_working_days(
        due_day, -policy.visits.plan_reminder_working_days_before
    )
    filed = set(
        session.scalars(
            select(VisitPlan.person_id).where(
                VisitPlan.year == year, VisitPlan.month == month, VisitPlan.state.in_(FILED)
            )
        )
    )
    rows = []
    for person in session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.id)
    ):
        if not person.has_role("sales") or person.id in filed:
            continue
        due_at = datetime.combine(
            remind_day, policy.working_days.day_start, zone_of(person, policy)
        )
        detail = {"year": year, "month": month, "deadline": due_day.isoformat()}
        key = plan_deadline_key(person.id, year, month)
        rows.append(
            reminder_row(
                key, person.id, "plan.deadline", due_at, detail, "visit_plan_month", created_at=now
            )
        )
    return rows


def ensure_deadline_reminders(session: Session, policy: Policy, now: datetime) -> int:
    """Store `deadline_reminder_rows` whose key is new; how many it added. Idempotent, and
    safe beside another process doing the same (a key taken meanwhile is skipped)."""
    return insert_new(session, Reminder, deadline_reminder_rows(session, policy, now))


@renders("plan.deadline")
def render_deadline(view: ReminderView) -> Message | None:
    detail = view.reminder.detail or {}
    year, month = int(detail["year"]), int(detail["month"])
    plan = plan_of(view.session, view.person.id, year, month)
    if plan is not None and plan.state in FILED:
        return None
    t = view.t
    text = t(
        "plan.remind.deadline",
        month=month_label(t, year, month),
        date=t.date(date.fromisoformat(detail["deadline"])),
    )
    return reminder_message(
        view, text, (Button(t("plan.open"), f"pl:show:{month_key(year, month)}", "primary"),)
    )


@renders("visit.report_due")
def render_report_due(view: ReminderView) -> Message | None:
    entry = view.session.get(PlanEntry, view.reminder.subject_id or 0)
    if entry is None or entry.visit_id is not None or entry.plan.state not in FILED:
        return None
    t = view.t
    text = t(
        "plan.remind.report_due",
        client=entry.client.name,
        date=t.date(entry.planned_on),
        due=t.date(visit_rules.report_deadline(view.policy, entry.planned_on)),
    )
    return reminder_message(
        view, text, (Button(t("visit.log_button"), f"vs:e:{entry.id}", "primary"),)
    )


FEATURE = Feature(
    commands=(
        Command(
            "plan",
            N_("help.plan"),
            command,
            frozenset({"sales"}),
            buttons=((N_("plan.submit"), "submit"), (N_("plan.add"), "add")),
            form=FORM_NAME,
        ),
    ),
    actions={"pl": press},
    forms=(FORM,),
)
