"""The Graph v1.0 routes of the fake server, and the documented behaviour it enforces.

Each request (a plain HTTP one, or one item of a JSON ``$batch``) is a :class:`Request`; :class:`GraphApi`
answers it with an :class:`Answer`, holding the :class:`~tests.fakegraph.server.FakeGraph` lock. What is
checked, and the Microsoft Graph documentation page (by title) each check follows:

- Paths: only the resources followup-sync touches exist; anything else is 400/404.
- Query options ("Use query parameters to customize responses"): an unknown ``$`` option is 400; ``$select``
  names must be properties of the resource (``schema``); ``$top`` on messages is 1..1000 ("List messages");
  ``$expand`` of extended properties only in the documented form ``singleValueExtendedProperties($filter=id eq
  '...')`` with one id ("Get singleValueLegacyExtendedProperty"); ``$filter`` on extended properties only as
  ``singleValueExtendedProperties/Any(ep: ep/id eq '...' and ep/value eq|startswith ...)`` (same page).
- Message delta ("Get incremental changes to messages in a folder"): ``$filter`` only ``receivedDateTime ge|gt``,
  ``$orderby`` only ``receivedDateTime desc``, and **a delta round with ``$filter`` returns at most 5,000
  messages** (which ones is not documented; the fake keeps the 5,000 it stored first, so the newest are the ones
  lost). ``Prefer: odata.maxpagesize`` sets the page size.
- Request bodies ("Microsoft Graph error responses and resource types" for the error shape): every property
  name and value type of an event created or updated is checked against Graph's published v1.0 schema
  (``v1-properties.json``); an unknown property or a wrong type (a string where the schema has Edm.Boolean) is
  400 with ``error.code`` ``RequestBodyRead``. ``dateTimeTimeZone.timeZone`` must be a Windows zone name (CLDR
  windowsZones, as tzlocal ships it) or ``UTC`` ("dateTimeTimeZone resource type"; the page's few
  "additional" IANA names are not accepted here, which is stricter than Graph).
- Events: ``@odata.etag`` changes on every change; ``If-Match`` with another one is 412; ``transactionId``
  de-duplicates a repeated POST (Graph returns the event created first) ("Create event").
- JSON batching ("Combine multiple HTTP requests using JSON batching"): ``POST /v1.0/$batch`` with at most 20
  requests and unique ids (else the whole batch is 400), a body needs a Content-Type header, responses carry
  ``id``/``status``/``headers``/``body`` in any order (the fake shuffles them), ``dependsOn`` runs items in
  order and a failed dependency is 424.
- Throttling ("Microsoft Graph service-specific throttling limits", Outlook service limits): Outlook executes
  at most 4 concurrent requests per app; a request beyond that is 429 ``ApplicationThrottled`` ("Application is
  over its MailboxConcurrency limit.") with ``Retry-After``. A batch without ``dependsOn`` occupies up to 4
  slots while it runs (the service runs up to 4 of its items in parallel), a sequential one a single slot;
  when no slot is free, every item fails with 429 on its own ("Requests in a batch are evaluated individually
  against the applicable throttling limits"). Each item also draws its own injected fault.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import win_tz

from tests.fakegraph import schema

if TYPE_CHECKING:
    from tests.fakegraph.server import FakeGraph, Folder

_EXT_FILTER = re.compile(
    r"singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id eq '([^']+)' and "
    r"(?:\1/value eq '([^']*)'|startswith\(\s*\1/value\s*,\s*'([^']*)'\s*\))\s*\)",
    re.IGNORECASE,
)
_EXPAND = re.compile(r"singleValueExtendedProperties\(\$filter=id eq '([^']+)'\)", re.IGNORECASE)
MAX_TOP = 1000  # "Use $top to customize the page size, within the range of 1 and 1000" (List messages)
DELTA_FILTER_CAP = 5000  # "Applying $filter in a delta query returns only up to 5,000 messages."
BATCH_MAX = 20
CONCURRENCY = 4

_LIST = {"$select", "$top", "$skip", "$filter", "$orderby", "$expand", "$count", "$skiptoken"}
_ONE = {"$select", "$expand"}
OPTIONS: dict[str, set[str]] = {
    "me": {"$select"},
    "mailFolders": _LIST,
    "mailFolder": _ONE,
    "messages": _LIST | {"$search"},
    "delta": {"$select", "$top", "$expand", "$filter", "$orderby", "$deltatoken", "$skiptoken"},
    "calendars": _LIST,
    "calendarView": _LIST,
    "events": _LIST,
    "event": _ONE,
    "contacts": {"$select", "$top", "$skip", "$filter", "$orderby", "$expand", "$count"},
}
ENTITY = {
    "me": "user",
    "mailFolders": "mailFolder",
    "mailFolder": "mailFolder",
    "messages": "message",
    "delta": "message",
    "calendars": "calendar",
    "calendarView": "event",
    "events": "event",
    "event": "event",
    "contacts": "contact",
}


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_graph_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def error(code: str, message: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": now.strftime("%Y-%m-%dT%H:%M:%S"), "request-id": secrets.token_hex(8)},
        }
    }


def zone(name: str) -> ZoneInfo | None:
    """A Windows zone name (CLDR windowsZones) or UTC as a ZoneInfo; None for anything else."""
    if name == "UTC":
        return ZoneInfo("UTC")
    iana = win_tz.get(name)
    try:
        return ZoneInfo(iana) if iana else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass
class Request:
    method: str
    path: str  # as sent, with the query string
    headers: dict[str, str]  # names lower-cased
    payload: Any = None
    base: str = "/v1.0/me"  # the mailbox's resource path: /v1.0/me, or /v1.0/users/{id} (tests.fakegraph.tenant)

    def __post_init__(self) -> None:
        split = urlsplit(self.path)
        self.route = split.path
        self.query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _bad(message: str, code: str = "BadRequest") -> Answer:
    return Answer(400, error(code, message))


class GraphApi:
    """Answers one request against the fake's data; the caller holds ``fake.lock``."""

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake

    # ---- entry ----------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Answer:
        path = req.route
        if not (path == req.base or path.startswith(req.base + "/")):
            return Answer(404, error("ResourceNotFound", f"Resource not found for the segment '{path}'."))
        parts = [p for p in path[len(req.base) :].split("/") if p]
        key = parts[0].lower() if parts else ""
        if req.method == "GET" and "$skiptoken" in req.query:
            return self._page(req, req.query["$skiptoken"])
        if req.method == "GET" and not parts:
            return self._checked(req, "me") or Answer(200, self._me(req))
        if key == "mailfolders":
            return self._mail(req, parts[1:])
        if key in ("calendar", "calendars", "events", "calendarview"):
            return self._calendar(req, parts)
        if key == "contacts" and len(parts) == 1 and req.method == "GET":
            return self._checked(req, "contacts") or self._contacts(req)
        return _bad(f"fake Graph does not implement {req.method} {path}")

    def _checked(self, req: Request, endpoint: str) -> Answer | None:
        """400 for a query option this endpoint does not take, or a $select/$expand Graph would refuse."""
        allowed = OPTIONS[endpoint]
        for name in req.query:
            if name.startswith("$") and name not in allowed:
                return _bad(f"Query option '{name}' is not allowed.")
        select = req.query.get("$select")
        if select is not None:
            problem = schema.check_select(ENTITY[endpoint], select)
            if problem:
                return _bad(problem, "RequestBroker--ParseUri")
        expand = req.query.get("$expand")
        if expand is not None and not _EXPAND.fullmatch(expand.strip()):
            return _bad(f"Parsing OData Select and Expand failed: unsupported $expand {expand!r}.")
        top = req.query.get("$top")
        if top is not None:
            cap = MAX_TOP if ENTITY[endpoint] == "message" else 1000
            if not top.isdigit() or not 1 <= int(top) <= cap:
                return _bad(f"Invalid value '{top}' for $top: it must be between 1 and {cap}.")
        return None

    def _me(self, req: Request) -> dict[str, Any]:
        f = self.fake
        out = {
            "@odata.context": f"{f.base_url}/v1.0/$metadata#users/$entity",
            "id": "00000000-0000-0000-66f3-3332eca7ea81",
            "displayName": f.user_name,
            "mail": f.user,
            "userPrincipalName": f.user,
        }
        return _selected(out, req.query.get("$select"))

    def _contacts(self, req: Request) -> Answer:
        """List contacts ("List contacts": the default Contacts folder; needs Contacts.Read, else 403)."""
        fake = self.fake
        if fake.contacts_denied:
            return Answer(403, error("ErrorAccessDenied", "Access is denied. Check credentials and try again."))
        items = [_selected(dict(c), req.query.get("$select")) for c in fake.contacts]
        ctx = f"{fake.base_url}/v1.0/$metadata#users('{fake.user}')/contacts"
        return self._paged(req, items, self._top(req, 10, 1000), context=ctx)

    # ---- paging ---------------------------------------------------------------------------------------------
    def _paged(
        self, req: Request, items: list[dict[str, Any]], top: int, *, context: str, tail: Any = None
    ) -> Answer:
        """First page of ``items``; later pages through ``$skiptoken`` (absolute @odata.nextLink, as Graph)."""
        token = secrets.token_urlsafe(12)
        self.fake.pages[token] = {"items": items, "top": top, "offset": 0, "context": context, "tail": tail}
        return self._page(req, token)

    def _page(self, req: Request, token: str) -> Answer:
        state = self.fake.pages.get(token)
        if state is None:
            return _bad("The skip token is not valid.", "InvalidSkipToken")
        items, top, offset = state["items"], state["top"], state["offset"]
        body: dict[str, Any] = {"@odata.context": state["context"], "value": items[offset : offset + top]}
        if offset + top < len(items):
            nxt = secrets.token_urlsafe(12)
            self.fake.pages[nxt] = {**state, "offset": offset + top}
            body["@odata.nextLink"] = f"{self.fake.base_url}{req.route}?$skiptoken={nxt}"
        elif state["tail"]:
            body.update(state["tail"]())
        return Answer(200, body)

    def _top(self, req: Request, default: int, cap: int) -> int:
        m = re.search(r"odata\.maxpagesize=(\d+)", req.header("Prefer"))
        raw = req.query.get("$top") or (m.group(1) if m else None)
        return min(int(raw), cap, self.fake.max_page) if raw else min(default, self.fake.max_page)

    # ---- mail -----------------------------------------------------------------------------------------------
    def _mail(self, req: Request, parts: list[str]) -> Answer:
        fake = self.fake
        if req.method != "GET":
            return Answer(405, error("ErrorInvalidRequest", "The OData request is not supported."))
        ctx = f"{fake.base_url}/v1.0/$metadata#users('{fake.user}')/mailFolders"
        if not parts:
            top = [self._folder_json(f) for f in fake.folders.values() if f.parent is None]
            return self._checked(req, "mailFolders") or self._paged(
                req, [_selected(f, req.query.get("$select")) for f in top], self._top(req, 10, 1000), context=ctx
            )
        try:
            fid = fake.folder_id(parts[0])
        except KeyError:
            return Answer(404, error("ErrorInvalidIdMalformed", "Id is malformed."))
        rest = [p.lower() for p in parts[1:]]
        if not rest:
            answer = self._checked(req, "mailFolder")
            return answer or Answer(200, _selected(self._folder_json(fake.folders[fid]), req.query.get("$select")))
        if rest == ["childfolders"]:
            kids = [self._folder_json(f) for f in fake.folders.values() if f.parent == fid]
            return self._checked(req, "mailFolders") or self._paged(
                req, [_selected(f, req.query.get("$select")) for f in kids], self._top(req, 10, 1000), context=ctx
            )
        if rest == ["messages"]:
            return self._checked(req, "messages") or self._list_messages(req, fid, ctx)
        if rest in (["messages", "delta"], ["messages", "delta()"]):
            return self._checked(req, "delta") or self._delta(req, fid)
        return _bad("unsupported mail path")

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

    def _list_messages(self, req: Request, fid: str, ctx: str) -> Answer:
        try:
            lower, upper = _received_range(req.query.get("$filter"), delta=False)
        except ValueError as exc:
            return _bad(str(exc))
        order = req.query.get("$orderby", "receivedDateTime desc").strip()
        if order not in ("receivedDateTime desc", "receivedDateTime asc", "receivedDateTime"):
            return _bad(f"fake Graph cannot order by {order!r}")
        msgs = self._folder_messages(fid, lower, upper)
        msgs.sort(key=lambda m: (m["receivedDateTime"], m["id"]), reverse=order.endswith("desc"))
        out = [self._message_json(req, m) for m in msgs]
        return self._paged(req, out, self._top(req, 10, MAX_TOP), context=ctx + f"('{fid}')/messages")

    def _folder_messages(
        self, fid: str, lower: tuple[str, datetime] | None, upper: tuple[str, datetime] | None = None
    ) -> list[dict[str, Any]]:
        out = []
        for m in self.fake.messages.values():
            if m["_folder"] != fid:
                continue
            at = parse_graph_time(m["receivedDateTime"])
            if lower and not (at >= lower[1] if lower[0] == "ge" else at > lower[1]):
                continue
            if upper and not (at <= upper[1] if upper[0] == "le" else at < upper[1]):
                continue
            out.append(m)
        return out

    def _message_json(self, req: Request, m: dict[str, Any], select: str | None = None) -> dict[str, Any]:
        select = select if select is not None else req.query.get("$select")
        out = {k: v for k, v in m.items() if not k.startswith("_")}
        if 'outlook.body-content-type="text"' not in req.header("Prefer"):
            out["body"] = {"contentType": "html", "content": m["_html"]}
        out["@odata.etag"] = f'W/"CQAAABYAAAD{m["_seq"]}"'
        return _selected(out, select)

    def _delta(self, req: Request, fid: str) -> Answer:
        fake = self.fake
        ctx = f"{fake.base_url}/v1.0/$metadata#Collection(message)"
        if "$deltatoken" in req.query:
            state = fake.deltas.get(req.query["$deltatoken"])
            if state is None or state["folder"] != fid:
                return Answer(410, error("SyncStateNotFound", "The sync state generation is not found."))
        else:
            try:
                floor, _ = _received_range(req.query.get("$filter"), delta=True)
            except ValueError as exc:
                return _bad(str(exc))
            order = req.query.get("$orderby")
            if order is not None and order.strip() != "receivedDateTime desc":
                return _bad("The only supported $orderby expression for delta is 'receivedDateTime desc'.")
            state = {"folder": fid, "seq": 0, "floor": floor, "select": req.query.get("$select"), "order": order}
        since, floor, select = state["seq"], state["floor"], state["select"]
        changed = [m for m in self._folder_messages(fid, floor) if m["_seq"] > since]
        changed.sort(key=lambda m: m["_seq"])
        if floor is not None:
            changed = changed[: fake.delta_filter_cap]  # the documented cap: the rest is simply not returned
        if state.get("order"):
            changed.sort(key=lambda m: m["receivedDateTime"], reverse=True)
        items = [self._message_json(req, m, select or "") for m in changed]
        items += [
            {"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}}
            for mid, (f, seq) in fake.removed.items()
            if f == fid and seq > since and since > 0
        ]
        now_seq = fake.change

        def tail() -> dict[str, Any]:
            token = secrets.token_urlsafe(16)
            fake.deltas[token] = {**state, "seq": now_seq}
            link = f"{fake.base_url}{req.base}/mailFolders/{fid}/messages/delta?$deltatoken={token}"
            return {"@odata.deltaLink": link}

        return self._paged(req, items, self._top(req, 10, MAX_TOP), context=ctx, tail=tail)

    # ---- calendar -------------------------------------------------------------------------------------------
    def _calendar(self, req: Request, parts: list[str]) -> Answer:
        fake = self.fake
        low = [p.lower() for p in parts]
        cal: str | None = None
        rest = low
        if low[0] == "calendar":
            cal, rest = "cal-default", low[1:]
        elif low[0] == "calendars":
            if len(parts) == 1:
                cals = [{"id": cid, "name": name, "canEdit": True} for cid, name in fake.calendars.items()]
                answer = self._checked(req, "calendars")
                sel = req.query.get("$select")
                return answer or self._paged(req, [_selected(c, sel) for c in cals], self._top(req, 10, 1000),
                                             context="calendars")  # fmt: skip
            cal, rest = parts[1], low[2:]
            if cal not in fake.calendars:
                return Answer(404, error("ErrorItemNotFound", "The specified object was not found in the store."))
        if rest == ["calendarview"]:
            return self._checked(req, "calendarView") or self._calendar_view(req, cal)
        if rest == ["events"]:
            if req.method == "GET":
                return self._checked(req, "events") or self._list_events(req, cal)
            if req.method == "POST":
                return self._checked(req, "event") or self._create_event(req, cal or "cal-default")
        if len(rest) == 2 and rest[0] == "events" and cal is None:
            return self._checked(req, "event") or self._one_event(req, parts[1])
        return _bad("unsupported calendar path")

    def _event_json(self, req: Request, ev: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in ev.items() if not k.startswith("_") and k != "singleValueExtendedProperties"}
        out["start"] = {"dateTime": ev["_start"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
        out["end"] = {"dateTime": ev["_end"].strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}
        expand = _EXPAND.fullmatch(req.query.get("$expand", "").strip())
        if expand:
            props = ev["singleValueExtendedProperties"]
            out["singleValueExtendedProperties"] = [p for p in props if p["id"].lower() == expand.group(1).lower()]
        selected = _selected(out, req.query.get("$select"))
        if "singleValueExtendedProperties" in out:
            selected["singleValueExtendedProperties"] = out["singleValueExtendedProperties"]
        return selected

    def _calendar_view(self, req: Request, cal: str | None) -> Answer:
        try:
            start = parse_graph_time(req.query["startDateTime"])
            end = parse_graph_time(req.query["endDateTime"])
        except KeyError:
            msg = (
                "This request requires a time window specified by the query string parameters "
                "StartDateTime and EndDateTime."
            )
            return _bad(msg, "ErrorInvalidParameter")
        evs = [
            e
            for e in self.fake.events.values()
            if e["_calendar"] == (cal or "cal-default") and e["_start"] < end and e["_end"] > start
        ]
        evs.sort(key=lambda e: (e["_start"], e["id"]))
        items = [self._event_json(req, e) for e in evs]
        return self._paged(req, items, self._top(req, 10, 1000), context="calendarView")

    def _list_events(self, req: Request, cal: str | None) -> Answer:
        flt = req.query.get("$filter", "")
        evs = [e for e in self.fake.events.values() if cal is None or e["_calendar"] == cal]
        if flt:
            m = _EXT_FILTER.fullmatch(flt.strip())
            if not m:
                return _bad(f"fake Graph cannot evaluate $filter {flt!r}")
            pid, equal, prefix = m.group(2), m.group(3), m.group(4)

            # "Filtering the string name (Name) in the id of an extended property is case-sensitive. Filtering
            # the value property of an extended property is case-insensitive."
            def hit(p: dict[str, Any]) -> bool:
                value = str(p["value"]).lower()
                wanted = value == equal.lower() if equal is not None else value.startswith(prefix.lower())
                return p["id"] == pid and wanted

            evs = [e for e in evs if any(hit(p) for p in e["singleValueExtendedProperties"])]
        evs.sort(key=lambda e: e["id"])
        return self._paged(
            req, [self._event_json(req, e) for e in evs], self._top(req, 10, 1000), context="events"
        )

    def _apply_event_payload(self, ev: dict[str, Any], payload: Any) -> str | None:
        problem = schema.check_body("event", payload)
        if problem:
            return problem
        for k, v in payload.items():
            if k in ("start", "end"):
                tz = zone(str(v.get("timeZone", "")))
                if tz is None:
                    return f"Time zone {v.get('timeZone')!r} is not supported."
                local = datetime.fromisoformat(str(v.get("dateTime", ""))[:19]).replace(tzinfo=tz)
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
            elif k == "body":
                ev[k] = {"contentType": str(v.get("contentType", "text")).lower(), "content": v.get("content", "")}
            else:
                ev[k] = v
        return None

    def _create_event(self, req: Request, cal: str) -> Answer:
        fake, payload = self.fake, req.payload
        if not isinstance(payload, dict) or "start" not in payload or "end" not in payload:
            return _bad("start and end are required", "ErrorInvalidRequest")
        txn = payload.get("transactionId")
        if txn and txn in fake.transactions and fake.transactions[txn] in fake.events:
            return Answer(201, self._event_json(req, fake.events[fake.transactions[txn]]))
        eid = fake._id("AAMkEvent")
        ev = fake._new_event(eid, cal)
        problem = self._apply_event_payload(ev, payload)
        if problem:
            return _bad(problem, "RequestBodyRead")
        fake.bump_etag(ev)
        fake.events[eid] = ev
        if txn:
            fake.transactions[txn] = eid
        fake.writes.append(("POST", eid, dict(payload)))
        return Answer(201, self._event_json(req, ev))

    def _one_event(self, req: Request, eid: str) -> Answer:
        fake = self.fake
        ev = fake.events.get(eid)
        if ev is None:
            return Answer(404, error("ErrorItemNotFound", "The specified object was not found in the store."))
        if_match = req.header("If-Match")
        if req.method in ("PATCH", "DELETE") and if_match and if_match not in (ev["@odata.etag"], "*"):
            msg = "The change key passed in the request does not match the current change key for the item."
            return Answer(412, error("ErrorIrresolvableConflict", msg))
        if req.method == "GET":
            return Answer(200, self._event_json(req, ev))
        if req.method == "DELETE":
            del fake.events[eid]
            fake.writes.append(("DELETE", eid, {}))
            return Answer(204)
        if req.method == "PATCH":
            trial = {**ev, "singleValueExtendedProperties": list(ev["singleValueExtendedProperties"])}
            problem = self._apply_event_payload(trial, req.payload)
            if problem:
                return _bad(problem, "RequestBodyRead")
            ev.update(trial)
            fake.bump_etag(ev)
            fake.writes.append(("PATCH", eid, dict(req.payload)))
            return Answer(200, self._event_json(req, ev))
        return Answer(405, error("ErrorInvalidRequest", "method not allowed"))

    # ---- JSON batching --------------------------------------------------------------------------------------
    def batch_items(self, payload: Any) -> tuple[list[dict[str, Any]], Answer | None]:
        """The batch's requests, or the 400 a malformed batch gets as a whole."""
        requests = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(requests, list) or not requests:
            return [], _bad("Invalid batch payload format.")
        if len(requests) > BATCH_MAX:
            return [], _bad(f"The number of batch requests exceeds the limit of {BATCH_MAX}.")
        ids = [str(r.get("id", "")).lower() for r in requests if isinstance(r, dict)]
        if len(ids) != len(requests) or "" in ids or len(set(ids)) != len(ids):
            return [], _bad("Batch request ids must be present and unique.")
        for r in requests:
            if not r.get("method") or not r.get("url"):
                return [], _bad("Each batch request needs a method and a url.")
            if "body" in r and "content-type" not in {k.lower() for k in (r.get("headers") or {})}:
                return [], _bad("A batch request with a body must have a Content-Type header.")
            for dep in r.get("dependsOn") or []:
                if str(dep).lower() not in ids:
                    return [], _bad(f"dependsOn refers to an unknown request id {dep!r}.")
        return requests, None

    def shuffle(self, responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Batch responses "might appear in a different order than the requests"; they always do here."""
        random.Random(len(responses)).shuffle(responses)
        return responses


def _selected(out: dict[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return out
    wanted = {s.strip() for s in select.split(",")} | {"id"}
    return {k: v for k, v in out.items() if k in wanted or k.startswith("@odata")}


def _received_range(
    flt: str | None, *, delta: bool
) -> tuple[tuple[str, datetime] | None, tuple[str, datetime] | None]:
    """A receivedDateTime filter as (lower, upper) bounds; delta takes ``ge|gt`` only (documented)."""
    if not flt:
        return None, None
    lower = upper = None
    for clause in re.split(r"\s+and\s+", flt.strip()):
        m = re.fullmatch(r"receivedDateTime\s+(ge|gt|le|lt)\s+(\S+)", clause.strip())
        if not m or (delta and (m.group(1) in ("le", "lt") or lower is not None)):
            if delta:
                raise ValueError(
                    "The only supported $filter for delta is 'receivedDateTime ge|gt {value}'; got " + repr(flt)
                )
            raise ValueError(f"fake Graph cannot evaluate $filter {flt!r}")
        bound = (m.group(1), parse_graph_time(m.group(2).strip("'")))
        if m.group(1) in ("ge", "gt"):
            lower = bound
        else:
            upper = bound
    return lower, upper
