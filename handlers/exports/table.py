"""Writing a table as CSV or XLSX, one row at a time.

An export is a tuple of typed columns and an iterator of rows; the writers here consume the
rows as they come and keep none of them, so a month of any size is written in bounded memory:
CSV straight to the output, XLSX through openpyxl's write-only workbook (rows go to a temporary
file and strings are written inline, so nothing grows with the row count).

CSV is for machines and for Excel alike: UTF-8 with a BOM (so Excel reads Chinese), dates as
ISO `YYYY-MM-DD HH:MM`, money with two decimals and no grouping. XLSX keeps real types: dates
are dates, money and counts are numbers, rates are percentages.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any, Literal

from handlers.engine.i18n import Translator

# openpyxl (~20 MB) is imported by the XLSX writer when one is written, not by every bot
# process that never exports (issue 26, bench/RESULTS.md).
if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

ColumnKind = Literal["text", "int", "money", "datetime", "date", "percent"]
Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")

CENT = Decimal("0.01")
XLSX_FORMATS = {
    "money": "#,##0.00",
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "percent": "0.0%",
}
DEFAULT_WIDTHS = {"text": 14, "int": 8, "money": 12, "datetime": 17, "date": 11, "percent": 9}
MAX_WIDTH = 60
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    """One column: its header is the catalog entry `exp.col.<key>`; `width` is a hint in
    characters for text that runs long (a summary), else the kind's default is used."""

    key: str
    kind: ColumnKind = "text"
    width: int | None = None


def headers(columns: Sequence[Column], t: Translator, tz: tzinfo) -> list[str]:
    """Column headers in the reader's language; date-times name the zone they are shown in."""
    names = []
    for column in columns:
        name = t(f"exp.col.{column.key}")
        if column.kind == "datetime":
            name = t("exp.col.in_zone", header=name, zone=str(tz))
        names.append(name)
    return names


def display_width(text: str) -> int:
    """Characters as a spreadsheet shows them: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def width_of(column: Column, header: str) -> int:
    hint = column.width or DEFAULT_WIDTHS[column.kind]
    return min(MAX_WIDTH, max(hint, display_width(header) + 2))


def local(value: datetime, tz: tzinfo) -> datetime:
    """An aware date-time as the naive wall-clock time in `tz` (spreadsheets have no zones)."""
    return value.astimezone(tz).replace(tzinfo=None, microsecond=0)


# ---------------------------------------------------------------------------- cell values
# One converter per column, chosen once, so the per-cell work is a single call.

Converter = Callable[[Any], Any]

# Text a spreadsheet would run as a formula (CSV/formula injection): "=HYPERLINK(...)" typed as
# a client's name must stay text. CSV gets a leading apostrophe (OWASP's advice, Excel hides
# it); XLSX cells are typed as strings, so they need none.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_converter(kind: ColumnKind, tz: tzinfo) -> Converter:
    if kind == "text":
        return _csv_text
    if kind == "int":
        return lambda v: "" if v is None else str(v)
    if kind == "datetime":
        return lambda v: "" if v is None else local(v, tz).strftime("%Y-%m-%d %H:%M")
    if kind == "date":
        return lambda v: "" if v is None else v.isoformat()
    if kind == "money":
        return lambda v: "" if v is None else str(Decimal(v).quantize(CENT))
    return lambda v: "" if v is None else f"{float(v) * 100:.1f}%"


def xlsx_converter(sheet: WriteOnlyWorksheet, kind: ColumnKind, tz: tzinfo) -> Converter:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if kind == "text":

        def text(value: Any) -> Any:
            if value is None:
                return None
            text = str(value)
            if ILLEGAL_CHARACTERS_RE.search(text):  # control characters XML cannot hold
                text = ILLEGAL_CHARACTERS_RE.sub("", text)
            if text.startswith("="):  # openpyxl would store it as a formula
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"
                return cell
            return text

        return text
    if kind == "int":
        return lambda v: None if v is None else int(v)
    number_format = XLSX_FORMATS[kind]
    prepare: Converter = {
        "datetime": lambda v: local(v, tz),
        "money": lambda v: Decimal(v).quantize(CENT),
        "percent": float,
    }.get(kind, lambda v: v)

    def convert(value: Any) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=prepare(value))
        cell.number_format = number_format
        return cell

    return convert


# ---------------------------------------------------------------------------- CSV


def write_csv(
    out: IO[bytes],
    columns: Sequence[Column],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    tz: tzinfo,
) -> int:
    """Write the header and every row to `out`; returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        converters = [csv_converter(c.kind, tz) for c in columns]
        count = 0
        for row in rows:
            writer.writerow([f(v) for f, v in zip(converters, row, strict=True)])
            count += 1
        text.flush()
    finally:
        text.detach()  # the caller owns `out`; closing the wrapper must not close it
    return count


# ---------------------------------------------------------------------------- XLSX


def sheet_title(text: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip("'")
    return cleaned[:31] or "Sheet"


def write_xlsx(
    out: IO[bytes],
    columns: Sequence[Column],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    tz: tzinfo,
    title: str,
) -> int:
    """One sheet: a bold, frozen, filterable header, then the rows; returns their number."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title(title))
    for index, (column, name) in enumerate(zip(columns, header, strict=True), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width_of(column, name)
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(vertical="center", wrap_text=True)
    head_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        head_cells.append(cell)
    sheet.append(head_cells)
    converters = [xlsx_converter(sheet, c.kind, tz) for c in columns]
    count = 0
    for row in rows:
        sheet.append([f(v) for f, v in zip(converters, row, strict=True)])
        count += 1
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    book.save(out)
    return count


def write(
    fmt: Format,
    out: IO[bytes],
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    t: Translator,
    tz: tzinfo,
    title: str,
) -> int:
    """Write `rows` under translated headers in `fmt`; returns the number of rows written."""
    header = headers(columns, t, tz)
    if fmt == "csv":
        return write_csv(out, columns, header, rows, tz)
    return write_xlsx(out, columns, header, rows, tz, title)
