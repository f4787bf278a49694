"""dateparser, for English the token rules cannot read, its answer kept only under guards."""

from __future__ import annotations

import re
from datetime import datetime, time

from dateparser.date import DateDataParser
from dateparser.timezone_parser import pop_tz_offset_from_string

from handlers.text.dates.answer import DateNotUnderstood, When
from handlers.text.dates.reading import _is_past, _localise

# --- dateparser, for English the rules cannot read ---------------------------------------

_TIME_HINT = re.compile(
    r"\d\s*[ap]\.?m\b|\d:\d\d|\d\s*h\s*\d\d|o'?clock|"
    r"\b(?:noon|midday|midnight|morning|afternoon|evening|tonight|night|"
    r"hours?|hrs?|minutes?|mins?)\b"
)
_PAST_HINT = re.compile(r"\b(?:ago|last|yesterday|before|previous|past)\b")
_NUMBERS = re.compile(r"\d+")


def _from_dateparser(text: str, now: datetime) -> When:
    """Ask dateparser, and keep its answer only if it passes `_trustworthy`."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    if pop_tz_offset_from_string(text)[1] is not None:
        # "3pm EST": it would drop the zone, and CST is Chicago to it, China to our users.
        raise DateNotUnderstood("unrecognised")
    try:
        data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    except Exception as error:  # it raises assorted errors on odd text; none may escape
        raise DateNotUnderstood("unrecognised") from error
    found = data.date_obj
    if found is None or data.period != "day":
        raise DateNotUnderstood("unrecognised")  # "friday at 3" comes back as a month
    has_time = bool(_TIME_HINT.search(text))
    if has_time:
        wall = found.replace(second=0, microsecond=0)
    else:
        wall = datetime.combine(found.date(), time())
    zone = now.tzinfo
    assert zone is not None  # parse_when refuses naive `now`
    when = When(_localise(wall, zone), has_time)
    if not _trustworthy(text, when, now):
        raise DateNotUnderstood("unrecognised")
    return when


def _trustworthy(text: str, when: When, now: datetime) -> bool:
    """Not past unless the text says so, and every number typed shows in the result.

    dateparser drops what it cannot read without saying so ("5 days after tomorrow" is
    tomorrow, "tomorrow 1530" is tomorrow 09:00, "a week from today" is a week ago).
    """
    if _is_past(when, now) and not _PAST_HINT.search(text):
        return False
    value = when.value
    shown = {value.year, value.month, value.day}
    if when.has_time:
        shown |= {value.hour, value.minute, value.hour % 12 or 12}
    return all(int(number) in shown for number in _NUMBERS.findall(text))
