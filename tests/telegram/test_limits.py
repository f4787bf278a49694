"""Telegram's size limits: 4096 UTF-16 code units a message, 64 bytes of callback data."""

from __future__ import annotations

import pytest

from bot.telegram_limits import split_text, utf16_len
from handlers.engine.forms.model import Form, Step


def test_a_short_text_stays_whole() -> None:
    assert split_text("你好\n\n第二段") == ["你好\n\n第二段"]


def test_lines_are_kept_together_and_nothing_is_lost() -> None:
    lines = [f"{n:03d} " + "x" * 95 for n in range(100)]  # 100 lines of 99 characters
    pieces = split_text("\n".join(lines), limit=1000)
    assert [len(p.split("\n")) for p in pieces] == [10] * 10
    assert "\n".join(pieces) == "\n".join(lines)


def test_a_line_longer_than_the_limit_is_cut_by_characters() -> None:
    pieces = split_text("甲" * 2500, limit=1000)
    assert [len(p) for p in pieces] == [1000, 1000, 500]


def test_emoji_count_twice_and_are_never_cut_in_half() -> None:
    text = "👍" * 10  # each is two UTF-16 code units, as Telegram counts
    assert utf16_len(text) == 20
    pieces = split_text(text, limit=5)
    assert pieces == ["👍👍", "👍👍", "👍👍", "👍👍", "👍👍"]


def test_a_form_whose_buttons_could_outgrow_callback_data_is_refused_when_defined() -> None:
    """A form button carries its draft's id: with the largest, a field's edit from the summary
    (`f:tst:2147483647:_summary:edit.<step>`) must still fit, whatever id a draft gets later."""
    with pytest.raises(ValueError, match="over 64 bytes"):
        form_with_step("x" * 34)
    form_with_step("x" * 33)  # 64 bytes: fits


def form_with_step(name: str) -> Form:
    return Form(
        "tst", "tst.title", (Step(name, "tst.ask"),), lambda ctx, data: "", lambda ctx, data: None
    )
