"""`visitdesk`: run the bot, open the console, manage the database, the org and the policy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what the parser needs is imported here: `--help`, `policy check` and `parse-date` must
# start in a fraction of a second, so each command imports the product (SQLAlchemy, the org,
# the exports' openpyxl and matplotlib, pypinyin) inside its own function.
if TYPE_CHECKING:
    from collections.abc import Coroutine

    from sqlalchemy.orm import Session

    from bot.app import App
    from bot.config import Settings
    from handlers.org.chart import ImportReport

EXAMPLE_ORG = Path(__file__).resolve().parent.parent / "examples" / "org.toml"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "parse-date":
        return parse_date(args)
    if args.command == "policy":
        return check_policy(args.file)
    import logging

    from bot.app import build
    from bot.config import SettingError, load_settings
    from handlers.rules.policy.load import PolicyError

    try:
        settings = load_settings()
        args.log = _log_file(args, settings)
        logging.basicConfig(
            level=settings.log_level,
            format="%(asctime)s %(name)s %(message)s",
            filename=args.log,  # None: standard error
        )
        logging.getLogger("alembic").setLevel(logging.WARNING)
        app = build(settings)
    except (SettingError, PolicyError) as error:
        print(error, file=sys.stderr)
        return 2
    handler = {
        "run": run,
        "chat": chat,
        "demo": demo,
        "db": lambda app, args: 0,  # build() already upgraded the schema
        "org": org,
        "export": export,
    }[args.command or "run"]
    return handler(app, args)


def _log_file(args: argparse.Namespace, settings: Settings) -> Path | None:
    """Where the console writes its log: a file, since the terminal is the screen the person
    reads (a bot serving Telegram or Slack logs to standard error)."""
    import tempfile

    serving = args.platform not in (None, "console") or bool(settings.platforms)
    if args.command in ("chat", "demo") or (args.command == "run" and not serving):
        return Path(tempfile.mkdtemp(prefix="visitdesk-")) / "visitdesk.log"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="visitdesk", description=__doc__)
    parser.set_defaults(command="run", platform=None, webhook=None, log=None)
    sub = parser.add_subparsers(dest="command")
    run_p = sub.add_parser("run", help="run the bot (no token set: the console demo)")
    run_p.add_argument("platform", nargs="?", choices=["telegram", "slack", "feishu", "console"])
    run_p.add_argument("--webhook", help="Telegram: receive updates at this public URL")
    chat_p = sub.add_parser("chat", help="talk to the bot in the terminal as a person")
    chat_p.add_argument("--as", dest="person", required=True)
    demo_p = sub.add_parser("demo", help="load examples/org.toml and open the console")
    demo_p.add_argument("--as", dest="person", default="李明")
    db_p = sub.add_parser("db", help="database")
    db_p.add_argument("action", choices=["upgrade"])
    org_p = sub.add_parser("org", help="the org chart")
    org_sub = org_p.add_subparsers(dest="org_command", required=True)
    org_sub.add_parser("import").add_argument("file")
    org_sub.add_parser("invite").add_argument("name")
    policy_p = sub.add_parser("policy", help="check a policy file")
    policy_p.add_argument("action", choices=["check"])
    policy_p.add_argument("file")
    export_p = sub.add_parser(
        "export", help="a month of receptions or visits, or the scorecard, as CSV or XLSX"
    )
    export_p.add_argument("kind", choices=["receptions", "visits", "scorecard", "walkins"])
    export_p.add_argument("--month", required=True, help="YYYY-MM")
    export_p.add_argument(
        "--format",
        dest="fmt",
        choices=["csv", "xlsx", "png"],
        default="xlsx",
        help="png: the scorecard's chart",
    )
    export_p.add_argument("--team", help="one manager's team (their name) or a department")
    export_p.add_argument("--out", help="file to write ('-': standard output)")
    export_p.add_argument("--lang", choices=["zh", "en"], help="headers' language")
    date_p = sub.add_parser("parse-date", help="show how a typed date is read")
    date_p.add_argument("text")
    date_p.add_argument("--now", help="ISO date-time (default: now)")
    date_p.add_argument("--tz", default="Asia/Shanghai")
    date_p.add_argument("--lang", default="zh", choices=["zh", "en"])
    return parser


def run(app: App, args: argparse.Namespace) -> int:
    """Serve the named platform, or every platform with credentials; none: the console demo."""
    import asyncio
    import importlib

    from bot.config import SettingError

    platforms = [args.platform] if args.platform else app.settings.platforms
    if not platforms or platforms == ["console"]:
        return demo(app, argparse.Namespace(person="李明", log=args.log))
    servers = []
    for platform in platforms:
        module = importlib.import_module(f"bot.{platform}")
        servers.append(module.serve(app, webhook=args.webhook))
    try:
        asyncio.run(_serve_all(app, servers))
    except SettingError as error:  # a mode that needs a setting the environment lacks
        print(error, file=sys.stderr)
        return 2
    finally:
        app.db.dispose()  # every connection closed; queued messages wait in the outbox
    return 0


async def _serve_all(app: App, servers: list[Coroutine[Any, Any, None]]) -> None:
    """The adapters and one scheduler loop for them all (reminders, digests, charts), until
    SIGTERM (a deploy, `docker stop`, systemd) or SIGINT (Ctrl-C): then the adapters stop
    gracefully (each `serve` stops its bot when cancelled) and the scheduler ends its tick."""
    import asyncio
    import logging
    import signal

    from bot.scheduler import run_scheduler

    stop = asyncio.Event()
    scheduler = asyncio.create_task(run_scheduler(app, stop))
    serving = asyncio.gather(*servers)
    loop = asyncio.get_running_loop()
    signalled: list[int] = []

    def on_signal(signum: int) -> None:
        if not signalled:
            logging.getLogger("visitdesk").info("stopping (signal %s)", signum)
        signalled.append(signum)
        serving.cancel()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await serving
    except asyncio.CancelledError:
        if not signalled:  # cancelled from outside, not by a signal: not ours to swallow
            raise
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        stop.set()
        await scheduler


def chat(app: App, args: argparse.Namespace) -> int:
    from bot.console import Console

    log = args.log
    Console(app.core, args.person, files=log.parent if log else None).run(log=log)
    return 0


def demo(app: App, args: argparse.Namespace) -> int:
    """Load the example company if the database has nobody yet, then open the console."""
    from sqlalchemy import select

    from handlers.org.chart import import_org, load_org_file
    from storage.models import Person, utcnow

    with app.db.session() as session:
        empty = session.scalars(select(Person.id).limit(1)).first() is None
        if empty:
            import_org(session, load_org_file(EXAMPLE_ORG), app.policy, utcnow())
    return chat(app, args)


def org(app: App, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from handlers.org.chart import OrgError, import_org, invite, load_org_file
    from storage.models import Person, utcnow

    try:
        with app.db.session() as session:
            if args.org_command == "import":
                report = import_org(session, load_org_file(args.file), app.policy, utcnow())
                print_report(session, report)
                return 0
            person = session.scalars(select(Person).where(Person.name == args.name)).first()
            if person is None:
                print(f"nobody called {args.name!r} in the org chart", file=sys.stderr)
                return 1
            if not person.active:
                print(f"{person.name} is deactivated: add them back to the org file and import it")
                return 1
            print(f"link code for {person.name}: {invite(session, person, utcnow())}")
            return 0
    except OrgError as error:
        print(error, file=sys.stderr)
        return 1


def print_report(session: Session, report: ImportReport) -> None:
    """What an import did: each person and client by what happened to them, each removed
    person with where what they held went, then the link codes."""
    from handlers.engine.i18n import Translator
    from handlers.org import leavers

    for label, items in (
        ("created", report.created),
        ("changed", report.changed),
        ("kept", report.kept),
        ("reactivated", report.reactivated),
    ):
        print(f"{label}: {len(items)}" + "".join(f"\n  {i}" for i in items))
    print(f"removed: {len(report.removed)}")
    t = Translator("en")
    for handover in report.removed:
        print(f"  person {handover.person.name}")
        for line in leavers.describe(session, handover, t):
            print(f"    {line}")
    for name, code in report.codes.items():
        print(f"link code for {name}: {code}")


def export(app: App, args: argparse.Namespace) -> int:
    from handlers.exports.cli import command_line

    return command_line(
        app.db, app.policy, args.kind, args.month, args.fmt, args.team, args.out, args.lang
    )


def check_policy(file: str) -> int:
    from handlers.rules.policy.load import PolicyError, load_policy

    try:
        load_policy(file)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{file}: OK")
    return 0


def parse_date(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from handlers.engine.i18n import Translator
    from handlers.text.dates.answer import DateNotUnderstood
    from handlers.text.dates.parse import parse_when
    from storage.models import utcnow

    t = Translator("zh_CN" if args.lang == "zh" else "en")
    try:
        zone = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"unknown time zone {args.tz!r}", file=sys.stderr)
        return 2
    now = datetime.fromisoformat(args.now) if args.now else utcnow()
    now = now.replace(tzinfo=zone) if now.tzinfo is None else now.astimezone(zone)
    try:
        print(parse_when(args.text, now, args.lang).iso())
    except DateNotUnderstood as error:
        print(t(f"flow.error.date.{error.reason}"), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
