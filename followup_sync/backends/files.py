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

import functools
import logging
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from followup_sync.backends import mime
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


def open_regular(path: Path) -> int:
    """A file descriptor for ``path`` if it is (or links to) a regular file; raises NotRegular otherwise.

    ``stat`` first, so a FIFO or a device is never opened; then ``open`` with O_NONBLOCK (a FIFO swapped in
    meanwhile cannot block) and ``fstat`` on what was opened, which is the check that counts.
    """
    kind = file_kind(path.stat().st_mode)
    if kind is not None:
        raise NotRegular(path, kind)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegular(path, kind)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path, *, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file of at most ``limit`` bytes and its ``fstat``; NotRegular or TooBig else."""
    fd = open_regular(path)
    try:
        info = os.fstat(fd)
        if info.st_size > limit:
            raise TooBig(path, info.st_size, limit)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew since fstat
                raise TooBig(path, total, limit)
        return b"".join(chunks), info
    finally:
        os.close(fd)


@dataclass(frozen=True)
class RawItem:
    """One message's bytes and where they came from (``label`` names it in log lines)."""

    raw: bytes
    folder: str
    link: str
    label: str


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
    """What the three file sources share: window filtering, parsing and skip logging."""

    name = "files"

    def __init__(self) -> None:
        self.skips = mime.SkipLog(log)
        self._skip = self.skips.skip

    @property
    def skipped(self) -> int:
        """Messages skipped in the last pass (for ``PassStats.skipped_messages``)."""
        return self.skips.count

    def _items(self) -> Iterator[RawItem]:
        raise NotImplementedError

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        self.skips.count = 0
        seen: set[str] = set()  # a message copied into a second folder is yielded once, from the first
        for item in self._items():
            sent = mime.quick_date(item.raw)
            if sent is not None and not start <= sent < end:
                continue
            result = mime.parse_message(item.raw, folder=item.folder, link=item.link)
            if isinstance(result, mime.Rejected):
                ident = result.id or "without id"
                self._skip(item.label, "Skipping message %s (%s): %s", ident, item.label, result.reason)
                continue
            if start <= result.sent_at < end and result.id not in seen:
                seen.add(result.id)
                yield result

    def _read(self, path: Path) -> bytes | None:
        """A file's bytes, or None (counted and logged) if it is not a regular file, too big or unreadable."""
        try:
            return read_regular(path, limit=mime.MAX_MESSAGE_BYTES)[0]
        except (NotRegular, TooBig) as exc:
            self._skip(str(path), "Skipping message file %s: %s", path, exc)
            return None
        except FileNotFoundError:
            # A mail client renamed it (a flag changed, cur/ -> new/) or deleted it between listing and reading.
            log.debug("Message file %s vanished while reading", path)
            return None
        except OSError as exc:
            self._skip(str(path), "Skipping message file %s: %s", path, exc.strerror or exc)
            return None

    def close(self) -> None:
        pass


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

    def _items(self) -> Iterator[RawItem]:
        try:
            folders = self.folders()
        except OSError as exc:
            raise BackendError(f"cannot list Maildir {self.path}: {exc.strerror}", backend=self.name) from exc
        for folder, folder_path in folders:
            for sub in ("cur", "new"):
                try:
                    names = sorted(entry.name for entry in os.scandir(folder_path / sub))
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    raise BackendError(
                        f"cannot list {folder_path / sub}: {exc.strerror}", backend=self.name
                    ) from exc
                for fname in names:
                    if fname.startswith("."):
                        continue
                    file = folder_path / sub / fname
                    raw = self._read(file)
                    if raw is not None:
                        yield RawItem(raw, folder, file.absolute().as_uri(), str(file))


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

    def _items(self) -> Iterator[RawItem]:
        for path in self.paths:
            uri = path.absolute().as_uri()
            folder = path.name[:-5] if path.name.lower().endswith(".mbox") else path.name
            try:
                handle = os.fdopen(open_regular(path), "rb")
            except NotRegular as exc:
                self._skip(str(path), "Skipping mbox %s: %s", path, exc)
                continue
            except OSError as exc:
                raise BackendError(f"cannot open mbox {path}: {exc.strerror}", backend=self.name) from exc
            with handle:
                lines = iter(functools.partial(handle.readline, MBOX_LINE_BYTES), b"")
                for index, raw in enumerate(split_mbox(lines)):
                    if raw is None:
                        label = f"{path}#{index}"
                        self._skip(label, "Skipping message %s: over the size limit", label)
                        continue
                    yield RawItem(raw, folder, f"{uri}#{index}", f"{path}#{index}")


def split_mbox(lines: Iterable[bytes]) -> Iterator[bytes | None]:
    """Split an mbox stream into messages; None stands for a message over ``mime.MAX_MESSAGE_BYTES``."""
    current: list[bytes] = []
    size = 0
    started = False
    previous_blank = True
    for line in lines:
        if line.startswith(b"From ") and previous_blank:
            if started:
                yield _join(current, size)
            current, size, started = [], 0, True
            previous_blank = False
            continue
        previous_blank = line in (b"\n", b"\r\n")
        if not started:
            continue
        if size <= mime.MAX_MESSAGE_BYTES:
            if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
                line = line[1:]
            current.append(line)
        size += len(line)
    if started:
        yield _join(current, size)


def _join(lines: list[bytes], size: int) -> bytes | None:
    if size > mime.MAX_MESSAGE_BYTES:
        return None
    if lines and lines[-1] in (b"\n", b"\r\n"):  # the blank line mbox puts before the next "From "
        lines = lines[:-1]
    return b"".join(lines)


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

    def _items(self) -> Iterator[RawItem]:
        for dirpath, dirnames, filenames in os.walk(self.path, onerror=self._walk_error):
            dirnames.sort()
            rel = Path(dirpath).relative_to(self.path).as_posix()
            for fname in sorted(filenames):
                if not fname.lower().endswith(".eml"):
                    continue
                file = Path(dirpath) / fname
                raw = self._read(file)
                if raw is not None:
                    yield RawItem(raw, "" if rel == "." else rel, file.absolute().as_uri(), str(file))

    def _walk_error(self, exc: OSError) -> None:
        if exc.filename and Path(exc.filename) == self.path:
            raise BackendError(f"cannot list {self.path}: {exc.strerror}", backend=self.name) from exc
        log.warning("Skipping folder %s: %s", exc.filename, exc.strerror)
