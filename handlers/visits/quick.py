"""The one-line quick visit log, read: `/visit 华东机电 见了张经理 有希望 下周五回访` or
`/visit ACME met Zhang, hopeful, follow up next Friday` → the client, contact, kind, purposes,
outcome, the visit's day and a next step with its due day, as far as the line says them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers.engine.forms.readers import clean_text
from handlers.org.clients import find_client
from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.parse import parse_when
from handlers.text.phrases import SEPARATORS, choice_words, cut, take_words, word_pattern
from handlers.visits import rules as visit_rules
from storage.models import Client


def visit_day(day: date, text: str, today: date) -> date:
    """A visit is in the past: a bare "周一" typed for one is the Monday just gone."""
    if day > today and _BARE_WEEKDAY.fullmatch(text.lower()):
        return day - timedelta(days=7)
    return day


_BARE_WEEKDAY = re.compile(
    r"(?:on\s+)?(?:(?:周|星期|礼拜)[一二三四五六日天1-7]"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
)


_OUTCOME_OF = choice_words("visit.outcome", visit_rules.OUTCOMES)
_OUTCOME = word_pattern(_OUTCOME_OF)
_KIND_OF = choice_words("visit.kind", visit_rules.KINDS)
_KIND = word_pattern(_KIND_OF, whole=True)
_PURPOSE_OF = choice_words("visit.purpose", visit_rules.PURPOSES)
_PURPOSE = word_pattern(_PURPOSE_OF, whole=True)
# "见了张经理", "拜访了王总": a contact right after a meeting word that begins a phrase.
_ZH_CONTACT = re.compile(
    rf"(?<![^{SEPARATORS}])(?:见了|见到了|见到|会见了|会见|拜访了|约见了|约见|面见了|面见|见)"
    rf"\s*([^{SEPARATORS}]{{1,12}}?)(?=[{SEPARATORS}]|$|谈|聊|沟通|交流)"
)
# "met Zhang", "met with John Smith", "saw Mr. Li": names are capitalised.
_EN_CONTACT = re.compile(
    r"\b(?i:met\s+with|met|saw|visited|talked\s+to|talked\s+with|spoke\s+to|spoke\s+with|"
    r"meeting\s+with)\s+((?:(?i:mr|ms|mrs|dr)\.?\s+)?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*){0,2})"
)
_SEGMENTS = re.compile(r"[,，、;；。!！]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_CONNECTORS = {"by", "on", "before", "until", "till", "due", "at", "and", "then", "-"}
_ZH_BEFORE = re.compile(r"^(?:之前|以前|以内|前|内)")
_LONGEST_DATE = 16  # characters of Chinese, or words of English, a date phrase may take


@dataclass(frozen=True)
class Quick:
    """What one typed line said; None where it said nothing we could read."""

    client: Client | None = None
    contact: str | None = None
    kind: str | None = None
    purposes: tuple[str, ...] = ()
    outcome: str | None = None
    next_step: str | None = None  # the words beside the due date ("回访"); None if none
    next_due: date | None = None
    visited_on: date | None = None  # a day already come ("昨天"): when the visit was


def parse_quick(text: str, clients: list[Client], now: datetime, lang: str) -> Quick:
    """Read a quick visit line. `clients` are the person's own; `now` is in their zone.

    In order: the client (a name in the line, else its first phrase matched against their
    clients), the outcome, the kind and the purposes (words the form's buttons take, in either
    language), the contact (after 见了 / met), and the phrases
    holding a date — the first day already come is the visit's, the first one still ahead
    the next step's due day, with the words beside it as the step."""
    rest = " " + clean_text(text) + " "
    client, rest = _quick_client(rest, clients)
    found, rest = take_words(rest, _OUTCOME, _OUTCOME_OF, 1)
    outcome = found[0] if found else None
    found, rest = take_words(rest, _KIND, _KIND_OF, 1)
    kind = found[0] if found else None
    purposes, rest = take_words(rest, _PURPOSE, _PURPOSE_OF, len(visit_rules.PURPOSES))
    contact, rest = _quick_contact(rest)
    visited_on, next_due, next_step = _quick_days(rest, now, lang)
    return Quick(client, contact, kind, tuple(purposes), outcome, next_step, next_due, visited_on)


def _quick_client(text: str, clients: list[Client]) -> tuple[Client | None, str]:
    lowered = text.lower()
    for client in sorted(clients, key=lambda c: -len(c.name)):
        at = lowered.find(client.name.lower())
        if at >= 0:
            return client, cut(text, at, at + len(client.name))
    head = _SEGMENTS.split(text.strip(), maxsplit=1)[0]
    for pattern in (_ZH_CONTACT, _EN_CONTACT):
        found = pattern.search(head)
        if found:
            head = head[: found.start()]
    words = head.split()
    for size in range(min(len(words), 3), 0, -1):
        guess = " ".join(words[:size])
        match = find_client(clients, guess)
        if match is not None:
            at = text.find(guess)
            return match, cut(text, at, at + len(guess))
    return None, text


def _quick_contact(text: str) -> tuple[str | None, str]:
    found = [m for m in (_ZH_CONTACT.search(text), _EN_CONTACT.search(text)) if m]
    if not found:
        return None, text
    first = min(found, key=lambda m: m.start())
    return first.group(1).strip(), cut(text, first.start(), first.end())


def _quick_days(text: str, now: datetime, lang: str) -> tuple[date | None, date | None, str | None]:
    """(the visit's day, the next step's due day, the step's words), each None if not said."""
    visited_on = next_due = next_step = None
    for segment in _SEGMENTS.split(text):
        # Chinese phrases are apart by spaces; an English phrase runs to the comma.
        pieces = segment.split() if _CJK.search(segment) else [segment.strip()]
        for piece in pieces:
            found = _date_in(piece, now, lang)
            if found is None:
                continue
            day, start, end = found
            words = _step_words(piece[:start], piece[end:])
            if words is None:  # a day alone, such as "周一", says when the visit was
                day = visit_day(day, piece[start:end], now.date())
            if day <= now.date():
                visited_on = visited_on or day
            elif next_due is None:
                next_due, next_step = day, words
    return visited_on, next_due, next_step


def _date_in(text: str, now: datetime, lang: str) -> tuple[date, int, int] | None:
    """The longest run of `text` that reads whole as one date: (date, start, end)."""
    if _CJK.search(text):
        bounds = [(i, i + 1) for i in range(len(text))]
    else:
        bounds = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    spans = [
        (bounds[i][0], bounds[j][1])
        for i in range(len(bounds))
        for j in range(i, min(i + _LONGEST_DATE, len(bounds)))
    ]
    for start, end in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        piece = text[start:end]
        if piece.isdigit():
            continue
        try:
            when = parse_when(piece, now, lang)
        except DateNotUnderstood:
            continue
        return when.value.date(), start, end
    return None


def _step_words(before: str, after: str) -> str | None:
    if _CJK.search(before + after):
        words = before.strip() + _ZH_BEFORE.sub("", after.strip())
    else:
        tokens = (before + " " + after).split()
        while tokens and tokens[0].lower() in _EN_CONNECTORS:
            tokens.pop(0)
        while tokens and tokens[-1].lower() in _EN_CONNECTORS:
            tokens.pop()
        words = " ".join(tokens)
    return words.strip() or None
