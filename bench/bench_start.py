"""Start-up and memory (issue 26, item 2): how long `visitdesk --help` and `visitdesk policy
check` take and how much memory they use; how soon a freshly started `visitdesk run telegram`
answers its first update; and one bot process's resident memory over `--updates` updates.

Run from the repository root:  python bench/bench_start.py [--quick] [--updates N]

Every process is the real command line (`python -m bot.cli …`, this checkout's code), started
`--repeats` times; wall time and peak resident memory (the kernel's ru_maxrss) per start,
medians reported. The bot runs on a migrated SQLite file (the embedded default) with the
example org plus `--chats` salespeople, against the Bot API stand-in of tests/telegram; its
first update ("/help" from a linked salesperson) is queued before the process starts, and
the time is from the process's start to the arrival of the reply. Then the salespeople
type reception forms (tests/test_reception.py `B_CLASS_ANSWERS`, then `/cancel`), each line
once the previous one was answered, and the bot process's VmRSS is read every `--every`
updates: the growth from the first reading to the last is what a day of traffic would add.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._support import ROOT, bench_db, header, import_example_org, median
from bench.bench_step import TimedBotApi, add_people, form_texts, people, text_update
from handlers.rules.policy.schema import default_policy
from tests.telegram.botapi import TOKEN

REPLY_WAIT = 30.0  # seconds: a ceiling for a reply, never a measure
START_WAIT = 300.0  # seconds: a ceiling for the first one (a start on a very busy machine)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `command` to its end: (wall seconds, peak resident MB). The peak is measured by
    /usr/bin/time, a small process of its own: Linux keeps a process's peak across fork and
    exec, so a child of this (large) process would report at least this one's size."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} ended with {done.returncode}: {done.stderr}")
    return elapsed, int(done.stderr.split()[-1]) / 1024


def environment(database_url: str = "", api_url: str = "") -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT)}
    if database_url:
        env |= {
            "DATABASE_URL": database_url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": api_url,
            "LOG_LEVEL": "WARNING",
        }
    return env


def commands(repeats: int) -> None:
    cli = [sys.executable, "-m", "bot.cli"]
    policy = str(ROOT / "examples" / "policy.toml")
    for name, args in (("--help", ["--help"]), ("policy check", ["policy", "check", policy])):
        runs = [timed(cli + args, environment()) for _ in range(repeats)]
        print(
            f"visitdesk {name:13} {median([r[0] for r in runs]):6.2f} s "
            f"(min {min(r[0] for r in runs):.2f})  {median([r[1] for r in runs]):6.1f} MB peak  "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


async def start_bot(
    api: TimedBotApi, url: str, database_url: str
) -> tuple[subprocess.Popen[bytes], float]:
    """Queue "/help" from the first salesperson, start `visitdesk run telegram`; the process
    and the seconds from its start to the reply's arrival."""
    user = people(1)[0][0]
    api.push(text_update(user, "/help"))
    before = len(api.arrivals.get(user, []))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "telegram"],
        env=environment(database_url, url),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        arrived = await api.wait_for(user, before + 1, START_WAIT)
    except BaseException:
        process.kill()
        raise
    return process, arrived - started


async def stop_bot(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a deploy stops it; waited for off the loop, which serves its last poll."""
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(process.wait, 30)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait)


async def first_update(repeats: int, chats: int, workdir: Path) -> None:
    policy = default_policy()
    times = []
    for repeat in range(repeats):
        with bench_db("sqlite", workdir, f"start{repeat}") as bench:
            import_example_org(bench.db, policy)
            add_people(bench.db, chats)
            bench.db.dispose()
            api = TimedBotApi()
            url = await api.start()
            try:
                process, seconds = await start_bot(api, url, bench.url)
                resident = rss_mb(process.pid)
                await stop_bot(process)
            finally:
                await api.close()
            times.append((seconds, resident))
    print(
        f"first update answered {median([t[0] for t in times]):6.2f} s after start "
        f"(min {min(t[0] for t in times):.2f}, max {max(t[0] for t in times):.2f}); "
        f"resident then {median([t[1] for t in times]):.1f} MB; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )


async def memory(updates: int, every: int, chats: int, workdir: Path) -> None:
    """One bot process, `updates` updates: VmRSS every `every` updates."""
    policy = default_policy()
    with bench_db("sqlite", workdir, "memory") as bench:
        import_example_org(bench.db, policy)
        add_people(bench.db, chats)
        bench.db.dispose()
        api = TimedBotApi()
        url = await api.start()
        process, _ = await start_bot(api, url, bench.url)
        sent = 0
        readings: list[tuple[int, float]] = [(0, rss_mb(process.pid))]
        unanswered = 0

        async def person(user: int, client: str) -> None:
            nonlocal sent, unanswered
            while sent < updates:
                for text, _, _ in form_texts(client):
                    if sent >= updates:
                        return
                    before = len(api.arrivals.get(user, []))
                    api.push(text_update(user, text))
                    sent += 1
                    if sent % every == 0:
                        readings.append((sent, rss_mb(process.pid)))
                        print(f"  {sent} updates: {readings[-1][1]:.1f} MB", flush=True)
                    try:
                        await api.wait_for(user, before + 1, REPLY_WAIT)
                    except TimeoutError:
                        unanswered += 1

        started = time.perf_counter()
        try:
            await asyncio.gather(*(person(user, client) for user, _, client in people(chats)))
            await asyncio.sleep(1)
            readings.append((sent, rss_mb(process.pid)))
        finally:
            await stop_bot(process)
            await api.close()
        elapsed = time.perf_counter() - started
    first, last = readings[1][1] if len(readings) > 1 else readings[0][1], readings[-1][1]
    print(
        f"{sent} updates in {elapsed:.0f} s ({sent / elapsed:.0f}/s, {unanswered} unanswered "
        f"within {REPLY_WAIT:.0f} s); resident MB after n updates: "
        + ", ".join(f"{n}: {mb:.1f}" for n, mb in readings)
    )
    print(
        f"growth from {readings[1][0] if len(readings) > 1 else 0} to {sent} updates: "
        f"{last - first:+.1f} MB; peak {max(mb for _, mb in readings):.1f} MB; "
        f"load {os.getloadavg()[0]:.1f}"
    )


async def benchmark(args: argparse.Namespace) -> None:
    header("start-up and memory: visitdesk's command line and one bot process")
    commands(args.repeats)
    with tempfile.TemporaryDirectory(prefix="visitdesk-bench-") as tmp:
        await first_update(args.repeats, args.chats, Path(tmp))
        await memory(args.updates, args.every, args.chats, Path(tmp))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 000 updates, 3 repeats")
    parser.add_argument("--updates", type=int, help="updates to one bot process (10 000)")
    parser.add_argument("--every", type=int, default=1000, help="read VmRSS every N (1000)")
    parser.add_argument("--repeats", type=int, help="starts of each command (5)")
    parser.add_argument("--chats", type=int, default=16, help="salespeople typing (16)")
    args = parser.parse_args()
    args.updates = args.updates or (2000 if args.quick else 10_000)
    args.repeats = args.repeats or (3 if args.quick else 5)
    asyncio.run(benchmark(args))


if __name__ == "__main__":
    main()
