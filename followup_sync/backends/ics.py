"""Meetings read from .ics files, and the reminder sink that owns one .ics file.

The sink edits the file as text, one top-level component (VEVENT, VTIMEZONE, ...) at a time: our VEVENTs
(UID ``<key>@followup-sync``) are replaced or removed, everything else is written back byte for byte, so a
calendar app's own events in the same file are never reformatted. A VEVENT's ETAG is the hash of its text,
so any edit the user makes to it (a moved DTSTART, a changed title) changes the etag.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from followup_sync.backends.base import key_from_uid, marker_uid
from followup_sync.backends.files import read_options
from followup_sync.backends.icstext import Block, Document, content_lines, new_document, parse_document
from followup_sync.config import BackendSection, Config
from followup_sync.errors import BackendError, ConfigError, PreconditionFailed
from followup_sync.model import Meeting, Reminder, RemoteItem

log = logging.getLogger(__name__)

HASH_PROPERTY = "X-FOLLOWUP-SYNC-HASH"
_CANCELLED_PREFIXES = ("canceled:", "cancelled:")


# --- meetings ------------------------------------------------------------------------------------------


class IcsMeetingSource:
    """Meetings from an .ics file or a folder of them; recurring events expanded, all-day events ignored."""

    name = "ics"

    def __init__(self, paths: list[Path], *, zone: ZoneInfo, me: frozenset[str] = frozenset()) -> None:
        self.paths = paths  # files, or folders searched for *.ics at every pass (new exports are picked up)
        self.zone = zone  # floating times ("no TZID") are the rep's local time
        self.me = me
        self._cache: dict[Path, tuple[tuple[int, int, int], icalendar.Calendar]] = {}

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        value = read_options(section)
        if not isinstance(value, str) or not value:
            raise ConfigError(f"[{section.role}] path must be a non-empty string, got {value!r}")
        path = config.resolve(value)
        if not path.exists():
            raise ConfigError(f"[{section.role}] path: {path} does not exist")
        return cls([path], zone=config.identity.zone, me=frozenset(config.identity.addresses))

    def files(self) -> list[Path]:
        found: list[Path] = []
        for path in self.paths:
            if path.is_dir():
                found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".ics" and p.is_file()))
            else:
                found.append(path)
        return found

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        for path in self.files():
            yield from self._meetings_in(path, start, end)

    def _meetings_in(self, path: Path, start: datetime, end: datetime) -> Iterator[Meeting]:
        cal = self._calendar(path)
        yield from meetings_in_calendar(
            cal, start, end, zone=self.zone, link=path.absolute().as_uri(), where=str(path), me=self.me
        )

    def _calendar(self, path: Path) -> icalendar.Calendar:
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            data = path.read_bytes()
        except OSError as exc:
            raise BackendError(f"cannot read {path}: {exc.strerror}", backend=self.name) from exc
        try:
            cal = icalendar.Calendar.from_ical(data)
        except Exception as exc:
            raise BackendError(
                f"{path} is not a valid iCalendar file: {_first_line(exc)}", backend=self.name
            ) from exc
        if not isinstance(cal, icalendar.Calendar):
            raise BackendError(f"{path} does not start with BEGIN:VCALENDAR", backend=self.name)
        self._cache[path] = (stamp, cal)
        return cal

    def close(self) -> None:
        self._cache.clear()


def meetings_in_calendar(
    cal: icalendar.Calendar,
    start: datetime,
    end: datetime,
    *,
    zone: ZoneInfo,
    link: str,
    where: str,
    me: frozenset[str] = frozenset(),
) -> Iterator[Meeting]:
    """The meetings in one parsed calendar between ``start`` and ``end``; shared by the .ics and CalDAV sources.

    Floating times (no TZID) are the rep's local ``zone``; ``where`` names the file or URL in skip warnings.
    A meeting the rep (an address in ``me``) declined counts as cancelled: it did not happen for them.
    """
    timezones = list(cal.walk("VTIMEZONE"))
    series: dict[str, list[icalendar.Component]] = {}
    for event in cal.walk("VEVENT"):
        series.setdefault(str(event.get("UID", "")), []).append(event)
    method = str(cal.get("METHOD", "")).upper()
    for uid, events in series.items():
        # One broken VEVENT would make recurring_ical_events fail for the whole file, so each series
        # (a UID with its moved occurrences) is expanded on its own.
        single = icalendar.Calendar()
        for component in [*timezones, *events]:
            single.add_component(component)
        recurring = any(k in e for e in events for k in ("RRULE", "RDATE", "RECURRENCE-ID")) or len(events) > 1
        try:
            occurrences = list(recurring_ical_events.of(single).between(start, end))
            meetings = [_meeting(o, uid, recurring, method, link, zone, me) for o in occurrences]
        except Exception as exc:  # broken DTSTART, RRULE, TZID: the library raises many types
            log.warning("Skipping event %s in %s: %s", uid or "without UID", where, _first_line(exc))
            continue
        yield from (m for m in meetings if m is not None)


def _meeting(
    occ: icalendar.Event, uid: str, recurring: bool, method: str, link: str, zone: ZoneInfo, me: frozenset[str]
) -> Meeting | None:
    start = occ.get("DTSTART").dt
    if not isinstance(start, datetime):
        return None  # all-day: a holiday, a trip, an out-of-office block, not a meeting
    end_prop = occ.get("DTEND")
    end = end_prop.dt if end_prop is not None else start
    if not isinstance(end, datetime):
        end = start
    subject = str(occ.get("SUMMARY", ""))
    if recurring:
        rid = occ.get("RECURRENCE-ID")
        original = rid.dt if rid is not None and isinstance(rid.dt, datetime) else start
        uid = f"{uid}/{_utc(original, zone):%Y%m%dT%H%M%SZ}"
    status = str(occ.get("STATUS", "")).upper()
    cancelled = (
        status == "CANCELLED" or method == "CANCEL" or subject.strip().lower().startswith(_CANCELLED_PREFIXES)
    )
    attendees = occ.get("ATTENDEE", [])
    if not isinstance(attendees, list):
        attendees = [attendees]
    declined = any(
        _address(a) in me and str(getattr(a, "params", {}).get("PARTSTAT", "")).upper() == "DECLINED"
        for a in attendees
    )
    return Meeting(
        uid=uid,
        subject=subject,
        start=_utc(start, zone),
        end=max(_utc(end, zone), _utc(start, zone)),
        organizer=_address(occ.get("ORGANIZER")),
        attendees=tuple(dict.fromkeys(a for a in map(_address, attendees) if a)),
        cancelled=cancelled or declined,
        link=link,
    )


def _utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _address(value: object) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if "@" in text else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


# --- rendering -----------------------------------------------------------------------------------------


def reminder_to_vevent(
    reminder: Reminder, *, alarm_minutes: int = 15, stamp: datetime | None = None
) -> icalendar.Event:
    """The VEVENT for one reminder; shared by the .ics and CalDAV sinks.

    Times carry the reminder's TZID (add the VTIMEZONE with :func:`vtimezone`), so a calendar app shows 09:00
    on the rep's wall clock. The event is TRANSPARENT (a reminder does not make the rep look busy) and PRIVATE
    (it names customers). ``stamp`` is DTSTAMP, by default now.
    """
    zone = ZoneInfo(reminder.timezone)
    event = icalendar.Event()
    event.add("UID", marker_uid(reminder.key))
    event.add("DTSTAMP", (stamp or datetime.now(UTC)).replace(microsecond=0))
    event.add("SUMMARY", reminder.subject)
    event.add("DTSTART", reminder.start.astimezone(zone))
    event.add("DTEND", reminder.end.astimezone(zone))
    event.add("DESCRIPTION", reminder.body)
    if reminder.categories:
        event.add("CATEGORIES", list(reminder.categories))
    if reminder.link:
        event.add("URL", reminder.link)
    event.add("TRANSP", "TRANSPARENT")
    event.add("CLASS", "PRIVATE")
    event.add(HASH_PROPERTY, reminder.content_hash())
    alarm = icalendar.Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", reminder.subject)
    alarm.add("TRIGGER", timedelta(minutes=-alarm_minutes))
    event.add_component(alarm)
    return event


def vtimezone(tzid: str) -> icalendar.Timezone:
    """The VTIMEZONE for an IANA zone, 1970-2040: reminders can be dated in the past (``sync --now`` on an
    old mailbox), and one block per zone is shared by every reminder in the file (about 3 KB)."""
    return icalendar.Timezone.from_tzid(tzid, first_date=date(1970, 1, 1), last_date=date(2040, 1, 1))


# --- the sink ------------------------------------------------------------------------------------------


class IcsReminderSink:
    """Reminders as VEVENTs in one .ics file that followup-sync owns (other items in it are left alone)."""

    name = "ics"

    def __init__(self, path: Path, *, alarm_minutes: int = 15, calendar_name: str = "Follow-ups") -> None:
        self.path = path
        self.alarm_minutes = alarm_minutes
        self.calendar_name = calendar_name
        self._cache: tuple[tuple[int, int, int], Document] | None = None

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        value = read_options(section, allowed=frozenset({"path", "calendar_name"}))
        if not isinstance(value, str) or not value:
            raise ConfigError(f"[{section.role}] path must be a non-empty string, got {value!r}")
        name = section.options.get("calendar_name", "Follow-ups")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"[{section.role}] calendar_name must be a non-empty string")
        path = config.resolve(value)
        if path.is_dir():
            raise ConfigError(f"[{section.role}] path: {path} is a folder; name the .ics file to write")
        return cls(path, alarm_minutes=config.schedule.reminder_minutes, calendar_name=name)

    def list(self) -> Iterator[RemoteItem]:
        doc = self._load()
        for block in doc.blocks:
            key = key_from_uid(block.uid or "") if block.name == "VEVENT" else None
            if key is not None and block.uid is not None:
                start, stored = self._start_and_hash(block)
                yield RemoteItem(key=key, href=block.uid, etag=block.etag(), start=start, content_hash=stored)

    def create(self, reminder: Reminder) -> RemoteItem:
        uid = marker_uid(reminder.key)

        def change(doc: Document) -> Block:
            if doc.find(uid) is not None:
                raise PreconditionFailed("reminder already exists", backend=self.name, href=uid)
            log.info("Creating reminder %s in %s", reminder.key, self.path)
            block = self._render(reminder, doc)
            doc.blocks.append(block)
            return block

        block = self._modify(change)
        return RemoteItem(key=reminder.key, href=uid, etag=block.etag(), start=reminder.start)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        if href != marker_uid(reminder.key):
            raise ValueError(f"href {href!r} does not belong to reminder {reminder.key}")

        def change(doc: Document) -> Block:
            old = self._checked(doc, href, etag)
            log.info("Updating reminder %s in %s", reminder.key, self.path)
            block = self._render(reminder, doc)
            doc.blocks[doc.blocks.index(old)] = block
            return block

        block = self._modify(change)
        return RemoteItem(key=reminder.key, href=href, etag=block.etag(), start=reminder.start)

    def delete(self, href: str, etag: str) -> None:
        def change(doc: Document) -> None:
            doc.blocks.remove(self._checked(doc, href, etag))
            log.info("Deleting reminder %s from %s", key_from_uid(href), self.path)

        self._modify(change)

    def close(self) -> None:
        self._cache = None

    def _checked(self, doc: Document, href: str, etag: str) -> Block:
        if key_from_uid(href) is None:
            raise PreconditionFailed("not a followup-sync reminder", backend=self.name, href=href)
        block = doc.find(href)
        if block is None:
            raise PreconditionFailed("reminder is gone", backend=self.name, href=href)
        if block.etag() != etag:
            raise PreconditionFailed("reminder was changed (etag mismatch)", backend=self.name, href=href)
        return block

    def _render(self, reminder: Reminder, doc: Document) -> Block:
        event = reminder_to_vevent(reminder, alarm_minutes=self.alarm_minutes)
        if reminder.timezone != "UTC" and not any(
            b.name == "VTIMEZONE" and b.tzid == reminder.timezone for b in doc.blocks
        ):
            tz_lines = content_lines(vtimezone(reminder.timezone).to_ical())
            first_event = next((i for i, b in enumerate(doc.blocks) if b.name == "VEVENT"), len(doc.blocks))
            doc.blocks.insert(first_event, Block(name="VTIMEZONE", lines=tz_lines, tzid=reminder.timezone))
        lines = content_lines(event.to_ical())
        return Block(name="VEVENT", lines=lines, uid=marker_uid(reminder.key))

    def _start_and_hash(self, block: Block) -> tuple[datetime | None, str | None]:
        try:
            event = icalendar.Event.from_ical("\r\n".join(block.lines))
            value = event.get("DTSTART").dt
        except Exception:  # the user (or their app) left it unreadable: we still list it, without a start
            return None, None
        stored = event.get(HASH_PROPERTY)
        if not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time())
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC), (str(stored) if stored is not None else None)

    def _load(self) -> Document:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return new_document(self.calendar_name)
        except OSError as exc:
            raise BackendError(f"cannot read {self.path}: {exc.strerror}", backend=self.name) from exc
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1]
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise BackendError(f"cannot read {self.path}: {exc.strerror}", backend=self.name) from exc
        try:
            # An empty file is a calendar nobody wrote to yet (`touch reminders.ics`), not a damaged one.
            doc = parse_document(data) if data.strip() else new_document(self.calendar_name)
        except ValueError as exc:
            raise BackendError(f"{self.path} is not a valid iCalendar file: {exc}", backend=self.name) from exc
        self._cache = (stamp, doc)
        return doc

    def _modify(self, change: Callable[[Document], Any]) -> Any:
        self._cache = None  # a failed write must not leave a half-changed document behind
        doc = self._load()
        result = change(doc)
        self._write(doc.render())
        st = self.path.stat()
        self._cache = ((st.st_mtime_ns, st.st_size, st.st_ino), doc)
        return result

    def _write(self, data: bytes) -> None:
        """Write atomically: a temp file in the same folder, fsync, rename over the old file, fsync the folder."""
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise BackendError(f"cannot write {self.path}: {exc.strerror}", backend=self.name) from exc
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            Path(tmp).chmod(0o600)
            Path(tmp).replace(self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise BackendError(f"cannot write {self.path}: {exc.strerror}", backend=self.name) from exc
        _fsync_dir(parent)


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
