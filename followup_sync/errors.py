"""The exception hierarchy: structured errors inside, sentences only in ``cli.handle_error``.

::

    Error
     +-- UserError            shown as one line, no traceback; may list several problems
     |    +-- ConfigError     the config file is missing, unreadable or invalid
     |    +-- CredentialsError  no token, expired login, no usable OS keyring
     +-- BackendError         a source or sink failed; ``backend`` names it, ``__cause__`` is the library error
     |    +-- TransientError  network, timeout, 429, 5xx: worth retrying at the next pass
     |    |    +-- SourceMissing  a local mail folder or file is not there now: retried every pass, no back-off
     |    |    +-- Throttled   the pass spent its whole wait budget on throttling: stop, the next pass goes on
     |    +-- PreconditionFailed  etag mismatch, item already exists, item gone
     +-- SinkEmptied          safety stop: the sink lists none of the reminders the state expects
     +-- AlreadyRunning       another process holds the state lock
"""

from __future__ import annotations

from collections.abc import Sequence


class Error(Exception):
    """Base for all followup_sync errors."""


class UserError(Error):
    """An error the user can fix; printed without a traceback."""

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "".join(f"\n  - {p}" for p in self.problems)


class ConfigError(UserError):
    """The configuration is missing, unreadable or invalid."""


class CredentialsError(UserError):
    """No usable login: no token, an expired or revoked one, or no usable OS keyring."""


class BackendError(Error):
    """A source or sink failed; ``backend`` names it and ``__cause__`` carries the library's error."""

    def __init__(self, message: str, *, backend: str) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend

    def __str__(self) -> str:
        return f"{self.backend}: {self.message}"


class TransientError(BackendError):
    """Network trouble, a timeout, throttling or a server error: the next pass retries."""


class SourceMissing(TransientError):
    """A local mail folder or file is not there right now: a disconnected drive, a synced folder still
    catching up, a folder being restored. Not a config error (the same config works once it is back), and
    cheap to look for, so it is retried at the normal interval instead of backing off like a server fault."""

    def __init__(self, message: str, *, backend: str, path: str) -> None:
        super().__init__(message, backend=backend)
        self.path = path


class Throttled(TransientError):
    """The service kept throttling until the pass's wait budget (``max_retry_wait_seconds``) was spent.

    Unlike other transient errors it concerns every write still to come, not one: the pass stops writing at
    once, says so once, and the next pass carries on from where this one stopped.
    """


class PreconditionFailed(BackendError):
    """A conditional write lost: the etag changed, the item already exists, or it is gone."""

    def __init__(self, message: str, *, backend: str, href: str | None = None) -> None:
        super().__init__(message, backend=backend)
        self.href = href


class SinkEmptied(Error):
    """The sink lists none of our reminders although the state knows some.

    Like vdirsyncer's ``StorageEmpty``: a wrong calendar, an expired token or a silently broken sink would
    otherwise look exactly like "the user deleted everything", and we would dismiss every follow-up.
    """

    def __init__(self, *, sink: str, expected: int) -> None:
        super().__init__(f"{sink} lists none of the {expected} reminders followup-sync wrote")
        self.sink = sink
        self.expected = expected


class AlreadyRunning(Error):
    """Another followup-sync process holds the lock on this state database."""

    def __init__(self, *, lock_path: str, holder: str) -> None:
        super().__init__(f"another followup-sync ({holder}) is using {lock_path}")
        self.lock_path = lock_path
        self.holder = holder
