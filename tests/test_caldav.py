"""The CalDAV backends against a real Radicale server on 127.0.0.1 (started by these tests, pip-installed)."""

from __future__ import annotations

import base64
import itertools
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from followup_sync import config as configmod
from followup_sync.backends.caldav import CaldavMeetingSource, CaldavReminderSink, store_password
from followup_sync.errors import ConfigError, CredentialsError, TransientError
from tests import crashlab
from tests import hostile_calendars as hostile
from tests.contract import SinkContract, make_reminder

pytestmark = pytest.mark.slow
USER, PASSWORD = crashlab.USER, crashlab.PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, method: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    req = urllib.request.Request(url, data=body or None, method=method,
                                 headers={"Authorization": f"Basic {token}", **(headers or {})})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with crashlab.radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


_counter = itertools.count()


@pytest.fixture
def calendar_url(radicale: str) -> str:
    url = f"{radicale}/{USER}/cal{next(_counter)}/"
    assert _request(url, "MKCALENDAR") == 201
    return url


def make_config(tmp_path: Path, url: str, role: str = "reminders", **extra: Any) -> configmod.Config:
    section = {"backend": "caldav", "url": url, "username": USER, "allow_insecure_http": True, **extra}
    data: dict[str, Any] = {
        "identity": {"addresses": ["dana@northwind.example"], "timezone": "Europe/Berlin"},
        "mail": {"backend": "none"},
        "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp_path / "x.ics")},
        "state": {"path": str(tmp_path / "state.db")},
    }
    data[role] = section
    return configmod.parse(data)


@pytest.fixture
def sink(calendar_url: str, tmp_path: Path, memory_keyring: Any) -> CaldavReminderSink:
    store_password(calendar_url, USER, PASSWORD)
    config = make_config(tmp_path, calendar_url)
    return CaldavReminderSink.from_config(config.reminders, config)


class TestCaldavSink(SinkContract):
    def add_foreign_item(self, sink: CaldavReminderSink) -> None:
        ics = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:lunch-1@example.com\r\n"
            "DTSTAMP:20261101T000000Z\r\nDTSTART:20261201T120000Z\r\nDTEND:20261201T130000Z\r\n"
            "SUMMARY:Lunch with Sam\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        )
        status = _request(sink.collection.url + "lunch-1.ics", "PUT", ics.encode(),
                          {"Content-Type": "text/calendar"})  # fmt: skip
        assert status == 201

    def foreign_items(self, sink: CaldavReminderSink) -> Any:
        return [uid for _h, _e, data in sink.collection.query()
                if not (uid := _uid(data)).endswith("@followup-sync")]  # fmt: skip

    def stored(self, sink: CaldavReminderSink, key: str) -> tuple[str, str]:
        for _href, _etag, data in sink.collection.query():
            event = next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))
            if str(event["UID"]) == f"{key}@followup-sync":
                return str(event["SUMMARY"]), str(event["DESCRIPTION"])
        raise KeyError(key)


def _uid(data: bytes) -> str:
    return str(next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))["UID"])


def test_reminder_keeps_its_instant_through_the_server(sink: CaldavReminderSink) -> None:
    # 09:00 in Berlin on the Monday after the October change is 08:00 UTC
    start = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    sink.create(make_reminder("dst1", start=start, end=start + timedelta(minutes=15)))
    [item] = list(sink.list())
    assert item.start == start


def test_user_moving_the_event_changes_etag_and_start(sink: CaldavReminderSink) -> None:
    created = sink.create(make_reminder("k9"))
    [(href, etag, data)] = list(sink.collection.query())
    # The user's app moves it and writes the new time in the user's zone, as calendar apps do.
    moved = data.replace(b"DTSTART:20261201T080000Z", b"DTSTART;TZID=Europe/Berlin:20261201T140000")
    assert moved != data
    assert _request(href, "PUT", moved, {"Content-Type": "text/calendar", "If-Match": etag}) == 204
    [item] = list(sink.list())
    assert item.etag != created.etag
    assert item.start is not None and item.start.hour == 13


def test_meetings_are_read_and_recurring_ones_expanded(
    calendar_url: str, tmp_path: Path, memory_keyring: Any
) -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:weekly@example.com\r\n"
        "DTSTAMP:20261101T000000Z\r\nDTSTART:20261102T140000Z\r\nDTEND:20261102T150000Z\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Acme weekly\r\nORGANIZER:mailto:dana@northwind.example\r\n"
        "ATTENDEE:mailto:Mark.Chen@acme.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert _request(calendar_url + "weekly.ics", "PUT", ics.encode(), {"Content-Type": "text/calendar"}) == 201
    store_password(calendar_url, USER, PASSWORD)
    config = make_config(tmp_path, calendar_url, role="meetings")
    source = CaldavMeetingSource.from_config(config.meetings, config)
    found = list(source.meetings(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert [m.start.day for m in found] == [2, 9, 16]
    assert found[0].attendees == ("mark.chen@acme.example",)
    assert len({m.uid for m in found}) == 3


def test_hostile_items_are_skipped_once_and_the_rest_is_read(
    calendar_url: str, tmp_path: Path, memory_keyring: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The .ics guards apply to CalDAV items too (issue 10, item 2); Radicale stores what it is given."""
    items = {
        "good": "",
        "i0": "RRULE:FREQ=DAILY;INTERVAL=0\r\n",
        "m": "RRULE:FREQ=MINUTELY;COUNT=50\r\n",
    }
    for uid, extra in items.items():
        body = (hostile.HEAD + hostile.event(uid, extra) + hostile.TAIL).encode()
        assert _request(f"{calendar_url}{uid}.ics", "PUT", body, {"Content-Type": "text/calendar"}) == 201
    store_password(calendar_url, USER, PASSWORD)
    config = make_config(tmp_path, calendar_url, role="meetings")
    source = CaldavMeetingSource.from_config(config.meetings, config)
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    with caplog.at_level(logging.WARNING):
        for _ in range(2):  # two passes: the skipped items are logged once
            assert [m.uid for m in source.meetings(*window)] == ["good"]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2 and {line.split()[2] for line in lines} == {"i0", "m"}
    assert all(hostile.SECRET not in line for line in lines)


def test_wrong_password_is_a_login_problem(calendar_url: str, tmp_path: Path, memory_keyring: Any) -> None:
    store_password(calendar_url, USER, "wrong")
    config = make_config(tmp_path, calendar_url)
    sink = CaldavReminderSink.from_config(config.reminders, config)
    with pytest.raises(CredentialsError, match="caldav-password"):
        list(sink.list())


def test_missing_password_says_how_to_store_it(calendar_url: str, tmp_path: Path, memory_keyring: Any) -> None:
    config = make_config(tmp_path, calendar_url)
    with pytest.raises(CredentialsError, match="caldav-password"):
        CaldavReminderSink.from_config(config.reminders, config)


def test_unreachable_server_is_transient(tmp_path: Path, memory_keyring: Any) -> None:
    url = f"http://127.0.0.1:{_free_port()}/dana/cal/"
    store_password(url, USER, PASSWORD)
    config = make_config(tmp_path, url, timeout_seconds=2)
    sink = CaldavReminderSink.from_config(config.reminders, config)
    with pytest.raises(TransientError) as info:
        list(sink.list())
    # one sentence with the host and what failed, not the library's cut urllib3 repr
    host = url.split("/")[2]
    assert str(info.value) == f"caldav: the CalDAV server {host} refused the connection (is it running?)"


def test_a_host_that_does_not_resolve_reads_as_one_sentence(tmp_path: Path, memory_keyring: Any) -> None:
    url = "http://no-such-host.invalid/dana/cal/"
    store_password(url, USER, PASSWORD)
    config = make_config(tmp_path, url, timeout_seconds=2)
    sink = CaldavReminderSink.from_config(config.reminders, config)
    with pytest.raises(TransientError) as info:
        list(sink.list())
    assert str(info.value) == (
        "caldav: the CalDAV server no-such-host.invalid could not be found (the host name does not resolve)"
    )


def test_unknown_option_is_a_config_error(tmp_path: Path) -> None:
    config = make_config(tmp_path, "https://cal.example/dana/", colour="red")
    with pytest.raises(ConfigError) as info:
        CaldavReminderSink.from_config(config.reminders, config)
    assert "colour" in str(info.value)
