"""The scheduler's loop: `handlers.schedule.tick` every `TICK_SECONDS`, beside the adapters.

What a tick plans and sends (digests, charts, at-risk alerts, due reminders) is
`handlers/schedule.py`; the adapters' serve functions start this loop, and the console calls
`tick` once per typed line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from handlers import schedule

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def run_scheduler(app: App, stop_event: asyncio.Event) -> None:
    """Tick every `TICK_SECONDS` until `stop_event` is set; a failed tick is logged and
    the next one tries again (rows stay pending until a tick sends them)."""
    interval = app.settings.tick_seconds
    while not stop_event.is_set():
        try:
            report = await asyncio.to_thread(schedule.tick, app.db, app.policy, app.core.clock())
            if report.sent or report.failed:
                log.info(
                    "scheduler: %d queued, %d dropped, %d failed",
                    len(report.sent),
                    report.dropped,
                    report.failed,
                )
        except Exception:
            log.exception("scheduler tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop_event.wait(), interval)
