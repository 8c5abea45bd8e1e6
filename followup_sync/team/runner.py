"""One rep's pass in a team deployment: the rep's config, store and Microsoft 365 backends, then the core pass.

``sync.run_once`` is the very pass the single-rep daemon runs; here it gets the rep's PostgreSQL store, and Graph
backends bound to ``users/{address}`` on the app's token, with their small caches in the rep's schema. The pass
holds the mailbox's advisory lock for its whole run (the job engine already runs one job per mailbox at a time;
this also covers a manual ``followup-sync-team sync`` and a job retried while its killed worker's connection is
still being closed), and records its outcome in ``followup_team.passes``. After a real pass it learns from the
answers the rep left in the calendar (``control.learning``), as the single-rep daemon does after its passes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from followup_sync import sync
from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.control import learning
from followup_sync.errors import AlreadyRunning, CredentialsError, Error
from followup_sync.team import pgstate, store
from followup_sync.team.appauth import AppIdentity, TokenSource, mailbox_account, resource
from followup_sync.team.config import TeamConfig
from followup_sync.team.directory import explain
from followup_sync.team.limits import SharedLimits
from followup_sync.team.pgstate import schema_for

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What every pass of one worker process shares: the config, the database, the app's token, the limiter."""

    team: TeamConfig
    dsn: str
    app: TokenSource
    limits: SharedLimits | None = None
    graph_url: str | None = None  # the tests' and benchmarks' fake Graph
    backoff: float = 1.0
    login_http_client: Any = None
    _closed: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, team: TeamConfig, *, graph_url: str | None = None, login_http_client: Any = None,
              backoff: float = 1.0) -> Services:  # fmt: skip
        dsn = pgstate.conninfo(team.database_file)
        app = AppIdentity(team.app, http_client=login_http_client)
        limits = SharedLimits(dsn, team.limits, app_scope=team.app.client_id)
        with pgstate.connect(dsn) as conn:
            store.ensure_team_schema(conn)
        return cls(team, dsn, app, limits, graph_url, backoff, login_http_client)

    def close(self) -> None:
        if self.limits is not None:
            self.limits.close()


@dataclass
class Outcome:
    mailbox: str
    result: sync.PassResult | None
    requests: int
    seconds: float
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.result is not None and not self.result.problems


def lock_key(schema: str) -> tuple[int, int]:
    """The advisory lock (two int4 keys) a rep's pass holds for its whole run."""
    return (pgstate._lock_key("pass") >> 32) & 0x7FFFFFFF, pgstate._lock_key(schema) & 0x7FFFFFFF


def run_pass(services: Services, mailbox: str, *, dry_run: bool = False, now: datetime | None = None) -> Outcome:
    """The rep's pass; raises the core's errors (the engine decides on retries), records the outcome."""
    mailbox = mailbox.lower()
    config = services.team.rep_config(mailbox)
    schema = schema_for(mailbox)
    # the worker's pid in the connection's name: an operator (and the kill trial) sees who runs which pass
    conn = pgstate.connect(services.dsn, application=f"followup-sync-team pass {schema} pid={os.getpid()}")
    started = time.monotonic()
    account: Any = None
    with contextlib.ExitStack() as stack:
        stack.callback(conn.close)
        with store.unavailable():
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", lock_key(schema)).fetchone()
        if not (got and got[0]):
            raise AlreadyRunning(lock_path=f"postgresql:{schema} ({mailbox})", holder="a pass on another worker")
        with store.unavailable():
            pgstate.ensure_schema(conn, schema)
            if not dry_run:
                store.pass_started(conn, mailbox, schema)
        state = pgstate.state_on(conn, mailbox, snapshot=dry_run)
        delta = store.PgCacheStore(conn, schema, "graph-delta")
        calendar_cache = store.PgCacheStore(conn, schema, "graph-calendar")
        with store.unavailable():
            delta.ensure()
        gate = services.limits.gate(mailbox) if services.limits is not None else None
        account = mailbox_account(services.app, services.team.app, gate=gate, graph_url=services.graph_url,
                                  backoff=services.backoff)  # fmt: skip
        where = resource(mailbox)
        rules = config.rules
        mail = GraphMailSource(account, state_file=delta, lookback=timedelta(days=rules.lookback_days),
                               use_delta=services.team.app.cloud != "china", resource=where)  # fmt: skip
        meetings = GraphMeetingSource(account, cache_file=calendar_cache, resource=where)
        calendar = config.reminders.options.get("calendar")
        sink = GraphReminderSink(
            account, calendar=calendar if isinstance(calendar, str) else None,
            reminder_minutes=config.schedule.reminder_minutes, cache_file=calendar_cache,
            view_days=(rules.lookback_days, rules.meeting_lookahead_days), resource=where,
        )  # fmt: skip
        stack.callback(mail.close)
        stack.callback(meetings.close)
        stack.callback(sink.close)  # saves the listing cache (before the connection closes: LIFO)
        problem: str | None = None
        result: sync.PassResult | None = None
        try:
            result = sync.run_once(config, state=state, mail=mail, meetings=meetings, sink=sink, dry_run=dry_run,
                                   now=now)  # fmt: skip
            if not dry_run:
                # as the single-rep daemon does after a real pass: learn from the answers the pass read in the
                # rep's calendar (a "Not a promise" category, dismissals in a row), in the rep's own store
                for line in learning.learn(state, now=result.now):
                    log.info("%s: learnt %s", mailbox, line)
        except Error as exc:
            denied = explain(exc)
            if denied is None:
                problem = str(exc)
                raise
            # a 403 is the admin's scope or the app's permissions, not a rep's login to renew: not retried
            problem = f"{mailbox}: {denied}"
            raise CredentialsError(problem) from exc
        finally:
            requests = int(getattr(account.con, "request_count", 0))
            seconds = time.monotonic() - started
            if not dry_run:
                stats = dict(vars(result.stats)) if result is not None else {}
                stats.pop("problems", None)
                first = problem or (result.problems[0] if result is not None and result.problems else None)
                with contextlib.suppress(psycopg.Error, Error):
                    sink.close()  # saves the cache before the record says the pass ended
                    store.pass_finished(conn, mailbox, ok=first is None, problem=first, requests=requests,
                                        seconds=seconds, stats=stats)  # fmt: skip
        return Outcome(mailbox, result, requests, seconds, problem)
