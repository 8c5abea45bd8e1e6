"""Microsoft Graph's limits, counted once for every worker on every machine, in PostgreSQL.

Outlook limits each app per mailbox: 10,000 requests in any 10 minutes and 4 requests at once; Graph limits
each app as a whole (docs/team.md cites the pages and their numbers). A worker cannot see what the others
send, so each HTTP attempt to a mailbox passes a gate (:meth:`SharedLimits.gate`), which:

- counts the request (a ``$batch`` counts each of its items: "requests in a batch are evaluated individually")
  in a sliding window per mailbox and one for the whole app in ``followup_team.graph_usage``: rows of
  (scope, time bucket, count) updated under an advisory lock, with the database's clock, so that workers with
  skewed clocks agree. The window is read conservatively (a request is counted for one bucket longer than it
  must be), so the real window never holds more than the limit;
- holds one of the mailbox's concurrency slots while the request runs (a ``$batch`` without ``dependsOn`` holds
  up to 4, as Outlook runs 4 of its items at once): session advisory locks, which PostgreSQL releases by
  itself when a worker dies, so a killed worker never leaks a slot.

When a window is full, the request waits for room if that fits in what is left of the pass's wait budget
(``app.max_retry_wait_seconds``, the same budget Retry-After draws on); otherwise it is not sent and the pass
stops as throttled (``credentials.RetryBudgetSpent``), the job is retried after the window has room, and the
worker moves on to other mailboxes. So one busy mailbox slows only itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg

from followup_sync.credentials import RetryBudgetSpent
from followup_sync.team.config import Limits
from followup_sync.team.pgstate import DatabaseUnavailable
from followup_sync.team.store import TEAM_SCHEMA

log = logging.getLogger(__name__)

BUCKETS = 10  # a window is read as BUCKETS + 1 buckets of window / BUCKETS seconds
SLOT_POLL = 0.05  # seconds between tries for a concurrency slot
PRUNE_EVERY = 500  # requests between deletions of old buckets


def _key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)


def cost(method: str, url: str, kwargs: dict[str, Any]) -> tuple[int, int]:
    """(requests counted, concurrency slots held) of one HTTP request."""
    if url.rstrip("/").endswith("/$batch") and method.lower() == "post":
        items = (kwargs.get("data") or {}).get("requests") or []
        n = max(1, len(items))
        sequential = n > 1 and all(i.get("dependsOn") for i in items[1:])
        return n, 1 if sequential else min(4, n)
    return 1, 1


class SharedLimits:
    """One per worker process: a connection of its own for the counters and the slots."""

    def __init__(self, dsn: str, limits: Limits, *, app_scope: str) -> None:
        self.dsn = dsn
        self.limits = limits
        self.app_scope = f"app:{app_scope}"
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()
        self._count = 0
        self._held: set[tuple[int, int]] = set()  # slots this process holds (its session's advisory locks)
        self.waited = 0.0  # seconds this process waited for room in a window
        self.refused = 0  # requests not sent because the wait would overdraw a pass's budget

    def _db(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10,
                                             application_name="followup-sync-team limits")  # fmt: skip
            except psycopg.OperationalError as exc:
                raise DatabaseUnavailable(str(exc).strip().splitlines()[0]) from exc
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._held.clear()  # the session, and with it every slot, is gone

    def gate(self, mailbox: str) -> MailboxGate:
        return MailboxGate(self, f"mailbox:{mailbox.lower()}")

    # ---- windows ---------------------------------------------------------------------------------------------
    def take(self, scope: str, n: int) -> float:
        """Count ``n`` requests to ``scope`` and the app if both windows have room (0.0); else count nothing and
        give the seconds until they may have."""
        lim = self.limits
        windows = ((self.app_scope, lim.tenant_requests, lim.tenant_window_seconds),
                   (scope, lim.mailbox_requests, lim.mailbox_window_seconds))  # fmt: skip
        with self._lock, self._errors():
            conn = self._db()
            with conn.transaction():
                now = float(conn.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()[0])  # type: ignore[index]
                for name, _, _ in windows:  # always in this order: the app, then the mailbox
                    conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_key("graph-usage"), _key(name)))
                wait = 0.0
                plan = []
                for name, limit, seconds in windows:
                    width = seconds / BUCKETS
                    bucket = math.floor(now / width)
                    rows = conn.execute(
                        f"SELECT bucket, n FROM {TEAM_SCHEMA}.graph_usage WHERE scope = %s AND bucket >= %s"  # noqa: S608
                        " ORDER BY bucket",
                        (f"{name}:{width:g}", bucket - BUCKETS),
                    ).fetchall()
                    used = sum(int(r[1]) for r in rows)
                    if used + n > limit:
                        # room comes back as the oldest buckets leave the window (BUCKETS + 1 of them are read)
                        need, freed, until = used + n - limit, 0, 0.0
                        for b, count in rows:
                            freed += int(count)
                            until = (int(b) + BUCKETS + 1) * width - now
                            if freed >= need:
                                break
                        wait = max(wait, until if freed >= need else seconds)
                    plan.append((f"{name}:{width:g}", bucket))
                if wait > 0:
                    return wait
                for scope_key, bucket in plan:
                    conn.execute(
                        f"""INSERT INTO {TEAM_SCHEMA}.graph_usage (scope, bucket, n) VALUES (%s, %s, %s)
                            ON CONFLICT (scope, bucket) DO UPDATE SET n = graph_usage.n + excluded.n""",  # noqa: S608
                        (scope_key, bucket, n),
                    )
                self._count += 1
                if self._count % PRUNE_EVERY == 0:
                    horizon = now - 2 * max(lim.tenant_window_seconds, lim.mailbox_window_seconds)
                    prune = f"DELETE FROM {TEAM_SCHEMA}.graph_usage WHERE bucket * %s < %s AND scope LIKE %s"  # noqa: S608
                    conn.execute(prune, (lim.tenant_window_seconds / BUCKETS, horizon, "app:%"))
                    conn.execute(prune, (lim.mailbox_window_seconds / BUCKETS, horizon, "mailbox:%"))
                return 0.0

    # ---- slots -----------------------------------------------------------------------------------------------
    def try_slots(self, scope: str, want: int, limit: int) -> list[tuple[int, int]]:
        """Take up to ``want`` of ``scope``'s ``limit`` slots (session advisory locks); the keys taken."""
        taken: list[tuple[int, int]] = []
        with self._lock, self._errors():
            conn = self._db()
            for slot in range(limit):
                if len(taken) == want:
                    break
                key = (_key(f"slot:{scope}"), slot)
                # advisory locks are re-entrant within a session: a slot this process holds is not free
                if key in self._held:
                    continue
                if conn.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()[0]:  # type: ignore[index]
                    taken.append(key)
                    self._held.add(key)
        return taken

    def release(self, keys: list[tuple[int, int]]) -> None:
        if not keys:
            return
        with self._lock, contextlib.suppress(psycopg.Error, DatabaseUnavailable):
            self._held.difference_update(keys)
            conn = self._db()
            for key in keys:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", key)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.OperationalError as exc:
            self.close()
            raise DatabaseUnavailable(str(exc).strip().splitlines()[0] if str(exc).strip() else "lost") from exc


class MailboxGate:
    """The gate of one mailbox (``appauth.Gate``): room in both windows, then a slot, around each attempt."""

    def __init__(self, shared: SharedLimits, scope: str) -> None:
        self.shared = shared
        self.scope = scope

    @contextlib.contextmanager
    def request(self, method: str, url: str, kwargs: dict[str, Any], con: Any) -> Iterator[None]:
        n, slots = cost(method, url, kwargs)
        lim = self.shared.limits
        while True:
            wait = self.shared.take(self.scope, n)
            if wait <= 0:
                break
            budget = float(getattr(con, "max_retry_wait", 0.0)) - float(getattr(con, "waited", 0.0))
            if wait > budget:
                self.shared.refused += 1
                log.info("Graph request limit reached for %s; %.0f s until there is room", self.scope, wait)
                raise RetryBudgetSpent(waited=float(getattr(con, "waited", 0.0)), status=429)
            log.debug("Waiting %.1f s for room in Graph's request window of %s", wait, self.scope)
            getattr(con, "sleep", time.sleep)(wait)
            con.waited = float(getattr(con, "waited", 0.0)) + wait
            self.shared.waited += wait
        want = min(slots, lim.mailbox_concurrency)
        held: list[tuple[int, int]] = []
        try:
            while True:
                held += self.shared.try_slots(self.scope, want - len(held), lim.mailbox_concurrency)
                if lim.tenant_concurrency is not None and len(held) == want:
                    app = self.shared.try_slots(self.shared.app_scope, 1, lim.tenant_concurrency)
                    if app:
                        held += app
                        break
                elif len(held) == want:
                    break
                time.sleep(SLOT_POLL)
            yield
        finally:
            self.shared.release(held)
