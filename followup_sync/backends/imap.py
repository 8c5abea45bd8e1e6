"""Mail read over IMAP (extra ``[imap]``): INBOX, Sent and the folders the rep files replies in.

By default every folder is read except trash, junk, drafts and all-mail views; ``folders`` narrows that to a
list (``"\\Sent"`` there means the server's SPECIAL-USE Sent folder, whatever its name). A message found in two
folders (copies, Gmail labels) is yielded once.

Folders are opened read-only (EXAMINE) and bodies fetched with ``BODY.PEEK[]``, so reading never marks the
rep's mail as seen. A first pass searches ``SINCE`` the window's first day, fetches only the Date header of
each hit, and downloads whole messages only for those inside the window. Parsing is ``mime.parse_message``.

Later passes read only what is new (``base.Incremental``). A message never changes under its UID while the
folder's UIDVALIDITY stands (RFC 3501 §2.3.1.1), and new messages get UIDs from UIDNEXT up; so each folder's
UIDVALIDITY and the UIDNEXT up to which it was read are remembered. A pass asks each folder's ``STATUS``: same
UIDVALIDITY and UIDNEXT, nothing new, and the folder is not even opened; a higher UIDNEXT, only UIDs from the
remembered one up are looked at; another UIDVALIDITY (the server rebuilt the folder), it is read afresh. An idle
pass is LOGIN, LIST, one STATUS per folder and LOGOUT. Where the server has CONDSTORE, HIGHESTMODSEQ is asked
and remembered too; it moves with flag changes and expunges, which change no message we read, so it never
causes a read. A message dated after the window is kept by UID and looked at again at later passes.

The password lives in the OS keyring (service ``followup-sync``, user ``imap:<username>@<host>``), never in
the config file; :func:`store_password` puts it there for ``followup-sync imap-password``.

Library and socket errors are mapped at this boundary (:func:`map_error`): a refused login is a
``CredentialsError``; network trouble, timeouts and dropped connections are ``TransientError``; any other
protocol error is ``BackendError``.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self
from urllib.parse import quote

from followup_sync.backends import mime
from followup_sync.backends.base import Memory
from followup_sync.config import BackendSection, Config
from followup_sync.errors import BackendError, ConfigError, CredentialsError, Error, TransientError
from followup_sync.model import Message

log = logging.getLogger(__name__)

KEYRING_SERVICE = "followup-sync"
SENT = "\\Sent"
# Without `folders`, every folder is read (replies are often filed away), except these special-use ones
# (RFC 6154) and their usual names on servers that do not advertise SPECIAL-USE.
SKIPPED_FLAGS = frozenset(
    {b"\\Noselect", b"\\NonExistent", b"\\Trash", b"\\Junk", b"\\Drafts", b"\\All", b"\\Flagged"}
)
SKIPPED_NAMES = frozenset(
    {
        "trash",
        "deleted items",
        "deleted messages",
        "junk",
        "junk e-mail",
        "junk email",
        "spam",
        "drafts",
        "all mail",
    }
)
FETCH_BATCH = 50
FETCH_BATCH_BYTES = 16 * 1024 * 1024  # a batch of 50 messages near the 25 MB cap would need 1.25 GB
_OPTIONS = frozenset(
    {"host", "port", "ssl", "starttls", "username", "password_keyring", "folders", "timeout_seconds", "timeout"}
)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def keyring_user(host: str, username: str) -> str:
    return f"imap:{username}@{host}"


def store_password(host: str, username: str, password: str) -> str:
    """Save the IMAP password in the OS keyring, where :class:`ImapSource` looks for it; the keyring's name."""
    from followup_sync import keystore

    return keystore.store_secret(
        keyring_user(host, username), password, what="IMAP password", service=KEYRING_SERVICE
    )


def load_password(host: str, username: str, *, entry: str | None = None) -> str:
    from followup_sync import keystore

    user = entry or keyring_user(host, username)
    password = keystore.read_secret(user, what="IMAP password", service=KEYRING_SERVICE)
    if password is None:
        raise CredentialsError(
            f"no IMAP password stored for {username} at {host}; store it with `followup-sync imap-password`"
        )
    return password


@dataclass(frozen=True)
class ImapSettings:
    host: str
    username: str
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    folders: tuple[str, ...] | None = None  # None: every folder but SKIPPED_FLAGS / SKIPPED_NAMES
    timeout: float = 60.0
    password_entry: str | None = None


def default_client(settings: ImapSettings) -> Any:
    """An unconnected-but-open ``IMAPClient``; the seam tests replace (``client_factory``)."""
    from imapclient import IMAPClient

    context = ssl.create_default_context() if settings.ssl else None
    return IMAPClient(
        settings.host, port=settings.port, ssl=settings.ssl, ssl_context=context, timeout=settings.timeout
    )


def map_error(exc: BaseException, settings: ImapSettings) -> Error:
    """Our exception for a library or socket one (raise it ``from exc``)."""
    from imapclient import exceptions as imap_errors

    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, imap_errors.LoginError):
        return CredentialsError(
            f"IMAP login for {settings.username} at {settings.host} was refused; "
            "store the password with `followup-sync imap-password`"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return BackendError(
            f"the TLS certificate of {where} failed verification: {getattr(exc, 'verify_message', None) or exc}",
            backend="imap",
        )
    if isinstance(exc, ssl.SSLError):
        return BackendError(
            f"TLS with {where} failed ({exc.reason}); is `ssl` right for this port?", backend="imap"
        )
    if isinstance(exc, imap_errors.IMAPClientAbortError | TimeoutError | socket.timeout | OSError):
        return TransientError(f"connection to {where} failed: {exc or type(exc).__name__}", backend="imap")
    if isinstance(exc, imap_errors.IMAPClientError):
        return BackendError(f"IMAP error from {where}: {exc}", backend="imap")
    return BackendError(f"unexpected error talking to {where}: {type(exc).__name__}: {exc}", backend="imap")


class ImapSource:
    """Mail from an IMAP account; see the module docstring."""

    name = "imap"

    def __init__(self, settings: ImapSettings, *, client_factory: Callable[[ImapSettings], Any] = default_client):
        self.settings = settings
        self.client_factory = client_factory
        self.skips = mime.SkipLog(log)
        self.memory: Memory | None = None
        self.fetched = 0  # whole messages downloaded in the last pass (benchmarks, tests)

    @property
    def skipped(self) -> int:
        """Messages skipped in the last pass (for ``PassStats.skipped_messages``)."""
        return self.skips.count

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        return cls(parse_settings(section))

    @property
    def key(self) -> str:
        return f"imap:{self.settings.username}@{self.settings.host}:{self.settings.port}"

    def remember(self, memory: Memory) -> None:
        """Read only what is new since the passes recorded in ``memory`` (``base.Incremental``)."""
        self.memory = memory

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        self.skips.count = 0
        self.fetched = 0
        password = load_password(self.settings.host, self.settings.username, entry=self.settings.password_entry)
        seen: set[str] = set()
        if self.memory is not None and self.memory.get("v") != MEMORY_VERSION:
            for key, _value in list(self.memory.items("")):
                self.memory.delete(key)
            self.memory.put("v", MEMORY_VERSION)
        with self._session(password) as client:
            condstore = bool(self._guard(client.has_capability, "CONDSTORE"))
            for folder in self._folders(client):
                for message in self._folder_messages(client, folder, start, end, condstore=condstore):
                    if message.id not in seen:
                        seen.add(message.id)
                        yield message

    def close(self) -> None:
        pass

    @contextmanager
    def _session(self, password: str) -> Iterator[Any]:
        try:
            client = self.client_factory(self.settings)
        except Exception as exc:
            raise map_error(exc, self.settings) from exc
        try:
            try:
                if self.settings.starttls:
                    client.starttls(ssl.create_default_context())
                client.login(self.settings.username, password)
            except Exception as exc:
                raise map_error(exc, self.settings) from exc
            yield client
        finally:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing left to clean up
                log.debug("IMAP logout from %s failed", self.settings.host, exc_info=True)

    def _guard(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            raise map_error(exc, self.settings) from exc

    def _folders(self, client: Any) -> list[str]:
        listed = self._guard(client.list_folders)
        if self.settings.folders is None:
            return _default_folders(listed)
        names = {str(name) for _flags, _delim, name in listed}
        result: list[str] = []
        for wanted in self.settings.folders:
            if wanted.startswith("\\"):
                found = self._guard(client.find_special_folder, wanted.encode())
                if found is None:
                    log.warning("No %s folder found on %s; configure [mail] folders", wanted, self.settings.host)
                    continue
                wanted = str(found)
            elif wanted not in names and wanted.upper() != "INBOX":
                log.warning("IMAP folder %r does not exist on %s; skipped", wanted, self.settings.host)
                continue
            if wanted not in result:
                result.append(wanted)
        return result

    def _folder_messages(
        self, client: Any, folder: str, start: datetime, end: datetime, *, condstore: bool
    ) -> Iterator[Message]:
        record = FolderRecord.load(self.memory.get(f"f:{folder}")) if self.memory is not None else None
        if record is not None:
            asked = [b"UIDVALIDITY", b"UIDNEXT", *([b"HIGHESTMODSEQ"] if condstore else [])]
            status = self._guard(client.folder_status, folder, asked)
            current = (int(status.get(b"UIDVALIDITY", 0)), int(status.get(b"UIDNEXT", 0)))
            if current == (record.validity, record.next) and not record.later:
                if condstore and self.memory is not None:
                    record = replace(record, modseq=int(status.get(b"HIGHESTMODSEQ", 0)))
                    self.memory.put(f"f:{folder}", record.dump())
                return  # nothing new: the folder is not opened
        info = self._guard(client.select_folder, folder, readonly=True)
        validity = int(info.get(b"UIDVALIDITY", 0))
        uidnext = int(info.get(b"UIDNEXT", 0))
        modseq = int(info.get(b"HIGHESTMODSEQ", 0)) or None
        if record is not None and record.validity == validity:
            found = self._guard(client.search, ["UID", f"{record.next}:*"]) if uidnext > record.next else []
            # "n:*" always matches the last message, even below n (RFC 3501 §6.4.8)
            uids = sorted({*record.later, *(uid for uid in found if uid >= record.next)})
        else:
            if record is not None:
                log.info("IMAP folder %s was rebuilt by the server (new UIDVALIDITY); reading it afresh", folder)
            # SINCE compares the server's arrival date (a day, in its own zone): one day of margin, then the Date
            # header decides.
            uids = sorted(self._guard(client.search, ["SINCE", (start - timedelta(days=1)).date()]))
        later: list[int] = []
        wanted = self._in_window(client, uids, start, end, where=(folder, validity), later=later)
        for batch in _sized_batches(wanted):
            fetched = self._guard(client.fetch, batch, ["BODY.PEEK[]"])
            self.fetched += len(batch)
            for uid in batch:
                raw = _body_of(fetched.get(uid, {}))
                if raw is None:
                    continue  # expunged by another client since the search
                link = self._link(folder, validity, uid)
                result = mime.parse_message(raw, folder=folder, link=link)
                if isinstance(result, mime.Rejected):
                    ident = result.id or "without id"
                    where = f"{folder} UID {uid}"
                    self.skips.skip(
                        f"{validity}/{where}", "Skipping message %s (%s): %s", ident, where, result.reason
                    )
                elif result.sent_at >= end:
                    later.append(uid)
                elif result.sent_at >= start:
                    yield result
        if self.memory is not None:
            seen_to = max([uidnext, *(uid + 1 for uid in uids)])
            record = FolderRecord(validity=validity, next=seen_to, later=sorted(later), modseq=modseq)
            self.memory.put(f"f:{folder}", record.dump())

    def _in_window(
        self,
        client: Any,
        uids: Sequence[int],
        start: datetime,
        end: datetime,
        *,
        where: tuple[str, int],
        later: list[int],
    ) -> list[tuple[int, int]]:
        """(UID, size) of messages whose Date is in the window (or unreadable: the full parse reports those);
        UIDs dated after the window go to ``later``."""
        folder, validity = where
        wanted: list[tuple[int, int]] = []
        for batch in _batches(sorted(uids), 500):
            heads = self._guard(client.fetch, batch, ["BODY.PEEK[HEADER.FIELDS (DATE)]", "RFC822.SIZE"])
            for uid in batch:
                if uid not in heads:
                    continue  # expunged since the search
                data = heads[uid]
                sent = mime.quick_date(_body_of(data) or b"")
                if sent is not None and sent >= end:
                    later.append(uid)
                    continue
                if sent is not None and sent < start:
                    continue
                size = int(data.get(b"RFC822.SIZE", 0))
                if size > mime.MAX_MESSAGE_BYTES:
                    label = f"{folder} UID {uid}"
                    self.skips.skip(f"{validity}/{label}", "Skipping message %s: over the size limit", label)
                    continue
                wanted.append((uid, size))
        return wanted

    def _link(self, folder: str, validity: int, uid: int) -> str:
        """An RFC 5092 IMAP URL, which some mail clients open directly."""
        user = quote(self.settings.username, safe="")
        return f"imap://{user}@{self.settings.host}/{quote(folder)};UIDVALIDITY={validity}/;UID={uid}"


MEMORY_VERSION = b"imap-1"


@dataclass(frozen=True)
class FolderRecord:
    """What a pass remembers of one folder: read up to UID ``next`` under ``validity``; ``later`` are UIDs dated
    after the window then, looked at again; ``modseq`` the folder's HIGHESTMODSEQ (CONDSTORE) for reference."""

    validity: int
    next: int
    later: list[int]
    modseq: int | None = None

    @classmethod
    def load(cls, value: bytes | None) -> FolderRecord | None:
        if value is None:
            return None
        try:
            data = json.loads(value)
            return cls(
                int(data["validity"]), int(data["next"]), [int(u) for u in data["later"]], data.get("modseq")
            )
        except (ValueError, TypeError, KeyError):
            return None

    def dump(self) -> bytes:
        return json.dumps(asdict(self)).encode()


def _default_folders(listed: Sequence[tuple[Sequence[bytes], Any, str]]) -> list[str]:
    """INBOX first, then every other selectable folder that is not trash, junk, drafts or an all-mail view."""
    result = ["INBOX"]
    for flags, delimiter, name in listed:
        sep = delimiter.decode() if isinstance(delimiter, bytes) else delimiter
        last = str(name).rsplit(sep, 1)[-1].lower() if sep else str(name).lower()
        if str(name).upper() == "INBOX" or SKIPPED_FLAGS.intersection(flags) or last in SKIPPED_NAMES:
            continue
        result.append(str(name))
    return result


def _body_of(data: dict[bytes, Any]) -> bytes | None:
    """The BODY[...] item of a FETCH response (the key's spelling varies with the section asked for)."""
    for key, value in data.items():
        if key.startswith(b"BODY[") and isinstance(value, bytes):
            return value
    return None


def _batches(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _sized_batches(items: Sequence[tuple[int, int]]) -> Iterator[list[int]]:
    """UIDs in batches of at most ``FETCH_BATCH`` messages and ``FETCH_BATCH_BYTES`` (a bigger one goes alone)."""
    batch: list[int] = []
    total = 0
    for uid, size in items:
        if batch and (len(batch) >= FETCH_BATCH or total + size > FETCH_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def parse_settings(section: BackendSection) -> ImapSettings:
    """Validate ``[mail]`` for backend imap; every problem is reported at once."""
    opts = section.options
    problems: list[str] = []
    if "password" in opts:
        problems.append(
            "[mail] password: passwords never go in the config file; run `followup-sync imap-password`"
        )
    for key in opts:
        if key not in _OPTIONS and key != "password":
            problems.append(f"[mail] {key}: unknown key; allowed: {', '.join(sorted(_OPTIONS))}")
    host, username = opts.get("host"), opts.get("username")
    for key, value in (("host", host), ("username", username)):
        if not isinstance(value, str) or not value:
            problems.append(f"[mail] {key}: required for backend 'imap' (a non-empty string)")
    use_ssl = opts.get("ssl", True)
    if not isinstance(use_ssl, bool):
        problems.append("[mail] ssl: must be true or false")
        use_ssl = True
    starttls = opts.get("starttls", False)
    if not isinstance(starttls, bool):
        problems.append("[mail] starttls: must be true or false")
        starttls = False
    if starttls and use_ssl:
        problems.append(
            "[mail] starttls: use either ssl = true (port 993) or starttls = true (port 143), not both"
        )
    port = opts.get("port", 993 if use_ssl else 143)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append("[mail] port: must be a port number such as 993")
    timeout = opts.get("timeout_seconds", opts.get("timeout", 60.0))
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append("[mail] timeout_seconds: must be a number of seconds greater than 0")
    folders = opts.get("folders")
    if isinstance(folders, str):
        folders = [folders]
    if folders is not None and (
        not isinstance(folders, list) or not folders or not all(isinstance(f, str) and f for f in folders)
    ):
        problems.append('[mail] folders: must be a list of folder names, e.g. ["INBOX", "\\\\Sent", "Customers"]')
    entry = opts.get("password_keyring")
    if entry is not None and (not isinstance(entry, str) or not entry):
        problems.append("[mail] password_keyring: must be the keyring entry name (a non-empty string)")
    if problems:
        raise ConfigError("invalid [mail] options for backend 'imap'", problems=problems)
    if not use_ssl and not starttls and host not in _LOOPBACK:
        log.warning(
            "[mail] ssl and starttls are both off: the IMAP password for %s goes over the network unencrypted",
            host,
        )
    return ImapSettings(
        host=str(host),
        username=str(username),
        port=int(port),
        ssl=use_ssl,
        starttls=starttls,
        folders=tuple(folders) if folders is not None else None,
        timeout=float(timeout),
        password_entry=entry,
    )
