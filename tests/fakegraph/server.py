"""A fake Microsoft Graph (and Entra login) server on 127.0.0.1, for the real O365 library to talk to.

Shaped after Microsoft's documented JSON: ``value`` arrays with absolute ``@odata.nextLink``, ``@odata.deltaLink``
at the end of a delta round, ``@odata.etag`` on events, ``error: {code, message}`` bodies, 412 on a stale
``If-Match``, and ``transactionId`` de-duplication on event POST (Graph returns the event created first).

Only what followup-sync uses is implemented; anything else answers 400 so a test notices. Faults (429/503 with
``Retry-After``, slow answers past the client's timeout, dropped connections, truncated JSON) are drawn per
request from a seeded RNG, so a failing run can be replayed.
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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from O365.utils.windows_tz import IANA_TO_WIN

_EXT_FILTER = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id eq '([^']+)' and \1/value eq '([^']*)'\s*\)",
    re.IGNORECASE,
)
MAX_TOP = 1000  # Graph caps $top on messages at 1000
MAX_DELTA_PAGE = 1000
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
USER_OID = "00000000-0000-0000-66f3-3332eca7ea81"


def _win_to_iana() -> dict[str, ZoneInfo]:
    """Windows zone name -> a ZoneInfo that exists (O365's own inversion picks dead aliases, notes §7)."""
    out: dict[str, ZoneInfo] = {}
    for iana, win in IANA_TO_WIN.items():
        if win in out:
            continue
        try:
            out[win] = ZoneInfo(iana)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    out["UTC"] = ZoneInfo("UTC")
    return out


WIN_TO_IANA = _win_to_iana()


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_graph_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


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

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def token_valid(self, header: str | None) -> bool:
        if not self.require_auth:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        expiry = self.access_tokens.get(header[7:])
        return expiry is not None and expiry > time.time()

    @property
    def secrets_issued(self) -> list[str]:
        with self.lock:
            return list(self.issued)

    def request_count(self, method: str | None = None) -> int:
        with self.lock:
            if method:
                return self.counts[method]
            return sum(v for k, v in self.counts.items() if not k.startswith("faults:") and k != "LOGIN")

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.log.clear()


class Server:
    """Runs a FakeGraph on 127.0.0.1 in a thread; ``with Server(fake) as srv: srv.url``."""

    def __init__(self, fake: FakeGraph, *, watchdog_seconds: float = 300.0) -> None:
        self.fake = fake
        handler = type("BoundHandler", (Handler,), {"fake": fake})
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

    def _dispatch(self, method: str) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        self.query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self.route = split.path
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.route.startswith("/login/"):
            with fake.lock:
                fake.counts["LOGIN"] += 1
            status, body = self._login(method, raw)
            if isinstance(body, dict) and "_html" in body:
                self._send_raw(status, body["_html"].encode(), "text/html; charset=utf-8")
            else:
                self._send(status, body)
            return
        with fake.lock:
            fake.counts[method] += 1
            fault = fake.faults.draw(method)
            if fault:
                fake.counts[f"faults:{fault}"] += 1
                fake.counts[f"faults:{method}"] += 1
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault in ("throttle", "unavailable"):
            status = 429 if fault == "throttle" else 503
            code = "TooManyRequests" if status == 429 else "ServiceUnavailable"
            headers = {"Retry-After": fake.faults.retry_after} if fake.faults.retry_after is not None else {}
            self._send(status, _error(code, "Injected fault"), headers)
            return
        if not fake.token_valid(self.headers.get("Authorization")):
            self._send(401, _error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."))
            return
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, _error("BadRequest", "Unable to read JSON request payload."))
            return
        self._payload_value = payload
        with fake.lock:
            status, body, headers = self._graph(method, payload)
            fake.log.append((method, self.path, status))
        if fault == "slow":
            time.sleep(fake.faults.delay)
        if fault == "malformed" and status == 200:
            text = json.dumps(body)
            self._send_raw(200, text[: len(text) // 2].encode(), "application/json")
            return
        self._send(status, body, headers)

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

    # ---- Graph routes ---------------------------------------------------------------------------------------
    def _graph(self, method: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        path = self.route
        if not path.startswith("/v1.0/me"):
            return 404, _error("ResourceNotFound", f"Resource not found for the segment '{path}'."), {}
        parts = [p for p in path[len("/v1.0/me") :].split("/") if p]
        key = parts[0].lower() if parts else ""
        if method == "GET" and not parts:
            return 200, self._me(), {}
        if "$skiptoken" in self.query and method == "GET":
            return self._page(self.query["$skiptoken"])
        if key == "mailfolders":
            return self._mail(method, parts[1:])
        if key in ("calendar", "calendars", "events", "calendarview"):
            return self._calendar(method, parts)
        return 400, _error("BadRequest", f"fake Graph does not implement {method} {path}"), {}

    def _me(self) -> dict[str, Any]:
        f = self.fake
        return {
            "@odata.context": f"{f.base_url}/v1.0/$metadata#users/$entity",
            "id": USER_OID,
            "displayName": f.user_name,
            "mail": f.user,
            "userPrincipalName": f.user,
        }

    def _paged(self, items: list[dict[str, Any]], top: int, *, context: str, tail: dict[str, Any] | None = None):
        """First page of ``items``; later pages through ``$skiptoken`` (absolute @odata.nextLink, as Graph)."""
        token = secrets.token_urlsafe(12)
        self.fake.pages[token] = {"items": items, "top": top, "offset": 0, "context": context, "tail": tail}
        return self._page(token)

    def _page(self, token: str) -> tuple[int, Any, dict[str, str]]:
        state = self.fake.pages.get(token)
        if state is None:
            return 400, _error("InvalidSkipToken", "The skip token is not valid."), {}
        items, top, offset = state["items"], state["top"], state["offset"]
        body: dict[str, Any] = {"@odata.context": state["context"], "value": items[offset : offset + top]}
        if offset + top < len(items):
            nxt = secrets.token_urlsafe(12)
            self.fake.pages[nxt] = {**state, "offset": offset + top}
            route = self.route
            body["@odata.nextLink"] = f"{self.fake.base_url}{route}?$skiptoken={nxt}"
        elif state["tail"]:
            body.update(state["tail"]())
        return 200, body, {}

    def _top(self, default: int, cap: int) -> int:
        prefer = self.headers.get("Prefer", "")
        m = re.search(r"odata\.maxpagesize=(\d+)", prefer)
        raw = self.query.get("$top") or (m.group(1) if m else None)
        return min(int(raw), cap, self.fake.max_page) if raw else min(default, self.fake.max_page)

    # -- mail
    def _mail(self, method: str, parts: list[str]) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        if method != "GET":
            return 405, _error("ErrorInvalidRequest", "The OData request is not supported."), {}
        ctx = f"{fake.base_url}/v1.0/$metadata#users('{fake.user}')/mailFolders"
        if not parts:
            top = [self._folder_json(f) for f in fake.folders.values() if f.parent is None]
            return self._paged(top, self._top(10, 1000), context=ctx)
        try:
            fid = fake.folder_id(parts[0])
        except KeyError:
            return 404, _error("ErrorInvalidIdMalformed", "Id is malformed."), {}
        rest = [p.lower() for p in parts[1:]]
        if not rest:
            return 200, self._folder_json(fake.folders[fid]), {}
        if rest == ["childfolders"]:
            kids = [self._folder_json(f) for f in fake.folders.values() if f.parent == fid]
            return self._paged(kids, self._top(10, 1000), context=ctx)
        if rest == ["messages"]:
            msgs = self._folder_messages(fid, self._floor(self.query.get("$filter")))
            msgs.sort(key=lambda m: m["receivedDateTime"], reverse=True)
            out = [self._message_json(m) for m in msgs]
            return self._paged(out, self._top(10, MAX_TOP), context=ctx + f"('{fid}')/messages")
        if rest in (["messages", "delta"], ["messages", "delta()"]):
            return self._delta(fid)
        return 400, _error("BadRequest", "unsupported mail path"), {}

    def _folder_json(self, f: Folder) -> dict[str, Any]:
        kids = sum(1 for x in self.fake.folders.values() if x.parent == f.id)
        total = sum(1 for m in self.fake.messages.values() if m["_folder"] == f.id)
        return {
            "id": f.id,
            "displayName": f.name,
            "parentFolderId": f.parent or "AAMkRoot",
            "childFolderCount": kids,
            "unreadItemCount": 0,
            "totalItemCount": total,
            "isHidden": False,
        }

    @staticmethod
    def _floor(flt: str | None) -> datetime | None:
        if not flt:
            return None
        m = re.fullmatch(r"\s*receivedDateTime\s+(ge|gt)\s+(\S+)\s*", flt)
        if not m:
            raise ValueError(f"unsupported $filter {flt!r}")
        return parse_graph_time(m.group(2).strip("'"))

    def _folder_messages(self, fid: str, floor: datetime | None) -> list[dict[str, Any]]:
        return [
            m
            for m in self.fake.messages.values()
            if m["_folder"] == fid and (floor is None or parse_graph_time(m["receivedDateTime"]) >= floor)
        ]

    def _message_json(self, m: dict[str, Any], select: str | None = None) -> dict[str, Any]:
        select = select if select is not None else self.query.get("$select")
        out = {k: v for k, v in m.items() if not k.startswith("_")}
        if 'outlook.body-content-type="text"' not in self.headers.get("Prefer", ""):
            out["body"] = {"contentType": "html", "content": m["_html"]}
        out["@odata.etag"] = f'W/"CQAAABYAAAD{m["_seq"]}"'
        if select:
            wanted = {s.strip() for s in select.split(",")} | {"id"}
            out = {k: v for k, v in out.items() if k in wanted or k.startswith("@odata")}
        return out

    def _delta(self, fid: str) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        ctx = f"{fake.base_url}/v1.0/$metadata#Collection(message)"
        if "$deltatoken" in self.query:
            state = fake.deltas.get(self.query["$deltatoken"])
            if state is None or state["folder"] != fid:
                return 410, _error("SyncStateNotFound", "The sync state generation is not found."), {}
        else:
            try:
                floor = self._floor(self.query.get("$filter"))
            except ValueError as exc:
                return 400, _error("BadRequest", str(exc)), {}
            state = {"folder": fid, "seq": 0, "floor": floor, "select": self.query.get("$select")}
        since, floor, select = state["seq"], state["floor"], state["select"]
        changed = [m for m in self._folder_messages(fid, floor) if m["_seq"] > since]
        changed.sort(key=lambda m: m["_seq"])
        items = [self._message_json(m, select or "") for m in changed]
        items += [
            {"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}}
            for mid, (f, seq) in fake.removed.items()
            if f == fid and seq > since and since > 0
        ]
        now_seq = fake.change

        def tail() -> dict[str, Any]:
            token = secrets.token_urlsafe(16)
            fake.deltas[token] = {"folder": fid, "seq": now_seq, "floor": floor, "select": select}
            return {
                "@odata.deltaLink": f"{fake.base_url}/v1.0/me/mailFolders/{fid}/messages/delta?$deltatoken={token}"
            }

        return self._paged(items, self._top(10, MAX_DELTA_PAGE), context=ctx, tail=tail)

    # -- calendar
    def _calendar(self, method: str, parts: list[str]) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        low = [p.lower() for p in parts]
        cal: str | None = None
        rest = low
        if low[0] == "calendar":
            cal, rest = "cal-default", low[1:]
        elif low[0] == "calendars":
            if len(parts) == 1:
                cals = [{"id": cid, "name": name, "canEdit": True} for cid, name in fake.calendars.items()]
                return self._paged(cals, self._top(10, 1000), context="calendars")
            cal, rest = parts[1], low[2:]
            if cal not in fake.calendars:
                return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}
        if rest == ["calendarview"]:
            return self._calendar_view(cal)
        if rest == ["events"]:
            if method == "GET":
                return self._list_events(cal)
            if method == "POST":
                return self._create_event(cal or "cal-default", payload=self._payload)
        if len(rest) == 2 and rest[0] == "events" and cal is None:
            return self._one_event(method, parts[1])
        return 400, _error("BadRequest", "unsupported calendar path"), {}

    @property
    def _payload(self) -> Any:
        return self._payload_value

    def _event_json(self, ev: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in ev.items() if not k.startswith("_") and k != "singleValueExtendedProperties"}
        out["start"] = {"dateTime": ev["_start"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
        out["end"] = {"dateTime": ev["_end"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
        expand = self.query.get("$expand", "")
        if expand.lower().startswith("singlevalueextendedproperties"):
            ids = {i.lower() for i in re.findall(r"id eq '([^']+)'", expand)}
            props = ev["singleValueExtendedProperties"]
            out["singleValueExtendedProperties"] = [p for p in props if not ids or p["id"].lower() in ids]
        select = self.query.get("$select")
        if select:
            wanted = {s.strip() for s in select.split(",")} | {"id", "singleValueExtendedProperties"}
            out = {k: v for k, v in out.items() if k in wanted or k.startswith("@odata")}
        return out

    def _calendar_view(self, cal: str | None) -> tuple[int, Any, dict[str, str]]:
        try:
            start = parse_graph_time(self.query["startDateTime"])
            end = parse_graph_time(self.query["endDateTime"])
        except KeyError:
            msg = (
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime."
            )
            return 400, _error("ErrorInvalidParameter", msg), {}
        evs = [
            e
            for e in self.fake.events.values()
            if e["_calendar"] == (cal or "cal-default") and e["_start"] < end and e["_end"] > start
        ]
        evs.sort(key=lambda e: e["_start"])
        return self._paged([self._event_json(e) for e in evs], self._top(10, 1000), context="calendarView")

    def _list_events(self, cal: str | None) -> tuple[int, Any, dict[str, str]]:
        flt = self.query.get("$filter", "")
        evs = [e for e in self.fake.events.values() if cal is None or e["_calendar"] == cal]
        if flt:
            m = _EXT_FILTER.fullmatch(flt.strip())
            if not m:
                return 400, _error("BadRequest", f"fake Graph cannot evaluate $filter {flt!r}"), {}
            pid, value = m.group(2), m.group(3)
            # Name in the property id is case-sensitive, the value comparison is not (Graph docs)
            evs = [
                e
                for e in evs
                if any(
                    p["id"] == pid and str(p["value"]).lower() == value.lower()
                    for p in e["singleValueExtendedProperties"]
                )
            ]
        evs.sort(key=lambda e: e["id"])
        return self._paged([self._event_json(e) for e in evs], self._top(10, 1000), context="events")

    def _apply_event_payload(self, ev: dict[str, Any], payload: dict[str, Any]) -> str | None:
        for k, v in payload.items():
            if k in ("start", "end"):
                try:
                    zone = WIN_TO_IANA.get(v["timeZone"]) or ZoneInfo(v["timeZone"])
                except (KeyError, ZoneInfoNotFoundError, ValueError):
                    return f"unknown time zone {v.get('timeZone')!r}"
                local = datetime.fromisoformat(v["dateTime"][:19]).replace(tzinfo=zone)
                ev["_" + k] = local.astimezone(UTC)
            elif k == "singleValueExtendedProperties":
                props = {p["id"]: p for p in ev["singleValueExtendedProperties"]}
                for p in v:
                    props[p["id"]] = {"id": p["id"], "value": str(p["value"])}
                ev["singleValueExtendedProperties"] = list(props.values())
            elif k == "transactionId":
                if ev.get("transactionId") not in (None, v):
                    return "transactionId cannot be changed"
                ev[k] = v
            elif k in ("body",):
                ev[k] = {"contentType": str(v.get("contentType", "text")).lower(), "content": v.get("content", "")}
            else:
                ev[k] = v
        return None

    def _create_event(self, cal: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        if not isinstance(payload, dict) or "start" not in payload or "end" not in payload:
            return 400, _error("ErrorInvalidRequest", "start and end are required"), {}
        txn = payload.get("transactionId")
        if txn and txn in fake.transactions and fake.transactions[txn] in fake.events:
            return 201, self._event_json(fake.events[fake.transactions[txn]]), {}
        eid = fake._id("AAMkEvent")
        ev = fake._new_event(eid, cal)
        problem = self._apply_event_payload(ev, payload)
        if problem:
            return 400, _error("ErrorInvalidRequest", problem), {}
        fake.bump_etag(ev)
        fake.events[eid] = ev
        if txn:
            fake.transactions[txn] = eid
        return 201, self._event_json(ev), {}

    def _one_event(self, method: str, eid: str) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        ev = fake.events.get(eid)
        if ev is None:
            return 404, _error("ErrorItemNotFound", "The specified object was not found in the store."), {}
        if_match = self.headers.get("If-Match")
        if method in ("PATCH", "DELETE") and if_match and if_match not in (ev["@odata.etag"], "*"):
            msg = "The change key passed in the request does not match the current change key for the item."
            return 412, _error("ErrorIrresolvableConflict", msg), {}
        if method == "GET":
            return 200, self._event_json(ev), {}
        if method == "DELETE":
            del fake.events[eid]
            return 204, None, {}
        if method == "PATCH":
            problem = self._apply_event_payload(ev, self._payload or {})
            if problem:
                return 400, _error("ErrorInvalidRequest", problem), {}
            fake.bump_etag(ev)
            return 200, self._event_json(ev), {}
        return 405, _error("ErrorInvalidRequest", "method not allowed"), {}

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
    now = datetime.now(UTC)
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": secrets.token_hex(8)},
        }
    }
