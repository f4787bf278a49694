"""The token rules for English: tomorrow, next Friday, Dec 3rd, 3pm, half past two, in 2 hours."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.text.dates.answer import DateNotUnderstood
from handlers.text.dates.reading import _Clock, _Monthly, _On, _Part, _Reading, _week_day
from handlers.text.dates.tokens import (
    _EN_NUMBERS,
    _HOLIDAY,
    _alternatives,
    _amount,
    _day_and_part,
    _day_from_today,
    _holiday,
    _in_month,
    _mark_vague,
    _midnight,
    _month_and_day,
    _noon,
    _now,
    _refuse_period,
    _rule,
    _skip,
)

# English -------------------------------------------------------------------------------

_EN_NUMBER = "|".join(sorted(_EN_NUMBERS, key=len, reverse=True))
_EN_HOUR = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"

_EN_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
_EN_WEEKDAYS = {
    "monday": 1, "mon": 1, "tuesday": 2, "tues": 2, "tue": 2, "wednesday": 3, "weds": 3,
    "wed": 3, "thursday": 4, "thurs": 4, "thur": 4, "thu": 4, "friday": 5, "fri": 5,
    "saturday": 6, "sat": 6, "sunday": 7, "sun": 7,
}  # fmt: skip
_EN_DAYS = {
    "today": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "tomorow": 1, "yesterday": -1,
    "day after tomorrow": 2, "the day after tomorrow": 2, "day before yesterday": -2,
    "the day before yesterday": -2,
}  # fmt: skip
_EN_DAY_PARTS = {
    "tonight": (0, _Part.EVENING), "tonite": (0, _Part.EVENING),
    "this morning": (0, _Part.MORNING), "this afternoon": (0, _Part.AFTERNOON),
    "this evening": (0, _Part.EVENING), "last night": (-1, _Part.EVENING),
}  # fmt: skip
_EN_PARTS = {
    "early morning": _Part.EARLY, "morning": _Part.MORNING, "lunchtime": _Part.NOON,
    "lunch": _Part.NOON, "afternoon": _Part.AFTERNOON,
    "evening": _Part.EVENING, "night": _Part.EVENING,
}  # fmt: skip
_EN_UNITS = {
    "minute": "minutes", "min": "minutes", "hour": "hours", "hr": "hours", "day": "days",
    "week": "weeks", "wk": "weeks", "fortnight": "fortnights", "month": "months",
    "year": "years", "yr": "years",
}  # fmt: skip
_MONTH = rf"(?P<mon>{_alternatives(_EN_MONTHS)})\b\.?"
_WEEKDAY = rf"(?P<w>{_alternatives(_EN_WEEKDAYS)})\b\.?"
_YEAR = r"(?:,?\s*(?P<y>(?:19|20)\d\d)\b)?"
_ORDINAL_NAMES = (
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth",
)  # fmt: skip
_EN_ORDINALS = {
    **{name: day for day, name in enumerate(_ORDINAL_NAMES, start=1)},
    **{f"twenty-{name}": 20 + day for day, name in enumerate(_ORDINAL_NAMES[:9], start=1)},
    "thirtieth": 30,
    "thirty-first": 31,
}
_ORDINAL_WORD = _alternatives(_EN_ORDINALS).replace("-", "[- ]")
_DAY = rf"(?P<d>\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORD})\b"  # 3, 3rd, third
# "the 3rd", "3rd", "the third" alone name a day of the month; "3" or "third" alone do not.
_NTH = rf"(?P<d>\d{{1,2}}(?:st|nd|rd|th)|(?<=the )(?:{_ORDINAL_WORD}))\b"
_MERIDIEM = r"(?P<mer>[ap])\.?\s?m\b\.?"
_EN_VAGUE = (
    r"(?:in\s+)?(?:whenever|whatever|any\s*time|some\s*time|some\s*day|any\s+day|tbd|tba|tbc|"
    r"soon|later|asap|as\s+soon\s+as\s+possible|when\s+possible|not\s+sure|no\s+idea|"
    r"don'?t\s+know|dunno|flexible|up\s+to\s+you|a\s+few\s+\w+|"
    r"(?:a\s+)?couple\s+(?:of\s+)?\w+|several\s+\w+)\b"
)


def _en_hour(word: str) -> int:
    """'3' or 'three' -> 3."""
    return int(word) if word.isdigit() else _EN_NUMBERS[word]


def _en_day(word: str) -> int:
    """'3', '3rd', 'third' or 'twenty first' -> the day of the month."""
    if word[0].isdigit():
        return int(word.rstrip("stndrh"))
    return _EN_ORDINALS[word.replace(" ", "-")]


def _en_month_day(match: re.Match[str], reading: _Reading) -> None:
    """Dec 3, December 3rd 2026, 3 Dec, the 3rd of December."""
    _month_and_day(reading, match["y"], _EN_MONTHS[match["mon"]], _en_day(match["d"]))


def _en_day_of_month(match: re.Match[str], reading: _Reading) -> None:
    """The 5th: this month's, or next month's once past."""
    reading.fill("day", _Monthly(_en_day(match["d"])))


def _en_month_date(match: re.Match[str], reading: _Reading) -> None:
    """The 5th of next month, the 20th this month."""
    _in_month(reading, 1 if match["rel"] == "next" else 0, _en_day(match["d"]))


def _en_weekday(match: re.Match[str], reading: _Reading) -> None:
    """Friday, this Friday (the coming one), next Friday (next week's), last Friday."""
    weekday = _EN_WEEKDAYS[match["w"]]
    prefix = match["pre"]
    if prefix == "next":
        reading.fill("day", _On(_week_day(reading.today, 1, weekday)))
    elif prefix == "last":
        back = (reading.today.isoweekday() - weekday - 1) % 7 + 1  # strictly before today
        reading.fill("day", _On(reading.today - timedelta(days=back)))
    else:
        reading.fill("weekday", weekday)


def _en_weekday_in_week(match: re.Match[str], reading: _Reading) -> None:
    """Friday next week, next week Friday, Monday this week."""
    weeks = 1 if match["week"] == "next" else 0
    reading.fill("day", _On(_week_day(reading.today, weeks, _EN_WEEKDAYS[match["w"]])))


def _en_part(match: re.Match[str], reading: _Reading) -> None:
    """Morning, in the afternoon, at night."""
    reading.fill("part", _EN_PARTS[match["p"]])


def _en_offset(match: re.Match[str], reading: _Reading) -> None:
    """In 3 days, 2 hours from now, in an hour and a half, half an hour later, 3 days ago."""
    if match["within"]:
        raise DateNotUnderstood("no_single_date")
    ago = match["dir"] == "ago"
    if (match["in"] is None) == (match["dir"] is None) or (ago and match["in"]):
        raise DateNotUnderstood("unrecognised")  # "3 days" alone, "in 3 days ago"
    if match["halfhour"]:
        amount, unit = 0.5, "hours"
    else:
        amount = _amount(match["n"]) + (0.5 if match["andhalf"] else 0)
        unit = _EN_UNITS[match["unit"]]
    if unit == "fortnights":
        amount, unit = amount * 2, "weeks"
    reading.shift(-amount if ago else amount, unit)


def _en_meridiem(match: re.Match[str], reading: _Reading) -> None:
    """3pm, 10 a.m., 3:30pm, 12am."""
    minute = int(match["mi"]) if match["mi"] else 0
    reading.fill("clock", _Clock(int(match["h"]), minute, match["mer"]))


def _en_past_or_to(match: re.Match[str], reading: _Reading) -> None:
    """Half past 3, quarter past 10 am, quarter to 4 (3:45)."""
    hour = _en_hour(match["h"])
    if match["to"]:
        hour, minute = hour - 1, 45
    else:
        minute = 30 if match["half"] else 15
    reading.fill("clock", _Clock(hour if hour else 12, minute, match["mer"]))


def _en_bare_hour(match: re.Match[str], reading: _Reading) -> None:
    """At 3, around 10, 10 o'clock, three o'clock pm."""
    reading.fill("clock", _Clock(_en_hour(match["h"]), 0, match.groupdict().get("mer")))


_EN_RULES = (
    _rule(_EN_VAGUE, _mark_vague),
    _rule(r"(?:right\s+)?now\b", _now),
    _rule(rf"(?:{_HOLIDAY})\b", _holiday),
    _rule(
        rf"\d{{1,2}}(?::\d\d)?\s*(?:[ap]\.?m\.?)?\s*(?:-|–|~|to|until|till)\s*\d{{1,2}}(?::\d\d)?"
        rf"\s*{_MERIDIEM}",
        _refuse_period,
    ),
    _rule(
        rf"(?P<in>in\s+)?(?P<within>within\s+)?(?:(?P<halfhour>half\s+an?\s+hour)|"
        rf"(?P<n>\d+(?:\.\d+)?|{_EN_NUMBER})\s*(?P<unit>{_alternatives(_EN_UNITS)})s?\b"
        r"(?P<andhalf>\s+and\s+a\s+half)?)(?:'?\s+time\b)?"
        r"(?:\s+(?P<dir>from\s+now|from\s+today|later|hence|ago))?",
        _en_offset,
    ),
    _rule(
        rf"{_MONTH}\s*(?:the\s+)?{_DAY}"
        rf"(?!\s*(?::\d|[ap]\.?m\b|o'?clock)){_YEAR}",
        _en_month_day,
    ),
    _rule(rf"(?:the\s+)?{_DAY}\s*(?:of\s+)?{_MONTH}{_YEAR}", _en_month_day),
    _rule(
        rf"(?:the\s+)?{_DAY}\s+(?:of\s+)?(?P<rel>next|this)\s+month\b",
        _en_month_date,
    ),
    _rule(rf"(?:the\s+)?{_NTH}", _en_day_of_month),
    _rule(rf"(?P<h>\d{{1,2}})(?:[:.](?P<mi>\d\d))?\s*{_MERIDIEM}", _en_meridiem),
    _rule(
        rf"(?:(?P<half>half)\s+past|quarter\s+(?:past|(?P<to>to)))\s+(?P<h>{_EN_HOUR})\b"
        rf"(?:\s*{_MERIDIEM})?",
        _en_past_or_to,
    ),
    _rule(rf"(?P<h>{_EN_HOUR})\s*o'?\s*clock\b(?:\s*{_MERIDIEM})?", _en_bare_hour),
    _rule(
        r"(?:at|around|about)\s+(?P<h>\d{1,2})\b(?![:./]\d|\s*(?:[ap]\.?m\b|o'?clock))",
        _en_bare_hour,
    ),
    _rule(
        rf"(?P<h>{_EN_HOUR})"
        r"(?=\s+(?:in\s+the\s+(?:morning|afternoon|evening)|at\s+night|tonight)\b)",
        _en_bare_hour,
    ),
    _rule(r"(?:12\s*)?(?:noon|midday)\b", _noon),
    _rule(r"(?:12\s*)?midnight\b", _midnight),
    _rule(rf"(?P<week>next|this)\s+week\s+(?:on\s+)?{_WEEKDAY}", _en_weekday_in_week),
    _rule(rf"{_WEEKDAY}\s+(?P<week>next|this)\s+week\b", _en_weekday_in_week),
    _rule(rf"(?:(?P<pre>next|last|this\s+coming|this|coming)\s+)?{_WEEKDAY}", _en_weekday),
    _rule(rf"(?:{_alternatives(_EN_DAY_PARTS)})\b", _day_and_part(_EN_DAY_PARTS)),
    _rule(rf"(?:{_alternatives(_EN_DAYS)})\b", _day_from_today(_EN_DAYS)),
    _rule(rf"(?:in\s+the\s+|at\s+)?(?P<p>{_alternatives(_EN_PARTS)})\b", _en_part),
    _rule(
        r"(?:(?:next|this|last)\s+(?:week|month|year)|(?:the\s+)?week\s+after\s+next|"
        r"(?:this\s+|next\s+)?weekend|after|before|until|till|by|since|from|between|within)\b|"
        rf"(?:in\s+)?{_MONTH}(?:\s+(?:19|20)\d\d\b)?",
        _refuse_period,
    ),
    _rule(
        r"(?:at|on|around|about|approx|approximately|arriving|arrive|arrives|arrival|"
        r"leaving|leave|leaves|departing|depart|departure|please|the|of|or|and|to)\b",
        _skip,
    ),
)
