"""Login, refresh, expiry and logout against the fake Entra token endpoint; the keyring checks; canary tokens.

Every token the fake issues starts with ``CANARY-``; none may show up in a log record (at DEBUG), an exception
message, the config or any file under the private home.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import webbrowser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.config import Config
from followup_sync.credentials import KeyringTokenBackend, check_keyring, login, logout, token_key, whoami
from followup_sync.errors import CredentialsError
from followup_sync.sync import run_once
from tests.conftest import MemoryKeyring
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import RedirectingSession, connect, expire_tokens, seed_token
from tests.fakegraph.server import FakeGraph, Server


def _login(config: Config, server: Server, lines: list[str]) -> str:
    with RedirectingSession(server.url) as http:
        return login(config, echo=lines.append, graph_url=server.url, login_http_client=http)


def _who(config: Config, server: Server) -> str | None:
    with RedirectingSession(server.url) as http:
        return whoami(config, graph_url=server.url, login_http_client=http)


def test_device_login_whoami_logout(
    config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring
) -> None:
    assert _who(config, server) is None
    lines: list[str] = []
    assert _login(config, server, lines) == "rep@contoso.com"
    assert "https://microsoft.com/devicelogin" in lines[0]
    # the cache is in the keyring only, split into entries Windows Credential Manager accepts
    entries = {u: v for (s, u), v in memory_keyring.store.items() if s == "followup-sync"}
    assert entries[f"{token_key(config)}#n"] == str(len(entries) - 1)
    assert len(entries) > 2
    assert all(len(v) <= 1000 for v in entries.values())
    assert _who(config, server) == "rep@contoso.com"
    assert logout(config) is True
    assert not any(s == "followup-sync" for s, _ in memory_keyring.store)
    assert logout(config) is False
    assert _who(config, server) is None


def test_device_login_waits_for_approval(
    config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring
) -> None:
    fake.device_pending_polls = 1  # msal polls again after `interval` (1 s)
    assert _login(config, server, []) == "rep@contoso.com"


def test_device_login_declined(
    config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring
) -> None:
    fake.token_error = {"error": "authorization_declined", "error_description": "AADSTS70000: declined"}
    with pytest.raises(CredentialsError, match="authorization_declined"):
        _login(config, server, [])
    assert not memory_keyring.store


def test_expired_access_token_is_refreshed_and_saved(account: Any, fake: FakeGraph, tmp_path: Path) -> None:
    first = seed_token(account, fake, expires_in=3600)
    fake.add_message(
        "inbox",
        sender="jane@acme.com",
        to=[fake.user],
        subject="hi",
        body="x",
        sent=datetime(2026, 11, 20, tzinfo=UTC),
    )
    src = GraphMailSource(account, state_file=tmp_path / "d.json")
    list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    expire_tokens(account, fake)
    tmp_path.joinpath("d.json").unlink()
    assert len(list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))) == 1
    assert first["refresh_token"] not in fake.refresh_tokens  # rotated
    stored = KeyringTokenBackend(key=account.con.token_backend.key)
    assert stored.load_token()
    assert stored.get_refresh_token()["secret"] in fake.refresh_tokens


def test_revoked_refresh_token_says_run_login(account: Any, fake: FakeGraph, tmp_path: Path) -> None:
    expire_tokens(account, fake)
    fake.revoke_refresh_tokens()
    src = GraphMailSource(account, state_file=tmp_path / "d.json")
    with pytest.raises(CredentialsError, match="run `followup-sync login`") as info:
        list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert "CANARY" not in "".join(traceback.format_exception(info.value))


def test_no_token_at_all_says_run_login(
    config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    src = GraphMailSource(connect(config, server), state_file=tmp_path / "d.json")
    with pytest.raises(CredentialsError, match="followup-sync login") as info:
        list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    # issue 9, item 7: never signed in is not an expired login, and asking costs no request
    assert "not signed in" in str(info.value) and "expired" not in str(info.value)
    assert fake.request_count() == 0


def test_refused_token_the_client_holds_as_valid_is_refreshed_once(
    account: Any, fake: FakeGraph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9, item 7: a 401 on a token that has not expired (revoked session, password change) gets one
    refresh and one retry; the pass goes on without asking the rep to sign in."""
    src = GraphMailSource(account, state_file=tmp_path / "d.json")
    fake.add_message("inbox", sender="jane@acme.com", to=[fake.user], subject="hi", body="x",
                     sent=datetime(2026, 11, 20, tzinfo=UTC))  # fmt: skip
    list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    old = account.con.token_backend.get_access_token()["secret"]
    fake.invalidate_access_tokens()
    fake.reset_counts()
    tmp_path.joinpath("d.json").unlink()
    with caplog.at_level(logging.INFO, logger="followup_sync"):
        assert len(list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))) == 1
    new = account.con.token_backend.get_access_token()["secret"]
    assert new != old and fake.token_valid(f"Bearer {new}")
    assert fake.counts["LOGIN"] >= 1  # one token request at Entra
    assert "refreshing it once" in caplog.text
    stored = KeyringTokenBackend(key=account.con.token_backend.key)
    assert stored.load_token() and stored.get_access_token()["secret"] == new


def test_refused_token_and_refused_refresh_says_run_login(account: Any, fake: FakeGraph, tmp_path: Path) -> None:
    fake.invalidate_access_tokens()
    fake.revoke_refresh_tokens()
    src = GraphMailSource(account, state_file=tmp_path / "d.json")
    with pytest.raises(CredentialsError, match="run `followup-sync login`") as info:
        list(src.messages(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)))
    assert "CANARY" not in "".join(traceback.format_exception(info.value))


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_unusable_keyring_refused(backend: type, config: Config, server: Server) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend())
    try:
        with pytest.raises(CredentialsError, match="no usable OS keyring") as info:
            _login(config, server, [])
    finally:
        keyring.set_keyring(previous)
    assert "\n" not in str(info.value)


def test_plaintext_keyring_needs_opt_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    plain = PlaintextKeyring()
    plain.file_path = str(tmp_path / "kr.cfg")  # type: ignore[misc]
    keyring.set_keyring(plain)
    try:
        monkeypatch.delenv("FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING", raising=False)
        with pytest.raises(CredentialsError, match="FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING=1"):
            check_keyring()
        monkeypatch.setenv("FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING", "1")
        check_keyring()
    finally:
        keyring.set_keyring(previous)


def test_chunks_shrink_cleanly(memory_keyring: MemoryKeyring) -> None:
    backend = KeyringTokenBackend(key="t")
    backend._cache = {"AccessToken": {"x": {"secret": "A" * 3500}}}
    backend.save_token(force=True)
    assert memory_keyring.store[("followup-sync", "t#n")] == str(len(memory_keyring.store) - 1)
    backend._cache = {"AccessToken": {"x": {"secret": "B" * 10}}}
    backend.save_token(force=True)
    assert set(memory_keyring.store) == {("followup-sync", "t#n"), ("followup-sync", "t#0")}
    again = KeyringTokenBackend(key="t")
    assert again.load_token() and again._cache["AccessToken"]["x"]["secret"] == "B" * 10


def test_no_token_leaks(
    config: Config,
    server: Server,
    fake: FakeGraph,
    memory_keyring: MemoryKeyring,
    home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Login, refresh, expiry and errors with DEBUG logging on every logger: no CANARY token anywhere."""
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        _login(config, server, texts)
        account = connect(config, server)
        src = GraphMailSource(account, state_file=config.state_path.parent / "graph-delta.json")
        window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
        list(src.messages(*window))
        expire_tokens(account, fake)
        mailbox.build(fake, messages=60, now=window[1])
        sink = GraphReminderSink(account)
        result = run_once(config, now=window[1], mail=src, meetings=GraphMeetingSource(account), sink=sink)
        assert result.stats.created > 0 and config.state_path.exists()  # a whole pass, refreshing on the way
        expire_tokens(account, fake)
        fake.revoke_refresh_tokens()
        try:
            list(src.messages(*window))
        except CredentialsError as exc:
            texts.append("".join(traceback.format_exception(exc)))
        texts.append(str(_who_safe(config, server)))
    texts.append(caplog.text)
    texts.extend(r.getMessage() for r in caplog.records)
    files = [p for p in [*home.rglob("*"), *tmp_path.rglob("*")] if p.is_file()]
    assert config.state_path in files
    texts.extend(p.read_bytes().decode("utf-8", errors="replace") for p in files)
    issued = [*fake.secrets_issued, "CANARY-"]
    assert len(issued) > 3
    blob = "\n".join(texts)
    assert "Bearer" in caplog.text  # O365 did log its session headers at DEBUG, redacted
    for secret in issued:
        assert secret not in blob


def _who_safe(config: Config, server: Server) -> str | None:
    try:
        return _who(config, server)
    except CredentialsError as exc:
        return "".join(traceback.format_exception(exc))


def test_second_account_reloads_a_token_refreshed_elsewhere(
    config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    """Mail and calendar backends (or daemon and CLI) hold their own cache; Entra rotates refresh tokens."""
    first, second = connect(config, server), connect(config, server)
    seed_token(first, fake)
    second.con.load_token_from_backend()
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    list(GraphMailSource(second, state_file=tmp_path / "a.json").messages(*window))
    expire_tokens(first, fake)
    expire_tokens(second, fake)
    list(GraphMailSource(first, state_file=tmp_path / "b.json").messages(*window))  # refreshes, rotates the RT
    list(GraphMailSource(second, state_file=tmp_path / "c.json").messages(*window))  # stale RT: must reload
    assert fake.counts["LOGIN"] >= 1


class _Browser(webbrowser.BaseBrowser):
    """Plays the user in the system browser: follows the sign-in page's redirect back to msal's local listener."""

    def __init__(self, http: requests.Session) -> None:
        super().__init__("followup-sync-test")
        self.http = http
        self.threads: list[threading.Thread] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        def visit() -> None:
            page = self.http.get(url, timeout=5).text
            action = re.search(r'action="([^"]+)"', page)
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
            assert action is not None
            with requests.post(action.group(1), data=fields, timeout=5) as back:
                back.raise_for_status()

        thread = threading.Thread(target=visit, daemon=True)
        thread.start()
        self.threads.append(thread)
        return True


def test_browser_login(config: Config, server: Server, fake: FakeGraph, memory_keyring: MemoryKeyring) -> None:
    previous = list(webbrowser._tryorder or [])  # type: ignore[attr-defined]
    with RedirectingSession(server.url) as http:
        browser = _Browser(http)
        webbrowser.register("followup-sync-test", None, browser, preferred=True)
        try:
            lines: list[str] = []
            user = login(
                config,
                method="browser",
                echo=lines.append,
                graph_url=server.url,
                login_http_client=http,
                timeout=20,
            )
        finally:
            webbrowser._tryorder = previous  # type: ignore[attr-defined]
            for thread in browser.threads:
                thread.join(timeout=5)
    assert user == "rep@contoso.com"
    assert _who(config, server) == "rep@contoso.com"
