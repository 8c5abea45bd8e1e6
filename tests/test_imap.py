"""ImapSource against a real Dovecot on 127.0.0.1 (the recipe in notes/reliability-and-test-servers.md §2b).

Mail is seeded by dropping files into the Maildir before the server starts. The wrong-password test
connects from 127.0.0.2: Dovecot's anvil would otherwise delay the next login from 127.0.0.1 by 4 s.
"""

from __future__ import annotations

import imaplib
import logging
import os
import shutil
import socket
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends import mime
from followup_sync.backends.imap import (
    ImapSettings,
    ImapSource,
    load_password,
    map_error,
    parse_settings,
    store_password,
)
from followup_sync.config import BackendSection
from followup_sync.errors import BackendError, ConfigError, CredentialsError, TransientError
from tests import dovecotlab
from tests.conftest import MemoryKeyring
from tests.contract import MailSourceContract, raw_message

imapclient = pytest.importorskip("imapclient")

DOVECOT = dovecotlab.DOVECOT
pytestmark = pytest.mark.skipif(
    DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd; .ci/run installs it)"
)

USER, PASSWORD = dovecotlab.USER, dovecotlab.PASSWORD
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC))

SEED: dict[str, list[tuple[str, bytes]]] = {
    "": [
        ("new", raw_message(msg_id="<reply1@customer.example>", date="Wed, 04 Mar 2026 09:00:00 +0000")),
        ("new", raw_message(msg_id="<old@customer.example>", date="Mon, 02 Feb 2026 09:00:00 +0000")),
        ("new", b"Message-ID: <nodate@x.example>\r\nFrom: a@x.example\r\nSubject: no date\r\n\r\nbody\r\n"),
        (
            "new",
            raw_message(msg_id="<charset@x.example>", date="Thu, 05 Mar 2026 09:00:00 +0000").replace(
                b"charset=utf-8", b"charset=x-unknown"
            ),
        ),
    ],
    ".Sent": [
        (
            "cur",
            raw_message(
                msg_id="<sent1@ourco.example>",
                date="Tue, 03 Mar 2026 15:00:00 +0100",
                sender="Rep <rep@ourco.example>",
                to="jane@customer.example",
                body="I'll send the revised pricing tomorrow.",
            ),
        )
    ],
    ".Customers": [
        ("cur", raw_message(msg_id="<filed@customer.example>", date="Fri, 06 Mar 2026 09:00:00 +0000")),
        ("cur", raw_message(msg_id="<reply1@customer.example>", date="Wed, 04 Mar 2026 09:00:00 +0000")),  # a copy
    ],
    ".Trash": [("cur", raw_message(msg_id="<deleted@x.example>", date="Fri, 06 Mar 2026 09:00:00 +0000"))],
    ".Junk": [("cur", raw_message(msg_id="<spam@x.example>", date="Fri, 06 Mar 2026 09:00:00 +0000"))],
}


@dataclass(frozen=True)
class Server:
    port: int
    root: Path
    settings: ImapSettings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(maildir: Path) -> None:
    for folder, items in SEED.items():
        base = maildir / folder if folder else maildir
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for i, (sub, raw) in enumerate(items):
            name = f"1700000000.M{i}P1.test" + (":2,S" if sub == "cur" else "")
            path = base / sub / name
            path.write_bytes(raw)
            # Dovecot takes INTERNALDATE from the file's mtime; undated mail arrived in the window too.
            sent = mime.quick_date(raw) or datetime(2026, 3, 2, tzinfo=UTC)
            os.utime(path, (sent.timestamp(), sent.timestamp()))


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Server]:
    # mkdtemp, not tmp_path: pytest's base temp dir is 0700 and Dovecot's mail user must traverse it.
    root = Path(tempfile.mkdtemp(prefix="followup-dovecot-"))
    root.chmod(0o755)
    _seed(root / "mail" / USER / "Maildir")
    try:
        with dovecotlab.running(root) as port:
            yield Server(
                port, root, ImapSettings(host="127.0.0.1", username=USER, port=port, ssl=False, timeout=10)
            )
    except dovecotlab.DovecotFailed as exc:
        pytest.fail(str(exc))
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def keyring_with_password(memory_keyring: MemoryKeyring, dovecot: Server) -> MemoryKeyring:
    store_password("127.0.0.1", USER, PASSWORD)
    return memory_keyring


def _flags(server: Server, folder: str) -> dict[bytes, tuple[bytes, ...]]:
    client = imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
    try:
        client.login(USER, PASSWORD)
        client.select_folder(folder, readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
        heads = client.fetch(list(flags), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        return {bytes(heads[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]).strip(): tuple(flags[uid]) for uid in flags}
    finally:
        client.logout()


def test_reads_inbox_and_sent_without_marking_seen(
    dovecot: Server, keyring_with_password: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    source = ImapSource(dovecot.settings)
    with caplog.at_level(logging.WARNING):
        found = {m.id: m for m in source.messages(*MARCH)}
    # Every folder but Trash (special-use) and Junk (by name); the copy in Customers is yielded once.
    assert set(found) == {
        "reply1@customer.example",
        "charset@x.example",
        "sent1@ourco.example",
        "filed@customer.example",
    }
    sent = found["sent1@ourco.example"]
    assert sent.folder == "Sent"  # found through SPECIAL-USE \Sent
    assert sent.sender == "rep@ourco.example"
    assert sent.sent_at == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    assert sent.body.strip() == "I'll send the revised pricing tomorrow."
    assert sent.link is not None and sent.link.startswith(f"imap://{USER}@127.0.0.1/Sent;UIDVALIDITY=")
    assert found["reply1@customer.example"].folder == "INBOX"
    assert found["filed@customer.example"].folder == "Customers"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "nodate@x.example" in warnings[0] and "no Date header" in warnings[0]
    assert source.skipped == 1
    assert all(b"\\Seen" not in flags for flags in _flags(dovecot, "INBOX").values())


def test_configured_folders_and_missing_ones(
    dovecot: Server, keyring_with_password: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    settings = replace(dovecot.settings, folders=("Customers", "\\Sent", "No such folder"))
    with caplog.at_level(logging.WARNING):
        found = {m.id: m.folder for m in ImapSource(settings).messages(*MARCH)}
    assert found == {
        "filed@customer.example": "Customers",
        "reply1@customer.example": "Customers",
        "sent1@ourco.example": "Sent",
    }
    assert "'No such folder' does not exist" in caplog.text


def test_window_reaches_back_to_february(dovecot: Server, keyring_with_password: MemoryKeyring) -> None:
    feb = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC))
    settings = replace(dovecot.settings, folders=("INBOX",))
    assert [m.id for m in ImapSource(settings).messages(*feb)] == ["old@customer.example"]


class _FromSecondLoopback(imaplib.IMAP4):
    """Connects from 127.0.0.2 so a failed login does not slow later logins from 127.0.0.1 (anvil)."""

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout, source_address=("127.0.0.2", 0))


class _ClientFromSecondLoopback(imapclient.IMAPClient):  # type: ignore[misc]
    def _create_IMAP4(self) -> imaplib.IMAP4:
        return _FromSecondLoopback(self.host, self.port, timeout=10)


def test_wrong_password_is_a_credentials_error(dovecot: Server, memory_keyring: MemoryKeyring) -> None:
    store_password("127.0.0.1", USER, "wrong")
    source = ImapSource(
        dovecot.settings,
        client_factory=lambda s: _ClientFromSecondLoopback(s.host, port=s.port, ssl=False, timeout=10),
    )
    with pytest.raises(CredentialsError) as info:
        list(source.messages(*MARCH))
    assert str(info.value) == (
        "IMAP login for alice at 127.0.0.1 was refused; store the password with `followup-sync imap-password`"
    )
    assert isinstance(info.value.__cause__, imapclient.exceptions.LoginError)
    assert "wrong" not in str(info.value)


def test_no_password_stored(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError, match="followup-sync imap-password"):
        load_password("imap.example.com", "rep")
    store_password("imap.example.com", "rep", "s3cret")
    assert memory_keyring.store == {("followup-sync", "imap:rep@imap.example.com"): "s3cret"}
    assert load_password("imap.example.com", "rep") == "s3cret"


def test_nothing_listening_is_transient(memory_keyring: MemoryKeyring) -> None:
    store_password("127.0.0.1", USER, PASSWORD)
    settings = ImapSettings(host="127.0.0.1", username=USER, port=_free_port(), ssl=False, timeout=2)
    with pytest.raises(TransientError) as info:
        list(ImapSource(settings).messages(*MARCH))
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_tls_against_a_plain_port_is_a_clear_error(dovecot: Server, keyring_with_password: MemoryKeyring) -> None:
    settings = replace(dovecot.settings, ssl=True)
    with pytest.raises(BackendError, match="TLS") as info:
        list(ImapSource(settings).messages(*MARCH))
    assert not isinstance(info.value, TransientError)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (imapclient.exceptions.LoginError("[AUTHENTICATIONFAILED]"), CredentialsError),
        (imapclient.exceptions.IMAPClientAbortError("socket error: EOF"), TransientError),
        (TimeoutError("timed out"), TransientError),
        (ConnectionResetError(104, "reset"), TransientError),
        (socket.gaierror(-2, "Name or service not known"), TransientError),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), BackendError),
        (imapclient.exceptions.IMAPClientError("SELECT failed"), BackendError),
        (ValueError("odd"), BackendError),
    ],
)
def test_error_mapping_is_complete(exc: BaseException, expected: type[Exception]) -> None:
    settings = ImapSettings(host="imap.example.com", username="rep")
    mapped = map_error(exc, settings)
    assert type(mapped) is expected


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"host": "h", "username": "u", "password": "pw"}, "passwords never go in the config file"),
        ({"host": "h", "username": "u", "colour": 1}, "[mail] colour: unknown key; allowed: folders, host"),
        ({"host": "h", "username": "u", "timeout_seconds": 0}, "[mail] timeout_seconds: must be a number"),
        ({"username": "u"}, "[mail] host: required"),
        ({"host": "h", "username": "u", "port": "993"}, "[mail] port: must be a port number"),
        ({"host": "h", "username": "u", "folders": []}, "[mail] folders: must be a list"),
        ({"host": "h", "username": "u", "ssl": "yes"}, "[mail] ssl: must be true or false"),
        ({"host": "h", "username": "u", "starttls": True}, "use either ssl = true (port 993) or starttls"),
    ],
)
def test_config_problems(options: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_settings(BackendSection(role="mail", backend="imap", options=options))
    assert problem in str(info.value)


def test_plaintext_login_over_the_network_is_warned(caplog: pytest.LogCaptureFixture) -> None:
    options: dict[str, Any] = {"host": "imap.example.com", "username": "u", "ssl": False}
    with caplog.at_level(logging.WARNING):
        parse_settings(BackendSection(role="mail", backend="imap", options=options))
        parse_settings(BackendSection(role="mail", backend="imap", options={**options, "starttls": True}))
        parse_settings(BackendSection(role="mail", backend="imap", options={**options, "host": "localhost"}))
    assert [r.getMessage() for r in caplog.records] == [
        "[mail] ssl and starttls are both off: the IMAP password for imap.example.com goes over the network "
        "unencrypted"
    ]


def test_starttls_refused_by_the_server(dovecot: Server, keyring_with_password: MemoryKeyring) -> None:
    settings = replace(dovecot.settings, starttls=True)
    with pytest.raises(BackendError, match="STARTTLS") as info:
        list(ImapSource(settings).messages(*MARCH))
    assert not isinstance(info.value, TransientError)


def test_config_defaults() -> None:
    settings = parse_settings(BackendSection(role="mail", backend="imap", options={"host": "h", "username": "u"}))
    assert (settings.port, settings.ssl, settings.folders, settings.timeout) == (993, True, None, 60.0)
    plain = parse_settings(
        BackendSection(role="mail", backend="imap", options={"host": "h", "username": "u", "ssl": False})
    )
    assert plain.port == 143


class TestImapContract(MailSourceContract):
    """The shared mail-source contract, each test in its own freshly created folder on the server."""

    @pytest.fixture(autouse=True)
    def _server(self, dovecot: Server, keyring_with_password: MemoryKeyring) -> Iterator[None]:
        self.server = dovecot
        self.created: list[str] = []
        yield
        client = imapclient.IMAPClient("127.0.0.1", port=dovecot.port, ssl=False, timeout=10)
        try:
            client.login(USER, PASSWORD)
            for folder in self.created:  # other tests read every folder
                client.delete_folder(folder)
        finally:
            client.logout()

    def make_source(self, tmp_path: Path, raws: Sequence[bytes]) -> ImapSource:
        folder = f"contract-{tmp_path.name}"
        client = imapclient.IMAPClient("127.0.0.1", port=self.server.port, ssl=False, timeout=10)
        try:
            client.login(USER, PASSWORD)
            client.create_folder(folder)
            self.created.append(folder)
            for raw in raws:
                sent = mime.quick_date(raw)
                when = sent if sent is not None else datetime(2026, 3, 2, tzinfo=UTC)
                client.append(folder, raw, msg_time=when)
        finally:
            client.logout()
        return ImapSource(replace(self.server.settings, folders=(folder,)))


def test_fetch_batches_bound_memory() -> None:
    from followup_sync.backends.imap import FETCH_BATCH, FETCH_BATCH_BYTES, _sized_batches

    big = FETCH_BATCH_BYTES // 2 + 1
    assert list(_sized_batches([(1, big), (2, big), (3, 10), (4, 4 * FETCH_BATCH_BYTES)])) == [[1], [2, 3], [4]]
    small = [(uid, 100) for uid in range(FETCH_BATCH + 1)]
    assert [len(b) for b in _sized_batches(small)] == [FETCH_BATCH, 1]
    assert list(_sized_batches([])) == []


def test_default_folders_skip_trash_junk_drafts_and_all_mail() -> None:
    from followup_sync.backends.imap import _default_folders

    listed = [
        ((b"\\HasNoChildren",), b"/", "Junk"),
        ((b"\\Noselect",), b"/", "[Gmail]"),
        ((), b"/", "[Gmail]/All Mail"),
        ((b"\\All",), b"/", "Everything"),
        ((b"\\Drafts",), b"/", "Entw\u00fcrfe"),
        ((), b".", "INBOX.Customers"),
        ((), b".", "INBOX.Deleted Items"),
        ((), None, "Spam"),
        ((b"\\Sent",), b"/", "Sent Items"),
        ((), b"/", "INBOX"),
    ]
    assert _default_folders(listed) == ["INBOX", "INBOX.Customers", "Sent Items"]


# --- incremental passes (issue 11) ------------------------------------------------------------------------


class _CountingIMAP4(imaplib.IMAP4):
    """Records the name of every command sent to the server."""

    sent: list[str]

    def _command(self, name: str, *args: Any) -> Any:
        self.sent.append(name)
        return super()._command(name, *args)


def _counting_factory(sent: list[str]) -> Any:
    class Client(imapclient.IMAPClient):  # type: ignore[misc]
        def _create_IMAP4(self) -> imaplib.IMAP4:
            imap = _CountingIMAP4.__new__(_CountingIMAP4)
            imap.sent = sent
            imaplib.IMAP4.__init__(imap, self.host, self.port, timeout=10)
            return imap

    return lambda s: Client(s.host, port=s.port, ssl=False, timeout=10)


def _admin(server: Server) -> Any:
    client = imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
    client.login(USER, PASSWORD)
    return client


def _append(server: Server, folder: str, raws: Sequence[bytes], *, create: bool = False) -> None:
    client = _admin(server)
    try:
        if create:
            client.create_folder(folder)
        for raw in raws:
            client.append(folder, raw, msg_time=mime.quick_date(raw))
    finally:
        client.logout()


def test_passes_read_only_new_messages(
    dovecot: Server, keyring_with_password: MemoryKeyring, tmp_path: Path
) -> None:
    from followup_sync.state import State

    folder = f"incr-{tmp_path.name}"
    day = "Mon, 09 Mar 2026 10:00:00 +0000"
    _append(dovecot, folder, [raw_message(msg_id=f"<i{n}@x.example>", date=day) for n in range(3)], create=True)
    sent: list[str] = []
    source = ImapSource(replace(dovecot.settings, folders=(folder,)), client_factory=_counting_factory(sent))
    state = State.memory()

    def run(window: tuple[datetime, datetime] = MARCH) -> list[str]:
        memory = state.source_memory(source.key)
        source.remember(memory)
        sent.clear()
        ids = sorted(m.id for m in source.messages(*window))
        with state.transaction():
            memory.commit()
        return ids

    try:
        assert run() == ["i0@x.example", "i1@x.example", "i2@x.example"]
        assert source.fetched == 3
        # idle: a handful of commands, no folder opened, nothing fetched
        assert run() == []
        assert sorted(set(sent)) == ["CAPABILITY", "LIST", "LOGIN", "LOGOUT", "STATUS"]
        assert len(sent) <= 6 and source.fetched == 0

        _append(dovecot, folder, [raw_message(msg_id="<i3@x.example>", date=day)])
        future = raw_message(msg_id="<i4@x.example>", date="Thu, 02 Apr 2026 10:00:00 +0000")
        _append(dovecot, folder, [future])
        assert run() == ["i3@x.example"]
        assert source.fetched == 1  # the new one; i4 is dated after the window: only its Date was fetched
        april = (datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC))
        assert run(april) == ["i4@x.example"]
        assert run(april) == [] and source.fetched == 0

        # the folder is rebuilt (new UIDVALIDITY): read afresh
        client = _admin(dovecot)
        try:
            client.delete_folder(folder)
        finally:
            client.logout()
        _append(dovecot, folder, [raw_message(msg_id="<i5@x.example>", date=day)], create=True)
        assert run() == ["i5@x.example"]
    finally:
        client = _admin(dovecot)
        try:
            client.delete_folder(folder)
        finally:
            client.logout()


def test_imap_is_incremental() -> None:
    from followup_sync.backends.base import Incremental

    source = ImapSource(ImapSettings(host="h", username="u"))
    assert isinstance(source, Incremental) and source.key == "imap:u@h:993"
