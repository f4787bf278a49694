"""Test helpers shared by every suite: a settable clock, a console driver that keeps
what each person received, and `visitdesk` run as a process."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from bot.adapter import LiveAdapter, Parts, Spot
from bot.console import Console
from handlers.engine.core import Core
from handlers.engine.messages import Message

CHECKOUT = Path(__file__).resolve().parent.parent


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Collecting(LiveAdapter):
    """A platform that only collects what the adapter base asks of it (the idea of Rasa's
    CollectingOutputChannel): messages sent, with their chat, and messages edited in place.
    `refuse` sends fail, as a platform that is away."""

    platform = "collect"

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.sent: list[tuple[str, Message]] = []
        self.edited: list[tuple[Spot, Message]] = []
        self.refuse = 0

    async def send(self, chat: str, message: Message, parts: Parts) -> str | None:
        if self.refuse:
            self.refuse -= 1
            raise ConnectionError("the platform is away")
        self.sent.append((chat, message))
        return str(len(self.sent))

    async def edit(self, spot: Spot, message: Message) -> None:
        self.edited.append((spot, message))

    def retry_in(self, error: Exception | None) -> timedelta:
        return timedelta(0)


class Company:
    """The example company, driven through the console adapter's code path.

    `company.say("李明", "/reception")` types as that person; `company.inbox["王经理"]` is
    everything 王经理 received, in order; `company.press("王经理", "同意")` presses the button
    with that label on the last message to them that has it.
    """

    def __init__(self, core: Core, clock: FakeClock) -> None:
        self.core = core
        self.clock = clock
        self.inbox: dict[str, list[str]] = defaultdict(list)
        # Everyone's messages as they arrive, each headed with its recipient (`/all`).
        self.console = Console(core, "", out=self._record, clock=clock, everyone=True)
        self.buttons_shown: dict[str, list[tuple[str, int]]] = defaultdict(list)

    def _record(self, text: str) -> None:
        recipient = self.console.person
        lines = text.split("\n")
        if lines[0].startswith("── to ") and lines[0].endswith(" ──"):
            recipient = lines[0][len("── to ") : -len(" ──")]
            lines = lines[1:]
        body = "\n".join(lines)
        self.inbox[recipient].append(body)
        for line in lines:
            for cell in line.split("  "):
                if cell.startswith("[") and "] " in cell:
                    number, label = cell[1:].split("] ", 1)
                    if number.lstrip("#").isdigit():  # not a card's "[Reception #1] ACME"
                        self.buttons_shown[recipient].append((label, int(number.lstrip("#"))))

    def say(self, person: str, text: str) -> str:
        """Type a line as a person; returns what that person got back, joined."""
        self.console.person = person
        before = len(self.inbox[person])
        self.console.feed(text)
        return "\n".join(self.inbox[person][before:])

    def press(self, person: str, label: str) -> str:
        """Press the newest button labelled `label` that was shown to this person."""
        return self.say(person, self.button(person, label))

    def give_reason(self, person: str, reason: str) -> str:
        """Type the reason a Reject or Ask-for-changes asked for, read what it will do, and
        press Submit; returns what the person got back after Submit."""
        shown = self.say(person, reason)
        assert reason in shown and "提交后申请人会收到" in shown, shown
        return self.press(person, "提交")

    def button(self, person: str, label: str) -> str:
        """The newest button labelled `label` shown to this person, as typed to press it
        (`#N`): kept, it presses that very button later, when newer ones share its label."""
        for shown, number in reversed(self.buttons_shown[person]):
            if shown == label or shown == f"✓ {label}":
                return f"#{number}"
        raise AssertionError(
            f"{person} was shown no button {label!r}: {self.buttons_shown[person]}"
        )

    def last(self, person: str) -> str:
        return self.inbox[person][-1] if self.inbox[person] else ""


async def run_visitdesk(
    args: list[str], env: dict[str, str], cwd: Path, ceiling: float = 30
) -> tuple[int, str]:
    """`visitdesk ARGS` as a process, as an admin runs it: its exit code and everything it
    printed. `ceiling` is reached only by a process that hangs, which fails the test.

    The process runs this checkout's code: an editable install may point elsewhere (another
    git worktree), and the admin's environment `env` says nothing about where the code is."""
    run = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot.cli", *args),
        env=env | {"PYTHONPATH": str(CHECKOUT)},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(ceiling):
            out, _ = await run.communicate()
    finally:
        if run.returncode is None:
            run.kill()
            await run.wait()
    assert run.returncode is not None
    return run.returncode, out.decode()


@contextmanager
def taken_port() -> Iterator[int]:
    """A port of 127.0.0.1 that another program listens at while the block runs."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])
