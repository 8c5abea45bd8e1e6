"""Microsoft 365 meetings, and the calendar reads the meeting source and the reminder sink share.

A named calendar (``[meetings] calendar``, ``[reminders] calendar``) is looked up once and its id kept in
``graph-calendar.json`` next to the state DB; a 404 on it (renamed, deleted) looks it up again. The meeting
source's calendarView also carries our reminders (they are marked by the KEY extended property, expanded in the
same request), so when meetings and reminders live in the same calendar an idle pass reads it once: the sink
takes the view the meeting source already fetched (``GraphBackend.shared_views``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TypeVar

import requests

from followup_sync.backends.graphcore import (
    PAGE,
    UTC_PREFER,
    CacheStore,
    GraphBackend,
    JsonCache,
    address,
    graph_time,
    options,
    parse_time,
    status_of,
)
from followup_sync.config import BackendSection, Config
from followup_sync.credentials import make_account, map_errors
from followup_sync.errors import ConfigError
from followup_sync.model import Meeting

log = logging.getLogger(__name__)

_GUID = "{5d1e3f1c-7a8b-4c1e-9f2a-6b0d3e8c4a71}"  # ours, fixed forever: changing it orphans every reminder
MARKER_PROP = f"String {_GUID} Name FollowUpSyncMarker"
KEY_PROP = f"String {_GUID} Name FollowUpSyncKey"
MARKER_VALUE = "followup-sync"
CALENDAR_CACHE = "graph-calendar.json"
EVENT_FIELDS = (
    "id,iCalUId,subject,start,end,organizer,attendees,isCancelled,webLink,type,originalStart,seriesMasterId,"
    "categories"
)
# Graph documents $expand of extended properties with one `id eq` filter; the KEY is on every reminder of ours
EXPAND_KEY = f"singleValueExtendedProperties($filter=id eq '{KEY_PROP}')"

_T = TypeVar("_T")


def calendar_cache(config: Config) -> Path:
    return config.state_path.parent / CALENDAR_CACHE


class CalendarAccess(GraphBackend):
    """A Graph backend bound to one calendar (the default one, or one named in the config)."""

    def __init__(
        self,
        account: Any,
        *,
        calendar: str | None = None,
        cache_file: Path | CacheStore | None = None,
        resource: str = "me",
    ) -> None:
        super().__init__(account, resource=resource)
        self.calendar = calendar
        self.cache = JsonCache(cache_file)

    def start_pass(self, *, now: datetime, dry_run: bool = False) -> None:
        super().start_pass(now=now, dry_run=dry_run)
        self.cache.reload()
        self.cache.read_only = dry_run or self.cache.path is None

    def base(self) -> str:
        """``.../me/calendar/`` or ``.../me/calendars/{id}/``, the id looked up once and cached."""
        if self.calendar is None:
            return f"{self.url}{self.me}/calendar/"
        ids: dict[str, str] = self.cache.data.setdefault("calendars", {})
        cid = ids.get(self.calendar.lower())
        if cid is None:
            for cal in self._pages(f"{self.url}{self.me}/calendars", {"$select": "id,name", "$top": 100}):
                if str(cal.get("name", "")).lower() == self.calendar.lower():
                    cid = ids[self.calendar.lower()] = str(cal["id"])
                    self.cache.save("calendars")
                    break
            else:
                raise ConfigError(f"no calendar named {self.calendar!r} in this Microsoft 365 account")
        return f"{self.url}{self.me}/calendars/{cid}/"

    def in_calendar(self, call: Callable[[str], _T]) -> _T:
        """``call(base)``; a 404 on a cached calendar id (renamed or deleted) looks the name up once more."""
        try:
            return call(self.base())
        except requests.HTTPError as exc:
            if status_of(exc) != 404 or self.calendar is None:
                raise
            self.cache.data.get("calendars", {}).pop(self.calendar.lower(), None)
            return call(self.base())

    def view(self, base: str, start: datetime, end: datetime) -> tuple[datetime, datetime, list[dict[str, Any]]]:
        """The calendarView of ``base`` over ``[start, end)``, or a wider one already read in this pass."""
        shared = self.shared_views().get(base)
        if shared is not None and shared["start"] <= start and shared["end"] >= end:
            return shared["start"], shared["end"], shared["items"]
        params = {
            "startDateTime": graph_time(start),
            "endDateTime": graph_time(end),
            "$select": EVENT_FIELDS,
            "$top": PAGE,
            "$expand": EXPAND_KEY,
        }
        items = list(self._pages(f"{base}calendarView", params, UTC_PREFER))
        self.shared_views()[base] = {"start": start, "end": end, "items": items}
        return start, end, items


class GraphMeetingSource(CalendarAccess):
    """Occurrences from calendarView (recurrences expanded by Graph); our own reminders are left out."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = options(section, {"calendar": str})
        return cls(make_account(config), calendar=opts.get("calendar"), cache_file=calendar_cache(config))

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        with map_errors(self.name):
            _, _, items = self.in_calendar(lambda base: self.view(base, start, end))
        for item in items:
            if item.get("singleValueExtendedProperties"):
                continue  # one of our reminders
            meeting = parse_meeting(item)
            if meeting is not None and meeting.end > start and meeting.start < end:
                yield meeting


def parse_meeting(item: Mapping[str, Any]) -> Meeting | None:
    try:
        uid = str(item.get("iCalUId") or item["id"])
        if item.get("type") in ("occurrence", "exception") and item.get("originalStart"):
            uid = f"{uid}/{parse_time(str(item['originalStart'])).strftime('%Y%m%dT%H%M%SZ')}"
        attendees = tuple(
            a for a in (address(x) for x in item.get("attendees") or [] if x.get("type") != "resource") if a
        )
        return Meeting(
            uid=uid,
            subject=str(item.get("subject") or ""),
            start=parse_time(item["start"]["dateTime"]),
            end=parse_time(item["end"]["dateTime"]),
            organizer=address(item.get("organizer")),
            attendees=attendees,
            cancelled=bool(item.get("isCancelled")),
            link=item.get("webLink") or None,
            series=str(item["seriesMasterId"]) if item.get("seriesMasterId") else None,
        )
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("Skipping Graph event %s: %s", item.get("id", "?"), exc)
        return None
