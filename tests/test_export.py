"""Reports and exports (SPEC §9): receptions and visits for a month as CSV and XLSX, read
back with the csv module and openpyxl and compared field by field with the database; who
may export whose rows (SPEC §2); the scorecard per team as a table and a chart; the
`visitdesk export` command."""

from __future__ import annotations

import csv
import io
import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import main
from handlers.engine.core import CONSOLE, Core
from handlers.engine.i18n import Translator
from handlers.engine.messages import Event, Message
from handlers.exports import EVERYONE, ExportError, chat, resolve_scope, scorecard_chart
from handlers.exports.receptions import COLUMNS as RECEPTION_COLUMNS
from handlers.exports.scorecard import COLUMNS as SCORE_COLUMNS
from handlers.exports.visits import COLUMNS as VISIT_COLUMNS
from handlers.reception.card import BUDGET_LINES, budget
from handlers.rules.policy.schema import Policy
from handlers.text.months import Month
from handlers.visits.rules import plan_completion
from storage.db import Database
from storage.models import (
    ApprovalStep,
    AuditEntry,
    Client,
    Person,
    PlanEntry,
    Reception,
    Visit,
    VisitPlan,
)
from tests.conftest import START
from tests.support import Company
from tests.test_after_approval import approved_b
from tests.test_approval import plain_reception

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH, EN = Translator("zh_CN"), Translator("en")
RECEPTION_KEYS = [c.key for c in RECEPTION_COLUMNS]
VISIT_KEYS = [c.key for c in VISIT_COLUMNS]
SCORE_KEYS = [c.key for c in SCORE_COLUMNS]
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------------------- helpers


def ask(core: Core, who: str, text: str) -> list[Message]:
    return core.handle(Event(CONSOLE, who, text))


def exported(core: Core, who: str, text: str) -> Message:
    """The one reply that carries a file."""
    replies = [m for m in ask(core, who, text) if m.attachment is not None]
    assert len(replies) == 1, [m.text for m in ask(core, who, text)]
    return replies[0]


def csv_rows(message: Message, keys: list[str]) -> list[dict[str, str]]:
    assert message.attachment is not None
    text = message.attachment.content.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert len(header) == len(keys)
    return [dict(zip(keys, row, strict=True)) for row in rows]


def xlsx_rows(message: Message, keys: list[str]) -> tuple[Any, list[dict[str, Any]]]:
    assert message.attachment is not None
    sheet = load_workbook(io.BytesIO(message.attachment.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert len(header) == len(keys)
    return sheet, [dict(zip(keys, row, strict=True)) for row in rows]


def ids(rows: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in rows]


def person(session: Session, name: str) -> Person:
    return session.scalars(select(Person).where(Person.name == name)).one()


def client(session: Session, name: str) -> Client:
    return session.scalars(select(Client).where(Client.name == name)).one()


def add_reception(
    db: Database, who: str, client_name: str, arrival: datetime, total: int, state: str
) -> int:
    """A reception written straight to the database (one approval step, already decided)."""
    with db.session() as session:
        requester, guest_client = person(session, who), client(session, client_name)
        item = Reception(
            requester_id=requester.id,
            client_id=guest_client.id,
            class_key=guest_client.class_key,
            arrival_at=arrival,
            departure_at=arrival + timedelta(hours=3),
            visitors=2,
            total=Decimal(total),
            answers={
                "cls": guest_client.class_key,
                "guest": "Guest",
                "guest_title": "Buyer",
                "purposes": ["meeting"],
                "meals": 0,
                "b_transport": str(total),
            },
            state=state,
            submitted_at=START,
        )
        session.add(item)
        session.flush()
        if requester.manager_id is not None:
            decided = state != "pending"
            session.add(
                ApprovalStep(
                    subject="reception",
                    subject_id=item.id,
                    round=1,
                    position=0,
                    kind="manager",
                    approver_id=requester.manager_id,
                    state="approved" if decided else "pending",
                    decided_at=START + timedelta(hours=1) if decided else None,
                    decided_by_id=requester.manager_id if decided else None,
                )
            )
        return item.id


def add_visit(db: Database, who: str, client_name: str, day: date, **fields: Any) -> int:
    with db.session() as session:
        visit = Visit(
            person_id=person(session, who).id,
            client_id=client(session, client_name).id,
            visited_on=day,
            contact=fields.pop("contact", "张总"),
            kind=fields.pop("kind", "relationship"),
            purposes=fields.pop("purposes", ["care"]),
            summary=fields.pop("summary", f"{who} 拜访 {client_name}"),
            outcome=fields.pop("outcome", "hopeful"),
            answers={},
            created_at=datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=18),
            **fields,
        )
        session.add(visit)
        session.flush()
        return visit.id


def label(t: Translator, prefix: str, key: str) -> str:
    return t(f"{prefix}.{key}") if t.has(f"{prefix}.{key}") else key


def shown(value: datetime | None, tz: ZoneInfo = SHANGHAI) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def money(value: Decimal | str | None) -> str:
    return "" if value is None else str(Decimal(value).quantize(Decimal("0.01")))


@pytest.fixture
def november(company: Company, org_db: Database) -> dict[str, int]:
    """Receptions arriving in November 2026 across both sales teams, plus one in December.

    b_closed: 李明's B-class visit, approved by 王经理 and 赵总, then closed with actual spend;
    delegated: 李明's C-class, approved by 张伟 standing in for 王经理; rejected: 李明's D-class
    for the same client;
    own: 王经理's own reception for his client 市工信局; tom: Tom Walker's, Grace Lee's team.
    """
    approved_b(company)
    company.clock.advance(days=8, hours=8)  # after the departure on the 26th
    company.say("李明", "/my")
    company.press("李明", "结案")
    for answer in ["1100", "300", "800", "-", "签订年度框架协议", "12月签约"]:
        company.say("李明", answer)
    company.press("李明", "提交")
    company.clock.now = START

    company.say("王经理", "/delegate 张伟 到 12月5日")
    plain_reception(company, "李明", "东方精密", "C")
    company.press("张伟", "同意")
    company.say("王经理", "/delegate off")
    plain_reception(company, "李明", "东方精密", "D")
    company.press("王经理", "驳回")
    company.give_reason("王经理", "预算不足")

    arrival = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    own = add_reception(org_db, "王经理", "市工信局", arrival, 900, "approved")
    tom = add_reception(org_db, "Tom Walker", "ACME Industrial", arrival, 4200, "pending")
    december = add_reception(
        org_db, "李明", "华东机电", datetime(2026, 12, 3, 2, 0, tzinfo=UTC), 100, "pending"
    )
    with org_db.session() as session:
        made = session.scalars(select(Reception.id).where(Reception.id < own).order_by("id"))
        b_closed, delegated, rejected = made.all()
    return {
        "b_closed": b_closed,
        "delegated": delegated,
        "rejected": rejected,
        "own": own,
        "tom": tom,
        "december": december,
    }


# ---------------------------------------------------------------------------- receptions


def test_receptions_csv_matches_the_database_field_by_field(
    company: Company, november: dict[str, int], policy: Policy
) -> None:
    message = exported(company.core, "钱会计", "/export receptions 2026-11 csv")
    assert message.attachment is not None
    assert message.attachment.filename == "receptions-2026-11.csv"
    assert message.attachment.mime == CSV_MIME
    assert message.text == "接待 · 2026年11月 · 5 行 · 全公司"
    rows = csv_rows(message, RECEPTION_KEYS)
    # Arrival order: Tom's and 王经理's on the 20th, then the 23rd (twice), then the 25th.
    assert ids(rows) == [
        november["own"],
        november["tom"],
        november["delegated"],
        november["rejected"],
        november["b_closed"],
    ]

    by_id = {int(r["id"]): r for r in rows}
    closed = by_id[november["b_closed"]]
    assert closed["state"] == "已结案"
    assert (closed["client"], closed["class"], closed["requester"]) == ("华东机电", "B", "李明")
    assert closed["arrival_at"] == "2026-11-25 10:00"
    assert closed["departure_at"] == "2026-11-26 15:00"
    assert (closed["visitors"], closed["guest"], closed["guest_title"]) == ("5", "张总", "采购总监")
    assert closed["purposes"] == "参观考察、业务洽谈"
    assert closed["leaders"] == "总经理"
    assert (closed["meals"], closed["diners"], closed["per_head"]) == ("2", "5", "120.00")
    budget_vs_actual = {
        line: (closed[f"budget_{line}"], closed[f"actual_{line}"]) for line in BUDGET_LINES
    }
    assert budget_vs_actual == {
        "meals": ("1200.00", "1100.00"),
        "drinks": ("0.00", "0.00"),  # a line of its own since issue 21; none was budgeted
        "transport": ("300.00", "300.00"),
        "hotel": ("0.00", "0.00"),
        "gifts": ("800.00", "800.00"),
        "other": ("0.00", "0.00"),
    }
    assert (closed["total"], closed["actual_total"], closed["variance"]) == (
        "2300.00",
        "2200.00",
        "-100.00",
    )
    assert (closed["manager_approver"], closed["manager_result"]) == ("王经理", "同意")
    assert (closed["gm_approver"], closed["gm_result"]) == ("赵总", "同意")
    assert closed["manager_decided_at"] == closed["gm_decided_at"] == "2026-11-18 09:00"
    assert closed["finance_approver"] == closed["finance_result"] == ""
    assert closed["closed_at"] == "2026-11-26 17:00"
    assert (closed["outcome"], closed["agreed"]) == ("签订年度框架协议", "12月签约")

    delegated = by_id[november["delegated"]]
    assert delegated["manager_approver"] == "张伟(代 王经理)"
    assert delegated["manager_result"] == "同意" and delegated["state"] == "已批准"
    assert delegated["actual_total"] == delegated["variance"] == ""  # not closed yet
    rejected = by_id[november["rejected"]]
    assert (rejected["state"], rejected["manager_result"]) == ("已驳回", "驳回")

    # Every row against the database, column by column.
    with company.core.db.session() as session:
        for row in rows:
            item = session.get(Reception, int(row["id"]))
            assert item is not None
            assert row["state"] == ZH(f"rcp.state.{item.state}")
            assert row["client"] == item.client.name
            assert row["requester"] == item.requester.name
            assert row["department"] == item.requester.department
            assert row["submitted_at"] == shown(item.submitted_at)
            assert row["arrival_at"] == shown(item.arrival_at)
            assert row["departure_at"] == shown(item.departure_at)
            assert row["visitors"] == str(item.visitors)
            assert row["total"] == money(item.total)
            planned = budget(policy, item.answers).lines
            for line in BUDGET_LINES:
                assert row[f"budget_{line}"] == money(planned[line])
                spent = (item.actual or {}).get(f"act_{line}")
                assert row[f"actual_{line}"] == money(spent)
            assert row["company_hotel"] == ("是" if item.company_hotel else "否")
            assert row["decided_at"] == shown(item.decided_at)
            steps = session.scalars(
                select(ApprovalStep).where(
                    ApprovalStep.subject == "reception",
                    ApprovalStep.subject_id == item.id,
                    ApprovalStep.round == item.round,
                )
            ).all()
            for kind in ("manager", "gm", "finance"):
                step = next((s for s in steps if s.kind == kind), None)
                assert row[f"{kind}_result"] == (ZH(f"exp.step.{step.state}") if step else "")
                assert row[f"{kind}_decided_at"] == shown(step.decided_at if step else None)


def test_receptions_xlsx_has_real_types_a_frozen_header_and_widths(
    company: Company, november: dict[str, int]
) -> None:
    message = exported(company.core, "钱会计", "/export receptions 2026-11")  # XLSX by default
    assert message.attachment is not None
    assert message.attachment.filename == "receptions-2026-11.xlsx"
    assert message.attachment.mime == XLSX_MIME
    sheet, rows = xlsx_rows(message, RECEPTION_KEYS)
    assert sheet.title == "接待"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AZ6"  # to drinks (h4) and the follow-up score, issue (h5)
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["编号", "状态", "客户"]
    assert header[7] == "到访时间(Asia/Shanghai)"
    assert all(cell.font.bold for cell in sheet[1])
    width = {letter: sheet.column_dimensions[letter].width for letter in ("A", "C", "H", "AV")}
    assert width["A"] == 7  # 编号: a number
    assert width["C"] == 20  # 客户: names run long
    assert width["H"] == 25  # 到访时间(Asia/Shanghai): as wide as its header
    assert width["AV"] == 30  # 接待成果: free text

    closed = next(r for r in rows if r["id"] == november["b_closed"])
    assert isinstance(closed["id"], int) and isinstance(closed["visitors"], int)
    assert closed["arrival_at"] == datetime(2026, 11, 25, 10, 0)
    assert closed["closed_at"] == datetime(2026, 11, 26, 17, 0)
    assert closed["budget_meals"] == 1200 and closed["actual_meals"] == 1100
    assert closed["total"] == 2300 and closed["actual_total"] == 2200
    assert closed["variance"] == -100
    assert closed["manager_decided_at"] == datetime(2026, 11, 18, 9, 0)
    arrival_cell = sheet.cell(row=2 + [r["id"] for r in rows].index(november["b_closed"]), column=8)
    assert arrival_cell.is_date and arrival_cell.number_format == "yyyy-mm-dd hh:mm"
    money_cell = sheet.cell(row=arrival_cell.row, column=RECEPTION_KEYS.index("total") + 1)
    assert money_cell.data_type == "n" and money_cell.number_format == "#,##0.00"
    with company.core.db.session() as session:
        for row in rows:
            item = session.get(Reception, row["id"])
            assert item is not None
            assert row["arrival_at"] == item.arrival_at.astimezone(SHANGHAI).replace(tzinfo=None)
            assert Decimal(str(row["total"])) == item.total
            assert row["client"] == item.client.name


def test_an_english_reader_gets_english_headers_in_their_own_zone(
    company: Company, november: dict[str, int]
) -> None:
    with company.core.db.session() as session:
        person(session, "Grace Lee").timezone = "Europe/London"
    message = exported(company.core, "Grace Lee", "/export receptions 2026-11 csv")
    assert message.text == "receptions · 2026-11 · rows: 1 · Grace Lee's team"
    assert message.attachment is not None
    header = next(csv.reader(io.StringIO(message.attachment.content.decode("utf-8-sig"))))
    assert header[:4] == ["No.", "State", "Client", "Class"]
    assert header[7] == "Arrival (Europe/London)"
    (row,) = csv_rows(message, RECEPTION_KEYS)
    assert (row["state"], row["client"]) == ("awaiting approval", "ACME Industrial")
    assert row["arrival_at"] == "2026-11-20 02:00"  # 10:00 in Shanghai is 02:00 in London
    assert row["manager_approver"] == "Grace Lee" and row["manager_result"] == "pending"


# ---------------------------------------------------------------------------- who gets what


def test_each_reader_gets_only_the_receptions_they_may_see(
    company: Company, november: dict[str, int]
) -> None:
    team_wang = {november["b_closed"], november["delegated"], november["rejected"], november["own"]}
    everything = team_wang | {november["tom"]}
    for who, expected in [
        ("王经理", team_wang),
        ("Grace Lee", {november["tom"]}),
        ("钱会计", everything),  # finance
        ("赵总", everything),  # GM
        ("孙行政", everything),  # org admin
    ]:
        rows = csv_rows(
            exported(company.core, who, "/export receptions 2026-11 csv"), RECEPTION_KEYS
        )
        assert set(ids(rows)) == expected, who
        assert november["december"] not in ids(rows)

    replies = ask(company.core, "李明", "/export receptions 2026-11")
    assert [m.text for m in replies] == ["您没有使用这个命令的权限。"]
    with company.core.db.session() as session:
        with pytest.raises(ExportError) as refused:
            resolve_scope(session, person(session, "李明"))
        assert refused.value.key == "exp.not_allowed"
        audits = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
        assert {a.detail["team"] for a in audits} == {"王经理", "Grace Lee", "*"}
        assert all(a.detail["kind"] == "receptions" for a in audits)


@pytest.fixture
def visits(org_db: Database, company: Company) -> dict[str, int]:
    """November visits by both teams, one in December, and one by 李明 to a client that has
    since become Tom Walker's (so neither team's manager may see it; finance may)."""
    return {
        "li": add_visit(org_db, "李明", "华东机电", date(2026, 11, 3)),
        "zhang": add_visit(org_db, "张伟", "华南电子", date(2026, 11, 10)),
        "wang_own": add_visit(org_db, "王经理", "市工信局", date(2026, 11, 12)),
        "tom": add_visit(org_db, "Tom Walker", "ACME Industrial", date(2026, 11, 5)),
        "anna": add_visit(org_db, "Anna Schmidt", "Nordic Tools", date(2026, 11, 30)),
        "li_at_tom_client": add_visit(org_db, "李明", "ACME Industrial", date(2026, 11, 7)),
        "december": add_visit(org_db, "李明", "华东机电", date(2026, 12, 1)),
    }


def test_each_reader_gets_only_the_visits_they_may_see(
    company: Company, visits: dict[str, int]
) -> None:
    def exported_ids(who: str) -> set[int]:
        rows = csv_rows(exported(company.core, who, "/export visits 2026-11 csv"), VISIT_KEYS)
        return set(ids(rows))

    assert exported_ids("王经理") == {visits["li"], visits["zhang"], visits["wang_own"]}
    assert exported_ids("Grace Lee") == {visits["tom"], visits["anna"]}
    everyone = set(visits.values()) - {visits["december"]}
    assert exported_ids("钱会计") == everyone
    assert exported_ids("赵总") == everyone
    assert [m.text for m in ask(company.core, "李明", "/export 拜访")] == [
        "您没有使用这个命令的权限。"
    ]
    assert [m.text for m in ask(company.core, "Tom Walker", "/export visits")] == [
        "You are not allowed to use that command."
    ]


# ---------------------------------------------------------------------------- visits


def test_visits_export_every_field_in_csv_and_xlsx(company: Company, org_db: Database) -> None:
    full = add_visit(
        org_db,
        "李明",
        "华东机电",
        date(2026, 11, 24),
        contact="张总",
        kind="initial",
        purposes=["research", "new_product"],
        summary="介绍新产品线",
        needs="年度框架协议",
        competitors="对手报价低5%",
        outcome="won",
        next_step="寄送样品",
        next_due=date(2026, 12, 1),
        expenses=Decimal("356.80"),
    )
    bare = add_visit(org_db, "张伟", "华南电子", date(2026, 11, 2), summary='=HYPERLINK("x")')
    with org_db.session() as session:
        plan = VisitPlan(
            person_id=person(session, "李明").id, year=2026, month=11, state="approved", round=1
        )
        session.add(plan)
        session.flush()
        session.add(
            PlanEntry(
                plan_id=plan.id,
                client_id=client(session, "华东机电").id,
                planned_on=date(2026, 11, 23),
                purpose="回访",
                visit_id=full,
            )
        )

    rows = csv_rows(exported(company.core, "钱会计", "/export visits 2026-11 csv"), VISIT_KEYS)
    assert ids(rows) == [bare, full]  # by visit day
    _, xlsx = xlsx_rows(exported(company.core, "钱会计", "/export visits 2026-11 xlsx"), VISIT_KEYS)
    with org_db.session() as session:
        visit = session.get(Visit, full)
        assert visit is not None
        expected_csv = {
            "id": str(visit.id),
            "visited_on": "2026-11-24",
            "salesperson": "李明",
            "department": "销售一部",
            "client": "华东机电",
            "class": "B",
            "contact": visit.contact,
            "visit_kind": label(ZH, "visit.kind", "initial"),
            "purposes": label(ZH, "visit.purpose", "research")
            + "、"
            + label(ZH, "visit.purpose", "new_product"),
            "summary": visit.summary,
            "needs": visit.needs,
            "competitors": visit.competitors,
            "visit_outcome": label(ZH, "visit.outcome", "won"),
            "next_step": visit.next_step,
            "next_due": "2026-12-01",
            "expenses": "356.80",
            "planned_on": "2026-11-23",
            "logged_at": shown(visit.created_at),
        }
        assert rows[1] == expected_csv
        expected_xlsx: dict[str, Any] = {
            **expected_csv,
            "id": visit.id,
            "visited_on": datetime(2026, 11, 24),
            "next_due": datetime(2026, 12, 1),
            "planned_on": datetime(2026, 11, 23),
            "expenses": 356.8,
            "logged_at": visit.created_at.astimezone(SHANGHAI).replace(tzinfo=None),
        }
        assert xlsx[1] == expected_xlsx
    # Text that a spreadsheet would run as a formula stays text.
    assert rows[0]["summary"] == '\'=HYPERLINK("x")'
    assert xlsx[0]["summary"] == '=HYPERLINK("x")'
    assert rows[0]["needs"] == rows[0]["next_due"] == rows[0]["planned_on"] == ""
    assert xlsx[0]["needs"] is None and xlsx[0]["expenses"] is None


def test_a_summary_with_control_characters_still_makes_a_workbook(
    company: Company, org_db: Database
) -> None:
    add_visit(org_db, "李明", "华东机电", date(2026, 11, 3), summary="见面\x0b谈价格\x01")
    _, rows = xlsx_rows(exported(company.core, "王经理", "/export visits 2026-11"), VISIT_KEYS)
    assert rows[0]["summary"] == "见面谈价格"


# ---------------------------------------------------------------------------- the scorecard


@pytest.fixture
def plans(org_db: Database, company: Company) -> None:
    """November: 李明 planned 3 (did 2, plus 1 unplanned); 张伟's plan of 2 is pending, he
    did neither but made 1 other visit; 刘芳's plan is a draft (plans nothing); Tom planned 1
    and did it."""

    def plan(who: str, state: str, entries: list[tuple[str, int, bool]]) -> None:
        visit_ids = [
            add_visit(org_db, who, name, date(2026, 11, day)) if done else None
            for name, day, done in entries
        ]
        with org_db.session() as session:
            owner = person(session, who)
            item = VisitPlan(person_id=owner.id, year=2026, month=11, state=state, round=1)
            session.add(item)
            session.flush()
            for (client_name, day, _), visit_id in zip(entries, visit_ids, strict=True):
                session.add(
                    PlanEntry(
                        plan_id=item.id,
                        client_id=client(session, client_name).id,
                        planned_on=date(2026, 11, day),
                        purpose="回访",
                        visit_id=visit_id,
                    )
                )

    plan(
        "李明", "approved", [("华东机电", 3, True), ("东方精密", 10, True), ("北京宏达", 20, False)]
    )
    add_visit(org_db, "李明", "北京宏达", date(2026, 11, 12))
    plan("张伟", "pending", [("华南电子", 4, False), ("信达物流", 5, False)])
    add_visit(org_db, "张伟", "信达物流", date(2026, 11, 6))
    plan("刘芳", "draft", [("苏州新材", 9, False), ("杭州包装", 9, False)])
    plan("Tom Walker", "approved", [("ACME Industrial", 16, True)])


def test_the_scorecard_per_team_as_text_a_chart_and_a_table(
    company: Company, plans: None, org_db: Database, policy: Policy
) -> None:
    replies = ask(company.core, "钱会计", "/export scorecard 2026-11 xlsx")
    assert len(replies) == 2
    card, table = replies
    assert card.text.splitlines() == [
        "【拜访考核 2026年11月】",
        "▸ 赵总 的团队:计划 0 · 完成 0 · 实际 0 · 完成率 —",
        "• 王经理:计划 0 · 完成 0 · 实际 0 · —(无计划) · 考核 0 分",
        "• Grace Lee:计划 0 · 完成 0 · 实际 0 · —(无计划) · 考核 0 分",
        "▸ 王经理 的团队:计划 5 · 完成 2 · 实际 4 · 完成率 80%",
        "• 李明:计划 3 · 完成 2 · 实际 3 · 100%(计划已批准) · 考核 40 分",
        "• 张伟:计划 2 · 完成 0 · 实际 1 · 50%(计划待审批) · 考核 20 分",
        "• 刘芳:计划 0 · 完成 0 · 实际 0 · —(计划草稿) · 考核 0 分",
        "• 陈静:计划 0 · 完成 0 · 实际 0 · —(无计划) · 考核 0 分",
        "▸ Grace Lee 的团队:计划 1 · 完成 1 · 实际 1 · 完成率 100%",
        "• Tom Walker:计划 1 · 完成 1 · 实际 1 · 100%(计划已批准) · 考核 40 分",
        "• Anna Schmidt:计划 0 · 完成 0 · 实际 0 · —(无计划) · 考核 0 分",
    ]
    assert card.attachment is not None
    assert card.attachment.filename == "scorecard-2026-11.png"
    assert card.attachment.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert table.attachment is not None and table.attachment.filename == "scorecard-2026-11.xlsx"

    _, rows = xlsx_rows(table, SCORE_KEYS)
    assert [(r["team"], r["salesperson"]) for r in rows][2:4] == [
        ("王经理", "李明"),
        ("王经理", "张伟"),
    ]
    with org_db.session() as session:
        for row in rows:
            score = plan_completion(session, person(session, row["salesperson"]), 2026, 11)
            assert (row["planned"], row["done"], row["actual"]) == (
                score.planned,
                score.done,
                score.actual,
            )
            if row["salesperson"] == "李明":  # the assessment: visits 40% × 100%, nothing else
                assert row["assessment"] == 40
                assert row["assessment_items"] == "拜访 40 · 拓展 0 · 成交 0 · 平常工作 —"
            if score.planned:
                assert row["rate"] == pytest.approx(score.actual / score.planned)
                assert round(row["rate"] * 100) == score.rate
            else:
                assert row["rate"] is None

    mine = ask(company.core, "王经理", "/export scorecard 2026-11")
    assert len(mine) == 1  # no format named: the summary and the chart only
    assert mine[0].text.splitlines()[1] == "▸ 王经理 的团队:计划 5 · 完成 2 · 实际 4 · 完成率 80%"
    assert "Tom Walker" not in mine[0].text and "赵总" not in mine[0].text
    grace = ask(company.core, "Grace Lee", "/export scorecard 2026-11 csv")
    assert grace[0].text.splitlines()[:2] == [
        "Visit scorecard — 2026-11",
        "▸ Grace Lee's team: planned 1 · done 1 · made 1 · completion 100%",
    ]
    grace_rows = csv_rows(grace[1], SCORE_KEYS)
    assert [r["salesperson"] for r in grace_rows] == ["Tom Walker", "Anna Schmidt"]
    assert grace_rows[0]["rate"] == "100.0%" and grace_rows[1]["rate"] == ""


def test_the_scorecard_chart_draws_chinese_names_with_a_cjk_font(
    company: Company, plans: None, org_db: Database, policy: Policy
) -> None:
    # The machine's CJK font, else the one the install brings (handlers/digest/weekly_chart.py).
    with org_db.session() as session, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = scorecard_chart(session, policy, Month(2026, 11), ZH, SHANGHAI, EVERYONE)
    assert report is not None
    assert report.chart.font is not None
    assert report.people == 8
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert report.chart.png.startswith(b"\x89PNG")


# ---------------------------------------------------------------------------- chat odds and ends


def test_usage_bad_months_empty_months_and_too_many_rows(
    company: Company, november: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        "用法:/export receptions|visits|scorecard" in ask(company.core, "钱会计", "/export")[0].text
    )
    bad = ask(company.core, "钱会计", "/export receptions 2026-13")
    assert [m.text for m in bad] == ["看不懂月份「2026-13」,可以写 2026-11、11月 或 上个月。"]
    bad = ask(company.core, "钱会计", "/export receptions 下下个月")
    assert [m.text for m in bad] == ["看不懂月份「下下个月」,可以写 2026-11、11月 或 上个月。"]
    empty = ask(company.core, "钱会计", "/export receptions 2027-01")
    assert [m.text for m in empty] == ["2027年1月 没有接待记录(全公司)。"]
    december = exported(company.core, "钱会计", "/export receptions 下个月")
    assert "2026年12月 · 1 行" in december.text
    # The month defaults to the reader's own (November 2026); it reads as people write it.
    assert "5 行" in exported(company.core, "钱会计", "/export 接待").text
    for month in ("2026年11月 csv", "11月", "本月", "nov 2026"):
        assert "5 行" in exported(company.core, "钱会计", f"/export 接待 {month}").text, month
    october = ask(company.core, "钱会计", "/export receptions 上个月")
    assert [m.text for m in october] == ["2026年10月 没有接待记录(全公司)。"]
    monkeypatch.setitem(chat.CHAT_MAX_ROWS, "xlsx", 3)
    too_many = ask(company.core, "钱会计", "/export receptions 2026-11")
    assert too_many[0].attachment is None
    assert too_many[0].text.startswith("2026-11 有 5 行,聊天里最多导出 3 行")
    assert exported(company.core, "钱会计", "/export receptions 2026-11 csv").attachment


# ---------------------------------------------------------------------------- the command line


def test_the_export_command(
    org_db: Database,
    november: dict[str, int],
    plans: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", str(org_db.engine.url))
    for name in ("TELEGRAM_BOT_TOKEN", "SLACK_BOT_TOKEN", "POLICY_FILE"):
        monkeypatch.delenv(name, raising=False)

    out = tmp_path / "wang.csv"
    argv = ["export", "receptions", "--month", "2026-11", "--format", "csv"]
    assert main([*argv, "--team", "王经理", "--out", str(out), "--lang", "en"]) == 0
    assert f"4 rows → {out}" in capsys.readouterr().err
    with out.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:3] == ["No.", "State", "Client"]
    assert {int(r[0]) for r in rows} == {
        november["b_closed"],
        november["delegated"],
        november["rejected"],
        november["own"],
    }

    assert main(["export", "receptions", "--month", "2026-11"]) == 0  # all, XLSX, zh
    book = load_workbook(tmp_path / "receptions-2026-11.xlsx", read_only=True)
    sheet = book.active
    assert sheet is not None
    assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == "编号"
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 5
    book.close()

    assert main(["export", "visits", "--month", "2026-11", "--team", "销售一部"]) == 0
    assert (tmp_path / "visits-2026-11-销售一部.xlsx").exists()
    assert main(["export", "scorecard", "--month", "2026-11", "--format", "png"]) == 0
    assert (tmp_path / "scorecard-2026-11.png").read_bytes().startswith(b"\x89PNG")

    assert main(["export", "receptions", "--month", "2026-11", "--team", "无名氏"]) == 1
    assert "找不到团队「无名氏」" in capsys.readouterr().err
    assert main(["export", "receptions", "--month", "13/2026"]) == 1
    assert "看不懂月份「13/2026」" in capsys.readouterr().err
    assert main(["export", "receptions", "--month", "2026-11", "--format", "png"]) == 2
    assert not list(tmp_path.glob(".*.partial"))
