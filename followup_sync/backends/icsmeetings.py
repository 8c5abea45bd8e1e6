"""Meetings out of iCalendar data anyone may have written: .ics exports and CalDAV items.

A calendar file is untrusted input (an invitation from outside lands in it), so it is read one top-level
component at a time and every step is bounded. One bad component is skipped with one log line that names
it (kind, UID or TZID, never its content); the rest of the file is read. The limits, and why:

- A file (or CalDAV item) over ``MAX_BYTES`` is refused as a whole; a component deeper than ``MAX_DEPTH``
  (5,000 nested VEVENTs made icalendar and recurring-ical-events quadratic: 278 s, 2.4 GB), longer than
  ``MAX_LINES`` content lines, or with more than ``MAX_DATES`` RDATE/EXDATE values is skipped unparsed.
  Only VEVENTs and the VTIMEZONEs they need are parsed; a VTODO or VJOURNAL is never read at all.
- A meeting recurs at most daily: RRULE FREQ=SECONDLY, MINUTELY or HOURLY, and INTERVAL=0 (which makes
  dateutil repeat one date for ever), skip the series before anything is expanded.
- Recurrences are expanded by recurring-ical-events only inside the window, at most ``MAX_OCCURRENCES`` per
  series, within ``SERIES_SECONDS`` of CPU per series and ``FILE_SECONDS`` per file (or CalDAV pass).
  Neither library has a limit of its own, and dateutil's rrule loops without yielding when a rule can never
  match (Feb 30, an impossible BYSETPOS: 1 to 35 s each, measured) or starts in 1900; the only way to stop
  such a loop in-process is a trace function that raises once the budget is spent (:func:`cpu_limit`).
  It checks the clock every 64 Python calls and runs only while one series is read.

Time zones, resolved here rather than by icalendar's process-wide cache (where the first file to define a
TZID would decide it for every later file): an IANA name is the IANA zone; an Outlook/Windows name ("Eastern
Standard Time") maps through CLDR's windowsZones table, which icalendar ships (``WINDOWS_TO_OLSON``); a
"/vendor/.../Area/City" id is its IANA tail; anything else comes from the file's own VTIMEZONE, built
without touching that cache. Floating times (no TZID, no Z) are the rep's wall clock, as RFC 5545 means them,
even in a file that names a calendar zone (X-WR-TIMEZONE); that zone only decides how a series written in
UTC recurs (Google's exports), through the x-wr-timezone library that recurring-ical-events depends on.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from types import FrameType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import x_wr_timezone
from icalendar.prop import vDDDLists, vDDDTypes
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from followup_sync.model import Meeting

log = logging.getLogger(__name__)

MAX_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 4  # VEVENT > VALARM is 2; RFC 9073's PARTICIPANT > VLOCATION inside a VEVENT is 3
MAX_LINES = 5_000
MAX_DATES = 1_000
MAX_OCCURRENCES = 1_000
MAX_SLOW_SERIES = 3
SERIES_SECONDS = 0.5
FILE_SECONDS = 10.0
MEETING_FREQS = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})

_CANCELLED_PREFIXES = ("canceled:", "cancelled:")
_KINDS = {"VEVENT": "event", "VTIMEZONE": "time zone", "VTODO": "task"}
_DATE_PROPS = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE")
_T = TypeVar("_T")


class Unreadable(Exception):
    """A component we skip; the message says why in words fit for the log (never the content)."""


class OverBudget(Unreadable):
    """Reading one series or one file took more CPU time than allowed."""


# --- CPU limit -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`OverBudget` inside the block once it has used ``seconds`` of this thread's CPU time.

    CPU time, not wall time, so a loaded machine does not make a normal calendar look hostile. The trace
    function only sees Python function calls (it returns None, so no line events), and a debugger's or
    coverage's tracer is put back afterwards.
    """
    limit = time.thread_time() + seconds
    previous = sys.gettrace()
    calls = 0

    def tracer(frame: FrameType, event: str, arg: object) -> None:
        nonlocal calls
        calls += 1
        if not calls & 63 and time.thread_time() > limit:
            raise OverBudget(f"took more than {seconds:g} s to read")

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)


class FileBudgetSpent(OverBudget):
    """The whole file (or CalDAV pass) used its budget: the step that was cut short is not to blame."""


class Budget:
    """The CPU time one file (or one CalDAV pass) may still spend; each step gets at most ``per_step``."""

    def __init__(self, seconds: float = FILE_SECONDS, *, per_step: float = SERIES_SECONDS) -> None:
        self.seconds = seconds
        self.left = seconds
        self.per_step = per_step

    def run(self, step: Callable[[], _T], *, limited: bool = True) -> _T:
        """Run ``step`` against the budget; ``limited=False`` only counts its time (for work that is linear
        in bounded input, such as parsing one component, and would only be slowed down by the limit)."""
        if self.left <= 0:
            raise FileBudgetSpent(f"reading it took more than {self.seconds:g} s")
        started = time.thread_time()
        allowed = min(self.per_step, self.left)
        try:
            if not limited:
                return step()
            with cpu_limit(allowed):
                return step()
        except OverBudget:
            if allowed < self.per_step:
                raise FileBudgetSpent(f"reading it took more than {self.seconds:g} s") from None
            raise
        finally:
            self.left -= time.thread_time() - started


# --- splitting a file into components ------------------------------------------------------------------


@dataclass
class Raw:
    """One top-level component as unfolded content lines, or the reason it cannot be read.

    A component with a ``problem`` keeps no content, only the lines that name it (UID, TZID).
    """

    name: str
    number: int  # its place among the file's components, for log lines
    lines: list[str] = field(default_factory=list)
    problem: str | None = None
    dates: int = 0

    def fail(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem
            self.lines = [line for line in self.lines[:1] + self._own(self.lines) if line]

    def label(self) -> str:
        ident = self.prop("TZID") if self.name == "VTIMEZONE" else self.prop("UID")
        kind = _KINDS.get(self.name, self.name.lower())
        return f"{kind} {_printable(ident) if ident else f'#{self.number}'}"

    def prop(self, name: str) -> str | None:
        """A property of the component itself (not of a nested VALARM)."""
        found = [line for line in self._own(self.lines) if _name(line) == name]
        return found[0].split(":", 1)[1].strip() if found and ":" in found[0] else None

    @staticmethod
    def _own(lines: list[str]) -> list[str]:
        depth, own = 0, []
        for line in lines:
            head = line[:6].upper()
            if head.startswith("BEGIN:"):
                depth += 1
            elif head.startswith("END:"):
                depth -= 1
            elif depth == 1 and _name(line) in ("UID", "TZID"):
                own.append(line)
        return own


@dataclass
class Split:
    calendar: dict[str, str]  # the VCALENDAR's own properties (METHOD, X-WR-TIMEZONE), first value wins
    components: list[Raw]


def split(data: bytes) -> Split:
    """The top-level components of a calendar, leniently: a broken component is marked, not fatal.

    Raises :class:`Unreadable` only when the data is not a calendar at all. Linear in the size of ``data``.
    """
    if len(data) > MAX_BYTES:
        raise Unreadable(f"it is larger than {MAX_BYTES // (1024 * 1024)} MB")
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    lines = _unfold(re.split(r"\r\n|\n|\r", text))
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip().upper() != "BEGIN:VCALENDAR":
        raise Unreadable("it does not start with BEGIN:VCALENDAR")
    calendar: dict[str, str] = {}
    components: list[Raw] = []
    current: Raw | None = None
    stack: list[str] = []
    for line in lines[first + 1 :]:
        upper = line.upper().rstrip()
        if not upper:
            continue
        if current is None:
            if upper.startswith("BEGIN:") and upper != "BEGIN:VCALENDAR":
                current = Raw(name=upper[6:].strip(), number=len(components) + 1, lines=[line])
                stack = [current.name]
            elif ":" in line and not upper.startswith(("BEGIN:", "END:")):
                calendar.setdefault(_name(line), line.split(":", 1)[1].strip())
            continue
        if upper == "END:VCALENDAR":  # a component cut short: keep reading after it
            current.fail(f"END:VCALENDAR comes before END:{current.name}")
            stack = []
        else:
            _add_line(current, stack, line, upper)
        if not stack:
            components.append(current)
            current = None
    if current is not None:
        current.fail(f"the file ends before END:{current.name}")
        components.append(current)
    return Split(calendar=calendar, components=components)


def _add_line(raw: Raw, stack: list[str], line: str, upper: str) -> None:
    """One more content line of ``raw``; ``stack`` is the names of the components open inside it."""
    own = len(stack) == 1
    if upper.startswith("BEGIN:"):
        stack.append(upper[6:].strip())
        if len(stack) > MAX_DEPTH:
            raw.fail(f"it nests components more than {MAX_DEPTH} deep")
    elif upper.startswith("END:"):
        name = upper[4:].strip()
        if name not in stack:
            raw.fail(f"END:{name} closes BEGIN:{stack[-1]}")
            if len(stack) == 1:  # the component's own end, misspelt: read on after it
                stack.clear()
            return
        if stack[-1] != name:
            raw.fail(f"END:{name} closes BEGIN:{stack[-1]}")
        while stack.pop() != name:
            pass
    elif own and _name(line) in ("RDATE", "EXDATE"):
        raw.dates += line.count(",") + 1
        if raw.dates > MAX_DATES:
            raw.fail(f"it lists more than {MAX_DATES} RDATE/EXDATE values")
    if raw.problem is None and len(raw.lines) >= MAX_LINES:
        raw.fail(f"it is longer than {MAX_LINES} lines")
    if raw.problem is None or (own and _name(line) in ("UID", "TZID")):
        raw.lines.append(line)


def _unfold(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def _name(line: str) -> str:
    return re.split(r"[;:]", line, maxsplit=1)[0].strip().upper()


def _printable(text: str, limit: int = 80) -> str:
    """An identifier fit for a log line: control characters replaced, length capped."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _printable(text[0], 200) if text else type(exc).__name__


# --- time zones ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def known_zone(tzid: str) -> ZoneInfo | None:
    """The IANA zone a TZID names: an IANA name, a Windows name (CLDR), or a "/vendor/.../Area/City" id."""
    clean = tzid.strip().strip('"')
    candidates = [clean, WINDOWS_TO_OLSON.get(clean, "")]
    if clean.startswith("/"):
        parts = clean.strip("/").split("/")
        candidates.extend("/".join(parts[i:]) for i in range(1, len(parts)))
    for name in candidates:
        if name and len(name) < 100:
            try:
                return ZoneInfo(name)
            except (ValueError, KeyError, OSError, TypeError):  # unknown, a folder, a path: not a zone
                continue
    return None


class Zones:
    """TZID -> tzinfo for one file: known names first, then the file's own VTIMEZONE definitions."""

    FILE_ZONE_ID = "followup-sync-file-zone"

    def __init__(self, definitions: dict[str, Raw]) -> None:
        self.definitions = definitions
        self.built: dict[str, tzinfo | Unreadable] = {}

    def get(self, tzid: str) -> tzinfo:
        zone = known_zone(tzid)
        if zone is not None:
            return zone
        if tzid not in self.built:
            try:
                self.built[tzid] = self._from_file(tzid)
            except Unreadable as exc:
                self.built[tzid] = exc
                raise
        found = self.built[tzid]
        if isinstance(found, Unreadable):
            raise Unreadable(str(found))
        return found

    def _from_file(self, tzid: str) -> tzinfo:
        raw = self.definitions.get(tzid)
        name = f"time zone {_printable(tzid)!r}"
        if raw is None:
            raise Unreadable(f"its {name} is not an IANA or Windows name, and the file does not define it")
        if raw.problem is not None:
            raise Unreadable(f"its {name} cannot be read: {raw.problem}")
        for line in raw.lines:
            if _name(line) == "RRULE" and "FREQ=YEARLY" not in line.upper().replace(" ", ""):
                raise Unreadable(f"its {name} changes offset more often than yearly")
        # Without its TZID line icalendar does not put the zone into its process-wide cache.
        lines = [line for line in raw.lines if _name(line) != "TZID"]
        try:
            component = icalendar.Timezone.from_ical("\r\n".join(lines))
            component.add("TZID", self.FILE_ZONE_ID)
            zone = tzp.create_timezone(component)
            for probe in (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12)):
                probe.replace(tzinfo=zone).utcoffset()
        except OverBudget:
            raise Unreadable(f"its {name} took too long to read") from None
        except Exception as exc:  # icalendar and dateutil raise many types on a broken definition
            raise Unreadable(f"its {name} cannot be read: {_first_line(exc)}") from None
        return zone


# --- events and series -----------------------------------------------------------------------------------


@dataclass
class Series:
    """The VEVENTs of one UID: a master and its moved occurrences, or one single event."""

    uid: str
    label: str
    events: list[icalendar.Event] = field(default_factory=list)
    calendar: icalendar.Calendar | None = None  # localized, built at first use
    skipped: bool = False
    anchor: _Anchor | None = None  # a long DAILY/WEEKLY series, fast-forwarded to each window

    @property
    def recurring(self) -> bool:
        return len(self.events) > 1 or any(
            k in e for e in self.events for k in ("RRULE", "RDATE", "RECURRENCE-ID")
        )


@dataclass
class _Anchor:
    """A DAILY or WEEKLY series without COUNT: its first start and end, and the length of one cycle.

    dateutil walks every occurrence from DTSTART, so a daily meeting since 1990 cost 0.16 s a pass. Moving
    DTSTART forward by whole cycles (INTERVAL days or weeks, on the wall clock) keeps every later occurrence
    (the weekday, the time, the INTERVAL's phase and the weeks' WKST are unchanged) and is done to at least
    one cycle before the window, so the moved DTSTART, which RFC 5545 counts as an occurrence even off the
    rule, can never fall into it. With COUNT the number of earlier occurrences matters, so those are left.
    """

    core: icalendar.Event
    start: datetime
    end: datetime | None
    length: timedelta  # of one occurrence (DTEND or DURATION)
    cycle: timedelta

    def move_before(self, window_start: datetime) -> None:
        lead = window_start - self.start - max(self.length, timedelta(0)) - self.cycle
        shift = self.cycle * (lead // self.cycle) if lead > self.cycle else timedelta(0)
        self.core["DTSTART"] = vDDDTypes(self.start + shift)
        if self.end is not None:
            self.core["DTEND"] = vDDDTypes(self.end + shift)


class MeetingCalendar:
    """One calendar file (or CalDAV item), parsed once; :meth:`meetings` expands it for a window.

    Every component that cannot be read is logged once (here, or at the first :meth:`meetings` that meets it)
    and skipped from then on; ``where`` names the file or URL in those lines.
    """

    def __init__(self, data: bytes, *, where: str, zone: ZoneInfo, budget: Budget | None = None) -> None:
        self.where = where
        self.zone = zone  # floating times are the rep's wall clock
        parts = split(data)  # Unreadable: not a calendar at all
        self.method = parts.calendar.get("METHOD", "").upper()
        self.calendar_zone = self._calendar_zone(parts.calendar.get("X-WR-TIMEZONE"))
        definitions: dict[str, Raw] = {}
        self.series: dict[str, Series] = {}
        self._stopped = False  # the file's budget ran out (logged once)
        self._slow = 0  # series skipped for taking longer than a step's budget
        self._hostile = False  # MAX_SLOW_SERIES of them: nothing more of this file version is read
        budget = budget or Budget()
        for raw in parts.components:
            if raw.name == "VTIMEZONE":
                tzid = raw.prop("TZID")
                if tzid is not None:
                    definitions.setdefault(tzid, raw)
            elif raw.name == "VEVENT":
                self._add_event(raw, budget)
        self.zones = Zones(definitions)

    def meetings(
        self, start: datetime, end: datetime, *, link: str, me: frozenset[str], budget: Budget | None = None
    ) -> list[Meeting]:
        """The meetings between ``start`` and ``end``; a meeting ``me`` declined counts as cancelled."""
        budget = budget or Budget()
        found: list[Meeting] = []
        pending = [] if self._hostile else [s for s in self.series.values() if not s.skipped]
        for n, series in enumerate(pending):
            try:
                found.extend(budget.run(functools.partial(self._occurrences, series, start, end, link, me)))
            except FileBudgetSpent as exc:
                if not self._stopped:
                    left = len(pending) - n
                    log.warning("Stopped reading %s: %s; %d events were not read", self.where, exc, left)
                self._stopped = True
                break
            except OverBudget as exc:
                self._skip(series, str(exc))
                self._slow += 1
                if self._slow >= MAX_SLOW_SERIES:
                    self._hostile = True
                    left = len(pending) - n - 1
                    log.warning(
                        "Stopped reading %s: %d events each took more than %g s; the other %d are not read",
                        self.where, self._slow, budget.per_step, left,
                    )  # fmt: skip
                    break
            except Unreadable as exc:
                self._skip(series, str(exc))
            except Exception as exc:  # recurring-ical-events and dateutil raise many types on broken rules
                self._skip(series, _first_line(exc))
        return found

    def _skip(self, series: Series, why: str) -> None:
        series.skipped = True
        log.warning("Skipping %s in %s: %s", series.label, self.where, why)

    def _calendar_zone(self, value: str | None) -> ZoneInfo | None:
        if not value:
            return None
        zone = known_zone(value)
        if zone is None:
            log.warning("Ignoring X-WR-TIMEZONE %r in %s: not a time zone name", _printable(value), self.where)
        return zone

    def _add_event(self, raw: Raw, budget: Budget) -> None:
        if raw.problem is not None:
            log.warning("Skipping %s in %s: %s", raw.label(), self.where, raw.problem)
            return
        try:
            event = budget.run(functools.partial(_parse_event, raw.lines), limited=False)
        except FileBudgetSpent:
            if not self._stopped:
                log.warning("Stopped reading %s: it took more than %g s to parse", self.where, budget.seconds)
            self._stopped = True
            return
        except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError on broken input
            log.warning("Skipping %s in %s: %s", raw.label(), self.where, _first_line(exc))
            return
        if not isinstance(event, icalendar.Event):
            log.warning("Skipping %s in %s: not a VEVENT", raw.label(), self.where)
            return
        uid = str(event.get("UID") or "").strip()
        if not uid:  # no identity of its own: one from its text, stable while the event is unchanged
            uid = "no-uid-" + hashlib.sha256("\n".join(raw.lines).encode("utf-8", "replace")).hexdigest()[:16]
        self.series.setdefault(uid, Series(uid=uid, label=raw.label())).events.append(event)

    def _occurrences(
        self, series: Series, start: datetime, end: datetime, link: str, me: frozenset[str]
    ) -> list[Meeting]:
        if series.calendar is None:
            series.calendar = self._prepared(series)
        if not series.recurring:  # most events: no need for recurring-ical-events
            event = series.events[0]
            begin, finish = _span(event)
            if not (isinstance(begin, datetime) and isinstance(finish, datetime)):
                return []  # all-day: a holiday, a trip, an out-of-office block, not a meeting
            if finish < start or begin > end:
                return []
            meeting = _meeting(event, begin, finish, series, self.method, link, me)
            return [meeting]
        if series.anchor is not None:
            series.anchor.move_before(start)
        occurrences = recurring_ical_events.of(series.calendar).between(start, end)
        if len(occurrences) > MAX_OCCURRENCES:
            raise Unreadable(f"it has more than {MAX_OCCURRENCES} occurrences in {(end - start).days} days")
        meetings = []
        for occ in occurrences:
            begin, finish = _span(occ)
            if isinstance(begin, datetime) and isinstance(finish, datetime):
                meetings.append(_meeting(occ, begin, finish, series, self.method, link, me))
        return meetings

    def _prepared(self, series: Series) -> icalendar.Calendar:
        """A calendar of this series alone, every time in a zone we chose, its rules checked."""
        calendar = icalendar.Calendar()
        for event in series.events:
            _check_rules(event)
            for name in _DATE_PROPS:
                value = event.get(name)
                if value is not None:
                    localized = [self._localized(v, name) for v in (value if isinstance(value, list) else [value])]
                    event[name] = localized if isinstance(value, list) else localized[0]
            calendar.add_component(event)
        if self.calendar_zone is not None:  # UTC times recur on the calendar's wall clock (Google's exports)
            calendar = x_wr_timezone.to_standard(calendar, timezone=self.calendar_zone)
        series.anchor = _anchor(calendar) if series.recurring else None
        return calendar

    def _localized(self, value: Any, name: str) -> vDDDTypes | vDDDLists:
        tzid = value.params.get("TZID") if hasattr(value, "params") else None
        zone = self.zones.get(str(tzid)) if tzid else None
        params = {k: v for k, v in value.params.items() if k != "TZID"}

        def moment(dt: Any) -> Any:
            if isinstance(dt, tuple):
                return tuple(moment(part) for part in dt)
            if not isinstance(dt, datetime):
                return dt  # a date, or a period's duration
            if zone is not None:
                return dt.replace(tzinfo=zone)
            return dt.replace(tzinfo=self.zone) if dt.tzinfo is None else dt

        if isinstance(value, vDDDLists):
            new: vDDDTypes | vDDDLists = vDDDLists([moment(d.dt) for d in value.dts])
        elif isinstance(value, vDDDTypes):
            new = vDDDTypes(moment(value.dt))
        else:
            raise Unreadable(f"its {name} cannot be read")
        new.params.update(params)
        return new


def _parse_event(lines: list[str]) -> icalendar.Component:
    with warnings.catch_warnings():
        # icalendar warns when it guesses a "/vendor/Area/City" TZID; we resolve every TZID ourselves
        warnings.simplefilter("ignore")
        return icalendar.Event.from_ical("\r\n".join(lines))


def _anchor(calendar: icalendar.Calendar) -> _Anchor | None:
    cores = [e for e in calendar.subcomponents if e.name == "VEVENT" and "RECURRENCE-ID" not in e]
    if len(cores) != 1 or isinstance(cores[0].get("RRULE"), list) or "RRULE" not in cores[0]:
        return None
    core: Any = cores[0]
    rule, start, end = core["RRULE"], core["DTSTART"].dt, core.get("DTEND")
    freq, interval = str(rule.get("FREQ", [""])[0]).upper(), rule.get("INTERVAL", [1])[0]
    if "COUNT" in rule or freq not in ("DAILY", "WEEKLY") or not isinstance(start, datetime):
        return None
    if start.tzinfo is None or (end is not None and not isinstance(end.dt, datetime)):
        return None
    cycle = timedelta(days=interval) if freq == "DAILY" else timedelta(weeks=interval)
    duration = core.get("DURATION")
    finish = end.dt if end is not None else None
    if finish is not None:
        length = finish - start
    elif duration is not None and isinstance(duration.dt, timedelta):
        length = duration.dt
    else:
        length = timedelta(0)
    return _Anchor(core=core, start=start, end=finish, length=length, cycle=cycle)


def _check_rules(event: icalendar.Event) -> None:
    """A meeting has a DTSTART, and its RRULE recurs at most daily and moves forward (INTERVAL >= 1)."""
    if event.get("DTSTART") is None:
        raise Unreadable("it has no DTSTART")
    value = event.get("RRULE")
    rules = value if isinstance(value, list) else [] if value is None else [value]
    if len(rules) > 3:
        raise Unreadable("it has more than 3 RRULEs")
    for rule in rules:
        if not isinstance(rule, icalendar.vRecur):
            raise Unreadable("its RRULE cannot be read")
        freq = str((rule.get("FREQ") or [""])[0]).upper()
        if freq not in MEETING_FREQS:
            raise Unreadable(f"its RRULE repeats it {freq or 'with no FREQ'}; a meeting recurs at most daily")
        interval = (rule.get("INTERVAL") or [1])[0]
        if not isinstance(interval, int) or interval < 1:
            raise Unreadable(f"its RRULE has INTERVAL={interval}")


def _span(event: icalendar.Event) -> tuple[object, object]:
    """Start and end of an event or occurrence (DTEND, else DTSTART + DURATION, else DTSTART)."""
    start: Any = event.get("DTSTART")
    end: Any = event.get("DTEND")
    duration: Any = event.get("DURATION")
    begin = start.dt
    if end is not None:
        return begin, end.dt
    if duration is not None and isinstance(duration.dt, timedelta):
        return begin, begin + duration.dt
    return begin, begin


def _meeting(
    occ: icalendar.Event,
    start: datetime,
    end: datetime,
    series: Series,
    method: str,
    link: str,
    me: frozenset[str],
) -> Meeting:
    subject = str(occ.get("SUMMARY", ""))
    uid = series.uid
    if series.recurring:
        rid = occ.get("RECURRENCE-ID")
        original = rid.dt if rid is not None and isinstance(rid.dt, datetime) else start
        uid = f"{uid}/{original.astimezone(UTC):%Y%m%dT%H%M%SZ}"
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
    begin = start.astimezone(UTC)
    return Meeting(
        uid=uid,
        subject=subject,
        start=begin,
        end=max(end.astimezone(UTC), begin),
        organizer=_address(occ.get("ORGANIZER")),
        attendees=tuple(dict.fromkeys(a for a in map(_address, attendees) if a)),
        cancelled=cancelled or declined,
        link=link,
        series=series.uid if series.recurring else None,
    )


def _address(value: object) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if "@" in text else ""
