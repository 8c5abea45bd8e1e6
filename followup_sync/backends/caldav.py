"""CalDAV: meetings read from a calendar collection, reminders written to one (extra ``[caldav]``).

The ``caldav`` library does the HTTP, authentication and URL handling; the requests themselves are plain
WebDAV so that every write can be conditional, as vdirsyncer does: a new reminder is PUT to ``<key>.ics`` with
``If-None-Match: *`` (a retried or repeated create can never duplicate), updates and deletes carry
``If-Match: <etag>``, and a 412 means the user changed the item in the meantime. The MARKER is the UID
``<key>@followup-sync``; items with any other UID are never touched.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import icalendar

from followup_sync.backends.base import key_from_uid
from followup_sync.backends.ics import reminder_to_vevent
from followup_sync.backends.icslisting import listed_hashes
from followup_sync.backends.icsmeetings import Budget, MeetingCalendar, Unreadable
from followup_sync.config import BackendSection, Config
from followup_sync.errors import (
    BackendError,
    ConfigError,
    CredentialsError,
    PreconditionFailed,
    TransientError,
)
from followup_sync.model import Meeting, Reminder, RemoteItem

log = logging.getLogger(__name__)

KEYRING_SERVICE = "followup-sync"
_LOGIN_REFUSED = (
    "the CalDAV server refused the login; store the password again with `followup-sync caldav-password`"
)
_ALLOWED = frozenset({"url", "username", "timeout_seconds", "allow_insecure_http"})
_NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">{range}</c:comp-filter></c:comp-filter>
  </c:filter>
</c:calendar-query>"""
_RANGE = '<c:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'


def keyring_user(url: str, username: str) -> str:
    return f"caldav:{username}@{urlsplit(url).hostname}"


def store_password(url: str, username: str, password: str) -> str:
    """Keep the CalDAV password in the OS keyring (the config never holds it); the keyring's name."""
    from followup_sync import keystore

    return keystore.store_secret(
        keyring_user(url, username), password, what="CalDAV password", service=KEYRING_SERVICE
    )


@contextlib.contextmanager
def _map_errors(backend: str) -> Iterator[None]:
    """Every failure of the caldav library or the network, as one of ours (httpx's map_exceptions idea)."""
    from caldav.lib import error as dav_error

    try:
        yield
    except (PreconditionFailed, BackendError):
        raise
    except dav_error.AuthorizationError as exc:
        raise CredentialsError(_LOGIN_REFUSED) from exc
    except dav_error.DAVError as exc:
        raise BackendError(_first_line(exc), backend=backend) from exc
    except (OSError, TimeoutError) as exc:
        raise TransientError(_outage(exc), backend=backend) from exc
    except Exception as exc:
        # niquests' connection and timeout errors share no base class with OSError
        if type(exc).__module__.startswith(("niquests", "urllib3", "requests")):
            raise TransientError(_outage(exc), backend=backend) from exc
        raise


# What failed, by the innermost cause that says it (the library's own message is a cut urllib3 repr).
_OUTAGES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ConnectionRefusedError",), "refused the connection (is it running?)"),
    (("gaierror", "NameResolutionError"), "could not be found (the host name does not resolve)"),
    (("SSLError", "CertificateError", "SSLCertVerificationError"), "failed the TLS handshake (certificate?)"),
    (("TimeoutError", "timeout", "ReadTimeout", "ConnectTimeout", "Timeout"), "did not answer in time"),
    (
        (
            "ConnectionResetError",
            "ConnectionAbortedError",
            "RemoteDisconnected",
            "ProtocolError",
            "BrokenPipeError",
        ),
        "closed the connection",
    ),
)


def _outage(exc: BaseException) -> str:
    """One sentence for a network failure: which server and what failed, e.g. "the CalDAV server
    dav.example.com:443 refused the connection (is it running?)"."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    where = next((h for h in map(_host_of, chain) if h), "")
    names = [type(e).__name__ for e in reversed(chain)]  # innermost first
    what = next(
        (text for name in names for kinds, text in _OUTAGES if name in kinds),
        f"could not be reached ({type(chain[-1]).__name__})",
    )
    return f"the CalDAV server {where} {what}" if where else f"the CalDAV server {what}"


def _host_of(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or getattr(exc, "url", None)
    pool = getattr(exc, "pool", None)
    if pool is not None and getattr(pool, "host", None):
        return f"{pool.host}:{pool.port}" if getattr(pool, "port", None) else str(pool.host)
    if isinstance(url, str) and "://" in url:
        parts = urlsplit(url)
        return parts.netloc.rsplit("@", 1)[-1]  # never the user name of a URL with credentials
    return ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


class _Collection:
    """One calendar collection on a CalDAV server, spoken to in conditional WebDAV requests."""

    def __init__(self, url: str, *, username: str | None, password: str | None, timeout: float,
                 allow_insecure_http: bool, backend: str) -> None:  # fmt: skip
        import caldav

        client_cls: Any = caldav.DAVClient
        self.url = url if url.endswith("/") else url + "/"
        self.backend = backend
        insecure = urlsplit(self.url).scheme == "http"
        self.client = client_cls(
            url=self.url, username=username, password=password, timeout=int(timeout),
            require_tls=not (insecure and allow_insecure_http), enable_rfc6764=False,
        )  # fmt: skip

    def request(self, url: str, method: str, body: str = "", headers: dict[str, str] | None = None) -> Any:
        with _map_errors(self.backend):
            response = self.client.request(url, method, body, headers or {})
        status = int(response.status)
        if status == 401:
            raise CredentialsError(_LOGIN_REFUSED)
        if status == 412:
            raise PreconditionFailed("the item changed on the server", backend=self.backend, href=url)
        if status in (429, 502, 503, 504) or status >= 500:
            raise TransientError(f"{method} {url} answered {status}", backend=self.backend)
        return response

    def query(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> Iterator[tuple[str, str, bytes]]:
        """(href, etag, calendar data) of every VEVENT resource, optionally limited to a time range."""
        rng = _RANGE.format(start=start.astimezone(UTC), end=end.astimezone(UTC)) if start and end else ""
        body = _QUERY.format(range=rng)
        response = self.request(self.url, "REPORT", body, {"Depth": "1", "Content-Type": "application/xml"})
        if int(response.status) != 207:
            raise BackendError(f"REPORT {self.url} answered {response.status}", backend=self.backend)
        # the caldav library parses with lxml (entities off); a body it could not parse has no tree
        tree = response.tree
        if tree is None:
            raise BackendError("the server's answer is not valid XML", backend=self.backend)
        for item in tree.findall("d:response", _NS):
            href = item.findtext("d:href", default="", namespaces=_NS)
            etag = item.findtext("d:propstat/d:prop/d:getetag", default="", namespaces=_NS)
            data = item.findtext("d:propstat/d:prop/c:calendar-data", default="", namespaces=_NS)
            if href and data:
                yield urljoin(self.url, href), etag, data.encode("utf-8")


def _connection_options(section: BackendSection, config: Config) -> dict[str, Any]:
    problems = [f"[{section.role}] {k}: unknown key; allowed: {', '.join(sorted(_ALLOWED))}"
                for k in section.options if k not in _ALLOWED]  # fmt: skip
    url = section.options.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        problems.append(f"[{section.role}] url: required, the calendar collection's http(s) URL")
    username = section.options.get("username")
    if username is not None and not isinstance(username, str):
        problems.append(f"[{section.role}] username: must be a string")
    timeout = section.options.get("timeout_seconds", 30)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(f"[{section.role}] timeout_seconds: must be a number greater than 0")
    insecure = section.options.get("allow_insecure_http", False)
    if not isinstance(insecure, bool):
        problems.append(f"[{section.role}] allow_insecure_http: must be true or false")
    if problems:
        raise ConfigError(f"invalid [{section.role}] settings for the caldav backend", problems=problems)
    assert isinstance(url, str)
    password = None
    if username:
        from followup_sync import keystore

        password = keystore.read_secret(
            keyring_user(url, username), what="CalDAV password", service=KEYRING_SERVICE
        )
        if password is None:
            raise CredentialsError(
                f"no CalDAV password stored for {username}; run `followup-sync caldav-password`"
            )
    return {"url": url, "username": username, "password": password, "timeout": float(timeout),
            "allow_insecure_http": insecure}  # fmt: skip


class CaldavMeetingSource:
    """Meetings from a CalDAV calendar, each item read like an .ics file (:mod:`icsmeetings`), with one CPU
    budget for the whole pass; an item is parsed once per etag, so a skipped one is logged once."""

    name = "caldav"

    def __init__(self, collection: _Collection, *, config: Config) -> None:
        self.collection = collection
        self.zone = config.identity.zone
        self.me = frozenset(config.identity.addresses)
        self._parsed: dict[str, tuple[str, MeetingCalendar | None]] = {}

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        options = _connection_options(section, config)
        return cls(_Collection(**options, backend=cls.name), config=config)

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        budget = Budget()
        seen: dict[str, tuple[str, MeetingCalendar | None]] = {}
        for href, etag, data in self.collection.query(start, end):
            cached = self._parsed.get(href)
            if cached is not None and cached[0] == etag and etag:
                cal = cached[1]
            else:
                cal = self._parse(href, data, budget)
            seen[href] = (etag, cal)
            if cal is not None:
                yield from cal.meetings(start, end, link=href, me=self.me, budget=budget)
        self._parsed = seen

    def _parse(self, href: str, data: bytes, budget: Budget) -> MeetingCalendar | None:
        try:
            return MeetingCalendar(data, where=href, zone=self.zone, budget=budget)
        except Unreadable as exc:
            log.warning("Skipping event %s: not valid iCalendar (%s)", href, exc)
            return None

    def close(self) -> None:
        self._parsed.clear()


class CaldavReminderSink:
    """Reminders as ``<key>.ics`` resources in a CalDAV calendar collection."""

    name = "caldav"

    def __init__(self, collection: _Collection, *, alarm_minutes: int = 15) -> None:
        self.collection = collection
        self.alarm_minutes = alarm_minutes

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        options = _connection_options(section, config)
        return cls(_Collection(**options, backend=cls.name), alarm_minutes=config.schedule.reminder_minutes)

    def list(self) -> Iterator[RemoteItem]:
        for href, etag, data in self.collection.query():
            uid, start, hashes = _parse_item(data)
            key = key_from_uid(uid or "")
            if key is None:
                continue  # someone else's event: never ours to list or touch
            yield RemoteItem(key=key, href=href, etag=etag, start=start, **hashes)

    def create(self, reminder: Reminder) -> RemoteItem:
        href = urljoin(self.collection.url, f"{reminder.key}.ics")
        log.info("Creating reminder %s in %s", reminder.key, self.collection.url)
        response = self.collection.request(href, "PUT", self._ical(reminder), {
            "If-None-Match": "*", "Content-Type": "text/calendar; charset=utf-8"})  # fmt: skip
        return RemoteItem(key=reminder.key, href=href, etag=self._etag(href, response), start=reminder.start)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        log.info("Updating reminder %s in %s", reminder.key, self.collection.url)
        response = self.collection.request(href, "PUT", self._ical(reminder), {
            "If-Match": etag, "Content-Type": "text/calendar; charset=utf-8"})  # fmt: skip
        if int(response.status) == 404:
            raise PreconditionFailed("the reminder is gone", backend=self.name, href=href)
        return RemoteItem(key=reminder.key, href=href, etag=self._etag(href, response), start=reminder.start)

    def delete(self, href: str, etag: str) -> None:
        log.info("Deleting reminder %s from %s", href.rsplit("/", 1)[-1].removesuffix(".ics"), self.collection.url)
        response = self.collection.request(href, "DELETE", "", {"If-Match": etag})
        if int(response.status) == 404:
            raise PreconditionFailed("the reminder is gone", backend=self.name, href=href)
        if int(response.status) >= 300:
            raise BackendError(f"DELETE {href} answered {response.status}", backend=self.name)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.collection.client.close()

    def _ical(self, reminder: Reminder) -> str:
        cal = icalendar.Calendar()
        cal.add("PRODID", "-//followup-sync//followup-sync//EN")
        cal.add("VERSION", "2.0")
        cal.add_component(reminder_to_vevent(reminder, alarm_minutes=self.alarm_minutes))
        return str(cal.to_ical().decode("utf-8"))

    def _etag(self, href: str, response: Any) -> str:
        status = int(response.status)
        if status >= 300:
            raise BackendError(f"PUT {href} answered {status}", backend=self.name)
        etag = (response.headers or {}).get("ETag") or (response.headers or {}).get("etag")
        if etag:
            return str(etag)
        # RFC 4791 5.3.4: a server may omit the ETag when it changed the data; then ask for it.
        body = '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>'
        found = self.collection.request(href, "PROPFIND", body, {"Depth": "0", "Content-Type": "application/xml"})
        tree = found.tree
        value = (
            None
            if tree is None
            else tree.findtext("d:response/d:propstat/d:prop/d:getetag", default="", namespaces=_NS)
        )
        if not value:
            raise BackendError(f"the server gave no etag for {href}", backend=self.name)
        return str(value)


def _parse_item(data: bytes) -> tuple[str | None, datetime | None, dict[str, Any]]:
    """UID, start and the hashes (``icslisting.listed_hashes``) of a calendar resource."""
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception:  # a broken foreign item is simply not ours
        return None, None, {}
    for event in cal.walk("VEVENT"):
        start = event.get("DTSTART")
        value = start.dt if start is not None else None
        return (
            str(event.get("UID", "")),
            value.astimezone(UTC) if isinstance(value, datetime) else None,
            listed_hashes(event),
        )
    return None, None, {}
