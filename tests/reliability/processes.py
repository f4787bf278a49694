"""Bot processes for the crash tests: the console (`python -m bot.cli chat --as NAME`) fed
lines on stdin, and the Telegram adapter run as its own process by `telegram_process.py`.
Both are real processes a test may SIGKILL at any point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # a ceiling for a hung process, never a measure of speed


def bot_environment(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a bot process: this one's, minus any platform tokens, plus ours."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "SLACK_", "VISITDESK_CLOCK"))
    }
    env |= {
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    return env | extra


class Process:
    """A child process whose output is collected as it comes."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )
        self._output: list[str] = []
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        # A BufferedReader at run time (bufsize -1); typeshed types Popen.stdout as IO[bytes].
        while chunk := self.proc.stdout.read1(4096):  # type: ignore[attr-defined]
            with self._lock:
                self._output.append(chunk.decode("utf-8", "replace"))
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._output)

    def wait_for(self, text: str, occurrences: int = 1) -> str:
        """Wait until `text` has appeared `occurrences` times in the output; the output."""
        deadline = time.monotonic() + WAIT
        with self._lock:
            while "".join(self._output).count(text) < occurrences:
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"process ended waiting for {text!r}:\n{self.output}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"still waiting for {text!r}:\n{''.join(self._output)}")
                self._lock.wait(left)
            return "".join(self._output)

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, no goodbye — as a crash or the OOM killer does."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(WAIT)
        assert self.proc.returncode == -signal.SIGKILL or self.proc.returncode is not None
        self._reader.join(WAIT)


class Console(Process):
    """`visitdesk chat --as NAME`: type a line, read what came back up to the next prompt."""

    def __init__(self, person: str, database_url: str, cwd: Path) -> None:
        env = bot_environment(database_url)
        super().__init__(["-m", "bot.cli", "chat", "--as", person], env, cwd)
        self.prompt = f"{person}> "
        self.prompts = 1
        self.wait_for(self.prompt)

    def say(self, line: str) -> str:
        before = len(self.output)
        self.type(line)
        self.prompts += 1
        return self.wait_for(self.prompt, self.prompts)[before:]
