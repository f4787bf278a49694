"""Telegram's limits, kept in one place: message length, send rates, update order.

- A text message holds at most 4096 characters, counted in UTF-16 code units (an emoji
  counts twice), so longer texts are split, at line breaks where possible.
- Sending: about 30 messages a second overall and about one a second per chat. PTB's
  `AIORateLimiter` paces the overall rate and groups and retries after a 429; it does not
  pace private chats, so `TelegramLimits` adds a per-chat bucket that allows a short burst
  (one answer is often two or three messages) and then one a second. The overall pace is
  `Pacer`'s: a slot every 1/29.5 s, no burst, and never more than 30 arriving in any one
  second — counted from what is in flight or was answered, since a send's moment of arrival
  lies somewhere in between. PTB's default bucket (30 at once, then 30 a second) let 50
  digests out in the first second of a fan-out, a bucket without the burst fell behind
  whenever the event loop was busy, and counting sends as they started let 32–35 arrive in
  one second after a stall (bench/RESULTS.md).
- Updates of one chat are handled in order (a form's answers must not overtake each other);
  different chats are handled side by side, so one busy chat does not hold up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

TEXT_LIMIT = 4096
CHAT_BURST = 3  # messages one chat may get at once before pacing starts
CHAT_RATE_PERIOD = 3.0  # seconds to refill the burst: one message a second on average
OVERALL_RATE = 29.5  # slots a second for the whole bot
OVERALL_AT_MOST = 30  # Telegram's limit: never more arriving in any one second
RETRIES_AFTER_429 = 5
_MAX_CHAT_BUCKETS = 1024  # forget idle chats' buckets past this many

JSONish = bool | dict[str, Any] | list[dict[str, Any]]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut a text into pieces Telegram accepts, keeping whole lines together when they fit."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        for part in _hard_cut(line, limit):
            if current and utf16_len(current) + utf16_len(part) > limit:
                pieces.append(current)
                current = ""
            current += part
    if current:
        pieces.append(current)
    return [piece.rstrip("\n") for piece in pieces if piece.strip()]


def _hard_cut(line: str, limit: int) -> list[str]:
    """A single line longer than the limit, cut by characters (never inside a surrogate pair)."""
    parts: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = utf16_len(char)
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
        current += char
        size += width
    parts.append(current)
    return parts


class TelegramLimits(AIORateLimiter):
    """PTB's rate limiter plus a per-chat bucket for private chats."""

    def __init__(
        self,
        chat_burst: int = CHAT_BURST,
        chat_period: float = CHAT_RATE_PERIOD,
        max_retries: int = RETRIES_AFTER_429,
        overall_rate: float = OVERALL_RATE,
        overall_at_most: int = OVERALL_AT_MOST,
    ) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)  # paced by `Pacer` instead
        self._pace = Pacer(overall_rate, overall_at_most)
        self._chat_burst = chat_burst
        self._chat_period = chat_period
        self._chats: dict[int, AsyncLimiter] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONish]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONish:
        chat = _private_chat(data.get("chat_id"))
        bucket = self._bucket(chat) if chat is not None else contextlib.nullcontext()
        # Like PTB's overall limit, the pace applies to whatever is sent to a chat.
        pace = self._pace if data.get("chat_id") is not None else contextlib.nullcontext()
        async with bucket, pace:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

    def _bucket(self, chat: int) -> AsyncLimiter:
        if chat not in self._chats and len(self._chats) >= _MAX_CHAT_BUCKETS:
            for key, bucket in list(self._chats.items()):
                if bucket.has_capacity(bucket.max_rate):  # idle: full again
                    del self._chats[key]
        return self._chats.setdefault(chat, AsyncLimiter(self._chat_burst, self._chat_period))


class Pacer:
    """Evenly spaced sends, never more than `at_most` arriving in any one `period`.

    Each entry takes the next free slot, `period / rate` after the one before, and waits for
    it: no burst after a quiet spell (an idle pacer's next slot is now), and a late wake-up
    does not move the slots after it. Slots alone do not bound what the receiver sees: sends
    whose slots passed while the event loop was busy go out together, and a send arrives at
    some moment between its start and its answer. So a send also waits until fewer than
    `at_most` sends are in flight or were answered within the last `period`: of any
    `at_most + 1` sends arriving within one period, the last to start would have seen the
    others in flight or answered within the period, and waited.
    """

    def __init__(self, rate: float, at_most: int, period: float = 1.0) -> None:
        self._interval = period / rate
        self._at_most = at_most
        self._period = period
        self._next = 0.0
        self._in_flight = 0
        self._answered: deque[float] = deque()  # loop times of recent answers, oldest first
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)
        async with self._changed:  # one at a time, in order, past the count
            while True:
                now = loop.time()
                while self._answered and self._answered[0] <= now - self._period:
                    self._answered.popleft()
                if self._in_flight + len(self._answered) < self._at_most:
                    break
                until_oldest = self._answered[0] + self._period - now if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), until_oldest)
            self._in_flight += 1

    async def __aexit__(self, *_: object) -> None:
        async with self._changed:
            self._in_flight -= 1
            self._answered.append(asyncio.get_running_loop().time())
            self._changed.notify()


def _private_chat(chat_id: object) -> int | None:
    """A private chat's id (positive); groups and channels are paced by PTB already."""
    try:
        number = int(str(chat_id))
    except ValueError:
        return None
    return number if number > 0 else None


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Runs updates of different chats concurrently and those of one chat one after another."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}  # how many updates hold or wait for each lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int:
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return 0
