"""The terminal adapter, the embedded default: the whole product with no token and no network.

You act as one person (`/switch NAME` to become another); every message anyone receives is
printed as it arrives, headed with its recipient. Buttons are numbered: type the number to
press one (`#N` when the question itself wants a number).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot import outbox, scheduler
from handlers.core import CONSOLE, Core
from handlers.messages import Event, Message
from storage.models import Person, utcnow


class Console:
    def __init__(
        self,
        core: Core,
        person: str,
        out: Callable[[str], None] = print,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.core = core
        self.person = person
        self.out = out
        self.clock = clock
        self.buttons: dict[int, str] = {}
        self.numbers_are_answers = False
        self.files = Path(tempfile.mkdtemp(prefix="visitdesk-"))

    def feed(self, line: str) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        text = line.strip()
        if text in ("/quit", "/exit"):
            return False
        if text.startswith("/switch"):
            self._switch(text.removeprefix("/switch").strip())
            return True
        if not text:
            return True
        action = self._button(text)
        event = Event(CONSOLE, self.person, text=None if action else line, action=action)
        for message in self.core.handle(event):
            # A typed answer's question, settled: on a terminal the typed line is its record.
            if not (message.settles and action is None):
                self._show(message, recipient=None)
        self.deliver()
        return True

    def deliver(self) -> None:
        """Run one scheduler tick (due reminders and digests), then print what the outbox
        holds for people reached through the console."""
        scheduler.tick(self.core.db, self.core.policy, self.clock())
        while batch := outbox.claim(self.core.db, CONSOLE, self.clock()):
            for pending in batch:
                self._show(pending.message, recipient=self._name(pending.person_id))
                outbox.mark_sent(self.core.db, pending.id, self.clock())

    def run(self, read: Callable[[str], str] = input) -> None:
        self.out(f"visitdesk console — you are {self.person}. /switch NAME, /help, /quit")
        self.deliver()
        while True:
            try:
                line = read(f"{self.person}> ")
            except (EOFError, KeyboardInterrupt):
                break
            if not self.feed(line):
                break

    # ---------------------------------------------------------------- helpers

    def _switch(self, name: str) -> None:
        with self.core.db.session() as session:
            known = session.scalars(select(Person.name).where(Person.name == name)).first()
        if known is None:
            self.out(f"(nobody called {name!r}; /switch NAME with a name from the org chart)")
            return
        self.person = name
        self.numbers_are_answers = False
        self.out(f"(you are now {name})")

    def _button(self, text: str) -> str | None:
        number = text.removeprefix("#")
        if not number.isdecimal() or int(number) not in self.buttons:
            return None
        if self.numbers_are_answers and not text.startswith("#"):
            return None
        return self.buttons[int(number)]

    def _name(self, person_id: int) -> str:
        with self.core.db.session() as session:
            person = session.get(Person, person_id)
            return person.name if person else f"#{person_id}"

    def _show(self, message: Message, recipient: str | None) -> None:
        lines = []
        if recipient is not None:
            lines.append(f"── to {recipient} ──")
        if message.replace:
            lines.append("(card updated)")
        lines.append(message.text)
        marker = "#" if message.expects_number else ""
        for row in message.buttons:
            cells = []
            for button in row:
                number = len(self.buttons) + 1
                self.buttons[number] = button.action
                cells.append(f"[{marker}{number}] {button.label}")
            lines.append("  ".join(cells))
        if message.attachment:
            path = self.files / message.attachment.filename
            path.write_bytes(message.attachment.content)
            lines.append(f"(file: {path})")
        if recipient is None or recipient == self.person:
            self.numbers_are_answers = message.expects_number
        self.out("\n".join(lines))
