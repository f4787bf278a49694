"""Link codes expire (issue 18 item 8): a code unused for the policy's
`link_code_valid_days` (default 30) links nobody, the stranger is told it expired, and
`org invite` (or /invite) makes a fresh one that works."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event
from handlers.org.chart import invite
from handlers.rules.policy.schema import Policy
from storage.db import Database
from storage.models import AuditEntry, Identity, Person
from tests.reliability.support import ZH
from tests.support import FakeClock

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def code_for(core: Core, name: str) -> str:
    with core.db.session() as session:
        person = session.scalars(select(Person).where(Person.name == name)).one()
        return invite(session, person, core.clock())


def start(core: Core, code: str, user: str = "5005") -> list[str]:
    event = Event("telegram", user, text=f"/start {code}", chat_id=user)
    return [m.text for m in core.handle(event)]


def linked(core: Core) -> list[str]:
    with core.db.session() as session:
        return list(session.scalars(select(Identity.platform_user)))


def test_a_code_older_than_the_policy_allows_links_nobody(core: Core, clock: FakeClock) -> None:
    code = code_for(core, "张伟")
    clock.advance(days=30)
    assert start(core, code) == [ZH("link.expired")]
    assert linked(core) == []
    with core.db.session() as session:
        refused = session.scalars(select(AuditEntry).where(AuditEntry.action == "link.refused"))
        assert [r.detail["user"] for r in refused] == ["5005"]

    fresh = code_for(core, "张伟")  # `visitdesk org invite 张伟`
    assert start(core, code) == [ZH("link.bad_code")]  # the old one is spent by the new one
    assert "张伟" in start(core, fresh)[0]
    assert linked(core) == ["5005"]


def test_a_code_within_its_days_links(core: Core, clock: FakeClock) -> None:
    code = code_for(core, "张伟")
    clock.advance(days=29, hours=23)
    assert "张伟" in start(core, code)[0]


def test_the_policy_sets_the_days(org_db: Database, policy: Policy, clock: FakeClock) -> None:
    short = policy.model_copy(
        update={"org": policy.org.model_copy(update={"link_code_valid_days": 1})}
    )
    core = Core(org_db, short, FEATURES, clock)
    code = code_for(core, "张伟")
    clock.advance(days=1)
    assert start(core, code) == [ZH("link.expired")]
