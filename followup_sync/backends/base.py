"""The narrow interfaces every backend implements, and the words they share.

Glossary
--------
KEY
    Our stable id for a follow-up and its reminder (``model.followup_key``): built from immutable ids only, so
    the same mail always gives the same key.
ORIGIN
    The message (Message-ID) or meeting (uid) a follow-up was found in.
THREAD
    A conversation: Graph's conversationId, else the In-Reply-To/References chain, else normalised subject plus
    participants within a time window (``threads``).
DUE
    When the follow-up is owed. The reminder's start is chosen from it by ``schedule``.
HREF
    The sink's own id for a reminder (a file-internal UID, a CalDAV path, a Graph event id).
ETAG
    Changes whenever the item changes, including when the user edits it in their calendar. Every write is
    conditional on it, and a mismatch raises :class:`~followup_sync.errors.PreconditionFailed`.
MARKER
    What makes an item ours: the UID ``<key>@followup-sync`` in .ics and CalDAV, a single-value extended
    property in Outlook. Sinks list and touch only items that carry it, never anyone else's.

Backends map their library's exceptions to :mod:`followup_sync.errors` at this boundary: ``TransientError`` for
what a later pass may fix, ``BackendError`` for the rest, ``CredentialsError`` for login problems. A malformed
single message or event is skipped with one WARNING log line naming its id and the reason (never its body), not
raised.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from followup_sync.errors import BackendError
from followup_sync.model import Meeting, Message, Reminder, RemoteItem
from followup_sync.people import Person

MARKER_UID_SUFFIX = "@followup-sync"


class MailSource(Protocol):
    """Reads sent and received mail (every folder the user files replies in)."""

    name: str

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        """Yield the messages sent or received in ``[start, end)``, in any order."""
        ...

    def close(self) -> None: ...


class Memory(Protocol):
    """A source's memory of what it has read, kept in the state database under the source's own ``key``.

    Writes are held until the pass records the mail it read, in the same transaction: a pass that dies before
    that reads the same items again (harmless: keys de-duplicate), and one that got that far never reads them
    again. Values are the source's own small records (names, fingerprints, offsets, UIDs), never mail text.
    """

    def get(self, key: str) -> bytes | None: ...

    def items(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        """Every ``(key, value)`` whose key starts with ``prefix``, writes of this pass included."""
        ...

    def put(self, key: str, value: bytes) -> None: ...

    def delete(self, key: str) -> None: ...


@runtime_checkable
class Incremental(Protocol):
    """A mail source that reads only what is new or changed since the last recorded pass.

    ``key`` names the source and where it reads (``maildir:/home/rep/Mail``): a different folder or account
    starts afresh. The pass hands the source its :class:`Memory` before calling ``messages``; a source given
    none reads everything in the window, as every source does.
    """

    key: str

    def remember(self, memory: Memory) -> None: ...


class MeetingSource(Protocol):
    """Reads meetings (each occurrence of a recurring one separately)."""

    name: str

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        """Yield the occurrences that overlap ``[start, end)``."""
        ...

    def close(self) -> None: ...


class ReminderSink(Protocol):
    """Where reminders are written; it lists and touches only items carrying our MARKER."""

    name: str

    def list(self) -> Iterator[RemoteItem]:
        """Yield every reminder of ours with its href, etag and current start."""
        ...

    def create(self, reminder: Reminder) -> RemoteItem:
        """Write a new reminder; ``PreconditionFailed`` if one with this key already exists."""
        ...

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        """Overwrite our reminder if it still has ``etag``; ``PreconditionFailed`` otherwise."""
        ...

    def delete(self, href: str, etag: str) -> None:
        """Remove our reminder if it still has ``etag``; ``PreconditionFailed`` otherwise."""
        ...

    def close(self) -> None: ...


WriteOp = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Write:
    """One reminder write of a batch: ``reminder`` for create and update, ``href`` and ``etag`` (the
    condition) for update and delete; the same arguments as the single-write methods."""

    op: WriteOp
    key: str
    reminder: Reminder | None = None
    href: str | None = None
    etag: str | None = None


#: What one write of a batch gave: the item written (create, update), None (deleted), or the error of that
#: write alone (``PreconditionFailed`` exactly where the single-write method would raise it).
WriteResult = RemoteItem | None | BackendError


class BatchingSink(ReminderSink, Protocol):
    """Optional: a sink that carries out several writes in one operation (one file rewrite, one HTTP batch).

    ``plan.apply`` uses it when a sink has it, in chunks of at most ``batch_size`` writes, and records each
    chunk's results in the state in one transaction right after ``write_batch`` returns: the order stays
    "calendar write, then record", and a crash in between leaves items the next pass finds by MARKER (adopt),
    by our content hash (an unrecorded update) or missing (an unrecorded delete), as for single writes.

    ``write_batch`` returns one result per write, in order; one failed write must not fail the others. It
    raises (``BackendError``) only when the batch as a whole failed; the sink then says in its docstring what
    may have landed (the .ics sink: nothing; a server: any subset, which the next pass reconciles). It logs the
    same INFO phrase per write as the single-write methods ("Creating reminder K in C").
    """

    batch_size: int

    def write_batch(self, writes: Sequence[Write]) -> list[WriteResult]: ...


def batching(sink: ReminderSink) -> BatchingSink | None:
    """The sink itself if it can write in batches, else None (it is then written one item at a time)."""
    size = getattr(sink, "batch_size", None)
    if callable(getattr(sink, "write_batch", None)) and isinstance(size, int) and size > 0:
        return sink  # type: ignore[return-value]
    return None


class PeopleSource(Protocol):
    """Optional for a mail source: the rep's address book (Outlook contacts on Microsoft 365, when the rep
    turned it on). ``contacts`` yields what it knows of people (name, company, phone; ``people.Person`` with
    source "contacts"); the pass keeps it in the state. A source may yield nothing on most passes and refresh
    its book now and then (Graph: once a day)."""

    def contacts(self, *, now: datetime) -> Iterator[Person]: ...


class PassAware(Protocol):
    """Optional for any backend: the sync pass calls ``start_pass`` before it reads or writes anything.

    ``now`` is the pass's clock (tests and ``sync --now`` move it); with ``dry_run`` the backend must keep
    whatever state of its own it has (cursors, caches, delta links) read-only for the whole pass: a dry run
    reads nothing and writes nothing that a real pass depends on. Backends without such state need not
    implement it.
    """

    def start_pass(self, *, now: datetime, dry_run: bool) -> None: ...


def marker_uid(key: str) -> str:
    return f"{key}{MARKER_UID_SUFFIX}"


def key_from_uid(uid: str) -> str | None:
    """The KEY in one of our UIDs, or None for anyone else's item."""
    if uid.endswith(MARKER_UID_SUFFIX):
        return uid[: -len(MARKER_UID_SUFFIX)] or None
    return None
