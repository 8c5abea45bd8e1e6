"""Signing in to Microsoft 365, keeping the token cache in the OS keyring, and the one authenticated connection.

The O365 token backend *is* msal's token cache (notes/o365.md §2.2); ours persists it to the OS keyring only,
split into chunks because Windows Credential Manager refuses secrets over 2560 bytes (jaraco/keyring#355).
We refuse keyrings that would lose the secret (``fail``, ``null``) or write it in clear (keyrings.alt's
plaintext file) unless the user opts in with ``FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING=1``.

``GraphConnection`` adds what O365 2.1 lacks: retries that honour ``Retry-After`` for *every* method, capped
(O365 leaves POST/PATCH unretried and lets urllib3 sleep up to 6 h), JSON checked before a read counts as done,
and msal pointed at the configured cloud's login host. ``map_errors`` turns every library failure into
:mod:`followup_sync.errors`; no message it builds contains a token (only status codes and Graph error codes).
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import requests
from O365 import Account, MSGraphProtocol
from O365.connection import Connection, TokenExpiredError
from O365.utils import BaseTokenBackend

from followup_sync import keystore
from followup_sync.config import Config
from followup_sync.errors import BackendError, CredentialsError, PreconditionFailed, Throttled, TransientError

log = logging.getLogger(__name__)

# Least privilege: read mail, read/write calendar, read the profile for `whoami`. msal adds offline_access (a
# refresh token) and openid/profile itself and refuses them in the list. Nothing here can send mail.
SCOPES = ("User.Read", "Mail.Read", "Calendars.ReadWrite")
# Asked for only when the rep turns on `[mail] contacts = true` (names, companies and phones from Outlook).
CONTACTS_SCOPE = "Contacts.Read"
KEYRING_SERVICE = keystore.SERVICE
PLAINTEXT_OPT_IN = keystore.PLAINTEXT_OPT_IN
PREFER = 'outlook.body-content-type="text", IdType="ImmutableId"'
LOGIN_HINT = "run `followup-sync login`"


@dataclass(frozen=True)
class Cloud:
    graph: str
    login: str


# https://learn.microsoft.com/graph/deployments (Graph and Entra endpoints per national cloud)
CLOUDS = {
    "worldwide": Cloud("https://graph.microsoft.com/", "https://login.microsoftonline.com"),
    "us_gov": Cloud("https://graph.microsoft.us/", "https://login.microsoftonline.us"),
    "us_gov_dod": Cloud("https://dod-graph.microsoft.us/", "https://login.microsoftonline.us"),
    "china": Cloud("https://microsoftgraph.chinacloudapi.cn/", "https://login.chinacloudapi.cn"),
}


# --- the OS keyring ----------------------------------------------------------------------------------------


# One check for every secret (keystore.py); these names stay for the callers here and in tests.
check_keyring = keystore.check_keyring
_keyring_help = keystore.keyring_help


class KeyringTokenBackend(BaseTokenBackend):  # type: ignore[misc]
    """msal's token cache, persisted in the OS keyring in chunks of at most ``CHUNK`` characters.

    Helper names avoid msal ``TokenCache`` internals: a helper called ``_get`` broke refresh (notes §2.3).
    The chunk count is written last, so a reader never assembles a half-written cache.
    """

    CHUNK = 1000  # Windows Credential Manager: 2560 bytes = 1280 UTF-16 characters per secret

    def __init__(self, *, service: str = KEYRING_SERVICE, key: str) -> None:
        super().__init__()
        self.service = service
        self.key = key

    def _kr_read(self, name: str) -> str | None:
        return keyring.get_password(self.service, f"{self.key}#{name}")

    def _kr_remove(self, name: str) -> bool:
        try:
            keyring.delete_password(self.service, f"{self.key}#{name}")
        except keyring.errors.PasswordDeleteError:
            return False
        return True

    def load_token(self) -> bool:
        count = self._kr_read("n")
        if not count or not count.isdigit():
            return False
        parts = [self._kr_read(str(i)) for i in range(int(count))]
        if any(p is None for p in parts):
            return False
        try:
            self._cache = self.deserialize("".join(p for p in parts if p is not None))
        except ValueError:
            log.warning("The stored Microsoft 365 login is damaged; %s", LOGIN_HINT)
            return False
        return True

    def save_token(self, force: bool = False) -> bool:
        if not self._cache:
            return False
        if not force and not getattr(self, "_has_state_changed", True):
            return True
        blob = self.serialize()
        parts = [blob[i : i + self.CHUNK] for i in range(0, len(blob), self.CHUNK)] or [""]
        old = self._kr_read("n")
        for i, part in enumerate(parts):
            keyring.set_password(self.service, f"{self.key}#{i}", part)
        keyring.set_password(self.service, f"{self.key}#n", str(len(parts)))
        for i in range(len(parts), int(old) if old and old.isdigit() else 0):
            self._kr_remove(str(i))
        self._has_state_changed = False
        return True

    def delete_token(self) -> bool:
        count = self._kr_read("n")
        removed = self._kr_remove("n")
        for i in range(int(count) if count and count.isdigit() else 0):
            removed = self._kr_remove(str(i)) or removed
        self._cache = {}
        return removed

    def check_token(self) -> bool:
        return self._kr_read("n") is not None

    def should_refresh_token(self, con: Any = None, *, username: str | None = None) -> bool:
        """O365's hook before a refresh: another backend or process may have refreshed already.

        Entra rotates the refresh token on use, so refreshing from a stale in-memory copy can fail with
        ``invalid_grant`` (python-o365#350). Reload the keyring first; False tells O365 to use what it holds.
        """
        fresh = self.load_token() and not self.token_is_expired(username=username)
        return not fresh


# --- the connection ----------------------------------------------------------------------------------------

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class RetryBudgetSpent(requests.RequestException):
    """Retrying would wait longer than what is left of the pass's ``max_retry_wait_seconds``."""

    def __init__(self, *, waited: float, status: int) -> None:
        super().__init__(f"waited {waited:.0f} s for throttling this pass (last answer HTTP {status})")
        self.waited = waited
        self.status = status


class GraphConnection(Connection):  # type: ignore[misc]
    """O365's Connection with capped ``Retry-After`` retries for every method and a cloud-aware msal client.

    Retrying POST is safe because every event we create carries a ``transactionId`` (Graph returns the event
    created first); PATCH and DELETE carry ``If-Match``, and ``uncertain`` tells the caller that an earlier
    attempt may have been applied (a timeout or dropped connection), so a 412/404 can be checked, not trusted.

    ``max_retry_wait`` bounds the waiting of a whole pass, not of one request: :meth:`begin_pass` (the backends'
    ``start_pass``) starts the budget, every sleep before a retry draws on it, and a retry that would overdraw
    it is not made (``RetryBudgetSpent``, which ``map_errors`` turns into ``Throttled``: the pass stops).

    A 401 on a token the client still holds as valid (revoked session, password change, a token another
    process replaced) is answered by one refresh and one retry; only if that fails is the rep asked to sign in.
    O365 alone refreshes only a token it knows to be expired.
    """

    def __init__(
        self,
        credentials: Any,
        *,
        login_url: str,
        max_retry_wait: float,
        backoff: float = 1.0,
        attempts: int = 6,
        msal_http_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(credentials, **kwargs)
        self._msal_authority = f"{login_url}/{self.tenant_id}"
        self.max_retry_wait = max_retry_wait
        self.backoff = backoff
        self.attempts = attempts
        self.msal_http_client = msal_http_client
        self.sleep = sleep
        self.uncertain = False
        self.request_count = 0
        self.waited = 0.0  # seconds slept for retries in this pass

    def begin_pass(self) -> None:
        self.waited = 0.0

    @property
    def msal_client(self) -> Any:
        if getattr(self, "_msal_client", None) is None:
            import msal

            self._msal_client = msal.PublicClientApplication(
                client_id=self.auth[0],
                authority=self._msal_authority,
                token_cache=self.token_backend,
                timeout=self.timeout,
                http_client=self.msal_http_client,
            )
        return self._msal_client

    def oauth_request(self, url: str, method: str, **kwargs: Any) -> requests.Response:
        if self.session is None and not self.token_backend.has_data and not self.load_token_from_backend():
            raise CredentialsError(f"not signed in to Microsoft 365; {LOGIN_HINT}")
        try:
            return self._with_retries(url, method, **kwargs)
        except requests.HTTPError as exc:
            if exc.response is None or exc.response.status_code != 401:
                raise
            log.info("Microsoft Graph refused the access token (HTTP 401); refreshing it once")
            self._force_refresh()
            return self._with_retries(url, method, **kwargs)

    def _force_refresh(self) -> None:
        """A new access token although ours has not expired: another process's if the keyring has a newer
        one, else one from the refresh token. A refresh Entra refuses raises O365's RuntimeError."""
        backend = self.token_backend
        held = (backend.get_access_token(username=self.username) or {}).get("secret")
        if backend.load_token():
            stored = (backend.get_access_token(username=self.username) or {}).get("secret")
            if stored and stored != held and not backend.token_is_expired(username=self.username):
                self.update_session_auth_header()
                return
        accounts = self.msal_client.get_accounts(username=self.username) or self.msal_client.get_accounts()
        if not accounts or not backend.get_refresh_token(username=self.username):
            raise CredentialsError(f"Microsoft 365 refused the login (HTTP 401); {LOGIN_HINT}")
        scopes = backend.get_token_scopes(username=self.username, remove_reserved=True)
        result = self.msal_client.acquire_token_silent_with_error(scopes=scopes, account=accounts[0],
                                                                  force_refresh=True)  # fmt: skip
        if not result or "access_token" not in result:
            raise RuntimeError(f"Refresh token operation failed: {(result or {}).get('error', 'no token')}")
        self.update_session_auth_header(access_token=result["access_token"])
        backend.save_token()

    def _with_retries(self, url: str, method: str, **kwargs: Any) -> requests.Response:
        self.uncertain = False
        for attempt in range(1, self.attempts + 1):
            call = dict(kwargs)  # O365 rewrites kwargs (json-dumps data, merges headers) on every attempt
            if isinstance(call.get("headers"), dict):
                call["headers"] = dict(call["headers"])
            self.request_count += 1
            try:
                response: requests.Response = super().oauth_request(url, method, **call)
                if method.lower() == "get" and response.content:
                    response.json()  # a truncated body from a proxy or a dying server: retry, do not parse later
                return response
            except TokenExpiredError:
                raise
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status not in _RETRY_STATUS:
                    raise
                wait = _retry_after(exc.response) if status in (429, 503) else None
                if status >= 500 and method.lower() != "get":
                    self.uncertain = True
                failure: Exception = exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                wait, failure, status = None, exc, 0
                if method.lower() != "get":
                    self.uncertain = True
            except ValueError as exc:  # response.json() on a truncated body
                wait, failure, status = None, exc, 0
            delay = wait if wait is not None else self.backoff * 2 ** (attempt - 1)
            if attempt == self.attempts and status == 429:
                raise RetryBudgetSpent(waited=self.waited, status=status) from failure
            if attempt == self.attempts:
                raise failure
            if self.waited + delay > self.max_retry_wait:
                if status in (429, 503):
                    raise RetryBudgetSpent(waited=self.waited, status=status) from failure
                raise failure
            log.debug(
                "Graph %s failed (%s), retry %d in %.1f s", method.upper(), type(failure).__name__, attempt, delay
            )
            self.sleep(delay)
            self.waited += delay
        raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(response: requests.Response | None) -> float | None:
    raw = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None  # an HTTP-date; Graph sends seconds, and exponential backoff is the documented fallback


class _Account(Account):  # type: ignore[misc]
    connection_constructor = GraphConnection


def token_key(config: Config) -> str:
    g = config.graph
    return f"o365-token-cache:{g.cloud}:{g.tenant}:{g.client_id}"


def make_account(
    config: Config,
    *,
    graph_url: str | None = None,
    login_http_client: Any = None,
    backoff: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """An O365 ``Account`` with its token in the OS keyring; ``graph_url``, ``login_http_client``: test seams."""
    check_keyring()
    _redact_library_logs()
    cloud = CLOUDS[config.graph.cloud]
    base = graph_url or cloud.graph
    proto_cls = type(
        "FollowupGraphProtocol", (MSGraphProtocol,), {"_protocol_url": base, "_oauth_scope_prefix": cloud.graph}
    )
    # We never let O365 convert times (graphsink sends dateTimeTimeZone itself, replies are asked for in UTC):
    # O365's own IANA->Windows table lacks newer zones and would raise before the first request.
    protocol = proto_cls(timezone="UTC")
    timeout = config.graph.timeout_seconds
    return _Account(
        config.graph.client_id,
        auth_flow_type="public",
        tenant_id=config.graph.tenant,
        protocol=protocol,
        token_backend=KeyringTokenBackend(key=token_key(config)),
        timeout=(min(10.0, timeout), timeout),  # O365's default is no timeout at all
        request_retries=0,  # our GraphConnection retries instead of urllib3's hidden, uncapped sleeps
        requests_delay=0,
        default_headers={"Prefer": PREFER},
        login_url=cloud.login,
        max_retry_wait=config.graph.max_retry_wait_seconds,
        backoff=backoff,
        msal_http_client=login_http_client,
        sleep=sleep,
    )


def close_account(account: Any) -> None:
    """Close the account's HTTP sessions (O365 keeps them open until garbage collection)."""
    for name in ("session", "naive_session"):
        session = getattr(account.con, name, None)
        if session is not None:
            session.close()
            setattr(account.con, name, None)


def scopes_for(account: Any, *, contacts: bool = False) -> list[str]:
    return [account.protocol.prefix_scope(s) for s in (*SCOPES, *((CONTACTS_SCOPE,) if contacts else ()))]


def wants_contacts(config: Config) -> bool:
    """Whether the rep turned on Outlook contacts (``[mail] backend = "graph"`` with ``contacts = true``)."""
    return config.mail.backend == "graph" and config.mail.options.get("contacts") is True


# --- errors ------------------------------------------------------------------------------------------------

_NO_LOGIN = ("No auth token found", "There is no refresh token", "Tried to update the session auth header")
_AUTH_FAILURES = ("Refresh token operation failed",)


@contextlib.contextmanager
def map_errors(backend: str, *, href: str | None = None) -> Iterator[None]:
    """The one place where requests/O365/msal/keyring exceptions become ours (``raise ... from exc``)."""
    try:
        yield
    except (BackendError, CredentialsError):
        raise
    except TokenExpiredError as exc:
        raise CredentialsError(f"the Microsoft 365 login has expired; {LOGIN_HINT}") from exc
    except requests.HTTPError as exc:
        raise _from_status(exc, backend, href) from exc
    except RetryBudgetSpent as exc:
        raise Throttled(f"Microsoft Graph kept throttling ({exc})", backend=backend) from exc
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError) as exc:
        raise TransientError(f"Microsoft Graph unreachable ({type(exc).__name__})", backend=backend) from exc
    except keyring.errors.KeyringLocked as exc:
        raise CredentialsError("the OS keyring is locked; unlock it (sign in to the desktop) and retry") from exc
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"the OS keyring failed ({type(exc).__name__}): {_keyring_help()}") from exc
    except RuntimeError as exc:
        if str(exc).startswith(_NO_LOGIN):
            raise CredentialsError(f"not signed in to Microsoft 365; {LOGIN_HINT}") from exc
        if str(exc).startswith(_AUTH_FAILURES):  # O365's bare RuntimeError for a rejected refresh token
            raise CredentialsError(f"the Microsoft 365 login has expired or was revoked; {LOGIN_HINT}") from exc
        raise BackendError(f"O365 failed: {type(exc).__name__}", backend=backend) from exc
    except ValueError as exc:  # JSON that does not parse, after retries
        raise TransientError("Microsoft Graph sent a malformed response", backend=backend) from exc


def _from_status(exc: requests.HTTPError, backend: str, href: str | None) -> BackendError | CredentialsError:
    response = exc.response
    status = response.status_code if response is not None else 0
    code = _graph_code(response)
    if status == 401:
        return CredentialsError(f"Microsoft 365 refused the login (HTTP 401 {code}); {LOGIN_HINT}")
    if status == 403:
        return CredentialsError(
            f"Microsoft 365 denied access (HTTP 403 {code}); grant Mail.Read and Calendars.ReadWrite, "
            f"then {LOGIN_HINT}"
        )
    if status == 412 or (status in (404, 410) and href is not None):  # the item changed or is gone
        return PreconditionFailed(f"HTTP {status} {code}", backend=backend, href=href)
    if status in _RETRY_STATUS or status == 408:
        return TransientError(f"HTTP {status} {code}", backend=backend)
    return BackendError(f"HTTP {status} {code}", backend=backend)


def _graph_code(response: requests.Response | None) -> str:
    try:
        return str(response.json()["error"]["code"]) if response is not None else ""
    except (ValueError, KeyError, TypeError):
        return ""


# --- secrets never reach a log ----------------------------------------------------------------------------

_SECRET_PATTERNS = (
    re.compile(r"(Bearer\s+)[^\s'\",}]+", re.IGNORECASE),
    re.compile(
        r"""(['"]?(?:access_token|refresh_token|id_token|secret|client_info|device_code|code)['"]?\s*[:=]\s*['"]?)"""
        r"""[^'"&\s,}]+"""
    ),
)
_LIBRARY_LOGGERS = (
    "O365.connection",
    "O365.utils.token",
    "O365.account",
    "msal.application",
    "msal.token_cache",
    "msal.oauth2cli.oauth2",
    "msal.oauth2cli.oidc",
    "msal.authority",
    "urllib3.connectionpool",
)


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[redacted]", text)
    return text


class _Redact(logging.Filter):
    """O365 logs the session headers (the bearer token) at DEBUG: rewrite such records before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "O365.connection" and record.levelno >= logging.ERROR:
            # O365 logs every 4xx (a 429, a 412 we expect) as ERROR; map_errors raises ours with the same facts
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_REDACT = _Redact()


def _redact_library_logs() -> None:
    for name in _LIBRARY_LOGGERS:
        lg = logging.getLogger(name)
        if _REDACT not in lg.filters:
            lg.addFilter(_REDACT)


# --- the CLI's account commands ----------------------------------------------------------------------------


def login(
    config: Config,
    *,
    method: str = "device",
    echo: Callable[[str], None],
    graph_url: str | None = None,
    login_http_client: Any = None,
    timeout: int = 600,
) -> str:
    """Sign in (device code, or ``browser`` for the system browser) and store the token; returns the username.

    ``timeout`` bounds the wait for the browser sign-in (the device code expires on Entra's clock).
    """
    if method not in ("device", "browser"):
        raise CredentialsError(f"unknown login method {method!r}; use device or browser")
    account = make_account(config, graph_url=graph_url, login_http_client=login_http_client)
    backend: KeyringTokenBackend = account.con.token_backend
    with contextlib.closing(_Closer(account)), map_errors("graph"), _login_errors():
        backend.delete_token()  # a new login replaces whoever was signed in before
        app = account.con.msal_client
        scopes = scopes_for(account, contacts=wants_contacts(config))
        if method == "device":
            flow = app.initiate_device_flow(scopes=scopes)
            if "user_code" not in flow:
                raise CredentialsError(f"Microsoft refused to start the sign-in: {_aad_error(flow)}")
            echo(flow["message"])
            result = app.acquire_token_by_device_flow(flow)
        else:
            echo("Opening the browser to sign in to Microsoft 365 ...")
            result = app.acquire_token_interactive(scopes=scopes, prompt="select_account", timeout=timeout)
        if "access_token" not in result:
            raise CredentialsError(f"sign-in failed: {_aad_error(result)}")
        backend.save_token(force=True)
    claims = result.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("email") or claims.get("name") or "")
    log.info("Signed in to Microsoft 365 as %s", username)
    return username


class _Closer:
    def __init__(self, account: Any) -> None:
        self.account = account

    def close(self) -> None:
        close_account(self.account)


@contextlib.contextmanager
def _login_errors() -> Iterator[None]:
    try:
        yield
    except ValueError as exc:  # msal: bad authority, reserved scope, undecodable answer
        raise CredentialsError(f"sign-in could not start: {redact(str(exc))[:200]}") from exc


def _aad_error(result: dict[str, Any]) -> str:
    code = str(result.get("error", "unknown_error"))
    description = str(result.get("error_description", "")).splitlines()[0:1]
    return redact(f"{code}: {description[0]}" if description else code)[:300]


def logout(config: Config) -> bool:
    """Forget the stored token; True if there was one. Tokens already issued expire on their own (about 1 h)."""
    check_keyring()
    with map_errors("graph"):
        removed = bool(KeyringTokenBackend(key=token_key(config)).delete_token())
    if removed:
        log.info("Removed the Microsoft 365 login from the OS keyring")
    return removed


def whoami(config: Config, *, graph_url: str | None = None, login_http_client: Any = None) -> str | None:
    """The signed-in user's address as Graph reports it, or None when nobody is signed in."""
    account = make_account(config, graph_url=graph_url, login_http_client=login_http_client)
    with contextlib.closing(_Closer(account)), map_errors("graph"):
        if not account.con.load_token_from_backend():
            return None
        url = f"{account.protocol.service_url}me"
        data = account.con.get(url, params={"$select": "mail,userPrincipalName,displayName"}).json()
    return str(data.get("mail") or data.get("userPrincipalName") or "") or None
