"""When an adapter delivers its outbox: as soon as a transaction that queued messages
commits in this process, and every tick for the rest (other processes' messages, retries,
rows whose `not_before` came).

Waking on the commit rather than after every handled update means an update that queued
nothing for anyone (most form steps) costs no outbox pass at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from handlers.engine.context import OUTBOX
from storage.db import Database

log = logging.getLogger(__name__)
# How long a stopping bot waits for the message it is sending: Telegram's and Slack's own
# timeouts are shorter, so only a platform gone silent mid-send is cut off.
GRACE_SECONDS = 30.0


def wake_in(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Callable[[], None]:
    """A commit listener (called in whichever thread committed) that runs `callback` in
    `loop`'s thread; a loop already closed has nothing left to wake."""

    def wake() -> None:
        with contextlib.suppress(RuntimeError):  # "Event loop is closed"
            loop.call_soon_threadsafe(callback)

    return wake


class DeliveryLoop:
    """Runs `deliver` when woken by a commit that queued messages, or after `every` seconds."""

    def __init__(
        self, db: Database, deliver: Callable[[], Awaitable[None]], every: float, name: str
    ) -> None:
        self.db = db
        self.deliver = deliver
        self.every = every
        self.name = name
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._closing = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop_listening = self.db.on_commit(OUTBOX, wake_in(loop, self._wake.set))
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """End the loop: a pass under way is let finish (the adapter has it claim no more and
        stop after the message it is sending), not cancelled mid-send; one that does not end
        within GRACE_SECONDS (a platform that stopped answering) is cancelled."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        self._closing = True
        self._wake.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), GRACE_SECONDS)
            except TimeoutError:
                log.warning("%s: a pass did not end in %ss; cancelled", self.name, GRACE_SECONDS)
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._closing:
            try:
                await self.deliver()
            except Exception:  # a bad pass must not end the loop; the rows wait for the next
                log.exception("%s: outbox pass failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)
            self._wake.clear()
