"""The reminders .ics file on disk: which file it is, reading it, and replacing it safely.

The policy, for a file the rep may share with a calendar app, a synced folder or a second config:

- A symbolic link is followed (a link into a synced folder is a common way to publish the reminders): the
  file read and replaced is the link's final target, through a temp file in the *target's* folder renamed
  onto it, so the link stays a link and the calendar that reads the target keeps getting reminders.
- A link whose target does not exist is refused, never created: a typo or an unmounted drive must not make a
  new file appear somewhere unexpected. A folder, a device, a FIFO or a socket is refused too (a run as root
  once replaced ``/dev/null`` with a calendar).
- A file without its owner's write permission is refused, never replaced: the rep made it read-only on
  purpose. An existing file keeps its mode when it is rewritten; a new one is ``0600`` (it names customers).
- Every read-modify-write runs under a lock file next to the target (``.<name>.lock``): two configs or
  processes that write one file take turns, so neither loses the other's reminders.
- A write goes to ``.<name>.followup-sync-<random>.tmp`` (``0600``) first. One left by a killed write is
  removed at the next pass (only files with that name, under the lock, so never a write in progress).
- A writer that does not take the lock (another computer writing the same file through a sync service, an
  older followup-sync) can still replace the file with a copy made before our last write. Each write adds a
  random id to ``X-FOLLOWUP-SYNC-WRITES`` in the calendar's header (the last :data:`WRITES_KEPT`), and the
  id of our last write is kept next to the state (:class:`Journal`): a file whose list lacks it was written
  from an older copy, so a reminder missing from it was lost, not deleted by the user. A file without the
  list (an app that rewrote it without our header line) tells nothing, and the user's deletions count.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

TEMP_TAG = "followup-sync-"
#: How long a write waits for another process's write to the same file (a batch takes well under a second).
LOCK_TIMEOUT = 30.0


class FileRefused(ValueError):
    """What the policy refuses, as a sentence that names the file and what to do."""


class FileBusy(Exception):
    """Another process held the file's lock for longer than the timeout."""


class Stamp(NamedTuple):
    """Identifies one version of the file without reading it: a replaced or edited file changes it."""

    dev: int
    ino: int
    size: int
    mtime_ns: int


def _stamp(st: os.stat_result) -> Stamp:
    return Stamp(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def target_of(path: Path) -> Path:
    """The regular file to read and replace for ``path`` (itself, or its symlink's final target), which
    may not exist yet; :class:`FileRefused` for what the policy refuses."""
    real = Path(os.path.realpath(path))
    if path.is_symlink() and not real.exists():
        raise FileRefused(
            f"{path} is a symbolic link to {real}, which does not exist; followup-sync does not create the "
            "target of a link: create that file (an empty one will do) or point the link at an existing file"
        )
    try:
        st = real.stat()
    except FileNotFoundError:
        return real
    except OSError as exc:
        raise FileRefused(f"cannot use {real}: {exc.strerror}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise FileRefused(f"{real} is a folder; name the .ics file to write in it")
    if not stat.S_ISREG(st.st_mode):
        raise FileRefused(
            f"{real} is not a regular file (a device, pipe or socket); point it at an .ics file instead"
        )
    return real


def stamp_of(target: Path) -> Stamp | None:
    """The file's current stamp, or None when it does not exist."""
    try:
        return _stamp(target.stat())
    except FileNotFoundError:
        return None


def read(target: Path) -> tuple[Stamp, bytes] | None:
    """The file's stamp and bytes, or None when it does not exist.

    Opened non-blocking and checked after opening, so a FIFO swapped in after :func:`target_of` cannot hang
    the pass.
    """
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise FileRefused(f"{target} is not a regular file (a device, pipe or socket)")
        return _stamp(st), handle.read()


def replace(target: Path, data: bytes) -> Stamp:
    """Replace (or create) ``target`` with ``data`` atomically: temp file in its folder, fsync, rename,
    fsync the folder. Keeps an existing file's mode; refuses a read-only one."""
    try:
        old: os.stat_result | None = target.stat()
    except FileNotFoundError:
        old = None
    if old is not None and not old.st_mode & stat.S_IWUSR:
        raise FileRefused(
            f"{target} is read-only (mode {stat.S_IMODE(old.st_mode):04o}), so followup-sync leaves it as it "
            f"is; make it writable (chmod u+w {target}) or set [reminders] path to another file"
        )
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, name = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.{TEMP_TAG}", suffix=".tmp")  # 0600
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if old is not None:
            tmp.chmod(stat.S_IMODE(old.st_mode))
            if hasattr(os, "chown") and old.st_uid != tmp.stat().st_uid:
                with contextlib.suppress(OSError):  # only root may give the file back to its owner
                    os.chown(tmp, old.st_uid, old.st_gid)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(parent)
    return _stamp(target.stat())


@contextlib.contextmanager
def locked(target: Path, *, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the file's lock (``.<name>.lock`` next to it) for one read-modify-write; :class:`FileBusy`
    after ``timeout`` seconds."""
    import filelock

    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = filelock.FileLock(target.parent / f".{target.name}.lock", timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise FileBusy(str(target)) from None
    try:
        yield
    finally:
        lock.release()


def remove_stale_temps(target: Path) -> int:
    """Remove temp copies of ``target`` that a killed write left behind; call it holding the lock.

    Only our names: ``.<name>.followup-sync-<random>.tmp``, and ``.<name>.<8 random>.tmp`` that earlier
    versions wrote (tempfile's pattern with the prefix and suffix they used).
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?:{TEMP_TAG}[a-z0-9_]+|[a-z0-9_]{{8}})\.tmp")
    removed = 0
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                Path(entry.path).unlink()
                removed += 1
                log.info("Removed %s, a temporary copy of %s left by an interrupted write", entry.path, target)
    return removed


WRITES_PROPERTY = "X-FOLLOWUP-SYNC-WRITES"
WRITES_KEPT = 32


def writes_in(head: list[str]) -> list[str] | None:
    """The write ids in a calendar's header lines, oldest first; None when it has no such line."""
    for line in head:
        name, sep, value = line.partition(":")
        if sep and name.strip().upper() == WRITES_PROPERTY:
            return [w for w in value.strip().split(",") if w]
    return None


def with_new_write(head: list[str]) -> tuple[list[str], str]:
    """Header lines with one more write id (a new random one, returned too), the oldest dropped past
    :data:`WRITES_KEPT`; the line goes before the header's end, after the calendar's own properties."""
    write_id = secrets.token_hex(6)
    ids = [*(writes_in(head) or []), write_id][-WRITES_KEPT:]
    line = f"{WRITES_PROPERTY}:{','.join(ids)}"
    kept = [h for h in head if h.partition(":")[0].strip().upper() != WRITES_PROPERTY]
    return [*kept, line], write_id


class Journal:
    """The id of the last write this config made to each reminders file (a small JSON file, ``0600``, next
    to the state database: one per config, so two configs on one file each know their own)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def last(self, target: Path) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        value = data.get(str(target)) if isinstance(data, dict) else None
        return value if isinstance(value, str) else None

    def record(self, target: Path, write_id: str) -> None:
        """Best effort: a lost record leaves the previous id, which the file's list still holds."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if not isinstance(data, dict):
            data = {}
        data[str(target)] = write_id
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            Path(name).replace(self.path)

    def overwritten(self, target: Path, head: list[str]) -> bool:
        """Whether the file was written from a copy older than our last write (see the module docstring)."""
        last, ids = self.last(target), writes_in(head)
        return last is not None and ids is not None and last not in ids


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
