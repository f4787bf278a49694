"""What one bot process does in the multi-process race tests, started by `multiprocessing`
with the spawn method: its own interpreter, its own engine and pool, nothing shared with the
test but the database URL. It decides an approval step (two taps at once, as a double tap),
then drains the outbox, and reports what it got."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import outbox
from handlers.engine.core import CONSOLE, Core
from handlers.engine.features import FEATURES
from handlers.engine.messages import Event
from handlers.rules.policy.schema import default_policy
from storage.db import Database

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # an hour after the tests' START


def bot_process(url: str, who: str, action: str, platform: str, start: Any, out: Any) -> None:
    db = Database(url)
    try:
        core = Core(db, default_policy(), FEATURES, lambda: NOW)
        answers: list[list[str]] = []

        def tap() -> None:
            replies = core.handle(Event(CONSOLE, who, action=action))
            answers.append([m.text for m in replies])

        taps = [threading.Thread(target=tap) for _ in range(2)]
        start.wait()  # every process taps at the same moment
        for thread in taps:
            thread.start()
        for thread in taps:
            thread.join()

        start.wait()  # and then every process drains the same outbox
        claimed: list[int] = []
        later = NOW + timedelta(days=1)
        while batch := outbox.claim(db, platform, later, limit=7):
            claimed += [pending.id for pending in batch]
        out.put({"who": who, "answers": answers, "claimed": claimed})
    finally:
        db.dispose()
