"""A fake Microsoft 365 tenant: many mailboxes under ``/v1.0/users/{id}``, reached with app-only tokens.

Each mailbox is a :class:`~tests.fakegraph.server.FakeGraph` of its own (its data, its faults, its Outlook
limits); the tenant adds what an organisation-wide app meets, each after Microsoft's documentation:

- Client credentials grant ("Microsoft identity platform and the OAuth 2.0 client credentials flow"): ``POST
  /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials``, ``scope`` = the resource's ``/.default``
  (anything else: ``invalid_scope``, AADSTS1002012), and either ``client_secret`` or a certificate's signed JWT
  ``client_assertion`` ("Microsoft identity platform application authentication certificate credentials"):
  ``aud`` is the token endpoint, ``iss`` = ``sub`` = the app's client id, ``exp``/``nbf`` hold, the header's
  ``x5t#S256`` (or the older ``x5t``) names a certificate registered for the app and its key verifies the
  signature (RS256/PS256). The answer has no refresh token; the access token carries the app's granted
  application permissions (``roles``).
- App-only tokens cannot use ``/me`` (400: "/me request is only valid with delegated authentication flow.").
- Permissions ("Microsoft Graph permissions reference"): reading mail needs ``Mail.Read`` (or
  ``Mail.ReadWrite``), reading the calendar ``Calendars.Read`` (or ``ReadWrite``), writing events
  ``Calendars.ReadWrite``, listing a group's members ``GroupMember.Read.All`` (or ``Group.Read.All``,
  ``Directory.Read.All``); else 403 ``ErrorAccessDenied``.
- Application access policy / RBAC for Applications ("Limiting application permissions to specific Exchange
  Online mailboxes"): a mailbox outside the policy's scope answers 403 ``ErrorAccessDenied`` "Access to OData is
  disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."
- Unknown users: 404 ``ErrorInvalidUser``. ``/users/{id}`` takes the user principal name or the object id.
- JSON batching: each item's URL names its mailbox (``/users/{id}/...``); this fake runs the items of one batch
  against one mailbox (followup-sync batches per mailbox), and answers 400 to a batch that mixes mailboxes.
- Outlook's limits (4 concurrent requests, 10,000 requests per 10 minutes) are each mailbox's own (its
  FakeGraph), so throttling one mailbox does not touch another.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.fakegraph.graphapi import Answer, error
from tests.fakegraph.server import TENANT_ID, FakeGraph, Faults, Handler, Server

DOMAIN = "contoso.com"
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
MAIL_READ = ("Mail.Read", "Mail.ReadWrite")
CAL_READ = ("Calendars.Read", "Calendars.ReadWrite")
CAL_WRITE = ("Calendars.ReadWrite",)
GROUP_READ = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All")
RAOP = "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass
class App:
    """An app registration with its granted (admin-consented) application permissions and credentials."""

    client_id: str
    roles: tuple[str, ...]
    secrets: set[str] = field(default_factory=set)
    certificates: dict[str, Any] = field(default_factory=dict)  # x5t#S256 and x5t -> public key


@dataclass
class AppToken:
    client_id: str
    roles: tuple[str, ...]
    expires: float


class FakeTenant:
    """The tenant's directory (mailboxes, groups), its app registrations, tokens and the access policy."""

    def __init__(self, *, domain: str = DOMAIN) -> None:
        self.lock = threading.RLock()
        self.tenant_id = TENANT_ID
        self.domain = domain
        self.mailboxes: dict[str, FakeGraph] = {}  # lower-case address -> mailbox
        self.ids: dict[str, str] = {}  # object id -> address
        self.apps: dict[str, App] = {}
        self.groups: dict[str, tuple[str, list[str]]] = {}  # group id -> (mail, member addresses)
        self.tokens: dict[str, AppToken] = {}
        self.policy: set[str] | None = None  # addresses the app may open (the admin's scope); None: every one
        self.counts: Counter[str] = Counter()
        self.faults = Faults()  # token endpoint faults are not modelled; kept for the Handler's outer draw
        self.base_url = ""
        self.token_lifetime = 3599
        self.issued: list[str] = []

    # ---- directory ------------------------------------------------------------------------------------------
    def add_mailbox(self, address: str, *, name: str | None = None) -> FakeGraph:
        with self.lock:
            box = FakeGraph(user=address, name=name or address.split("@")[0].title())
            box.base_url = self.base_url
            self.mailboxes[address.lower()] = box
            n = len(self.ids) + 1
            oid = f"{n:08x}-0000-4000-8000-{n:012x}"
            self.ids[oid] = address.lower()
            return box

    def mailbox(self, ref: str) -> FakeGraph | None:
        key = unquote(ref).lower()
        with self.lock:
            return self.mailboxes.get(self.ids.get(key, key))

    def object_id(self, address: str) -> str:
        return next(oid for oid, a in self.ids.items() if a == address.lower())

    def add_group(self, mail: str, members: Iterable[str]) -> str:
        with self.lock:
            n = len(self.groups) + 1
            gid = f"{n:08x}-1111-4000-8000-{n:012x}"
            self.groups[gid] = (mail.lower(), [m.lower() for m in members])
            return gid

    def set_policy(self, addresses: Iterable[str] | None) -> None:
        """The Exchange admin's application access policy (or RBAC management scope): only these mailboxes."""
        with self.lock:
            self.policy = None if addresses is None else {a.lower() for a in addresses}

    # ---- app registrations and tokens --------------------------------------------------------------------
    def register_app(
        self,
        client_id: str,
        *,
        roles: Iterable[str] = ("Mail.Read", "Calendars.ReadWrite"),
        certificate_pem: bytes | None = None,
        secret: str | None = None,
    ) -> App:
        app = App(client_id, tuple(roles))
        if secret:
            app.secrets.add(secret)
        if certificate_pem:
            cert = x509.load_pem_x509_certificate(certificate_pem)
            key = cert.public_key()
            app.certificates[_b64url(cert.fingerprint(hashes.SHA256()))] = key
            app.certificates[_b64url(cert.fingerprint(hashes.SHA1()))] = key
        with self.lock:
            self.apps[client_id] = app
        return app

    def app_token(self, header: str | None) -> AppToken | None:
        if not header or not header.startswith("Bearer "):
            return None
        with self.lock:
            tok = self.tokens.get(header[7:])
        return tok if tok is not None and tok.expires > time.time() else None

    def expire_tokens(self) -> None:
        with self.lock:
            for t in self.tokens.values():
                t.expires = 0.0

    def token_request(self, tenant: str, form: dict[str, str]) -> tuple[int, Any]:
        """The token endpoint's answer to a client credentials grant."""
        self.counts["token_requests"] += 1
        if tenant.lower() not in (self.tenant_id, self.domain, f"{self.domain.split('.')[0]}.onmicrosoft.com"):
            return 400, _aad("invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return 400, _aad("unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        app = self.apps.get(form.get("client_id", ""))
        if app is None:
            return 400, _aad("unauthorized_client", 700016, "Application was not found in the directory.")
        if form.get("scope") != GRAPH_DEFAULT_SCOPE:
            return 400, _aad(
                "invalid_scope", 1002012,
                f"The provided value for scope {form.get('scope')} is not valid. Client credential flows must "
                "have a scope value with /.default suffixed to the resource identifier (application ID URI).",
            )  # fmt: skip
        problem = self._client_authentication(app, tenant, form)
        if problem:
            return 401, problem
        with self.lock:
            at = f"APPONLY-AT-{secrets.token_hex(16)}"
            self.tokens[at] = AppToken(app.client_id, app.roles, time.time() + self.token_lifetime)
            self.issued.append(at)
            self.counts["tokens_issued"] += 1
        return 200, {"token_type": "Bearer", "expires_in": self.token_lifetime,
                     "ext_expires_in": self.token_lifetime, "access_token": at}  # fmt: skip

    def _client_authentication(self, app: App, tenant: str, form: dict[str, str]) -> dict[str, Any] | None:
        if "client_secret" in form:
            if form["client_secret"] in app.secrets:
                return None
            return _aad("invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return _aad("invalid_client", 7000218,
                        "The request body must contain the following parameter: 'client_assertion' or "
                        "'client_secret'.")  # fmt: skip
        assertion = form.get("client_assertion", "")
        try:
            head = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return _aad("invalid_client", 700024, "Client assertion is not a valid JWT.")
        # base64url of the thumbprint; msal keeps the "=" padding JOSE leaves out: both are read
        key = app.certificates.get(str(head.get("x5t#S256") or head.get("x5t") or "").rstrip("="))
        if key is None:
            return _aad("invalid_client", 700027,
                        "Client assertion failed signature validation: the key was not found.")  # fmt: skip
        audience = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256", "PS256"],
                audience=audience,
                issuer=app.client_id,
                options={"require": ["exp", "aud", "iss", "sub", "jti"]},
            )
        except jwt.InvalidSignatureError:
            return _aad("invalid_client", 700027, "Client assertion contains an invalid signature.")
        except jwt.PyJWTError as exc:
            return _aad("invalid_client", 700023, f"Client assertion is not valid: {exc}")
        if claims.get("sub") != app.client_id:
            return _aad("invalid_client", 700021, "Client assertion subject is not the client id.")
        return None

    # ---- bookkeeping ---------------------------------------------------------------------------------------
    def requests_by_mailbox(self) -> dict[str, int]:
        """Graph requests each mailbox served (a $batch's items counted one by one)."""
        return {a: len(m.http) + sum(len(x[2]) - 1 for x in m.http if x[2]) for a, m in self.mailboxes.items()}

    @property
    def secrets_issued(self) -> list[str]:
        with self.lock:
            return list(self.issued)


def _aad(code: str, number: int, message: str) -> dict[str, Any]:
    return {"error": code, "error_description": f"AADSTS{number}: {message}", "error_codes": [number],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": secrets.token_hex(16), "correlation_id": secrets.token_hex(16)}  # fmt: skip


def required_roles(method: str, rest: list[str]) -> tuple[str, ...]:
    """The application permissions one of which a request on a mailbox needs."""
    head = rest[0].lower() if rest else ""
    if head == "mailfolders" or head == "messages":
        return MAIL_READ
    if head in ("calendar", "calendars", "events", "calendarview"):
        return CAL_READ if method == "GET" else CAL_WRITE
    return ("User.Read.All",)


class TenantHandler(Handler):
    """The fake's HTTP handler for a tenant: app-only tokens, ``/users/{id}``, groups, the access policy."""

    tenant: FakeTenant

    def _dispatch(self, method: str) -> None:
        self._parse()
        raw = self._body()
        tenant = self.tenant
        if self.route.startswith("/login/"):
            with tenant.lock:
                tenant.counts["LOGIN"] += 1
            parts = self.route[len("/login/") :].split("/")
            if len(parts) >= 4 and parts[1:4] == ["oauth2", "v2.0", "token"] and method == "POST":
                from urllib.parse import parse_qs

                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                status, body = tenant.token_request(parts[0], form)
                self._send(status, body)
                return
            status, body = self._login(method, raw)  # discovery and openid-configuration, as for one user
            self._send(status, body)
            return
        token = tenant.app_token(self.headers.get("Authorization"))
        if token is None:
            self._send(401, error("InvalidAuthenticationToken", "Access token has expired or is not yet valid."))
            return
        if self.route == "/v1.0/$batch" and method == "POST":
            self._tenant_batch(method, raw, token)
            return
        if self.route.startswith("/v1.0/me"):
            self._send(400, error("BadRequest", "/me request is only valid with delegated authentication flow."))
            return
        parts = [p for p in self.route.split("/") if p][1:]  # after v1.0
        if parts[:1] == ["groups"] and len(parts) >= 3 and parts[2].lower() == "members":
            self._send(*self._members(method, parts[1], token))
            return
        if parts[:1] != ["users"] or len(parts) < 2:
            self._send(400, error("BadRequest", f"fake Graph does not implement {method} {self.route}"))
            return
        box, denied = self._open(parts[1], method, parts[2:], token)
        if denied is not None:
            self._send(denied.status, denied.body, denied.headers)
            return
        assert box is not None
        self._serve(box, method, raw, base=f"/v1.0/users/{parts[1]}", authorized=True)

    def _open(
        self, ref: str, method: str, rest: list[str], token: AppToken
    ) -> tuple[FakeGraph | None, Answer | None]:
        tenant = self.tenant
        box = tenant.mailbox(ref)
        if box is None:
            return None, Answer(404, error("ErrorInvalidUser", f"The requested user '{unquote(ref)}' is invalid."))
        if tenant.policy is not None and box.user.lower() not in tenant.policy:
            with tenant.lock:
                tenant.counts["denied:policy"] += 1
            return None, Answer(403, error("ErrorAccessDenied", RAOP))
        if not set(required_roles(method, rest)) & set(token.roles):
            with tenant.lock:
                tenant.counts["denied:roles"] += 1
            return None, Answer(
                403, error("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
            )
        return box, None

    def _tenant_batch(self, method: str, raw: bytes, token: AppToken) -> None:
        import json

        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, error("BadRequest", "Unable to read JSON request payload."))
            return
        refs: set[str] = set()
        for item in (payload or {}).get("requests") or []:
            url = str(item.get("url", "")) if isinstance(item, dict) else ""
            bits = [p for p in url.split("?")[0].split("/") if p]
            refs.add(bits[1] if len(bits) > 1 and bits[0] == "users" else "")
        if len(refs) != 1 or "" in refs:
            self._send(400, error("BadRequest", "fake Graph: every item of a batch must name one /users/{id}."))
            return
        ref = refs.pop()
        box = self.tenant.mailbox(ref)
        if box is None:
            self._send(404, error("ErrorInvalidUser", f"The requested user '{unquote(ref)}' is invalid."))
            return
        self.item_check = lambda m, path: self._open(ref, m, _rest(path, ref), token)[1]
        self._serve(box, method, raw, base=f"/v1.0/users/{ref}", authorized=True)

    def _members(self, method: str, gid: str, token: AppToken) -> tuple[int, Any]:
        if method != "GET":
            return 405, error("ErrorInvalidRequest", "method not allowed")
        if not set(GROUP_READ) & set(token.roles):
            return 403, error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        tenant = self.tenant
        group = tenant.groups.get(gid) or next(
            (g for g in tenant.groups.values() if g[0] == unquote(gid).lower()), None
        )
        if group is None:
            return 404, error("Request_ResourceNotFound", f"Resource '{gid}' does not exist.")
        value = [{"@odata.type": "#microsoft.graph.user", "id": tenant.object_id(m), "mail": m,
                  "userPrincipalName": m} for m in group[1] if tenant.mailbox(m) is not None]  # fmt: skip
        return 200, {"@odata.context": f"{tenant.base_url}/v1.0/$metadata#directoryObjects", "value": value}


def _rest(path: str, ref: str) -> list[str]:
    bits = [p for p in path.split("?")[0].split("/") if p]
    return bits[3:] if bits[:3] == ["v1.0", "users", ref] else bits


class TenantServer(Server):
    """Runs a FakeTenant on 127.0.0.1; its mailboxes' links point at it."""

    def __init__(self, tenant: FakeTenant, *, watchdog_seconds: float = 3600.0) -> None:
        self.tenant = tenant
        handler = type("BoundTenantHandler", (TenantHandler,), {"tenant": tenant, "fake": None})
        super().__init__(FakeGraph(), watchdog_seconds=watchdog_seconds, handler=handler)
        tenant.base_url = self.url.rstrip("/")
        for box in tenant.mailboxes.values():
            box.base_url = tenant.base_url


def object_key(address: str) -> str:
    return hashlib.sha256(address.lower().encode()).hexdigest()[:8]
