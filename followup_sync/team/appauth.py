"""Signing in as the organisation's app (client credentials), and one O365 account per mailbox on that token.

msal's ``ConfidentialClientApplication`` takes the certificate (the private key in a 0600 PEM file, its
certificate beside it: msal signs the client assertion with the key and names the certificate by its SHA-256
thumbprint) or, only where the admin insists, a client secret read from the OS keyring, the environment or a
0600 file. The token is app-only: its permissions are the application permissions the admin consented to
(``Mail.Read`` and ``Calendars.ReadWrite``, docs/team.md says why these two), and the Exchange admin limits
which mailboxes they open (application access policy or RBAC for Applications).

One ``ConfidentialClientApplication`` per worker process: its in-memory token cache serves every mailbox's pass
until the token is near its end (msal asks Entra again then). Nothing is written to disk or keyring.

Each mailbox gets an O365 ``Account`` whose connection (:class:`AppOnlyConnection`) puts that token on every
request, retries like the single-rep connection (``credentials.GraphConnection``: Retry-After for every method,
the pass's wait budget), and passes each HTTP attempt through the shared limiter's gate (``team.limits``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import requests
from O365 import Account, MSGraphProtocol
from O365.utils import BaseTokenBackend

from followup_sync import keystore
from followup_sync.credentials import CLOUDS, PREFER, GraphConnection, redact
from followup_sync.errors import ConfigError, CredentialsError
from followup_sync.team.config import PASSPHRASE_ENV, SECRET_ENV, AppSettings
from followup_sync.team.pgstate import read_private

log = logging.getLogger(__name__)

KEYRING_USER = "app-client-secret:{client_id}"
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def read_certificate(path: Any) -> dict[str, str]:
    """msal's ``client_credential`` from a PEM file with the private key and its certificate (0600)."""
    text = read_private(path, what="app.certificate")
    blocks = {m.group(1): m.group(0) for m in _PEM.finditer(text)}
    key = next((v for k, v in blocks.items() if k.endswith("PRIVATE KEY")), None)
    cert = blocks.get("CERTIFICATE")
    if key is None or cert is None:
        raise ConfigError(
            f"app.certificate: {path} must hold the private key and its certificate (PEM), "
            "e.g. `cat app.key app.crt > app.pem; chmod 600 app.pem`"
        )
    credential = {"private_key": key, "public_certificate": cert}
    import os

    if os.environ.get(PASSPHRASE_ENV):
        credential["passphrase"] = os.environ[PASSPHRASE_ENV]
    return credential


def read_secret(settings: AppSettings, *, env: dict[str, str] | None = None) -> str:
    """A client secret from where the config says it is (never from the config itself)."""
    import os

    env = dict(os.environ) if env is None else env
    source = settings.client_secret or ""
    secret: str | None
    if source == "env":
        secret = env.get(SECRET_ENV)
        where = f"the environment variable {SECRET_ENV}"
    elif source == "keyring":
        user = KEYRING_USER.format(client_id=settings.client_id)
        secret = keystore.read_secret(user, what="app client secret")
        where = f"the OS keyring (service {keystore.SERVICE!r}, user {user!r})"
    else:
        from pathlib import Path

        secret = read_private(Path(source[len("file:") :]), what="app.client_secret").strip()
        where = source
    if not secret:
        raise CredentialsError(f"no app client secret in {where}")
    return secret


class TokenSource(Protocol):
    def token(self) -> str: ...

    def renew(self) -> None: ...


class AppIdentity:
    """The app's credential and its msal client, shared by every pass of this process."""

    def __init__(self, settings: AppSettings, *, http_client: Any = None) -> None:
        import msal

        self.settings = settings
        cloud = CLOUDS[settings.cloud]
        credential: Any = (
            read_certificate(settings.certificate) if settings.certificate is not None else read_secret(settings)
        )
        self.scope = f"{cloud.graph}.default"
        self._lock = threading.Lock()
        try:
            self.client = msal.ConfidentialClientApplication(
                settings.client_id,
                authority=f"{cloud.login}/{settings.tenant}",
                client_credential=credential,
                http_client=http_client,
                timeout=settings.timeout_seconds,
            )
        except ValueError as exc:  # a key msal cannot load, a malformed authority
            raise ConfigError(f"app: cannot use the credential: {redact(str(exc))[:200]}") from exc
        self.acquired = 0  # tokens fetched from Entra by this process (not cache hits)

    def token(self) -> str:
        """A valid app token: msal's cache until it nears expiry, then a new one from Entra."""
        with self._lock:
            try:
                result = self.client.acquire_token_for_client(scopes=[self.scope])
            except (requests.RequestException, ValueError) as exc:
                raise CredentialsError(
                    f"cannot reach Microsoft Entra to sign in the app ({type(exc).__name__})"
                ) from exc
        if not result or "access_token" not in result:
            code = str((result or {}).get("error", "unknown_error"))
            detail = str((result or {}).get("error_description", "")).splitlines()[:1]
            said = redact(code + (": " + detail[0] if detail else ""))[:300]
            raise CredentialsError(f"Microsoft Entra refused the app's sign-in: {said}")
        if result.get("token_source") == "identity_provider":
            self.acquired += 1
        return str(result["access_token"])

    def renew(self) -> None:
        """Forget the cached token (Graph refused it: revoked, or the app's permissions changed)."""
        with self._lock:
            self.client.remove_tokens_for_client()


class Gate(Protocol):
    """What the shared limiter gives a connection: a context around each HTTP attempt to the mailbox."""

    def request(
        self, method: str, url: str, kwargs: dict[str, Any], con: Any
    ) -> contextlib.AbstractContextManager[None]: ...


class _NoTokens(BaseTokenBackend):  # type: ignore[misc]
    """O365 wants a token backend; app-only tokens live in msal's memory cache, never on disk."""

    def load_token(self) -> bool:
        return False

    def save_token(self, force: bool = False) -> bool:
        return True


class AppOnlyConnection(GraphConnection):
    """``GraphConnection`` (capped retries, the pass's wait budget) with the app's token and the shared gate."""

    def __init__(self, credentials: Any, *, app: TokenSource, gate: Gate | None = None, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)
        self.app = app
        self.gate = gate

    def _authorize(self) -> None:
        token = self.app.token()
        session: Any = getattr(self, "session", None)
        if session is None:
            session = self.session = self.get_session()
        session.headers["Authorization"] = f"Bearer {token}"

    def oauth_request(self, url: str, method: str, **kwargs: Any) -> requests.Response:
        self._authorize()
        try:
            return self._with_retries(url, method, **kwargs)
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 401:
                raise
            log.info("Microsoft Graph refused the app token (HTTP 401); getting a new one")
            self.app.renew()
            self._authorize()
            return self._with_retries(url, method, **kwargs)

    def _internal_request(
        self, session_obj: Any, url: str, method: str, ignore40x: bool = False, **kwargs: Any
    ) -> Any:
        # every HTTP attempt (retries included) counts against Graph's limits; a 401/403 is not O365's cue to
        # refresh a delegated token here (there is none): oauth_request renews the app token on 401 itself
        gate = self.gate.request(method, url, kwargs, self) if self.gate is not None else contextlib.nullcontext()
        with gate:
            return super()._internal_request(session_obj, url, method, ignore40x=False, **kwargs)


class _AppAccount(Account):  # type: ignore[misc]
    connection_constructor = AppOnlyConnection


def mailbox_account(
    app: TokenSource,
    settings: AppSettings,
    *,
    gate: Gate | None = None,
    graph_url: str | None = None,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """An O365 account for one mailbox's pass, on the app's token; ``graph_url``: the tests' fake Graph."""
    cloud = CLOUDS[settings.cloud]
    proto_cls = type("FollowupGraphProtocol", (MSGraphProtocol,),
                     {"_protocol_url": graph_url or cloud.graph, "_oauth_scope_prefix": cloud.graph})  # fmt: skip
    return _AppAccount(
        (settings.client_id, "app-only"),
        auth_flow_type="credentials",
        tenant_id=settings.tenant,
        protocol=proto_cls(timezone="UTC"),
        token_backend=_NoTokens(),
        timeout=(min(10.0, settings.timeout_seconds), settings.timeout_seconds),
        request_retries=0,
        requests_delay=0,
        default_headers={"Prefer": PREFER},
        login_url=cloud.login,
        max_retry_wait=settings.max_retry_wait_seconds,
        backoff=backoff,
        sleep=sleep,
        app=app,
        gate=gate,
    )


def resource(address: str) -> str:
    """The Graph resource of a rep's mailbox for app-only requests."""
    from urllib.parse import quote

    return "users/" + quote(address.lower(), safe="@.-_+")


@contextlib.contextmanager
def nothing() -> Iterator[None]:
    yield
