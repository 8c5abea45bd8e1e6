"""Hostile calendars: the reproducers of issue 10 (item 2) and a few more, each next to one good meeting.

Shared by tests/test_icsmeetings.py (each must be skipped with one log line, the good meeting read) and
benchmarks/hostile_calendars.py (worst-case seconds and memory per calendar).
"""

from __future__ import annotations

from collections.abc import Callable

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//hostile//EN\r\n"
TAIL = "END:VCALENDAR\r\n"
SECRET = "Secret pricing for ACME"  # in every hostile component's SUMMARY: it must never reach the log


def event(
    uid: str, extra: str = "", *, start: str = "DTSTART:20261102T100000Z\r\nDTEND:20261102T110000Z\r\n"
) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:{SECRET}\r\n{start}"
        f"ORGANIZER:mailto:rep@ourco.example\r\nATTENDEE:mailto:jane@customer.example\r\n{extra}END:VEVENT\r\n"
    )


GOOD = (
    "BEGIN:VEVENT\r\nUID:good\r\nDTSTAMP:20261001T000000Z\r\nSUMMARY:Demo\r\nDTSTART:20261103T150000Z\r\n"
    "DTEND:20261103T160000Z\r\nORGANIZER:mailto:rep@ourco.example\r\nATTENDEE:mailto:cto@acme.example\r\n"
    "END:VEVENT\r\n"
)
OLD = "DTSTART:19000101T000000Z\r\nDTEND:19000101T003000Z\r\n"


def _rdates(n: int) -> str:
    return "".join(
        f"RDATE:{1990 + i % 36}{i % 12 + 1:02d}{i % 28 + 1:02d}T{i % 24:02d}0000Z\r\n" for i in range(n)
    )


def _vtimezone(tzid: str, body: str) -> str:
    return f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n{body}END:VTIMEZONE\r\n"


_ZONE_START = "DTSTART;TZID=Bad/Zone:20261102T100000\r\nDTEND;TZID=Bad/Zone:20261102T110000\r\n"
_STD = (
    "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n{rule}TZOFFSETFROM:{frm}\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n"
)

# name -> (the hostile part, the label its one log line must name, or None when nothing is logged)
CASES: dict[str, tuple[Callable[[], str], str | None]] = {
    "interval0": (lambda: event("i0", "RRULE:FREQ=DAILY;INTERVAL=0\r\n"), "event i0"),
    "secondly": (lambda: event("sec", "RRULE:FREQ=SECONDLY\r\n"), "event sec"),
    "minutely-1900": (lambda: event("min", "RRULE:FREQ=MINUTELY\r\n", start=OLD), "event min"),
    "hourly-1900": (lambda: event("hr", "RRULE:FREQ=HOURLY\r\n", start=OLD), "event hr"),
    "daily-by-second": (
        lambda: event(
            "bs",
            "RRULE:FREQ=DAILY;BYHOUR="
            + ",".join(map(str, range(24)))
            + ";BYMINUTE="
            + ",".join(map(str, range(60)))
            + ";BYSECOND="
            + ",".join(map(str, range(60)))
            + "\r\n",
        ),
        "event bs",
    ),
    "daily-from-year-1-count": (  # COUNT keeps the fast-forward away: dateutil would walk 740,000 days
        lambda: event(
            "y1",
            "RRULE:FREQ=DAILY;COUNT=100000000\r\n",
            start="DTSTART:00010101T100000Z\r\nDTEND:00010101T110000Z\r\n",
        ),
        "event y1",
    ),
    "feb-30": (lambda: event("f30", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\n"), "event f30"),
    "daily-bysetpos": (lambda: event("sp", "RRULE:FREQ=DAILY;BYSETPOS=3\r\n"), "event sp"),
    "rdates-100k": (lambda: event("rd", _rdates(100_000)), "event rd"),
    "rdates-100k-one-line": (
        lambda: event(
            "rd1",
            "RDATE:" + ",".join(f"2026{i % 12 + 1:02d}01T{i % 24:02d}0000Z" for i in range(100_000)) + "\r\n",
        ),
        "event rd1",
    ),
    "nested-5000": (lambda: "BEGIN:VEVENT\r\n" * 5000 + "END:VEVENT\r\n" * 5000, "event #1"),
    "bad-vtodo": (
        lambda: "BEGIN:VTODO\r\nUID:t\r\nDUE:garbage\r\nRRULE:FREQ=SECONDLY;INTERVAL=0\r\nEND:VTODO\r\n",
        None,
    ),
    "bad-vtimezone-unused": (lambda: _vtimezone("Other/Zone", _STD.format(rule="", frm="garbage")), None),
    "bad-vtimezone-used": (
        lambda: _vtimezone("Bad/Zone", _STD.format(rule="", frm="garbage")) + event("bz", start=_ZONE_START),
        "event bz",
    ),
    "secondly-vtimezone-used": (
        lambda: (
            _vtimezone("Bad/Zone", _STD.format(rule="RRULE:FREQ=SECONDLY\r\n", frm="+0100"))
            + event("sz", start=_ZONE_START)
        ),
        "event sz",
    ),
    "end-mismatch": (lambda: event("em").replace("END:VEVENT", "END:VTODO"), "event em"),
    "broken-dtstart": (lambda: event("bd", start="DTSTART:garbage\r\n"), "event bd"),
    "unknown-tzid": (
        lambda: event("uz", start="DTSTART;TZID=Nowhere/Land:20261102T100000\r\n"),
        "event uz",
    ),
    "escape-in-uid": (
        lambda: event("\x1b[31mred\x1b[0m", "RRULE:FREQ=DAILY;INTERVAL=0\r\n"),
        "event ?[31mred?[0m",
    ),
}


def calendar(name: str) -> bytes:
    """One hostile calendar: the case's components before a good meeting, as a file would hold them."""
    hostile, _label = CASES[name]
    return (HEAD + hostile() + GOOD + TAIL).encode()


def truncated() -> bytes:
    """A file cut off inside its last VEVENT (a half-written export)."""
    return (HEAD + GOOD + event("cut")).encode()[:-40]
