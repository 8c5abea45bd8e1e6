"""IcsReminderSink passes the sink contract, reading back through icalendar from the file itself."""

from __future__ import annotations

from pathlib import Path

import icalendar
import pytest

from followup_sync.backends.base import marker_uid
from followup_sync.backends.ics import IcsReminderSink
from tests.contract import SinkContract

FOREIGN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//App//EN\r\n"
    "BEGIN:VEVENT\r\nUID:dentist-1@example.com\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART:20261203T090000Z\r\nDTEND:20261203T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n"
    "BEGIN:VTODO\r\nUID:todo-1@example.com\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\n"
    "END:VCALENDAR\r\n"
)


class TestIcsSink(SinkContract):
    @pytest.fixture
    def sink(self, tmp_path: Path) -> IcsReminderSink:
        return IcsReminderSink(tmp_path / "reminders.ics")

    def add_foreign_item(self, sink: IcsReminderSink) -> None:
        sink.path.write_text(FOREIGN, newline="")

    def foreign_items(self, sink: IcsReminderSink) -> list[str]:
        text = sink.path.read_bytes().decode()
        blocks = []
        for name in ("VEVENT", "VTODO"):
            for chunk in text.split(f"BEGIN:{name}\r\n")[1:]:
                body = chunk.split(f"END:{name}\r\n")[0]
                if "@followup-sync" not in body:
                    blocks.append(body)
        return blocks

    def stored(self, sink: IcsReminderSink, key: str) -> tuple[str, str]:
        # A fresh parse of the file by icalendar, not our own text handling.
        cal = icalendar.Calendar.from_ical(sink.path.read_bytes())
        for event in cal.walk("VEVENT"):
            if str(event["UID"]) == marker_uid(key):
                return str(event["SUMMARY"]), str(event["DESCRIPTION"])
        raise AssertionError(f"{key} not in {sink.path}")
