"""Meetings read from .ics files, and the reminder sink that owns one .ics file.

The sink edits the file as text, one top-level component (VEVENT, VTIMEZONE, ...) at a time: our VEVENTs
(UID ``<key>@followup-sync``) are replaced or removed, everything else is written back byte for byte, so a
calendar app's own events in the same file are never reformatted. A VEVENT's ETAG is the hash of its text,
so any edit the user makes to it (a moved DTSTART, a changed title) changes the etag.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Self
from zoneinfo import ZoneInfo

from followup_sync.backends import icsfile
from followup_sync.backends.base import Write, WriteResult, key_from_uid, marker_uid
from followup_sync.backends.files import read_options
from followup_sync.backends.icslisting import HASH_PROPERTY, TEXT_PROPERTY, Listed, listed
from followup_sync.backends.icstext import Block, Document, content_lines, new_document, parse_document
from followup_sync.config import BackendSection, Config
from followup_sync.errors import BackendError, ConfigError, PreconditionFailed, TransientError
from followup_sync.model import Meeting, Reminder, RemoteItem, text_hash

if TYPE_CHECKING:
    # icalendar and the meeting reader are imported where used: a pass that writes no reminder and reads no
    # meetings (a cold `sync --dry-run` on an empty mailbox) does not pay their start-up time (issue 11)
    import icalendar

    from followup_sync.backends.icsmeetings import MeetingCalendar

log = logging.getLogger(__name__)

_Results = list[WriteResult]


# --- meetings ------------------------------------------------------------------------------------------


class IcsMeetingSource:
    """Meetings from an .ics file or a folder of them, read by :mod:`icsmeetings` (bounded, per component)."""

    name = "ics"

    def __init__(self, paths: list[Path], *, zone: ZoneInfo, me: frozenset[str] = frozenset()) -> None:
        self.paths = paths  # files, or folders searched for *.ics at every pass (new exports are picked up)
        self.zone = zone  # floating times ("no TZID") are the rep's local time
        self.me = me
        self._cache: dict[Path, tuple[tuple[int, int, int], MeetingCalendar]] = {}

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
            link = path.absolute().as_uri()
            yield from self._calendar(path).meetings(start, end, link=link, me=self.me)

    def _calendar(self, path: Path) -> MeetingCalendar:
        """The file parsed once per version (mtime, size, inode): its skipped components are logged once."""
        from followup_sync.backends.icsmeetings import MAX_BYTES, MeetingCalendar, Unreadable

        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            cached = self._cache.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            if st.st_size > MAX_BYTES:
                raise BackendError(
                    f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB: not read", backend=self.name
                )
            data = path.read_bytes()
        except OSError as exc:
            raise BackendError(f"cannot read {path}: {exc.strerror}", backend=self.name) from exc
        try:
            cal = MeetingCalendar(data, where=str(path), zone=self.zone)
        except Unreadable as exc:
            raise BackendError(f"{path} is not a valid iCalendar file: {exc}", backend=self.name) from exc
        self._cache[path] = (stamp, cal)
        return cal

    def close(self) -> None:
        self._cache.clear()


# --- rendering -----------------------------------------------------------------------------------------


def reminder_to_vevent(
    reminder: Reminder, *, alarm_minutes: int = 15, stamp: datetime | None = None
) -> icalendar.Event:
    """The VEVENT for one reminder; shared by the .ics and CalDAV sinks.

    Times are written as UTC instants (``DTSTART:20261201T080000Z``), with no TZID and no VTIMEZONE. A
    reminder is one moment, never a series, so it needs no time zone rules, and RFC 5545's UTC form is the one
    every client reads identically: the VTIMEZONE that icalendar generates lists every transition in one
    multi-valued RDATE, which ical.js (Thunderbird, Nextcloud) does not apply, so it read every reminder an
    hour late for eight months a year (issue 14). RRULE-based VTIMEZONEs would have to be generated from the
    tz database ourselves, for no gain: every calendar shows a UTC time on the rep's own wall clock, and the
    reminder's text names the local time (``reminder.timezone``). tests/test_interop.py reads what we write
    with icalendar, ical.js and vobject. The event is TRANSPARENT (a reminder does not make the rep look busy)
    and PRIVATE (it names customers). ``stamp`` is DTSTAMP, by default now.
    """
    import icalendar

    event = icalendar.Event()
    event.add("UID", marker_uid(reminder.key))
    event.add("DTSTAMP", (stamp or datetime.now(UTC)).replace(microsecond=0))
    event.add("SUMMARY", reminder.subject)
    event.add("DTSTART", reminder.start.astimezone(UTC))
    event.add("DTEND", reminder.end.astimezone(UTC))
    event.add("DESCRIPTION", reminder.body)
    if reminder.categories:
        event.add("CATEGORIES", list(reminder.categories))
    if reminder.link:
        event.add("URL", reminder.link)
    event.add("TRANSP", "TRANSPARENT")
    event.add("CLASS", "PRIVATE")
    event.add(HASH_PROPERTY, reminder.content_hash())
    event.add(TEXT_PROPERTY, text_hash(reminder.subject, reminder.body))
    alarm = icalendar.Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", reminder.subject)
    alarm.add("TRIGGER", timedelta(minutes=-alarm_minutes))
    event.add_component(alarm)
    return event


# --- the sink ------------------------------------------------------------------------------------------


class IcsReminderSink:
    """Reminders as VEVENTs in one .ics file that followup-sync owns (other items in it are left alone).

    A batching sink (``backends.base.BatchingSink``): ``write_batch`` reads the file once, applies up to
    ``batch_size`` writes to the parsed text and replaces the file once, under the file's lock; if it raises,
    nothing of the batch landed. The file policy (symlinks, special and read-only files, the lock, temp
    files) is in :mod:`followup_sync.backends.icsfile`.

    Reading is cached by the file's content digest, per target file and for the whole process (a daemon opens
    a new sink every pass): listing an unchanged file reads and hashes it (milliseconds for thousands of
    reminders) and parses nothing. A digest rather than mtime/size/inode, because file times tick coarsely (a
    few ms on Linux) and an app that rewrites the file in place within one tick would go unnoticed. Each
    VEVENT's start and hashes are cached by its etag, so a changed file re-reads only the changed events.
    """

    name = "ics"
    batch_size = 500  # a batch renders in well under a second, so a stop request is never kept waiting

    def __init__(
        self,
        path: Path,
        *,
        alarm_minutes: int = 15,
        calendar_name: str = "Follow-ups",
        journal: icsfile.Journal | None = None,
    ) -> None:
        self.path = path
        self.alarm_minutes = alarm_minutes
        self.calendar_name = calendar_name
        self.journal = journal
        #: After :meth:`list`: the file was written from a copy older than our last write (another computer,
        #: a writer without the lock), so a reminder missing from it was lost, not deleted by the user.
        self.overwritten = False
        self._swept = False

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        value = read_options(section, allowed=frozenset({"path", "calendar_name"}))
        if not isinstance(value, str) or not value:
            raise ConfigError(f"[{section.role}] path must be a non-empty string, got {value!r}")
        name = section.options.get("calendar_name", "Follow-ups")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"[{section.role}] calendar_name must be a non-empty string")
        path = config.resolve(value)
        try:
            icsfile.target_of(path)
        except icsfile.FileRefused as exc:
            raise ConfigError(f"[{section.role}] path: {exc}") from None
        journal = icsfile.Journal(config.state_path.with_name(config.state_path.name + ".ics-writes"))
        return cls(path, alarm_minutes=config.schedule.reminder_minutes, calendar_name=name, journal=journal)

    def list(self) -> Iterator[RemoteItem]:
        target = self._target()
        if not self._swept:
            self._sweep(target)
        cache = _cache(target)
        self._load(target, cache)
        self.overwritten = self.journal is not None and self.journal.overwritten(target, cache.doc.head)
        if cache.items is None:
            items = []
            parsed: dict[str, Listed] = {}
            for block in cache.doc.blocks:
                key = key_from_uid(block.uid or "") if block.name == "VEVENT" else None
                if key is not None and block.uid is not None:
                    etag = block.etag()
                    found = parsed[etag] = cache.parsed.get(etag) or listed(block)
                    items.append(RemoteItem(key=key, href=block.uid, etag=etag, start=found[0], **found[1]))
            cache.items, cache.parsed = items, parsed  # the events no longer in the file are forgotten
        return iter(cache.items)

    def create(self, reminder: Reminder) -> RemoteItem:
        return _single(self.write_batch([Write("create", reminder.key, reminder=reminder)]))

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        if href != marker_uid(reminder.key):
            raise ValueError(f"href {href!r} does not belong to reminder {reminder.key}")
        return _single(self.write_batch([Write("update", reminder.key, reminder=reminder, href=href, etag=etag)]))

    def delete(self, href: str, etag: str) -> None:
        result = self.write_batch([Write("delete", key_from_uid(href) or href, href=href, etag=etag)])[0]
        if isinstance(result, BackendError):
            raise result

    def write_batch(self, writes: Sequence[Write]) -> _Results:
        """Apply ``writes`` to the file in one locked read-modify-write; one result per write, in order."""
        target = self._target()
        try:
            with icsfile.locked(target):
                icsfile.remove_stale_temps(target)
                cache = _cache(target)
                self._load(target, cache)
                # a copy of the block list: a write that fails must not leave a half-changed cached document
                doc = Document(head=cache.doc.head, blocks=list(cache.doc.blocks), tail=cache.doc.tail)
                batch = _Batch(self, doc)
                results = batch.apply(writes)
                if any(not isinstance(r, BackendError) for r in results):
                    doc.head, write_id = icsfile.with_new_write(doc.head)
                    data = doc.render()
                    icsfile.replace(target, data)
                    if self.journal is not None:
                        self.journal.record(target, write_id)
                    cache.digest, cache.doc, cache.items = _digest(data), doc, None
                    # what we wrote is listed next without parsing it again (the same function reads it)
                    cache.parsed.update((b.etag(), listed(b)) for b in batch.written)
        except icsfile.FileBusy:
            raise TransientError(
                f"{target} is being written by another program (lock .{target.name}.lock held)", backend=self.name
            ) from None
        except icsfile.FileRefused as exc:
            raise BackendError(str(exc), backend=self.name) from None
        except OSError as exc:
            raise BackendError(f"cannot write {target}: {exc.strerror}", backend=self.name) from exc
        return results

    def close(self) -> None:
        """Nothing to release: the parsed file stays cached for the next pass's sink (see the class)."""

    def _target(self) -> Path:
        try:
            return icsfile.target_of(self.path)
        except icsfile.FileRefused as exc:
            raise BackendError(str(exc), backend=self.name) from None

    def _sweep(self, target: Path) -> None:
        """Remove temp copies a killed write left (once per pass at listing, and before every write)."""
        self._swept = True
        with contextlib.suppress(icsfile.FileBusy, OSError), icsfile.locked(target, timeout=0):
            icsfile.remove_stale_temps(target)

    def _render(self, reminder: Reminder) -> Block:
        """Our VEVENT as text lines (UTC instants, no VTIMEZONE: see :func:`reminder_to_vevent`)."""
        event = reminder_to_vevent(reminder, alarm_minutes=self.alarm_minutes)
        lines = content_lines(event.to_ical())
        return Block(name="VEVENT", lines=lines, uid=marker_uid(reminder.key))

    def _load(self, target: Path, cache: _FileCache) -> None:
        """Bring ``cache`` up to date with the file: read and hash it, parse it only if it changed."""
        try:
            found = icsfile.read(target)
        except icsfile.FileRefused as exc:
            raise BackendError(str(exc), backend=self.name) from None
        except OSError as exc:
            raise BackendError(f"cannot read {target}: {exc.strerror}", backend=self.name) from exc
        data = found[1] if found is not None else b""
        digest = _digest(data)
        if digest == cache.digest:
            return
        try:
            # An empty or missing file is a calendar nobody wrote to yet (`touch reminders.ics`), not a broken one.
            doc = parse_document(data) if data.strip() else new_document(self.calendar_name)
        except ValueError as exc:
            raise BackendError(f"{target} is not a valid iCalendar file: {exc}", backend=self.name) from exc
        cache.digest, cache.doc, cache.items = digest, doc, None


@dataclass
class _FileCache:
    """One reminders file as last read or written by this process."""

    digest: bytes | None = None
    doc: Document = field(default_factory=Document)
    items: list[RemoteItem] | None = None  # what list() gives for ``doc``
    parsed: dict[str, Listed] = field(default_factory=dict)  # etag -> (start, hashes)


_CACHES: dict[Path, _FileCache] = {}


def _cache(target: Path) -> _FileCache:
    return _CACHES.setdefault(target, _FileCache())


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class _Batch:
    """Writes applied to one parsed document, with an index by UID, so a batch costs one pass over the file
    whatever its size. Blocks are tracked by identity: a VTIMEZONE inserted on the way shifts positions."""

    def __init__(self, sink: IcsReminderSink, doc: Document) -> None:
        self.sink, self.doc = sink, doc
        self.index: dict[str, Block] = {}  # the current block of each UID
        for block in doc.blocks:
            if block.name == "VEVENT" and block.uid is not None:
                self.index.setdefault(block.uid, block)  # two copies: the first is the one we manage
        self.original = {uid: id(block) for uid, block in self.index.items()}
        self.replaced: dict[int, Block] = {}  # id of a block of the file -> its new version
        self.gone: set[int] = set()  # ids of blocks of the file deleted
        self.added: dict[str, Block] = {}  # new blocks by UID, in order
        self.written: list[Block] = []  # every block rendered (created or updated)

    def apply(self, writes: Sequence[Write]) -> _Results:
        results: _Results = []
        for w in writes:
            try:
                results.append(self._one(w))
            except PreconditionFailed as exc:
                results.append(exc)
        blocks = [self.replaced.get(id(b), b) for b in self.doc.blocks if id(b) not in self.gone]
        self.doc.blocks[:] = blocks + list(self.added.values())
        return results

    def _one(self, w: Write) -> WriteResult:
        name, path = self.sink.name, self.sink.path
        if w.op == "create":
            reminder = _reminder(w)
            uid = marker_uid(reminder.key)
            if uid in self.index:
                raise PreconditionFailed("reminder already exists", backend=name, href=uid)
            log.info("Creating reminder %s in %s", reminder.key, path)
            block = self.sink._render(reminder)
            self.index[uid] = self.added[uid] = block
            self.written.append(block)
            return RemoteItem(key=reminder.key, href=uid, etag=block.etag(), start=reminder.start)
        href, etag = w.href or "", w.etag or ""
        self._checked(href, etag)
        if w.op == "update":
            reminder = _reminder(w)
            log.info("Updating reminder %s in %s", reminder.key, path)
            block = self.sink._render(reminder)
            if href in self.added:
                self.added[href] = block
            else:
                self.replaced[self.original[href]] = block
            self.written.append(block)
            self.index[href] = block
            return RemoteItem(key=reminder.key, href=href, etag=block.etag(), start=reminder.start)
        log.info("Deleting reminder %s from %s", key_from_uid(href), path)
        if href in self.added:
            del self.added[href]
        else:
            self.gone.add(self.original[href])
        del self.index[href]
        return None

    def _checked(self, href: str, etag: str) -> Block:
        name = self.sink.name
        if key_from_uid(href) is None:
            raise PreconditionFailed("not a followup-sync reminder", backend=name, href=href)
        block = self.index.get(href)
        if block is None:
            raise PreconditionFailed("reminder is gone", backend=name, href=href)
        if block.etag() != etag:
            raise PreconditionFailed("reminder was changed (etag mismatch)", backend=name, href=href)
        return block


def _reminder(w: Write) -> Reminder:
    if w.reminder is None:
        raise ValueError(f"{w.op} of {w.key} has no reminder")
    return w.reminder


def _single(results: _Results) -> RemoteItem:
    [result] = results
    if isinstance(result, BackendError):
        raise result
    if result is None:
        raise TypeError("a create or update gave no item")
    return result
