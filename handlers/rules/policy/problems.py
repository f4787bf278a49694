"""What went wrong in a policy file, in an admin's words: "key: reason (got value)"."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from handlers.rules.policy.fields import _shown
from handlers.rules.policy.schema import Policy

_REASONS = {
    "missing": "missing",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be text in quotes",
    "int_from_float": "must be a whole number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "tuple_type": 'must be a list, like ["a", "b"]',
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
}


def _describe(detail: Mapping[str, Any]) -> str:
    kind, loc = detail["type"], detail["loc"]
    if kind == "extra_forbidden":
        return f"{_dotted(loc)}: unknown key{_suggestion(loc)}"
    reason = _reason(kind, detail.get("ctx", {}), detail["msg"])
    value = detail.get("input")
    if kind != "missing" and isinstance(value, str | int | float | Decimal | dt.date):
        reason += f" (got {_shown(value)})"
    return f"{_dotted(loc)}: {reason}"


def _reason(kind: str, ctx: Mapping[str, Any], fallback: str) -> str:
    if kind == "value_error":  # raised by the validators above, already in our words
        return str(ctx["error"])
    if kind == "greater_than_equal":
        return f"must be a number ≥ {ctx['ge']}"
    if kind == "greater_than":
        return f"must be a number > {ctx['gt']}"
    if kind == "less_than_equal":
        return f"must be a number ≤ {ctx['le']:g}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} entries"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    return _REASONS.get(kind, fallback)


def _suggestion(loc: tuple[str | int, ...]) -> str:
    known = _known_keys(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _known_keys(parent: tuple[str | int, ...]) -> list[str]:
    node: Any = Policy().model_dump()
    for part in parent:
        if part in node:
            node = node[part]
        elif node and all(isinstance(value, dict) for value in node.values()):
            node = next(iter(node.values()))  # a new class: any class shows the keys
        else:
            return []
    return list(node) if isinstance(node, dict) else []


def _dotted(loc: tuple[str | int, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":  # pydantic's marker for "the key itself, not its value"
            path += f".{part}" if path else part
    return path
