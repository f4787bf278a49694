"""Checking in at a client (签到, seed 003: 进入市场要在第一时间…签到) and out again.

`/checkin 华东机电` — or a shared location on Telegram, then the client — records when and
where the salesperson arrived: the place is a shared location or what they type (Slack and
the console have no location to share). With the client's coordinates (the org file's
`location`) the distance is shown, and flagged past the policy's `far_from_client_m`; a
check-in outside visiting hours is flagged, never refused. One check-in is open at a time:
checking in at the next client checks out of the last, and two devices checking in at once
make one check-in (the table's partial unique index). `/checkout`, or its button, closes it
with the time spent. The visit logged at that client that day takes its time and companions
from the check-in (`field_day.attach_to_visit`).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from handlers.engine.context import Ctx, named_by
from handlers.engine.forms import engine
from handlers.engine.forms.drafts import history_of, load_draft, next_step, save
from handlers.engine.forms.model import Data, Form, Gone, Kind, Step
from handlers.engine.forms.readers import clean_text
from handlers.engine.i18n import N_
from handlers.engine.messages import Button, rows
from handlers.engine.registry import Command, Feature
from handlers.org.clients import REGION_STEP, client_choices, find_client, own_clients
from handlers.org.geo import distance_m, is_location
from handlers.visits import field_day
from handlers.visits.form import client_for, read_client
from storage.models import FieldCheckin

FORM_NAME = "checkin"
SALES = frozenset({"sales"})
AT = "@at"  # a shared location, [latitude, longitude]


def _no_location(ctx: Ctx, data: Data) -> bool:
    return AT not in data


STEPS = (
    Step("client", N_("field.ask.client"), Kind.CHOICE, client_choices, read=read_client),
    REGION_STEP,
    Step("place", N_("field.ask.place"), optional=True, max_length=200, when=_no_location),
    Step("companions", N_("field.ask.companions"), optional=True, max_length=200),
)


def _summary(ctx: Ctx, data: Data) -> str:
    return ""  # never shown: the check-in is taken with its last answer (confirm=False)


def _submit(ctx: Ctx, data: Data) -> None:
    client = client_for(ctx, data)
    current = field_day.open_checkin(ctx.session, ctx.person.id)
    if current is not None and current.client_id == client.id:
        raise Gone(N_("field.already_in"), client=client.name, at=ctx.t.time(current.at, ctx.tz))
    lines = []
    if current is not None:  # arrived at the next client without checking out of the last
        lines.append(_check_out(ctx, current))
    where = data.get(AT)
    checkin = FieldCheckin(
        person_id=ctx.person.id,
        client_id=client.id,
        at=ctx.now,
        place=data.get("place"),
        latitude=where[0] if where else None,
        longitude=where[1] if where else None,
        outside_hours=field_day.outside_hours(ctx.policy, ctx.now, ctx.tz),
        companions=data.get("companions"),
    )
    if where and client.latitude is not None and client.longitude is not None:
        checkin.distance_m = distance_m((where[0], where[1]), (client.latitude, client.longitude))
    try:
        with ctx.session.begin_nested():
            ctx.session.add(checkin)
            ctx.session.flush()
    except IntegrityError:  # another device checked in a moment ago
        other = field_day.open_checkin(ctx.session, ctx.person.id)
        name, at = (other.client.name, other.at) if other else (client.name, ctx.now)
        raise Gone(N_("field.already_in"), client=name, at=ctx.t.time(at, ctx.tz)) from None
    ctx.audit("field.check_in", "field_checkin", checkin.id, client=client.id)
    lines.append(ctx.t("field.checked_in", client=client.name, at=ctx.t.time(ctx.now, ctx.tz)))
    lines += _flags(ctx, checkin)
    buttons = (
        Button(ctx.t("field.check_out"), f"fc:out:{checkin.id}", "primary"),
        Button(ctx.t("visit.log_button"), f"vs:c:{client.id}"),
    )
    ctx.reply("\n".join(lines), rows(*buttons, per_row=2), card=f"fc:{checkin.id}")


def _flags(ctx: Ctx, checkin: FieldCheckin) -> list[str]:
    """What the manager will see flagged, said to the salesperson first."""
    t = ctx.t
    lines = []
    if checkin.place:
        lines.append(t("field.place", place=checkin.place))
    elif checkin.latitude is not None and checkin.longitude is not None:
        lines.append(
            t("field.shared", lat=f"{checkin.latitude:.5f}", lon=f"{checkin.longitude:.5f}")
        )
    if checkin.distance_m is not None:
        far = checkin.distance_m > ctx.policy.field.far_from_client_m
        key = "field.distance_far" if far else "field.distance"
        lines.append(t(key, distance=_metres(ctx, checkin.distance_m)))
    elif checkin.latitude is not None and checkin.client.latitude is None:
        lines.append(t("field.no_client_location", client=checkin.client.name))
    if checkin.outside_hours:
        lines.append(t("field.outside_hours", hours=ctx.policy.field.visiting_hours))
    return lines


def _metres(ctx: Ctx, metres: int) -> str:
    if metres < 1000:
        return ctx.t("field.metres", n=metres)
    return ctx.t("field.kilometres", n=ctx.t.number(round(metres / 1000, 1)))


FORM = Form(FORM_NAME, N_("field.title"), STEPS, _summary, _submit, confirm=False)


# ---------------------------------------------------------------------------- commands


def checkin_command(ctx: Ctx, argument: str) -> None:
    """`/checkin` asks the client; `/checkin 华东机电` names it."""
    typed = clean_text(argument)
    prefill: Data = {}
    if typed:  # one of their own clients; anything else is asked, not quoted back
        client = find_client(own_clients(ctx.session, ctx.person), typed)
        if client is None:
            ctx.say("field.no_such_client")
        else:
            prefill["client"] = f"c:{client.id}"
    current = field_day.open_checkin(ctx.session, ctx.person.id)
    if current is not None and prefill.get("client") == f"c:{current.client_id}":
        ctx.say("field.already_in", client=current.client.name, at=ctx.t.time(current.at, ctx.tz))
        return
    draft = load_draft(ctx, FORM)
    if draft is not None and prefill:  # a check-in begun and left: this one replaces it
        ctx.session.delete(draft)
        ctx.session.flush()
    engine.start(ctx, FORM, prefill=prefill)


def located(ctx: Ctx, where: tuple[float, float]) -> bool:
    """A shared location: the place of the check-in being made, or a new check-in's."""
    if not ctx.person.has_role("sales"):
        return False
    if not is_location(where):
        ctx.say("field.error.location")
        return True
    draft = load_draft(ctx, FORM)
    if draft is None:
        engine.start(ctx, FORM, prefill={AT: [where[0], where[1]]})
        return True
    data = {**draft.data, AT: [where[0], where[1]]}
    save(ctx, draft, data, next_step(ctx, FORM, data), history_of(draft))
    engine.ask(ctx, FORM, draft)
    return True


def checkout_command(ctx: Ctx, argument: str) -> None:
    current = field_day.open_checkin(ctx.session, ctx.person.id)
    if current is None:
        ctx.say("field.not_in")
        return
    ctx.reply(_check_out(ctx, current))


def press(ctx: Ctx, parts: list[str]) -> None:
    """`fc:out:<check-in>` — the check-in's own Check out button."""
    checkin = named_by(ctx.session, FieldCheckin, parts, 1) if parts[:1] == ["out"] else None
    if checkin is None or checkin.person_id != ctx.person.id:
        ctx.say("button.stale")
        return
    if checkin.checked_out_at is not None:
        ctx.say(
            "field.already_out",
            client=checkin.client.name,
            at=ctx.t.time(checkin.checked_out_at, ctx.tz),
        )
        return
    ctx.reply(_check_out(ctx, checkin))


def _check_out(ctx: Ctx, checkin: FieldCheckin) -> str:
    """Close the check-in once (two taps, two devices: one closes it); the line to say."""
    closed = ctx.session.execute(
        update(FieldCheckin)
        .where(FieldCheckin.id == checkin.id, FieldCheckin.checked_out_at.is_(None))
        .values(checked_out_at=ctx.now)
        .execution_options(synchronize_session=False)
    )
    ctx.session.refresh(checkin)
    if not closed.rowcount:  # type: ignore[attr-defined]
        at = checkin.checked_out_at or ctx.now
        return ctx.t("field.already_out", client=checkin.client.name, at=ctx.t.time(at, ctx.tz))
    ctx.audit("field.check_out", "field_checkin", checkin.id)
    # The check-in's card loses its Check out button.
    ctx.reply(
        ctx.t("field.checked_in", client=checkin.client.name, at=ctx.t.time(checkin.at, ctx.tz)),
        card=f"fc:{checkin.id}",
        replace=True,
        settles=True,
    )
    return ctx.t(
        "field.checked_out",
        client=checkin.client.name,
        at=ctx.t.time(ctx.now, ctx.tz),
        spent=field_day.spent(ctx.t, checkin.at, ctx.now),
    )


FEATURE = Feature(
    commands=(
        Command("checkin", N_("help.checkin"), checkin_command, SALES),
        Command("checkout", N_("help.checkout"), checkout_command, SALES),
    ),
    actions={"fc": press},
    forms=(FORM,),
    located=(located,),
)
