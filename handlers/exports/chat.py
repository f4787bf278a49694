"""`/export receptions|visits|scorecard [YYYY-MM] [csv|xlsx]` in chat, for managers, the GM,
finance and org admins; the file comes back as a document (Telegram) or an uploaded file
(Slack). A manager gets their own team's rows only (SPEC §2).

The month defaults to the reader's current month; receptions and visits default to XLSX.
The scorecard answers with its summary and the chart image, and with the table as a file too
when a format is named. Every export is audited: who took which month of what, how many rows.
"""

from __future__ import annotations

import io
import re
from datetime import date

from handlers.engine.context import Ctx
from handlers.engine.i18n import N_
from handlers.engine.messages import Attachment
from handlers.engine.registry import Command, Feature
from handlers.exports import (
    EXPORTS,
    ExportError,
    Scope,
    count,
    export,
    filename,
    resolve_scope,
    scorecard_chart,
)
from handlers.exports.common import EXPORT_ROLES, read_month
from handlers.exports.table import FORMATS, MIME, Format
from handlers.text.months import Month

# The file is made while the event's transaction is open (on SQLite: the write lock) and is
# sent whole, so chat takes what builds in a few seconds; larger months are for
# `visitdesk export` on the server, which streams to a file and takes no write lock.
CHAT_MAX_ROWS: dict[str, int] = {"xlsx": 20_000, "csv": 100_000}

ALIASES = {
    "receptions": "receptions",
    "reception": "receptions",
    "接待": "receptions",
    "visits": "visits",
    "visit": "visits",
    "拜访": "visits",
    "scorecard": "scorecard",
    "score": "scorecard",
    "考核": "scorecard",
    "考核表": "scorecard",
    "walkins": "walkins",
    "walk-ins": "walkins",
    "访客": "walkins",
}


def parse(ctx: Ctx, argument: str) -> tuple[str, Month, Format | None]:
    """What, which month and which format, in any order; raises ExportError on a stray word."""
    kind: str | None = None
    fmt: Format | None = None
    said: list[str] = []  # the month, in as many words as it takes ("last month")
    for word in argument.split():
        lowered = word.lower()
        if lowered in ALIASES:
            kind = ALIASES[lowered]
        elif lowered in FORMATS:
            fmt = "csv" if lowered == "csv" else "xlsx"
        else:
            said.append(word)
    if kind is None:
        raise ExportError("exp.usage")
    today = ctx.local_now.date()
    month = _month(said, today) if said else Month.of(today)
    return kind, month, fmt


_FILE_TYPE = re.compile(r"\.?[a-z][a-z0-9]{1,4}")  # pdf, docx, .json: a word of a file's name


def _month(said: list[str], today: date) -> Month:
    """The month the words say. When they say none, but would without one word that looks
    like a file type ("2026-12 pdf"), that word is the problem: a format we do not make."""
    try:
        return read_month(" ".join(said), today)
    except ExportError:
        for word in said:
            rest = [other for other in said if other is not word]
            if _FILE_TYPE.fullmatch(word.lower()) and _reads_as_month(rest, today):
                raise ExportError(
                    "exp.error.format", fmt=word, formats=", ".join(FORMATS)
                ) from None
        raise


def _reads_as_month(words: list[str], today: date) -> bool:
    if not words:  # "receptions pdf": this month's
        return True
    try:
        read_month(" ".join(words), today)
    except ExportError:
        return False
    return True


def export_command(ctx: Ctx, argument: str) -> None:
    try:
        kind, month, fmt = parse(ctx, argument)
        scope = resolve_scope(ctx.session, ctx.person)
        if kind == "scorecard":
            _scorecard(ctx, month, scope, fmt)
        else:
            _table(ctx, kind, month, scope, fmt or "xlsx")
    except ExportError as error:
        ctx.say(error.key, **error.params)


def _whose(ctx: Ctx, scope: Scope) -> str:
    return ctx.t("exp.scope.team", name=scope.team) if scope.team else ctx.t("exp.scope.all")


def _audit(ctx: Ctx, kind: str, month: Month, scope: Scope, **taken: object) -> None:
    """Who took which month of what, for whose rows; `taken` says in what form, how many."""
    team = scope.team or "*"
    ctx.audit("export", "export", None, kind=kind, month=str(month), **taken, team=team)


def _table(ctx: Ctx, kind: str, month: Month, scope: Scope, fmt: Format) -> int:
    expected = count(ctx.session, ctx.policy, kind, month, ctx.t, ctx.tz, scope)
    if expected is not None and expected > CHAT_MAX_ROWS[fmt]:
        ctx.say("exp.too_many", rows=expected, limit=CHAT_MAX_ROWS[fmt], month=str(month))
        return 0
    buffer = io.BytesIO()
    written = export(ctx.session, ctx.policy, kind, month, fmt, buffer, ctx.t, ctx.tz, scope)
    _audit(ctx, kind, month, scope, format=fmt, rows=written)
    what = ctx.t(EXPORTS[kind].title)
    shown = month.label(ctx.t)
    if not written:
        ctx.say("exp.empty", what=what, month=shown, whose=_whose(ctx, scope))
        return 0
    ctx.reply(
        ctx.t("exp.ready", what=what, month=shown, rows=written, whose=_whose(ctx, scope)),
        attachment=Attachment(filename(kind, month, fmt, scope), buffer.getvalue(), MIME[fmt]),
    )
    return written


def _scorecard(ctx: Ctx, month: Month, scope: Scope, fmt: Format | None) -> None:
    made = scorecard_chart(ctx.session, ctx.policy, month, ctx.t, ctx.tz, scope)
    if made is None:
        _audit(ctx, "scorecard", month, scope, rows=0)
        ctx.say("exp.score.none", whose=_whose(ctx, scope))
        return
    png = Attachment(filename("scorecard", month, "png", scope), made.chart.png, "image/png")
    ctx.reply(made.text, attachment=png)
    if fmt is None:
        _audit(ctx, "scorecard", month, scope, format="png")
    else:
        _table(ctx, "scorecard", month, scope, fmt)


FEATURE = Feature(
    commands=(Command("export", N_("help.export"), export_command, EXPORT_ROLES),),
)
