"""The reception request (接待申请), SPEC §4: the form a salesperson fills on a phone.

The steps follow the paper form of seeds 000/002/003; the rules are the policy's: an arrival
in the past or a departure before it is asked again; a request later than the lead time
(longer when the GM or chairman must attend) needs an urgent reason; a meal budget per head
over the class cap needs a justification. Both of those questions come last, so they are
asked only once the answers that trigger them are known.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from handlers.approval import chain as approval
from handlers.engine.context import Ctx
from handlers.engine.forms import engine
from handlers.engine.forms.model import (
    Choice,
    Data,
    Doubt,
    Form,
    Gone,
    Invalid,
    Kind,
    Step,
    answered,
)
from handlers.engine.forms.readers import clean_text
from handlers.engine.i18n import N_
from handlers.org.clients import (
    REGION_STEP,
    chosen_client,
    client_choices,
    client_reader,
    contact_choices,
    contact_title,
    keep_contact,
    submitted_client,
)
from handlers.reception import checklist, last_time, quick
from handlers.reception.card import (
    CHANGES,
    budget,
    company_hotel,
    pickup_far_from_arrival,
    reception_summary,
    stay_nights,
)
from handlers.reception.host import host_leader, host_line
from handlers.reception.who_approves import approver_kinds, who_approves
from storage.models import Reception

FORM_NAME = "rcp"
QUICK = "@quick"  # the answers read from `/reception <one line>`, in the draft's context
HOTEL_PAYERS = ("guest", "company")


# ---------------------------------------------------------------------------- choices


def _class_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [
        Choice(key, f"{key} {c.label(ctx.t.locale)}", literal=True, words=(c.label(ctx.t.locale),))
        for key, c in ctx.policy.classes.items()
    ]


def _default_class(ctx: Ctx, data: Data) -> str | None:
    client = chosen_client(ctx, data)
    return client.class_key if client else None


def _class_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    lines = [
        f"{key} {c.label(ctx.t.locale)}: {c.who(ctx.t.locale)}"
        for key, c in ctx.policy.classes.items()
    ]
    return {"classes": "\n".join(lines)}


def _last_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    last = last_time.last_reception(ctx, data)
    assert last is not None  # asked only when there is one, and only in a conversation
    return {
        "when": ctx.t.date(last.arrival_at.astimezone(ctx.tz).date()),
        "what": quick.what_was_read(ctx, FORM, last_time.arrangements(last)),
    }


def _known_title(ctx: Ctx, data: Data) -> str | None:
    return contact_title(ctx, data, str(data.get("guest", "")))


def _title_choices(ctx: Ctx, data: Data) -> list[Choice]:
    """The main visitor's title as the client's contacts keep it, one tap to take."""
    title = _known_title(ctx, data)
    return [Choice(title, title, literal=True)] if title else []


def _purpose_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(p, f"rcp.purpose.{p}") for p in ctx.policy.reception.purposes]


def _leader_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(p, f"rcp.leader.{p}") for p in ctx.policy.reception.leaders]


PAYER_CHOICES = tuple(Choice(p, f"rcp.payer.{p}") for p in HOTEL_PAYERS)


# ---------------------------------------------------------------------------- rules


def _arrival_ahead(ctx: Ctx, data: Data, value: str) -> None:
    arrival = datetime.fromisoformat(value)
    if arrival > ctx.now:
        return
    # Said with its date: 12月3日 typed on 12月4日 is yesterday's. A day typed without an hour
    # is checked at its last instant (forms.readers._read_when), which is no time anyone typed.
    local = arrival.astimezone(ctx.tz)
    day_only = local.time() == time.max
    shown = ctx.t.date(local.date()) if day_only else ctx.t.datetime(arrival, ctx.tz)
    raise Invalid(N_("rcp.error.arrival_past"), when=shown)


def _far_arrival(ctx: Ctx, data: Data, value: str) -> str | None:
    """An arrival more than a year ahead is most often a year typed wrong: asked to confirm."""
    arrival = datetime.fromisoformat(value)
    if arrival - ctx.now <= timedelta(days=365):
        return None
    return ctx.t("rcp.caution.far", when=ctx.t.datetime(arrival, ctx.tz))


def _long_stay(ctx: Ctx, data: Data, value: str) -> str | None:
    """A stay over the policy's longest (明年3月1日 for 3月1日) is asked to be confirmed."""
    if "arrival" not in data:
        return None
    arrival = datetime.fromisoformat(data["arrival"]).astimezone(ctx.tz).date()
    days = (datetime.fromisoformat(value).astimezone(ctx.tz).date() - arrival).days
    longest = ctx.policy.reception.max_stay_days
    return ctx.t("rcp.caution.long_stay", days=days, max=longest) if days > longest else None


def _departure_after_arrival(ctx: Ctx, data: Data, value: str) -> None:
    if "arrival" not in data:  # a whole form at once, whose arrival was itself wrong
        return
    arrival = datetime.fromisoformat(data["arrival"])
    if datetime.fromisoformat(value) <= arrival:
        raise Invalid(N_("rcp.error.departure_before"), arrival=ctx.t.datetime(arrival, ctx.tz))


def _nights_doubt(ctx: Ctx, data: Data, nights: int) -> Doubt | None:
    stay = stay_nights(data)
    if stay is None or nights <= stay:
        return None
    return Doubt(N_("rcp.doubt.nights"), {"nights": str(nights), "stay": str(stay)})


def _pickup_doubt(ctx: Ctx, data: Data, ref: str) -> Doubt | None:
    lands = pickup_far_from_arrival({**data, "pickup_ref": ref})
    if lands is None:
        return None
    arrival = ctx.t.time(datetime.fromisoformat(data["arrival"]), ctx.tz)
    return Doubt(N_("rcp.doubt.pickup_time"), {"lands": lands, "arrival": arrival})


def lead_days(ctx: Ctx, data: Data) -> int:
    return ctx.policy.lead_days(data.get("leaders") or [])


def is_late(ctx: Ctx, data: Data) -> bool:
    """Submitted with less notice than the policy's lead time (seed 000: 提前1天, 2天)."""
    if "arrival" not in data:
        return False
    notice = datetime.fromisoformat(data["arrival"]) - ctx.now
    return notice < timedelta(days=lead_days(ctx, data))


def over_meal_cap(ctx: Ctx, data: Data) -> bool:
    per_head, cls = data.get("per_head"), data.get("cls")
    if not per_head or cls not in ctx.policy.classes:
        return False
    return Decimal(per_head) > ctx.policy.meal_cap(cls)


def _late_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    return {"days": lead_days(ctx, data)}


def _cap_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    return {
        "per_head": ctx.t.money(Decimal(data["per_head"])),
        "cap": ctx.t.money(ctx.policy.meal_cap(data["cls"])),
        "cls": data["cls"],
    }


def _meal_params(ctx: Ctx, data: Data) -> dict[str, Any]:
    return {"cap": ctx.t.money(ctx.policy.meal_cap(data["cls"])), "cls": data["cls"]}


def _ceiling(line: str) -> Callable[[Ctx, Data], Decimal]:
    """A budget line's maximum, as the policy's [budget] sets it."""
    return lambda ctx, data: Decimal(getattr(ctx.policy.budget, line))


# ---------------------------------------------------------------------------- the form

ONE = Decimal(1)
STEPS = (
    Step(
        "client",
        N_("rcp.ask.client"),
        Kind.CHOICE,
        client_choices,
        read=client_reader(N_("rcp.error.client_taken")),
    ),
    REGION_STEP,
    Step(
        "cls",
        N_("rcp.ask.cls"),
        Kind.CHOICE,
        _class_choices,
        default=_default_class,
        params=_class_params,
    ),
    Step(
        "same",
        N_("rcp.ask.same"),
        Kind.YESNO,
        when=last_time.has_last,
        params=_last_params,
        then=last_time.copy_last,
        chat_only=True,
    ),
    Step("visitors", N_("rcp.ask.visitors"), Kind.NUMBER, minimum=ONE, maximum=Decimal(500)),
    Step("guest", N_("rcp.ask.guest"), choices=contact_choices, max_length=50),
    Step(
        "guest_title",
        N_("rcp.ask.guest_title"),
        choices=_title_choices,
        default=_known_title,
        max_length=50,
    ),
    Step("purposes", N_("rcp.ask.purposes"), Kind.MULTI, _purpose_choices),
    Step(
        "arrival", N_("rcp.ask.arrival"), Kind.DATETIME, check=_arrival_ahead, caution=_far_arrival
    ),
    Step(
        "departure",
        N_("rcp.ask.departure"),
        Kind.DATETIME,
        check=_departure_after_arrival,
        caution=_long_stay,
    ),
    Step("pickup", N_("rcp.ask.pickup"), Kind.YESNO),
    Step("pickup_place", N_("rcp.ask.pickup_place"), when=answered("pickup"), max_length=100),
    Step(
        "pickup_ref",
        N_("rcp.ask.pickup_ref"),
        when=answered("pickup"),
        optional=True,
        doubt=_pickup_doubt,
    ),
    Step("hotel", N_("rcp.ask.hotel"), Kind.YESNO),
    Step(
        "nights",
        N_("rcp.ask.nights"),
        Kind.NUMBER,
        when=answered("hotel"),
        minimum=ONE,
        maximum=Decimal(60),
        doubt=_nights_doubt,
    ),
    Step(
        "hotel_payer", N_("rcp.ask.hotel_payer"), Kind.CHOICE, PAYER_CHOICES, when=answered("hotel")
    ),
    Step("meals", N_("rcp.ask.meals"), Kind.NUMBER, minimum=Decimal(0), maximum=Decimal(30)),
    Step(
        "diners",
        N_("rcp.ask.diners"),
        Kind.NUMBER,
        when=answered("meals"),
        minimum=ONE,
        maximum=Decimal(500),
    ),
    Step(
        "per_head",
        N_("rcp.ask.per_head"),
        Kind.MONEY,
        when=answered("meals"),
        minimum=Decimal(0),
        maximum=_ceiling("meal_per_head_max"),
        params=_meal_params,
    ),
    Step(
        "b_drinks",
        N_("rcp.ask.b_drinks"),
        Kind.MONEY,
        when=answered("meals"),
        optional=True,
        minimum=Decimal(0),
        maximum=_ceiling("drinks_max"),
    ),
    Step("room", N_("rcp.ask.room"), Kind.YESNO),
    Step("tour", N_("rcp.ask.tour"), optional=True),
    Step(
        "leaders",
        N_("rcp.ask.leaders"),
        Kind.MULTI,
        _leader_choices,
        optional=True,
        default=host_leader,
    ),
    Step("attendees", N_("rcp.ask.attendees"), optional=True),
    Step("gifts", N_("rcp.ask.gifts"), optional=True),
    Step(
        "b_transport",
        N_("rcp.ask.b_transport"),
        Kind.MONEY,
        minimum=Decimal(0),
        maximum=_ceiling("transport_max"),
    ),
    Step(
        "b_hotel",
        N_("rcp.ask.b_hotel"),
        Kind.MONEY,
        when=lambda ctx, data: company_hotel(data),
        minimum=Decimal(0),
        maximum=_ceiling("hotel_max"),
    ),
    Step(
        "b_gifts",
        N_("rcp.ask.b_gifts"),
        Kind.MONEY,
        when=answered("gifts"),
        minimum=Decimal(0),
        maximum=_ceiling("gifts_max"),
    ),
    Step(
        "b_other",
        N_("rcp.ask.b_other"),
        Kind.MONEY,
        optional=True,
        minimum=Decimal(0),
        maximum=_ceiling("other_max"),
    ),
    Step("urgent", N_("rcp.ask.urgent"), when=is_late, params=_late_params, max_length=300),
    Step("over_cap", N_("rcp.ask.over_cap"), when=over_meal_cap, params=_cap_params),
)


def summary(ctx: Ctx, data: Data) -> str:
    host = host_line(ctx.session, ctx.policy, ctx.person, data["cls"], ctx.t)
    text = reception_summary(ctx.session, ctx.policy, data, ctx.t, ctx.tz, host=host)
    text += "\n" + who_approves(ctx, data)
    if data.get(QUICK):  # which answers came from the one line, to be checked the more
        text += "\n" + ctx.t("rcp.quick.marked", fields=quick.fields(ctx, FORM, data[QUICK]))
    return ctx.t("rcp.summary_title") + "\n" + text


def submit(ctx: Ctx, data: Data) -> None:
    """Store the request (a new one, or an edit of one already sent) and start its chain."""
    region = data.get("region") or "local"  # a draft begun before the form asked it
    client = submitted_client(ctx, data, N_("rcp.error.client_taken"), data["cls"], region)
    keep_contact(client, data["guest"], data["guest_title"])
    reception = _edited(ctx, data)
    if reception is None:
        reception = Reception(requester_id=ctx.person.id, round=0)
        ctx.session.add(reception)
    before = dict(reception.answers or {})
    was_approved = reception.state == "approved"
    lines = budget(ctx.policy, data)
    reception.client_id = client.id
    reception.class_key = data["cls"]
    reception.arrival_at = datetime.fromisoformat(data["arrival"])
    reception.departure_at = datetime.fromisoformat(data["departure"])
    reception.visitors = data["visitors"]
    reception.total = lines.total
    reception.company_hotel = company_hotel(data)
    reception.answers = {
        **{k: v for k, v in data.items() if not k.startswith("@")},
        "client": f"c:{client.id}",
    }
    if before:  # an edit: the card says what changed since the approvers last saw it
        reception.answers[CHANGES] = changed(before, reception.answers)
    kinds = approver_kinds(ctx, data)
    approval.submit(
        ctx,
        "reception",
        reception,
        kinds,
        "reception",
        total=str(lines.total),
        late=is_late(ctx, data),
    )
    if was_approved:
        checklist.on_reopened(ctx, reception)


def changed(before: dict[str, Any], after: dict[str, Any]) -> list[list[Any]]:
    """[field, was, now] for each answer that differs, in the form's order."""
    return [
        [step.name, before.get(step.name), after.get(step.name)]
        for step in STEPS
        if before.get(step.name) != after.get(step.name)
    ]


def _edited(ctx: Ctx, data: Data) -> Reception | None:
    """The sent request this draft edits (None for a new one), if it can still take the edit:
    the draft may have waited while the request was withdrawn or its guests came and left."""
    editing = data.get("@reception")
    if not editing:
        return None
    reception = ctx.session.get(Reception, int(editing))
    if (
        reception is None
        or reception.requester_id != ctx.person.id
        or reception.state in ("withdrawn", "closed")
    ):
        raise Gone(N_("rcp.error.not_editable"))
    check_not_over(ctx, reception)
    return reception


FORM = Form(FORM_NAME, N_("rcp.title"), STEPS, summary, submit, still_open=_edited)


def start(ctx: Ctx, argument: str) -> None:
    """`/reception` asks everything; `/reception <one line>` asks only what the line left out,
    after saying what it read."""
    read = quick.prefill(ctx, FORM, quick.hear(argument, ctx)) if clean_text(argument) else {}
    if read:
        ctx.say("rcp.quick.read", what=quick.what_was_read(ctx, FORM, read))
        read[QUICK] = [name for name, value in read.items() if value is not None]
    engine.start(ctx, FORM, prefill=read)


def guests_left(ctx: Ctx, reception: Reception) -> bool:
    return reception.departure_at <= ctx.now


def check_not_over(ctx: Ctx, reception: Reception) -> None:
    """A sent request is edited only until its guests leave: after that what is left is the
    close-out (SPEC §6), and an edit would send the approvers a visit already over, its
    arrival in the past, which the form refuses to a new request."""
    if guests_left(ctx, reception):
        left = ctx.t.datetime(reception.departure_at, ctx.tz)
        raise Gone(N_("rcp.error.visit_over"), departure=left)


def reopen(ctx: Ctx, reception: Reception) -> None:
    """Load a sent request back into a draft at its summary, to edit and resubmit."""
    try:
        check_not_over(ctx, reception)
    except Invalid as refused:
        ctx.say(refused.key, **refused.params)
        return
    data = {**reception.answers, "@reception": reception.id}
    engine.start(ctx, FORM, prefill=data)
