"""Each rep's state in PostgreSQL: one schema per mailbox, holding the tables the SQLite file holds.

The store is ``state.State`` itself; this module gives it a connection that takes its statements (``?``
parameters, SQLite's DDL of ``migrations``) and the PostgreSQL :class:`~followup_sync.migrations.Dialect`.
Nothing is copied: the same migrations build every rep's schema, the same SQL reads and writes it. Text
columns are ``COLLATE "C"``, so keys and ISO timestamps sort and compare byte by byte as in SQLite.

One logical store per mailbox: a schema ``rep_<hash of the address>``, and a connection whose ``search_path`` is
that schema alone, so a pass's SQL cannot name another rep's tables. A transaction takes the schema's advisory
lock first, as SQLite's ``BEGIN IMMEDIATE`` takes the file's write lock: one writer per store at a time.

Connection settings never sit in the team config in clear: they come from ``FOLLOWUP_SYNC_DATABASE`` (a libpq
connection string or URL), from a file readable by its owner only (``[database] dsn_file``), or from libpq's own
``PG*`` variables and password file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors
from psycopg import sql as psql
from psycopg.pq import TransactionStatus

from followup_sync.errors import ConfigError, TransientError
from followup_sync.migrations import Connection, Dialect
from followup_sync.state import State, StateLocked

DSN_ENV = "FOLLOWUP_SYNC_DATABASE"
SCHEMA_PREFIX = "rep_"
BACKEND_NAME = "team database"


class DatabaseUnavailable(TransientError):
    """The PostgreSQL server cannot be reached or dropped the connection; the job is retried."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the team database is unreachable ({detail})", backend=BACKEND_NAME)


# --- connection settings -----------------------------------------------------------------------------------


def conninfo(dsn_file: Path | None = None, *, env: dict[str, str] | None = None) -> str:
    """The connection string: ``FOLLOWUP_SYNC_DATABASE``, else the first line of ``dsn_file`` (which must be
    readable by its owner only), else "" (libpq then reads ``PGHOST``, ``PGDATABASE``, ``PGPASSFILE``...)."""
    env = dict(os.environ) if env is None else env
    if env.get(DSN_ENV):
        return env[DSN_ENV].strip()
    if dsn_file is None:
        return ""
    return read_private(dsn_file, what="[database] dsn_file").strip()


def read_private(path: Path, *, what: str) -> str:
    """A secret file's text; refused when group or others may read it (the way ssh and libpq refuse keys)."""
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what}: {path} is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{what}: {path} may be read by others (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run `chmod 600 {path}`: it holds a secret"
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc}") from None


def connect(dsn: str, *, application: str = "followup-sync-team") -> psycopg.Connection[Any]:
    """An autocommit connection (the store runs its own BEGIN/COMMIT, as on SQLite)."""
    try:
        return psycopg.connect(dsn, autocommit=True, application_name=application, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --- the SQL seam ---------------------------------------------------------------------------------------


class Row(tuple[Any, ...]):
    """A row readable by index and by column name, like ``sqlite3.Row``."""

    names: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor: Any) -> Any:
    names = {c.name: i for i, c in enumerate(cursor.description or [])}
    cls: type[Row] = type("Row", (Row,), {"names": names})

    def make(values: Sequence[Any]) -> Row:
        return cls(values)

    return make


_DDL = re.compile(r"^\s*(CREATE|ALTER)\s+TABLE\b", re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """A statement of the store, in SQLite's spelling, as PostgreSQL takes it (see the migrations docstring)."""
    out = sql.replace("%", "%%").replace("?", "%s")
    if _DDL.match(out):
        out = re.sub(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b", "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                     out, flags=re.IGNORECASE)  # fmt: skip
        out = re.sub(r"\bBLOB\b", "BYTEA", out, flags=re.IGNORECASE)
        out = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', out, flags=re.IGNORECASE)
        out = re.sub(r"\)\s*WITHOUT\s+ROWID\s*$", ")", out.rstrip(), flags=re.IGNORECASE)
    return out


class PgConnection:
    """A psycopg connection bound to one rep's schema, taking the store's statements.

    Driver errors leave as the store's: a dropped or refused connection is :class:`DatabaseUnavailable` (the
    job is retried), a lock or statement timeout :class:`~followup_sync.state.StateLocked`; anything else (a
    constraint the code broke) passes through unchanged.
    """

    def __init__(self, conn: psycopg.Connection[Any], *, schema: str) -> None:
        self.conn = conn
        self.schema = schema
        conn.row_factory = _row_factory
        with self.errors():
            conn.execute(psql.SQL("SET search_path TO {}").format(psql.Identifier(schema)))

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled, psycopg.errors.DeadlockDetected,
                psycopg.errors.SerializationFailure) as exc:  # fmt: skip
            raise StateLocked(path=f"postgresql:{self.schema}") from exc
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(_first_line(exc)) from exc

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any:
        with self.errors():
            return self.conn.execute(translate(sql), tuple(parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any:
        rows = [tuple(p) for p in parameters]
        with self.errors():
            cur = self.conn.cursor()
            if rows:
                cur.executemany(translate(sql), rows)
            return cur

    @property
    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.conn.close()


def _lock_key(schema: str) -> int:
    """A stable 63-bit advisory lock key for a schema (Python's ``hash`` differs between processes)."""
    return int.from_bytes(hashlib.sha256(f"followup-sync:{schema}".encode()).digest()[:8], "big") >> 1


class PgDialect(Dialect):
    """PostgreSQL's spelling of what differs (see :class:`~followup_sync.migrations.Dialect`)."""

    name = "postgresql"

    def __init__(self, schema: str) -> None:
        self.lock = _lock_key(schema)

    def begin(self, db: Connection) -> None:
        db.execute("BEGIN")
        db.execute("SELECT pg_advisory_xact_lock(?)", (self.lock,))

    def insert_id(self, db: Connection, sql: str, params: Sequence[Any]) -> int:
        return int(db.execute(f"{sql} RETURNING id", params).fetchone()[0])

    def migrated(self, db: Connection, version: int) -> None:
        return None  # no user_version: the _migrations table is the record


class SnapshotDialect(PgDialect):
    """For ``--dry-run``: the whole pass runs in one transaction that is rolled back at close; the store's own
    transactions become savepoints inside it. The store is read as it was when the pass began (REPEATABLE
    READ) and never written."""

    def begin(self, db: Connection) -> None:
        db.execute("SAVEPOINT followup_sync")

    def commit(self, db: Connection) -> None:
        db.execute("RELEASE SAVEPOINT followup_sync")

    def rollback(self, db: Connection) -> None:
        db.execute("ROLLBACK TO SAVEPOINT followup_sync")
        db.execute("RELEASE SAVEPOINT followup_sync")


# --- one store per mailbox --------------------------------------------------------------------------------


def schema_for(mailbox: str) -> str:
    """The schema of a rep's store: derived from the address, so every worker finds the same one."""
    return SCHEMA_PREFIX + hashlib.sha256(mailbox.strip().lower().encode()).hexdigest()[:24]


def ensure_schema(conn: psycopg.Connection[Any], schema: str) -> None:
    """Create the schema if it is missing (several workers may try at once: the advisory lock orders them)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(schema),))
        conn.execute(psql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(psql.Identifier(schema)))


def open_state(dsn: str, mailbox: str, *, snapshot: bool = False) -> State:
    """A rep's store on a connection of its own, created and migrated if needed. ``snapshot``: a dry run's,
    which writes nothing. Closing the State closes the connection."""
    conn = connect(dsn)
    try:
        try:
            ensure_schema(conn, schema_for(mailbox))
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(_first_line(exc)) from exc
        return state_on(conn, mailbox, snapshot=snapshot)
    except BaseException:
        conn.close()
        raise


def state_on(conn: psycopg.Connection[Any], mailbox: str, *, snapshot: bool = False) -> State:
    """A rep's store on ``conn`` (its schema must exist): the connection's search_path becomes the schema."""
    schema = schema_for(mailbox)
    with contextlib.suppress(psycopg.Error):
        conn.execute("SET lock_timeout = '60s'")
    db = PgConnection(conn, schema=schema)
    name = f"postgresql:{schema} ({mailbox})"
    if snapshot:
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        return State.attach(db, name=name, dialect=SnapshotDialect(schema))
    return State.attach(db, name=name, dialect=PgDialect(schema))
