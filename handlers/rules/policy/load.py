"""Reading a policy file: TOML in, a Policy out, or a PolicyError naming file, line and key."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import ValidationError

from handlers.rules.policy.lines import _key_spans, _line_for
from handlers.rules.policy.problems import _describe
from handlers.rules.policy.schema import Policy


class PolicyError(ValueError):
    """A policy file the bot cannot use; `str()` reads "policy.toml:12: key: what's wrong".

    `also` holds further problems found in the same file, each a PolicyError too.
    """

    def __init__(
        self,
        source: str,
        line: int | None,
        message: str,
        also: tuple[PolicyError, ...] = (),
    ) -> None:
        self.source = source
        self.line = line
        self.message = message
        self.also = also
        where = source if line is None else f"{source}:{line}"
        super().__init__("\n".join([f"{where}: {message}", *map(str, also)]))


def load_policy(path: str | Path) -> Policy:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(source, None, f"cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise PolicyError(source, None, "is not UTF-8 text") from error
    return parse_policy(text, source)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    text = text.removeprefix("\ufeff")  # editors on Windows like to add a BOM
    try:
        # Decimal floats: money such as 99.9 stays exact.
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(error, text, source) from error
    try:
        return Policy.model_validate(data)
    except ValidationError as error:
        raise _validation_error(error, text, source) from error


_TOML_WHERE = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")


def _syntax_error(error: tomllib.TOMLDecodeError, text: str, source: str) -> PolicyError:
    message = str(error)
    where = _TOML_WHERE.search(message)
    if where is None:
        return PolicyError(source, None, f"not valid TOML: {message}")
    what = message[: where.start()]
    if where[1] is None:  # "at end of document": something left open
        return PolicyError(source, max(len(text.splitlines()), 1), f"not valid TOML: {what}")
    return PolicyError(source, int(where[1]), f"not valid TOML: {what} (column {where[2]})")


def _validation_error(error: ValidationError, text: str, source: str) -> PolicyError:
    lines = text.splitlines()
    spans = _key_spans(lines)
    problems = sorted(
        ((_line_for(spans, lines, detail), _describe(detail)) for detail in error.errors()),
        key=lambda problem: (problem[0] is None, problem[0] or 0),
    )
    (line, message), *rest = problems
    return PolicyError(source, line, message, tuple(PolicyError(source, *p) for p in rest))
