"""What went wrong in a pass, said once: classifying exceptions into problems, the back-off, and no log floods.

A daemon that runs for weeks sees the same fault hundreds of times (a laptop offline over a weekend). The
user needs to read about it once, with the fix, and once more when it clears. Pure functions plus one small
stateful :class:`ProblemLog`; the daemon and ``followup-sync status`` share the wording.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from followup_sync.errors import (
    BackendError,
    ConfigError,
    CredentialsError,
    SinkEmptied,
    SourceMissing,
    TransientError,
    UserError,
)
from followup_sync.logs import describe, redact


@dataclass(frozen=True)
class Problem:
    """One distinct fault. ``key`` is its identity for "log once"; ``fix`` is what the user can do."""

    key: str
    message: str
    fix: str = ""
    needs_user: bool = False
    since: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
            "needs_user": self.needs_user,
            "since": self.since,
        }


def backoff_seconds(failures: int, *, interval: float, cap: float) -> float:
    """Seconds to the next try after ``failures`` failed passes in a row: interval x 2^n, at most ``cap``."""
    if failures <= 0:
        return interval
    return min(interval * 2.0 ** min(failures, 30), max(cap, interval))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(exc: BaseException, *, state_path: Path) -> Problem:
    """Turn whatever a pass raised into a :class:`Problem` with a stable key and a fix."""
    for inner in _chain(exc):
        if isinstance(inner, OSError) and inner.errno in (errno.ENOSPC, errno.EDQUOT):
            return _disk_full(state_path)
        if isinstance(inner, sqlite3.Error):
            return _sqlite(inner, state_path)
    text = describe(exc)
    if isinstance(exc, CredentialsError):
        return Problem("login", f"login expired or missing: {text}", "run `followup-sync login`", True)
    if isinstance(exc, ConfigError):
        full = redact(str(exc))
        return Problem(f"config:{full}", full, "fix the configuration file", True)
    if isinstance(exc, UserError):
        # Our own user-facing errors (e.g. state.StateCorrupt) already say what to do.
        return Problem(f"user:{type(exc).__name__}", text, "", True)
    if isinstance(exc, SinkEmptied):
        fix = (
            "check that [reminders] points at the right calendar; if you deleted every reminder yourself, "
            "run `followup-sync sync --force` once"
        )
        return Problem("sink-emptied", text, fix, True)
    if isinstance(exc, SourceMissing):
        return Problem(
            f"missing:{exc.path}",
            exc.message,
            "check that it is there (a disconnected drive, a synced folder still catching up, a moved folder); "
            "followup-sync looks for it again at every pass",
        )
    if isinstance(exc, TransientError):
        return Problem(
            f"unreachable:{exc.backend}",
            f"{exc.backend} unreachable: {exc.message}",
            "check the network connection; followup-sync retries by itself",
        )
    if isinstance(exc, BackendError):
        return Problem(f"backend:{exc.backend}", text, "see the log for details; followup-sync retries")
    if isinstance(exc, OSError):
        return Problem(f"os:{exc.errno}", text, "see the log for details; followup-sync retries")
    return Problem(
        f"unexpected:{type(exc).__name__}",
        f"unexpected error {type(exc).__name__}: {text}",
        "please report this with the log file; followup-sync retries",
    )


def _disk_full(state_path: Path) -> Problem:
    return Problem(
        "disk-full", "the disk is full", f"free some space on the disk holding {state_path.parent}", True
    )


def _sqlite(exc: sqlite3.Error, state_path: Path) -> Problem:
    text = str(exc).lower()
    if "disk is full" in text:
        return _disk_full(state_path)
    if "locked" in text or "busy" in text:
        return Problem(
            "state-locked",
            f"the state database {state_path} is locked by another program",
            "close whatever has it open (a database browser, a backup tool); followup-sync retries",
        )
    return Problem(
        "state-broken",
        f"the state database {state_path} cannot be used: {exc}",
        f"move {state_path} aside and followup-sync rebuilds it from the calendar on the next pass",
        True,
    )


class ProblemLog:
    """Logs each distinct problem once when it appears and once when it clears ("Recovered")."""

    def __init__(self, logger: logging.Logger) -> None:
        self._log = logger
        self._active: dict[str, Problem] = {}

    def active(self) -> list[Problem]:
        return list(self._active.values())

    def report(
        self, problems: Sequence[Problem], *, exc: BaseException | None = None, retry_in: float | None = None
    ) -> None:
        """The full set of problems of this pass: new ones are logged, missing ones logged as recovered."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        current: dict[str, Problem] = {}
        for p in problems:
            old = self._active.get(p.key)
            current[p.key] = old if old is not None else Problem(p.key, p.message, p.fix, p.needs_user, now)
            if old is None:
                self._announce(p, exc=exc, retry_in=retry_in)
        for key, p in self._active.items():
            if key not in current:
                self._log.info("Recovered: %s (a problem since %s)", p.message, p.since)
        self._active = current

    def _announce(self, p: Problem, *, exc: BaseException | None, retry_in: float | None) -> None:
        parts = [p.message]
        if p.fix:
            parts.append(f"fix: {p.fix}")
        if retry_in is not None:
            parts.append(f"next try in {retry_in:.0f}s")
        level = logging.ERROR if p.needs_user or p.key.startswith("unexpected:") else logging.WARNING
        # A traceback only for what we did not foresee; foreseen faults are explained by their message.
        exc_info = exc if (exc is not None and p.key.startswith("unexpected:")) else None
        self._log.log(level, "Problem: %s", "; ".join(parts), exc_info=exc_info)
