"""pytest fixtures around the fake Graph: a running server, a config pointing at it, a signed-in O365 account.

Import them explicitly (``from tests.fakegraph.fixtures import *``) or through ``tests/graph/conftest.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from followup_sync import config as config_mod
from followup_sync.backends.graphsink import KEY_PROP, parse_key_value
from followup_sync.config import Config
from followup_sync.credentials import KeyringTokenBackend, close_account, make_account, scopes_for
from tests.fakegraph.server import FakeGraph, Server

LOGIN_HOST = "https://login.microsoftonline.com"


class RedirectingSession(requests.Session):
    """msal only accepts https authorities; its HTTP goes through this session, which sends it to the fake."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        if text.startswith(LOGIN_HOST):
            text = self.base_url + "/login" + text[len(LOGIN_HOST) :]
        return super().request(method, text, *args, **kwargs)


def graph_config(tmp_path: Path, fake: FakeGraph, **graph: Any) -> Config:
    return config_mod.parse(
        {
            "identity": {"addresses": [fake.user], "timezone": "Europe/Berlin", "name": fake.user_name},
            "mail": {"backend": "graph"},
            "meetings": {"backend": "graph"},
            # the fake's tests write hundreds of reminders in one pass: no daily cap (tests/test_pacing.py has it)
            "reminders": {"backend": "graph", "max_new_per_day": 500},
            "state": {"path": str(tmp_path / "state" / "state.db")},
            "graph": {"client_id": fake.client_id, "timeout_seconds": 2, "max_retry_wait_seconds": 5, **graph},
        }
    )


def connect(config: Config, server: Server, **kw: Any) -> Any:
    """An O365 Account against the fake, with test-speed backoff; the server closes its sessions at the end."""
    kw.setdefault("backoff", 0.01)
    login_session = RedirectingSession(server.url)
    account = make_account(config, graph_url=server.url, login_http_client=login_session, **kw)
    server.on_close.append(lambda: (close_account(account), login_session.close()))
    return account


def seed_token(account: Any, fake: FakeGraph, *, expires_in: int = 3600) -> dict[str, Any]:
    """Put a token response into the account's keyring-backed cache, as a finished login would (notes §2.5)."""
    backend: KeyringTokenBackend = account.con.token_backend
    response = fake.issue_tokens(expires_in=expires_in)
    backend.add(
        {
            "client_id": fake.client_id,
            "scope": scopes_for(account),
            "token_endpoint": f"{LOGIN_HOST}/common/oauth2/v2.0/token",
            "grant_type": "device_code",
            "response": dict(response),
        }
    )
    backend.save_token(force=True)
    return response


def expire_tokens(account: Any, fake: FakeGraph) -> None:
    """Let the access token run out, on both sides: the fake rejects it and the client's cache knows it is old."""
    fake.expire_access_tokens()
    backend = account.con.token_backend
    for entry in backend._cache.get("AccessToken", {}).values():
        entry["expires_on"] = entry["extended_expires_on"] = str(int(time.time()) - 60)
    backend.save_token(force=True)  # the keyring copy is just as old


def reminder_key(event: dict[str, Any]) -> str | None:
    """The KEY of one of our events as the fake stores it (the property value also carries our hashes)."""
    for p in event["singleValueExtendedProperties"]:
        if p["id"] == KEY_PROP:
            return parse_key_value(str(p["value"]))[0]
    return None


def events_by_key(fake: FakeGraph) -> dict[str, dict[str, Any]]:
    """Our events by KEY; asserts there is one per key."""
    out: dict[str, dict[str, Any]] = {}
    for ev in fake.ours(KEY_PROP):
        key = reminder_key(ev)
        assert key is not None and key not in out, f"duplicate reminder for {key}"
        out[key] = ev
    return out


@pytest.fixture
def fake() -> FakeGraph:
    return FakeGraph(user="rep@contoso.com", client_id="11111111-2222-3333-4444-555555555555")


@pytest.fixture
def server(fake: FakeGraph) -> Iterator[Server]:
    with Server(fake) as srv:
        yield srv


@pytest.fixture
def config(tmp_path: Path, fake: FakeGraph) -> Config:
    return graph_config(tmp_path, fake)


@pytest.fixture
def account(config: Config, server: Server, fake: FakeGraph, memory_keyring: Any) -> Any:
    acct = connect(config, server)
    seed_token(acct, fake)
    return acct
