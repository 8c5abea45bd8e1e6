"""Passes as jobs of Procrastinate, a job queue kept in the same PostgreSQL (docs/team.md says why this engine).

Three tasks, all in the queue ``[team] queue``:

- ``pass``: one rep's pass (``runner.run_pass``), deferred with ``lock = "mailbox:<address>"``: Procrastinate
  runs at most one job per lock at a time, across every worker (a unique index on the lock of running jobs),
  so two passes of one mailbox never overlap. A transient failure (network, throttling, the database gone for a
  moment) is retried with exponential backoff by :class:`PassRetry`; anything else fails the job and the
  mailbox waits for its next period.
- ``schedule``: a periodic task (Procrastinate's periodic deferrer; the database deduplicates the ticks of every
  worker) that defers a pass for each configured mailbox whose last pass started ``interval_minutes`` ago or
  more and that has no pass waiting or running.
- ``retry_stalled``: a periodic task that gives back to the queue the jobs of workers that stopped sending
  heartbeats (killed, machine lost): Procrastinate's documented recipe. The killed pass is simply run again; the
  pass is idempotent (reminders are found by key, creates carry a transactionId, the state is written in
  transactions), so nothing is lost and nothing is written twice.

Workers are ``followup-sync-team worker`` processes on any machine that reaches the database: adding one is
starting one. Each runs one pass at a time (a pass is one mailbox's sequential conversation with Graph).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import procrastinate
from procrastinate import App, PsycopgConnector, RetryDecision
from procrastinate.jobs import Job

from followup_sync.errors import AlreadyRunning, Throttled, TransientError
from followup_sync.team import store
from followup_sync.team.config import TeamConfig
from followup_sync.team.runner import Services, run_pass

log = logging.getLogger(__name__)

PASS_TASK = "followup_sync.team.pass"  # noqa: S105 - a task name
MAX_ATTEMPTS = 6
BASE_WAIT = 15.0  # seconds before the first retry; doubled each time, capped at the pass interval
THROTTLED_WAIT = 120.0  # at least this long after a pass stopped as throttled
SCHEDULE_CRON = "* * * * * */20"  # every 20 seconds (a sixth field is seconds)
STALLED_CRON = "* * * * * */15"


def lock_of(mailbox: str) -> str:
    return f"mailbox:{mailbox.lower()}"


class PassRetry(procrastinate.BaseRetryStrategy):
    """Retry transient failures with exponential backoff; not configuration or permission problems."""

    def __init__(self, *, interval_seconds: float, base: float = BASE_WAIT, attempts: int = MAX_ATTEMPTS) -> None:
        self.interval = interval_seconds
        self.base = base
        self.attempts = attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= self.attempts:
            return None
        if not isinstance(exception, TransientError | AlreadyRunning):
            return None
        wait = min(self.base * 2**job.attempts, max(self.base, self.interval))
        if isinstance(exception, Throttled):
            wait = max(wait, THROTTLED_WAIT)
        return RetryDecision(retry_in={"seconds": int(wait)})


def build_app(
    team: TeamConfig,
    dsn: str,
    services: Callable[[], Services],
    *,
    mailboxes: Callable[[], list[str]],
    schedule_cron: str = SCHEDULE_CRON,
    stalled_cron: str = STALLED_CRON,
    stalled_after: float = 30.0,
) -> App:
    """The Procrastinate app of a team deployment; ``services`` gives the worker's shared services (started
    on first use), ``mailboxes`` the current list (config list, or the group's members)."""
    connector = PsycopgConnector(conninfo=dsn or None, kwargs={"options": f"-c search_path={store.TEAM_SCHEMA}"})
    app = App(connector=connector)
    queue = team.queue
    interval = team.interval_minutes * 60

    @app.task(name=PASS_TASK, queue=queue, retry=PassRetry(interval_seconds=interval), pass_context=True)
    def pass_(context: Any, mailbox: str) -> dict[str, Any]:
        outcome = run_pass(services(), mailbox)
        stats = outcome.result.stats if outcome.result is not None else None
        return {
            "mailbox": mailbox,
            "ok": outcome.ok,
            "created": stats.created if stats else 0,
            "deleted": stats.deleted if stats else 0,
            "requests": outcome.requests,
            "seconds": round(outcome.seconds, 3),
        }

    @app.periodic(cron=schedule_cron, periodic_id="schedule")
    @app.task(name="followup_sync.team.schedule", queue=queue, queueing_lock="followup-sync-schedule",
              lock="followup-sync-schedule", pass_context=True)  # fmt: skip
    async def schedule(context: Any, timestamp: int) -> int:
        return await defer_due(app, mailboxes(), interval_seconds=interval)

    @app.periodic(cron=stalled_cron, periodic_id="retry-stalled")
    @app.task(name="followup_sync.team.retry_stalled", queue=queue, queueing_lock="followup-sync-stalled",
              pass_context=True)  # fmt: skip
    async def retry_stalled(context: Any, timestamp: int) -> int:
        stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after))
        for job in stalled:
            log.warning("Giving back job %s (%s) of a worker that stopped", job.id, job.lock or job.task_name)
            await app.job_manager.retry_job(job)
        return len(stalled) + await retry_orphans(app, older_than=max(60.0, 2 * stalled_after))

    app.pass_task = pass_  # type: ignore[attr-defined]
    return app


async def retry_orphans(app: App, *, older_than: float) -> int:
    """Give back pass jobs left "doing" by a live worker that lost track of them (its database went away while
    it was recording the end of the pass): no session holds the mailbox's pass lock, and the mailbox's last
    pass started over ``older_than`` seconds ago. Heartbeats cannot see these: the worker is alive."""
    from followup_sync.team.pgstate import schema_for
    from followup_sync.team.runner import lock_key

    async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
        cur = await conn.execute(
            f"""SELECT j.id, j.lock FROM procrastinate_jobs j
                LEFT JOIN {store.TEAM_SCHEMA}.passes p ON 'mailbox:' || p.mailbox = j.lock
                WHERE j.task_name = %s AND j.status = 'doing'
                  AND (p.last_started IS NULL OR p.last_started < now() - make_interval(secs => %s))""",  # noqa: S608
            (PASS_TASK, older_than),
        )
        candidates = await cur.fetchall()
        cur = await conn.execute(
            "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
        )
        held = {(int(r[0]), int(r[1])) for r in await cur.fetchall()}
    count = 0
    for job_id, lock in candidates:
        if lock and lock.startswith("mailbox:") and lock_key(schema_for(lock[len("mailbox:") :])) not in held:
            log.warning("Giving back job %s (%s): no worker runs its pass", job_id, lock)
            await app.job_manager.retry_job_by_id_async(job_id=job_id, retry_at=datetime.now(UTC))
            count += 1
    return count


async def defer_due(app: App, mailboxes: list[str], *, interval_seconds: float, force: bool = False) -> int:
    """Defer a pass for every mailbox that is due (``force``: every mailbox) and has none waiting or running."""
    async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
        cur = await conn.execute(
            "SELECT lock FROM procrastinate_jobs WHERE task_name = %s AND status IN ('todo', 'doing')",
            (PASS_TASK,),
        )
        busy = {r[0] for r in await cur.fetchall()}
        cur = await conn.execute(
            f"""SELECT mailbox FROM {store.TEAM_SCHEMA}.passes
                WHERE last_started > now() - make_interval(secs => %s)""",  # noqa: S608
            (interval_seconds,),
        )
        recent = {r[0] for r in await cur.fetchall()}
    task = app.tasks[PASS_TASK]
    deferred = 0
    for mailbox in mailboxes:
        box = mailbox.lower()
        if lock_of(box) in busy or (box in recent and not force):
            continue
        await task.configure(lock=lock_of(box)).defer_async(mailbox=box)
        deferred += 1
    if deferred:
        log.info("Deferred %d pass(es)", deferred)
    return deferred


def every(seconds: int) -> str:
    """A cron line for every ``seconds`` (1 to 59) seconds; Procrastinate's sixth field is the seconds."""
    return f"* * * * * */{max(1, min(59, int(seconds)))}"


def run_worker(
    team: TeamConfig,
    dsn: str,
    services: Callable[[], Services],
    *,
    concurrency: int = 1,
    heartbeat: float = 10.0,
    stalled_after: float = 30.0,
    schedule_every: int = 20,
    stalled_every: int = 15,
    name: str | None = None,
) -> None:
    """Run a worker until SIGTERM/SIGINT (the pass in progress finishes first; a second signal stops at once)."""
    from followup_sync.team import directory

    ensure_schema(dsn)
    app = build_app(team, dsn, services, mailboxes=lambda: directory.mailboxes(team, services()),
                    schedule_cron=every(schedule_every), stalled_cron=every(stalled_every),
                    stalled_after=stalled_after)  # fmt: skip
    services()  # sign in now: a wrong certificate stops the worker at start, not at its first pass
    with app.open():
        app.run_worker(queues=[team.queue], concurrency=concurrency, update_heartbeat_interval=heartbeat,
                       stalled_worker_timeout=stalled_after, name=name)  # fmt: skip


def ensure_schema(dsn: str) -> bool:
    """Create the team's tables and Procrastinate's (in schema ``followup_team``) if missing; True if
    Procrastinate's schema was applied now. Several workers may start at once: an advisory lock orders them."""
    from procrastinate.schema import SchemaManager

    from followup_sync.team import pgstate

    with pgstate.connect(dsn) as conn:
        store.ensure_team_schema(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(727275)")
            row = conn.execute("SELECT to_regclass(%s)", (f"{store.TEAM_SCHEMA}.procrastinate_jobs",)).fetchone()
            if row is not None and row[0] is not None:
                return False
            conn.execute(f"SET LOCAL search_path TO {store.TEAM_SCHEMA}")
            conn.execute(SchemaManager.get_schema())
    return True
