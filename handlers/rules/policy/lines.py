"""Finding the lines of a key in a TOML text, so that an error names where to look."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import Any

_PART = r"""[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'"""
_DOTTED = rf"(?:{_PART})(?:\s*\.\s*(?:{_PART}))*"
_HEADER_LINE = re.compile(rf"\s*\[\[?\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?")
_KEY_LINE = re.compile(rf"\s*({_DOTTED})\s*=")
_PART_RE = re.compile(_PART)


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PART_RE.findall(dotted))


@dataclass
class _Open:
    """What a value left open at the end of a line: brackets, or a multi-line string."""

    depth: int = 0
    closer: str | None = None

    @property
    def idle(self) -> bool:
        return self.depth == 0 and self.closer is None

    def feed(self, chunk: str) -> None:
        at = 0
        while at < len(chunk):
            if self.closer is not None:
                end = chunk.find(self.closer, at)
                if end < 0:
                    return
                at, self.closer = end + 3, None
            elif chunk.startswith(('"""', "'''"), at):
                self.closer, at = chunk[at : at + 3], at + 3
            elif chunk[at] == "#":
                return
            elif chunk[at] in "\"'":
                at = _string_end(chunk, at)
            else:
                self.depth += (chunk[at] in "[{") - (chunk[at] in "]}")
                at += 1


def _string_end(chunk: str, at: int) -> int:
    """Index just past the one-line string starting at `at`."""
    quote, at = chunk[at], at + 1
    while at < len(chunk) and chunk[at] != quote:
        at += 2 if quote == '"' and chunk[at] == "\\" else 1
    return at + 1


def _key_spans(lines: list[str]) -> dict[tuple[str, ...], range]:
    """Every table and key of a (valid) TOML text → the lines it spans, 1-based."""
    spans: dict[tuple[str, ...], range] = {}
    table: tuple[str, ...] = ()
    pending: tuple[tuple[str, ...], int] | None = None
    state = _Open()
    for number, line in enumerate(lines, start=1):
        chunk = line
        if state.idle:
            if header := _HEADER_LINE.fullmatch(line):
                table = _key_parts(header[1])
                _remember(spans, table, range(number, number + 1))
                continue
            if key := _KEY_LINE.match(line):
                pending = (table + _key_parts(key[1]), number)
                chunk = line[key.end() :]
        state.feed(chunk)
        if pending is not None and state.idle:
            _remember(spans, pending[0], range(pending[1], number + 1))
            pending = None
    return spans


def _remember(spans: dict[tuple[str, ...], range], path: tuple[str, ...], lines: range) -> None:
    # A dotted key or [a.b] also names its parents; the first mention of a path wins.
    for size in range(1, len(path) + 1):
        spans.setdefault(path[:size], lines)


def _line_for(
    spans: dict[tuple[str, ...], range], lines: list[str], detail: Mapping[str, Any]
) -> int | None:
    """The line of the deepest key of `loc` present in the text; for a list item, its own."""
    loc = detail["loc"]
    names = tuple(p for p in takewhile(lambda p: isinstance(p, str), loc) if p != "[key]")
    span = next((spans[names[:n]] for n in range(len(names), 0, -1) if names[:n] in spans), None)
    if span is None:
        return None
    value = detail.get("input")
    if isinstance(value, str) and any(isinstance(part, int) for part in loc):
        quoted = (json.dumps(value, ensure_ascii=False), f"'{value}'")
        for number in span:
            if any(text in lines[number - 1] for text in quoted):
                return number
    return span.start
