"""The entry point: `parse_when` normalises the text, reads it with the rules of the user's
language first, and hands English it cannot read to dateparser."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from handlers.text.dates.answer import DateNotUnderstood, When
from handlers.text.dates.chinese import _ZH_RULES
from handlers.text.dates.english import _EN_RULES
from handlers.text.dates.fallback import _from_dateparser
from handlers.text.dates.reading import _Reading
from handlers.text.dates.tokens import _SHARED_RULES, _Rule

__all__ = ["MAX_LENGTH", "parse_when"]


MAX_LENGTH = 200
"""Longer text is refused unread: nobody types a date that long, and it bounds the work."""


def parse_when(text: str, now: datetime, lang: str) -> When:
    """Read `text` as one date or date-time, seen from `now` by a user speaking `lang`.

    `now` must be timezone-aware; the result is in its zone. `lang` is "zh" or "en", with or
    without a region ("zh_CN", "en-US"); any other value reads English first.
    Raises `DateNotUnderstood` (and nothing else) when the text names no single date.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")  # a caller's bug, not the user's text
    stripped = text.strip()
    if not stripped:
        raise DateNotUnderstood("empty")
    if len(stripped) > MAX_LENGTH:
        raise DateNotUnderstood("unrecognised")
    normalised = _normalise(stripped)
    try:
        return _read(normalised, now, _RULES[_language(lang)])
    except DateNotUnderstood as refusal:
        if refusal.reason != "unrecognised" or not _LATIN.search(normalised):
            raise
        return _from_dateparser(normalised, now)


# --- text -------------------------------------------------------------------------------

# Traditional characters a Hong Kong or Taiwan colleague would type in a date.
_SIMPLIFIED = str.maketrans(
    "這後點週號禮個鐘兩時內隨淩間黃來約於與還幾", "这后点周号礼个钟两时内随凌间黄来约于与还几"
)
_APOSTROPHES = str.maketrans("\u2018\u2019\u2032", "'''")  # phones type curly ones
_LATIN = re.compile(r"[a-z]")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff]")  # pasted from chat apps


def _normalise(text: str) -> str:
    """Fold width, case, script and spacing so the rules see one spelling (１２：００ -> 12:00)."""
    folded = unicodedata.normalize("NFKC", text).lower().translate(_SIMPLIFIED)
    folded = folded.translate(_APOSTROPHES)
    return _SPACES.sub(" ", _INVISIBLE.sub("", folded))


def _language(lang: str) -> str:
    """'zh_CN', 'zh-Hant', 'ZH' -> 'zh'; anything but Chinese reads English first."""
    return "zh" if lang.strip().lower()[:2] == "zh" else "en"


_RULES = {
    "zh": (*_ZH_RULES, *_EN_RULES, *_SHARED_RULES),
    "en": (*_EN_RULES, *_ZH_RULES, *_SHARED_RULES),
}


def _read(text: str, now: datetime, rules: tuple[_Rule, ...]) -> When:
    """Read all of `text` with `rules` (first match at each position wins) and resolve it."""
    reading = _Reading(now)
    position = 0
    try:
        while position < len(text):
            position = _read_token(text, position, rules, reading)
        return reading.resolve()
    except (ValueError, OverflowError) as error:
        if isinstance(error, DateNotUnderstood):
            raise
        # Calendar arithmetic out of range: 99999天后, year 0, month 13.
        raise DateNotUnderstood("invalid_date") from error


def _read_token(text: str, position: int, rules: tuple[_Rule, ...], reading: _Reading) -> int:
    """Apply the first rule matching at `position`; return where the next token starts."""
    for rule in rules:
        match = rule.pattern.match(text, position)
        if match and match.end() > position:
            rule.apply(match, reading)
            return match.end()
    raise DateNotUnderstood("unrecognised")
