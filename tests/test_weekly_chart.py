"""The weekly chart (SPEC §8): drawn with a CJK font so Chinese names are not boxes, sent
to each manager once a week at their digest time, with the team's visits against plan."""

from __future__ import annotations

import shutil
import subprocess
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers.digest.weekly_chart import (
    BUNDLED_FONT,
    CJK_FAMILIES,
    Tally,
    chart_message,
    draw,
    is_chart_day,
)
from handlers.engine.i18n import Translator
from handlers.engine.messages import Message
from handlers.rules.policy.schema import Policy
from handlers.rules.policy.sections import WorkingDaysPolicy
from handlers.rules.workdays import WorkCalendar
from storage.db import Database
from storage.models import Client, OutboxMessage, Person, PlanEntry, Visit, VisitPlan
from tests.support import Company
from tests.test_scheduler import at, travel

NAMES = [Tally("李明", 5, 4), Tally("张伟", 3, 3), Tally("刘芳", 4, 1), Tally("Tom Walker", 2, 0)]


def test_chinese_names_are_drawn_with_a_cjk_font() -> None:
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    with warnings.catch_warnings():
        # matplotlib warns "Glyph 26446 (\N{CJK UNIFIED IDEOGRAPH-674E}) missing from font"
        # for every character it draws as a box: as an error, that fails the test.
        warnings.simplefilter("error")
        chart = draw(NAMES, "王经理 团队拜访:实际 vs 计划", "计划", "实际拜访")
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.font in CJK_FAMILIES, f"no CJK font ({chart.font!r})"  # not even the bundled
    path = findfont(FontProperties(family=chart.font), fallback_to_default=False)
    font = FT2Font(path)
    assert all(font.get_char_index(ord(char)) for char in "王经理团队拜访李明张伟刘芳计划实际")
    if shutil.which("fc-list") and Path(path) != BUNDLED_FONT:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=True
        ).stdout
        assert path in listed  # fontconfig agrees it is a Chinese font


def test_the_message_carries_the_png_and_a_caption() -> None:
    manager = Person(name="王经理")
    message = chart_message(
        Translator("zh_CN"), manager, NAMES, date(2026, 11, 16), date(2026, 11, 23), "w.png"
    )
    assert message is not None and message.attachment is not None
    assert message.text == "📊 团队拜访 11月16日(周一)–11月22日(周日):计划 14 次,实际 8 次"
    assert message.attachment.mime == "image/png"
    assert message.attachment.content.startswith(b"\x89PNG")
    english = chart_message(
        Translator("en"), manager, NAMES, date(2026, 11, 16), date(2026, 11, 23), "w.png"
    )
    assert english is not None
    assert english.text == "📊 Your team's visits, Mon 16 Nov – Sun 22 Nov: 8 made, 14 planned"
    nothing = [Tally("李明", 0, 0)]
    week = (date(2026, 11, 16), date(2026, 11, 23))
    assert chart_message(Translator("en"), manager, nothing, *week, "w.png") is None


@pytest.mark.parametrize(
    ("weekday", "holidays", "expected"),
    [
        ("monday", (), date(2026, 11, 23)),
        ("monday", (date(2026, 11, 23),), date(2026, 11, 24)),  # a day off: the next one
        ("friday", (), date(2026, 11, 27)),
        ("saturday", (), None),  # no working day left in that week
    ],
)
def test_the_chart_day(
    policy: Policy, weekday: str, holidays: tuple[date, ...], expected: date | None
) -> None:
    custom = Policy.model_validate(
        {
            **policy.model_dump(),
            "digest": {"weekly_chart_weekday": weekday},
            "working_days": WorkingDaysPolicy(extra_holidays=holidays),
        }
    )
    calendar = WorkCalendar.for_policy(custom)
    week = [date(2026, 11, 23) + timedelta(days=n) for n in range(7)]
    days = [day for day in week if is_chart_day(custom, calendar, day)]
    assert days == ([expected] if expected else [])


def _last_week(db: Database) -> None:
    """王经理's team, 16–22 Nov: 李明 planned 3 and made 2; 张伟 made 1 unplanned."""
    with db.session() as session:
        people = {p.name: p for p in session.scalars(select(Person))}
        clients = {c.name: c for c in session.scalars(select(Client))}
        plan = VisitPlan(person_id=people["李明"].id, year=2026, month=11, state="approved")
        session.add(plan)
        session.flush()
        for day in (16, 18, 20):
            session.add(
                PlanEntry(
                    plan_id=plan.id,
                    client_id=clients["东方精密"].id,
                    planned_on=date(2026, 11, day),
                    purpose="care",
                )
            )
        for who, client, day in (("李明", "东方精密", 16), ("李明", "华东机电", 19)):
            session.add(_visit(people[who], clients[client], date(2026, 11, day)))
        session.add(_visit(people["张伟"], clients["华南电子"], date(2026, 11, 20)))
        session.add(
            _visit(people["张伟"], clients["华南电子"], date(2026, 11, 23))
        )  # not last week


def _visit(person: Person, client: Client, day: date) -> Visit:
    return Visit(
        person_id=person.id,
        client_id=client.id,
        visited_on=day,
        contact="王工",
        kind="relationship",
        purposes=["care"],
        summary="-",
        outcome="hopeful",
    )


def test_each_manager_gets_the_chart_once_on_monday(company: Company) -> None:
    _last_week(company.core.db)
    company.clock.now = at("2026-11-22 20:30")  # Sunday evening
    travel(company, at("2026-11-24 10:30"), step=timedelta(hours=1))
    with company.core.db.session() as session:
        charts = session.execute(
            select(Person.name, OutboxMessage.key, OutboxMessage.payload, OutboxMessage.created_at)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(OutboxMessage.key.startswith("chart:"))
        ).all()
    # Grace Lee's and 赵总's teams made and planned nothing: no chart for them.
    assert [(name, key.split(":")[2]) for name, key, _, _ in charts] == [("王经理", "2026-W48")]
    _, _, payload, created = charts[0]
    assert created == at("2026-11-23 08:30")
    message = Message.from_payload(payload)
    assert message.text == "📊 团队拜访 11月16日(周一)–11月22日(周日):计划 3 次,实际 3 次"
    assert message.attachment is not None
    assert message.attachment.filename == "team-visits-2026-W48.png"
    assert message.attachment.content.startswith(b"\x89PNG")
    shown = next(m for m in company.inbox["王经理"] if m.startswith("📊"))
    assert shown.endswith("team-visits-2026-W48.png)")  # the console saved the file
