"""How a salesperson is doing (SPEC §7): the monthly scorecard of seed 003 (客户专人月度考核表:
计划拜访 / 实际拜访 / 完成率) with `/score [month]` and `/score team [month]`, and the clients
past their visit frequency with `/overdue`. The arithmetic is in `handlers/visits/rules.py`.
"""

from __future__ import annotations

from handlers.engine.context import Ctx
from handlers.engine.i18n import N_, Translator
from handlers.engine.messages import Button, rows
from handlers.engine.registry import Command, Feature
from handlers.text.months import Month, parse_month
from handlers.visits.assessment import assess, assessment_lines, points
from handlers.visits.assessment_marks import mark_button
from handlers.visits.plan import month_label
from handlers.visits.rules import (
    Score,
    added_on,
    client_dues,
    completion_rate,
    never_visited,
    past_due,
    plan_completion,
    plan_of,
    team_completion,
)

TEAM_WORDS = ("team", "团队", "全组")


def _rate(t: Translator, planned: int, actual: int) -> str:
    rate = completion_rate(actual, planned)
    return t("score.no_rate") if rate is None else f"{rate}%"


def score_line(t: Translator, score: Score) -> str:
    line = t(
        "score.line",
        planned=score.planned,
        actual=score.actual,
        done=score.done,
        rate=_rate(t, score.planned, score.actual),
    )
    if score.plan_state != "approved":
        line += t(f"score.plan.{score.plan_state or 'none'}")
    return line


def score(ctx: Ctx, argument: str) -> None:
    """`/score [month]`: mine; `/score team [month]`: my team's, for managers."""
    words = argument.split()
    for_team = bool(words) and words[0].lower() in TEAM_WORDS
    rest = " ".join(words[1:] if for_team else words)
    today = ctx.local_now.date()
    month = parse_month(rest, today, ahead=False) if rest else (today.year, today.month)
    if month is None:
        ctx.say("score.usage")
        return
    label = month_label(ctx.t, *month)
    if for_team:
        _team(ctx, *month, label)
        return
    assessment = assess(ctx.session, ctx.policy, ctx.person, Month(*month))
    mine = plan_completion(ctx.session, ctx.person, *month)
    lines = [ctx.t("score.title", name=ctx.person.name, month=label), score_line(ctx.t, mine)]
    plan = plan_of(ctx.session, ctx.person.id, *month)
    if plan is not None and mine.planned:
        missing = [e for e in plan.entries if e.visit_id is None]
        for entry in sorted(missing, key=lambda e: e.planned_on):
            lines.append(
                ctx.t("score.missing", date=ctx.t.date(entry.planned_on), client=entry.client.name)
            )
    lines += assessment_lines(ctx.t, assessment)
    ctx.reply("\n".join(lines))


def _team(ctx: Ctx, year: int, month: int, label: str) -> None:
    if not (ctx.person.has_role("manager") or ctx.person.has_role("org_admin")):
        ctx.say("score.team_not_allowed")
        return
    scores = team_completion(ctx.session, ctx.person, year, month)
    if not scores:
        ctx.say("score.no_team")
        return
    t = ctx.t
    lines = [t("score.team_title", name=ctx.person.name, month=label)]
    buttons = []
    for item in scores:
        assessment = assess(ctx.session, ctx.policy, item.person, Month(year, month))
        line = score_line(t, item) + t("assess.member_total", total=points(t, assessment.total))
        if assessment.unmarked:
            line += t("assess.member_unmarked")
        lines.append(t("score.member", name=item.person.name, line=line))
        if any(i.source == "manual" for i in assessment.items):
            buttons.append(mark_button(t, item.person, Month(year, month)))
    planned = sum(s.planned for s in scores)
    actual = sum(s.actual for s in scores)
    total = t(
        "score.total",
        planned=planned,
        actual=actual,
        done=sum(s.done for s in scores),
        rate=_rate(t, planned, actual),
    )
    lines.append(total)
    ctx.reply("\n".join(lines), rows(*buttons, per_row=3))


def overdue(ctx: Ctx, argument: str) -> None:
    """My clients past their visit frequency (seed 001: 本市每月, 本省每季, 其它半年), then
    those never visited yet, each with when its first visit is due."""
    today = ctx.local_now.date()
    dues = client_dues(ctx.session, ctx.policy, ctx.person, today)
    late = past_due(dues)
    waiting = never_visited(dues)
    if not late and not waiting:
        ctx.say("overdue.none")
        return
    t = ctx.t
    lines = [t("overdue.title", n=len(late))] if late else []
    for due in late:
        said = {
            "client": due.client.name,
            "region": t(f"visit.region.{due.client.region}"),
            "days": due.days_overdue,
        }
        if due.last_visit is None:
            lines.append(t("overdue.item_never", **said))
        else:
            lines.append(t("overdue.item", last=t.date(due.last_visit), **said))
    if waiting:
        lines.append(t("overdue.never_title", n=len(waiting)))
    for due in waiting:
        lines.append(
            t(
                "overdue.never_item",
                client=due.client.name,
                region=t(f"visit.region.{due.client.region}"),
                added=t.date(added_on(ctx.policy, due.client)),
                due=t.date(due.next_due),
            )
        )
    buttons = [
        Button(t("overdue.log", client=d.client.name), f"vs:c:{d.client.id}")
        for d in [*late, *waiting][:6]
    ]
    ctx.reply("\n".join(lines), rows(*buttons, per_row=2))


FEATURE = Feature(
    commands=(
        Command("score", N_("help.score"), score, frozenset({"sales", "manager"})),
        Command("overdue", N_("help.overdue"), overdue, frozenset({"sales"})),
    ),
)
