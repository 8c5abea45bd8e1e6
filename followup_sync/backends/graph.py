"""Microsoft 365 through Microsoft Graph (O365 library): mail and meetings in, reminders out to Outlook.

Like vdirsyncer's ``dav.py`` this module is longer than most: three backends share one connection, one
error boundary (``credentials.map_errors``) and one pager.

Mail is read per folder with Graph *delta queries* (O365 has none; they go through the library's connection).
The sync pass asks for ``messages(start, end)`` with a window that overlaps the previous pass; the pass
de-duplicates by id and keeps what it read as metadata, so after the first full round each folder only needs
the messages *changed* since the last deltaLink. A deltaLink is only trusted once the pass that produced it is
known to have succeeded; we infer that from the next call (see :class:`DeltaState`), so a failed pass is read
again rather than lost.

Reminders are events carrying two single-value extended properties: a constant MARKER that ``list()`` filters
on (Graph filters extended properties by id *and* value) and the KEY itself. O365's ``Event`` hard-codes its
extended properties, so :class:`TaggedEvent` adds ours (notes/o365.md §4.2). Creation is idempotent through
``transactionId`` (derived from key and content); updates and deletes are conditional on ``@odata.etag``.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from O365.calendar import Event, Schedule

from followup_sync.config import BackendSection, Config
from followup_sync.credentials import close_account, make_account, map_errors
from followup_sync.errors import ConfigError, PreconditionFailed
from followup_sync.model import KEPT_HEADERS as MODEL_KEPT_HEADERS
from followup_sync.model import Meeting, Message, Reminder, RemoteItem, synthetic_message_id

log = logging.getLogger(__name__)

_GUID = "{5d1e3f1c-7a8b-4c1e-9f2a-6b0d3e8c4a71}"  # ours, fixed forever: changing it orphans every reminder
MARKER_PROP = f"String {_GUID} Name FollowUpSyncMarker"
KEY_PROP = f"String {_GUID} Name FollowUpSyncKey"
MARKER_VALUE = "followup-sync"
_TXN_NAMESPACE = uuid.UUID("0b6c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d")

PAGE = 1000  # Graph's maximum $top for messages and events; also what we ask delta for (odata.maxpagesize)
FOLDER_CACHE = timedelta(hours=24)  # new folders are picked up within a day
SKIP_FOLDERS = ("deleteditems", "junkemail", "drafts", "outbox", "conversationhistory", "syncissues")
MESSAGE_FIELDS = (
    "id,internetMessageId,conversationId,from,sender,toRecipients,ccRecipients,bccRecipients,subject,"
    "sentDateTime,receivedDateTime,body,hasAttachments,internetMessageHeaders,webLink"
)
EVENT_FIELDS = "id,iCalUId,subject,start,end,organizer,attendees,isCancelled,webLink,type,originalStart"
# Graph gives no In-Reply-To/References fields of their own: they come with the other headers.
KEPT_HEADERS = frozenset({*MODEL_KEPT_HEADERS, "in-reply-to", "references"})
UTC_PREFER = 'outlook.timezone="UTC"'


class _Graph:
    """What the three backends share: the O365 account, the service URL and paging through nextLinks."""

    name = "graph"

    def __init__(self, account: Any) -> None:
        self.account = account
        self.con = account.con
        self.url = account.protocol.service_url  # e.g. https://graph.microsoft.com/v1.0/

    def _get(self, url: str, params: Mapping[str, Any] | None = None, prefer: str | None = None) -> dict[str, Any]:
        headers = {"Prefer": prefer} if prefer else {}
        data: dict[str, Any] = self.con.get(url, params=dict(params or {}), headers=headers).json()
        return data

    def _pages(self, url: str, params: Mapping[str, Any], prefer: str | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a collection; yields ``{"@odata.deltaLink": ...}`` last when Graph sends one."""
        data = self._get(url, params, prefer)
        while True:
            yield from data.get("value", [])
            next_link = data.get("@odata.nextLink")
            if not next_link:
                if "@odata.deltaLink" in data:
                    yield {"@odata.deltaLink": data["@odata.deltaLink"]}
                return
            data = self._get(next_link, None, prefer)  # absolute link; it carries the query already

    def _calendar_base(self, calendar: str | None) -> str:
        if calendar is None:
            return f"{self.url}me/calendar/"
        for cal in self._pages(f"{self.url}me/calendars", {"$select": "id,name", "$top": 100}):
            if str(cal.get("name", "")).lower() == calendar.lower():
                return f"{self.url}me/calendars/{cal['id']}/"
        raise ConfigError(f"no calendar named {calendar!r} in this Microsoft 365 account")

    def close(self) -> None:
        close_account(self.account)


def _options(section: BackendSection, allowed: Mapping[str, type]) -> dict[str, Any]:
    problems = []
    for key, value in section.options.items():
        if key not in allowed:
            names = ", ".join(sorted(allowed)) or "none"
            problems.append(f"[{section.role}] {key}: unknown option for backend graph; allowed: {names}")
        elif not isinstance(value, allowed[key]):
            problems.append(f"[{section.role}] {key}: must be a {allowed[key].__name__}")
    if problems:
        raise ConfigError(f"invalid [{section.role}] options", problems=problems)
    return dict(section.options)


# --- mail --------------------------------------------------------------------------------------------------


@dataclass
class DeltaState:
    """deltaLinks per folder, kept in a small 0600 JSON file next to the state DB (ids and links, no mail).

    ``committed`` links are trusted; ``pending`` ones come from the last call, made with window start
    ``pending_start``. The next call decides: a *later* start means the pass that read them succeeded (the sync
    pass moves its window only after a good pass) so pending becomes committed; the *same* start means that
    pass failed or was a dry run, so pending is dropped and its changes are read again; an *earlier* start
    (lookback raised) means nothing can be trusted and every folder is read in full. A window as long as the
    look-back is the pass starting afresh (first pass, lost state DB) and is read in full as well.
    """

    path: Path
    committed: dict[str, dict[str, str]] = field(default_factory=dict)  # folder id -> {link, start}
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    pending_start: str | None = None
    folders: dict[str, str] = field(default_factory=dict)  # folder id -> display path
    folders_at: str | None = None

    @classmethod
    def load(cls, path: Path) -> DeltaState:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(path=path, **{k: raw[k] for k in raw if k in cls.__dataclass_fields__ and k != "path"})
        except FileNotFoundError:
            return cls(path=path)
        except (ValueError, TypeError, OSError) as exc:
            log.warning("Ignoring unreadable Graph delta state %s (%s); reading mail in full", path, exc)
            return cls(path=path)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        data = {k: v for k, v in self.__dict__.items() if k != "path"}
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        tmp.replace(self.path)

    def begin(self, start: datetime, *, full: bool = False) -> None:
        """Settle the last call's links (see the class docstring); ``full`` forgets every link."""
        iso = start.isoformat()
        if full:
            self.committed, self.pending = {}, {}
        if self.pending_start is not None and self.pending:
            if iso > self.pending_start:
                self.committed.update(self.pending)
            elif iso < self.pending_start:
                self.committed.clear()
        self.pending, self.pending_start = {}, iso
        # a chain that began after `start` has never yielded the older part of this window
        self.committed = {f: c for f, c in self.committed.items() if c["start"] <= iso}


class GraphMailSource(_Graph):
    """Sent Items, Inbox and every other folder replies may be filed in (not Deleted, Junk, Drafts, Outbox)."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = _options(section, {"folders": list, "delta": bool})
        folders = opts.get("folders")
        if folders is not None and not all(isinstance(f, str) and f for f in folders):
            raise ConfigError(
                "invalid [mail] options", problems=["[mail] folders: must be a list of folder names"]
            )
        return cls(
            make_account(config),
            state_file=config.state_path.parent / "graph-delta.json",
            folders=folders,
            use_delta=bool(opts.get("delta", True)) and config.graph.cloud != "china",  # no delta in 21Vianet
            lookback=timedelta(days=config.rules.lookback_days),
        )

    def __init__(
        self,
        account: Any,
        *,
        state_file: Path,
        folders: list[str] | None = None,
        use_delta: bool = True,
        lookback: timedelta | None = None,
    ) -> None:
        """``lookback``: a window this long is the sync pass starting afresh (first pass, or its state DB was
        lost): read it in full, since the pass no longer knows what earlier delta rounds delivered."""
        super().__init__(account)
        self.state_file = state_file
        self.folder_names = folders
        self.use_delta = use_delta
        self.lookback = lookback
        self.skipped = 0

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        state = DeltaState.load(self.state_file)
        state.begin(start, full=self.lookback is not None and end - start >= self.lookback)
        with map_errors(self.name):
            folders = self._folders(state, now=end)
        for fid, path in folders.items():
            yield from self._folder(state, fid, path, start, end)
        state.save()

    def _folder(self, state: DeltaState, fid: str, path: str, start: datetime, end: datetime) -> Iterator[Message]:
        link = state.committed.get(fid, {}).get("link") if self.use_delta else None
        future = False
        with map_errors(self.name):
            try:
                if link is not None:
                    try:
                        items = list(self._changes(fid, start, link))
                    except requests.HTTPError as exc:
                        if _status(exc) not in (404, 410):
                            raise
                        log.info("Graph delta state for folder %s expired; reading it in full", path)
                        state.committed.pop(fid, None)
                        link = None
                if link is None:
                    items = list(self._changes(fid, start, None))
            except requests.HTTPError as exc:
                if _status(exc) != 404:
                    raise
                log.warning("Mail folder %s is gone; listing the folders again at the next pass", path)
                state.folders_at = None
                return
        for item in items:
            if "@odata.deltaLink" in item:
                if not future:
                    state.pending[fid] = {"link": item["@odata.deltaLink"], "start": state.pending_start or ""}
                continue
            if "@removed" in item:
                continue
            msg = parse_message(item, folder=path)
            if msg is None:
                self.skipped += 1
                continue
            if msg.sent_at >= end:
                future = True  # not in this window; keep the old link so the next pass sees it again
            elif msg.sent_at >= start:
                yield msg

    def _changes(self, fid: str, start: datetime, link: str | None) -> Iterator[dict[str, Any]]:
        if link:
            return self._pages(link, {}, f"odata.maxpagesize={PAGE}")
        since = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"$select": MESSAGE_FIELDS, "$filter": f"receivedDateTime ge {since}"}
        if self.use_delta:
            return self._pages(
                f"{self.url}me/mailFolders/{fid}/messages/delta", params, f"odata.maxpagesize={PAGE}"
            )
        return self._pages(f"{self.url}me/mailFolders/{fid}/messages", {**params, "$top": PAGE})

    def _folders(self, state: DeltaState, *, now: datetime) -> dict[str, str]:
        fresh = state.folders_at and now - datetime.fromisoformat(state.folders_at) < FOLDER_CACHE
        if not (fresh and state.folders):
            state.folders, state.folders_at = self._list_folders(), now.isoformat()
        if self.folder_names is None:
            return state.folders
        wanted = {n.lower() for n in self.folder_names}
        chosen = {
            f: p for f, p in state.folders.items() if p.lower() in wanted or p.split("/")[-1].lower() in wanted
        }
        for name in wanted:  # well-known names such as "sentitems" resolve through Graph itself
            if not any(name in (p.lower(), p.split("/")[-1].lower()) for p in chosen.values()):
                try:
                    folder = self._get(f"{self.url}me/mailFolders/{name}", {"$select": "id,displayName"})
                except requests.HTTPError as exc:
                    if _status(exc) not in (400, 404):
                        raise
                    raise ConfigError(f"[mail] folders: no mail folder named {name!r} in this account") from None
                chosen[folder["id"]] = str(folder.get("displayName", name))
        return chosen

    def _list_folders(self) -> dict[str, str]:
        skip = set()
        for wk in SKIP_FOLDERS:
            try:
                skip.add(self._get(f"{self.url}me/mailFolders/{wk}", {"$select": "id"})["id"])
            except requests.HTTPError as exc:  # not every mailbox has every well-known folder
                if exc.response is None or exc.response.status_code != 404:
                    raise
        out: dict[str, str] = {}
        todo: list[tuple[str, str]] = [(f"{self.url}me/mailFolders", "")]
        while todo:
            url, prefix = todo.pop()
            for f in self._pages(url, {"$top": 250, "$select": "id,displayName,childFolderCount"}):
                if f["id"] in skip:
                    continue
                path = f"{prefix}{f.get('displayName', '')}"
                out[f["id"]] = path
                if f.get("childFolderCount"):
                    todo.append((f"{self.url}me/mailFolders/{f['id']}/childFolders", path + "/"))
        return out


def _address(value: Any) -> str:
    try:
        return str(value["emailAddress"]["address"] or "").strip().lower()
    except (KeyError, TypeError):
        return ""


def _ids(value: str) -> tuple[str, ...]:
    return tuple(p.strip("<>").lower() for p in value.split() if p.strip("<>"))


def parse_time(value: str) -> datetime:
    """Graph's ``2026-11-24T09:00:00Z`` or, in event times, ``2026-11-24T09:00:00.0000000`` (UTC when asked)."""
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_message(item: Mapping[str, Any], *, folder: str = "") -> Message | None:
    """A Graph message as our Message; None (and one WARNING, no body) when it cannot be used."""
    gid = str(item.get("id", "?"))
    try:
        sender = _address(item.get("from")) or _address(item.get("sender"))
        when = item.get("sentDateTime") or item.get("receivedDateTime")
        if not sender or not when:
            raise ValueError("no sender" if not sender else "no date")
        sent_at = parse_time(str(when))
        subject = str(item.get("subject") or "")
        headers = tuple(
            (str(h["name"]).lower(), str(h["value"]))
            for h in item.get("internetMessageHeaders") or []
            if str(h.get("name", "")).lower() in KEPT_HEADERS
        )
        imid = str(item.get("internetMessageId") or "").strip().strip("<>").lower()
        if not imid:
            imid = synthetic_message_id(sent_at, sender, subject)
        body = item.get("body") or {}
        in_reply_to = dict(headers).get("in-reply-to")
        return Message(
            id=imid,
            sender=sender,
            sender_name=str((item.get("from") or {}).get("emailAddress", {}).get("name") or ""),
            to=tuple(a for a in map(_address, item.get("toRecipients") or []) if a),
            cc=tuple(a for a in map(_address, item.get("ccRecipients") or []) if a),
            bcc=tuple(a for a in map(_address, item.get("bccRecipients") or []) if a),
            subject=subject,
            sent_at=sent_at,
            body=str(body.get("content") or ""),
            body_is_html=str(body.get("contentType", "text")).lower() == "html",
            in_reply_to=_ids(in_reply_to)[0] if in_reply_to and _ids(in_reply_to) else None,
            references=_ids(dict(headers).get("references", "")),
            conversation_id=item.get("conversationId") or None,
            headers=tuple(h for h in headers if h[0] not in ("in-reply-to", "references")),
            folder=folder,
            link=item.get("webLink") or None,
        )
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        log.warning("Skipping Graph message %s: %s", gid, exc)
        return None


# --- meetings ----------------------------------------------------------------------------------------------


class GraphMeetingSource(_Graph):
    """Occurrences from calendarView (recurrences expanded by Graph); our own reminders are left out."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = _options(section, {"calendar": str})
        return cls(make_account(config), calendar=opts.get("calendar"))

    def __init__(self, account: Any, *, calendar: str | None = None) -> None:
        super().__init__(account)
        self.calendar = calendar
        self._base: str | None = None

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        with map_errors(self.name):
            self._base = self._base or self._calendar_base(self.calendar)
            params = {
                "startDateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endDateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "$select": EVENT_FIELDS,
                "$top": PAGE,
                "$expand": f"singleValueExtendedProperties($filter=id eq '{MARKER_PROP}')",
            }
            items = list(self._pages(f"{self._base}calendarView", params, UTC_PREFER))
        for item in items:
            if item.get("singleValueExtendedProperties"):
                continue  # one of our reminders
            meeting = parse_meeting(item)
            if meeting is not None:
                yield meeting


def parse_meeting(item: Mapping[str, Any]) -> Meeting | None:
    try:
        uid = str(item.get("iCalUId") or item["id"])
        if item.get("type") in ("occurrence", "exception") and item.get("originalStart"):
            uid = f"{uid}/{parse_time(str(item['originalStart'])).strftime('%Y%m%dT%H%M%SZ')}"
        attendees = tuple(
            a for a in (_address(x) for x in item.get("attendees") or [] if x.get("type") != "resource") if a
        )
        return Meeting(
            uid=uid,
            subject=str(item.get("subject") or ""),
            start=parse_time(item["start"]["dateTime"]),
            end=parse_time(item["end"]["dateTime"]),
            organizer=_address(item.get("organizer")),
            attendees=attendees,
            cancelled=bool(item.get("isCancelled")),
            link=item.get("webLink") or None,
        )
    except (ValueError, TypeError, KeyError) as exc:
        log.warning("Skipping Graph event %s: %s", item.get("id", "?"), exc)
        return None


# --- reminders ---------------------------------------------------------------------------------------------


class TaggedEvent(Event):  # type: ignore[misc]
    """O365's Event plus our two extended properties (``Event.to_api_data`` hard-codes its own list)."""

    def __init__(self, *args: Any, followup_key: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.followup_key = followup_key

    def to_api_data(self, restrict_keys: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = super().to_api_data(restrict_keys=restrict_keys)
        if self.followup_key is not None and (
            not restrict_keys or "singleValueExtendedProperties" in restrict_keys
        ):
            data.setdefault("singleValueExtendedProperties", []).extend(
                [{"id": MARKER_PROP, "value": MARKER_VALUE}, {"id": KEY_PROP, "value": self.followup_key}]
            )
        return data


_WRITTEN = (
    "subject",
    "body",
    "start",
    "end",
    "categories",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "showAs",
)


class GraphReminderSink(_Graph):
    """Reminders as Outlook appointments: free/busy "free", an Outlook reminder, no attendees, our MARKER."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = _options(section, {"calendar": str})
        return cls(
            make_account(config), calendar=opts.get("calendar"), reminder_minutes=config.schedule.reminder_minutes
        )

    def __init__(self, account: Any, *, calendar: str | None = None, reminder_minutes: int = 15) -> None:
        super().__init__(account)
        self.calendar = calendar
        self.reminder_minutes = reminder_minutes
        self.schedule = Schedule(parent=account)
        self._base: str | None = None
        # key -> href as of the last list() plus our own writes since: the sync pass lists before it creates,
        # so create() need not ask Graph again whether the key exists (it would double the first pass)
        self._known: dict[str, str] | None = None

    @property
    def where(self) -> str:
        return f"Outlook calendar {self.calendar!r}" if self.calendar else "the Outlook calendar"

    def _events(self) -> str:
        self._base = self._base or self._calendar_base(self.calendar)
        return f"{self._base}events"

    def _query(self, flt: str) -> Iterator[dict[str, Any]]:
        params = {
            "$filter": flt,
            "$expand": f"singleValueExtendedProperties($filter=id eq '{KEY_PROP}')",
            "$select": "id,start,end,subject",
            "$top": PAGE,
        }
        return self._pages(self._events(), params, UTC_PREFER)

    def list(self) -> Iterator[RemoteItem]:
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{MARKER_PROP}' and ep/value eq '{MARKER_VALUE}')"
        with map_errors(self.name):
            items = [i for i in map(_remote, self._query(flt)) if i is not None]
        self._known = {i.key: i.href for i in items}
        yield from items

    def _find(self, key: str) -> str | None:
        """The href of our event for ``key``: from the last full listing if there was one, else asked for."""
        if self._known is not None:
            return self._known.get(key)
        flt = f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROP}' and ep/value eq '{key}')"
        found = [r for r in map(_remote, self._query(flt)) if r is not None and r.key == key]
        return found[0].href if found else None

    def _event(self, reminder: Reminder, *, key: str | None) -> TaggedEvent:
        try:
            zone = ZoneInfo(reminder.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")  # O365 accepts only ZoneInfo (notes §4.1)
        ev = TaggedEvent(parent=self.schedule, subject=reminder.subject, followup_key=key)
        body = reminder.body
        if reminder.link and reminder.link not in body:
            body = f"{body}\n\nOpen the message: {reminder.link}"
        ev.body_type = "text"
        ev.body = body
        ev.start = reminder.start.astimezone(zone)
        ev.end = reminder.end.astimezone(zone)
        ev.is_reminder_on = True
        ev.remind_before_minutes = self.reminder_minutes
        ev.show_as = "free"
        ev.categories = list(reminder.categories)
        ev.response_requested = False
        return ev

    def create(self, reminder: Reminder) -> RemoteItem:
        with map_errors(self.name):
            existing = self._find(reminder.key)
            if existing is not None:
                raise PreconditionFailed("reminder already exists", backend=self.name, href=existing)
            log.info("Creating reminder %s in %s", reminder.key, self.where)
            ev = self._event(reminder, key=reminder.key)
            # same key and content -> same transactionId: a POST retried after a timeout cannot duplicate
            ev.transaction_id = str(uuid.uuid5(_TXN_NAMESPACE, f"{reminder.key}\0{reminder.content_hash()}"))
            data = self.con.post(self._events(), data=ev.to_api_data(), headers={"Prefer": UTC_PREFER}).json()
        item = _created(data, reminder)
        if self._known is not None:
            self._known[item.key] = item.href
        return item

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        log.info("Updating reminder %s in %s", reminder.key, self.where)
        url = f"{self.url}me/events/{href}"
        payload = self._event(reminder, key=None).to_api_data(restrict_keys=set(_WRITTEN))
        with map_errors(self.name, href=href):
            try:
                resp = self.con.patch(url, data=payload, headers={"If-Match": etag, "Prefer": UTC_PREFER})
            except requests.HTTPError as exc:
                if _status(exc) != 412 or not self.con.uncertain:
                    raise
                # an earlier attempt may have been applied before its answer was lost: is it our content?
                current = self._get(url, {"$select": "id,subject,start,end"}, UTC_PREFER)
                if current.get("subject") != reminder.subject or _start(current) != reminder.start:
                    raise
                return RemoteItem(key=reminder.key, href=href, etag=current["@odata.etag"], start=reminder.start)
            data = resp.json()
        return RemoteItem(
            key=reminder.key, href=href, etag=data["@odata.etag"], start=_start(data) or reminder.start
        )

    def delete(self, href: str, etag: str) -> None:
        key = next((k for k, h in (self._known or {}).items() if h == href), href)
        log.info("Deleting reminder %s from %s", key, self.where)
        with map_errors(self.name, href=href):
            try:
                self.con.delete(f"{self.url}me/events/{href}", headers={"If-Match": etag})
            except requests.HTTPError as exc:
                if _status(exc) != 404 or not self.con.uncertain:
                    raise
                # our first attempt went through; its answer was lost
        if self._known is not None:
            self._known = {k: h for k, h in self._known.items() if h != href}


def _status(exc: requests.HTTPError) -> int:
    return exc.response.status_code if exc.response is not None else 0


def _start(item: Mapping[str, Any]) -> datetime | None:
    try:
        return parse_time(item["start"]["dateTime"])
    except (KeyError, TypeError, ValueError):
        return None


def _remote(item: Mapping[str, Any]) -> RemoteItem | None:
    props = {p.get("id", "").lower(): p.get("value") for p in item.get("singleValueExtendedProperties") or []}
    key = props.get(KEY_PROP.lower())
    if not key or "@odata.etag" not in item:
        log.warning("Skipping Graph event %s: marked as ours but without a key", item.get("id", "?"))
        return None
    return RemoteItem(key=str(key), href=str(item["id"]), etag=str(item["@odata.etag"]), start=_start(item))


def _created(data: Mapping[str, Any], reminder: Reminder) -> RemoteItem:
    return RemoteItem(
        key=reminder.key, href=str(data["id"]), etag=str(data["@odata.etag"]), start=_start(data) or reminder.start
    )
