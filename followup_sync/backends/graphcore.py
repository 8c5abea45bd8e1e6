"""What the Graph backends share: the connection and pager, the pass hook, and the small cache files.

Every Graph backend acts on one mailbox: ``me`` (the signed-in rep) unless it is given ``resource`` (a team
deployment's ``users/{address}``, reached with an app-only token). The small JSON documents they keep (delta
links, calendar ids, the listing cache) live in a file next to the state DB, or in any :class:`CacheStore`
(a team deployment keeps them in the rep's PostgreSQL schema, so any worker machine can run the next pass).

Every Graph backend gets ``start_pass(now=, dry_run=)`` from the sync pass before it reads or writes anything.
It starts the pass's retry budget (``[graph] max_retry_wait_seconds`` bounds the *whole* pass's waiting on
throttling, see ``credentials.GraphConnection``), forgets what the last pass read, and, under ``--dry-run``,
makes every cache file read-only: a dry run reads what a real pass left (folder list, delta links, calendar
ids, the reminder listing) but never writes or advances any of it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from followup_sync.config import BackendSection
from followup_sync.credentials import close_account
from followup_sync.errors import ConfigError

log = logging.getLogger(__name__)

PAGE = 1000  # Graph's maximum $top for messages and events; also what we ask delta for (odata.maxpagesize)
UTC_PREFER = 'outlook.timezone="UTC"'


class CacheStore(Protocol):
    """Where one small JSON document of a Graph backend is kept: ``read`` gives None when there is none."""

    def read(self) -> str | None: ...

    def write(self, text: str) -> None: ...


class FileStore:
    """A private file (0600, replaced atomically) next to the state DB: the single-rep install's store."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __str__(self) -> str:
        return str(self.path)

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        tmp.replace(self.path)


def store_of(where: Path | CacheStore) -> CacheStore:
    return FileStore(where) if isinstance(where, Path) else where


class JsonCache:
    """A small private JSON document (ids, links, hashes: never mail or reminder text), in a file next to the
    state DB or another :class:`CacheStore`.

    ``read_only`` (a dry run) keeps every change in memory; an unreadable document is treated as empty, which
    only costs a full read.
    """

    def __init__(self, path: Path | CacheStore | None) -> None:
        self.path = None if path is None else store_of(path)
        self.read_only = path is None
        self.data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            text = self.path.read()
            raw = json.loads(text) if text is not None else {}
        except (ValueError, OSError) as exc:
            log.warning("Ignoring unreadable Graph cache %s (%s); reading in full", self.path, exc)
            return {}
        return raw if isinstance(raw, dict) else {}

    def reload(self) -> None:
        self.data = self._load()

    def save(self, *sections: str) -> None:
        """Write ``sections`` (top-level keys) into the file, keeping the others as the file has them now: the
        meeting source and the reminder sink share one file and each writes only its own part."""
        if self.read_only or self.path is None:
            return
        merged = self._load()
        merged.update({k: self.data[k] for k in sections if k in self.data})
        self.path.write(json.dumps(merged))


# One calendarView per calendar and pass serves both the meeting source and the reminder sink (they share the
# O365 account): an idle pass reads the calendar once. Keyed by account so that separate accounts never mix.
_VIEWS: WeakKeyDictionary[Any, dict[str, dict[str, Any]]] = WeakKeyDictionary()


class GraphBackend:
    """The O365 account, the service URL, paging through nextLinks, and the pass hook."""

    name = "graph"

    def __init__(self, account: Any, *, resource: str = "me") -> None:
        self.account = account
        self.con = account.con
        self.url = account.protocol.service_url  # e.g. https://graph.microsoft.com/v1.0/
        self.me = resource  # the mailbox: "me", or "users/{address}" for an app-only token
        self.now: datetime | None = None
        self.dry_run = False

    def start_pass(self, *, now: datetime, dry_run: bool = False) -> None:
        """Called by the sync pass before anything else (see the module docstring)."""
        self.now, self.dry_run = now, dry_run
        begin = getattr(self.con, "begin_pass", None)
        if begin is not None:
            begin()
        _VIEWS.pop(self.account, None)

    def shared_views(self) -> dict[str, dict[str, Any]]:
        return _VIEWS.setdefault(self.account, {})

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

    def close(self) -> None:
        close_account(self.account)


def options(section: BackendSection, allowed: Mapping[str, type]) -> dict[str, Any]:
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


def parse_time(value: str) -> datetime:
    """Graph's ``2026-11-24T09:00:00Z`` or, in event times, ``2026-11-24T09:00:00.0000000`` (UTC when asked)."""
    text = value.rstrip("Z")
    if "." in text:
        head, frac = text.split(".", 1)
        text = f"{head}.{frac[:6]}"
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def address(value: Any) -> str:
    try:
        return str(value["emailAddress"]["address"] or "").strip().lower()
    except (KeyError, TypeError):
        return ""


def status_of(exc: Any) -> int:
    response = getattr(exc, "response", None)
    return int(response.status_code) if response is not None else 0
