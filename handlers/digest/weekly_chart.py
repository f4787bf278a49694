"""The weekly chart (SPEC §8): each manager's team, visits made against visits planned.

Once a week (the policy's `digest.weekly_chart_weekday`, or the first working day after it
in that week when it is a day off), at the manager's digest time, the scheduler makes one
`digest.weekly_chart` row per manager; the renderer below draws the seven days before that
day as a PNG (matplotlib, Agg, no display needed) and sends it as the message's attachment:
per salesperson of the team (as the scorecard counts it: direct reports who sell), visits
planned in a filed plan for those days against visits logged for them. No chart is sent
when the team planned and made no visits at all.

Names are often Chinese, and matplotlib's own DejaVu fonts have no CJK glyphs (they would
render as boxes), so the chart is drawn with a CJK font found on the machine: a known family
matplotlib already sees, else one `fc-list :lang=zh` names, else one in the usual font
folders (macOS and Windows ship one: PingFang, Microsoft YaHei; Debian/Ubuntu have
`fonts-noto-cjk`), else the Noto Sans CJK that the `manimgx-fonts-cjk` dependency ships, so
that a fresh server with no fonts at all still draws names, not boxes. That file is a
variable font, which matplotlib draws at its default (light) weight: a machine's own font is
preferred.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import manimgx_fonts_cjk
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers.digest.engine import digest_window
from handlers.engine.i18n import Translator
from handlers.engine.messages import Attachment, Message
from handlers.reminders import ReminderView, renders
from handlers.rules.policy.schema import Policy
from handlers.rules.workdays import WorkCalendar
from handlers.visits import rules as visit_rules
from storage.models import Person, PlanEntry, VisitPlan

KIND = "digest.weekly_chart"

# Families that hold the CJK glyphs, Simplified Chinese first.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "Arial Unicode MS",
)
# The last resort, shipped by a dependency (see the module's docstring).
BUNDLED_FONT = Path(manimgx_fonts_cjk.__file__).with_name("NotoSansCJK-VF.otf.ttc")
FONT_FOLDERS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
FONT_FILE_HINTS = ("cjk", "wqy", "sourcehan", "msyh", "simhei", "pingfang", "droidsansfallback")


# ---------------------------------------------------------------------------- when, to whom


def gets_chart(person: Person) -> bool:
    return person.has_role("manager")


def is_chart_day(policy: Policy, calendar: WorkCalendar, day: date) -> bool:
    """The week's chart day: the policy's weekday, or when that is a day off (and digests
    keep to working days) the first working day after it in the same week."""
    target = (
        day
        - timedelta(days=day.weekday())
        + timedelta(days=policy.digest.weekly_chart_weekday_number)
    )
    if policy.digest.working_days_only:
        while not calendar.is_working_day(target):
            target += timedelta(days=1)
            if target.weekday() == 0:  # no working day left this week
                return False
    return day == target


def key_for(person: Person, day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"chart:{person.id}:{year}-W{week:02d}"


# ---------------------------------------------------------------------------- the numbers


@dataclass(frozen=True)
class Tally:
    """One salesperson's week: visits planned, visits made."""

    name: str
    planned: int
    done: int


def tallies(session: Session, manager: Person, first: date, end: date) -> list[Tally]:
    """Each salesperson of the manager's team (as the scorecard counts it): visits planned
    in [first, end) in a filed plan, and visits made in those days."""
    team = visit_rules.team(session, manager)
    ids = [p.id for p in team]
    if not ids:
        return []
    planned = dict(
        session.execute(
            select(VisitPlan.person_id, func.count(PlanEntry.id))
            .join(PlanEntry, PlanEntry.plan_id == VisitPlan.id)
            .where(
                VisitPlan.person_id.in_(ids),
                VisitPlan.state.in_(visit_rules.FILED),
                PlanEntry.planned_on >= first,
                PlanEntry.planned_on < end,
            )
            .group_by(VisitPlan.person_id)
        ).all()
    )
    made: dict[int, int] = {}
    for visit in visit_rules.visits_between(session, ids, first, end - timedelta(days=1)):
        made[visit.person_id] = made.get(visit.person_id, 0) + 1
    return [Tally(p.name, planned.get(p.id, 0), made.get(p.id, 0)) for p in team]


# ---------------------------------------------------------------------------- the picture


@dataclass(frozen=True)
class Chart:
    png: bytes
    font: str | None  # the CJK family drawn with; None when none was found


@cache
def cjk_font() -> str | None:
    """A font family with Chinese glyphs that matplotlib can use, found once per process."""
    from matplotlib import font_manager

    def known() -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((family for family in CJK_FAMILIES if family in names), None)

    family = known()
    if family:
        return family
    added = []
    for path in _font_files():
        try:
            font_manager.fontManager.addfont(str(path))
            added.append(font_manager.FontProperties(fname=str(path)).get_name())
        except Exception:  # an unreadable file: try the next
            continue
    family = known() or (added[0] if added else None)
    if family is None:
        font_manager.fontManager.addfont(str(BUNDLED_FONT))
        family = known()
    return family


def _font_files() -> Iterable[Path]:
    """CJK font files: what fontconfig knows for Chinese, else the usual folders' CJK files."""
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(
                ["fc-list", ":lang=zh", "file"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        files = [Path(line.split(":")[0].strip()) for line in listing.splitlines() if line.strip()]
        if files:
            yield from sorted(set(files))
            return
    for folder in FONT_FOLDERS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = path.name.lower()
            if path.suffix.lower() in (".ttf", ".otf", ".ttc") and any(
                hint in name for hint in FONT_FILE_HINTS
            ):
                yield path


def draw(rows: list[Tally], title: str, planned_label: str, done_label: str) -> Chart:
    """Horizontal bars, planned behind made, one pair per salesperson, counts at the ends."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    props = FontProperties(family=[font, "DejaVu Sans"] if font else ["DejaVu Sans"], size=10)
    figure = Figure(figsize=(7.0, 1.6 + 0.55 * len(rows)), dpi=110)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    height = 0.38
    planned = axes.barh(
        [p - height / 2 for p in positions],
        [r.planned for r in rows],
        height,
        color="#c9d8ee",
        label=planned_label,
    )
    done = axes.barh(
        [p + height / 2 for p in positions],
        [r.done for r in rows],
        height,
        color="#2f6db5",
        label=done_label,
    )
    for bars in (planned, done):
        axes.bar_label(bars, padding=3, fontproperties=props)
    axes.set_yticks(positions)
    axes.set_yticklabels([r.name for r in rows], fontproperties=props)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max([r.planned for r in rows] + [r.done for r in rows] + [1]) * 1.15)
    axes.set_title(title, fontproperties=props, loc="left")
    axes.legend(prop=props, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.25)
    return Chart(buffer.getvalue(), font)


def chart_message(
    t: Translator, manager: Person, rows: list[Tally], start: date, end: date, name: str
) -> Message | None:
    """The manager's chart and a one-line caption, or None when there is nothing to show."""
    planned = sum(r.planned for r in rows)
    done = sum(r.done for r in rows)
    if not rows or not (planned or done):
        return None
    period = t("chart.period", start=t.date(start), end=t.date(end - timedelta(days=1)))
    title = t("chart.title", name=manager.name, period=period)
    chart = draw(rows, title, t("chart.planned"), t("chart.done"))
    caption = t("chart.caption", period=period, done=done, planned=planned)
    return Message(caption, attachment=Attachment(name, chart.png, "image/png"))


@renders(KIND)
def _weekly(view: ReminderView) -> Message | None:
    day = date.fromisoformat(view.reminder.detail["day"])
    start, end = digest_window(view.policy, view.tz, day)
    if not start <= view.now < end:
        return None  # the bot was down that whole day: next week's chart will do
    first = day - timedelta(days=7)
    rows = tallies(view.session, view.person, first, day)
    year, week, _ = day.isocalendar()
    name = f"team-visits-{year}-W{week:02d}.png"
    return chart_message(view.t, view.person, rows, first, day, name)
