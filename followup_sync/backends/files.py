"""Mail sources on local files: a Maildir++ tree, mbox files, or a folder of .eml files.

Each source reads raw bytes, looks at the Date header alone (``mime.quick_date``) and parses the whole
message only when it falls in the window, so a pass over a large mailbox costs little more than reading it.
File times are never trusted for dates: they change on copy, restore and flag updates.

Only regular files are read (:func:`read_regular`): a FIFO would block the pass forever and a link to
``/dev/zero`` would fill the memory, so anything else is skipped with one logged line naming the file, before it
is opened when the directory entry says so, and after opening (non-blocking) by ``fstat`` when it changed in
between. A link is followed only to a regular file. Reads stop at ``mime.MAX_MESSAGE_BYTES``.
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import json
import logging
import os
import re
import stat
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

from followup_sync.backends import mime
from followup_sync.backends.base import Memory
from followup_sync.config import BackendSection, Config
from followup_sync.errors import BackendError, ConfigError, SourceMissing
from followup_sync.model import Message

log = logging.getLogger(__name__)

ROOT_FOLDER = "INBOX"
#: Longest mbox line read at once: lines of mail are at most 998 bytes (RFC 5322), so this only bounds the
#: memory a file without line ends (a disk image, a file of zeros) costs while it is skipped as too big.
MBOX_LINE_BYTES = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
) | getattr(os, "O_CLOEXEC", 0)


class NotRegular(OSError):
    """A path that is not a regular file (or a link to one); ``kind`` says what it is."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.path = path
        self.kind = kind


class TooBig(OSError):
    """A file over the size limit; ``size`` is what ``fstat`` said or what was read before stopping."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes, over the {limit >> 20} MB size limit")
        self.path = path
        self.size = size


def file_kind(mode: int) -> str | None:
    """None for a regular file, else what the file is, in words for a log line."""
    if stat.S_ISREG(mode):
        return None
    for test, kind in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    ):
        if test(mode):
            return kind
    return "a special file"


def open_regular(path: Path, *, listed_regular: bool = False) -> tuple[int, os.stat_result]:
    """A file descriptor for ``path`` if it is (or links to) a regular file, and its ``fstat``; raises
    NotRegular otherwise.

    ``stat`` first, so a FIFO or a device is never opened (skipped when the directory listing already said
    "regular file, not a link": ``listed_regular``); then ``open`` with O_NONBLOCK (a FIFO swapped in meanwhile
    cannot block) and ``fstat`` on what was opened, which is the check that counts.
    """
    if not listed_regular:
        kind = file_kind(path.stat().st_mode)
        if kind is not None:
            raise NotRegular(path, kind)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        kind = file_kind(info.st_mode)
        if kind is not None:
            raise NotRegular(path, kind)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_regular(path: Path, *, limit: int, listed_regular: bool = False) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file of at most ``limit`` bytes and its ``fstat``; NotRegular or TooBig else."""
    fd, info = open_regular(path, listed_regular=listed_regular)
    try:
        if info.st_size > limit:
            raise TooBig(path, info.st_size, limit)
        # Ask for what fstat said plus one byte (to see growth), not a fixed large buffer: a 1 MB buffer shrunk
        # to each small message's size left the heap fragmented (peak memory grew with the mail read). A short
        # read of a regular file is its end.
        chunks: list[bytes] = []
        total = 0
        while True:
            want = max(1, min(info.st_size + 1 - total, limit + 1 - total, 1 << 20))
            chunk = os.read(fd, want)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since fstat
                raise TooBig(path, total, limit)
            if len(chunk) < want:
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks), info
    finally:
        os.close(fd)


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class RawItem:
    """One message's bytes and where they came from (``label`` names it in log lines). ``settle`` is called
    once the item needs no reading again (read, skipped for good, or older than the window)."""

    raw: bytes
    folder: str
    link: str
    label: str
    settle: Callable[[], None] = field(default=_nothing, compare=False)


def read_options(section: BackendSection, *, allowed: frozenset[str] = frozenset({"path"})) -> Any:
    """Validate a file backend's options; unknown keys and a missing path are ``ConfigError``\\ s."""
    problems = [
        f"[{section.role}] {key}: unknown key; allowed: {', '.join(sorted(allowed))}"
        for key in section.options
        if key not in allowed
    ]
    if "path" not in section.options:
        problems.append(f"[{section.role}] path: required for backend {section.backend!r}")
    if problems:
        raise ConfigError(f"invalid [{section.role}] options for backend {section.backend!r}", problems=problems)
    return section.options["path"]


def _existing(section: BackendSection, config: Config, value: object) -> Path:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"[{section.role}] path must be a non-empty string, got {value!r}")
    path = config.resolve(value)
    if not path.exists():
        # not a config error: a drive or synced folder that is away now works again once it is back
        raise SourceMissing(f"[{section.role}] folder not found: {path}", backend=section.backend, path=str(path))
    return path


class _FileSource:
    """What the three file sources share: window filtering, parsing, skip logging and the memory of what was read.

    ``_items`` yields raw messages; each one is *settled* (remembered, never read again) when its fate no longer
    depends on the window: read, rejected for good, or dated before the window (which only moves forward). A
    message dated at or after the window's end, or a file that could not be read for now, is read again.
    """

    name = "files"

    def __init__(self) -> None:
        self.skips = mime.SkipLog(log)
        self._skip = self.skips.skip
        self.memory: Memory | None = None
        # what the last pass did, for tests and benchmarks: messages read (files, or mbox messages), parsed in
        # full, and folders listed
        self.items_read = self.parsed = self.folders_listed = 0

    @property
    def skipped(self) -> int:
        """Messages skipped in the last pass (for ``PassStats.skipped_messages``)."""
        return self.skips.count

    def remember(self, memory: Memory) -> None:
        """Read only what is new or changed since the passes recorded in ``memory`` (``base.Incremental``)."""
        self.memory = memory

    def _items(self, start: datetime) -> Iterator[RawItem]:
        raise NotImplementedError

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        self.skips.count = 0
        self.items_read = self.parsed = self.folders_listed = 0
        seen: set[str] = set()  # a message copied into a second folder is yielded once, from the first
        for item in self._items(start):
            self.items_read += 1
            result = self._judge(item, start, end)
            if result is None:
                continue
            if result.id not in seen:
                seen.add(result.id)
                yield result

    def _judge(self, item: RawItem, start: datetime, end: datetime) -> Message | None:
        """The item's message if it is in the window; settles the item unless it may be wanted later."""
        sent = mime.quick_date(item.raw)
        if sent is not None and sent >= end:
            return None
        if sent is not None and sent < start:
            item.settle()
            return None
        self.parsed += 1
        result = mime.parse_message(item.raw, folder=item.folder, link=item.link, sent_at=sent)
        if isinstance(result, mime.Rejected):
            ident = result.id or "without id"
            self._skip(item.label, "Skipping message %s (%s): %s", ident, item.label, result.reason)
            item.settle()
            return None
        if result.sent_at >= end:
            return None
        item.settle()
        return result if result.sent_at >= start else None

    def _read(self, path: Path, *, listed_regular: bool = False) -> tuple[bytes | None, bool]:
        """A file's bytes, or None (counted and logged) if it is not a regular file, too big or unreadable;
        with None, whether that is final (not a regular file, too big) or worth trying at the next pass."""
        try:
            return read_regular(path, limit=mime.MAX_MESSAGE_BYTES, listed_regular=listed_regular)[0], True
        except (NotRegular, TooBig) as exc:
            self._skip(str(path), "Skipping message file %s: %s", path, exc)
            return None, True
        except FileNotFoundError:
            # A mail client renamed it (a flag changed, cur/ -> new/) or deleted it between listing and reading.
            log.debug("Message file %s vanished while reading", path)
            return None, False
        except OSError as exc:
            self._skip(str(path), "Skipping message file %s: %s", path, exc.strerror or exc)
            return None, False

    def close(self) -> None:
        pass


# --- what file sources remember ------------------------------------------------------------------------

#: Bumped when what is remembered, or how mail is read, changes: every source then reads its mail afresh once
#: (a message rejected by an older reader gets another chance).
MEMORY_VERSION = b"files-1"
#: A Maildir file whose unique name says it was delivered more than this before the window starts is not
#: opened: its Date header would have to be more than a week after its delivery to fall in the window.
DELIVERY_MARGIN = timedelta(days=7)
#: A folder changed this recently may change again within one tick of a coarse clock (FAT: 2 s, HFS+ and ext3:
#: 1 s) without its mtime changing: it is listed again at the next pass instead of being trusted.
RACY_NS = 3_000_000_000
#: Each folder's memory is split in this many rows, so a pass that adds a few files rewrites a few small rows.
BUCKETS = 16
_INFO = re.compile(r"[:;!][12],[^/]*$")  # Maildir's ":2,FLAGS" info (";" and "!" where ":" is not allowed)
_DELIVERED = re.compile(r"(\d{9,11})[._]")


def maildir_unique(name: str) -> str:
    """A Maildir file name without its info (flags), which a mail client changes by renaming the file."""
    return _INFO.sub("", name)


def delivered_at(unique: str) -> float | None:
    """The delivery time a Maildir unique name starts with (``time.MusecPpid.host``), if it has a plausible one."""
    match = _DELIVERED.match(unique)
    if match is None:
        return None
    seconds = int(match.group(1))
    return float(seconds) if 100_000_000 < seconds < time.time() + 366 * 86400 else None


if os.name == "nt":

    def fingerprint(entry: os.DirEntry[str]) -> str:
        """What changes when the file is replaced: size and mtime (free from a Windows directory listing)."""
        info = entry.stat(follow_symlinks=False)
        return f"{info.st_size}.{info.st_mtime_ns}"

else:

    def fingerprint(entry: os.DirEntry[str]) -> str:
        """What changes when the file is replaced: its inode (free from a POSIX directory listing)."""
        return str(entry.inode())


class FolderMemory:
    """What a file source has read, folder by folder, in its ``Memory``.

    A folder's record (``d:<folder>``) holds its mtime when it was last listed, or ``-`` when it must be listed
    again (something in it is to be read at a later pass, or the mtime was too fresh to trust). The files read
    are lines ``<name>/<fingerprint>`` (a Maildir name without its flags; the inode, or size and mtime on
    Windows), zlib-compressed in :data:`BUCKETS` rows per folder (``b:<folder>:<n>``). A renamed file (new
    flags, new/ to cur/, another folder) keeps its line and is not read again; a replaced one gets a new line.
    """

    def __init__(self, memory: Memory | None) -> None:
        self.memory = memory
        self.stored: dict[str, dict[int, frozenset[str]]] = {}
        self.current: dict[str, set[str]] = {}
        self.listed: dict[str, int] = {}
        self.open: set[str] = set()
        if memory is not None and memory.get("v") != MEMORY_VERSION:
            for key, _value in list(memory.items("")):
                memory.delete(key)
            memory.put("v", MEMORY_VERSION)

    def unchanged(self, folder: str, mtime_ns: int) -> bool:
        """The folder was listed at this mtime and nothing in it waits to be read: no need to list it."""
        return self.memory is not None and self.memory.get(f"d:{folder}") == str(mtime_ns).encode()

    def known(self, folders: Iterable[str]) -> set[str]:
        """Every line remembered for these folders (a file moved between two of them is found in either)."""
        lines: set[str] = set()
        for folder in folders:
            buckets: dict[int, frozenset[str]] = {}
            if self.memory is not None:
                prefix = f"b:{folder}:"
                for key, value in self.memory.items(prefix):
                    part = frozenset(zlib.decompress(value).decode("utf-8", "surrogateescape").split("\0"))
                    buckets[int(key[len(prefix) :])] = part
                    lines |= part
            self.stored[folder] = buckets
        return lines

    def listing(self, folder: str, mtime_ns: int) -> None:
        self.listed[folder] = mtime_ns
        self.current.setdefault(folder, set())

    def settle(self, folder: str, line: str) -> None:
        self.current[folder].add(line)

    def open_in(self, folder: str) -> bool:
        return folder in self.open

    def later(self, folder: str) -> None:
        """Something in ``folder`` is to be read at a later pass: list it again then."""
        self.open.add(folder)

    def save(self, folders: Iterable[str], *, aged: Callable[[str], bool] | None = None) -> None:
        """Write what this pass listed; ``folders`` are all folders that exist (others are forgotten). Lines
        ``aged`` says are too old to be wanted again are dropped, so the memory stays the size of the window."""
        memory = self.memory
        if memory is None:
            return
        now = time.time_ns()
        for folder, mtime_ns in self.listed.items():
            buckets: dict[int, set[str]] = {}
            for line in self.current[folder]:
                if aged is None or not aged(line):
                    buckets.setdefault(_bucket(line), set()).add(line)
            old = self.stored.get(folder, {})
            for n in range(BUCKETS):
                lines = buckets.get(n, set())
                if lines == old.get(n, frozenset()):
                    continue
                if lines:
                    data = "\0".join(sorted(lines)).encode("utf-8", "surrogateescape")
                    memory.put(f"b:{folder}:{n}", zlib.compress(data, 1))
                else:
                    memory.delete(f"b:{folder}:{n}")
            racy = now - mtime_ns < RACY_NS  # also a folder dated in the future
            memory.put(f"d:{folder}", b"-" if folder in self.open or racy else str(mtime_ns).encode())
        present = set(folders)
        for key, _value in list(memory.items("d:")):
            if key[2:] not in present:
                memory.delete(key)
                for bucket, _data in list(memory.items(f"b:{key[2:]}:")):
                    memory.delete(bucket)


def _bucket(line: str) -> int:
    return zlib.crc32(line.rpartition("/")[0].encode("utf-8", "surrogateescape")) % BUCKETS


class MaildirSource(_FileSource):
    """A Maildir++ tree: the root (received mail, folder ``INBOX``) and every ``.Folder`` (``Sent`` ...).

    Maildir++ nests folders with dots (``.Customers.Acme``); they are shown as ``Customers/Acme``.
    """

    name = "maildir"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path.resolve()

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        path = _existing(section, config, read_options(section))
        if not _is_maildir(path) and not any(_is_maildir(p) for p in _subfolders(path)):
            raise ConfigError(f"[{section.role}] path: {path} is not a Maildir (no cur/ or new/ folder)")
        return cls(path)

    def folders(self) -> list[tuple[str, Path]]:
        found = [(ROOT_FOLDER, self.path)] if _is_maildir(self.path) else []
        for sub in _subfolders(self.path):
            if _is_maildir(sub):
                found.append((sub.name[1:].replace(".", "/"), sub))
        return found

    @property
    def key(self) -> str:
        return f"maildir:{self.path}"

    def _items(self, start: datetime) -> Iterator[RawItem]:
        try:
            folders = self.folders()
        except OSError as exc:
            raise BackendError(f"cannot list Maildir {self.path}: {exc.strerror}", backend=self.name) from exc
        index = FolderMemory(self.memory)
        oldest = (start - DELIVERY_MARGIN).timestamp()
        present: list[str] = []
        todo: list[tuple[str, str, Path, int]] = []
        for folder, folder_path in folders:
            for sub in ("cur", "new"):
                path = folder_path / sub
                rel = path.relative_to(self.path).as_posix()
                try:
                    mtime_ns = path.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise BackendError(f"cannot list {path}: {exc.strerror}", backend=self.name) from exc
                present.append(rel)
                if not index.unchanged(rel, mtime_ns):
                    todo.append((folder, rel, path, mtime_ns))
        known = index.known(rel for _folder, rel, _path, _mtime in todo)
        for folder, rel, path, mtime_ns in todo:
            try:
                entries = _listing(path, oldest)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise BackendError(f"cannot list {path}: {exc.strerror}", backend=self.name) from exc
            index.listing(rel, mtime_ns)
            self.folders_listed += 1
            uri = path.absolute().as_uri() + "/"
            for fname, mark, regular in entries:
                line = f"{maildir_unique(fname)}/{mark}"
                if line in known:
                    index.settle(rel, line)
                    continue
                file = path / fname
                raw, final = self._read(file, listed_regular=regular)
                if raw is None:
                    if final:
                        index.settle(rel, line)
                    else:
                        index.later(rel)
                    continue
                settle = functools.partial(index.settle, rel, line)
                item = RawItem(raw, folder, uri + quote(fname), str(file), settle)
                yield item
                if line not in index.current[rel]:
                    index.later(rel)
        index.save(
            present, aged=lambda line: (d := delivered_at(line.rpartition("/")[0])) is not None and d < oldest
        )


def _listing(path: Path, oldest: float) -> list[tuple[str, str, bool]]:
    """(name, fingerprint, listed as a regular file) of the files in a Maildir cur/ or new/ folder, less those
    whose name says they were delivered before ``oldest``: never opened, nothing to remember of them. The
    common name (``1700000000.M1P2.host``) is read without a regular expression: a 200,000-file mailbox is
    mostly such files, and this loop is what its first pass costs beyond reading the window's mail."""
    found: list[tuple[str, str, bool]] = []
    for entry in os.scandir(path):
        name = entry.name
        if name.startswith("."):
            continue
        head = name.partition(".")[0]
        delivered = float(head) if head.isdigit() and 9 <= len(head) <= 11 else delivered_at(maildir_unique(name))
        if delivered is not None and delivered < oldest:
            continue
        found.append((name, fingerprint(entry), entry.is_file(follow_symlinks=False)))
    found.sort()
    return found


def _subfolders(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.name.startswith(".") and p.name not in (".", ".."))
    except (NotADirectoryError, FileNotFoundError):
        return []


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() or (path / "new").is_dir()


class MboxSource(_FileSource):
    """One or more mbox files (``path`` = a file, a list of files, or a folder of ``*.mbox``).

    Messages are split at ``From `` lines (mboxo/mboxrd); ``>From `` quoting is undone. The folder is the file's
    name without ``.mbox``; the link is the file's URI plus ``#<index>`` (0-based position in the file).
    """

    name = "mbox"

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self.paths = [p.resolve() for p in paths]

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        value = read_options(section)
        values = value if isinstance(value, list) else [value]
        paths: list[Path] = []
        for item in values:
            path = _existing(section, config, item)
            if path.is_dir():
                paths.extend(sorted(p for p in path.iterdir() if p.suffix.lower() == ".mbox" and p.is_file()))
            else:
                paths.append(path)
        return cls(paths)

    @property
    def key(self) -> str:
        return "mbox:" + "|".join(str(p) for p in self.paths)

    def _items(self, start: datetime) -> Iterator[RawItem]:
        index = FolderMemory(self.memory)
        oldest = (start - DELIVERY_MARGIN).timestamp()
        for path in self.paths:
            try:
                handle = os.fdopen(open_regular(path)[0], "rb")
            except NotRegular as exc:
                self._skip(str(path), "Skipping mbox %s: %s", path, exc)
                continue
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise BackendError(f"cannot open mbox {path}: {exc.strerror}", backend=self.name) from exc
            with handle:
                yield from self._mbox(handle, path, index, oldest)
        index.save(
            [str(p) for p in self.paths],
            aged=lambda line: (d := line.rpartition("/")[2]) != "-" and float(d) < oldest,
        )

    def _mbox(self, handle: Any, path: Path, index: FolderMemory, oldest: float) -> Iterator[RawItem]:
        """One file: nothing if it is unchanged, its new tail if it only grew, else all of it again (messages
        already read are recognised by their fingerprint and not parsed again)."""
        info = os.fstat(handle.fileno())
        name = str(path)
        record = MboxRecord.load(self.memory.get(f"m:{name}") if self.memory is not None else None)
        if (
            record is not None
            and record.same_file(info)
            and (record.size, record.mtime_ns) == (info.st_size, info.st_mtime_ns)
            and not record.open
        ):
            return  # unchanged since the last pass; its folder memory stays as it is
        resume = record is not None and record.same_file(info) and record.grown(handle, info)
        known = index.known([name])
        index.listing(name, info.st_mtime_ns)
        offset, number = (record.offset, record.index) if resume and record is not None else (0, 0)
        if resume:
            for line in known:  # a tail read: what was read before stays remembered
                index.settle(name, line)
        folder = path.name[:-5] if path.name.lower().endswith(".mbox") else path.name
        uri = path.absolute().as_uri()
        settled_to = (offset, number)
        # Written seconds ago: the last message may be half appended (mbox writers lock the file, we do not), so
        # it waits for the next pass. Without a memory there is no next time to wait for.
        fresh = self.memory is not None and time.time_ns() - info.st_mtime_ns < RACY_NS
        entries = scan_mbox(handle, offset)
        pending = next(entries, None)
        while pending is not None:
            entry, pending = pending, next(entries, None)
            if pending is None and fresh:
                index.later(name)
                break
            label = f"{path}#{number}"
            delivered = entry.delivered()
            number += 1
            if delivered is not None and delivered < oldest:
                if not index.open_in(name):
                    settled_to = (entry.end, number)
                continue
            line = f"{entry.fingerprint}/{int(delivered) if delivered is not None else '-'}"
            if line in known:
                index.settle(name, line)
            elif entry.raw is None:
                self._skip(
                    label, "Skipping message %s: over the %d MB size limit", label, mime.MAX_MESSAGE_BYTES >> 20
                )
                index.settle(name, line)
            else:
                yield RawItem(
                    entry.message(),
                    folder,
                    f"{uri}#{number - 1}",
                    label,
                    functools.partial(index.settle, name, line),
                )
                if line not in index.current[name]:
                    index.later(name)
            if not index.open_in(name):
                settled_to = (entry.end, number)
        if self.memory is not None:
            record = MboxRecord.of(
                handle, info, offset=settled_to[0], index=settled_to[1], open=index.open_in(name)
            )
            self.memory.put(f"m:{name}", record.dump())


@dataclass(frozen=True)
class MboxRecord:
    """Where the last pass stopped reading an mbox file, and how to tell that the file only grew since.

    ``offset`` is the end of the last message that needs no reading again (``index`` messages before it);
    ``head`` and ``tail`` are hashes of the first 4 KB and of the 4 KB before ``offset``: when both still match
    and the file did not shrink, it only grew (mail was appended) and is read from ``offset``. Anything else
    (a mail client rewrote it after deleting a message, compacted or replaced it) reads it all again.
    """

    dev: int
    ino: int
    size: int
    mtime_ns: int
    offset: int
    index: int
    head: str
    tail: str
    open: bool = False

    WINDOW = 4096

    @classmethod
    def load(cls, value: bytes | None) -> MboxRecord | None:
        if value is None:
            return None
        try:
            return cls(**json.loads(value))
        except (ValueError, TypeError):
            return None

    def dump(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def of(cls, handle: Any, info: os.stat_result, *, offset: int, index: int, open: bool) -> MboxRecord:
        return cls(
            dev=info.st_dev,
            ino=info.st_ino,
            size=info.st_size,
            mtime_ns=info.st_mtime_ns,
            offset=offset,
            index=index,
            head=_digest(handle, 0, cls.WINDOW),
            tail=_digest(handle, max(0, offset - cls.WINDOW), min(offset, cls.WINDOW)),
            open=open,
        )

    def same_file(self, info: os.stat_result) -> bool:
        return (self.dev, self.ino) == (info.st_dev, info.st_ino)

    def grown(self, handle: Any, info: os.stat_result) -> bool:
        if info.st_size < self.size or info.st_size < self.offset:
            return False
        head = _digest(handle, 0, self.WINDOW)
        tail = _digest(handle, max(0, self.offset - self.WINDOW), min(self.offset, self.WINDOW))
        return (head, tail) == (self.head, self.tail)


def _digest(handle: Any, offset: int, length: int) -> str:
    handle.seek(offset)
    return hashlib.blake2b(handle.read(length), digest_size=16).hexdigest()


@dataclass(frozen=True)
class MboxEntry:
    """One message of an mbox file: its ``From `` line, where it lies, and its bytes as stored (``>From`` quoting
    kept; None when it is over ``mime.MAX_MESSAGE_BYTES``)."""

    start: int
    end: int
    envelope: bytes
    raw: bytes | None

    @functools.cached_property
    def fingerprint(self) -> str:
        """Tells this message from any other in the file (a hash of its bytes), wherever a rewrite moves it."""
        if self.raw is None:
            return f"big-{self.end - self.start}"
        return hashlib.blake2b(self.raw, digest_size=12).hexdigest()

    def message(self) -> bytes:
        """The message with mboxrd ``>From `` quoting undone."""
        return _QUOTED_FROM.sub(rb"\1", self.raw or b"")

    def delivered(self) -> float | None:
        """When the ``From `` line says the message was delivered (asctime, the delivering host's local time)."""
        match = _ENVELOPE_DATE.search(self.envelope)
        if match is None or match.group(1) not in _MONTHS:
            return None
        day, hour, minute, second, year = (int(g) for g in match.groups()[1:])
        if not (1 <= day <= 31 and hour < 24 and minute < 60 and second < 62):
            return None
        return float(calendar.timegm((year, _MONTHS[match.group(1)], day, hour, minute, second)))


_SEPARATOR = re.compile(rb"\n\r?\nFrom ")
_ENVELOPE_SLACK = 1024  # a From line and a partial separator: what the bytes after a From line hold besides mail
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_ENVELOPE_DATE = re.compile(rb"[A-Z][a-z]{2} ([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})")
_MONTHS = {m: i for i, m in enumerate(b"Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def scan_mbox(
    handle: Any, offset: int = 0, *, chunk: int = 4 << 20, limit: int | None = None
) -> Iterator[MboxEntry]:
    """The messages of an mbox file from ``offset`` (0, or the end of a message an earlier scan returned).

    A message starts at a ``From `` line at the start of the file or after a blank line (mboxo/mboxrd); text
    before the first one is ignored. The file is read in chunks and searched in C, so a large mailbox costs
    about what reading it costs; a message over ``limit`` is passed over without being held in memory.
    """
    limit = mime.MAX_MESSAGE_BYTES if limit is None else limit
    handle.seek(offset)
    buf = handle.read(chunk)
    base = offset
    eof = len(buf) < chunk
    for blank in (b"\n", b"\r\n"):  # resuming at a message's end: the blank line before the next From line
        if offset and buf.startswith(blank + b"From "):
            buf, base = buf[len(blank) :], base + len(blank)
    if not buf.startswith(b"From "):
        # the first From line: at the very start, or the first one after a blank line
        while not buf.startswith(b"From "):
            found = _SEPARATOR.search(buf)
            if found is not None:
                base += found.end() - 5
                buf = buf[found.end() - 5 :]
                break
            if eof:
                return
            keep = buf[-8:]
            base += len(buf) - len(keep)
            more = handle.read(chunk)
            eof = len(more) < chunk
            buf = keep + more
    begin = 0  # where the current message's From line starts in buf
    search = 5
    big: tuple[int, bytes] | None = None  # (file offset, envelope) of a message over the limit being passed over
    while True:
        found = _SEPARATOR.search(buf, search)
        if found is None and not eof:
            # no end in what is loaded: load more, dropping what is done with
            if big is None and len(buf) - begin > limit + _ENVELOPE_SLACK:
                eol = buf.find(b"\n", begin, begin + 1000)
                big = (base + begin, buf[begin : eol if eol >= 0 else begin + 200].rstrip(b"\r\n"))
            drop = max(len(buf) - 8, 0) if big is not None else begin
            base += drop
            buf = buf[drop:]
            begin = 0
            search = max(len(buf) - 8, 0 if big is not None else 5)
            more = handle.read(chunk)
            eof = len(more) < chunk
            buf += more
            continue
        stop = found.start() + 1 if found is not None else len(buf)
        if found is None:  # the blank line mbox puts after the last message is not part of it
            if buf.endswith(b"\n\r\n"):
                stop -= 2
            elif buf.endswith(b"\n\n"):
                stop -= 1
        if big is not None:
            yield MboxEntry(big[0], base + stop, big[1], None)
            big = None
        else:
            eol = buf.find(b"\n", begin, stop)
            eol = stop if eol < 0 else eol + 1
            yield MboxEntry(base + begin, base + stop, buf[begin:eol].rstrip(b"\r\n"), buf[eol:stop])
        if found is None:
            return
        begin = found.end() - 5
        search = begin + 5


class EmlSource(_FileSource):
    """A folder of ``.eml`` files, searched recursively; the folder is the sub-folder path ("" at the top)."""

    name = "eml"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path.resolve()

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> Self:
        path = _existing(section, config, read_options(section))
        if not path.is_dir():
            raise ConfigError(f"[{section.role}] path: {path} is not a folder of .eml files")
        return cls(path)

    @property
    def key(self) -> str:
        return f"eml:{self.path}"

    def _items(self, start: datetime) -> Iterator[RawItem]:
        """Every folder is listed at each pass (.eml folders are small); only files not read before are read."""
        index = FolderMemory(self.memory)
        folders: list[tuple[str, Path, list[tuple[str, str, bool]], int]] = []
        for dirpath, dirnames, _filenames in os.walk(self.path, onerror=self._walk_error):
            dirnames.sort()
            here = Path(dirpath)
            try:
                mtime_ns = here.stat().st_mtime_ns
                files = sorted(
                    (e.name, fingerprint(e), e.is_file(follow_symlinks=False))
                    for e in os.scandir(here)
                    if e.name.lower().endswith(".eml") and not e.is_dir()
                )
            except OSError as exc:
                self._walk_error(exc)
                continue
            folders.append((here.relative_to(self.path).as_posix(), here, files, mtime_ns))
        known = index.known(rel for rel, _here, _files, _mtime in folders)
        self.folders_listed = len(folders)
        for rel, here, files, mtime_ns in folders:
            index.listing(rel, mtime_ns)
            for fname, mark, regular in files:
                line = f"{fname}/{mark}"
                if line in known:
                    index.settle(rel, line)
                    continue
                file = here / fname
                raw, final = self._read(file, listed_regular=regular)
                if raw is None:
                    if final:
                        index.settle(rel, line)
                    else:
                        index.later(rel)
                    continue
                settle = functools.partial(index.settle, rel, line)
                yield RawItem(raw, "" if rel == "." else rel, file.absolute().as_uri(), str(file), settle)
                if line not in index.current[rel]:
                    index.later(rel)
        index.save([rel for rel, _here, _files, _mtime in folders])

    def _walk_error(self, exc: OSError) -> None:
        if exc.filename and Path(exc.filename) == self.path:
            raise BackendError(f"cannot list {self.path}: {exc.strerror}", backend=self.name) from exc
        log.warning("Skipping folder %s: %s", exc.filename, exc.strerror)
