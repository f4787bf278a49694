"""Card JSON as Feishu takes it: buttons carry the core's action and style (a reminder's Done
and Snooze), and a submitted card form reads back as the texts a person could have typed."""

from __future__ import annotations

from bot.feishu.cards import OTHER, message_card, read_form
from handlers.engine.forms.model import Opened
from handlers.engine.messages import Button, Message
from tests.feishu.openapi import Shown


def test_a_reminders_done_and_snooze_are_card_buttons_with_the_core_actions() -> None:
    reminder = Message(
        "提醒:请在明天前结案",
        (
            (
                Button("完成", "rem:7:done", "primary"),
                Button("1小时后", "rem:7:1h"),
                Button("明天再提醒", "rem:7:tmr"),
            ),
        ),
        card="rem:7",
    )
    card = Shown("om_1", "ou_x", "interactive", message_card(reminder))
    assert card.text == "提醒:请在明天前结案"
    assert card.buttons() == {
        "完成": {"a": "rem:7:done"},
        "1小时后": {"a": "rem:7:1h"},
        "明天再提醒": {"a": "rem:7:tmr"},
    }
    done = card.content["body"]["elements"][1]["columns"][0]["elements"][0]
    assert done["type"] == "primary"


def test_a_submitted_form_reads_as_typed_text() -> None:
    value = {"f": "rcp", "d": 12, "c": {"@edit": 3}}
    form_value = {
        "client": "2",
        "client" + OTHER: "新客户有限公司",  # a typed new name wins over the select beside it
        "purposes": ["1", "3"],
        "arrival": "2026-11-25 10:00 +0800",  # a picker's value, its UTC offset dropped
        "visit_day": "2026-11-26 +0800",
        "guest": "  王工 ",
    }
    submitted = read_form(value, form_value)
    assert submitted is not None
    assert submitted.form == "rcp" and submitted.opened == Opened(12, {"@edit": 3})
    assert submitted.texts == {
        "client": "新客户有限公司",
        "purposes": "1,3",
        "arrival": "2026-11-25 10:00",
        "visit_day": "2026-11-26",
        "guest": "王工",
    }


def test_a_value_this_bot_did_not_write_is_not_read() -> None:
    assert read_form({"f": 5}, {}) is None
    assert read_form({"f": "rcp", "d": "12; drop"}, {}) is None
    assert read_form({"f": "rcp", "c": []}, {}) is None
