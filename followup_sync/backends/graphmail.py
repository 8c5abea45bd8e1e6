"""Microsoft 365 mail, read per folder with Graph delta queries (O365 has none; they go through its connection).

The sync pass asks for ``messages(start, end)`` with a window that overlaps the previous pass; the pass
de-duplicates by id and keeps what it read as metadata, so after the first full round each folder only needs
the messages *changed* since the last deltaLink. A deltaLink is only trusted once the pass that produced it is
known to have succeeded; we infer that from the next call (see :class:`DeltaState`), so a failed pass is read
again rather than lost. Messages stream page by page: a 50,000-message window is never held as raw JSON.

The 5,000 cap. Graph documents that "applying $filter in a delta query returns only up to 5,000 messages"
("Get incremental changes to messages in a folder"); which ones is not said. A round that returns that many is
therefore followed by one read of the folder's window with List messages and the same receivedDateTime filter
(documented without such a cap, paged by nextLink), and logged; the capped round's deltaLink is still kept, for
the changes after it. Why not the alternatives: delta's ``$filter`` takes only ``receivedDateTime ge|gt``, so it
cannot be cut into date slices with an upper bound; and an unfiltered delta returns every message the folder
has ever kept (bodies included) on the first pass and after every lost state, years of mail for one window.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

import requests

from followup_sync import people
from followup_sync.backends import graphbatch
from followup_sync.backends.graphcore import (
    PAGE,
    CacheStore,
    GraphBackend,
    JsonCache,
    address,
    graph_time,
    options,
    parse_time,
    status_of,
    store_of,
)
from followup_sync.config import BackendSection, Config
from followup_sync.credentials import make_account, map_errors
from followup_sync.errors import BackendError, ConfigError, CredentialsError
from followup_sync.model import KEPT_HEADERS as MODEL_KEPT_HEADERS
from followup_sync.model import Message, synthetic_message_id
from followup_sync.people import Person

log = logging.getLogger(__name__)

FOLDER_CACHE = timedelta(hours=24)  # new folders are picked up within a day
CONTACTS_EVERY = timedelta(hours=24)  # Outlook contacts, when turned on, are read once a day
DELTA_FILTER_CAP = 5000  # "Applying $filter in a delta query returns only up to 5,000 messages."
SKIP_FOLDERS = ("deleteditems", "junkemail", "drafts", "outbox", "conversationhistory", "syncissues")
MESSAGE_FIELDS = (
    "id,internetMessageId,conversationId,from,sender,toRecipients,ccRecipients,bccRecipients,subject,"
    "sentDateTime,receivedDateTime,body,hasAttachments,internetMessageHeaders,webLink"
)
# Graph gives no In-Reply-To/References fields of their own: they come with the other headers.
KEPT_HEADERS = frozenset({*MODEL_KEPT_HEADERS, "in-reply-to", "references"})


@dataclass
class DeltaState:
    """deltaLinks per folder, kept in a small 0600 JSON file next to the state DB (ids and links, no mail).

    ``committed`` links are trusted; ``pending`` ones come from the last call, made with window start
    ``pending_start``. The next call decides: a *later* start means the pass that read them succeeded (the sync
    pass moves its window only after a good pass) so pending becomes committed; the *same* start means that
    pass failed, so pending is dropped and its changes are read again; an *earlier* start (lookback raised)
    means nothing can be trusted and every folder is read in full. A window as long as the look-back is the
    pass starting afresh (first pass, lost state DB) and is read in full as well. A dry run (``read_only``)
    does all this in memory and never saves: it cannot commit, drop or replace what a real pass relies on.
    """

    path: Path | CacheStore
    committed: dict[str, dict[str, str]] = field(default_factory=dict)  # folder id -> {link, start}
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    pending_start: str | None = None
    folders: dict[str, str] = field(default_factory=dict)  # folder id -> display path
    folders_at: str | None = None
    read_only: bool = False

    _SAVED = ("committed", "pending", "pending_start", "folders", "folders_at")

    @classmethod
    def load(cls, path: Path | CacheStore, *, read_only: bool = False) -> DeltaState:
        try:
            text = store_of(path).read()
            if text is None:
                return cls(path=path, read_only=read_only)
            raw = json.loads(text)
            return cls(path=path, read_only=read_only, **{k: raw[k] for k in raw if k in cls._SAVED})
        except (ValueError, TypeError, OSError) as exc:
            log.warning("Ignoring unreadable Graph delta state %s (%s); reading mail in full", path, exc)
            return cls(path=path, read_only=read_only)

    def save(self) -> None:
        if self.read_only:
            return
        store_of(self.path).write(json.dumps({k: getattr(self, k) for k in self._SAVED}))

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


class GraphMailSource(GraphBackend):
    """Sent Items, Inbox and every other folder replies may be filed in (not Deleted, Junk, Drafts, Outbox)."""

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        opts = options(section, {"folders": list, "delta": bool, "contacts": bool})
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
            contacts_file=contacts_cache(config) if opts.get("contacts") else None,
            region=people.zone_region(config.identity.timezone) or "US",
        )

    def __init__(
        self,
        account: Any,
        *,
        state_file: Path | CacheStore,
        folders: list[str] | None = None,
        use_delta: bool = True,
        lookback: timedelta | None = None,
        contacts_file: Path | None = None,
        region: str = "US",
        resource: str = "me",
    ) -> None:
        """``lookback``: a window this long is the sync pass starting afresh (first pass, or its state DB was
        lost): read it in full, since the pass no longer knows what earlier delta rounds delivered."""
        super().__init__(account, resource=resource)
        self.state_file = state_file
        self.folder_names = folders
        self.use_delta = use_delta
        self.lookback = lookback
        self.skipped = 0
        self.capped = 0  # delta rounds that hit the documented 5,000 cap (each followed by a full window read)
        self.contacts_file = contacts_file  # None: the rep did not turn on [mail] contacts
        self.region = region

    def contacts(self, *, now: datetime) -> Iterator[Person]:
        """The rep's Outlook contacts (``PeopleSource``), read once a day when ``[mail] contacts = true``.

        Needs the delegated Contacts.Read permission, asked for at login only when the option is on (least
        privilege). Without it Graph answers 403: one warning, and the pass goes on without contacts."""
        if self.contacts_file is None:
            return
        cache = JsonCache(self.contacts_file)
        cache.read_only = self.dry_run  # a dry run reads them, and leaves the day's read to the real pass
        read_at = cache.data.get("read_at")
        if read_at is not None and timedelta(0) <= now - datetime.fromisoformat(read_at) < CONTACTS_EVERY:
            return
        fields = "displayName,emailAddresses,companyName,businessPhones,mobilePhone"
        try:
            with map_errors(self.name):
                items = list(self._pages(f"{self.url}{self.me}/contacts", {"$select": fields, "$top": PAGE}))
        except CredentialsError as exc:
            log.warning("Outlook contacts not read (%s); [mail] contacts needs Contacts.Read", exc)
            return
        cache.data["read_at"] = now.isoformat()
        cache.save("read_at")
        yield from contact_people(items, now=now, region=self.region)

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        state = DeltaState.load(self.state_file, read_only=self.dry_run)
        state.begin(start, full=self.lookback is not None and end - start >= self.lookback)
        with map_errors(self.name):
            folders = self._folders(state, now=end)
        for fid, path in folders.items():
            yield from self._folder(state, fid, path, start, end)
        state.save()

    def _folder(self, state: DeltaState, fid: str, path: str, start: datetime, end: datetime) -> Iterator[Message]:
        link = state.committed.get(fid, {}).get("link") if self.use_delta else None
        round_ = _Round()
        with map_errors(self.name):
            try:
                if link is not None:
                    try:
                        yield from self._read(self._changes(fid, start, link), path, start, end, round_)
                    except requests.HTTPError as exc:
                        if status_of(exc) not in (404, 410) or round_.count:
                            raise
                        log.info("Graph delta state for folder %s expired; reading it in full", path)
                        state.committed.pop(fid, None)
                        link = None
                if link is None:
                    yield from self._read(self._changes(fid, start, None), path, start, end, round_)
            except requests.HTTPError as exc:
                if status_of(exc) != 404:
                    raise
                log.warning("Mail folder %s is gone; listing the folders again at the next pass", path)
                state.folders_at = None
                return
            if self.use_delta and round_.count >= DELTA_FILTER_CAP:
                self.capped += 1
                log.info(
                    "Graph returned its documented maximum of %d messages for one delta round of folder %s; "
                    "reading the folder's window again without that limit", DELTA_FILTER_CAP, path,
                )  # fmt: skip
                # what the capped round already gave is not yielded twice
                fill = _Round(seen=round_.seen)
                yield from self._read(self._listing(fid, start, end), path, start, end, fill)
        if round_.delta_link and not round_.future:
            state.pending[fid] = {"link": round_.delta_link, "start": state.pending_start or ""}

    def _read(
        self, items: Iterator[dict[str, Any]], path: str, start: datetime, end: datetime, round_: _Round
    ) -> Iterator[Message]:
        for item in items:
            if "@odata.deltaLink" in item:
                round_.delta_link = str(item["@odata.deltaLink"])
                continue
            if "@removed" in item:
                continue
            round_.count += 1
            gid = str(item.get("id", ""))
            if gid in round_.seen:
                continue
            round_.seen.add(gid)
            msg = parse_message(item, folder=path)
            if msg is None:
                self.skipped += 1
            elif msg.sent_at >= end:
                round_.future = True  # not in this window; keep the old link so the next pass sees it again
            elif msg.sent_at >= start:
                yield msg

    def _changes(self, fid: str, start: datetime, link: str | None) -> Iterator[dict[str, Any]]:
        if link:
            return self._pages(link, {}, f"odata.maxpagesize={PAGE}")
        params = {"$select": MESSAGE_FIELDS, "$filter": f"receivedDateTime ge {graph_time(start)}"}
        if self.use_delta:
            return self._pages(
                f"{self.url}{self.me}/mailFolders/{fid}/messages/delta", params, f"odata.maxpagesize={PAGE}"
            )
        return self._pages(f"{self.url}{self.me}/mailFolders/{fid}/messages", {**params, "$top": PAGE})

    def _listing(self, fid: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        flt = f"receivedDateTime ge {graph_time(start)} and receivedDateTime lt {graph_time(end)}"
        params = {"$select": MESSAGE_FIELDS, "$filter": flt, "$orderby": "receivedDateTime desc", "$top": PAGE}
        return self._pages(f"{self.url}{self.me}/mailFolders/{fid}/messages", params)

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
                    folder = self._get(f"{self.url}{self.me}/mailFolders/{name}", {"$select": "id,displayName"})
                except requests.HTTPError as exc:
                    if status_of(exc) not in (400, 404):
                        raise
                    raise ConfigError(f"[mail] folders: no mail folder named {name!r} in this account") from None
                chosen[folder["id"]] = str(folder.get("displayName", name))
        return chosen

    def _list_folders(self) -> dict[str, str]:
        # the ids of the folders never read (Deleted Items, Junk, ...), asked in one JSON batch
        lookups = [graphbatch.Item(n, None, "GET", f"/{self.me}/mailFolders/{wk}?$select=id") for n, wk in
                   enumerate(SKIP_FOLDERS)]  # fmt: skip
        graphbatch.send(self.con, self.url, lookups, backend=self.name)
        skip = set()
        for item in lookups:
            if item.status == 404:
                continue  # not every mailbox has every well-known folder
            error = graphbatch.result(item, backend=self.name)
            if isinstance(error, BackendError):
                raise error
            skip.add(str(item.answer["id"]))
        out: dict[str, str] = {}
        todo: list[tuple[str, str]] = [(f"{self.url}{self.me}/mailFolders", "")]
        while todo:
            url, prefix = todo.pop()
            for f in self._pages(url, {"$top": 250, "$select": "id,displayName,childFolderCount"}):
                if f["id"] in skip:
                    continue
                path = f"{prefix}{f.get('displayName', '')}"
                out[f["id"]] = path
                if f.get("childFolderCount"):
                    todo.append((f"{self.url}{self.me}/mailFolders/{f['id']}/childFolders", path + "/"))
        return out


def contacts_cache(config: Config) -> Path:
    return config.state_path.parent / "graph-contacts.json"


def contact_people(items: list[dict[str, Any]], *, now: datetime, region: str) -> Iterator[Person]:
    """Outlook contacts as ``people.Person`` rows (source "contacts"), one per e-mail address of each."""
    for item in items:
        name = people.display_name(str(item.get("displayName") or ""))
        company = str(item.get("companyName") or "").strip()[: people.COMPANY_MAX]
        numbers = [str(item.get("mobilePhone") or ""), *map(str, item.get("businessPhones") or [])]
        for entry in item.get("emailAddresses") or []:
            addr = str((entry or {}).get("address") or "").strip().lower()
            if "@" not in addr:
                continue
            where = people.region_of(people.domain_of(addr), region)
            phone = next((p for p in (people.phone_in_signature(n, region=where) for n in numbers if n) if p), "")
            if name or company or phone:
                yield Person(addr, name=name, company=company, phone=phone, source="contacts", seen=now)


@dataclass
class _Round:
    """What one delta round of a folder delivered: its message count, its deltaLink, and whether it held
    mail after the window (then its link is not kept, so that mail is seen by the pass whose window has it)."""

    count: int = 0
    delta_link: str | None = None
    future: bool = False
    seen: set[str] = field(default_factory=set)  # Graph ids read in the round (ids only: no mail is kept)


def _names(recipients: list[Any]) -> tuple[tuple[str, str], ...]:
    """(address, display name) of the recipients Graph names (``emailAddress.name``)."""
    out = []
    for r in recipients:
        a, name = address(r), str(((r or {}).get("emailAddress") or {}).get("name") or "")
        if a and name:
            out.append((a, name))
    return tuple(out)


def _ids(value: str) -> tuple[str, ...]:
    return tuple(p.strip("<>").lower() for p in value.split() if p.strip("<>"))


def parse_message(item: Mapping[str, Any], *, folder: str = "") -> Message | None:
    """A Graph message as our Message; None (and one WARNING, no body) when it cannot be used."""
    gid = str(item.get("id", "?"))
    try:
        sender = address(item.get("from")) or address(item.get("sender"))
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
            names=_names([*(item.get("toRecipients") or []), *(item.get("ccRecipients") or [])]),
            to=tuple(a for a in map(address, item.get("toRecipients") or []) if a),
            cc=tuple(a for a in map(address, item.get("ccRecipients") or []) if a),
            bcc=tuple(a for a in map(address, item.get("bccRecipients") or []) if a),
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
