"""Finding the words a form's buttons take inside a typed line (the one-line visit log and the
one-line reception): every way of saying each choice, and a pattern that finds them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from handlers.engine.forms.model import also
from handlers.engine.i18n import LOCALES, Translator

SEPARATORS = r"\s,，、;；。!！"


def choice_words(prefix: str, values: Iterable[str]) -> dict[str, str]:
    """Every way of saying each of a step's choices, in every language (the label and its
    other words, as the form reads them too), lower-cased → the choice."""
    words: dict[str, str] = {}
    for locale in LOCALES:
        t = Translator(locale)
        for value in values:
            label = f"{prefix}.{value}"
            words |= {word.lower(): value for word in (t(label), *also(t, label))}
    return words


def word_pattern(words: Iterable[str], whole: bool = False) -> re.Pattern[str]:
    """Any of the words, the longest tried first at each place in the line. English words
    stand between word boundaries; a Chinese one, with `whole`, must be a phrase of its own
    (between spaces or punctuation), so 回访 in 下周五回访 stays the next step's word."""
    ordered = sorted(words, key=lambda w: -len(w))
    cjk = rf"(?<![^{SEPARATORS}]){{}}(?![^{SEPARATORS}])" if whole else "{}"
    parts = [rf"\b{re.escape(w)}\b" if w.isascii() else cjk.format(re.escape(w)) for w in ordered]
    return re.compile("|".join(parts), re.IGNORECASE)


def cut(text: str, start: int, end: int) -> str:
    """The line without what was read from it, so nothing is read twice."""
    return text[:start] + " " + text[end:]


def take_words(
    text: str, pattern: re.Pattern[str], meaning: dict[str, str], most: int
) -> tuple[list[str], str]:
    """Up to `most` different choices said in the line, in the order said; each word read is
    cut out, so it is not read again as something else."""
    found: list[str] = []
    while len(found) < most and (match := pattern.search(text)):
        value = meaning[match.group(0).lower()]
        if value not in found:
            found.append(value)
        text = cut(text, match.start(), match.end())
    return found, text
