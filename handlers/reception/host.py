"""The host by class (主陪), SPEC §6a: who receives the guests, from the policy's `accompany`
and the org chart (seed 000: A 由公司董事长…陪同; seed 002: 至少有一名副总经理主陪).

A class lists host roles in order of preference; the first the org chart has somebody for
hosts. Who that is is looked up whenever it is shown, never stored: a host who leaves the
company is replaced on the next card by whoever holds the role then.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from handlers.approval.chain import approver_now
from handlers.engine.context import Ctx, people_with
from handlers.engine.forms.model import Data
from handlers.engine.i18n import Translator
from handlers.rules.policy.schema import Policy
from storage.models import Person


@dataclass(frozen=True)
class Host:
    role: str
    person: Person | None  # None: nobody in the org chart holds any of the class's roles


def host_of(session: Session, policy: Policy, requester: Person, class_key: str) -> Host | None:
    """Who hosts a reception of `class_key` that `requester` asked for; None when the class
    names nobody in particular (`accompany = []`) or the policy no longer has the class."""
    if class_key not in policy.classes:
        return None
    roles = policy.class_policy(class_key).accompany
    for role in roles:
        person = _holder(session, requester, role)
        if person is not None:
            return Host(role, person)
    return Host(roles[0], None) if roles else None


def _holder(session: Session, requester: Person, role: str) -> Person | None:
    """The requester when they hold the role themselves (a sales manager hosting their own
    C-class guests); else for "manager" their department head as the approval chain finds
    them; else the holder nearest above them in the org chart, or the first one."""
    if requester.has_role(role):
        return requester
    if role == "manager":
        return approver_now(session, requester, "manager")
    seen = {requester.id}
    boss = requester.manager
    while boss is not None and boss.id not in seen:
        if boss.active and boss.has_role(role):
            return boss
        seen.add(boss.id)
        boss = boss.manager
    holders = people_with(session, role)
    return holders[0] if holders else None


def host_line(
    session: Session, policy: Policy, requester: Person, class_key: str, t: Translator
) -> str | None:
    """主陪:总经理 赵总 — or that nobody holds the role, for the approver to settle."""
    host = host_of(session, policy, requester, class_key)
    if host is None:
        return None
    role = t(f"host.role.{host.role}")
    if host.person is None:
        return t("host.line.nobody", role=role)
    if host.person.id == requester.id:
        return t("host.line.requester", role=role, name=host.person.name)
    return t("host.line", role=role, name=host.person.name)


def host_leader(ctx: Ctx, data: Data) -> str | None:
    """The "leaders to meet" question starts from the host, when the host is one of the
    leaders the policy lists and somebody other than the requester."""
    host = host_of(ctx.session, ctx.policy, ctx.person, str(data.get("cls", "")))
    if host is None or host.person is None or host.person.id == ctx.person.id:
        return None
    return host.role if host.role in ctx.policy.reception.leaders else None
