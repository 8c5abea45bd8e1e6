"""A fake Microsoft Graph (and Entra login) server on 127.0.0.1, for the real O365 library to talk to.

Shaped after Microsoft's documented JSON: ``value`` arrays with absolute ``@odata.nextLink``, ``@odata.deltaLink``
at the end of a delta round, ``@odata.etag`` on events, ``error: {code, message}`` bodies, 412 on a stale
``If-Match``, and ``transactionId`` de-duplication on event POST (Graph returns the event created first). The
routes, and every documented behaviour they enforce (schema checks, the 5,000-message cap of a filtered delta,
JSON batching, the Outlook concurrency limit), are in :mod:`tests.fakegraph.graphapi`, whose docstring lists
them with the Microsoft documentation page each follows.

Only what followup-sync uses is implemented; anything else answers 400 so a test notices. Faults (429/503 with
``Retry-After``, slow answers past the client's timeout, dropped connections, truncated JSON) are drawn per
request from a seeded RNG, so a failing run can be replayed; inside a ``$batch`` each item draws on its own
(throttled or unavailable: 429/503 not applied; "drop": 503 not applied; "malformed": applied, answered 500).
:meth:`FakeGraph.invalidate_access_tokens` makes the server refuse (401) tokens the client still holds as
valid, as Entra does after a password change or a revoked session.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakegraph.graphapi import (
    CONCURRENCY,
    DELTA_FILTER_CAP,
    Answer,
    GraphApi,
    Request,
    error,
    graph_time,
    parse_graph_time,
)

__all__ = ["FakeGraph", "Faults", "Server", "graph_time", "parse_graph_time"]
WINDOW_LIMIT = 10_000  # "10,000 API requests in a 10 minute period" per app and mailbox (Outlook service limits)
WINDOW_SECONDS = 600.0
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
USER_OID = "00000000-0000-0000-66f3-3332eca7ea81"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class Faults:
    """Per-request fault shares; each request draws once from ``rng``. ``methods`` limits which methods suffer."""

    throttle: float = 0.0  # 429 with Retry-After
    unavailable: float = 0.0  # 503 with Retry-After
    slow: float = 0.0  # answer only after ``delay`` seconds (past the client's read timeout); request is applied
    drop: float = 0.0  # close the connection without an answer; request is not applied
    malformed: float = 0.0  # 200 with truncated JSON (GET only)
    retry_after: str | None = "0"
    delay: float = 1.0
    methods: frozenset[str] = frozenset({"GET", "POST", "PATCH", "DELETE"})
    seed: int = 0
    queue: list[str] = field(default_factory=list)  # faults forced on the next matching requests, in order
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def draw(self, method: str) -> str | None:
        if method not in self.methods:
            return None
        if self.queue:
            return self.queue.pop(0)
        x = self.rng.random()
        for name, share in (
            ("throttle", self.throttle),
            ("unavailable", self.unavailable),
            ("slow", self.slow),
            ("drop", self.drop),
            ("malformed", self.malformed if method == "GET" else 0.0),
        ):
            if x < share:
                return name
            x -= share
        return None


@dataclass
class Folder:
    id: str
    name: str
    parent: str | None = None
    well_known: str | None = None


class FakeGraph:
    """The data behind the server: users, folders, messages, events, tokens, fault switches and counters."""

    def __init__(
        self, *, user: str = "rep@contoso.com", name: str = "Rita Rep", client_id: str = "client"
    ) -> None:
        self.lock = threading.RLock()
        self.user = user
        self.user_name = name
        self.client_id = client_id
        self.base_url = ""  # set by serve()
        self.seq = itertools.count(1)
        self.change = 0
        self.folders: dict[str, Folder] = {}
        self.messages: dict[str, dict[str, Any]] = {}  # id -> Graph JSON plus _folder, _seq
        self.removed: dict[str, tuple[str, int]] = {}  # id -> (folder, seq)
        self.events: dict[str, dict[str, Any]] = {}
        self.contacts: list[dict[str, Any]] = []  # Outlook contacts as Graph lists them
        self.contacts_denied = False  # the token lacks Contacts.Read: /me/contacts answers 403
        self.calendars: dict[str, str] = {"cal-default": "Calendar"}
        self.pages: dict[str, dict[str, Any]] = {}
        self.deltas: dict[str, dict[str, Any]] = {}
        self.transactions: dict[str, str] = {}
        self.access_tokens: dict[str, float] = {}  # token -> expiry (epoch)
        self.refresh_tokens: set[str] = set()
        self.issued: list[str] = []  # every token ever handed out, for the leak checks
        self.device_codes: dict[str, int] = {}  # code -> polls left before approval
        self.device_pending_polls = 0
        self.auth_codes: dict[str, str | None] = {}  # authorization code -> the nonce from the authorize URL
        self.token_error: dict[str, str] | None = None  # forced answer of the token endpoint
        self.faults = Faults()
        self.counts: Counter[str] = Counter()  # "GET", "POST", ... and "faults:<kind>"
        self.log: list[tuple[str, str, int]] = []
        self.require_auth = True
        self.max_page = 1000  # Graph may answer with fewer items than asked for; tests shrink this to page
        self.delta_filter_cap = DELTA_FILTER_CAP
        self.revoked: set[str] = set()  # access tokens refused although not expired
        self.writes: list[tuple[str, str, dict[str, Any]]] = []  # (method, event id, body) of every event write
        # one entry per HTTP request: (method, path without query, methods of a $batch's items)
        self.http: list[tuple[str, str, tuple[str, ...]]] = []
        self.in_flight = 0
        self.latency = 0.0  # seconds each request holds its concurrency slot (to make overlap observable)
        # Outlook: 10,000 requests per app and mailbox in 10 minutes (each item of a $batch counts)
        self.window_limit: int | None = WINDOW_LIMIT
        self.window_seconds = WINDOW_SECONDS
        self.window: deque[float] = deque()
        self.api = GraphApi(self)
        for wk, name_ in (
            ("inbox", "Inbox"),
            ("sentitems", "Sent Items"),
            ("deleteditems", "Deleted Items"),
            ("junkemail", "Junk Email"),
            ("drafts", "Drafts"),
            ("outbox", "Outbox"),
            ("archive", "Archive"),
            ("conversationhistory", "Conversation History"),
            ("syncissues", "Sync Issues"),
        ):
            self.add_folder(name_, well_known=wk)

    # ---- data set-up used by tests -------------------------------------------------------------------------
    def _id(self, prefix: str) -> str:
        return f"{prefix}-{next(self.seq):06d}-" + secrets.token_hex(4)

    def add_contact(
        self, name: str, emails: list[str], *, company: str = "", business: list[str] | None = None,
        mobile: str | None = None,
    ) -> str:  # fmt: skip
        """An Outlook contact in the default Contacts folder, shaped as the contact resource page shows it."""
        with self.lock:
            cid = self._id("AAMkContact")
            self.contacts.append({
                "id": cid, "displayName": name, "givenName": name.split()[0], "surname": name.split()[-1],
                "emailAddresses": [{"name": name, "address": e} for e in emails], "companyName": company or None,
                "businessPhones": list(business or []), "mobilePhone": mobile, "homePhones": [],
            })  # fmt: skip
            return cid

    def add_folder(self, name: str, *, parent: str | None = None, well_known: str | None = None) -> str:
        with self.lock:
            fid = self._id("AAMkFolder")
            self.folders[fid] = Folder(fid, name, parent, well_known)
            return fid

    def folder_id(self, name_or_wk: str) -> str:
        key = name_or_wk.lower()
        for f in self.folders.values():
            if f.well_known == key or f.name.lower() == key or f.id == name_or_wk:
                return f.id
        raise KeyError(name_or_wk)

    def add_message(
        self,
        folder: str,
        *,
        sender: str,
        to: list[str],
        subject: str,
        body: str,
        sent: datetime,
        cc: list[str] | None = None,
        internet_message_id: str | None = None,
        conversation_id: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        received: datetime | None = None,
    ) -> str:
        with self.lock:
            mid = self._id("AAMkMsg")
            fid = self.folder_id(folder)
            self.change += 1
            msg: dict[str, Any] = {
                "id": mid,
                "internetMessageId": internet_message_id if internet_message_id is not None else f"<{mid}@fake>",
                "conversationId": conversation_id or self._id("AAQkConv"),
                "subject": subject,
                "from": {"emailAddress": {"name": sender.split("@")[0], "address": sender}},
                "sender": {"emailAddress": {"name": sender.split("@")[0], "address": sender}},
                "toRecipients": [{"emailAddress": {"name": a, "address": a}} for a in to],
                "ccRecipients": [{"emailAddress": {"name": a, "address": a}} for a in (cc or [])],
                "bccRecipients": [],
                "sentDateTime": graph_time(sent),
                "receivedDateTime": graph_time(received or sent),
                "hasAttachments": False,
                "isRead": True,
                "webLink": f"https://outlook.office365.com/owa/?ItemID={mid}&exvsurl=1&viewmodel=ReadMessageItem",
                "body": {"contentType": "text", "content": body},
                "_html": "<html><body><p>" + body.replace("\n", "<br>") + "</p></body></html>",
                "_folder": fid,
                "_seq": self.change,
            }
            if headers is not None and self.folders[fid].well_known != "sentitems":
                # Graph has no internetMessageHeaders on the copy in Sent Items (microsoft-graph-docs#2716)
                msg["internetMessageHeaders"] = [{"name": k, "value": v} for k, v in headers]
            self.messages[mid] = msg
            return mid

    def touch_message(self, mid: str) -> None:
        """A change that shows up in delta (e.g. the user marked it read)."""
        with self.lock:
            self.change += 1
            self.messages[mid]["isRead"] = not self.messages[mid]["isRead"]
            self.messages[mid]["_seq"] = self.change

    def delete_message(self, mid: str) -> None:
        with self.lock:
            self.change += 1
            msg = self.messages.pop(mid)
            self.removed[mid] = (msg["_folder"], self.change)

    def add_event(
        self,
        *,
        subject: str,
        start: datetime,
        end: datetime,
        organizer: str,
        attendees: list[str],
        cancelled: bool = False,
        calendar: str = "cal-default",
    ) -> str:
        with self.lock:
            eid = self._id("AAMkEvent")
            self.events[eid] = self._new_event(eid, calendar)
            ev = self.events[eid]
            ev.update(
                subject=subject,
                organizer={"emailAddress": {"name": organizer, "address": organizer}},
                attendees=[
                    {
                        "type": "required",
                        "status": {"response": "accepted", "time": "0001-01-01T00:00:00Z"},
                        "emailAddress": {"name": a, "address": a},
                    }
                    for a in attendees
                ],
                isCancelled=cancelled,
                iCalUId="040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper(),
            )
            ev["_start"], ev["_end"] = start.astimezone(UTC), end.astimezone(UTC)
            return eid

    def _new_event(self, eid: str, calendar: str) -> dict[str, Any]:
        return {
            "id": eid,
            "_calendar": calendar,
            "subject": "",
            "body": {"contentType": "text", "content": ""},
            "categories": [],
            "isReminderOn": False,
            "reminderMinutesBeforeStart": 15,
            "showAs": "busy",
            "isCancelled": False,
            "attendees": [],
            "organizer": {"emailAddress": {"name": self.user_name, "address": self.user}},
            "iCalUId": "040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper(),
            "webLink": f"https://outlook.office365.com/owa/?itemid={eid}&exvsurl=1&path=/calendar/item",
            "singleValueExtendedProperties": [],
            "createdDateTime": graph_time(datetime.now(UTC)),
            "_etag_n": 0,
        }

    def bump_etag(self, ev: dict[str, Any]) -> None:
        ev["_etag_n"] += 1
        ev["changeKey"] = base64.b64encode(f"{ev['id']}:{ev['_etag_n']}".encode()).decode()
        ev["@odata.etag"] = f'W/"{ev["changeKey"]}"'
        ev["lastModifiedDateTime"] = graph_time(datetime.now(UTC))

    def user_moves_event(self, eid: str, start: datetime) -> None:
        """What a user does in Outlook: drag the appointment; its etag changes."""
        with self.lock:
            ev = self.events[eid]
            length = ev["_end"] - ev["_start"]
            ev["_start"], ev["_end"] = start.astimezone(UTC), start.astimezone(UTC) + length
            self.bump_etag(ev)

    def user_edits_event(self, eid: str, *, subject: str | None = None, note: str | None = None) -> None:
        """What a user does in Outlook: retitle the appointment or type a note into its body."""
        with self.lock:
            ev = self.events[eid]
            if subject is not None:
                ev["subject"] = subject
            if note is not None:
                ev["body"] = {"contentType": "text", "content": f"{note}\r\n{ev['body']['content']}"}
            self.bump_etag(ev)

    def user_deletes_event(self, eid: str) -> None:
        with self.lock:
            del self.events[eid]

    def ours(self, prop_id: str) -> list[dict[str, Any]]:
        """Events carrying the extended property ``prop_id`` (what followup-sync wrote)."""
        with self.lock:
            return [
                e
                for e in self.events.values()
                if any(p["id"].lower() == prop_id.lower() for p in e["singleValueExtendedProperties"])
            ]

    # ---- tokens ---------------------------------------------------------------------------------------------
    def issue_tokens(
        self, *, expires_in: int = 3600, prefix: str = "CANARY", nonce: str | None = None
    ) -> dict[str, Any]:
        with self.lock:
            at = f"{prefix}-AT-{secrets.token_hex(12)}"
            rt = f"{prefix}-RT-{secrets.token_hex(12)}"
            self.access_tokens[at] = time.time() + expires_in
            self.refresh_tokens.add(rt)
            self.issued += [at, rt]
            now = int(time.time())
            claims = {
                "aud": self.client_id,
                "iss": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
                "iat": now,
                "nbf": now,
                "exp": now + 3600,
                "name": self.user_name,
                "oid": USER_OID,
                "preferred_username": self.user,
                "sub": "sub-" + USER_OID,
                "tid": TENANT_ID,
                "ver": "2.0",
            }
            if nonce is not None:
                claims["nonce"] = nonce
            id_token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + "."
            return {
                "token_type": "Bearer",
                "scope": "https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/Calendars.ReadWrite "
                "https://graph.microsoft.com/User.Read",
                "expires_in": expires_in,
                "ext_expires_in": expires_in,
                "access_token": at,
                "refresh_token": rt,
                "id_token": id_token,
                "client_info": _b64({"uid": USER_OID, "utid": TENANT_ID}),
            }

    def expire_access_tokens(self) -> None:
        with self.lock:
            for k in self.access_tokens:
                self.access_tokens[k] = 0.0

    def invalidate_access_tokens(self) -> None:
        """Refuse every access token issued so far although none has expired (a password change, a revoked
        session): the client still holds its token as valid; a refresh gives one that works."""
        with self.lock:
            self.revoked.update(self.access_tokens)

    def acquire(self, slots: int) -> bool:
        """Outlook runs at most CONCURRENCY requests of an app at once; False when these do not fit."""
        with self.lock:
            if self.in_flight + slots > CONCURRENCY:
                return False
            self.in_flight += slots
            self.counts["peak_in_flight"] = max(self.counts["peak_in_flight"], self.in_flight)
            return True

    def acquire_up_to(self, slots: int) -> int:
        with self.lock:
            granted = max(0, min(slots, CONCURRENCY - self.in_flight))
            self.in_flight += granted
            self.counts["peak_in_flight"] = max(self.counts["peak_in_flight"], self.in_flight)
            return granted

    def charge(self) -> float | None:
        """Count one request against the mailbox's window; the seconds to wait when it is full, else None."""
        if self.window_limit is None:
            return None
        with self.lock:
            now = time.monotonic()
            while self.window and self.window[0] <= now - self.window_seconds:
                self.window.popleft()
            if len(self.window) >= self.window_limit:
                self.counts["faults:window"] += 1
                return max(1.0, self.window[0] + self.window_seconds - now)
            self.window.append(now)
            return None

    def release(self, slots: int) -> None:
        with self.lock:
            self.in_flight -= slots

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def token_valid(self, header: str | None) -> bool:
        if not self.require_auth:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        expiry = self.access_tokens.get(header[7:])
        return expiry is not None and expiry > time.time() and header[7:] not in self.revoked

    @property
    def secrets_issued(self) -> list[str]:
        with self.lock:
            return list(self.issued)

    def request_count(self, method: str | None = None) -> int:
        with self.lock:
            if method:
                return self.counts[method]
            return sum(self.counts[m] for m in ("GET", "POST", "PATCH", "DELETE"))

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()
            self.writes.clear()
            self.http.clear()


class Server:
    """Runs a FakeGraph on 127.0.0.1 in a thread; ``with Server(fake) as srv: srv.url``."""

    def __init__(
        self, fake: FakeGraph, *, watchdog_seconds: float = 300.0, handler: type[Handler] | None = None
    ) -> None:
        self.fake = fake
        handler = handler or type("BoundHandler", (Handler,), {"fake": fake})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        host, port = self.httpd.server_address[:2]
        self.url = f"http://{host!s}:{port}/"
        fake.base_url = self.url.rstrip("/")
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), name="fakegraph", daemon=True
        )
        self.watchdog = threading.Timer(watchdog_seconds, self.httpd.shutdown)
        self.watchdog.daemon = True
        self.on_close: list[Callable[[], object]] = []  # client-side clean-up (sessions) run before shutdown

    def __enter__(self) -> Server:
        self.thread.start()
        self.watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for callback in self.on_close:
            callback()
        self.watchdog.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class Handler(BaseHTTPRequestHandler):
    fake: FakeGraph
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # one write per answer: separate header/body writes meet delayed ACKs (40 ms each)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---- plumbing -------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _parse(self) -> None:
        split = urlsplit(self.path)
        self.query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.route = split.path
        self.item_check: Callable[[str, str], Answer | None] | None = None

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        self._parse()
        raw = self._body()
        if self.route.startswith("/login/"):
            with fake.lock:
                fake.counts["LOGIN"] += 1
            status, body = self._login(method, raw)
            if isinstance(body, dict) and "_html" in body:
                self._send_raw(status, body["_html"].encode(), "text/html; charset=utf-8")
            else:
                self._send(status, body)
            return
        self._serve(fake, method, raw, base="/v1.0/me")

    def _serve(self, fake: FakeGraph, method: str, raw: bytes, *, base: str, authorized: bool = False) -> None:
        """One request on one mailbox (``base``: its resource path, ``/v1.0/me`` or ``/v1.0/users/{id}``):
        the injected faults, the token (unless the tenant checked it), Outlook's limits, then the API."""
        self.base = base
        is_batch = self.route == "/v1.0/$batch" and method == "POST"
        with fake.lock:
            fake.counts[method] += 1
            fault = fake.faults.draw(method)  # a $batch is a POST: it can be dropped, slow or throttled whole
            if fault:
                fake.counts[f"faults:{fault}"] += 1
                fake.counts[f"faults:{method}"] += 1
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault in ("throttle", "unavailable"):
            self._send(*_fault_answer(fake, fault))
            return
        if not authorized and not fake.token_valid(self.headers.get("Authorization")):
            self._send(401, _error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."))
            return
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, _error("BadRequest", "Unable to read JSON request payload."))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        if is_batch:
            status, body, out_headers = self._batch(fake, payload, headers)
        else:
            wait = fake.charge()
            if wait is not None:
                self._send(*_window_answer(wait))
                return
            if not fake.acquire(1):
                self._send(*_concurrency_answer(fake))
                return
            try:
                request = Request(method, self.path, headers, payload, base=base)
                with fake.lock:
                    answer = fake.api.handle(request)
                    fake.log.append((method, self.path, answer.status))
                    fake.http.append((method, self.route, ()))
                if fake.latency:
                    time.sleep(fake.latency)
            finally:
                fake.release(1)
            status, body, out_headers = answer.status, answer.body, answer.headers
        if fault == "slow":
            time.sleep(fake.faults.delay)
        if fault == "malformed" and status == 200:
            text = json.dumps(body)
            self._send_raw(200, text[: len(text) // 2].encode(), "application/json")
            return
        self._send(status, body, out_headers)

    def _batch(self, fake: FakeGraph, payload: Any, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """``POST /v1.0/$batch``: run the items (in ``dependsOn`` order), each throttled on its own."""
        items, bad = fake.api.batch_items(payload)
        if bad is not None:
            return bad.status, bad.body, bad.headers
        sequential = all(r.get("dependsOn") for r in items[1:]) and len(items) > 1
        wanted = 1 if sequential else min(CONCURRENCY, len(items))
        granted = fake.acquire_up_to(wanted)
        with fake.lock:
            fake.counts["batches"] += 1
            fake.counts["batch:items"] += len(items)
        try:
            done: dict[str, dict[str, Any]] = {}
            for item in _ordered(items):
                done[str(item["id"]).lower()] = self._batch_item(fake, item, headers, done, granted > 0)
            if fake.latency:
                time.sleep(fake.latency)
        finally:
            fake.release(granted)
        with fake.lock:
            fake.log.append(("POST", "/v1.0/$batch", 200))
            fake.http.append(("POST", "/v1.0/$batch", tuple(str(r["method"]).upper() for r in items)))
        return 200, {"responses": fake.api.shuffle(list(done.values()))}, {}

    def _batch_item(
        self,
        fake: FakeGraph,
        item: dict[str, Any],
        outer: dict[str, str],
        done: dict[str, dict[str, Any]],
        has_slot: bool,
    ) -> dict[str, Any]:
        rid, method = str(item["id"]), str(item["method"]).upper()

        def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
            head = {"Content-Type": "application/json", **(headers or {})}
            return {"id": rid, "status": status, "headers": head, "body": body}

        if any(done[str(d).lower()]["status"] >= 400 for d in item.get("dependsOn") or []):
            return answer(424, _error("FailedDependency", "A request this one depends on failed."))
        if not has_slot:
            return answer(*_concurrency_answer(fake))
        url = str(item["url"])
        path = "/v1.0" + (url if url.startswith("/") else "/" + url)
        denied = self.item_check(method, path) if self.item_check is not None else None
        if denied is not None:
            return answer(denied.status, denied.body, denied.headers)
        wait = fake.charge()
        if wait is not None:
            return answer(*_window_answer(wait))
        with fake.lock:
            fake.counts[f"batch:{method}"] += 1
            fault = fake.faults.draw(method)
            if fault:
                fake.counts[f"faults:{fault}"] += 1
                fake.counts[f"faults:{method}"] += 1
            if fault in ("throttle", "unavailable", "drop"):  # "drop": the item failed before it was applied
                return answer(*_fault_answer(fake, "unavailable" if fault == "drop" else fault))
            headers = {**{k: v for k, v in outer.items() if k in ("authorization", "prefer")},
                       **{k.lower(): str(v) for k, v in (item.get("headers") or {}).items()}}  # fmt: skip
            result = fake.api.handle(Request(method, path, headers, item.get("body"), base=self.base))
            fake.log.append((method, path, result.status))
        if fault == "malformed" and result.status < 300:  # applied, but the item's answer says it failed
            return answer(500, _error("InternalServerError", "Injected fault after the change was applied"))
        return answer(result.status, result.body, result.headers)

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send_raw(status, data, "application/json; odata.metadata=minimal", headers)

    def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            if data:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True

    # ---- login (Entra) routes -------------------------------------------------------------------------------
    def _login(self, method: str, raw: bytes) -> tuple[int, Any]:
        fake = self.fake
        path = self.route[len("/login") :]
        host = "https://login.microsoftonline.com"
        if path.endswith("/discovery/instance"):
            return 200, {
                "tenant_discovery_endpoint": f"{host}/common/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com"],
                    }
                ],
            }
        m = re.fullmatch(r"/([^/]+)/v2\.0/\.well-known/openid-configuration", path)
        if m:
            t = m.group(1)
            return 200, {
                "authorization_endpoint": f"{host}/{t}/oauth2/v2.0/authorize",
                "token_endpoint": f"{host}/{t}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{host}/{t}/oauth2/v2.0/devicecode",
                "issuer": f"{host}/{TENANT_ID}/v2.0",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
            }
        if path.endswith("/oauth2/v2.0/authorize") and method == "GET":
            # the user signs in and consents at once: back to the app's redirect URI with a code
            code = secrets.token_urlsafe(16)
            with fake.lock:
                fake.auth_codes[code] = self.query.get("nonce")
            # Entra answers response_mode=form_post with a self-submitting form; msal's listener takes a POST
            fields = {"code": code, "state": self.query.get("state", "")}
            inputs = "".join(f'<input type="hidden" name="{k}" value="{v}"/>' for k, v in fields.items())
            page = f'<html><body><form method="POST" action="{self.query["redirect_uri"]}">{inputs}</form>'
            return 200, {"_html": page + "<script>document.forms[0].submit()</script></body></html>"}
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if path.endswith("/oauth2/v2.0/devicecode") and method == "POST":
            code = secrets.token_urlsafe(16)
            with fake.lock:
                fake.device_codes[code] = fake.device_pending_polls
            user_code = secrets.token_hex(4).upper()
            return 200, {
                "device_code": code,
                "user_code": user_code,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 1,
                "message": f"To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
                f"and enter the code {user_code} to authenticate.",
            }
        if path.endswith("/oauth2/v2.0/token") and method == "POST":
            return self._token(form)
        return 404, {"error": "not_found"}

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        fake = self.fake
        with fake.lock:
            if fake.token_error is not None:
                return 400, fake.token_error
            grant = form.get("grant_type", "")
            if grant == "refresh_token":
                rt = form.get("refresh_token", "")
                if rt not in fake.refresh_tokens:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
                        "error_codes": [700082],
                    }
                fake.refresh_tokens.discard(rt)  # Entra rotates refresh tokens on use
                return 200, fake.issue_tokens()
            if grant == "authorization_code":
                if form.get("code") not in fake.auth_codes:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS70000: bad code"}
                return 200, fake.issue_tokens(nonce=fake.auth_codes.pop(form["code"]))
            if grant == "urn:ietf:params:oauth:grant-type:device_code":
                code = form.get("device_code", "")
                if code not in fake.device_codes:
                    return 400, {"error": "expired_token", "error_description": "AADSTS70019: code expired"}
                if fake.device_codes[code] > 0:
                    fake.device_codes[code] -= 1
                    return 400, {"error": "authorization_pending", "error_description": "AADSTS70016: pending"}
                del fake.device_codes[code]
                return 200, fake.issue_tokens()
            return 400, {"error": "unsupported_grant_type", "error_description": f"AADSTS70003: {grant}"}


def _error(code: str, message: str) -> dict[str, Any]:
    return error(code, message)


def _fault_answer(fake: FakeGraph, fault: str) -> tuple[int, Any, dict[str, str]]:
    status = 429 if fault == "throttle" else 503
    code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
    headers = {"Retry-After": fake.faults.retry_after} if fake.faults.retry_after is not None else {}
    return status, _error(code, "Injected fault"), headers


def _concurrency_answer(fake: FakeGraph) -> tuple[int, Any, dict[str, str]]:
    with fake.lock:
        fake.counts["faults:concurrency"] += 1
    body = _error("ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
    return 429, body, {"Retry-After": "1"}


def _window_answer(wait: float) -> tuple[int, Any, dict[str, str]]:
    body = _error("ApplicationThrottled", "Application is over its MailboxRequests limit.")
    return 429, body, {"Retry-After": str(int(wait + 0.999))}


def _ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Batch items in an order that runs every dependency first (Graph may run independent ones in any order)."""
    by_id = {str(r["id"]).lower(): r for r in items}
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(r: dict[str, Any]) -> None:
        rid = str(r["id"]).lower()
        if rid in seen:
            return
        seen.add(rid)
        for dep in r.get("dependsOn") or []:
            visit(by_id[str(dep).lower()])
        out.append(r)

    for r in items:
        visit(r)
    return out
