"""The policy file: defaults, the shipped example, the helpers flows use, and bad files
reported with the right line."""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from handlers.rules.policy.load import PolicyError, load_policy, parse_policy
from handlers.rules.policy.schema import Policy, default_policy
from handlers.rules.workdays import WorkCalendar

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "policy.toml"


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "policy.toml")
    return caught.value


# --- defaults and the example file -------------------------------------------------------


def test_example_file_equals_the_built_in_defaults() -> None:
    assert load_policy(EXAMPLE) == Policy() == default_policy()


def _missing_keys(model: BaseModel, data: dict[str, Any], path: str) -> list[str]:
    missing = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:  # "not set" cannot be written in TOML
            continue
        if name not in data:
            missing.append(f"{path}{name}")
        elif isinstance(value, BaseModel):
            missing += _missing_keys(value, data[name], f"{path}{name}.")
        elif isinstance(value, dict):
            for key, entry in value.items():
                missing += _missing_keys(entry, data[name][key], f"{path}{name}.{key}.")
    return missing


def test_example_file_spells_out_every_default() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert _missing_keys(Policy(), data, "") == []


def test_every_key_in_the_example_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bare = [
        line
        for above, line in itertools.pairwise(lines)
        if "=" in line and not line.startswith("#") and not above.startswith("#")
    ]
    assert bare == []


def test_a_partial_file_keeps_every_other_default() -> None:
    policy = parse_policy("[approval]\nfinance_threshold = 8000\n")
    assert policy.approval.finance_threshold == 8000
    assert policy.approval.remind_after_working_hours == 4
    assert policy.classes == Policy().classes
    assert policy.reception == Policy().reception


def test_money_stays_exact() -> None:
    policy = parse_policy("[approval]\nfinance_threshold = 4999.99\n")
    assert policy.approval.finance_threshold == Decimal("4999.99")


def test_a_bom_is_ignored() -> None:
    assert parse_policy('\ufeff[org]\ncurrency = "CNY"\n') == Policy()


def test_the_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        Policy().approval.finance_threshold = Decimal(1)  # type: ignore[misc]  # the point


def test_toml_times_and_dates_are_accepted_natively() -> None:
    policy = parse_policy(
        "[digest]\ntime = 07:45:00\n[working_days]\nextra_holidays = [2026-12-31]\n"
    )
    assert policy.digest.time == dt.time(7, 45)
    assert policy.working_days.extra_holidays == (dt.date(2026, 12, 31),)


# --- helpers -----------------------------------------------------------------------------


def test_classes_and_meal_caps() -> None:
    policy = default_policy()
    assert list(policy.classes) == ["A", "B", "C", "D"]
    assert policy.class_policy("B").label("zh_CN") == "比较重要"
    assert policy.class_policy("B").label("en") == "Important"
    assert [policy.meal_cap(key) for key in "ABCD"] == [150, 130, 100, 50]
    # Seed 000: A is hosted by the chairman (else the GM); seed 002: B by a deputy GM at least.
    assert [policy.class_policy(key).accompany for key in "ABCD"] == [
        ("chairman", "gm"),
        ("vp", "gm"),
        ("manager",),
        ("manager",),
    ]
    with pytest.raises(KeyError):
        policy.class_policy("E")


def test_class_d_follows_the_employee_meal_standard() -> None:
    policy = parse_policy("[org]\nemployee_meal_cap = 65\n")
    assert policy.meal_cap("D") == 65
    assert policy.meal_cap("C") == 100


def test_chains() -> None:
    policy = default_policy()
    assert policy.chain_for("D") == policy.chain_for("C") == ["manager"]
    assert policy.chain_for("B") == policy.chain_for("A") == ["manager", "gm"]


@pytest.mark.parametrize(
    ("class_key", "total", "hotel", "expected"),
    [
        ("C", Decimal(1200), False, ["manager"]),
        ("A", Decimal(1200), False, ["manager", "gm"]),
        ("C", Decimal(5000), False, ["manager"]),  # "above" the threshold, not at it
        ("C", Decimal("5000.01"), False, ["manager", "finance"]),
        ("B", 9000, False, ["manager", "gm", "finance"]),
        ("D", Decimal(0), True, ["manager", "finance"]),
    ],
)
def test_approvers(class_key: str, total: Decimal, hotel: bool, expected: list[str]) -> None:
    assert default_policy().approvers_for(class_key, total, hotel) == expected


def test_approvers_without_finance_for_hotels_and_with_finance_in_the_chain() -> None:
    policy = parse_policy(
        "[approval]\nfinance_for_company_hotel = false\n"
        '[classes.X]\nlabel_zh = "特"\nlabel_en = "X"\nchain = ["finance", "gm"]\n'
        '[classes.Y]\nlabel_zh = "普"\nlabel_en = "Y"\n'
    )
    assert policy.approvers_for("Y", 100, company_paid_hotel=True) == ["manager"]
    assert policy.approvers_for("X", 99999, company_paid_hotel=True) == ["finance", "gm"]
    assert policy.meal_cap("Y") == 50


def test_the_returned_chain_is_a_copy() -> None:
    policy = default_policy()
    policy.chain_for("C").append("gm")
    assert policy.chain_for("C") == ["manager"]


def test_lead_days() -> None:
    policy = default_policy()
    assert policy.lead_days([]) == 1
    assert policy.lead_days(["gm"]) == 2
    assert policy.lead_days(["chairman", "gm"]) == 2
    relaxed = parse_policy('[reception]\nleaders_needing_longer_lead = ["chairman"]\n')
    assert relaxed.lead_days(["gm"]) == 1


def test_visit_frequency_and_plan_deadline() -> None:
    policy = default_policy()
    assert [policy.visit_frequency_months(r) for r in ("local", "province", "other")] == [1, 3, 6]
    calendar = WorkCalendar(policy.working_days)
    # 2026-10-31 is a Saturday; 2026-02-28 is a make-up Saturday, so it is the deadline.
    assert policy.plan_deadline(2026, 10, calendar) == dt.date(2026, 10, 30)
    assert policy.plan_deadline(2026, 2, calendar) == dt.date(2026, 2, 28)
    last_day = parse_policy('[visits]\nplan_deadline = "last_day"\n')
    assert last_day.plan_deadline(2026, 10, calendar) == dt.date(2026, 10, 31)


def test_digest_and_working_hours() -> None:
    policy = parse_policy('[digest]\nweekly_chart_weekday = "friday"\n')
    assert policy.digest.weekly_chart_weekday_number == 4
    assert default_policy().digest.time == dt.time(8, 30)
    assert default_policy().working_days.day_start == dt.time(9)
    assert default_policy().working_days.day_end == dt.time(18)


# --- bad files ---------------------------------------------------------------------------


def test_syntax_error_names_the_line() -> None:
    error = error_of('[org]\ncurrency = "CNY"\n\n[approval]\nfinance_threshold = \n')
    assert error.line == 5
    assert str(error).startswith("policy.toml:5: not valid TOML: Invalid value")


def test_syntax_error_at_the_end_names_the_last_line() -> None:
    error = error_of('[reception]\npurposes = ["tour",\n  "talks"\n')
    assert error.line == 3
    assert "Unclosed array" in error.message


def test_invalid_toml_date_is_a_syntax_error() -> None:
    error = error_of("[working_days]\nextra_holidays = [2026-02-30]\n")
    assert error.line == 2


def test_negative_threshold() -> None:
    text = '[org]\ncurrency = "CNY"\n\n[approval]\n# money\nfinance_threshold = -100\n'
    error = error_of(text)
    assert (error.source, error.line) == ("policy.toml", 6)
    assert error.message == "approval.finance_threshold: must be a number ≥ 0 (got -100)"
    assert str(error) == f"policy.toml:6: {error.message}"


def test_unknown_key_names_its_line_and_a_close_match() -> None:
    error = error_of("[approval]\nremind_after_working_hours = 4\nfinance_treshold = 100\n")
    assert error.line == 3
    assert error.message == (
        "approval.finance_treshold: unknown key (did you mean finance_threshold?)"
    )


def test_unknown_section() -> None:
    error = error_of('[org]\ncurrency = "CNY"\n[orgg]\ncurrency = "CNY"\n')
    assert error.line == 3
    assert error.message == "orgg: unknown key (did you mean org?)"


def test_unknown_key_in_a_new_class() -> None:
    error = error_of('[classes.E]\nlabel_zh = "x"\nlabel_en = "y"\nmealcap = 5\n')
    assert error.line == 4
    assert error.message == "classes.E.mealcap: unknown key (did you mean meal_cap?)"


def test_bad_chain_entry() -> None:
    text = (
        '[classes.A]\nlabel_zh = "特别重要"\nlabel_en = "Very important"\n'
        '[classes.B]\nlabel_zh = "比较重要"\nlabel_en = "Important"\n'
        'chain = ["manager", "cfo"]\n'
    )
    error = error_of(text)
    assert error.line == 7
    assert error.message == (
        "classes.B.chain[1]: must be one of 'manager', 'gm' or 'finance' (got \"cfo\")"
    )


def test_empty_and_repeated_chains() -> None:
    head = '[classes.A]\nlabel_zh = "a"\nlabel_en = "a"\n'
    assert error_of(head + "chain = []\n").message == "classes.A.chain: must not be empty"
    repeated = error_of(head + 'chain = ["gm", "gm"]\n')
    assert (repeated.line, repeated.message) == (4, 'classes.A.chain: lists "gm" twice')


def test_bad_date_in_a_multi_line_list_names_its_own_line() -> None:
    text = (
        "[working_days]\n"
        'calendar = "cn"\n'
        "extra_holidays = [\n"
        '  "2026-12-31",  # year end\n'
        '  "2027-13-01",\n'
        "]\n"
    )
    error = error_of(text)
    assert error.line == 5
    assert error.message == (
        'working_days.extra_holidays[1]: must be a date like 2026-10-09 (got "2027-13-01")'
    )


def test_a_day_both_off_and_on() -> None:
    error = error_of(
        '[working_days]\nextra_holidays = ["2026-12-31"]\nextra_workdays = ["2026-12-31"]\n'
    )
    assert error.line == 3
    assert "2026-12-31 is also in extra_holidays" in error.message


def test_escalation_must_come_after_the_reminder() -> None:
    for escalate in ("4", "3.5"):
        error = error_of(
            "[approval]\nremind_after_working_hours = 4\n"
            f"escalate_after_working_hours = {escalate}\n"
        )
        assert error.line == 3
        assert error.message.startswith(
            "approval.escalate_after_working_hours: must be more than "
            "remind_after_working_hours (4)"
        )


def test_escalation_check_follows_a_changed_reminder() -> None:
    error = error_of("[approval]\nremind_after_working_hours = 10\n")
    assert error.message.startswith("approval.escalate_after_working_hours")


def test_class_key_must_be_uppercase() -> None:
    error = error_of(
        '[classes.A]\nlabel_zh = "a"\nlabel_en = "a"\n\n[classes.vip]\nlabel_zh = "v"\n'
    )
    assert error.line == 5
    assert error.message.startswith("classes.vip: must be 1–3 uppercase letters")


def test_missing_label_falls_back_to_the_class_header() -> None:
    error = error_of("[classes.A]\n# only the cap\nmeal_cap = 160\n")
    assert error.line == 1
    assert error.message in {"classes.A.label_zh: missing", "classes.A.label_en: missing"}
    assert len(error.also) == 1


def test_no_classes_at_all() -> None:
    error = error_of("[org]\n\n[classes]\n")
    assert (error.line, error.message) == (3, "classes: must not be empty")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "[approval]\nfinance_threshold = true\n",
            2,
            "approval.finance_threshold: must be a number (got true)",
        ),
        (
            '[approval]\nfinance_threshold = "5000"\n',
            2,
            'approval.finance_threshold: must be a number (got "5000")',
        ),
        (
            '[approval]\nfinance_for_company_hotel = "yes"\n',
            2,
            'approval.finance_for_company_hotel: must be true or false (got "yes")',
        ),
        (
            "[reception]\nmin_lead_days = 1.5\n",
            2,
            "reception.min_lead_days: must be a whole number (got 1.5)",
        ),
        (
            "[reception]\nmin_lead_days = 3\n",
            1,  # the default of a key not written: the section's line
            "reception.min_lead_days_with_leaders: must be at least min_lead_days (3) (got 2)",
        ),
        (
            '[reception]\nleaders = ["gm"]\n',
            1,
            'reception.leaders_needing_longer_lead: "chairman" is not in leaders',
        ),
        (
            '[reception]\npurposes = ["tour", "Site Visit"]\n',
            2,
            'reception.purposes[1]: must be a lowercase key like tour or gm (got "Site Visit")',
        ),
        ("approval = 5\n", 1, "approval: must be a table (got 5)"),
        (
            "[approval]\nremind_after_working_hours = inf\n",
            2,
            "approval.remind_after_working_hours: must be a finite number (got Infinity)",
        ),
        (
            '[org]\ndefault_locale = "fr"\n',
            2,
            'org.default_locale: must be one of zh_CN, en (got "fr")',
        ),
        (
            '[org]\ndefault_timezone = "Asia/Beijing"\n',
            2,
            'org.default_timezone: must be a time zone like Asia/Shanghai (got "Asia/Beijing")',
        ),
        (
            '[org]\ncurrency = "rmb"\n',
            2,
            'org.currency: must be a currency code like CNY (got "rmb")',
        ),
        ('[digest]\ntime = "8.30"\n', 2, 'digest.time: must be a time like 08:30 (got "8.30")'),
        (
            '[working_days]\nhours = "18:00-09:00"\n',
            2,
            'working_days.hours: must end after it starts, like 09:00-18:00 (got "18:00-09:00")',
        ),
        (
            '[working_days]\ncalendar = "us"\n',
            2,
            "working_days.calendar: must be one of 'cn' or 'weekends' (got \"us\")",
        ),
    ],
)
def test_bad_values(text: str, line: int | None, message: str) -> None:
    error = error_of(text)
    assert (error.line, error.message) == (line, message)


def test_lines_of_sub_tables_inline_tables_and_dotted_keys() -> None:
    sub_table = "[visits]\nreport_due_days = 2\n[visits.frequency_months]\nlocal = 0\n"
    assert error_of(sub_table).line == 4
    assert error_of("[visits]\nfrequency_months = { local = 0, other = 6 }\n").line == 2
    assert error_of("[visits]\nfrequency_months.province = 0\n").line == 2
    assert error_of("visits.frequency_months.other = 0\n").line == 1


def test_every_key_of_the_example_is_found_on_its_own_line() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    keys = [n for n, line in enumerate(lines) if " = " in line and not line.startswith("#")]
    for n in keys:
        broken = [*lines[:n], lines[n].split(" = ")[0] + " = {}", *lines[n + 1 :]]
        assert error_of("\n".join(broken)).line == n + 1, lines[n]


def test_lines_are_not_fooled_by_strings_and_comments() -> None:
    text = (
        "# [approval] finance_threshold = 1\n"
        "[classes.A]\n"
        'label_zh = """特别\n'
        "finance_threshold = 2\n"
        '重要"""\n'
        'label_en = "a [b] = c"\n'
        "who_en = 'x = [y'\n"
        "[approval]\n"
        "finance_threshold = -1\n"
    )
    assert error_of(text).line == 9


def test_every_problem_is_reported_in_file_order() -> None:
    error = error_of(
        "[reception]\nmin_lead_days = -1\n[approval]\nfinance_threshold = -1\n"
        "remind_after_working_hours = 0\n"
    )
    assert [error.line, *(more.line for more in error.also)] == [2, 4, 5]
    assert str(error).splitlines()[1] == (
        "policy.toml:4: approval.finance_threshold: must be a number ≥ 0 (got -1)"
    )


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as missing:
        load_policy(tmp_path / "nope.toml")
    assert missing.value.line is None
    assert str(missing.value).startswith(f"{tmp_path / 'nope.toml'}: cannot read")
    binary = tmp_path / "policy.toml"
    binary.write_bytes(b"\xff\xfe[org]")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(binary)


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[approval]\nfinance_threshold = -5\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value).startswith(f"{path}:2: approval.finance_threshold")


@pytest.mark.parametrize("days", ["0", "367", "30.5", '"30"', "true", "1e9"])
def test_link_code_days_outside_1_to_366_are_refused_naming_the_line(days: str) -> None:
    error = error_of(f"[org]\nlink_code_valid_days = {days}\n")
    assert (error.line, error.message.split(":")[0]) == (2, "org.link_code_valid_days")


# --- host by class, arrangement sheet, drinks (issue 21) -----------------------------------


def test_accompany_takes_one_role_as_older_files_wrote_it_or_a_list_or_none() -> None:
    policy = parse_policy(
        '[classes.A]\nlabel_zh = "特"\nlabel_en = "A"\naccompany = "gm"\n'
        '[classes.B]\nlabel_zh = "比"\nlabel_en = "B"\naccompany = ["vp", "gm"]\n'
        '[classes.D]\nlabel_zh = "般"\nlabel_en = "D"\naccompany = []\n'
        '[classes.E]\nlabel_zh = "无"\nlabel_en = "E"\n'
    )
    assert [policy.class_policy(k).accompany for k in "ABDE"] == [
        ("gm",),
        ("vp", "gm"),
        (),
        ("manager",),  # a class that names no host: the requester's department head
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[classes.A]\nlabel_zh = "特"\nlabel_en = "A"\naccompany = ["boss"]\n',
            "classes.A.accompany[0]: must be one of 'manager', 'vp', 'gm' or 'chairman'",
        ),
        (
            '[classes.A]\nlabel_zh = "特"\nlabel_en = "A"\naccompany = ["gm", "gm"]\n',
            'classes.A.accompany: lists "gm" twice',
        ),
        (
            '[reception]\narrangement_sheet_to = ["ceo"]\n',
            "arrangement_sheet_to[0]: must be one of",
        ),
        ("[reception]\narrangement_sheet_days_before = 31\n", "must be a number ≤ 30"),
        ("[budget]\ndrinks_max = -5\n", "budget.drinks_max: must be a number ≥ 1"),
        ("[budget]\ndrinks_max = 1e9\n", "budget.drinks_max: must be a number ≤ 1000000"),
    ],
)
def test_bad_host_sheet_and_drinks_keys_name_their_line(text: str, message: str) -> None:
    error = error_of(text)
    assert message in str(error), str(error)
    assert error.line is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[follow_up]\ndefault_travel = "boat"\n',
            "follow_up.default_travel: must be one of 'plane', 'train', 'car' or 'other'"
            ' (got "boat")',
        ),
        (
            "[follow_up.travel_hours]\nplane = 100\n",
            "follow_up.travel_hours.plane: must be a number ≤ 72 (got 100)",
        ),
        (
            '[admin_work]\ntour_reminds = ["host", "guard"]\n',
            "admin_work.tour_reminds[1]: must be one of 'host' or 'admin_office' (got \"guard\")",
        ),
        (
            "[admin_work]\nremind_before_minutes = 0\n",
            "admin_work.remind_before_minutes: must be a number ≥ 5 (got 0)",
        ),
        (
            '[admin_work]\nmeal_reminds = ["host", "host"]\n',
            'admin_work.meal_reminds: lists "host" twice',
        ),
    ],
)
def test_bad_follow_up_and_admin_work_values_name_their_line(text: str, message: str) -> None:
    """The travel times of the follow-up call and the reminders before a tour or a meal."""
    error = error_of(text)
    assert (error.line, error.message) == (2, message)
