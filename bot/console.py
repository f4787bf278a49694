"""The terminal adapter, the embedded default: the whole product with no token and no network.

You act as one person (`/switch NAME` to become another) and see what is yours: the replies
to what you type and the messages sent to you. What others receive waits for them, with a
one-line notice, and shows when you switch to them (`/all` shows everyone's as it arrives,
headed with its recipient). Buttons are numbered: type the number to press one (`#N` when
the question itself wants a number).

Two commands show what time does, without waiting for it: `/digest` shows your digest as
it reads now, and `/at WHEN` (`/at 明天 8:30`, `/at next Monday`) runs what the scheduler
would run at that moment — the reminders and digests due by then are sent, as they would
be then, and the clock goes on from now.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.adapter import Adapter
from handlers import outbox, schedule
from handlers.digest import engine as digest
from handlers.engine.context import translator_for, zone_of
from handlers.engine.core import CONSOLE, Core
from handlers.engine.i18n import Translator
from handlers.engine.messages import Event, Message
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from storage.models import Person, utcnow

MAX_HELD = 50  # messages kept for each person not shown; older ones are counted, not kept
MAX_AHEAD = timedelta(days=92)  # `/at` looks a quarter ahead at most, not at 2099's digest


class Console(Adapter):
    """One terminal, anyone in the org chart; prints what the core answers."""

    platform = CONSOLE

    def __init__(
        self,
        core: Core,
        person: str,
        out: Callable[[str], None] = print,
        clock: Callable[[], datetime] = utcnow,
        everyone: bool = False,
        files: Path | None = None,
    ) -> None:
        super().__init__(core)
        self.person = person
        self.out = out
        self.clock = clock
        self.everyone = everyone  # print every message as it arrives, whoever it is for
        self.buttons: dict[int, str] = {}
        self.numbers_are_answers = False
        self.files = files or Path(tempfile.mkdtemp(prefix="visitdesk-"))
        self.held: dict[str, list[Message]] = defaultdict(list)
        self.dropped: dict[str, int] = defaultdict(int)

    def feed(self, line: str) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        text = line.strip()
        command, _, argument = text.partition(" ")
        if command in ("/quit", "/exit"):
            return False
        console_commands = {
            "/switch": self._switch,
            "/all": self._toggle_everyone,
            "/digest": self._digest,
            "/at": self._at,
        }
        if command in console_commands:
            console_commands[command](argument.strip())
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

    def deliver(self, now: datetime | None = None) -> int:
        """Run one scheduler tick (due reminders and digests) at `now` (default: the clock),
        then show what the outbox holds for the person, and hold what it holds for others.
        Returns how many messages it took from the outbox."""
        at = now or self.clock()
        schedule.tick(self.core.db, self.core.policy, at)
        taken = 0
        for_others: dict[str, int] = defaultdict(int)
        while batch := outbox.claim(self.core.db, CONSOLE, at):
            for pending in batch:
                taken += 1
                name = self._name(pending.person_id)
                if self.everyone or name == self.person:
                    self._show(pending.message, recipient=name if self.everyone else None)
                else:
                    self._hold(name, pending.message)
                    for_others[name] += 1
                outbox.mark_sent(self.core.db, pending.id, at)
        for name, count in for_others.items():
            self.out(self._t()("console.held", name=name, n=count))
        return taken

    def run(self, read: Callable[[str], str] = input, log: Path | None = None) -> None:
        self.out(f"visitdesk console — you are {self.person}. /switch NAME, /help, /quit")
        self.out(self._t()("console.hint"))
        if log is not None:
            self.out(self._t()("console.log", path=log))
        self.deliver()
        while True:
            try:
                line = read(f"{self.person}> ")
            except (EOFError, KeyboardInterrupt):
                break
            if not self.feed(line):
                break

    # ---------------------------------------------------------------- console commands

    def _switch(self, name: str) -> None:
        with self.core.db.session() as session:
            known = session.scalars(select(Person.name).where(Person.name == name)).first()
        if known is None:
            self._nobody(name)
            return
        self.person = name
        self.numbers_are_answers = False
        self.out(f"(you are now {name})")
        if self.dropped[name]:
            self.out(self._t()("console.dropped", n=self.dropped.pop(name)))
        for message in self.held.pop(name, []):
            self._show(message, recipient=None)

    def _toggle_everyone(self, argument: str) -> None:
        self.everyone = not self.everyone
        self.out(self._t()("console.all_on" if self.everyone else "console.all_off"))

    def _digest(self, argument: str) -> None:
        """The person's digest as it reads now (the scheduler sends it at their digest time)."""
        now = self.clock()
        with self.core.db.session() as session:
            me = self._me(session)
            if me is None:
                return
            person, t, zone = me
            day = now.astimezone(zone).date()
            message = digest.build(session, self.core.policy, person, now, day)
        if message is None:
            self.out(t("console.digest_empty"))
        else:
            self._show(message, recipient=None)

    def _at(self, argument: str) -> None:
        """Run the scheduler as at the moment typed (a day alone: its digest time)."""
        now = self.clock()
        with self.core.db.session() as session:
            me = self._me(session)
            if me is None:
                return
            _, t, zone = me
        if not argument:
            self.out(t("console.at_usage"))
            return
        try:
            when = parse_when(argument, now.astimezone(zone), t.lang)
        except DateNotUnderstood as error:
            self.out(t(f"flow.error.date.{error.reason}") + "\n" + t("console.at_usage"))
            return
        moment = when.value
        if not when.has_time:
            moment = datetime.combine(moment.date(), self.core.policy.digest.time, zone)
        if moment < now:  # what was due then has been sent; a past morning's digest is stale
            self.out(t("console.at_past", when=t.datetime(moment, zone)))
            return
        if moment > now + MAX_AHEAD:  # it would send every reminder of the months between
            self.out(t("console.at_far", when=t.datetime(moment, zone), days=MAX_AHEAD.days))
            return
        self.out(t("console.at", when=t.datetime(moment, zone)))
        if not self.deliver(moment):
            self.out(t("console.at_nothing"))

    # ---------------------------------------------------------------- helpers

    def _nobody(self, name: str) -> None:
        self.out(f"(nobody called {name!r}; /switch NAME with a name from the org chart)")

    def _current(self, session: Session) -> Person | None:
        return session.scalars(select(Person).where(Person.name == self.person)).first()

    def _me(self, session: Session) -> tuple[Person, Translator, ZoneInfo] | None:
        """The current person with their language and zone; None, said, when the org chart
        has nobody of that name."""
        person = self._current(session)
        if person is None:
            self._nobody(self.person)
            return None
        policy = self.core.policy
        return person, translator_for(session, person, policy), zone_of(person, policy)

    def _t(self) -> Translator:
        """The current person's language, for the console's own lines."""
        with self.core.db.session() as session:
            person = self._current(session)
            if person is None:
                return Translator(self.core.policy.org.default_locale)
            return translator_for(session, person, self.core.policy)

    def _hold(self, name: str, message: Message) -> None:
        held = self.held[name]
        held.append(message)
        if len(held) > MAX_HELD:
            del held[0]
            self.dropped[name] += 1

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
