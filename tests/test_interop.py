"""What the sinks write, read back by independent iCalendar implementations (issue 14).

A test that reads our output with the library that wrote it cannot see a reading another client gets wrong:
the reminders were once an hour late in ical.js (Thunderbird, Nextcloud) for eight months a year. Here every
reminder is read by icalendar, by vobject (Radicale's parser) and by ical.js under Node, and all three must
give the UTC instant we meant: the demo's reminders, reminders on both sides of a daylight-saving change in
both directions (New York, Berlin, and Sydney in the southern hemisphere), and the CalDAV sink's items as
Radicale serves them back.

ical.js is installed by ``scripts/test`` (``npm ci`` in tests/interop); the tests skip only when Node.js itself
is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from followup_sync import demo
from followup_sync.backends.caldav import CaldavReminderSink, store_password
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.model import Reminder
from followup_sync.sync import run_once
from tests import crashlab
from tests.contract import make_reminder

INTEROP = Path(__file__).parent / "interop"
NODE = shutil.which("node")

# 2026's changes: (zone, the day clocks go forward, the day they go back)
DST_DAYS = [
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ("Europe/Berlin", date(2026, 3, 29), date(2026, 10, 25)),
    ("Australia/Sydney", date(2026, 10, 4), date(2026, 4, 5)),
]

Reader = Callable[[list[Path]], dict[str, datetime]]


@pytest.fixture(scope="session")
def icaljs() -> Reader:
    """{UID: start in UTC} as ical.js reads the files."""
    if NODE is None:
        pytest.skip("Node.js is not installed: the ical.js comparison needs `node` (Node 20) on PATH")
    if not (INTEROP / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is not installed: run `npm ci --prefix tests/interop` (./scripts/test does)")

    def read(paths: list[Path]) -> dict[str, datetime]:
        done = subprocess.run(
            [NODE, str(INTEROP / "read_ics.mjs"), *map(str, paths)],
            capture_output=True,
            check=True,
            timeout=120,
            env={**os.environ, "TZ": "UTC"},
        )
        found: dict[str, datetime] = {}
        for events in json.loads(done.stdout).values():
            for e in events:
                found[e["uid"]] = datetime.fromisoformat(e["start"].replace("Z", "+00:00"))
        return found

    return read


def read_icalendar(paths: list[Path]) -> dict[str, datetime]:
    found = {}
    for path in paths:
        for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
            found[str(event["UID"])] = event["DTSTART"].dt.astimezone(UTC)
    return found


def read_vobject(paths: list[Path]) -> dict[str, datetime]:
    found = {}
    for path in paths:
        for event in vobject.readOne(path.read_text(encoding="utf-8")).vevent_list:
            found[event.uid.value] = event.dtstart.value.astimezone(UTC)
    return found


def assert_all_readers_agree(paths: list[Path], icaljs: Reader, expected: dict[str, datetime]) -> None:
    readings = {"icalendar": read_icalendar(paths), "vobject": read_vobject(paths), "ical.js": icaljs(paths)}
    wrong = {
        name: sorted(
            f"{uid}: {found.get(uid)} instead of {want}"
            for uid, want in expected.items()
            if found.get(uid) != want
        )
        for name, found in readings.items()
    }
    assert not any(wrong.values()), {name: (len(w), w[:3]) for name, w in wrong.items() if w}
    assert all(set(found) == set(expected) for found in readings.values())


def dst_reminders(zone: str, forward: date, back: date) -> list[Reminder]:
    """Reminders around both changes: the day before, the day of and the day after at 09:00, the hour that
    is skipped or repeated (02:30, both folds), and an evening a week later."""
    tz = ZoneInfo(zone)
    locals_: list[datetime] = []
    for day in (forward, back):
        for offset in (-1, 0, 1):
            locals_.append(datetime.combine(day + timedelta(days=offset), datetime.min.time(), tz).replace(hour=9))
        locals_.append(datetime(day.year, day.month, day.day, 2, 30, tzinfo=tz))
        locals_.append(datetime(day.year, day.month, day.day, 2, 30, tzinfo=tz, fold=1))
        locals_.append(datetime(day.year, day.month, day.day, 17, 30, tzinfo=tz) + timedelta(days=7))
    reminders = []
    for n, moment in enumerate(locals_):
        start = moment.astimezone(UTC)
        reminders.append(
            make_reminder(
                f"{zone.replace('/', '-').lower()}-{n}",
                start=start,
                end=start + timedelta(minutes=15),
                timezone=zone,
            )
        )
    return reminders


def test_the_demos_reminders_are_read_at_the_same_instant_everywhere(tmp_path: Path, icaljs: Reader) -> None:
    config = demo.config(tmp_path)
    result = run_once(config, now=demo.DEFAULT_NOW)
    assert not result.problems
    path = tmp_path / "reminders.ics"
    ours = read_icalendar([path])
    assert len(ours) >= 5  # the demo week's reminders (9 today)
    assert_all_readers_agree([path], icaljs, ours)
    # and the rep in New York sees them in working hours on their own clock
    assert all(9 <= start.astimezone(ZoneInfo("America/New_York")).hour < 18 for start in ours.values())


@pytest.mark.parametrize(("zone", "forward", "back"), DST_DAYS, ids=[z for z, _, _ in DST_DAYS])
def test_ics_reminders_across_dst_changes(
    zone: str, forward: date, back: date, tmp_path: Path, icaljs: Reader
) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path)
    reminders = dst_reminders(zone, forward, back)
    for reminder in reminders:
        sink.create(reminder)
    assert_all_readers_agree([path], icaljs, {f"{r.key}@followup-sync": r.start for r in reminders})


# --- CalDAV: the items as Radicale serves them back -------------------------------------------------------


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with crashlab.radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


@pytest.mark.slow
def test_caldav_items_read_back_from_radicale(
    radicale: str, tmp_path: Path, memory_keyring: Any, icaljs: Reader
) -> None:
    from tests.test_caldav import _request, make_config

    url = f"{radicale}/{crashlab.USER}/interop/"
    assert _request(url, "MKCALENDAR") == 201
    store_password(url, crashlab.USER, crashlab.PASSWORD)
    config = make_config(tmp_path, url)
    sink = CaldavReminderSink.from_config(config.reminders, config)
    reminders = [r for zone, forward, back in DST_DAYS for r in dst_reminders(zone, forward, back)]
    for reminder in reminders:
        sink.create(reminder)
    paths = []
    for n, (_href, _etag, data) in enumerate(sink.collection.query()):
        paths.append(tmp_path / f"item{n}.ics")
        paths[-1].write_bytes(data)
    assert len(paths) == len(reminders)
    assert_all_readers_agree(paths, icaljs, {f"{r.key}@followup-sync": r.start for r in reminders})
    sink.close()
