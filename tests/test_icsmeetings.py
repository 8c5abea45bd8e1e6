"""The bounded reader of untrusted calendars (issue 10, item 2): one bad component is one log line, never a
stalled or failed pass. Times are not asserted here (benchmarks/hostile_calendars.py measures them); what is
asserted is what each guard decides, and that the good meeting next to the hostile one is still read."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup_sync.backends.ics import IcsMeetingSource
from followup_sync.backends.icsmeetings import (
    Budget,
    MeetingCalendar,
    OverBudget,
    Unreadable,
    cpu_limit,
    known_zone,
    split,
)
from followup_sync.backends.icstext import parse_document
from tests import hostile_calendars as hostile

BERLIN = ZoneInfo("Europe/Berlin")
NOV = (datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))


def read(data: bytes, budget: Budget | None = None) -> list[str]:
    cal = MeetingCalendar(data, where="cal.ics", zone=BERLIN, budget=budget)
    return sorted(m.uid for m in cal.meetings(*NOV, link="file:///cal.ics", me=frozenset(), budget=budget))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("name", sorted(hostile.CASES))
def test_a_hostile_component_is_skipped_with_one_line_and_the_rest_is_read(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert read(hostile.calendar(name)) == ["good"]
    _hostile, label = hostile.CASES[name]
    lines = warnings_of(caplog)
    if label is None:
        assert lines == []  # a VTODO, or a VTIMEZONE nobody uses, is never read at all
    else:
        assert len(lines) == 1 and lines[0].startswith(f"Skipping {label} in cal.ics: ")
    assert not any(hostile.SECRET in line or "\x1b" in line for line in lines)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("interval0", "INTERVAL=0"),
        ("secondly", "repeats it SECONDLY"),
        ("minutely-1900", "repeats it MINUTELY"),
        ("rdates-100k", "more than 1000 RDATE/EXDATE values"),
        ("nested-5000", "nests components more than 4 deep"),
        ("feb-30", "took more than 0.5 s"),  # dateutil would loop to the year 9999 (about 1 s)
        ("daily-bysetpos", "took more than 0.5 s"),  # about 30 s
        ("unknown-tzid", "is not an IANA or Windows name"),
        ("secondly-vtimezone-used", "changes offset more often than yearly"),
    ],
)
def test_each_guard_says_why(name: str, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        read(hostile.calendar(name))
    assert reason in warnings_of(caplog)[0]


def test_a_truncated_file_keeps_what_is_complete(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert read(hostile.truncated()) == ["good"]
    assert warnings_of(caplog) == ["Skipping event cut in cal.ics: the file ends before END:VEVENT"]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
    freq=st.sampled_from(["DAILY", "WEEKLY"]),
    interval=st.integers(1, 3),
    days=st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), max_size=3),
    years_back=st.integers(0, 6),
    day=st.integers(0, 364),
    hour=st.sampled_from([0, 2, 9, 23]),
    window_day=st.integers(0, 364),
)
def test_fast_forward_keeps_every_occurrence(
    zone: str, freq: str, interval: int, days: set[str], years_back: int, day: int, hour: int, window_day: int
) -> None:
    """A long DAILY/WEEKLY series moved forward to the window gives exactly what recurring-ical-events
    gives from the original DTSTART (across DST changes: the windows move through 2026)."""
    import icalendar
    import recurring_ical_events

    first = datetime(2026 - years_back, 1, 1, hour, 30) + timedelta(days=day)
    rule = f"FREQ={freq};INTERVAL={interval}" + (f";BYDAY={','.join(sorted(days))}" if days else "")
    text = (
        f"{hostile.HEAD}BEGIN:VEVENT\r\nUID:ff\r\nDTSTART;TZID={zone}:{first:%Y%m%dT%H%M%S}\r\n"
        f"DURATION:PT45M\r\nRRULE:{rule}\r\nEND:VEVENT\r\n{hostile.TAIL}"
    )
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=window_day)
    end = start + timedelta(days=40)
    reference = sorted(
        o["DTSTART"].dt.astimezone(UTC)
        for o in recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(start, end)
    )
    cal = MeetingCalendar(text.encode(), where="x", zone=BERLIN)
    assert sorted(m.start for m in cal.meetings(start, end, link="x", me=frozenset())) == reference


def test_a_daily_meeting_since_year_one_is_read_in_its_window() -> None:
    data = hostile.event(
        "old", "RRULE:FREQ=DAILY\r\n", start="DTSTART:00010101T100000Z\r\nDTEND:00010101T110000Z\r\n"
    )
    uids = read((hostile.HEAD + data + hostile.TAIL).encode())
    assert len(uids) == 31 and uids[0] == "old/20261020T100000Z"


def test_the_files_budget_stops_reading_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    spins = "".join(hostile.event(f"s{i}", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n") for i in range(20))
    data = (hostile.HEAD + hostile.GOOD + spins + hostile.TAIL).encode()
    with caplog.at_level(logging.WARNING):
        assert read(data, Budget(0.3, per_step=0.1)) == ["good"]
    lines = warnings_of(caplog)
    assert lines[-1].startswith("Stopped reading cal.ics: reading it took more than 0.3 s;")
    assert 1 <= len(lines) <= 5  # a few series ran out their 0.1 s, then the file's 0.3 s were spent


def test_a_skipped_series_is_logged_once_per_file_version(caplog: pytest.LogCaptureFixture) -> None:
    cal = MeetingCalendar(hostile.calendar("feb-30"), where="cal.ics", zone=BERLIN)
    with caplog.at_level(logging.WARNING):
        for _ in range(3):  # three passes
            assert [m.uid for m in cal.meetings(*NOV, link="x", me=frozenset())] == ["good"]
    assert len(warnings_of(caplog)) == 1


def test_cpu_limit_stops_a_pure_python_loop_and_restores_the_tracer() -> None:
    def spin() -> None:
        def step() -> None:
            pass

        while True:
            step()

    calls: list[str] = []

    def outer(frame: Any, event: str, arg: object) -> None:
        calls.append(event)

    previous = sys.gettrace()
    sys.settrace(outer)
    try:
        with pytest.raises(OverBudget), cpu_limit(0.05):
            spin()
        assert sys.gettrace() is outer
    finally:
        sys.settrace(previous)


# --- time zones --------------------------------------------------------------------------------------------


def zone_file(offset: str) -> bytes:
    return (
        hostile.HEAD + "BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        f"TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=Custom/Zone:20261102T100000\r\nEND:VEVENT\r\n" + hostile.TAIL
    ).encode()


def test_each_file_uses_its_own_definition_of_a_custom_tzid() -> None:
    """icalendar caches VTIMEZONEs process-wide by TZID; the first file would decide for all the others."""
    starts = []
    for offset in ("+0500", "-0300", "+0500"):
        cal = MeetingCalendar(zone_file(offset), where="x", zone=BERLIN)
        starts.append([m.start.hour for m in cal.meetings(*NOV, link="x", me=frozenset())])
    assert starts == [[5], [13], [5]]


@pytest.mark.parametrize(
    ("tzid", "key"),
    [
        ("Eastern Standard Time", "America/New_York"),
        ('"W. Europe Standard Time"', "Europe/Berlin"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"),
        ("Europe/Berlin", "Europe/Berlin"),
    ],
)
def test_known_zone_names(tzid: str, key: str) -> None:
    zone = known_zone(tzid)
    assert zone is not None and zone.key == key


@pytest.mark.parametrize("tzid", ["", "../../etc/passwd", "/etc/passwd", "America", "Nowhere/Land", "x" * 500])
def test_names_that_are_no_zone(tzid: str) -> None:
    assert known_zone(tzid) is None


def test_a_windows_name_follows_cldr_not_an_odd_definition_in_the_file() -> None:
    data = zone_file("+0900").replace(b"Custom/Zone", b"Eastern Standard Time")
    cal = MeetingCalendar(data, where="x", zone=BERLIN)
    assert [m.start.hour for m in cal.meetings(*NOV, link="x", me=frozenset())] == [15]  # 10:00 EST


def test_an_unknown_calendar_zone_is_ignored_with_one_line(caplog: pytest.LogCaptureFixture) -> None:
    data = hostile.calendar("bad-vtodo").replace(
        b"VERSION:2.0\r\n", b"VERSION:2.0\r\nX-WR-TIMEZONE:Mars/Olympus\r\n"
    )
    with caplog.at_level(logging.WARNING):
        assert read(data) == ["good"]
    assert warnings_of(caplog) == ["Ignoring X-WR-TIMEZONE 'Mars/Olympus' in cal.ics: not a time zone name"]


def test_events_without_uid_get_distinct_stable_ids() -> None:
    data = (hostile.HEAD + hostile.GOOD.replace("UID:good\r\n", "") * 1 + hostile.GOOD.replace(
        "UID:good\r\n", "").replace("Demo", "Other") + hostile.TAIL).encode()  # fmt: skip
    first, second = read(data), read(data)
    assert first == second and len(set(first)) == 2 and all(u.startswith("no-uid-") for u in first)


def test_not_a_calendar_is_one_error_and_a_huge_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match="BEGIN:VCALENDAR"):
        split(b"hello")
    with pytest.raises(Unreadable, match="larger than 16 MB"):
        split(b"BEGIN:VCALENDAR\r\n" + b" " * (16 * 1024 * 1024))
    path = tmp_path / "big.ics"
    path.write_bytes(b"BEGIN:VCALENDAR\r\n" + b"X" * (16 * 1024 * 1024 + 1))
    with pytest.raises(Exception, match="larger than 16 MB"):
        list(IcsMeetingSource([path], zone=BERLIN).meetings(*NOV))


# --- fuzz: the meeting reader and the sink's own text model -----------------------------------------------

LINES = st.sampled_from(
    [
        "BEGIN:VEVENT", "END:VEVENT", "BEGIN:VALARM", "END:VALARM", "BEGIN:VTIMEZONE", "END:VTIMEZONE",
        "BEGIN:STANDARD", "END:STANDARD", "BEGIN:VTODO", "END:VTODO", "END:VCALENDAR", "BEGIN:VCALENDAR",
        "UID:a", "UID:b", "DTSTART:20261102T100000Z", "DTSTART;TZID=Custom/Zone:20261102T100000",
        "DTSTART;VALUE=DATE:20261102", "DTSTART:19000101T000000", "DTEND:20261102T110000Z", "DURATION:PT1H",
        "DTSTART;TZID=Eastern Standard Time:20261105T090000", "RECURRENCE-ID:20261109T100000Z",
        "TZID:Custom/Zone", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZOFFSETTO:garbage",
        "RDATE:20261103T100000Z,20261104T100000Z", "EXDATE:20261109T100000Z", "X-WR-TIMEZONE:Europe/Berlin",
        "ATTENDEE:mailto:jane@customer.example", "ORGANIZER:mailto:rep@ourco.example", "STATUS:CANCELLED",
        " folded continuation", "METHOD:CANCEL", "garbage without colon", "SUMMARY:\x1b[2J",
    ]
)  # fmt: skip
RULES = st.builds(
    lambda freq, parts: "RRULE:FREQ=" + freq + "".join(parts),
    st.sampled_from(["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "BOGUS"]),
    st.lists(
        st.sampled_from(
            [
                ";INTERVAL=0", ";INTERVAL=2", ";COUNT=5", ";COUNT=1000000", ";UNTIL=20261201T000000Z",
                ";BYMONTH=2", ";BYMONTHDAY=30", ";BYMONTHDAY=-1", ";BYDAY=MO,FR", ";BYDAY=6MO", ";BYDAY=-1SU",
                ";BYSETPOS=3", ";BYSETPOS=-1", ";BYYEARDAY=366", ";BYWEEKNO=53", ";BYHOUR=9,10", ";WKST=SU",
                ";BYSECOND=0,30", ";BYMONTH=13", ";INTERVAL=x",
            ]
        ),
        max_size=5,
    ),
)  # fmt: skip
DOCUMENTS = st.lists(st.one_of(LINES, RULES, st.text(max_size=30)), max_size=60).map(
    lambda lines: ("BEGIN:VCALENDAR\r\n" + "\r\n".join(lines) + "\r\n").encode("utf-8", "surrogatepass")
)


@settings(max_examples=150, deadline=10_000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(data=DOCUMENTS)
def test_fuzz_the_meeting_reader_never_raises_or_stalls(data: bytes) -> None:
    """Any bytes: a list of meetings or Unreadable, within 10 s each (hypothesis' deadline, wall clock, for a
    file allowed 1 s of CPU here): anything slower would be a guard gone missing, not a slow machine."""
    budget = Budget(1.0)
    try:
        cal = MeetingCalendar(data, where="fuzz", zone=BERLIN, budget=budget)
    except Unreadable:
        return
    for meeting in cal.meetings(*NOV, link="x", me=frozenset({"rep@ourco.example"}), budget=budget):
        assert meeting.start.tzinfo is UTC and meeting.end >= meeting.start


@settings(max_examples=200, deadline=2000, derandomize=True)
@given(data=DOCUMENTS)
def test_fuzz_the_sinks_text_model_round_trips_or_refuses(data: bytes) -> None:
    """icstext.parse_document either refuses (ValueError) or gives back every line it was given."""
    try:
        doc = parse_document(data)
    except ValueError:
        return
    kept = [line for line in data.decode("utf-8", "surrogateescape").split("\r\n") if line]
    assert [line for line in doc.render().decode("utf-8", "surrogateescape").split("\r\n") if line] == kept
