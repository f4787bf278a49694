"""The overall pace: however late the event loop runs and however long a send takes, no
`period` ever holds more than `at_most` arrivals at the receiving end. Scaled down (a period
of 0.2 s) so it runs quickly; the property is the same at Telegram's one second."""

from __future__ import annotations

import asyncio
import random
import time

from bot.telegram_limits import Pacer

PERIOD = 0.2
AT_MOST = 6


async def _send(pacer: Pacer, arrivals: list[float], rng: random.Random, stall: bool) -> None:
    loop = asyncio.get_running_loop()
    async with pacer:
        # A send reaches the receiver somewhere between its start and its answer.
        await asyncio.sleep(rng.uniform(0, 0.03))
        arrivals.append(loop.time())
        if stall:
            time.sleep(0.08)  # the event loop blocked (a render, a slow query): sends pile up
        await asyncio.sleep(rng.uniform(0, 0.03))


def _busiest(arrivals: list[float]) -> int:
    arrivals = sorted(arrivals)
    return max(
        sum(1 for later in arrivals[i:] if later < first + PERIOD)
        for i, first in enumerate(arrivals)
    )


async def test_no_period_holds_more_than_the_limit_even_after_stalls() -> None:
    pacer = Pacer(rate=AT_MOST - 0.5, at_most=AT_MOST, period=PERIOD)
    rng = random.Random(7)
    arrivals: list[float] = []
    await asyncio.gather(*(_send(pacer, arrivals, rng, stall=i % 9 == 4) for i in range(60)))
    assert len(arrivals) == 60
    assert _busiest(arrivals) <= AT_MOST


async def test_counting_starts_alone_would_let_a_stall_through() -> None:
    """The same sends with the count lifted (slots only): the check above is not vacuous."""
    pacer = Pacer(rate=AT_MOST - 0.5, at_most=10_000, period=PERIOD)
    rng = random.Random(7)
    arrivals: list[float] = []
    await asyncio.gather(*(_send(pacer, arrivals, rng, stall=i % 9 == 4) for i in range(60)))
    assert _busiest(arrivals) > AT_MOST
