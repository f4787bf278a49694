"""Clients as people see them: whose they are, who may see them, and finding one by what a
salesperson types on a phone (a typo, a short name, or pinyin initials such as `hdjd`).

The forms that name a client (reception, visit, plan) ask it the same way: one of the
person's own clients (answer `c:<id>`), else the name of a new one (`n:<name>`). A new client
is asked where it is (its region sets how often it is due a visit), and the person met or
received there is kept among its contacts.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Choice, Data, Invalid, Kind, Step
from handlers.engine.i18n import N_
from storage.models import Client, Contact, Person

MATCH_THRESHOLD = 80  # below this a typed name is taken as a new client, not a guess
REGIONS = ("local", "province", "other")


def own_clients(session: Session, person: Person) -> list[Client]:
    return list(
        session.scalars(select(Client).where(Client.owner_id == person.id).order_by(Client.name))
    )


def management_chain(session: Session, person: Person) -> list[int]:
    """The ids of a person's manager, their manager, and so on up."""
    chain: list[int] = []
    current = person.manager_id
    while current is not None and current not in chain:
        chain.append(current)
        manager = session.get(Person, current)
        current = manager.manager_id if manager else None
    return chain


def may_see(session: Session, viewer: Person, client: Client) -> bool:
    """Confidential (保守秘密): the owner, the owner's management chain, and org admins."""
    return may_see_work_of(session, viewer, client.owner)


def may_see_work_of(session: Session, viewer: Person, person: Person) -> bool:
    """A person's clients, plans and requests: theirs, their management chain's, and org
    admins'."""
    if viewer.id == person.id or viewer.has_role("org_admin"):
        return True
    return viewer.id in management_chain(session, person)


@cache
def initials(name: str) -> str:
    """华东机电 → hdjd; ACME Industrial → ai."""
    if name.isascii():
        return "".join(word[0] for word in name.lower().split() if word)
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()


def find_client(clients: list[Client], typed: str) -> Client | None:
    """The client a person most likely meant, or None when nothing is close enough."""
    text = typed.strip().lower()
    if not text or not clients:
        return None
    for client in clients:
        if text in (client.name.lower(), initials(client.name)):
            return client
    # A longer name holding a client's whole name is another company (华东机电二厂 is not
    # 华东机电), though near spellings score it high: only the others are guessed at.
    names = {c.id: c.name.lower() for c in clients if c.name.lower() not in text}
    best = process.extractOne(text, names, scorer=fuzz.WRatio)
    if best is None or best[1] < MATCH_THRESHOLD:
        return None
    return next(c for c in clients if c.id == best[2])


def create_client(ctx: Ctx, name: str, class_key: str, region: str) -> Client:
    """A client first named in a form, owned by the person who named it."""
    client = Client(
        name=name, class_key=class_key, region=region, owner_id=ctx.person.id, created_at=ctx.now
    )
    ctx.session.add(client)
    ctx.session.flush()
    ctx.audit("client.create", "client", client.id)
    return client


def client_named(session: Session, name: str) -> Client | None:
    """The client, anyone's, that has this name (names are unique)."""
    return session.scalars(select(Client).where(Client.name == name)).first()


# ---------------------------------------------------------------------------- a form's client


def client_choices(ctx: Ctx, data: Data) -> list[Choice]:
    """The person's clients; and a new one already typed into this form, so it reads back by
    its name ("苏北重工(新客户)"), not as the form stores it, and is one tap to keep."""
    choices = [
        Choice(f"c:{c.id}", c.name, literal=True) for c in own_clients(ctx.session, ctx.person)
    ]
    if str(data.get("client", "")).startswith("n:"):
        choices.append(Choice(data["client"], client_label(ctx, data), literal=True))
    return choices


def client_reader(taken: str) -> Callable[[Ctx, Data, str], str]:
    """A form's way to read the client typed: one of the person's clients (a number, the name,
    pinyin initials, a near spelling), else the name of a new client — never someone else's,
    which is refused with the message `taken` that says nothing about it (it is confidential)."""

    def read(ctx: Ctx, data: Data, text: str) -> str:
        clients = own_clients(ctx.session, ctx.person)
        if text.isdecimal() and 1 <= int(text) <= len(clients):
            return f"c:{clients[int(text) - 1].id}"
        match = find_client(clients, text)
        if match is not None:
            return f"c:{match.id}"
        if client_named(ctx.session, text) is not None:
            raise Invalid(taken)
        return f"n:{text}"

    return read


def chosen_client(ctx: Ctx, data: Data) -> Client | None:
    """The person's client the form names; None for a new one (or none yet)."""
    value = str(data.get("client", ""))
    return ctx.session.get(Client, int(value[2:])) if value.startswith("c:") else None


def submitted_client(ctx: Ctx, data: Data, taken: str, class_key: str, region: str) -> Client:
    """The form's client as it is submitted: still the person's own, or a new one created now
    (with `class_key` and `region`). A draft can wait for days, so what the reader accepted is
    checked again — the client may have gone to a colleague, or a colleague may have created a
    client of the new name; either is refused with `taken`, as the reader refuses it. A new
    name the person has meanwhile given a client of their own (a visit logged) is that one."""
    value = str(data["client"])
    if value.startswith("c:"):
        client = chosen_client(ctx, data)
    else:
        client = client_named(ctx.session, value[2:])
        if client is None:
            return create_client(ctx, value[2:], class_key, region)
    if client is None or client.owner_id != ctx.person.id:
        raise Invalid(taken)
    return client


def is_new_client(ctx: Ctx, data: Data) -> bool:
    return str(data.get("client", "")).startswith("n:")


def client_label(ctx: Ctx, data: Data) -> str:
    """The form's client as its summary names it: "苏北重工(新客户)" for a new one."""
    value = str(data.get("client", ""))
    if value.startswith("n:"):
        return ctx.t("visit.new_client", name=value[2:])
    client = chosen_client(ctx, data)
    return client.name if client else "?"


def _region_params(ctx: Ctx, data: Data) -> dict[str, str]:
    return {"client": client_label(ctx, data)}


# Asked right after a new client's name, in every form that can create one.
REGION_STEP = Step(
    "region",
    N_("visit.ask.region"),
    Kind.CHOICE,
    tuple(Choice(r, f"visit.region.{r}") for r in REGIONS),
    when=is_new_client,
    params=_region_params,
)


def keep_contact(client: Client, name: str, title: str = "") -> None:
    """The person met or received, kept among the client's contacts (once: a name already
    there, in any case or spacing, is left as it is)."""
    key = "".join(name.split()).lower()
    if key and all("".join(c.name.split()).lower() != key for c in client.contacts):
        client.contacts.append(Contact(name=name, title=title))
