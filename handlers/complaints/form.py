"""`/complaint CLIENT …` (顾客投诉处理记录表): which client, the department responsible, what
the client said. The client must be one the person may see — an unknown or someone else's
name is asked again, saying nothing about whether it exists (SPEC §2, confidential)."""

from __future__ import annotations

from handlers.complaints import progress
from handlers.complaints.record import departments, open_complaint
from handlers.engine.context import Ctx
from handlers.engine.forms import engine
from handlers.engine.forms.model import Choice, Data, Form, Invalid, Kind, Step
from handlers.engine.forms.readers import clean_text
from handlers.engine.i18n import N_
from handlers.engine.registry import Command, Feature
from handlers.org.clients import find_client
from handlers.visits.timeline import visible_clients
from storage.models import Client

FORM_NAME = "complaint"
SHOWN = 12  # client buttons offered; any other visible client may be typed


def _client_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(f"c:{c.id}", c.name, literal=True) for c in visible_clients(ctx)[:SHOWN]]


def _read_client(ctx: Ctx, data: Data, text: str) -> str:
    """A client typed by name (or near it), or by the number of its button."""
    clients = visible_clients(ctx)
    if text.isdecimal() and 1 <= int(text) <= min(len(clients), SHOWN):
        return f"c:{clients[int(text) - 1].id}"
    client = find_client(clients, text)
    if client is None:
        raise Invalid(N_("cp.error.client"))
    return f"c:{client.id}"


def _client(ctx: Ctx, data: Data) -> Client:
    client = ctx.session.get(Client, int(str(data["client"]).removeprefix("c:")))
    if client is None or client not in visible_clients(ctx):
        raise Invalid(N_("cp.error.client"))
    return client


def _department_choices(ctx: Ctx, data: Data) -> list[Choice]:
    return [Choice(name, name, literal=True) for name in departments(ctx.session)]


def _default_department(ctx: Ctx, data: Data) -> str | None:
    """The client owner's department, where a complaint most often belongs."""
    if "client" not in data:
        return None
    return _client(ctx, data).owner.department or None


def _check_department(ctx: Ctx, data: Data, value: str) -> None:
    if value not in departments(ctx.session):
        raise Invalid(N_("cp.error.department"))


def _summary(ctx: Ctx, data: Data) -> str:
    return ctx.t(
        "cp.summary",
        client=_client(ctx, data).name,
        department=data["department"],
        text=data["text"],
    )


def _submit(ctx: Ctx, data: Data) -> None:
    open_complaint(ctx, _client(ctx, data), data["department"], data["text"])


FORM = Form(
    FORM_NAME,
    N_("cp.title"),
    (
        Step("client", N_("cp.ask.client"), Kind.CHOICE, _client_choices, read=_read_client),
        Step(
            "department",
            N_("cp.ask.department"),
            Kind.CHOICE,
            _department_choices,
            check=_check_department,
            default=_default_department,
        ),
        Step("text", N_("cp.ask.text"), max_length=1000),
    ),
    _summary,
    _submit,
)


def command(ctx: Ctx, argument: str) -> None:
    """`/complaint` asks everything; `/complaint 华东机电 送货晚了两天` fills the client and
    what was said from the line."""
    words = clean_text(argument).split(maxsplit=1)
    prefill: Data = {}
    if words:
        client = find_client(visible_clients(ctx), words[0])
        if client is None:
            ctx.say("cp.error.client")
        else:
            prefill["client"] = f"c:{client.id}"
            if len(words) > 1:
                prefill["text"] = words[1][:1000]
    engine.start(ctx, FORM, prefill=prefill)


FEATURE = Feature(
    commands=(Command("complaint", N_("help.complaint"), command),),
    actions={"cp": progress.press},
    forms=(FORM, progress.FEEDBACK),
)
