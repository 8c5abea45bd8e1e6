"""Logging setup: a private rotating log file, one INFO line per pass, and redaction of anything token-shaped.

The log is for the rep (and whoever they send it to), so it must never carry secrets or mail bodies. Code
never logs them above DEBUG; the redaction here is defence in depth against a library that does
(requests-oauthlib logs Authorization headers at DEBUG, requests/requests-oauthlib#536). Log lines also carry
subjects, Message-IDs and file names from anyone's mail: :class:`CleanFilter` and the formatter remove
terminal escapes and control characters (``sanitise.clean``), and a line break inside such a value becomes a
space, so a crafted subject can neither drive the terminal showing the log nor forge a log line.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, MutableSet
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from followup_sync import config as config_mod
from followup_sync.sanitise import clean

if TYPE_CHECKING:
    from followup_sync.model import PassStats

LOG_NAME = "followup-sync.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"
# Libraries that log request details (headers, token bodies) at DEBUG, or every job run at INFO: kept at
# WARNING even under --verbose.
QUIET_LOGGERS = ("urllib3", "requests_oauthlib", "oauthlib", "msal", "O365", "apscheduler", "caldav", "imapclient")

_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "Authorization: Bearer x" and "Authorization: Basic x" header lines, whatever the scheme.
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(\w+\s+)?[^\s'\",}]+"), r"\1" + REDACTED),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]+=*"), "Bearer " + REDACTED),
    # JWTs (Graph access and id tokens): base64url JSON header, always starting with '{"' -> 'eyJ'.
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # key=value or "key": "value" for the names OAuth and our config use for secrets.
    (
        re.compile(
            r"(?i)(\b(?:refresh_token|access_token|id_token|client_secret|password|passwd|secret|code_verifier)"
            r"['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"
        ),
        r"\1" + REDACTED,
    ),
    # IMAP LOGIN "user" "password" (imaplib's debug output does not redact it).
    (re.compile(r'(?i)(\bLOGIN\s+"?[^\s"]+"?\s+)"?[^\s"]+"?'), r"\1" + REDACTED),
    # Microsoft refresh tokens ("0.A..." / "M.C5..._") and any other long opaque credential-looking run.
    (re.compile(r"\b(?:0\.A|M\.C\d)[A-Za-z0-9!*$_.-]{20,}"), REDACTED),
    (re.compile(r"[A-Za-z0-9_\-+]{64,}={0,2}"), REDACTED),
)


def redact(text: str) -> str:
    """``text`` with everything that looks like a token, password or Authorization header replaced."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Rewrites each record's message with :func:`redact`; installed on every handler we create."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken %-format in someone's log call: let logging report it as usual
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class CleanFilter(logging.Filter):
    """Untrusted values in a record's arguments lose their control characters and line breaks.

    The format string is ours and may span lines (a config error lists its problems); the arguments are
    where subjects, ids and paths go. The formatter cleans the whole line again (tracebacks included).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) for a in record.args):
            record.args = tuple(clean(a) if isinstance(a, str) else a for a in record.args)
        return True


class OnceFilter(logging.Filter):
    """Lets an identical WARNING through once per ``hours``: a daemon re-reads the same window every pass.

    A malformed message in the overlap window, or a reminder that cannot be updated, is reported by its
    module on every pass; over a day at 5-minute passes that is 288 identical lines. Errors (which the daemon
    already logs once per problem) and everything below WARNING pass unchanged. Bounded memory.
    """

    MAX_KEYS = 2000

    def __init__(self, *, hours: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._window = hours * 3600.0
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        # The daemon's own "Problem:"/"Recovered:" lines are already once-per-problem, and must pair up.
        if record.levelno != logging.WARNING or record.name == "followup_sync.daemon":
            return True
        key = (record.name, record.getMessage())
        now = self._clock()
        last = self._seen.get(key)
        if last is not None and now - last < self._window:
            return False
        if len(self._seen) >= self.MAX_KEYS:
            oldest = min(self._seen, key=self._seen.__getitem__)
            del self._seen[oldest]
        self._seen[key] = now
        return True


class RedactingFormatter(logging.Formatter):
    """Also redacts and cleans tracebacks and stack text, which the filters never see."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(redact(super().format(record)), multiline=True)


def private_rotating_handler(
    path: Path, *, max_bytes: int = MAX_BYTES, backups: int = BACKUP_COUNT
) -> logging.Handler:
    """A rotating file handler whose files are created 0600, including the ones made at rollover.

    Built on demand: ``logging.handlers`` (sockets, pickle, queues) is only the daemon's need, and every
    command imports this module (issue 11's start-up time).
    """
    import logging.handlers

    class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
        def _open(self) -> io.TextIOWrapper:
            fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            return io.TextIOWrapper(
                io.FileIO(fd, "a"), encoding=self.encoding, errors=self.errors, line_buffering=False
            )

    return PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")


def log_path() -> Path:
    return config_mod.log_dir() / LOG_NAME


WARNED_NAME = "followup-sync.warned"
WARNED_DAYS = 90
WARNED_MAX = 100_000


class WarnedOnce(MutableSet[str]):
    """The skipped messages already warned about, remembered across runs next to the log file.

    A second ``followup-sync sync`` or a restarted daemon would otherwise warn again about every malformed
    message in the window (2,245 lines on a corrupted mailbox). CLI runs and the daemon share the file; each
    line is a hash of the label (no Message-ID or path in clear) and the day it was last met. An entry not
    met for ``WARNED_DAYS`` is forgotten, so a message skipped again after that is named again. Iterating
    yields the hashes, not the labels.
    """

    def __init__(self, path: Path, *, today: date | None = None) -> None:
        self.path = path
        self._today = today or date.today()
        self._days: dict[str, str] = self._read()
        self._dirty = False

    @classmethod
    def default(cls) -> WarnedOnce:
        return cls(config_mod.log_dir() / WARNED_NAME)

    @staticmethod
    def _key(label: str) -> str:
        return hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return {}
        days = {}
        for line in text.splitlines():
            digest, _, day = line.partition(" ")
            if len(digest) == 32 and len(day) == 10:
                days[digest] = day
        return days

    def __contains__(self, label: object) -> bool:
        if not isinstance(label, str):
            return False
        key, today = self._key(label), self._today.isoformat()
        if key not in self._days:
            return False
        if self._days[key] != today:  # still met: keep it remembered
            self._days[key], self._dirty = today, True
        return True

    def add(self, label: str) -> None:
        self._days[self._key(label)] = self._today.isoformat()
        self._dirty = True

    def discard(self, label: str) -> None:
        if self._days.pop(self._key(label), None) is not None:
            self._dirty = True

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._days))

    def __len__(self) -> int:
        return len(self._days)

    def save(self) -> None:
        """Merge with what another run saved meanwhile, forget the stale, write atomically (0600)."""
        if not self._dirty:
            return
        cutoff = (self._today - timedelta(days=WARNED_DAYS)).isoformat()
        merged = {k: d for k, d in {**self._read(), **self._days}.items() if d >= cutoff}
        if len(merged) > WARNED_MAX:
            merged = dict(sorted(merged.items(), key=lambda kv: kv[1])[-WARNED_MAX:])
        text = "".join(f"{k} {d}\n" for k, d in sorted(merged.items()))
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(text)
            tmp.replace(self.path)
        except OSError as exc:  # a read-only log folder costs repeated warnings, nothing more
            tmp.unlink(missing_ok=True)
            logging.getLogger(__name__).debug("Cannot save %s: %s", self.path, exc)
            return
        self._days, self._dirty = merged, False


def setup(
    *,
    verbose: bool = False,
    console: bool | None = None,
    log_file: Path | bool = False,
    stream: TextIO | None = None,
    dedupe_hours: float = 0.0,
) -> Path | None:
    """Configure the root logger once per process; returns the log file path, if any.

    ``console=None`` means "only when stderr is a terminal": the daemon under systemd/launchd writes to its
    file only, an interactive command also shows its messages. ``log_file=True`` uses :func:`log_path`.
    ``dedupe_hours`` (the daemon) logs an identical WARNING only once in that many hours (:class:`OnceFilter`).
    """
    root = logging.getLogger()
    # The CLI group gives the package logger its own stderr handler and level; the daemon's handlers below
    # replace that, so records reach the root handlers whatever the CLI set before.
    pkg = logging.getLogger("followup_sync")
    for handler in list(pkg.handlers):
        pkg.removeHandler(handler)
    pkg.setLevel(logging.NOTSET)
    pkg.propagate = True
    for handler in list(root.handlers):
        if getattr(handler, "_followup_sync", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    formatter = RedactingFormatter(FORMAT)
    once = OnceFilter(hours=dedupe_hours) if dedupe_hours > 0 else None
    path: Path | None = None
    if log_file:
        path = log_path() if log_file is True else Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _add(
            root,
            private_rotating_handler(path),
            formatter,
            once,
        )
    out = stream or sys.stderr
    if console is None:
        console = out.isatty()
    if console:
        _add(root, logging.StreamHandler(out), RedactingFormatter("%(levelname)s: %(message)s"), once)
    return path


def _add(
    root: logging.Logger, handler: logging.Handler, formatter: logging.Formatter, once: OnceFilter | None = None
) -> None:
    handler.setFormatter(formatter)
    handler.addFilter(CleanFilter())
    handler.addFilter(RedactFilter())
    if once is not None:
        handler.addFilter(once)
    handler._followup_sync = True  # type: ignore[attr-defined]  # marks ours for a later setup() call
    root.addHandler(handler)


def pass_line(stats: PassStats, seconds: float, *, dry_run: bool = False) -> str:
    """The one INFO line each pass writes; tests and ``status`` read it, so its wording is fixed."""
    line = (
        f"Pass finished: {stats.messages_read} messages read, {stats.followups_found} follow-ups found, "
        f"{stats.followups_open} open, {stats.created} created, {stats.updated} updated, "
        f"{stats.deleted} deleted in {seconds:.1f}s"
    )
    if stats.errors:
        line += f", {stats.errors} errors"
    if dry_run:
        line += " (dry run: counts are what a real pass would do; nothing written)"
    return line


def describe(obj: Any) -> str:
    """A short, redacted description of an exception or object for one log line."""
    text = str(obj) or type(obj).__name__
    return redact(text.splitlines()[0] if text else text)


def console_active() -> bool:
    """Whether a console handler of ours is installed (so a message logged now is also seen on the terminal)."""
    return any(
        getattr(h, "_followup_sync", False) and not isinstance(h, logging.FileHandler)
        for h in logging.getLogger().handlers
    )
