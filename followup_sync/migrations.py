"""The state database's schema, grown by :data:`MIGRATIONS`: functions whose names are recorded once applied.

This is simonw/llm's pattern: a new schema change is a new ``mNNN_*`` function appended to the list, never an
edit of an old one. ``PRAGMA user_version`` mirrors the count for tools that look at it. No column holds a mail
body: ids, addresses, hashes, dates and the short evidence sentence only.

The same migrations build a team deployment's PostgreSQL stores (``followup_sync.team.pgstate``), so write DDL
both accept: its connection rewrites only ``id INTEGER PRIMARY KEY`` (an identity column), ``BLOB`` (``BYTEA``),
``TEXT`` (``TEXT COLLATE "C"``, SQLite's binary order) and drops ``WITHOUT ROWID``; ``tests/team`` runs every
migration on both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from followup_sync.errors import UserError


class Connection(Protocol):
    """The part of a DB-API connection the store uses; :class:`sqlite3.Connection` is one, with ``?`` parameters
    (the PostgreSQL one of a team deployment takes them too). ``execute`` gives a cursor: ``rowcount``,
    ``fetchone()``, iteration over rows readable by index and by column name."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...

    def close(self) -> None: ...


class Dialect:
    """The few statements SQLite and PostgreSQL spell differently; this is SQLite's. Every other statement of the
    store is written once for both (``ON CONFLICT`` upserts, aliased subqueries, no ``rowid`` outside the SQLite
    file's own read cache)."""

    name = "sqlite"

    def begin(self, db: Connection) -> None:
        # IMMEDIATE takes the write lock at once: one writer at a time, and no deadlock when a reader upgrades
        db.execute("BEGIN IMMEDIATE")

    def commit(self, db: Connection) -> None:
        db.execute("COMMIT")

    def rollback(self, db: Connection) -> None:
        db.execute("ROLLBACK")

    def insert_id(self, db: Connection, sql: str, params: Sequence[Any]) -> int:
        """Run an INSERT into a table with an ``id INTEGER PRIMARY KEY``; the new row's id."""
        return int(db.execute(sql, params).lastrowid)

    def migrated(self, db: Connection, version: int) -> None:
        """After the migrations ran (inside their transaction)."""
        db.execute(f"PRAGMA user_version = {version}")


SQLITE = Dialect()


def m001_initial(db: Connection) -> None:
    db.execute(
        """CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            thread_key TEXT NOT NULL,
            sender TEXT NOT NULL,
            recipients TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            from_me INTEGER NOT NULL,
            subject_key TEXT NOT NULL,
            conversation_id TEXT,
            automatic INTEGER NOT NULL DEFAULT 0,
            bulk INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX messages_thread_key ON messages (thread_key)")
    db.execute("CREATE INDEX messages_sent_at ON messages (sent_at)")
    db.execute(
        """CREATE TABLE followups (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            origin_id TEXT NOT NULL,
            thread_key TEXT NOT NULL,
            contacts TEXT NOT NULL,
            due TEXT NOT NULL,
            due_has_time INTEGER NOT NULL,
            deadline INTEGER NOT NULL,
            channel TEXT,
            evidence TEXT NOT NULL,
            thread_subject TEXT NOT NULL,
            link TEXT,
            not_before TEXT,
            attempt INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'dismissed')),
            closed_reason TEXT,
            first_seen TEXT NOT NULL,
            updated TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX followups_status ON followups (status)")
    # etag is NOT NULL: every sink we support returns one; a missing etag would make conditional writes
    # unconditional, which is exactly the user-loses-their-edit case the decision table exists to prevent.
    db.execute(
        """CREATE TABLE reminders (
            key TEXT PRIMARY KEY REFERENCES followups (key),
            sink TEXT NOT NULL,
            href TEXT NOT NULL,
            etag TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            start TEXT NOT NULL,
            user_owned INTEGER NOT NULL DEFAULT 0,
            UNIQUE (sink, href)
        )"""
    )
    db.execute(
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            window_start TEXT NOT NULL,
            window_end TEXT NOT NULL,
            dry_run INTEGER NOT NULL,
            ok INTEGER,
            stats TEXT NOT NULL DEFAULT '{}',
            problems TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    # Orphans (ours by marker, unknown to this state) are warned about once, not at every pass.
    db.execute(
        """CREATE TABLE orphans (
            sink TEXT NOT NULL,
            href TEXT NOT NULL,
            key TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            PRIMARY KEY (sink, href)
        )"""
    )


def m002_messages_asked(db: Connection) -> None:
    """``messages.asked``: the rep's mail asked, offered or chased (``MessageMeta.asked``), a cadence touch.

    Rows recorded before this migration read 0: their bodies are not stored, so they cannot be re-read. Those
    older mails no longer count as touches, so a lead chased just before the upgrade may get up to
    ``max_touches`` more tries; they age out of the lookback window.
    """
    db.execute("ALTER TABLE messages ADD COLUMN asked INTEGER NOT NULL DEFAULT 0")


def m003_source_memory(db: Connection) -> None:
    """``source_memory``: what each mail source has already read (Maildir names, mbox offsets, IMAP UIDs), so a
    pass reads only new or changed mail. ``source`` names the source and where it reads (``Incremental.key``);
    ``key`` and ``value`` are the source's own (names, fingerprints and counters, never mail text). Written in
    the transaction that records the messages read, so the two never disagree."""
    db.execute(
        """CREATE TABLE source_memory (
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (source, key)
        ) WITHOUT ROWID"""
    )


def m004_people_and_answers(db: Connection) -> None:
    """What the rep's own answers need, and the people reminders name (issue 12).

    - ``people``: per address and source (header, signature, contacts), the display name, company and phone
      number; metadata only, never the text they were read from.
    - ``answers``: every answer the rep gave (done, dismiss, not a follow-up, not a promise, snooze), from the
      command line, the review or the calendar, with the follow-up's kind and contact domains: what the
      learning reads (``control.learning``); ``learnt`` marks the ones it has read.
    - ``mutes``: the rules that stop reminders (a contact, a domain, a kind from a domain, a sentence shape),
      each with where it came from (the follow-up and answer that made it).
    - ``snoozes``: a follow-up not to be reminded before ``until``.
    - ``released``: the day a follow-up's reminder was let through the daily cap
      (``[reminders] max_new_per_day``).
    """
    db.execute(
        """CREATE TABLE people (
            address TEXT NOT NULL,
            source TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            company TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            seen TEXT NOT NULL,
            PRIMARY KEY (address, source)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            answer TEXT NOT NULL,
            kind TEXT NOT NULL,
            contacts TEXT NOT NULL,
            via TEXT NOT NULL,
            at TEXT NOT NULL,
            until TEXT,
            learnt INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX answers_key ON answers (key)")
    db.execute(
        """CREATE TABLE mutes (
            id INTEGER PRIMARY KEY,
            what TEXT NOT NULL CHECK (what IN ('contact', 'domain', 'kind', 'shape')),
            value TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT '',
            origin_key TEXT,
            origin TEXT NOT NULL,
            created TEXT NOT NULL,
            UNIQUE (what, value, kind)
        )"""
    )
    db.execute("CREATE TABLE snoozes (key TEXT PRIMARY KEY, until TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE released (key TEXT PRIMARY KEY, day TEXT NOT NULL) WITHOUT ROWID")
    db.execute("CREATE INDEX released_day ON released (day)")


def m005_pending_and_joint(db: Connection) -> None:
    """What conditional and joint promises need (issue 8).

    - ``messages.accepts``: a contact's mail that accepts (``acceptance.accepts``), the answer a conditional
      promise waits for. Rows recorded before read 0 (bodies are not stored): a reply read before the upgrade
      never makes a pending promise live.
    - ``followups.joint``: a follow-up stated jointly with a time ("let's speak Wednesday at 11"), which a
      meeting with the contact around that time covers (``rules``).
    - ``pending_promises``: the rep's promises that wait on the contact ("let me know if the terms work and I'll
      sign"), with the follow-up each becomes once a reply accepts and ``due_text``, the stated time read again
      from that reply. Like ``followups``, the evidence sentence is the only text kept.
    """
    db.execute("ALTER TABLE messages ADD COLUMN accepts INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE followups ADD COLUMN joint INTEGER NOT NULL DEFAULT 0")
    db.execute(
        """CREATE TABLE pending_promises (
            key TEXT PRIMARY KEY,
            origin_id TEXT NOT NULL,
            thread_key TEXT NOT NULL,
            contacts TEXT NOT NULL,
            due TEXT NOT NULL,
            due_has_time INTEGER NOT NULL,
            deadline INTEGER NOT NULL,
            channel TEXT,
            evidence TEXT NOT NULL,
            thread_subject TEXT NOT NULL,
            link TEXT,
            created_at TEXT NOT NULL,
            joint INTEGER NOT NULL DEFAULT 0,
            due_text TEXT NOT NULL DEFAULT '',
            first_seen TEXT NOT NULL
        )"""
    )


MIGRATIONS: list[Callable[[Connection], None]] = [
    m001_initial,
    m002_messages_asked,
    m003_source_memory,
    m004_people_and_answers,
    m005_pending_and_joint,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Connection, dialect: Dialect = SQLITE) -> None:
    """Apply the migrations this database lacks, in one ``BEGIN IMMEDIATE`` transaction."""
    dialect.begin(db)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
        done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
        known = {fn.__name__ for fn in MIGRATIONS}
        if done - known:
            raise UserError(
                "the state database was written by a newer followup-sync (unknown migrations: "
                + ", ".join(sorted(done - known))
                + "); upgrade followup-sync"
            )
        for fn in MIGRATIONS:
            if fn.__name__ not in done:
                fn(db)
                db.execute(
                    "INSERT INTO _migrations (name, applied) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat()),
                )
        dialect.migrated(db, SCHEMA_VERSION)
        dialect.commit(db)
    except BaseException:
        dialect.rollback(db)
        raise
