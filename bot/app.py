"""Wiring: settings → database, policy and the core, ready for any adapter."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from handlers.engine.core import Core
from handlers.engine.features import FEATURES
from handlers.rules.policy.load import load_policy
from handlers.rules.policy.schema import Policy, default_policy
from handlers.rules.workdays import WorkCalendar
from storage.db import Database

log = logging.getLogger("visitdesk")


@dataclass(frozen=True)
class App:
    settings: Settings
    db: Database
    policy: Policy
    core: Core


def build(settings: Settings) -> App:
    """Open the database (migrating it), read the policy, and make the core."""
    policy = load_policy(settings.policy_file) if settings.policy_file else default_policy()
    db = Database(settings.database_url)
    db.upgrade()
    for year in WorkCalendar.for_policy(policy).coverage_gaps(date.today()):
        log.warning(
            "working days for %s: no official calendar known; using Monday-Friday plus the "
            "policy's extra_holidays / extra_workdays",
            year,
        )
    return App(settings, db, policy, Core(db, policy, FEATURES))
