"""Reminders as Outlook appointments, written through Microsoft Graph.

What an appointment of ours carries: subject, a plain-text body, start/end in the rep's zone, free/busy "free",
an Outlook reminder, the category, and two single-value extended properties: the constant MARKER (what
``list`` filters on; Graph filters extended properties by id *and* value) and the KEY. The KEY property's
value is ``<key>;c=<content hash>;t=<text hash>``: the :meth:`Reminder.content_hash` and the
:func:`model.text_hash` of the subject and body we wrote (items written before this format hold the bare key).
Outlook keeps extended properties untouched when the rep edits an appointment, so a listed item tells the
planner whether an unrecorded change is our own write (our content hash, item 5 of issue 9) and whether the
rep only moved it or typed into it (the text hash of what it says now against the one we wrote).

A create POSTs exactly these properties (typed as Graph's schema has them) with a ``transactionId`` derived
from key and content, so a retried POST cannot duplicate; updates PATCH the same properties with ``If-Match``.
Times go out in the Windows zone Outlook knows for the rep's IANA zone (O365's table, then CLDR's
windowsZones as tzlocal ships it), or in UTC when Windows has no such zone.

Listing, cheaply: Graph's calendarView does not expand bodies we could hash without reading every meeting's
body, so ``graph-calendar.json`` keeps, per reminder of ours, its href, etag, start/end and the text hash as
last seen (no text). A full listing by MARKER (with bodies) runs on the first pass and then once a day; in
between, the calendarView this pass reads anyway (shared with the meeting source) shows our reminders in its
range, a body is fetched only for an item whose etag changed, one that left the range is looked up by id,
and reminders outside the range are taken from the cache (a change there is seen at the next full listing,
and every write is conditional on the etag anyway). An idle pass costs no request of its own.
"""

from __future__ import annotations

import builtins
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from O365.utils.windows_tz import IANA_TO_WIN
from tzlocal.windows_tz import tz_win

from followup_sync.backends import graphbatch
from followup_sync.backends.base import Write, WriteResult
from followup_sync.backends.graphcal import (
    EXPAND_KEY,
    KEY_PROP,
    MARKER_PROP,
    MARKER_VALUE,
    CalendarAccess,
    calendar_cache,
)
from followup_sync.backends.graphcore import PAGE, UTC_PREFER, CacheStore, options, parse_time, status_of
from followup_sync.config import BackendSection, Config
from followup_sync.credentials import make_account, map_errors
from followup_sync.errors import PreconditionFailed
from followup_sync.model import Reminder, RemoteItem, text_hash

log = logging.getLogger(__name__)

_TXN_NAMESPACE = uuid.UUID("0b6c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d")
FULL_LISTING = timedelta(hours=24)
LISTED_FIELDS = "id,start,end,subject,body,categories"


# --- what we write -------------------------------------------------------------------------------------------


def windows_zone(iana: str) -> str | None:
    """The Windows zone name Outlook takes for an IANA zone, or None (then times go out in UTC).

    O365's table lacks zones added to tzdata since it was written (America/Nuuk, America/Ciudad_Juarez,
    America/Coyhaique, Pacific/Kanton); CLDR's windowsZones (tzlocal's copy) has them.
    """
    return IANA_TO_WIN.get(iana) or tz_win.get(iana)


def wire_time(moment: datetime, iana: str) -> dict[str, str]:
    """A Graph ``dateTimeTimeZone``: wall time in the rep's zone under its Windows name, else UTC."""
    name = windows_zone(iana)
    try:
        zone = ZoneInfo(iana) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        name, zone = None, ZoneInfo("UTC")
    return {"dateTime": moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": name or "UTC"}


def event_text(reminder: Reminder) -> str:
    body = reminder.body
    if reminder.link and reminder.link not in body:
        body = f"{body}\n\nOpen the message: {reminder.link}"
    return body


def key_value(reminder: Reminder) -> str:
    return f"{reminder.key};c={reminder.content_hash()};t={text_hash(reminder.subject, event_text(reminder))}"


def parse_key_value(value: str) -> tuple[str, str | None, str | None]:
    """(key, content hash, text hash) from the KEY property; the hashes are None on items of older versions."""
    key, *fields = value.split(";")
    found = dict(f.split("=", 1) for f in fields if "=" in f)
    return key, found.get("c"), found.get("t")


def event_payload(reminder: Reminder, *, minutes: int, create: bool) -> dict[str, Any]:
    """The properties a reminder needs, with the types Graph's event schema has; nothing else."""
    props = [{"id": KEY_PROP, "value": key_value(reminder)}]
    data: dict[str, Any] = {
        "subject": reminder.subject,
        "body": {"contentType": "text", "content": event_text(reminder)},
        "start": wire_time(reminder.start, reminder.timezone),
        "end": wire_time(reminder.end, reminder.timezone),
        "categories": list(reminder.categories),
        "isReminderOn": True,
        "reminderMinutesBeforeStart": minutes,
        "showAs": "free",
        "singleValueExtendedProperties": props,
    }
    if create:
        props.insert(0, {"id": MARKER_PROP, "value": MARKER_VALUE})
        data["responseRequested"] = False
        # same key and content -> same transactionId: a POST retried after a timeout cannot duplicate
        data["transactionId"] = str(uuid.uuid5(_TXN_NAMESPACE, f"{reminder.key}\0{reminder.content_hash()}"))
    return data


# --- what we list --------------------------------------------------------------------------------------------


def remote_item(item: Mapping[str, Any], *, text: str | None = None) -> RemoteItem | None:
    """A listed event of ours as a RemoteItem; ``text`` is its text hash when the body was not read."""
    props = {p.get("id", "").lower(): p.get("value") for p in item.get("singleValueExtendedProperties") or []}
    value = props.get(KEY_PROP.lower())
    if not value or "@odata.etag" not in item:
        log.warning("Skipping Graph event %s: marked as ours but without a key", item.get("id", "?"))
        return None
    key, content, written = parse_key_value(str(value))
    if text is None and "body" in item:
        text = text_hash(str(item.get("subject") or ""), str((item.get("body") or {}).get("content") or ""))
    found = item.get("categories")
    categories = tuple(map(str, found)) if isinstance(found, list) else None
    subject = str(item["subject"]) if item.get("subject") is not None else None
    return RemoteItem(key=key, href=str(item["id"]), etag=str(item["@odata.etag"]), start=_start(item),
                      content_hash=content, text_hash=text, written_text_hash=written, subject=subject,
                      categories=categories)  # fmt: skip


def _start(item: Mapping[str, Any], field: str = "start") -> datetime | None:
    try:
        return parse_time(item[field]["dateTime"])
    except (KeyError, TypeError, ValueError):
        return None


def _entry(item: RemoteItem, end: datetime | None) -> dict[str, Any]:
    """What graph-calendar.json keeps of a reminder: ids, times and hashes, never its text."""
    return {"href": item.href, "etag": item.etag, "start": _iso(item.start), "end": _iso(end),
            "content": item.content_hash, "text": item.text_hash, "written": item.written_text_hash}  # fmt: skip


def _from_entry(key: str, e: Mapping[str, Any]) -> RemoteItem:
    start = datetime.fromisoformat(e["start"]) if e.get("start") else None
    return RemoteItem(key=key, href=e["href"], etag=e["etag"], start=start, content_hash=e.get("content"),
                      text_hash=e.get("text"), written_text_hash=e.get("written"))  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


class GraphReminderSink(CalendarAccess):
    """Reminders as Outlook appointments: free/busy "free", an Outlook reminder, no attendees, our MARKER."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = options(section, {"calendar": str})
        r = config.rules
        return cls(
            make_account(config),
            calendar=opts.get("calendar"),
            reminder_minutes=config.schedule.reminder_minutes,
            cache_file=calendar_cache(config),
            view_days=(r.lookback_days, r.meeting_lookahead_days),
        )

    def __init__(
        self,
        account: Any,
        *,
        calendar: str | None = None,
        reminder_minutes: int = 15,
        cache_file: Path | CacheStore | None = None,
        view_days: tuple[int, int] = (30, 30),
        batch: bool = True,
        resource: str = "me",
    ) -> None:
        """``cache_file`` None: no listing cache, every ``list`` is a full one (tests of the sink alone).
        ``batch`` False: one request per write (``plan.apply`` then never calls :meth:`write_batch`)."""
        super().__init__(account, calendar=calendar, cache_file=cache_file, resource=resource)
        self.reminder_minutes = reminder_minutes
        self.view_days = view_days
        # plan.apply's BatchingSink hook: up to 20 writes per JSON batch (Graph's limit), see graphbatch
        self.batch_size = graphbatch.BATCH_MAX if batch else 0
        # key -> href as of the last list() plus our own writes since: the sync pass lists before it creates,
        # so create() need not ask Graph again whether the key exists (it would double the first pass)
        self._known: dict[str, str] | None = None

    @property
    def where(self) -> str:
        return f"Outlook calendar {self.calendar!r}" if self.calendar else "the Outlook calendar"

    @property
    def _memo(self) -> dict[str, dict[str, Any]]:
        memo: dict[str, dict[str, Any]] = self.cache.data.setdefault("reminders", {})
        return memo

    def _remember(self, item: RemoteItem, end: datetime | None) -> None:
        self._memo[item.key] = _entry(item, end)
        if self._known is not None:
            self._known[item.key] = item.href

    def _forget(self, href: str) -> str | None:
        key = next((k for k, e in self._memo.items() if e.get("href") == href), None)
        key = key or next((k for k, h in (self._known or {}).items() if h == href), None)
        if key is not None:
            self._memo.pop(key, None)
            if self._known is not None:
                self._known.pop(key, None)
        return key

    # ---- list -------------------------------------------------------------------------------------------
    def list(self) -> Iterator[RemoteItem]:
        now = self.now or datetime.now(UTC)
        with map_errors(self.name):
            listed_at = self.cache.data.get("listed_at")
            fresh = (
                listed_at is not None and timedelta(0) <= now - datetime.fromisoformat(listed_at) < FULL_LISTING
            )
            # "dirty": a pass wrote and did not close (killed): the cache may miss its writes, so list in full
            if self.cache.path is not None and fresh and not self.cache.data.get("dirty"):
                items = self.in_calendar(lambda base: self._incremental(base, now))
            else:
                items = self._full()
                self.cache.data["listed_at"] = now.isoformat()
        self.cache.save("reminders", "listed_at")
        self._known = {i.key: i.href for i in items}
        yield from items

    def _full(self) -> builtins.list[RemoteItem]:
        """Every event with our MARKER, bodies included (the first pass, then once a day)."""
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{MARKER_PROP}' and ep/value eq '{MARKER_VALUE}')"
        params = {"$filter": flt, "$expand": EXPAND_KEY, "$select": LISTED_FIELDS, "$top": PAGE}
        raw = self.in_calendar(lambda base: list(self._pages(f"{base}events", params, UTC_PREFER)))
        self.cache.data["reminders"] = {}
        items = []
        for ev in raw:
            item = remote_item(ev)
            if item is not None:
                items.append(item)
                self._memo[item.key] = _entry(item, _start(ev, "end"))
        return items

    def _incremental(self, base: str, now: datetime) -> builtins.list[RemoteItem]:
        """Our reminders from this pass's calendarView plus the cache (see the module docstring)."""
        lookback, lookahead = self.view_days
        low, high, events = self.view(base, now - timedelta(days=lookback), now + timedelta(days=lookahead))
        memo, out = self._memo, {}
        for ev in events:
            key = _key_of(ev)
            if key is None:
                continue  # a meeting, not ours
            seen = memo.get(key)
            if seen is not None and (seen["href"], seen["etag"]) == (ev.get("id"), ev.get("@odata.etag")):
                item = remote_item(ev, text=seen.get("text"))
                if item is not None:
                    self._memo[item.key] = _entry(item, _start(ev, "end"))
            else:
                item = self._read(str(ev["id"]))  # changed since we last saw it: its body tells what changed
            if item is not None:
                out[item.key] = item
        for key, entry in list(memo.items()):
            if key in out:
                continue
            start = datetime.fromisoformat(entry["start"]) if entry.get("start") else None
            end = datetime.fromisoformat(entry["end"]) if entry.get("end") else start
            if start is not None and end is not None and not (start < high and end > low):
                out[key] = _from_entry(key, entry)  # outside the view: as last seen
                continue
            memo.pop(key, None)
            item = self._read(entry["href"])  # it left the view: moved away, or deleted
            if item is not None:
                out[item.key] = item
        return [out[k] for k in sorted(out)]

    def _read(self, href: str) -> RemoteItem | None:
        """One event of ours with its body (for its text hash); None when it is gone."""
        params = {"$select": LISTED_FIELDS, "$expand": EXPAND_KEY}
        try:
            ev = self._get(f"{self.url}{self.me}/events/{href}", params, UTC_PREFER)
        except requests.HTTPError as exc:
            if status_of(exc) == 404:
                return None
            raise
        item = remote_item(ev)
        if item is not None:
            self._memo[item.key] = _entry(item, _start(ev, "end"))
        return item

    def _lookup_key(self, key: str) -> RemoteItem | None:
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROP}' and startswith(ep/value, '{key}'))"
        params = {"$filter": flt, "$expand": EXPAND_KEY, "$select": LISTED_FIELDS, "$top": PAGE}
        for ev in self.in_calendar(lambda base: list(self._pages(f"{base}events", params, UTC_PREFER))):
            item = remote_item(ev)
            if item is not None and item.key == key:
                self._memo[key] = _entry(item, _start(ev, "end"))
                return item
        return None

    def _find(self, key: str) -> str | None:
        """The href of our event for ``key``: from the last listing if there was one, else asked for."""
        if self._known is not None:
            return self._known.get(key)
        found = self._lookup_key(key)
        return found.href if found else None

    # ---- write ------------------------------------------------------------------------------------------
    def create(self, reminder: Reminder) -> RemoteItem:
        with map_errors(self.name):
            existing = self._find(reminder.key)
            if existing is not None:
                raise PreconditionFailed("reminder already exists", backend=self.name, href=existing)
            log.info("Creating reminder %s in %s", reminder.key, self.where)
            self._writing()
            payload = event_payload(reminder, minutes=self.reminder_minutes, create=True)
            data = self.in_calendar(
                lambda base: self.con.post(f"{base}events", data=payload, headers={"Prefer": UTC_PREFER}).json()
            )
        return self._wrote(data, reminder)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        log.info("Updating reminder %s in %s", reminder.key, self.where)
        self._writing()
        url = f"{self.url}{self.me}/events/{href}"
        payload = event_payload(reminder, minutes=self.reminder_minutes, create=False)
        with map_errors(self.name, href=href):
            try:
                resp = self.con.patch(url, data=payload, headers={"If-Match": etag, "Prefer": UTC_PREFER})
            except requests.HTTPError as exc:
                if status_of(exc) != 412 or not self.con.uncertain:
                    raise
                # an earlier attempt may have been applied before its answer was lost: is it our content?
                current = self._get(url, {"$select": LISTED_FIELDS, "$expand": EXPAND_KEY}, UTC_PREFER)
                listed = remote_item(current)
                if listed is None or listed.content_hash != reminder.content_hash():
                    raise
                return self._wrote(current, reminder)
            data = resp.json()
        return self._wrote(data, reminder)

    def delete(self, href: str, etag: str) -> None:
        key = next((k for k, e in self._memo.items() if e.get("href") == href), None) or href
        log.info("Deleting reminder %s from %s", key, self.where)
        self._writing()
        with map_errors(self.name, href=href):
            try:
                self.con.delete(f"{self.url}{self.me}/events/{href}", headers={"If-Match": etag})
            except requests.HTTPError as exc:
                if status_of(exc) != 404 or not self.con.uncertain:
                    raise
                # our first attempt went through; its answer was lost
        self._forget(href)

    def write_batch(self, writes: Sequence[Write]) -> builtins.list[WriteResult]:
        """Up to 20 writes in one ``$batch`` request (see :mod:`graphbatch`); one result per write, in order.

        Raises only when the batch request as a whole failed; then any subset of its writes may have landed,
        which the next pass reconciles like a lost answer (transactionId, our content hash, absence)."""
        if len(writes) > graphbatch.BATCH_MAX:
            raise ValueError(f"at most {graphbatch.BATCH_MAX} writes per batch, not {len(writes)}")
        results: dict[int, WriteResult] = {}
        items = []
        with map_errors(self.name):
            base = self.base()
            for n, w in enumerate(writes):
                existing = self._find(w.key) if w.op == "create" else None
                if existing is not None:
                    results[n] = PreconditionFailed("reminder already exists", backend=self.name, href=existing)
                else:
                    items.append(self._batch_item(n, w, base))
            if items:
                self._writing()
                graphbatch.send(self.con, self.url, items, backend=self.name, on_uncertain=self._recheck)
        for item, w in ((i, writes[i.index]) for i in items):
            error = graphbatch.result(item, backend=self.name)
            if error is not None:
                results[item.index] = error
                if w.op == "create" and item.status == 404 and self.calendar is not None:
                    self.cache.data.get("calendars", {}).pop(self.calendar.lower(), None)  # look it up again
            elif w.op == "delete":
                self._forget(w.href or "")
                results[item.index] = None
            else:
                results[item.index] = self._wrote(item.answer, _reminder(w))
        return [results[n] for n in range(len(writes))]

    def _batch_item(self, n: int, w: Write, base: str) -> graphbatch.Item:
        """The batch request for one write; logs the same line as the single-write methods."""
        prefix = "/" + base[len(self.url) :]  # e.g. /me/calendar/
        if w.op == "create":
            log.info("Creating reminder %s in %s", w.key, self.where)
            body = event_payload(_reminder(w), minutes=self.reminder_minutes, create=True)
            return graphbatch.Item(n, w, "POST", f"{prefix}events", body, {"Prefer": UTC_PREFER})
        conditions = {"If-Match": w.etag or "", "Prefer": UTC_PREFER}
        if w.op == "update":
            log.info("Updating reminder %s in %s", w.key, self.where)
            body = event_payload(_reminder(w), minutes=self.reminder_minutes, create=False)
            return graphbatch.Item(n, w, "PATCH", f"/{self.me}/events/{w.href}", body, conditions)
        log.info("Deleting reminder %s from %s", w.key, self.where)
        return graphbatch.Item(n, w, "DELETE", f"/{self.me}/events/{w.href}", None, conditions)

    def _recheck(self, item: graphbatch.Item) -> None:
        """After a batch request that had to be sent twice: a 404 on a delete is our first attempt having
        landed; a 412 on an update is too if the event holds our content hash."""
        w = item.write
        if w is None:
            return
        if w.op == "delete" and item.status == 404:
            item.status = 204
        elif w.op == "update" and item.status == 412 and w.href:
            current = self._get(f"{self.url}{self.me}/events/{w.href}",
                                {"$select": LISTED_FIELDS, "$expand": EXPAND_KEY}, UTC_PREFER)  # fmt: skip
            listed = remote_item(current)
            if listed is not None and listed.content_hash == _reminder(w).content_hash():
                item.status, item.answer = 200, current

    def _wrote(self, data: Mapping[str, Any], reminder: Reminder) -> RemoteItem:
        """The RemoteItem for an event we just wrote with ``reminder``, remembered in the listing cache."""
        text = text_hash(reminder.subject, event_text(reminder))
        item = RemoteItem(key=reminder.key, href=str(data["id"]), etag=str(data["@odata.etag"]),
                          start=_start(data) or reminder.start, content_hash=reminder.content_hash(),
                          text_hash=text, written_text_hash=text)  # fmt: skip
        self._remember(item, _start(data, "end") or reminder.end)
        return item

    def _writing(self) -> None:
        """Before the first write of a pass: mark the cache dirty on disk, so that a pass killed before
        :meth:`close` (which saves the writes) is followed by a full listing, not by a stale cache."""
        if not self.cache.data.get("dirty"):
            self.cache.data["dirty"] = True
            self.cache.save("dirty")

    def close(self) -> None:
        if self.cache.data.get("dirty"):
            self.cache.data["dirty"] = False
            self.cache.save("reminders", "dirty")
        super().close()


def _reminder(w: Write) -> Reminder:
    if w.reminder is None:
        raise ValueError(f"{w.op} of {w.key} without a reminder")
    return w.reminder


def _key_of(ev: Mapping[str, Any]) -> str | None:
    for p in ev.get("singleValueExtendedProperties") or []:
        if str(p.get("id", "")).lower() == KEY_PROP.lower():
            return parse_key_value(str(p.get("value", "")))[0]
    return None
