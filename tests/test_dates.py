"""Tests for handlers.text.dates: the corpus in tests/data/dates.tsv, other clocks and zones,
reasons, and the promise that no text makes parse_when raise anything but DateNotUnderstood."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.text.dates.answer import DateNotUnderstood, When
from handlers.text.dates.parse import MAX_LENGTH, parse_when

CORPUS = Path(__file__).parent / "data" / "dates.tsv"
DEV_CORPUS = Path("/work/shared/data/dates-dev.tsv")
DEV_CORPUS_SIZE = 26
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY = datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)  # the corpus's `now`
REASONS = {"empty", "unrecognised", "invalid_date", "invalid_time", "no_single_date"}
ISO = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d)?")


def corpus_now(path: Path) -> datetime:
    """The `now` the corpus header states: '# now=2026-11-18T09:00 tz=Asia/Shanghai ...'."""
    header = path.read_text(encoding="utf-8").splitlines()[0]
    found = re.search(r"now=(\S+) tz=(\S+)", header)
    assert found, "the corpus header must state now= and tz="
    return datetime.fromisoformat(found[1]).replace(tzinfo=ZoneInfo(found[2]))


def corpus_cases(path: Path) -> list[tuple[str, str, str]]:
    """(lang, text, expected) for each line that is not a comment."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lang, text, expected = line.split("\t")
            cases.append((lang, text, expected))
    return cases


def outcome(text: str, now: datetime, lang: str) -> str:
    """The ISO form of the answer, or 'ERROR' — the corpus's notation."""
    try:
        return parse_when(text, now, lang).iso()
    except DateNotUnderstood:
        return "ERROR"


def reason(text: str, now: datetime = WEDNESDAY, lang: str = "zh") -> str:
    """The reason parse_when refuses `text`; fails the test when it does not."""
    with pytest.raises(DateNotUnderstood) as refusal:
        parse_when(text, now, lang)
    return refusal.value.reason


# --- the corpus -------------------------------------------------------------------------


def test_corpus_header_is_the_dev_corpus_now() -> None:
    """The corpus header still states the dev corpus's clock."""
    assert corpus_now(CORPUS) == WEDNESDAY


def test_corpus_keeps_the_dev_set() -> None:
    """Every line of the shared dev corpus is in ours, unchanged."""
    if not DEV_CORPUS.exists():
        pytest.skip("the shared dev corpus lives outside the repository")
    assert set(corpus_cases(DEV_CORPUS)) <= set(corpus_cases(CORPUS))


def test_corpus_adds_at_least_60_cases() -> None:
    """Our corpus grows the dev set by at least 60 lines."""
    assert len(corpus_cases(CORPUS)) >= DEV_CORPUS_SIZE + 60


@pytest.mark.parametrize(("lang", "text", "expected"), corpus_cases(CORPUS), ids=str)
def test_corpus(lang: str, text: str, expected: str) -> None:
    """Each corpus line: the text reads as expected (ERROR: refused for any reason)."""
    assert outcome(text, corpus_now(CORPUS), lang) == expected


# --- other clocks and zones -------------------------------------------------------------

SATURDAY_NIGHT = datetime(2026, 11, 21, 22, 30, tzinfo=SHANGHAI)
NEW_YEARS_EVE = datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
NEW_YORK_MORNING = datetime(2026, 11, 18, 9, 0, tzinfo=NEW_YORK)
BEFORE_DST = datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)  # clocks go forward 03-08 02:00
DECEMBER_4 = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)  # issue 19's day
MARCH_1_2028 = datetime(2028, 3, 1, 10, 0, tzinfo=SHANGHAI)
BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_BEFORE_SPRING = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN)
BERLIN_BEFORE_AUTUMN = datetime(2027, 10, 30, 12, 0, tzinfo=BERLIN)

OTHER_NOWS = [
    # Saturday 22:30: this week's Friday is past, tonight's evening nearly so.
    (SATURDAY_NIGHT, "zh", "周五", "2026-11-27"),
    (SATURDAY_NIGHT, "zh", "周六", "2026-11-21"),
    (SATURDAY_NIGHT, "zh", "明天", "2026-11-22"),
    (SATURDAY_NIGHT, "zh", "这周日", "2026-11-22"),
    (SATURDAY_NIGHT, "zh", "下周一", "2026-11-23"),
    (SATURDAY_NIGHT, "zh", "下周日", "2026-11-29"),
    (SATURDAY_NIGHT, "zh", "晚上八点", "2026-11-22T20:00"),
    (SATURDAY_NIGHT, "zh", "今晚11点", "2026-11-21T23:00"),
    (SATURDAY_NIGHT, "zh", "一个半小时后", "2026-11-22T00:00"),
    (SATURDAY_NIGHT, "zh", "上午", "2026-11-22T09:00"),
    (SATURDAY_NIGHT, "en", "10pm", "2026-11-22T22:00"),
    (SATURDAY_NIGHT, "en", "11pm", "2026-11-21T23:00"),
    (SATURDAY_NIGHT, "en", "Friday", "2026-11-27"),
    (SATURDAY_NIGHT, "en", "next Saturday", "2026-11-28"),
    (SATURDAY_NIGHT, "en", "tonight", "2026-11-21T19:00"),  # named, so kept though past
    # New Year's Eve: month and year roll over.
    (NEW_YEARS_EVE, "zh", "明天", "2027-01-01"),
    (NEW_YEARS_EVE, "zh", "1月5日", "2027-01-05"),
    (NEW_YEARS_EVE, "zh", "12月31日", "2026-12-31"),
    # A month and day just past is that day, past (the form says so), never a year on.
    (NEW_YEARS_EVE, "zh", "12月31日上午9点", "2026-12-31T09:00"),
    (NEW_YEARS_EVE, "zh", "12月30日", "2026-12-30"),
    (NEW_YEARS_EVE, "en", "Dec 30", "2026-12-30"),
    (NEW_YEARS_EVE, "zh", "圣诞节", "2026-12-25"),
    (NEW_YEARS_EVE, "zh", "5号", "2027-01-05"),
    (NEW_YEARS_EVE, "zh", "31号上午9点", "2027-01-31T09:00"),
    (NEW_YEARS_EVE, "zh", "下个月5号", "2027-01-05"),
    (NEW_YEARS_EVE, "zh", "下周三", "2027-01-06"),
    (NEW_YEARS_EVE, "zh", "2个月后", "2027-02-28"),
    (NEW_YEARS_EVE, "zh", "今年12月1日", "2026-12-01"),
    (NEW_YEARS_EVE, "en", "Jan 1", "2027-01-01"),
    (NEW_YEARS_EVE, "en", "next Friday", "2027-01-08"),
    (NEW_YEARS_EVE, "en", "in 3 months", "2027-03-31"),
    # Early December (issue 19): yesterday's date is yesterday; January is next year's.
    (DECEMBER_4, "zh", "12月3日 下午3点", "2026-12-03T15:00"),
    (DECEMBER_4, "zh", "12月4日上午9点", "2026-12-04T09:00"),
    (DECEMBER_4, "zh", "12月4日下午3点", "2026-12-04T15:00"),
    (DECEMBER_4, "zh", "1月5日", "2027-01-05"),
    (DECEMBER_4, "zh", "元旦", "2027-01-01"),
    (DECEMBER_4, "zh", "7月1日", "2026-07-01"),  # 156 days ago is nearer than 209 ahead
    (DECEMBER_4, "zh", "6月3日", "2027-06-03"),  # 182 ahead is nearer than 184 ago
    (DECEMBER_4, "zh", "2月29日", "ERROR"),  # neither 2026 nor 2027 has one
    (DECEMBER_4, "zh", "2028年2月29日", "2028-02-29"),
    (DECEMBER_4, "zh", "明年3月1日", "2027-03-01"),
    (DECEMBER_4, "zh", "2099年1月1日 10点", "2099-01-01T10:00"),  # read; the form asks
    (DECEMBER_4, "zh", "明天0点", "2026-12-05T00:00"),
    (DECEMBER_4, "zh", "明天24点", "2026-12-06T00:00"),
    (DECEMBER_4, "en", "Dec 3 3pm", "2026-12-03T15:00"),
    (DECEMBER_4, "en", "Jan 5", "2027-01-05"),
    # Berlin's clocks: 02:30 does not exist on 2027-03-28 (moved on to 03:30), and comes
    # twice on 2027-10-31 (the first, summer-time one is taken).
    (BERLIN_BEFORE_SPRING, "zh", "明天凌晨2点半", "2027-03-28T03:30"),
    (BERLIN_BEFORE_SPRING, "en", "tomorrow 3pm", "2027-03-28T15:00"),
    (BERLIN_BEFORE_AUTUMN, "en", "tomorrow 2:30am", "2027-10-31T02:30"),
    (MARCH_1_2028, "zh", "2月29日", "2028-02-29"),  # a leap year's day just past
    (MARCH_1_2028, "zh", "2月28日", "2028-02-28"),
    # New York, and a night when its clocks go forward.
    (NEW_YORK_MORNING, "en", "in 2 hours", "2026-11-18T11:00"),
    (NEW_YORK_MORNING, "en", "tomorrow 3pm", "2026-11-19T15:00"),
    (NEW_YORK_MORNING, "zh", "晚上八点", "2026-11-18T20:00"),
    (BEFORE_DST, "en", "in 24 hours", "2026-03-08T13:00"),
    (BEFORE_DST, "en", "tomorrow 2:30am", "2026-03-08T03:30"),
    (BEFORE_DST, "zh", "明天凌晨2点半", "2026-03-08T03:30"),
    (BEFORE_DST, "en", "tomorrow 1am", "2026-03-08T01:00"),
]


@pytest.mark.parametrize(("now", "lang", "text", "expected"), OTHER_NOWS, ids=str)
def test_other_nows(now: datetime, lang: str, text: str, expected: str) -> None:
    """Future-first choices seen from other days, a year's end, another zone, a DST night."""
    assert outcome(text, now, lang) == expected


def test_result_is_in_the_zone_of_now() -> None:
    """The answer is in the zone of `now`, not the server's."""
    when = parse_when("tomorrow 3pm", NEW_YORK_MORNING, "en")
    assert when.value.tzinfo == NEW_YORK
    assert when.value.utcoffset() == NEW_YORK_MORNING.utcoffset()


def test_relative_hours_count_real_time_across_dst() -> None:
    """'in 24 hours' is 24 real hours even when clocks jump."""
    when = parse_when("in 24 hours", BEFORE_DST, "en")
    assert when.value.timestamp() - BEFORE_DST.timestamp() == 24 * 3600
    assert when.value.utcoffset() != BEFORE_DST.utcoffset()


def test_a_doubled_berlin_hour_is_the_summer_time_one() -> None:
    """02:30 on the night clocks go back is read at its first (CEST, +02:00) instant."""
    when = parse_when("tomorrow 2:30am", BERLIN_BEFORE_AUTUMN, "en")
    assert when.value.utcoffset() == timedelta(hours=2)


def test_relative_moment_drops_seconds() -> None:
    """Relative moments start from the current minute."""
    now = WEDNESDAY.replace(second=41, microsecond=5)
    assert parse_when("一个小时后", now, "zh").value == WEDNESDAY.replace(hour=10)


# --- the When value ---------------------------------------------------------------------


def test_date_only_is_midnight_without_time() -> None:
    """A day is midnight local time with has_time False."""
    when = parse_when("明天", WEDNESDAY, "zh")
    assert when == When(datetime(2026, 11, 19, tzinfo=SHANGHAI), has_time=False)
    assert when.iso() == "2026-11-19"


def test_date_time_has_time() -> None:
    """A moment has has_time True and a minute-precise ISO form."""
    when = parse_when("明天下午3点", WEDNESDAY, "zh")
    assert when.has_time
    assert when.iso() == "2026-11-19T15:00"


@pytest.mark.parametrize(
    ("text", "has_time"),
    [("3天后", False), ("in 3 days", False), ("2小时后", True), ("in 2 hours", True),
     ("明天下午", True), ("tomorrow morning", True), ("Friday", False), ("noon", True)],
)  # fmt: skip
def test_has_time(text: str, has_time: bool) -> None:
    """has_time follows the text (Chinese text read with lang='en' on purpose)."""
    assert parse_when(text, WEDNESDAY, "en").has_time is has_time


# --- languages --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en", "zh_CN", "zh-TW", "en_US", "en-GB", "EN", "fr"])
def test_language_tags_and_both_languages(lang: str) -> None:
    """Region tags and odd values are accepted; both languages read."""
    assert parse_when("12月3日", WEDNESDAY, lang).iso() == "2026-12-03"
    assert parse_when("Dec 3 2pm", WEDNESDAY, lang).iso() == "2026-12-03T14:00"
    assert parse_when("明天 3pm", WEDNESDAY, lang).iso() == "2026-11-19T15:00"


# --- reasons ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u3000"])
def test_empty(text: str) -> None:
    """White space only is 'empty'."""
    assert reason(text) == "empty"


@pytest.mark.parametrize("text", ["2月30日", "Feb 30", "4月31日", "13/40", "2月30日下午3点"])
def test_invalid_date(text: str) -> None:
    """Dates that do not exist are 'invalid_date'."""
    assert reason(text) == "invalid_date"


@pytest.mark.parametrize(
    "text", ["25点", "13pm", "上午15点", "明天下午25点", "明天9:75", "明天24:30", "凌晨9点", "0am"]
)
def test_invalid_time(text: str) -> None:
    """A day that exists at a time that does not is 'invalid_time', not a missing day."""
    assert reason(text) == "invalid_time"


@pytest.mark.parametrize(
    "text",
    ["随便", "whenever", "下周", "next week", "周三或周四", "Monday or Tuesday", "下午3-5点",
     "2-4pm", "12月", "December", "周末", "明天凌晨", "3天内", "12月5日周五", "明天2小时后"],
)  # fmt: skip
def test_no_single_date(text: str) -> None:
    """Periods, ranges, alternatives and vague words are 'no_single_date'."""
    assert reason(text) == "no_single_date"


@pytest.mark.parametrize(
    "text",
    ["hello", "客户明天到", "DROP TABLE visits; --", "明天\x00", "🎉", "tomorrow 1530",
     "tomorrow 3pm EST", "\ud800明天", "明" * (MAX_LENGTH + 1), "明天" * 5000],
)  # fmt: skip
def test_unrecognised(text: str) -> None:
    """Text that is no date, garbage and overlong input are 'unrecognised'."""
    assert reason(text) == "unrecognised"


def test_reason_is_also_the_message() -> None:
    """The exception is a ValueError whose message is its reason."""
    error = DateNotUnderstood("invalid_date")
    assert isinstance(error, ValueError)
    assert str(error) == error.reason == "invalid_date"


def test_naive_now_is_a_programming_error() -> None:
    """A naive `now` is the caller's bug, not a user error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("明天", WEDNESDAY.replace(tzinfo=None), "zh")


# --- nothing escapes --------------------------------------------------------------------

LANGS = st.sampled_from(["zh", "en", "zh_CN", "en_US", "xx"])
TOKENS = st.sampled_from(
    ["明天", "下午", "3点", "半", "周五", "下周", "12月", "3日", "号", "后", "个", "小时", "或",
     "到", "-", ":", "/", ".", "tomorrow", "next", "friday", "3pm", "in", "2", "hours", "the",
     "5th", "dec", "of", "at", "noon", "12", "30", "2026", "年", " ", "十", "两", "凌晨", "ago",
     "valentine\u2019s day", "o\u2019clock", "twenty first", "元旦", "ＰＭ", "～"]
)  # fmt: skip


def check_never_escapes(text: str, lang: str) -> None:
    """parse_when gives a well-formed When or a DateNotUnderstood with a known reason."""
    try:
        when = parse_when(text, WEDNESDAY, lang)
    except DateNotUnderstood as refusal:
        assert refusal.reason in REASONS
    else:
        assert when.value.tzinfo == SHANGHAI
        assert ISO.fullmatch(when.iso())


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(exclude_categories=()), max_size=250), LANGS)  # surrogates too
def test_any_text_never_escapes(text: str, lang: str) -> None:
    """Arbitrary text (surrogates included) never raises anything else."""
    check_never_escapes(text, lang)


@settings(max_examples=500, deadline=None)
@given(st.lists(TOKENS, max_size=8).map("".join), LANGS)
def test_near_miss_text_never_escapes(text: str, lang: str) -> None:
    """Shuffled date-like tokens never raise anything else."""
    check_never_escapes(text, lang)
