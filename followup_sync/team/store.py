"""The team deployment's own tables (schema ``followup_team``, beside the job engine's) and the Graph caches
kept in each rep's schema.

``passes``: one row per mailbox: when its last pass started and ended, whether it went well, its counts and
the first problem (a sentence, no mail text). The scheduler reads it to know which mailbox is due; ``status``
and the manager's view read it too. The Graph backends' small JSON documents (delta links, calendar ids, the
reminder listing cache: ids and hashes, never text) live in the rep's own schema (``team_graph_cache``), so
that whichever worker machine runs the next pass reads what the last one left.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql as psql

from followup_sync.team.pgstate import DatabaseUnavailable

TEAM_SCHEMA = "followup_team"
CACHE_TABLE = "team_graph_cache"

_TEAM_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {TEAM_SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {TEAM_SCHEMA}.passes (
        mailbox TEXT PRIMARY KEY,
        schema_name TEXT NOT NULL,
        last_started TIMESTAMPTZ,
        last_finished TIMESTAMPTZ,
        last_ok BOOLEAN,
        last_problem TEXT,
        passes INTEGER NOT NULL DEFAULT 0,
        requests INTEGER NOT NULL DEFAULT 0,
        seconds DOUBLE PRECISION NOT NULL DEFAULT 0,
        stats TEXT NOT NULL DEFAULT '{{}}'
    )""",
    f"""CREATE TABLE IF NOT EXISTS {TEAM_SCHEMA}.graph_usage (
        scope TEXT NOT NULL,
        bucket BIGINT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (scope, bucket)
    )""",
)


def ensure_team_schema(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(727274)")
        for ddl in _TEAM_DDL:
            conn.execute(ddl)


@dataclass(frozen=True)
class PassRow:
    mailbox: str
    last_started: datetime | None
    last_finished: datetime | None
    last_ok: bool | None
    last_problem: str | None
    passes: int
    requests: int
    seconds: float
    stats: dict[str, Any]


def pass_started(conn: psycopg.Connection[Any], mailbox: str, schema: str) -> None:
    conn.execute(
        f"""INSERT INTO {TEAM_SCHEMA}.passes (mailbox, schema_name, last_started) VALUES (%s, %s, now())
            ON CONFLICT (mailbox) DO UPDATE SET last_started = now()""",  # noqa: S608
        (mailbox, schema),
    )


def pass_finished(
    conn: psycopg.Connection[Any], mailbox: str, *, ok: bool, problem: str | None, requests: int, seconds: float,
    stats: dict[str, Any],
) -> None:  # fmt: skip
    conn.execute(
        f"""UPDATE {TEAM_SCHEMA}.passes SET last_finished = now(), last_ok = %s, last_problem = %s,
               passes = passes + 1, requests = requests + %s, seconds = seconds + %s, stats = %s
            WHERE mailbox = %s""",  # noqa: S608
        (ok, problem, requests, seconds, json.dumps(stats), mailbox),
    )


def passes(conn: psycopg.Connection[Any]) -> dict[str, PassRow]:
    rows = conn.execute(
        f"""SELECT mailbox, last_started, last_finished, last_ok, last_problem, passes, requests, seconds, stats
            FROM {TEAM_SCHEMA}.passes ORDER BY mailbox"""  # noqa: S608
    ).fetchall()
    return {r[0]: PassRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], float(r[7]), json.loads(r[8])) for r in rows}


class PgCacheStore:
    """A Graph backend's JSON document in the rep's schema (``graphcore.CacheStore``)."""

    def __init__(self, conn: psycopg.Connection[Any], schema: str, name: str) -> None:
        self.conn = conn
        self.schema = schema
        self.name = name
        self._table = psql.SQL("{}.{}").format(psql.Identifier(schema), psql.Identifier(CACHE_TABLE))

    def __str__(self) -> str:
        return f"postgresql:{self.schema}/{self.name}"

    def ensure(self) -> None:
        self.conn.execute(
            psql.SQL("CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY, value TEXT NOT NULL)").format(
                self._table
            )
        )

    def read(self) -> str | None:
        with unavailable():
            row = self.conn.execute(
                psql.SQL("SELECT value FROM {} WHERE name = %s").format(self._table), (self.name,)
            ).fetchone()
        return None if row is None else str(row[0])

    def write(self, text: str) -> None:
        upsert = (
            "INSERT INTO {} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        )
        with unavailable():
            self.conn.execute(psql.SQL(upsert).format(self._table), (self.name, text))


@contextlib.contextmanager
def unavailable() -> Iterator[None]:
    """A dropped database connection as the transient error the engine retries."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            str(exc).strip().splitlines()[0] if str(exc).strip() else "connection lost"
        ) from exc
