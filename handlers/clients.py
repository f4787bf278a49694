"""Clients as people see them: whose they are, who may see them, and finding one by what a
salesperson types on a phone (a typo, a short name, or pinyin initials such as `hdjd`)."""

from __future__ import annotations

from functools import cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.context import Ctx
from storage.models import Client, Person

MATCH_THRESHOLD = 80  # below this a typed name is taken as a new client, not a guess


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
    if viewer.id == client.owner_id or viewer.has_role("org_admin"):
        return True
    return viewer.id in management_chain(session, client.owner)


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
    best = process.extractOne(text, {c.id: c.name.lower() for c in clients}, scorer=fuzz.WRatio)
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
