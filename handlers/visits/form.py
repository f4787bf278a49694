"""Logging a client visit (客户拜访), SPEC §7: the `/visit` form and its one-line quick log.

The form is the seed's visit report (seed 003, 大客户拜访日报表): client, date, contact met,
kind (初次拜访 / 解决问题 / 建立关系), purposes (seed 001's 拜访目的), summary, client needs,
competitor news, outcome (商谈成功 / 有希望 / 再度访问 / 无希望 / 继续观察), next step with a due
date, expenses. Saving it closes the planned visit it fulfils (and that plan entry's report
reminder), and a next step becomes a reminder on its due day. Next steps agreed at earlier
visits stay open (the saved message lists them): only Done on a step's reminder closes it.

The quick log (`/visit 华东机电 见了张经理 有希望 下周五回访`, `/visit ACME met Zhang, hopeful,
follow up next Friday`) reads what it can from the line (`quick.parse_quick`), starts the same
form with those answers and today's date filled in, asks only the required questions still
open, and shows the summary to confirm. The optional details it leaves empty can be added
there with "Edit a field".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.forms.model import Choice, Data, Form, Invalid, Kind, Step, answered
from handlers.engine.forms.readers import clean_text
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, Message, action_id
from handlers.engine.registry import Command, Feature
from handlers.org.clients import (
    REGION_STEP,
    client_choices,
    client_label,
    client_reader,
    contact_choices,
    keep_contact,
    own_clients,
    submitted_client,
)
from handlers.reminders import ReminderView, reminder_message, renders
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from handlers.visits import field_day, review
from handlers.visits import rules as visit_rules
from handlers.visits.quick import Quick, parse_quick, visit_day
from storage.models import Client, PlanEntry, Reminder, Visit

FORM_NAME = "visit"
NEW_CLIENT_CLASS = "C"  # 普通: early-stage cooperation, until someone says otherwise


# ---------------------------------------------------------------------------- clients
# Shared with the plan form, which refuses someone else's client with the visit's words.

read_client = client_reader(N_("visit.error.client_taken"))


def client_for(ctx: Ctx, data: Data) -> Client:
    """The chosen client, or the new one created now, owned by the person."""
    classes = list(ctx.policy.classes)
    class_key = NEW_CLIENT_CLASS if NEW_CLIENT_CLASS in classes else classes[-1]
    region = data.get("region") or "local"
    return submitted_client(ctx, data, N_("visit.error.client_taken"), class_key, region)


# ---------------------------------------------------------------------------- steps


def _today(ctx: Ctx) -> date:
    return ctx.local_now.date()


def _day_choices(ctx: Ctx, data: Data) -> list[Choice]:
    today = _today(ctx)
    return [
        Choice(today.isoformat(), N_("visit.today")),
        Choice((today - timedelta(days=1)).isoformat(), N_("visit.yesterday")),
    ]


def read_day(ctx: Ctx, data: Data, text: str) -> str:
    """A button's day, its number, or any date as people type it ("周一", "Nov 16")."""
    options = _day_choices(ctx, data)
    lowered = text.lower()
    for index, choice in enumerate(options, start=1):
        if lowered in (choice.value, choice.text(ctx).lower(), str(index)):
            return choice.value
    try:
        when = parse_when(text, ctx.local_now, ctx.t.lang)
    except DateNotUnderstood as error:
        raise Invalid(f"flow.error.date.{error.reason}") from None
    return visit_day(when.value.date(), clean_text(text), _today(ctx)).isoformat()


def _not_future(ctx: Ctx, data: Data, value: str) -> None:
    day = date.fromisoformat(value)
    if day > _today(ctx):
        raise Invalid(N_("visit.error.future"), date=ctx.t.date(day))


def _kind_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(k, f"visit.kind.{k}") for k in visit_rules.KINDS]


def purpose_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(p, f"visit.purpose.{p}") for p in visit_rules.PURPOSES]


def _outcome_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(o, f"visit.outcome.{o}") for o in visit_rules.OUTCOMES]


def _due_ahead(ctx: Ctx, data: Data, value: str) -> None:
    due = date.fromisoformat(value)
    visited = date.fromisoformat(data["date"]) if data.get("date") else _today(ctx)
    if due < max(_today(ctx), visited):
        raise Invalid(N_("visit.error.due_past"), date=ctx.t.date(due))


def _client_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    return {"client": client_label(ctx, data)}


STEPS = (
    Step("client", N_("visit.ask.client"), Kind.CHOICE, client_choices, read=read_client),
    REGION_STEP,
    Step(
        "date",
        N_("visit.ask.date"),
        Kind.CHOICE,
        _day_choices,
        read=read_day,
        check=_not_future,
        default=lambda ctx, data: _today(ctx).isoformat(),
    ),
    Step(
        "contact",
        N_("visit.ask.contact"),
        Kind.CHOICE,
        contact_choices,
        allow_other=True,
        max_length=100,
        params=_client_params,
    ),
    Step("kind", N_("visit.ask.kind"), Kind.CHOICE, _kind_choices),
    Step("purposes", N_("visit.ask.purposes"), Kind.MULTI, purpose_choices),
    Step("summary", N_("visit.ask.summary"), max_length=1000),
    Step("needs", N_("visit.ask.needs"), optional=True, max_length=500),
    Step("competitors", N_("visit.ask.competitors"), optional=True, max_length=500),
    Step("outcome", N_("visit.ask.outcome"), Kind.CHOICE, _outcome_choices),
    Step("next_step", N_("visit.ask.next_step"), optional=True, max_length=200),
    Step(
        "next_due",
        N_("visit.ask.next_due"),
        Kind.DATE,
        when=answered("next_step"),
        check=_due_ahead,
    ),
    Step(
        "expenses",
        N_("visit.ask.expenses"),
        Kind.MONEY,
        optional=True,
        minimum=Decimal(0),
        maximum=Decimal(1000000),
    ),
)


# ---------------------------------------------------------------------------- summary, submit


def _listed(t: Translator, prefix: str, values: list[str] | None) -> str:
    return t("flow.list_sep").join(t(f"{prefix}.{v}") for v in values or [])


def summary(ctx: Ctx, data: Data) -> str:
    t = ctx.t
    lines = [t("visit.summary_title")]
    lines.append(
        t(
            "visit.line.head",
            client=client_label(ctx, data),
            date=t.date(date.fromisoformat(data["date"])),
            contact=data["contact"],
        )
    )
    if data.get("region"):
        lines.append(t("visit.line.region", region=t(f"visit.region.{data['region']}")))
    lines.append(
        t(
            "visit.line.kind",
            kind=t(f"visit.kind.{data['kind']}"),
            purposes=_listed(t, "visit.purpose", data.get("purposes")),
        )
    )
    lines.append(t("visit.line.summary", text=data["summary"]))
    if data.get("needs"):
        lines.append(t("visit.line.needs", text=data["needs"]))
    if data.get("competitors"):
        lines.append(t("visit.line.competitors", text=data["competitors"]))
    lines.append(t("visit.line.outcome", outcome=t(f"visit.outcome.{data['outcome']}")))
    if data.get("next_step"):
        due = t.date(date.fromisoformat(data["next_due"]))
        lines.append(t("visit.line.next_step", step=data["next_step"], due=due))
    if data.get("expenses"):
        lines.append(t("visit.line.expenses", amount=t.money(Decimal(data["expenses"]))))
    if data.get("@quick") and not all(data.get(k) for k in ("needs", "competitors", "expenses")):
        lines.append(t("visit.quick.more"))
    return "\n".join(lines)


def submit(ctx: Ctx, data: Data) -> None:
    """Save the visit; close the planned visit it fulfils; schedule its next step."""
    client = client_for(ctx, data)
    visited_on = date.fromisoformat(data["date"])
    next_due = date.fromisoformat(data["next_due"]) if data.get("next_step") else None
    visit = Visit(
        person_id=ctx.person.id,
        client_id=client.id,
        visited_on=visited_on,
        contact=data["contact"],
        kind=data["kind"],
        purposes=list(data["purposes"]),
        summary=data["summary"],
        needs=data.get("needs"),
        competitors=data.get("competitors"),
        outcome=data["outcome"],
        next_step=data.get("next_step"),
        next_due=next_due,
        expenses=Decimal(data["expenses"]) if data.get("expenses") else None,
        answers={
            **{k: v for k, v in data.items() if not k.startswith("@")},
            "client": f"c:{client.id}",
        },
        created_at=ctx.now,
    )
    ctx.session.add(visit)
    keep_contact(client, visit.contact)
    ctx.session.flush()
    ctx.audit("visit.log", "visit", visit.id, client=client.id, outcome=visit.outcome)
    field_day.attach_to_visit(ctx.session, ctx.policy, visit, ctx.tz)
    reviewer = review.request(ctx, "visit", visit.id, review.visit_text(visit))
    entry = visit_rules.entry_to_close(ctx.session, ctx.person.id, client.id, visited_on)
    if entry is not None:
        entry.visit_id = visit.id
        _close_reminder(ctx, visit_rules.report_key(entry.id), "done")
        ctx.audit("plan.entry_done", "plan_entry", entry.id, visit=visit.id)
    lines = [
        ctx.t(
            "visit.saved",
            client=client.name,
            date=ctx.t.date(visited_on),
            outcome=ctx.t(f"visit.outcome.{visit.outcome}"),
        )
    ]
    if entry is not None:
        lines.append(ctx.t("visit.saved.plan", date=ctx.t.date(entry.planned_on)))
    if reviewer is not None:
        lines.append(ctx.t("review.sent", name=reviewer.name))
    if visit.next_step and next_due is not None:
        _schedule_next_step(ctx, visit, next_due)
        lines.append(ctx.t("visit.saved.next", step=visit.next_step, due=ctx.t.date(next_due)))
    earlier = [v for v in visit_rules.open_next_steps(ctx.session, client.id) if v.id != visit.id]
    if earlier:
        steps = [
            ctx.t("visit.saved.open_step", step=v.next_step, due=ctx.t.date(v.next_due))
            for v in earlier
            if v.next_due is not None
        ]
        lines.append(ctx.t("visit.saved.open_steps", steps=ctx.t("flow.list_sep").join(steps)))
    ctx.reply("\n".join(lines))


def _schedule_next_step(ctx: Ctx, visit: Visit, due: date) -> None:
    ctx.session.add(
        Reminder(
            key=visit_rules.next_step_key(visit.id),
            person_id=ctx.person.id,
            kind="visit.next_step",
            subject="visit",
            subject_id=visit.id,
            due_at=datetime.combine(due, ctx.policy.working_days.day_start, ctx.tz),
            created_at=ctx.now,
        )
    )


def _close_reminder(ctx: Ctx, key: str, state: str) -> None:
    ctx.session.execute(
        update(Reminder)
        .where(Reminder.key == key, Reminder.state.in_(("pending", "sent")))
        .values(state=state)
        .execution_options(synchronize_session=False)
    )


FORM = Form(FORM_NAME, N_("visit.title"), STEPS, summary, submit)


# ---------------------------------------------------------------------------- starting


def start(ctx: Ctx, argument: str) -> None:
    """`/visit` asks everything; `/visit <one line>` is the quick log."""
    if not clean_text(argument):
        engine.start(ctx, FORM)
        return
    quick = parse_quick(argument, own_clients(ctx.session, ctx.person), ctx.local_now, ctx.t.lang)
    visited_on = quick.visited_on or _today(ctx)
    prefill: Data = {"date": visited_on.isoformat(), "@quick": True}
    prefill |= {"needs": None, "competitors": None, "expenses": None}
    if quick.client is not None:
        prefill["client"] = f"c:{quick.client.id}"
    if quick.contact:
        prefill["contact"] = quick.contact
    if quick.kind:
        prefill["kind"] = quick.kind
    if quick.purposes:
        prefill["purposes"] = list(quick.purposes)
    if quick.outcome:
        prefill["outcome"] = quick.outcome
    if quick.next_due is not None:
        prefill["next_step"] = quick.next_step or ctx.t("visit.quick.follow_up")
        prefill["next_due"] = quick.next_due.isoformat()
    else:
        prefill["next_step"] = None
    understood = _understood(ctx, quick, prefill)
    if understood:
        ctx.say("visit.quick.read", what=understood)
    engine.start(ctx, FORM, prefill=prefill)


def _understood(ctx: Ctx, quick: Quick, prefill: Data) -> str:
    t = ctx.t
    parts = []
    if quick.client is not None:
        parts.append(quick.client.name)
    if quick.visited_on is not None:
        parts.append(t.date(quick.visited_on))
    if quick.contact:
        parts.append(t("visit.quick.contact", contact=quick.contact))
    if quick.kind:
        parts.append(t(f"visit.kind.{quick.kind}"))
    parts += [t(f"visit.purpose.{p}") for p in quick.purposes]
    if quick.outcome:
        parts.append(t(f"visit.outcome.{quick.outcome}"))
    if prefill.get("next_due"):
        due = t.date(date.fromisoformat(prefill["next_due"]))
        parts.append(t("visit.quick.next", step=prefill["next_step"], due=due))
    return " · ".join(parts)


def press(ctx: Ctx, parts: list[str]) -> None:
    """`vs:c:<client>` logs a visit to that client; `vs:e:<plan entry>` logs a planned one."""
    if len(parts) != 2 or action_id(parts[1]) is None:
        ctx.say("button.stale")
        return
    if parts[0] == "c":
        client = named_by(ctx.session, Client, parts, 1)
        if client is None or client.owner_id != ctx.person.id:
            ctx.say("button.stale")
            return
        engine.start(ctx, FORM, prefill={"client": f"c:{client.id}"})
    elif parts[0] == "e":
        entry = named_by(ctx.session, PlanEntry, parts, 1)
        if entry is None or entry.plan.person_id != ctx.person.id:
            ctx.say("button.stale")
            return
        if entry.visit_id is not None:
            ctx.say("visit.entry_done", client=entry.client.name)
            return
        prefill: Data = {"client": f"c:{entry.client_id}"}
        if entry.planned_on <= _today(ctx):
            prefill["date"] = entry.planned_on.isoformat()
        engine.start(ctx, FORM, prefill=prefill)
    else:
        ctx.say("button.stale")


# ---------------------------------------------------------------------------- the reminder


@renders("visit.next_step")
def render_next_step(view: ReminderView) -> Message | None:
    """The day a next step is due: what, for which client, and a button to log the visit."""
    visit = view.session.get(Visit, view.reminder.subject_id or 0)
    if visit is None or not visit.next_step or visit.next_due is None:
        return None
    t = view.t
    text = t(
        "visit.remind.next_step",
        client=visit.client.name,
        step=visit.next_step,
        due=t.date(visit.next_due),
        visited=t.date(visit.visited_on),
    )
    return reminder_message(
        view, text, (Button(t("visit.log_button"), f"vs:c:{visit.client_id}", "primary"),)
    )


FEATURE = Feature(
    commands=(Command("visit", N_("help.visit"), start, frozenset({"sales"}), form=FORM_NAME),),
    actions={"vs": press},
    forms=(FORM,),
)
