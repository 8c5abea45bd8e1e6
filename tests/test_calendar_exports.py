"""Meetings read from .ics files in the shapes Outlook, Google Calendar and Apple Calendar export (issue 14).

The files in tests/data/calendars/ were written for the project after those clients' exports: Outlook's
Windows zone names ("Eastern Standard Time", "W. Europe Standard Time", "AUS Eastern Standard Time") with
RRULE VTIMEZONEs from 1601 and quoted TZID parameters, a weekly series with a moved and a cancelled
occurrence; Google's IANA TZIDs, X-WR-TIMEZONE and UTC times, one series written in UTC; Apple's VTIMEZONEs,
a floating event in a file whose calendar zone is Berlin; an all-day event in each. The rep works in New
York. The instants below were worked out by hand, around the March changes in the US and Europe and the
April one in Sydney, and are checked through the rules (the meeting_recap due times), not only the reader.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followup_sync.backends.ics import IcsMeetingSource
from followup_sync.config import Identity, Rules, Schedule
from followup_sync.model import Meeting
from followup_sync.rules import find_followups, resolve

DATA = Path(__file__).parent / "data" / "calendars"
NEW_YORK = ZoneInfo("America/New_York")
REP = "dana.reyes@northwind.example"
IDENTITY = Identity(addresses=(REP,), timezone="America/New_York", name="Dana Reyes")
NOW = datetime(2026, 4, 8, 16, 0, tzinfo=UTC)  # Wednesday noon in New York
WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# subject -> (start, end) in UTC, every occurrence between February and April
EXPECTED = {
    "outlook.ics": [
        ("Acme weekly status", z("2026-03-02 14:00"), z("2026-03-02 14:30")),  # 09:00 EST
        ("Acme weekly status", z("2026-03-09 13:00"), z("2026-03-09 13:30")),  # 09:00 EDT, the day after
        ("Soylent pricing call", z("2026-03-10 14:00"), z("2026-03-10 15:00")),
        ("Initrode Roadmap", z("2026-03-12 14:00"), z("2026-03-12 15:00")),  # 15:00 CET, Berlin not yet on DST
        ("Acme weekly status (moved)", z("2026-03-17 18:00"), z("2026-03-17 18:30")),  # 16 Mar moved; 23 Mar gone
        ("Acme weekly status", z("2026-03-30 13:00"), z("2026-03-30 13:30")),
        ("Wayne Sydney check-in", z("2026-04-05 23:00"), z("2026-04-05 23:30")),  # 09:00 AEST, a day after DST
    ],
    "google.ics": [
        ("Globex biweekly", z("2026-02-26 15:00"), z("2026-02-26 15:30")),  # 10:00 EST, written in UTC
        ("Hooli sync", z("2026-03-05 21:00"), z("2026-03-05 21:45")),
        ("Globex biweekly", z("2026-03-12 14:00"), z("2026-03-12 14:30")),  # still 10:00 in New York (EDT)
        ("Hooli sync", z("2026-03-12 20:00"), z("2026-03-12 20:45")),
        ("Globex intro", z("2026-03-18 19:00"), z("2026-03-18 20:00")),
        ("Hooli sync", z("2026-03-19 20:00"), z("2026-03-19 20:45")),
        ("Globex biweekly", z("2026-03-26 14:00"), z("2026-03-26 14:30")),
        ("Globex biweekly", z("2026-04-09 14:00"), z("2026-04-09 14:30")),
        ("Globex biweekly", z("2026-04-23 14:00"), z("2026-04-23 14:30")),
    ],
    "apple.ics": [
        ("Lunch with Vandelay", z("2026-03-25 18:00"), z("2026-03-25 19:00")),  # floating: the rep's 14:00
        ("Initrode Berlin workshop", z("2026-03-30 14:00"), z("2026-03-30 15:00")),  # 16:00 CEST, day after DST
        ("Wayne Australia review", z("2026-04-01 23:00"), z("2026-04-02 00:00")),  # 10:00 AEDT, before April 5
    ],
}

# subject -> when the recap is due (recap_hours = 24 after the end, moved into 09:00-17:30 New York time)
RECAPS = {
    "Soylent pricing call": z("2026-03-11 15:00"),
    "Initrode Roadmap": z("2026-03-13 15:00"),
    "Acme weekly status": z("2026-03-31 13:30"),  # the series' latest ended occurrence only
    "Wayne Sydney check-in": z("2026-04-07 13:00"),  # 19:30 on Monday is after hours: Tuesday 09:00
    "Globex intro": z("2026-03-19 20:00"),
    "Globex biweekly": z("2026-03-27 14:30"),
    "Hooli sync": z("2026-03-20 20:45"),
    "Lunch with Vandelay": z("2026-03-26 19:00"),
    "Initrode Berlin workshop": z("2026-03-31 15:00"),
    "Wayne Australia review": z("2026-04-03 13:00"),  # 20:00 on Thursday: Friday 09:00
}


def read(name: str) -> list[Meeting]:
    source = IcsMeetingSource([DATA / name], zone=NEW_YORK, me=frozenset({REP}))
    return sorted(source.meetings(*WINDOW), key=lambda m: (m.start, m.subject))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_clients_export_is_read_at_the_right_instants(name: str, caplog: pytest.LogCaptureFixture) -> None:
    meetings = read(name)
    assert [(m.subject, m.start, m.end) for m in meetings] == EXPECTED[name]
    assert all(not m.cancelled for m in meetings)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]  # nothing skipped


def test_occurrences_keep_their_series_and_the_slot_they_replace() -> None:
    acme = [m for m in read("outlook.ics") if m.subject.startswith("Acme")]
    assert len({m.series for m in acme}) == 1 and acme[0].series is not None
    assert [m.uid.rsplit("/", 1)[1] for m in acme] == [
        "20260302T140000Z",
        "20260309T130000Z",
        "20260316T130000Z",  # the moved one keeps the id of 16 March's slot
        "20260330T130000Z",
    ]
    assert all(m.series is None for m in read("apple.ics"))


def test_meeting_recaps_are_due_at_the_right_times() -> None:
    meetings = [m for name in sorted(EXPECTED) for m in read(name)]
    found = find_followups([], {}, [], meetings, identity=IDENTITY, rules=Rules(), schedule=Schedule(), now=NOW)
    still_open, closed = resolve(found, [], meetings, identity=IDENTITY, rules=Rules(), now=NOW)
    assert closed == {}
    assert {f.thread_subject: f.due for f in still_open} == RECAPS
    assert {f.kind for f in still_open} == {"meeting_recap"}


def test_ical_js_reads_the_same_occurrences() -> None:
    """A second reader for the fixtures themselves. The one known difference: ical.js ignores X-WR-TIMEZONE,
    so Google's series written in UTC keeps 15:00 UTC after the change, where Google means 10:00 New York."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the ical.js comparison needs `node` (Node 20) on PATH")
    interop = Path(__file__).parent / "interop"
    if not (interop / "node_modules" / "ical.js").is_dir():
        pytest.fail("ical.js is not installed: run `npm ci --prefix tests/interop` (./scripts/test does)")
    files = [DATA / name for name in sorted(EXPECTED)]
    window = ["--from", WINDOW[0].isoformat(), "--to", WINDOW[1].isoformat()]
    done = subprocess.run(
        [node, str(interop / "read_ics.mjs"), *window, *map(str, files)],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "TZ": "America/New_York"},  # floating times are the rep's
    )
    theirs = {
        (e["uid"], datetime.fromisoformat(e["start"].replace("Z", "+00:00")))
        for events in json.loads(done.stdout).values()
        for e in events
        if not e["allDay"]  # all-day events are not meetings
    }
    ours = {(m.series or m.uid, m.start) for name in sorted(EXPECTED) for m in read(name)}
    utc_series = {(u, s) for u, s in ours if u.startswith("7h3j5k7l9m1n")}  # Globex biweekly
    assert ours - utc_series == theirs - {(u, s) for u, s in theirs if u.startswith("7h3j5k7l9m1n")}
