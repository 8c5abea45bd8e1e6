"""The SQLite state: what was read, which follow-ups exist, which reminder belongs to which, and each pass.

It holds ids, addresses, hashes, dates and the short evidence sentence, never a mail body (like vdirsyncer's
status file, which "would contain really sensitive information" otherwise). The file is ``0o600`` in a ``0o700``
folder. Datetimes are stored as fixed-width ISO UTC text and come back aware UTC.

Transactions are explicit (``isolation_level=None``): every write method is atomic on its own, and
:meth:`State.transaction` groups several into one ``BEGIN IMMEDIATE`` block; a pass writes one transaction
per phase (what it read and found, what it closed, its state-only steps, each chunk of calendar writes), never
one per reminder. The schema lives in :mod:`followup_sync.migrations`, applied at every open. Every real pass
ends with :meth:`State.prune`, whose docstring says what is forgotten after ``[state] retention_days``, what
is kept, and why.

SQLite's own errors never leave this module raw: a damaged file raises :class:`StateCorrupt` (the message
names the file and the fix), a busy one :class:`StateLocked`, anything else the OS refuses :class:`StateError`.

The store's SQL is written once for SQLite and PostgreSQL: a team deployment keeps each rep's state in a
PostgreSQL schema (``followup_sync.team.pgstate``) and hands :meth:`State.attach` a connection that takes the
same statements, with the few that differ in a :class:`~followup_sync.migrations.Dialect`.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import shlex
import shutil
import sqlite3
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any, Literal, get_args

from followup_sync.config import state_path_problem
from followup_sync.errors import TransientError, UserError
from followup_sync.migrations import SQLITE, Connection, Dialect, migrate
from followup_sync.model import FollowUp, MessageMeta, PassStats, PendingPromise

Status = Literal["open", "closed", "dismissed"]
STATUSES: tuple[Status, ...] = get_args(Status)
EVIDENCE_MAX = 300
_GOOD = "ok = 1 AND dry_run = 0 AND finished IS NOT NULL"  # a run the next window may start from
_LATEST = "ORDER BY started DESC, id DESC LIMIT 1"
_IN_CHUNK = 500  # keys per "IN (...)" query: well under SQLite's limit on bound parameters
BACKEND_NAME = "state"
#: A row as the connection gives it: ``sqlite3.Row`` here, readable by index and by column name.
_Row = Any


class StateError(UserError):
    """The state database cannot be opened or written (permissions, full disk, unreadable folder)."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class StateCorrupt(StateError):
    """The state file is not a SQLite database, or a damaged one."""

    def __init__(self, *, path: str, detail: str) -> None:
        super().__init__(
            f"the state database {path} is damaged ({detail}); move it aside (for example "
            f"`mv {shlex.quote(path)} {shlex.quote(path + '.broken')}`) and run the sync again: the next pass "
            "rebuilds the state from your mail and adopts the reminders already in your calendar",
            path=path,
        )
        self.detail = detail


class StateLocked(TransientError):
    """Another process kept the database busy longer than the busy timeout; the next pass retries."""

    def __init__(self, *, path: str) -> None:
        super().__init__(
            f"the state database {path} is busy (another process is writing it)", backend=BACKEND_NAME
        )
        self.path = path


@dataclass(frozen=True)
class FollowUpRecord:
    followup: FollowUp
    status: Status
    closed_reason: str | None


@dataclass(frozen=True)
class ReminderRecord:
    key: str
    sink: str
    href: str
    etag: str
    content_hash: str
    start: datetime
    user_owned: bool


@dataclass(frozen=True)
class RunRecord:
    id: int
    started: datetime
    finished: datetime | None
    window_start: datetime
    window_end: datetime
    ok: bool
    stats: dict[str, int]
    problems: list[str]
    dry_run: bool = False


# --- datetimes ------------------------------------------------------------------------------------------


def _ts(value: datetime) -> str:
    # Fixed width (always microseconds) so that text order is time order in `WHERE sent_at >= ?`.
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _ts_opt(value: datetime | None) -> str | None:
    return None if value is None else _ts(value)


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _dt_opt(text: str | None) -> datetime | None:
    return None if text is None else _dt(text)


# --- errors ---------------------------------------------------------------------------------------------

_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_CORRUPT = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_READONLY_ROLLBACK = 776  # a read-only connection met a hot journal it may not roll back


def _map_error(exc: sqlite3.Error, path: str) -> Exception:
    """The one place that turns sqlite3's exceptions into ours; unexpected ones (bugs) pass through."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _BUSY:
        return StateLocked(path=path)
    if primary in _CORRUPT:
        return StateCorrupt(path=path, detail=str(exc))
    if isinstance(exc, sqlite3.OperationalError):
        return StateError(f"cannot use the state database {path}: {exc}", path=path)
    return exc


@contextlib.contextmanager
def _mapped(path: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        mapped = _map_error(exc, path)
        if mapped is exc:
            raise
        raise mapped from exc


def _check(db: sqlite3.Connection, path: str) -> None:
    # quick_check reads every page once (milliseconds for our sizes) and catches a truncated file at open,
    # instead of a "malformed" error in the middle of a pass.
    rows = [row[0] for row in db.execute("PRAGMA quick_check")]
    if rows != ["ok"]:
        raise StateCorrupt(path=path, detail="; ".join(str(r) for r in rows[:3]))


def _backup(source: str, dst: sqlite3.Connection) -> None:
    src = sqlite3.connect(source, uri=source.startswith("file:"), isolation_level=None)
    try:
        src.backup(dst)
    finally:
        src.close()


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    # SQLite creates the db, -journal, -wal and -shm files itself; a 077 umask keeps them private from birth.
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


# --- the store ------------------------------------------------------------------------------------------


class State:
    """Typed access to the state database. Create with :meth:`open`, :meth:`snapshot` or :meth:`memory`."""

    def __init__(self, db: Connection, *, path: str, dialect: Dialect = SQLITE) -> None:
        self._db = db
        self._path = path
        self._dialect = dialect
        self._depth = 0
        self._shared = False  # may share what it read with later States of the same file (``open`` only)

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = 10.0) -> State:
        """Open (creating if needed) the database at ``path``, private to the user, and migrate it."""
        name = str(path)
        if path.is_symlink():
            # Checked again here (config refuses it at load): a link made since must not get its target
            # chmod'ed, overwritten or, dangling, created.
            raise StateError(f"cannot use the state database: {state_path_problem(path)}", path=name)
        try:
            with _private_umask():
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if not path.exists():
                    fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
                    os.close(fd)
            if not path.is_file():
                raise StateError(f"the state database {name} is not a file; set [state] path to a file", path=name)
            path.chmod(0o600)
        except OSError as exc:
            raise StateError(f"cannot create the state database {name}: {exc.strerror}", path=name) from exc
        with _mapped(name):
            with _private_umask():
                db = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
            state = cls._setup(db, name, busy_timeout=busy_timeout)
            state._shared = True
            return state

    @classmethod
    def snapshot(cls, path: Path) -> State:
        """A private in-memory copy of the database at ``path`` for ``--dry-run``: the file is only read.

        A missing file gives an empty state, as :meth:`open` would create it.
        """
        name = str(path)
        if not path.exists():
            return cls.memory()
        with _mapped(name):
            dst = sqlite3.connect(":memory:", isolation_level=None)
            try:
                try:
                    _backup(f"{path.resolve().as_uri()}?mode=ro", dst)
                except sqlite3.OperationalError as exc:
                    if getattr(exc, "sqlite_errorcode", None) != _READONLY_ROLLBACK:
                        raise
                    # A pass killed mid-write left a hot journal, which only a writer may roll back: roll it
                    # back on a private copy, so that the file itself is still never written.
                    with tempfile.TemporaryDirectory() as tmp:
                        copy = Path(tmp) / "state.db"
                        shutil.copyfile(path, copy)
                        shutil.copyfile(f"{path}-journal", f"{copy}-journal")
                        _backup(str(copy), dst)
            except BaseException:
                dst.close()
                raise
            return cls._setup(dst, name, busy_timeout=0)

    @classmethod
    def memory(cls) -> State:
        db = sqlite3.connect(":memory:", isolation_level=None)
        return cls._setup(db, ":memory:", busy_timeout=0)

    @classmethod
    def _setup(cls, db: sqlite3.Connection, name: str, *, busy_timeout: float) -> State:
        try:
            with _mapped(name):
                db.row_factory = sqlite3.Row
                db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                db.execute("PRAGMA foreign_keys = ON")
                _check(db, name)
                migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db, path=name)

    @classmethod
    def attach(cls, db: Connection, *, name: str, dialect: Dialect) -> State:
        """A store on a connection opened elsewhere (a team deployment's PostgreSQL schema), migrated; ``name``
        says where it is in messages. The caller owns the connection's life and one pass at a time."""
        migrate(db, dialect)
        return cls(db, path=name, dialect=dialect)

    @property
    def path(self) -> str:
        return self._path

    @property
    def schema_version(self) -> int:
        return int(self._rows("SELECT count(*) FROM _migrations")[0][0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error). Nested blocks join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with _mapped(self._path):
            self._dialect.begin(self._db)
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            with _mapped(self._path):
                self._dialect.rollback(self._db)
            raise
        self._depth = 0
        try:
            with _mapped(self._path):
                self._dialect.commit(self._db)
        except BaseException:
            if self._db.in_transaction:
                self._dialect.rollback(self._db)
            raise

    def _rows(self, sql: str, params: tuple[object, ...] = ()) -> list[_Row]:
        with _mapped(self._path):
            return list(self._db.execute(sql, params))

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> int:
        with self.transaction(), _mapped(self._path):
            return int(self._db.execute(sql, params).rowcount)

    # --- messages -----------------------------------------------------------------------------------------

    def add_messages(self, metas: Iterable[MessageMeta]) -> None:
        """Insert each message's metadata unless its id is already known."""
        metas = list(metas)
        rows = (  # a generator: a first pass adds tens of thousands, and a list of them adds to its peak memory
            (
                m.id,
                m.thread_key,
                m.sender,
                json.dumps(list(m.recipients)),
                _ts(m.sent_at),
                int(m.from_me),
                m.subject_key,
                m.conversation_id,
                int(m.automatic),
                int(m.bulk),
                int(m.asked),
                int(m.accepts),
            )
            for m in metas
        )
        # Named columns: a column added by a later migration cannot silently shift the values.
        sql = (
            "INSERT INTO messages (id, thread_key, sender, recipients, sent_at, from_me, subject_key,"
            " conversation_id, automatic, bulk, asked, accepts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING"
        )
        with self.transaction(), _mapped(self._path):
            self._db.executemany(sql, rows)
            self._remember_added(metas)

    def messages(self, *, since: datetime | None = None) -> list[MessageMeta]:
        """Known messages, oldest first; ``since`` keeps those sent at or after it.

        With ``since``, a database opened with :meth:`open` keeps what it read for the whole process (a daemon
        opens the state every pass): the next call reads only the rows added since, after checking by count
        that none of the rows it holds went away (pruned, or another file in the same place).
        """
        if since is None:
            return [_meta(r) for r in self._rows("SELECT * FROM messages ORDER BY sent_at, id")]
        cut = _ts(since)
        if not self._shared:  # a snapshot, a memory or a PostgreSQL store: no process cache, no rowid
            sql = "SELECT * FROM messages WHERE sent_at >= ? ORDER BY sent_at, id"
            return [_meta(r) for r in self._rows(sql, (cut,))]
        cache = _KNOWN.get(self._path)
        if cache is not None and cache.since <= cut and self._still_holds(cache, since):
            kept = cache.metas[bisect.bisect_left(cache.metas, since, key=lambda m: m.sent_at) :]
            fresh = self._rows("SELECT rowid AS _rowid, * FROM messages WHERE rowid > ?", (cache.max_rowid,))
            if fresh:
                newest = max(fresh, key=lambda r: int(r["_rowid"]))
                cache.max_rowid, cache.last_id = int(newest["_rowid"]), str(newest["id"])
                kept += [_meta(r) for r in fresh if r["sent_at"] >= cut]
                kept.sort(key=lambda m: (m.sent_at, m.id))
            cache.since, cache.metas = cut, kept
            return list(kept)
        top_rows = self._rows("SELECT rowid AS _rowid, id FROM messages ORDER BY rowid DESC LIMIT 1")
        top, last_id = (int(top_rows[0]["_rowid"]), str(top_rows[0]["id"])) if top_rows else (0, "")
        sql = f"SELECT {_META_COLUMNS} FROM messages WHERE sent_at >= ? AND rowid <= ? ORDER BY sent_at, id"  # noqa: S608
        if isinstance(self._db, sqlite3.Connection):  # always, for ``open``: a SQLite file
            with _mapped(self._path):
                cursor = self._db.cursor()
                cursor.row_factory = None  # plain tuples: sqlite3.Row costs as much again as the query here
                metas = _metas(cursor.execute(sql, (cut, top)))
        else:
            metas = _metas(self._rows(sql, (cut, top)))
        _KNOWN[self._path] = _Known(cut, top, last_id, metas)
        return list(metas)

    def _remember_added(self, metas: Sequence[MessageMeta]) -> None:
        """Put the rows just inserted into the process's cache, so the next pass need not read them back.
        Only when every new row is one of ``metas``; if the transaction rolls back, the count check of the
        next :meth:`messages` finds the cache wrong and reads afresh."""
        cache = _KNOWN.get(self._path) if self._shared else None
        if cache is None or not isinstance(self._db, sqlite3.Connection):  # ``open``: always a SQLite file
            return
        by_id = {m.id: m for m in metas}
        since = _dt(cache.since)
        fresh: list[MessageMeta] = []
        newest, last_id = cache.max_rowid, cache.last_id
        with _mapped(self._path):
            # plain tuples, one row at a time: a first pass adds tens of thousands, and a list of rows (with a
            # copy of each id) was the top of its peak memory
            cursor = self._db.cursor()
            cursor.row_factory = None
            for rowid, message_id in cursor.execute(
                "SELECT rowid, id FROM messages WHERE rowid > ? ORDER BY rowid", (cache.max_rowid,)
            ):
                meta = by_id.get(message_id)
                if meta is None:
                    return
                # as the table gives it back: it does not keep return_at (the rest is shared, not copied)
                if meta.sent_at >= since:
                    fresh.append(meta if meta.return_at is None else replace(meta, return_at=None))
                newest, last_id = int(rowid), str(message_id)
        if newest == cache.max_rowid:
            return
        cache.metas = sorted([*cache.metas, *fresh], key=attrgetter("sent_at", "id"))
        cache.max_rowid, cache.last_id = newest, last_id

    def _still_holds(self, cache: _Known, since: datetime) -> bool:
        """Whether the file still has every row ``cache`` holds from ``cut`` on and nothing else up to its
        last row: the same count, and the same message at its last row (a pruned or another database is not)."""
        (count,) = self._rows(
            "SELECT count(*) FROM messages WHERE rowid <= ? AND sent_at >= ?", (cache.max_rowid, _ts(since))
        )[0]
        held = len(cache.metas) - bisect.bisect_left(cache.metas, since, key=lambda m: m.sent_at)
        last = self._rows("SELECT id FROM messages WHERE rowid = ?", (cache.max_rowid,))
        return int(count) == held and (str(last[0]["id"]) if last else "") == cache.last_id

    # --- what sources have read ---------------------------------------------------------------------------

    def source_memory(self, source: str) -> SourceMemory:
        """One source's ``backends.base.Memory``; :meth:`SourceMemory.commit` it inside the transaction that
        records what the pass read."""
        return SourceMemory(self, source)

    def _memory_rows(self, source: str, prefix: str) -> list[tuple[str, bytes]]:
        # A range on the primary key, not LIKE (whose wildcards a key may hold): keys starting with `prefix`.
        if not prefix:
            rows = self._rows("SELECT key, value FROM source_memory WHERE source = ? ORDER BY key", (source,))
        else:
            rows = self._rows(
                "SELECT key, value FROM source_memory WHERE source = ? AND key >= ? AND key < ? ORDER BY key",
                (source, prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)),
            )
        return [(r[0], bytes(r[1])) for r in rows]

    def _write_memory(self, source: str, puts: dict[str, bytes], drops: set[str]) -> None:
        with self.transaction(), _mapped(self._path):
            self._db.executemany(
                "DELETE FROM source_memory WHERE source = ? AND key = ?", [(source, k) for k in sorted(drops)]
            )
            self._db.executemany(
                "INSERT INTO source_memory (source, key, value) VALUES (?, ?, ?)"
                " ON CONFLICT (source, key) DO UPDATE SET value = excluded.value",
                [(source, k, v) for k, v in sorted(puts.items())],
            )

    def forget_sources(self, *, keep: str | None) -> None:
        """Drop every source's memory but ``keep``'s: the rep switched folders, accounts or backends."""
        if keep is None:
            self._write("DELETE FROM source_memory")
        else:
            self._write("DELETE FROM source_memory WHERE source <> ?", (keep,))

    # --- follow-ups ---------------------------------------------------------------------------------------

    def followups(
        self, *, status: Status | None = None, keys: Collection[str] | None = None
    ) -> list[FollowUpRecord]:
        """Known follow-ups sorted by key, optionally only those with ``status`` and only those in ``keys``.

        A pass asks for the open ones and for the few keys it acts on, never for all: the closed and
        dismissed ones are most of the table.
        """
        where, params = [], []
        if status is not None:
            _check_status(status)
            where.append("status = ?")
            params.append(status)
        if keys is None:
            clause = f"WHERE {' AND '.join(where)}" if where else ""
            rows = self._rows(f"SELECT * FROM followups {clause} ORDER BY key", tuple(params))  # noqa: S608
        else:
            rows = []
            wanted = sorted(set(keys))
            for i in range(0, len(wanted), _IN_CHUNK):
                chunk = wanted[i : i + _IN_CHUNK]
                clause = " AND ".join([*where, f"key IN ({', '.join('?' * len(chunk))})"])
                rows.extend(self._rows(f"SELECT * FROM followups WHERE {clause}", (*params, *chunk)))  # noqa: S608
            rows.sort(key=lambda r: str(r["key"]))
        return [FollowUpRecord(_followup(r), r["status"], r["closed_reason"]) for r in rows]

    def open_followups(self, *, held: Mapping[str, FollowUp]) -> list[FollowUp]:
        """The open follow-ups sorted by key, as ``followups(status="open")`` gives them, where each one equal to
        the follow-up ``held`` has under its key is that object: a first pass over a large mailbox has just
        saved tens of thousands, and a second copy of each was a sixth of its peak memory. Rows are read one
        at a time, so a copy that matches is dropped before the next is made."""
        out: list[FollowUp] = []
        with _mapped(self._path):
            for row in self._db.execute("SELECT * FROM followups WHERE status = 'open' ORDER BY key"):
                loaded = _followup(row)
                same = held.get(loaded.key)
                out.append(same if same is not None and same == loaded else loaded)
        return out

    def save_followups(self, followups: Iterable[FollowUp], *, now: datetime | None = None) -> None:
        """Insert new follow-ups and refresh open ones; closed and dismissed keys are never reopened or changed.

        The evidence sentence is cut to :data:`EVIDENCE_MAX` characters: it is the only text we keep.
        """
        stamp = _ts(now or datetime.now(UTC))
        # a generator: a first pass saves tens of thousands, and a list of their rows added to its peak memory
        rows = ((*_followup_row(f), stamp, stamp) for f in followups)
        with self.transaction(), _mapped(self._path):
            self._db.executemany(
                """INSERT INTO followups (key, origin_id, thread_key, contacts, due, due_has_time, deadline,
                       channel, evidence, thread_subject, link, created_at, joint, kind, not_before, attempt,
                       first_seen, updated)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET
                       kind = excluded.kind, origin_id = excluded.origin_id, thread_key = excluded.thread_key,
                       contacts = excluded.contacts, due = excluded.due, due_has_time = excluded.due_has_time,
                       deadline = excluded.deadline, channel = excluded.channel, evidence = excluded.evidence,
                       thread_subject = excluded.thread_subject, link = excluded.link,
                       not_before = excluded.not_before, attempt = excluded.attempt,
                       created_at = excluded.created_at, joint = excluded.joint, updated = excluded.updated
                   WHERE followups.status = 'open'""",
                rows,
            )

    def set_status(
        self, key: str, status: Status, reason: str | None = None, *, now: datetime | None = None
    ) -> None:
        """Set a follow-up's status (``open`` clears the reason); an unknown key raises KeyError."""
        self.set_statuses({key: reason}, status, now=now)

    def set_statuses(
        self, reasons: Mapping[str, str | None], status: Status, *, now: datetime | None = None
    ) -> None:
        """:meth:`set_status` for many keys ({key: reason}) in one statement: a first pass over a large mailbox
        closes tens of thousands. An unknown key raises KeyError (and the transaction rolls back)."""
        _check_status(status)
        stamp = _ts(now or datetime.now(UTC))
        rows = [(status, None if status == "open" else why, stamp, key) for key, why in sorted(reasons.items())]
        if not rows:
            return
        with self.transaction(), _mapped(self._path):
            cur = self._db.executemany(
                "UPDATE followups SET status = ?, closed_reason = ?, updated = ? WHERE key = ?", rows
            )
            if cur.rowcount != len(rows):  # a driver may not count; then ask which keys exist
                known = {r.followup.key for r in self.followups(keys=reasons)}
                missing = sorted(set(reasons) - known)
                if missing:
                    raise KeyError(missing[0])

    # --- conditional promises ---------------------------------------------------------------------------

    def pending_promises(self) -> list[PendingPromise]:
        """Every promise that waits on the contact's answer, by key (a few rows: they end when accepted or
        expired)."""
        return [_pending(r) for r in self._rows("SELECT * FROM pending_promises ORDER BY key")]

    def save_pending(self, pending: Iterable[PendingPromise], *, now: datetime | None = None) -> None:
        """Keep new pending promises; one already kept, or already a follow-up (made live, closed, dismissed),
        is left as it is."""
        stamp = _ts(now or datetime.now(UTC))
        fresh = {p.followup.key: p for p in pending}
        with self.transaction(), _mapped(self._path):
            for record in self.followups(keys=fresh):
                del fresh[record.followup.key]
            self._db.executemany(
                """INSERT INTO pending_promises (key, origin_id, thread_key, contacts, due, due_has_time, deadline,
                       channel, evidence, thread_subject, link, created_at, joint, due_text, first_seen)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key) DO NOTHING""",
                [(*_pending_row(p), stamp) for p in fresh.values()],
            )

    def drop_pending(self, keys: Iterable[str]) -> None:
        """Forget pending promises (made live, or expired)."""
        with self.transaction(), _mapped(self._path):
            self._db.executemany("DELETE FROM pending_promises WHERE key = ?", [(k,) for k in keys])

    # --- reminders ----------------------------------------------------------------------------------------

    def reminders(self) -> dict[str, ReminderRecord]:
        return {
            r["key"]: ReminderRecord(
                key=r["key"],
                sink=r["sink"],
                href=r["href"],
                etag=r["etag"],
                content_hash=r["content_hash"],
                start=_dt(r["start"]),
                user_owned=bool(r["user_owned"]),
            )
            for r in self._rows("SELECT * FROM reminders ORDER BY key")
        }

    def put_reminder(self, rec: ReminderRecord) -> None:
        """Insert or replace the record for ``rec.key``; its follow-up must be saved first."""
        with self.transaction(), _mapped(self._path):
            # Another key holding the same href means that item was replaced under it; the newer claim wins.
            self._db.execute(
                "DELETE FROM reminders WHERE sink = ? AND href = ? AND key != ?", (rec.sink, rec.href, rec.key)
            )
            self._db.execute(
                """INSERT INTO reminders (key, sink, href, etag, content_hash, start, user_owned)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET sink = excluded.sink, href = excluded.href,
                       etag = excluded.etag, content_hash = excluded.content_hash, start = excluded.start,
                       user_owned = excluded.user_owned""",
                (rec.key, rec.sink, rec.href, rec.etag, rec.content_hash, _ts(rec.start), int(rec.user_owned)),
            )

    def drop_reminder(self, key: str) -> None:
        self._write("DELETE FROM reminders WHERE key = ?", (key,))

    def note_orphan(self, *, sink: str, href: str, key: str, now: datetime | None = None) -> bool:
        """Remember an orphan; True the first time it is seen (so the caller warns once)."""
        stamp = _ts(now or datetime.now(UTC))
        sql = "INSERT INTO orphans (sink, href, key, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        return bool(self._write(sql, (sink, href, key, stamp)))

    # --- pruning ------------------------------------------------------------------------------------------

    def prune(self, *, before: datetime) -> dict[str, int]:
        """Forget, in one transaction, what no pass can need any more: rows about things older than ``before``
        (now minus ``[state] retention_days``, which config keeps at least ``lookback_days`` + 60 days).

        What goes, and why it may:

        - closed and dismissed follow-ups whose origin (the mail's date, the meeting's end) is older than
          ``before`` and that have no reminder row. A pass reads mail and meetings only from ``lookback_days``
          back, so such an origin is never read again and the key never found again. That is also why they
          must stay until then: a dismissed key is what stops a re-read mail from bringing back a reminder the
          rep deleted, and a closed one what stops it from reopening. A row with a reminder still has work
          (a delete that failed is retried), so it stays whatever its age.
        - message metadata sent before ``before``: a pass reads back only ``lookback_days`` + 60 days of it
          (to thread new mail and resolve open follow-ups), and a re-read mail that old cannot occur.
        - runs that started before ``before``, except the latest and the latest good one (the next pass's
          window starts from it; ``status`` shows both).
        - pending (conditional) promises made before ``before``: an answer to them would be older than the
          mail a pass reads (the rules forget them earlier, after ``lookback_days``).

        Open follow-ups, their reminders and the orphan warnings (a few rows each) are kept.
        """
        cut = _ts(before)
        with self.transaction(), _mapped(self._path):
            followups = self._db.execute(
                """DELETE FROM followups WHERE status IN ('closed', 'dismissed') AND created_at < ?
                   AND key NOT IN (SELECT key FROM reminders)""",
                (cut,),
            ).rowcount
            messages = self._db.execute("DELETE FROM messages WHERE sent_at < ?", (cut,)).rowcount
            # a conditional promise whose mail is that old was never accepted in the window: it never will be
            self._db.execute("DELETE FROM pending_promises WHERE created_at < ?", (cut,))
            runs = self._db.execute(
                f"""DELETE FROM runs WHERE started < ? AND id NOT IN (
                       SELECT id FROM (SELECT id FROM runs {_LATEST}) AS latest UNION
                       SELECT id FROM (SELECT id FROM runs WHERE {_GOOD} {_LATEST}) AS good)""",  # noqa: S608
                (cut,),
            ).rowcount
        return {"followups": followups, "messages": messages, "runs": runs}

    # --- runs ---------------------------------------------------------------------------------------------

    def begin_run(self, *, started: datetime, window_start: datetime, window_end: datetime, dry_run: bool) -> int:
        with self.transaction(), _mapped(self._path):
            return self._dialect.insert_id(
                self._db,
                "INSERT INTO runs (started, window_start, window_end, dry_run) VALUES (?, ?, ?, ?)",
                (_ts(started), _ts(window_start), _ts(window_end), int(dry_run)),
            )

    def finish_run(self, run_id: int, *, finished: datetime, ok: bool, stats: PassStats) -> None:
        counts = {k: v for k, v in asdict(stats).items() if k != "problems"}
        changed = self._write(
            "UPDATE runs SET finished = ?, ok = ?, stats = ?, problems = ? WHERE id = ?",
            (_ts(finished), int(ok), json.dumps(counts), json.dumps(list(stats.problems)), run_id),
        )
        if not changed:
            raise KeyError(run_id)

    def last_run(self, *, ok_only: bool = False) -> RunRecord | None:
        """The latest run; with ``ok_only`` the latest finished, successful, real (not dry) one."""
        where = f"WHERE {_GOOD}" if ok_only else ""
        rows = self._rows(f"SELECT * FROM runs {where} {_LATEST}")  # noqa: S608
        if not rows:
            return None
        r = rows[0]
        return RunRecord(
            id=r["id"],
            started=_dt(r["started"]),
            finished=_dt_opt(r["finished"]),
            window_start=_dt(r["window_start"]),
            window_end=_dt(r["window_end"]),
            ok=bool(r["ok"]),
            stats=json.loads(r["stats"]),
            problems=json.loads(r["problems"]),
            dry_run=bool(r["dry_run"]),
        )


class SourceMemory:
    """One source's memory (the ``Memory`` protocol of ``backends.base``): reads see this pass's writes, which
    are held in memory until :meth:`commit`."""

    def __init__(self, state: State, source: str) -> None:
        self.state = state
        self.source = source
        self._puts: dict[str, bytes] = {}
        self._drops: set[str] = set()

    def get(self, key: str) -> bytes | None:
        if key in self._puts:
            return self._puts[key]
        if key in self._drops:
            return None
        rows = self.state._rows("SELECT value FROM source_memory WHERE source = ? AND key = ?", (self.source, key))
        return bytes(rows[0][0]) if rows else None

    def items(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        stored = dict(self.state._memory_rows(self.source, prefix))
        for key in self._drops:
            stored.pop(key, None)
        stored.update((k, v) for k, v in self._puts.items() if k.startswith(prefix))
        return iter(sorted(stored.items()))

    def put(self, key: str, value: bytes) -> None:
        self._puts[key] = bytes(value)
        self._drops.discard(key)

    def delete(self, key: str) -> None:
        self._puts.pop(key, None)
        self._drops.add(key)

    @property
    def pending(self) -> int:
        return len(self._puts) + len(self._drops)

    def commit(self) -> None:
        """Write this pass's changes (inside the caller's transaction, if any) and start afresh."""
        if self._puts or self._drops:
            self.state._write_memory(self.source, self._puts, self._drops)
        self._puts, self._drops = {}, set()

    def discard(self) -> None:
        self._puts, self._drops = {}, set()


@dataclass
class _Known:
    """The message metadata one state file held at or after ``since`` (up to row ``max_rowid``), as read."""

    since: str
    max_rowid: int
    last_id: str  # the message at ``max_rowid`` ("" for none)
    metas: list[MessageMeta]  # sorted by (sent_at, id)


#: By database path, for the whole process (see :meth:`State.messages`).
_KNOWN: dict[str, _Known] = {}


#: The columns :func:`_metas` reads, in its order.
_META_COLUMNS = (
    "id, thread_key, sender, recipients, sent_at, from_me, subject_key, conversation_id, automatic, bulk, asked,"
    " accepts"
)


def _metas(rows: Iterable[Sequence[Any]]) -> list[MessageMeta]:
    """:func:`_meta` for rows of :data:`_META_COLUMNS`, read by position: a new process's first read of the
    history is tens of thousands of rows, and by name it costs a fifth more."""
    parse, recipients = _dt, _recipients
    return [
        MessageMeta(
            id=mid,
            thread_key=thread,
            sender=sender,
            recipients=recipients(to),
            sent_at=parse(sent),
            from_me=bool(me),
            subject_key=subject,
            conversation_id=conv,
            automatic=bool(auto),
            bulk=bool(bulk),
            asked=bool(asked),
            accepts=bool(accepts),
        )
        for mid, thread, sender, to, sent, me, subject, conv, auto, bulk, asked, accepts in rows
    ]


def _meta(r: _Row) -> MessageMeta:
    return MessageMeta(
        id=r["id"],
        thread_key=r["thread_key"],
        sender=r["sender"],
        recipients=_recipients(r["recipients"]),
        sent_at=_dt(r["sent_at"]),
        from_me=bool(r["from_me"]),
        subject_key=r["subject_key"],
        conversation_id=r["conversation_id"],
        automatic=bool(r["automatic"]),
        bulk=bool(r["bulk"]),
        asked=bool(r["asked"]),
        accepts=bool(r["accepts"]),
    )


def _recipients(text: str) -> tuple[str, ...]:
    """The JSON list ``add_messages`` stored. Without a backslash (json.dumps escapes quotes and non-ASCII)
    it is plain ``["a", "b"]`` and is split directly: json.loads on every row is a fifth of a cold pass's
    reading of the state at 50,000 messages."""
    if text.startswith('["') and text.endswith('"]') and "\\" not in text:
        return tuple(text[2:-2].split('", "'))
    return tuple(json.loads(text))


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")


def _followup_row(f: FollowUp) -> tuple[object, ...]:
    """A follow-up's row, in the order of the INSERT in ``save_followups``."""
    return (*_shared_values(f), f.kind, _ts_opt(f.not_before), f.attempt)


def _pending_row(p: PendingPromise) -> tuple[object, ...]:
    """A pending promise's row, in the order of the INSERT in ``save_pending``."""
    return (*_shared_values(p.followup), p.due_text)


def _shared_values(f: FollowUp) -> tuple[object, ...]:
    """The columns ``followups`` and ``pending_promises`` share (the order both INSERTs begin with)."""
    return (
        f.key,
        f.origin_id,
        f.thread_key,
        json.dumps(list(f.contacts)),
        _ts(f.due),
        int(f.due_has_time),
        int(f.deadline),
        f.channel,
        f.evidence[:EVIDENCE_MAX],
        f.thread_subject,
        f.link,
        _ts(f.created_at),
        int(f.joint),
    )


def _pending(r: _Row) -> PendingPromise:
    # a pending promise's row has no kind, not_before or attempt: it is a promise that was never reminded
    return PendingPromise(FollowUp(kind="promise", **_followup_fields(r)), r["due_text"])


def _followup(r: _Row) -> FollowUp:
    return FollowUp(
        kind=r["kind"], not_before=_dt_opt(r["not_before"]), attempt=r["attempt"], **_followup_fields(r)
    )


def _followup_fields(r: _Row) -> dict[str, Any]:
    """The columns ``followups`` and ``pending_promises`` share, as FollowUp's keyword arguments."""
    return {
        "key": r["key"],
        "origin_id": r["origin_id"],
        "thread_key": r["thread_key"],
        "contacts": tuple(json.loads(r["contacts"])),
        "due": _dt(r["due"]),
        "evidence": r["evidence"],
        "thread_subject": r["thread_subject"],
        "created_at": _dt(r["created_at"]),
        "due_has_time": bool(r["due_has_time"]),
        "deadline": bool(r["deadline"]),
        "channel": r["channel"],
        "link": r["link"],
        "joint": bool(r["joint"]),
    }
