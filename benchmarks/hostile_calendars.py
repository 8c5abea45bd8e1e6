"""Worst-case time and memory per hostile calendar (issue 10, item 2), each read in a fresh process.

Every calendar of tests/hostile_calendars.py (INTERVAL=0, SECONDLY without COUNT, MINUTELY and HOURLY rules
from 1900, DAILY from year 1, Feb 30, impossible BYSETPOS, 100k RDATEs, 5,000 nested VEVENTs, broken VTODO
and VTIMEZONE, ...), plus a file of 200 spinning series (the per-file budget) and a large honest export
(5,000 meetings, 500 of them weekly series) for scale, is read by the .ics meeting source over a 30-day
window, as a pass does. Printed per calendar: file size, wall and CPU seconds, peak RSS, meetings read,
lines logged. The last line is the worst case.

    .venv/bin/python benchmarks/hostile_calendars.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hostile_calendars as hostile

WINDOW = (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))


def extra_calendars() -> dict[str, bytes]:
    spins = "".join(hostile.event(f"s{i}", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n") for i in range(200))
    honest = []
    start = datetime(2020, 1, 6, 15, tzinfo=UTC)
    for i in range(5000):
        at = start + timedelta(hours=7 * i)
        rule = "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270101T000000Z\r\n" if i % 10 == 0 else ""
        honest.append(
            f"BEGIN:VEVENT\r\nUID:h{i}@example.com\r\nDTSTAMP:20200101T000000Z\r\nSUMMARY:Meeting {i}\r\n"
            f"DTSTART;TZID=Europe/Berlin:{at:%Y%m%dT%H%M%S}\r\nDURATION:PT1H\r\n{rule}"
            f"ORGANIZER:mailto:rep@ourco.example\r\nATTENDEE:mailto:c{i}@customer.example\r\nEND:VEVENT\r\n"
        )
    return {
        "200-spinning-series": (hostile.HEAD + hostile.GOOD + spins + hostile.TAIL).encode(),
        "honest-5000-events": (hostile.HEAD + "".join(honest) + hostile.GOOD + hostile.TAIL).encode(),
        "truncated": hostile.truncated(),
    }


def calendars() -> dict[str, bytes]:
    return {**{name: hostile.calendar(name) for name in hostile.CASES}, **extra_calendars()}


def one(name: str, folder: Path) -> dict[str, float | int]:
    """Read one calendar in this (fresh) process and report what it cost."""
    from followup_sync.backends.ics import IcsMeetingSource

    path = folder / f"{name}.ics"
    path.write_bytes(calendars()[name])
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("followup_sync").addHandler(handler)
    source = IcsMeetingSource([path], zone=ZoneInfo("Europe/Berlin"))
    wall, cpu = time.perf_counter(), time.process_time()
    found = list(source.meetings(*WINDOW))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "kb": path.stat().st_size // 1024,
        "wall": wall,
        "cpu": cpu,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "meetings": len(found),
        "logged": len(lines),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per calendar; the slowest is shown")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, Path(args.folder))))
        return
    print(f"python {platform.python_version()} on {platform.machine()}, window {WINDOW[0]:%Y-%m-%d} +30 days")
    print(
        f"{'calendar':26s} {'KB':>6s} {'wall s':>7s} {'cpu s':>6s} {'RSS MB':>7s} {'meetings':>8s} {'logged':>6s}"
    )
    worst = ("", 0.0)
    with tempfile.TemporaryDirectory() as folder:
        for name in calendars():
            runs = []
            for _ in range(args.runs):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", name, "--folder", folder],
                    capture_output=True, text=True, check=True, timeout=600,
                )  # fmt: skip
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = max(runs, key=lambda r: r["wall"])
            print(f"{name:26s} {r['kb']:6d} {r['wall']:7.2f} {r['cpu']:6.2f} {r['rss_mb']:7d} "
                  f"{r['meetings']:8d} {r['logged']:6d}")  # fmt: skip
            if name != "honest-5000-events" and r["wall"] > worst[1]:
                worst = (name, float(r["wall"]))
    print(f"worst hostile calendar: {worst[0]}, {worst[1]:.2f} s")


if __name__ == "__main__":
    main()
