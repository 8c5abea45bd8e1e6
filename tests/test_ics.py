"""The .ics meeting source and what the .ics reminder sink writes, beyond the shared sink contract."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from followup_sync import config as config_mod
from followup_sync.backends import open_meetings, open_reminders
from followup_sync.backends.ics import IcsMeetingSource, IcsReminderSink, reminder_to_vevent
from followup_sync.errors import BackendError, ConfigError, PreconditionFailed
from tests.contract import T0, make_reminder

BERLIN = ZoneInfo("Europe/Berlin")
NOV = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))

MEETINGS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test//Test//EN
BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20261001T000000Z
SUMMARY:Weekly pipeline review
DTSTART;TZID=Europe/Berlin:20261102T100000
DTEND;TZID=Europe/Berlin:20261102T110000
RRULE:FREQ=WEEKLY;COUNT=3
ORGANIZER;CN=Boss:MAILTO:Boss@OurCo.example
ATTENDEE;CN=Jane:mailto:Jane.Doe@Customer.example
ATTENDEE:mailto:rep@ourco.example
END:VEVENT
BEGIN:VEVENT
UID:weekly-1
DTSTAMP:20261001T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20261109T100000
SUMMARY:Weekly pipeline review (moved)
DTSTART;TZID=Europe/Berlin:20261110T140000
DTEND;TZID=Europe/Berlin:20261110T150000
ORGANIZER:mailto:boss@ourco.example
ATTENDEE:mailto:jane.doe@customer.example
END:VEVENT
BEGIN:VEVENT
UID:demo-acme
DTSTAMP:20261001T000000Z
SUMMARY:Demo for ACME
DTSTART:20261103T150000Z
DURATION:PT45M
ORGANIZER:mailto:rep@ourco.example
ATTENDEE:mailto:cto@acme.example
END:VEVENT
BEGIN:VEVENT
UID:cancelled-1
DTSTAMP:20261001T000000Z
SUMMARY:Kick-off
STATUS:CANCELLED
DTSTART:20261104T150000Z
DTEND:20261104T160000Z
END:VEVENT
BEGIN:VEVENT
UID:outlook-cancel
DTSTAMP:20261001T000000Z
SUMMARY:Canceled: Pricing call
DTSTART:20261104T170000Z
DTEND:20261104T173000Z
END:VEVENT
BEGIN:VEVENT
UID:holiday
DTSTAMP:20261001T000000Z
SUMMARY:Trade fair (all day)
DTSTART;VALUE=DATE:20261105
DTEND;VALUE=DATE:20261106
END:VEVENT
BEGIN:VEVENT
UID:broken-1
DTSTAMP:20261001T000000Z
SUMMARY:Broken
DTSTART:garbage
END:VEVENT
BEGIN:VEVENT
UID:floating
DTSTAMP:20261001T000000Z
SUMMARY:Lunch
DTSTART:20261106T120000
DTEND:20261106T130000
END:VEVENT
BEGIN:VEVENT
UID:declined
DTSTAMP:20261001T000000Z
SUMMARY:Vendor pitch
DTSTART:20261106T150000Z
DTEND:20261106T160000Z
ORGANIZER:mailto:sales@vendor.example
ATTENDEE;PARTSTAT=DECLINED:mailto:Rep@OurCo.example
ATTENDEE;PARTSTAT=ACCEPTED:mailto:colleague@ourco.example
END:VEVENT
BEGIN:VEVENT
UID:december
DTSTAMP:20261001T000000Z
SUMMARY:Outside the window
DTSTART:20261210T120000Z
DTEND:20261210T130000Z
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def meetings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> dict[str, object]:
    path = tmp_path / "cal.ics"
    path.write_text(MEETINGS)
    source = IcsMeetingSource([path], zone=BERLIN, me=frozenset({"rep@ourco.example"}))
    with caplog.at_level(logging.WARNING):
        found = list(source.meetings(*NOV))
    return {m.uid: m for m in found}


def test_recurring_events_are_expanded_with_stable_uids(meetings: dict[str, object]) -> None:
    weekly = sorted(uid for uid in meetings if uid.startswith("weekly-1/"))
    # uid = UID + original start in UTC: the moved occurrence keeps the id of the slot it replaced.
    assert weekly == ["weekly-1/20261102T090000Z", "weekly-1/20261109T090000Z", "weekly-1/20261116T090000Z"]
    moved = meetings["weekly-1/20261109T090000Z"]
    assert moved.subject == "Weekly pipeline review (moved)"  # type: ignore[attr-defined]
    assert moved.start == datetime(2026, 11, 10, 13, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    first = meetings["weekly-1/20261102T090000Z"]
    assert first.organizer == "boss@ourco.example"  # type: ignore[attr-defined]
    assert first.attendees == ("jane.doe@customer.example", "rep@ourco.example")  # type: ignore[attr-defined]


def test_single_event_keeps_its_uid_and_duration(meetings: dict[str, object]) -> None:
    demo = meetings["demo-acme"]
    assert demo.start == datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert demo.end == datetime(2026, 11, 3, 15, 45, tzinfo=UTC)  # type: ignore[attr-defined]
    assert demo.cancelled is False  # type: ignore[attr-defined]
    assert demo.link.startswith("file://")  # type: ignore[attr-defined]


def test_cancelled_all_day_floating_and_window(meetings: dict[str, object]) -> None:
    assert meetings["cancelled-1"].cancelled is True  # type: ignore[attr-defined]
    assert meetings["outlook-cancel"].cancelled is True  # type: ignore[attr-defined]
    assert meetings["declined"].cancelled is True  # type: ignore[attr-defined]  # the rep declined it
    assert "holiday" not in meetings
    assert "december" not in meetings
    # A time without TZID is the rep's own wall clock.
    assert meetings["floating"].start == datetime(2026, 11, 6, 11, 0, tzinfo=UTC)  # type: ignore[attr-defined]


def test_broken_event_is_skipped_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cal.ics"
    path.write_text(MEETINGS)
    with caplog.at_level(logging.WARNING):
        found = list(IcsMeetingSource([path], zone=BERLIN).meetings(*NOV))
    assert "broken-1" not in {m.uid for m in found}
    assert len(found) == 8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "broken-1" in warnings[0]


def test_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cal.ics"
    path.write_text("this is not a calendar\n")
    with pytest.raises(BackendError, match=r"cal\.ics .*iCalendar"):
        list(IcsMeetingSource([path], zone=BERLIN).meetings(*NOV))


def _config(tmp_path: Path, meetings: dict[str, object], reminders: dict[str, object]) -> config_mod.Config:
    return config_mod.parse(
        {
            "identity": {"addresses": ["rep@ourco.example"], "timezone": "Europe/Berlin"},
            "mail": {"backend": "none"},
            "meetings": {"backend": "ics", **meetings},
            "reminders": {"backend": "ics", **reminders},
        },
        path=tmp_path / "config.toml",
    )


def test_from_config_folder_of_ics(tmp_path: Path) -> None:
    (tmp_path / "cals" / "sub").mkdir(parents=True)
    (tmp_path / "cals" / "a.ics").write_text(MEETINGS)
    (tmp_path / "cals" / "sub" / "b.ics").write_text(MEETINGS.replace("UID:", "UID:b-"))
    cfg = _config(tmp_path, {"path": "cals"}, {"path": "out/reminders.ics"})
    source = open_meetings(cfg)
    assert len(list(source.meetings(*NOV))) == 16
    (tmp_path / "cals" / "NEW.ICS").write_text(MEETINGS.replace("UID:", "UID:c-"))  # exported after start-up
    assert len(list(source.meetings(*NOV))) == 24
    sink = open_reminders(cfg)
    assert isinstance(sink, IcsReminderSink)
    assert sink.path == tmp_path / "out" / "reminders.ics"


@pytest.mark.parametrize(
    ("meetings", "reminders", "message"),
    [
        ({}, {"path": "r.ics"}, r"\[meetings\] path: required"),
        ({"path": "missing.ics"}, {"path": "r.ics"}, r"\[meetings\] path: .*does not exist"),
        ({"path": "."}, {"path": "r.ics", "colour": "red"}, r"\[reminders\] colour: unknown key; allowed"),
        ({"path": "."}, {}, r"\[reminders\] path: required"),
    ],
)
def test_config_errors(
    tmp_path: Path, meetings: dict[str, object], reminders: dict[str, object], message: str
) -> None:
    cfg = _config(tmp_path, meetings, reminders)
    with pytest.raises(ConfigError) as info:
        open_meetings(cfg)
        open_reminders(cfg)
    assert __import__("re").search(message, str(info.value))


# --- the sink's file -------------------------------------------------------------------------------------


def test_written_event_is_a_utc_instant_with_alarm_and_marker(tmp_path: Path) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path, alarm_minutes=10)
    sink.create(make_reminder("k1", categories=("Follow-up", "promise")))
    assert path.stat().st_mode & 0o777 == 0o600
    # no temp file left behind; the empty lock file stays (removing a lock file races with the next locker)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".reminders.ics.lock", "reminders.ics"]
    text = path.read_bytes().decode()
    assert "DTSTART:20261201T080000Z\r\n" in text and "DTEND:20261201T081500Z\r\n" in text
    assert "TZID" not in text and "VTIMEZONE" not in text  # issue 14: no zone rules for a client to misread
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "k1@followup-sync"
    assert event["DTSTART"].dt == T0
    assert event["DTSTART"].dt.astimezone(BERLIN).hour == 9  # what a client in Berlin shows in December
    assert str(event["URL"]) == "file:///mail/sent/1.eml"
    assert event["CATEGORIES"].cats == ["Follow-up", "promise"]
    assert (
        str(event["X-FOLLOWUP-SYNC-HASH"])
        == make_reminder("k1", categories=("Follow-up", "promise")).content_hash()
    )
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-10)


def test_reminders_in_several_zones_are_all_utc_instants(tmp_path: Path) -> None:
    sink = IcsReminderSink(tmp_path / "r.ics")
    sink.create(make_reminder("k1"))
    sink.create(make_reminder("k3", timezone="America/New_York"))
    sink.create(make_reminder("k4", timezone="UTC"))
    cal = icalendar.Calendar.from_ical((tmp_path / "r.ics").read_bytes())
    assert cal.walk("VTIMEZONE") == []
    assert {str(e["UID"]): e["DTSTART"].dt for e in cal.walk("VEVENT")} == {
        f"k{i}@followup-sync": T0 for i in (1, 3, 4)
    }


def test_user_moving_the_event_changes_etag_and_start(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    sink = IcsReminderSink(path)
    item = sink.create(make_reminder("k1"))
    text = path.read_bytes().decode()
    assert "DTSTART:20261201T080000Z" in text
    # The user's app moves it and writes the new time in the user's zone, as calendar apps do.
    path.write_bytes(
        text.replace("DTSTART:20261201T080000Z", "DTSTART;TZID=Europe/Berlin:20261202T140000").encode()
    )
    (listed,) = IcsReminderSink(path).list()  # a fresh sink, as in the next pass
    assert listed.etag != item.etag
    assert listed.start == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    with pytest.raises(PreconditionFailed):
        sink.update(item.href, item.etag, make_reminder("k1", subject="ours"))
    assert "20261202T140000" in path.read_bytes().decode()  # the user's time survived


def test_etag_is_stable_across_instances_and_unrelated_edits(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    item = IcsReminderSink(path).create(make_reminder("k1"))
    # A calendar app rewrote the file with LF line ends and added its own event: our item is unchanged.
    text = path.read_bytes().decode().replace("\r\n", "\n")
    other = "BEGIN:VEVENT\nUID:x@example.com\nDTSTART:20261203T090000Z\nSUMMARY:Mine\nEND:VEVENT\n"
    path.write_text(text.replace("END:VCALENDAR", other + "END:VCALENDAR"))
    (listed,) = IcsReminderSink(path).list()
    assert listed.etag == item.etag


def test_update_refuses_a_foreign_uid(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    path.write_text("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x@example.com\nEND:VEVENT\nEND:VCALENDAR\n")
    sink = IcsReminderSink(path)
    assert list(sink.list()) == []
    with pytest.raises(PreconditionFailed):
        sink.delete("x@example.com", "whatever")


@pytest.mark.parametrize(
    "content",
    ["not ical at all\n", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\n", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VTODO\n"],
)
def test_damaged_reminder_file_is_a_backend_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.ics"
    path.write_text(content)
    with pytest.raises(BackendError, match="not a valid iCalendar file"):
        list(IcsReminderSink(path).list())
    assert path.read_text() == content


def test_reminder_to_vevent_is_reusable() -> None:
    event = reminder_to_vevent(make_reminder("k9", link=None), stamp=datetime(2026, 1, 1, tzinfo=UTC))
    assert "URL" not in event
    assert str(event["UID"]) == "k9@followup-sync"
    assert event["DTSTAMP"].dt == datetime(2026, 1, 1, tzinfo=UTC)
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_every_write_is_one_info_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "r.ics"
    sink = IcsReminderSink(path)
    with caplog.at_level(logging.INFO, logger="followup_sync.backends.ics"):
        item = sink.create(make_reminder("k1"))
        with pytest.raises(PreconditionFailed):
            sink.create(make_reminder("k1"))
        item = sink.update(item.href, item.etag, make_reminder("k1", subject="new"))
        sink.delete(item.href, item.etag)
    assert [r.getMessage() for r in caplog.records] == [
        f"Creating reminder k1 in {path}",
        f"Updating reminder k1 in {path}",
        f"Deleting reminder k1 from {path}",
    ]


def test_old_and_future_dates_are_exact_instants(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    sink = IcsReminderSink(path)
    starts = {"old": datetime(2002, 7, 8, 14, tzinfo=UTC), "new": datetime(2039, 7, 4, 14, tzinfo=UTC)}
    for key, start in starts.items():
        sink.create(make_reminder(key, timezone="America/Chicago", start=start, end=start + timedelta(minutes=15)))
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    assert {str(e["UID"]).split("@")[0]: e["DTSTART"].dt for e in cal.walk("VEVENT")} == starts


def test_first_write_creates_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "reminders.ics"
    IcsReminderSink(path).create(make_reminder("k1"))
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [i.key for i in IcsReminderSink(path).list()] == ["k1"]


def test_an_empty_file_is_an_empty_calendar(tmp_path: Path) -> None:
    path = tmp_path / "r.ics"
    path.write_text("\n")
    sink = IcsReminderSink(path)
    assert list(sink.list()) == []
    sink.create(make_reminder("k1"))
    assert [str(e["UID"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")] == [
        "k1@followup-sync"
    ]


def test_text_model_round_trips_crlf_files_byte_for_byte() -> None:
    from followup_sync.backends.icstext import parse_document

    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a@b\r\nSUMMARY:long line that was\r\n"
        b"  folded by an app\r\nBEGIN:VALARM\r\nUID:not-the-event\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    doc = parse_document(data)
    assert doc.render() == data
    assert [(b.name, b.uid) for b in doc.blocks] == [("VEVENT", "a@b")]
