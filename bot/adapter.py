"""What every platform's adapter shares, so an adapter only translates.

An adapter turns a platform's payload into an `Event` and the core's answer into platform
calls. Everything else is here, written once (the idea of Rasa's InputChannel and
OutputChannel: defaults that do the common work, a few hooks a platform fills in):

- `Adapter`: the core, and the words for someone the core does not know (a stranger).
- `LiveAdapter`, for a platform reached over the network:
  - the answer to an event is shown to the person it is for (the core says whom);
  - a card already shown is edited in every copy (`handlers.outbox` remembers where each
    copy went), and a question settled is forgotten there;
  - a reply the platform would not take is kept in the outbox, with the replies after it,
    in order, so a saved answer's reply is sent later rather than lost;
  - the one delivery loop: a pass as soon as a transaction that queued messages commits (a
    burst of commits makes one pass) and every tick for the rest; chats side by side, each
    chat's messages in order, the next batch claimed while one goes out; a stopping adapter
    finishes the message it is sending and gives back the rows claimed but not sent.

A platform implements `send` and `edit` (and says which of its errors are worth keeping a
reply for, and how long a failed row waits); the console, which prints, needs only `Adapter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from handlers import outbox
from handlers.engine.context import OUTBOX
from handlers.engine.core import Core
from handlers.engine.i18n import Translator, choose_locale
from handlers.engine.messages import Answer, Message, SetMenu

log = logging.getLogger(__name__)
# How long a stopping bot waits for the message it is sending: Telegram's and Slack's own
# timeouts are shorter, so only a platform gone silent mid-send is cut off.
GRACE_SECONDS = 30.0
Spot = tuple[str, str]  # (chat id, message id) of a message shown on a platform


@dataclass
class Parts:
    """How many parts of a message (its text pieces, then its file) the platform has taken,
    counted as each is taken. An outbox row keeps the count (`record`), so a retry sends only
    the rest: a file that would not upload does not send the text again."""

    taken: int = 0
    record: Callable[[int], Awaitable[None]] | None = None
    # What is being sent, the same on every try (an outbox row's): for a platform that takes
    # an idempotency key (Feishu's uuid), so a retry after a lost answer is shown once.
    key: str | None = None

    def due(self, number: int) -> bool:
        """Whether part `number` (from 1) is still to send."""
        return number > self.taken

    async def took(self, number: int, total: int) -> None:
        self.taken = number
        if self.record is not None and number < total:  # the last: the row is marked sent
            await self.record(number)


class SentMarks:
    """Rows a platform accepted, waiting to be marked sent. One the database would not take
    stays here and is marked before anything is claimed again, so its lease ending cannot
    send it twice."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._unmarked: dict[int, datetime] = {}

    async def sent(self, pending_id: int, at: datetime) -> None:
        self._unmarked[pending_id] = at
        await self.flush()

    async def flush(self) -> None:
        while self._unmarked:
            pending_id, sent_at = next(iter(self._unmarked.items()))
            await asyncio.to_thread(outbox.mark_sent, self.core.db, pending_id, sent_at)
            self._unmarked.pop(pending_id, None)  # another chat's delivery may have marked it


def wake_in(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Callable[[], None]:
    """A commit listener (called in whichever thread committed) that runs `callback` in
    `loop`'s thread; a loop already closed has nothing left to wake."""

    def wake() -> None:
        with contextlib.suppress(RuntimeError):  # "Event loop is closed"
            loop.call_soon_threadsafe(callback)

    return wake


class Adapter:
    """A platform's place beside the core."""

    platform: ClassVar[str]

    def __init__(self, core: Core) -> None:
        self.core = core

    def stranger_translator(self, platform_locale: str | None) -> Translator:
        """Words for someone the core does not know (yet): the platform's locale, else the
        org's."""
        locale = choose_locale(None, platform_locale, self.core.policy.org.default_locale)
        return Translator(locale)

    def now(self) -> datetime:
        return self.core.clock()  # the core's clock: the outbox rows were stamped with it


class LiveAdapter(Adapter):
    """A platform over the network: answers shown, cards kept up to date, failed replies
    kept, and the outbox delivered (see the module doc)."""

    # Errors of `send` after which a reply is kept in the outbox; any other propagates.
    keep_on: ClassVar[tuple[type[BaseException], ...]] = (Exception,)
    # How long a kept reply waits before the next pass may try it.
    keep_for: ClassVar[timedelta] = timedelta(0)
    # Whether an EditCard also edits the message whose button was pressed when that is no
    # copy of the card (Telegram: the digest line pressed becomes the decided card).
    edits_pressed: ClassVar[bool] = True

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self._marks = SentMarks(core)
        self._delivering = asyncio.Lock()  # one outbox pass at a time
        self._stopping = False  # set by `stop_delivering`: passes claim no more
        self._pass_pending = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop_listening: Callable[[], None] | None = None

    # ---------------------------------------------------------------- what a platform writes

    async def send(self, chat: str, message: Message, parts: Parts) -> str | None:
        """Show a message anew in `chat` (the parts not taken yet, counted in `parts`); the id
        of the message that can later be edited, if one was sent now."""
        raise NotImplementedError

    async def edit(self, spot: Spot, message: Message) -> None:
        """Show `message` in place of the one at `spot`; one gone is not an error."""
        raise NotImplementedError

    def retry_in(self, error: Exception | None) -> timedelta:
        """How long an outbox row waits after `error` (None: the person has no chat here)."""
        raise NotImplementedError

    async def set_menu(self, chat: str, menu: SetMenu) -> None:
        """List these commands in the chat's menu; a platform with no menu of its own (Slack's
        is the one slash command) has nothing to do."""

    # ---------------------------------------------------------------- answers

    async def answer(self, answer: Answer, chat: str, pressed: Spot | None = None) -> None:
        """Show the core's answer in `chat`, the chat of the person it is for; `pressed` is
        the message whose button they pressed. A form opened is shown as its first question
        (a platform that draws a form whole has drawn it and taken it out). A reply the
        platform would not take is kept, with those after it; a menu is set last."""
        replies = answer.replies
        for number, reply in enumerate(replies):
            parts = Parts()
            try:
                await self.show(chat, reply, pressed, parts)
            except self.keep_on as error:
                log.warning("reply in %s not sent (%r); kept in the outbox", chat, error)
                if answer.person_id is not None:  # a stranger's line: nothing to keep it for
                    await asyncio.to_thread(
                        outbox.keep,
                        self.core.db,
                        answer.person_id,
                        replies[number:],
                        parts.taken,
                        self.now(),
                        self.keep_for,
                    )
                break
        for menu in answer.intents:
            if isinstance(menu, SetMenu):
                await self.set_menu(chat, menu)

    async def show(
        self,
        chat: str,
        message: Message,
        pressed: Spot | None = None,
        parts: Parts | None = None,
    ) -> None:
        """Edit every copy shown of a card being updated (an EditCard; without a card, the
        message pressed), else send anew the parts not sent yet, noting where a card went
        for the person it is for (`message.to`)."""
        parts = parts or Parts()
        db = self.core.db
        person_id = message.to
        if message.replace:
            known = message.card is not None and person_id is not None
            spots: set[Spot] = set()
            if message.card is not None and person_id is not None:
                found = await asyncio.to_thread(
                    outbox.copies_of, db, message.card, person_id, self.platform
                )
                spots.update(found)
            if pressed is not None and (self.edits_pressed or not known):
                spots.add(pressed)
            for spot in sorted(spots):
                await self.edit(spot, message)
            if message.settles and message.card is not None and person_id is not None:
                await asyncio.to_thread(
                    outbox.forget_card, db, message.card, person_id, self.platform
                )
            if spots or message.settles:
                return
        sent = await self.send(chat, message, parts)
        if message.card is not None and person_id is not None and sent is not None:
            await asyncio.to_thread(
                outbox.remember_card, db, message.card, person_id, self.platform, chat, sent
            )

    # ---------------------------------------------------------------- background work

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a tracked task (`idle` waits for it); a failure is logged."""
        task = asyncio.create_task(self._logged(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _logged(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except Exception:
            log.exception("%s work failed", self.platform)

    async def idle(self) -> None:
        """Wait until all work started so far, and any work it started, has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    # ---------------------------------------------------------------- the delivery loop

    def listen(self) -> None:
        """Deliver as soon as a transaction that queued messages commits."""
        if self._stop_listening is None:
            wake = wake_in(asyncio.get_running_loop(), self.deliver_soon)
            self._stop_listening = self.core.db.on_commit(OUTBOX, wake)

    def close(self) -> None:
        """Stop being woken by commits: the database outlives the bot and its event loop."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def deliver_soon(self) -> None:
        """One pass for all the wake-ups that come before it starts (a scheduler tick
        commits every tenth of a second)."""
        if not self._pass_pending and not self._stopping:
            self._pass_pending = True
            self.later(self._pending_pass())

    async def _pending_pass(self) -> None:
        async with self._delivering:  # once any pass under way is done, this one starts
            self._pass_pending = False
        await self.deliver()

    async def run_outbox(self, tick_seconds: float) -> None:
        """A pass every tick besides the wake-ups (other processes' rows, retries, rows whose
        time came); runs until cancelled, leaving a pass under way to finish (see
        `stop_delivering`)."""
        while True:
            self.deliver_soon()
            await asyncio.sleep(tick_seconds)

    async def stop_delivering(self) -> None:
        """Claim no more; let the work under way finish — the message being sent is marked
        sent, the rows claimed but not sent are given back due at once, so the next process
        sends them — cutting off, after GRACE_SECONDS, a platform that stopped answering."""
        self.close()
        self._stopping = True
        try:
            await asyncio.wait_for(self.idle(), GRACE_SECONDS)
        except TimeoutError:
            log.warning("%s: work did not end in %ss; cancelled", self.platform, GRACE_SECONDS)
        async with self._delivering:
            await self._marks.flush()

    async def deliver(self) -> None:
        """Send everything due in the outbox for people on this platform."""
        async with self._delivering:
            await self._marks.flush()  # rows sent while the database was away, first
            batch = await self._claim()
            while batch:
                # The next batch is claimed while this one goes out: the pace must not wait
                # for the database between batches.
                upcoming = asyncio.ensure_future(self._claim())
                unsent: list[int] = []
                try:
                    # Chats side by side, each chat's messages in order: one chat waiting for
                    # its own pace must not hold up everyone else's digest.
                    chats: dict[str | None, list[outbox.Pending]] = {}
                    for pending in batch:
                        chats.setdefault(pending.chat_id, []).append(pending)
                    left = await asyncio.gather(
                        *(self._deliver_in_order(rows) for rows in chats.values())
                    )
                    unsent = [row for rows in left for row in rows]
                finally:
                    batch = await upcoming  # a pass that failed leaves it to its lease
                if self._stopping:
                    unsent += [pending.id for pending in batch]
                    batch = []
                await asyncio.to_thread(outbox.release, self.core.db, unsent, self.now())

    async def _claim(self) -> list[outbox.Pending]:
        if self._stopping:
            return []
        return await asyncio.to_thread(outbox.claim, self.core.db, self.platform, self.now())

    async def _deliver_in_order(self, rows: list[outbox.Pending]) -> list[int]:
        """One chat's messages in order; the ids left unsent when the bot began stopping."""
        for number, pending in enumerate(rows):
            if self._stopping:
                return [left.id for left in rows[number:]]
            await self._deliver_one(pending)
        return []

    async def _deliver_one(self, pending: outbox.Pending) -> None:
        retry_in = None
        if pending.chat_id is None:  # linked, but never reached us from this platform
            log.warning("outbox %s: person %s has no chat here", pending.id, pending.person_id)
            retry_in = self.retry_in(None)
        else:
            record = partial(self._record_parts, pending.id)
            parts = Parts(pending.parts_sent, record, key=f"vd-outbox-{pending.id}")
            try:
                await self.show(pending.chat_id, pending.message, None, parts)
            except Exception as error:  # refused, past the retries, or a bug: keep the row
                log.warning("outbox %s not delivered: %r", pending.id, error, exc_info=True)
                retry_in = self.retry_in(error)
        if retry_in is None:
            await self._marks.sent(pending.id, self.now())
        else:
            await asyncio.to_thread(
                outbox.mark_failed, self.core.db, pending.id, self.now(), retry_in
            )

    async def _record_parts(self, pending_id: int, parts_sent: int) -> None:
        await asyncio.to_thread(outbox.mark_parts, self.core.db, pending_id, parts_sent)
