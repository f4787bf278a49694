"""The policy file: every number of the reception and visit rules, in one TOML file.

An org admin edits it; the bot reads it at start with `load_policy` and refuses a bad one
with a `PolicyError` naming the file, the line and the key. The defaults live in the models
below, and `examples/policy.toml` spells every one of them out (a test keeps the two equal).
A section or key left out of a file takes its default; `[classes]`, when present, replaces
the whole set of classes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import tomllib
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from handlers.engine.i18n import LOCALES

if TYPE_CHECKING:
    from handlers.rules.workdays import WorkCalendar

DEFAULT_TIMEZONE = "Asia/Shanghai"

Approver = Literal["manager", "gm", "finance"]
APPROVER_KINDS: tuple[str, ...] = get_args(Approver)
Accompanier = Literal["manager", "gm", "chairman"]
Region = Literal["local", "province", "other"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PlanDeadline = Literal["last_working_day", "last_day"]

_CLASS_KEY = re.compile(r"[A-Z]{1,3}")
_KEY = re.compile(r"[a-z][a-z0-9_]*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- field types -------------------------------------------------------------------------


def _plain_number(value: object) -> object:
    # Lax pydantic would turn `true` or "12" into numbers; in a TOML file those are mistakes.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    if not math.isfinite(value):
        raise ValueError("must be a finite number")  # before any bound: "≤ 200" is no help
    return value


def _parse_clock(text: str) -> dt.time:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError("must be a time like 08:30")
    return dt.time(int(match[1]), int(match[2]))


def _clock(value: object) -> object:
    if isinstance(value, dt.time):  # a TOML local time such as 08:30:00
        return value
    if isinstance(value, str):
        return _parse_clock(value)
    raise ValueError("must be a time like 08:30")


def _date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be a date like 2026-10-09")


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return AfterValidator(check)


def _distinct(items: tuple[Any, ...]) -> tuple[Any, ...]:
    for index, item in enumerate(items):
        if item in items[:index]:
            raise ValueError(f"lists {_shown(item)} twice")
    return items


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be a time zone like Asia/Shanghai") from None
    return name


def _locale(name: str) -> str:
    if name not in LOCALES:
        raise ValueError(f"must be one of {', '.join(LOCALES)}")
    return name


# Ints, not Decimals: pydantic shows a Decimal bound as its repr in the error.
MEAL_CAP_CEILING = 10_000  # per head
LINE_CEILING = 1_000_000  # one budget line of one reception

_Number = BeforeValidator(_plain_number)
# Every number has a ceiling: past it the bot's date arithmetic overflows (a reminder 1e9
# working hours away) or a rule stops meaning anything. Each field sets its own with `le`.
Amount = Annotated[Decimal, _Number, Field(ge=0)]
Count = Annotated[int, _Number, Field(ge=0)]
Months = Annotated[int, _Number, Field(ge=1)]
Hours = Annotated[float, _Number, Field(ge=0.1, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Description = Annotated[str, StringConstraints(max_length=200)]
Key = Annotated[
    str, StringConstraints(max_length=20), _matching(_KEY, "a lowercase key like tour or gm")
]
Keys = Annotated[tuple[Key, ...], AfterValidator(_distinct)]
ClassKey = Annotated[str, _matching(_CLASS_KEY, "1–3 uppercase letters, like A")]
Chain = Annotated[tuple[Approver, ...], Field(min_length=1), AfterValidator(_distinct)]
Dates = Annotated[tuple[Annotated[dt.date, BeforeValidator(_date)], ...], AfterValidator(_distinct)]
ClockTime = Annotated[dt.time, BeforeValidator(_clock)]


def parse_hours(text: str) -> tuple[dt.time, dt.time]:
    """Read "09:00-18:00" as (09:00, 18:00); ValueError unless it is a range within a day."""
    start, _, end = text.partition("-")
    try:
        first, last = _parse_clock(start.strip()), _parse_clock(end.strip())
    except ValueError:
        raise ValueError("must be a range like 09:00-18:00") from None
    if first >= last:
        raise ValueError("must end after it starts, like 09:00-18:00")
    return first, last


# --- sections ----------------------------------------------------------------------------


class _Section(BaseModel):
    # frozen: one policy is shared by every flow; forbid: a misspelt key must not pass silently.
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrgPolicy(_Section):
    default_locale: Annotated[str, AfterValidator(_locale)] = "zh_CN"
    default_timezone: Annotated[str, AfterValidator(_zone)] = DEFAULT_TIMEZONE
    currency: Annotated[str, _matching(_CURRENCY, "a currency code like CNY")] = "CNY"
    employee_meal_cap: Amount = Field(Decimal(50), le=MEAL_CAP_CEILING)
    # A link code not used within this many days stops working (`org invite` makes a new one).
    link_code_valid_days: Count = Field(30, ge=1, le=366)


class ClassPolicy(_Section):
    label_zh: Text
    label_en: Text
    who_zh: Description = ""
    who_en: Description = ""
    # None: the org's employee meal standard
    meal_cap: Annotated[Amount, Field(le=MEAL_CAP_CEILING)] | None = None
    accompany: Accompanier = "manager"
    chain: Chain = ("manager",)

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    def who(self, locale: str) -> str:
        return self.who_zh if locale.startswith("zh") else self.who_en


DEFAULT_CLASSES: Mapping[str, ClassPolicy] = {
    "A": ClassPolicy(
        label_zh="特别重要",
        label_en="Very important",
        who_zh="各级政府部门的重要领导,来宾单位的主要领导",
        who_en="Government leaders; the visiting company's top leaders",
        meal_cap=Decimal(150),
        accompany="gm",
        chain=("manager", "gm"),
    ),
    "B": ClassPolicy(
        label_zh="比较重要",
        label_en="Important",
        who_zh="大客户领导、潜在客户及签单可能性较大的客户",
        who_en="Key-account leaders; prospects likely to sign",
        meal_cap=Decimal(130),
        chain=("manager", "gm"),
    ),
    "C": ClassPolicy(
        label_zh="普通",
        label_en="Ordinary",
        who_zh="一般客户来访、参观考察,处于合作前期、需持续跟踪",
        who_en="Ordinary client visits and tours; early-stage cooperation to follow up",
        meal_cap=Decimal(100),
    ),
    "D": ClassPolicy(
        label_zh="一般",
        label_en="General",
        who_zh="设备、原材料供应商的来访、参观",
        who_en="Suppliers and vendors visiting or touring",
    ),
}


class ApprovalPolicy(_Section):
    # A total above it adds finance last.
    finance_threshold: Amount = Field(Decimal(5000), le=10_000_000)
    finance_for_company_hotel: StrictBool = True
    remind_after_working_hours: Hours = Field(4.0, le=200)
    # validate_default: a raised reminder must still come before the default escalation.
    escalate_after_working_hours: Hours = Field(8.0, le=400, validate_default=True)
    # Still undecided this close: flagged.
    at_risk_working_days_before_arrival: Count = Field(2, le=30)

    @field_validator("escalate_after_working_hours")
    @classmethod
    def _after_reminder(cls, value: float, info: ValidationInfo) -> float:
        remind = info.data.get("remind_after_working_hours")
        if remind is not None and value <= remind:
            raise ValueError(f"must be more than remind_after_working_hours ({remind:g})")
        return value


class BudgetPolicy(_Section):
    """The most one reception may budget on each line: past it a typo or a joke (gifts 1e9),
    refused at the question, never a total nobody meant."""

    meal_per_head_max: Amount = Field(Decimal(1000), ge=1, le=MEAL_CAP_CEILING)
    transport_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    hotel_max: Amount = Field(Decimal(50000), ge=1, le=LINE_CEILING)
    gifts_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)
    other_max: Amount = Field(Decimal(20000), ge=1, le=LINE_CEILING)


class ReceptionPolicy(_Section):
    min_lead_days: Count = Field(1, le=60)  # calendar days (24 h) from submitting to arrival
    min_lead_days_with_leaders: Count = Field(2, le=60, validate_default=True)
    purposes: Keys = Field(
        ("tour", "talks", "audit", "meeting", "other"), min_length=1, max_length=20
    )
    leaders: Annotated[Keys, Field(max_length=20)] = ("gm", "chairman")
    leaders_needing_longer_lead: Keys = Field(("gm", "chairman"), validate_default=True)
    follow_up_after_working_days: Count = Field(1, le=30)
    close_out_after_departure_hours: Hours = Field(2.0, le=720)
    # A longer stay, or an arrival over a year ahead, is asked to be confirmed (a slipped year).
    max_stay_days: Count = Field(14, ge=1, le=366)

    @field_validator("min_lead_days_with_leaders")
    @classmethod
    def _not_shorter(cls, value: int, info: ValidationInfo) -> int:
        shortest = info.data.get("min_lead_days")
        if shortest is not None and value < shortest:
            raise ValueError(f"must be at least min_lead_days ({shortest})")
        return value

    @field_validator("leaders_needing_longer_lead")
    @classmethod
    def _known_leaders(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        leaders = info.data.get("leaders", ())
        for leader in value:
            if leader not in leaders:
                raise ValueError(f"{_shown(leader)} is not in leaders")
        return value


class VisitFrequency(_Section):
    local: Months = Field(1, le=36)
    province: Months = Field(3, le=36)
    other: Months = Field(6, le=36)


class VisitsPolicy(_Section):
    report_due_days: Count = Field(2, le=30)  # working days after the visit
    # Digests list missing reports of plans this far back.
    missing_report_months: Count = Field(1, le=12)
    frequency_months: VisitFrequency = Field(default_factory=VisitFrequency)
    plan_deadline: PlanDeadline = "last_working_day"
    plan_reminder_working_days_before: Count = Field(3, le=20)


class DigestPolicy(_Section):
    time: ClockTime = dt.time(8, 30)
    working_days_only: StrictBool = True
    weekly_chart_weekday: Weekday = "monday"

    @property
    def weekly_chart_weekday_number(self) -> int:
        """As `date.weekday()` counts: Monday is 0."""
        return get_args(Weekday).index(self.weekly_chart_weekday)


class WorkingDaysPolicy(_Section):
    calendar: Literal["cn", "weekends"] = "cn"
    hours: str = "09:00-18:00"  # kept as written; day_start / day_end read it
    extra_holidays: Annotated[Dates, Field(max_length=366)] = ()
    extra_workdays: Annotated[Dates, Field(max_length=366)] = ()

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("extra_workdays")
    @classmethod
    def _not_both(cls, value: tuple[dt.date, ...], info: ValidationInfo) -> tuple[dt.date, ...]:
        holidays = info.data.get("extra_holidays", ())
        for day in value:
            if day in holidays:
                raise ValueError(f"{day} is also in extra_holidays")
        return value

    @property
    def day_start(self) -> dt.time:
        return parse_hours(self.hours)[0]

    @property
    def day_end(self) -> dt.time:
        return parse_hours(self.hours)[1]


class Policy(_Section):
    org: OrgPolicy = Field(default_factory=OrgPolicy)
    classes: Annotated[dict[ClassKey, ClassPolicy], Field(min_length=1, max_length=26)] = Field(
        default_factory=lambda: dict(DEFAULT_CLASSES)
    )
    approval: ApprovalPolicy = Field(default_factory=ApprovalPolicy)
    reception: ReceptionPolicy = Field(default_factory=ReceptionPolicy)
    budget: BudgetPolicy = Field(default_factory=BudgetPolicy)
    visits: VisitsPolicy = Field(default_factory=VisitsPolicy)
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    working_days: WorkingDaysPolicy = Field(default_factory=WorkingDaysPolicy)

    def class_policy(self, key: str) -> ClassPolicy:
        """The class `key` (KeyError when the policy has no such class)."""
        return self.classes[key]

    def meal_cap(self, class_key: str) -> Decimal:
        """Meal budget cap per head; a class without its own cap uses the employee standard."""
        cap = self.class_policy(class_key).meal_cap
        return self.org.employee_meal_cap if cap is None else cap

    def chain_for(self, class_key: str) -> list[str]:
        return list(self.class_policy(class_key).chain)

    def needs_finance(self, total: Decimal | int, company_paid_hotel: bool) -> bool:
        approval = self.approval
        hotel = company_paid_hotel and approval.finance_for_company_hotel
        return total > approval.finance_threshold or hotel

    def approvers_for(
        self, class_key: str, total: Decimal | int, company_paid_hotel: bool
    ) -> list[str]:
        """The class's chain, with finance added last when the total or the hotel needs it."""
        chain = self.chain_for(class_key)
        if "finance" not in chain and self.needs_finance(total, company_paid_hotel):
            chain.append("finance")
        return chain

    def lead_days(self, leaders: Iterable[str]) -> int:
        """Days of notice a reception needs, given the leaders the guests must meet."""
        reception = self.reception
        longer = any(leader in reception.leaders_needing_longer_lead for leader in leaders)
        return reception.min_lead_days_with_leaders if longer else reception.min_lead_days

    def visit_frequency_months(self, region: Region) -> int:
        return int(getattr(self.visits.frequency_months, region))

    def plan_deadline(self, year: int, month: int, calendar: WorkCalendar) -> dt.date:
        """The day in (year, month) by which next month's visit plan is due."""
        if self.visits.plan_deadline == "last_working_day":
            return calendar.last_working_day_of_month(year, month)
        return dt.date(year, month, monthrange(year, month)[1])


def default_policy() -> Policy:
    """The built-in policy, which examples/policy.toml spells out."""
    return Policy()


# --- loading and errors ------------------------------------------------------------------


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


# --- what went wrong, in an admin's words ------------------------------------------------

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


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# --- finding the line of a key -----------------------------------------------------------

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
