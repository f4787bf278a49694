"""Reaching a platform at start. A refusal (a wrong token) stops the start: the adapter raises
a SettingError naming the setting. Trouble that passes (the network not up yet, the platform
down for a while) is waited out and logged: a service started before its network, or during
an outage, comes up when it passes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

START_RETRY_SECONDS = (1.0, 60.0)  # the first wait, doubled after each try up to the second
T = TypeVar("T")


class Passing(Exception):
    """Trouble that passes: try again later. Its text says what happened, never a secret."""


async def until_answered(what: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run `attempt` until it returns; each `Passing` it raises is logged and waited out."""
    wait, longest = START_RETRY_SECONDS
    while True:
        try:
            return await attempt()
        except Passing as trouble:
            log.warning("%s failed (%s); trying again in %g s", what, trouble, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, longest)
