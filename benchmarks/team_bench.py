"""A sales team on one deployment, measured: many mailboxes in the fake tenant, real worker processes
(``followup-sync-team worker`` with the loopback seams of tests/team/worker_main.py), Procrastinate and the
reps' state in a PostgreSQL cluster this script starts itself (initdb/pg_ctl into a temp folder, so it can be
restarted without touching the machine's server).

    .venv/bin/python -m benchmarks.team_bench run --mailboxes 200 --workers 4
    .venv/bin/python -m benchmarks.team_bench trial --mailboxes 200 --workers 4 --kills 20 --restart
    .venv/bin/python -m benchmarks.team_bench throttle --mailboxes 200 --workers 4
    .venv/bin/python -m benchmarks.team_bench scaling --mailboxes 100 --workers 1,2,4

Every run checks each mailbox's reminders against what the single-rep pass (delegated token on /me, SQLite
state, the same rep config) writes into a copy of the same mailbox at the same ``now`` (the now of the team's
last good pass of that mailbox): ``missing`` and ``extra`` count differing (key, start, end, subject, body,
categories); a duplicate (two events with one key) is counted apart. Figures: wall time from the workers' start
until every mailbox's first pass succeeded, requests per mailbox (HTTP requests the fake served; a $batch's
items counted one by one), pass seconds per mailbox.

``trial``: while the first passes run, a worker that is inside a pass (its pass connection is visible in
pg_stat_activity) is killed with SIGKILL at random moments, ``--kills`` times, and restarted like a service
manager would; with ``--restart`` the PostgreSQL cluster is crashed and started again halfway (immediate
stop: no shutdown checkpoint). ``throttle``: one mailbox refuses every request with 429 (it is over Outlook's
limit); the others' figures are compared with a run without it.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import keyring
import psycopg

from followup_sync.team import config as team_config
from followup_sync.team import engine, pgstate, store
from tests.fakegraph import mailbox
from tests.fakegraph.tenant import FakeTenant, TenantServer
from tests.team.pg import PrivateCluster, scratch_database
from tests.team.world import make_certificate, reference, reminders, team_toml, tenant_with

ROOT = Path(__file__).resolve().parents[1]


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The reference single-rep passes keep their (fake) token in memory, never in the OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@dataclass
class Run:
    mailboxes: list[str]
    workers: int
    wall: float = 0.0
    kills: int = 0
    kills_in_pass: int = 0
    worker_restarts: int = 0
    db_restarts: int = 0
    retried_jobs: int = 0
    missing: int = 0
    extra: int = 0
    duplicates: int = 0
    requests: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    reminders: int = 0
    idle_wall: float = 0.0
    hot: str = ""
    idle_requests: dict[str, int] = field(default_factory=dict)
    idle_seconds: dict[str, float] = field(default_factory=dict)


class Supervisor:
    """Worker processes, restarted when they exit (as systemd's Restart=always would)."""

    def __init__(self, n: int, config: Path, graph: str, dsn: str, logs: Path) -> None:
        self.config, self.graph, self.dsn, self.logs = config, graph, dsn, logs
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * n
        self.restarts = 0
        self.stopping = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        env = {**os.environ, pgstate.DSN_ENV: self.dsn, "PYTHONPATH": str(ROOT)}
        with (self.logs / f"worker{i}.log").open("ab") as log:
            argv = [
                sys.executable,
                "-m",
                "tests.team.worker_main",
                "--config",
                str(self.config),
                "--graph",
                self.graph,
                "--name",
                f"w{i}",
                "--schedule-every",
                "1",
                "--stalled-every",
                "2",
                "--heartbeat",
                "1",
                "--stalled-after",
                "4",
            ]
            return subprocess.Popen(argv, env=env, stdout=log, stderr=log, cwd=ROOT)

    def start(self) -> None:
        for i in range(len(self.procs)):
            self.procs[i] = self._spawn(i)
        self._thread.start()

    def _watch(self) -> None:
        while not self.stopping:
            with self._lock:
                for i, p in enumerate(self.procs):
                    if p is not None and p.poll() is not None and not self.stopping:
                        self.procs[i] = self._spawn(i)
                        self.restarts += 1
            time.sleep(0.2)

    def kill(self, pid: int) -> bool:
        with self._lock:
            for p in self.procs:
                if p is not None and p.pid == pid and p.poll() is None:
                    p.send_signal(signal.SIGKILL)
                    p.wait()
                    return True
        return False

    def pids(self) -> set[int]:
        with self._lock:
            return {p.pid for p in self.procs if p is not None and p.poll() is None}

    def stop(self) -> None:
        self.stopping = True
        with self._lock:
            for p in self.procs:
                if p is not None and p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in self.procs:
                if p is not None:
                    try:
                        p.wait(30)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()


def build_tenant(n: int, messages: int, now: datetime, cert_pem: bytes, latency: float) -> FakeTenant:
    tenant = tenant_with([f"rep{i:03d}@contoso.com" for i in range(n)], cert_pem)
    for i, box in enumerate(tenant.mailboxes.values()):
        mailbox.build(box, messages=messages, now=now, seed=1000 + i)
        box.latency = latency
    return tenant


def _rows(dsn: str) -> dict[str, store.PassRow]:
    for _ in range(100):  # the database may be restarting (the trial)
        try:
            with psycopg.connect(dsn, connect_timeout=3) as conn:
                return store.passes(conn)
        except psycopg.OperationalError:
            time.sleep(0.5)
    raise SystemExit("the database did not come back")


def done(dsn: str, boxes: list[str]) -> bool:
    rows = _rows(dsn)
    return all(b in rows and rows[b].last_ok and rows[b].last_finished for b in boxes)


def in_pass_pids(dsn: str) -> list[int]:
    try:
        conn = psycopg.connect(dsn, connect_timeout=3)
    except psycopg.OperationalError:
        return []
    with conn:
        rows = conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'followup-sync-team pass%'"
        ).fetchall()
    return [int(r[0].rsplit("pid=", 1)[1]) for r in rows if "pid=" in r[0]]


def last_good_now(dsn: str, address: str) -> datetime:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"SELECT started FROM {pgstate.schema_for(address)}.runs"
            " WHERE ok = 1 AND dry_run = 0 ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None, address
    return datetime.fromisoformat(row[0]).astimezone(UTC)


def run(
    args: argparse.Namespace,
    workers: int,
    *,
    kills: int = 0,
    restart: bool = False,
    hot: bool = False,
    check: bool = True,
    idle: bool = False,
    skip_first: bool = False,
) -> Run:
    tmp = Path(tempfile.mkdtemp(prefix="team-bench-"))
    now = datetime.now(UTC)
    cert, cert_pem = make_certificate(tmp)
    tenant = build_tenant(args.mailboxes, args.messages, now, cert_pem, args.latency)
    boxes = sorted(tenant.mailboxes)
    hot_box = boxes[0] if hot else None
    if hot_box:
        tenant.mailboxes[hot_box].faults.throttle = 1.0
        tenant.mailboxes[hot_box].faults.retry_after = "2"
    config = tmp / "team.toml"
    config.write_text(team_toml(boxes, cert))
    team = team_config.load(config)
    result = Run(boxes, workers)
    cluster = PrivateCluster()
    try:
        with scratch_database(cluster.dsn, prefix="team_bench") as dsn, TenantServer(tenant) as server:
            engine.ensure_schema(dsn)
            sup = Supervisor(workers, config, server.url, dsn, tmp)
            wanted = boxes[1:] if hot or skip_first else boxes
            started = time.monotonic()
            sup.start()
            rng = random.Random(args.seed)
            restarted = False
            try:
                while not done(dsn, wanted):
                    if time.monotonic() - started > args.timeout:
                        raise SystemExit(f"timed out; logs in {tmp}")
                    if result.kills < kills:
                        time.sleep(rng.uniform(0.2, 1.5))
                        victims = [p for p in in_pass_pids(dsn) if p in sup.pids()]
                        if victims and sup.kill(rng.choice(victims)):
                            result.kills += 1
                            result.kills_in_pass += 1
                    else:
                        time.sleep(0.5)
                    if restart and not restarted and result.kills >= kills // 2:
                        cluster.restart(crash=True)
                        restarted, result.db_restarts = True, 1
                result.wall = time.monotonic() - started
                first_round = tenant.requests_by_mailbox()
                first_rows = _rows(dsn)  # the first round's pass seconds, before an idle round adds to them
                if idle:
                    # a second round, as the scheduler starts it every interval: nothing new in the mailboxes
                    first = first_round
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        conn.execute(
                            f"UPDATE {store.TEAM_SCHEMA}.passes SET last_started = now() - interval '1 day'"
                        )
                    t1 = time.monotonic()
                    while not all(r.passes >= 2 for b, r in _rows(dsn).items() if b in wanted):
                        time.sleep(0.3)
                    result.idle_wall = time.monotonic() - t1
                    second = tenant.requests_by_mailbox()
                    result.idle_requests = {b: second[b] - first[b] for b in wanted}
                    after = _rows(dsn)
                    result.idle_seconds = {b: after[b].seconds - first_rows[b].seconds for b in wanted}
            finally:
                sup.stop()
            result.worker_restarts = sup.restarts
            with psycopg.connect(dsn) as conn:
                rows = store.passes(conn)
                retried = conn.execute(
                    f"""SELECT count(*) FROM {store.TEAM_SCHEMA}.procrastinate_events e
                        JOIN {store.TEAM_SCHEMA}.procrastinate_jobs j ON j.id = e.job_id
                        WHERE j.task_name = %s AND e.type = 'deferred_for_retry'""",
                    (engine.PASS_TASK,),
                ).fetchone()
            result.retried_jobs = int(retried[0]) if retried else 0
            if hot_box is not None:
                h = rows.get(hot_box)
                with psycopg.connect(dsn) as conn:
                    jobs = conn.execute(
                        f"SELECT status, attempts FROM {store.TEAM_SCHEMA}.procrastinate_jobs"
                        " WHERE task_name = %s AND lock = %s",
                        (engine.PASS_TASK, engine.lock_of(hot_box)),
                    ).fetchall()
                ended, spent = (h.passes, h.seconds) if h else (0, 0.0)
                problem = h.last_problem if h else None
                result.hot = f"{hot_box}: {ended} pass(es) ended, {spent:.1f} s in all, last problem: {problem}; "
                result.hot += f"its job (status, attempts): {jobs}"
            for b in wanted:
                result.requests[b] = first_round[b]
                result.seconds[b] = first_rows[b].seconds / max(1, first_rows[b].passes)  # the first round only
            if check:
                keyring.set_keyring(MemoryKeyring())
                for b in wanted:
                    try:
                        got = reminders(tenant.mailboxes[b])
                    except AssertionError:
                        result.duplicates += 1
                        continue
                    want = reference(
                        team.rep_config(b), tenant.mailboxes[b], last_good_now(dsn, b), tmp / "ref" / b
                    )
                    result.missing += len(set(want.items()) - set(got.items()))
                    result.extra += len(set(got.items()) - set(want.items()))
                    result.reminders += len(got)
    finally:
        cluster.close()
    return result


def report(title: str, r: Run) -> None:
    req = list(r.requests.values())
    sec = list(r.seconds.values())
    print(f"\n== {title}: {len(r.requests)} mailboxes, {r.workers} worker process(es) ==")
    print(
        f"wall time until every mailbox's first pass succeeded: {r.wall:.1f} s "
        f"({len(r.requests) / r.wall:.2f} mailboxes/s)"
    )
    print(
        f"requests per mailbox: median {statistics.median(req):.0f}, min {min(req)}, max {max(req)}, "
        f"total {sum(req)}"
    )
    print(
        f"pass seconds per mailbox (in the worker): median {statistics.median(sec):.2f}, "
        f"p90 {sorted(sec)[int(0.9 * (len(sec) - 1))]:.2f}, max {max(sec):.2f}"
    )
    print(
        f"reminders: {r.reminders} in all; versus the single-rep pass: missing {r.missing}, extra {r.extra}, "
        f"duplicate keys {r.duplicates}"
    )
    if r.idle_requests:
        idle = list(r.idle_requests.values())
        median = statistics.median(idle)
        secs = sorted(r.idle_seconds.values())
        p90 = secs[int(0.9 * (len(secs) - 1))]
        print(
            f"second (idle) round: {r.idle_wall:.1f} s; requests per mailbox: median {median:.0f}, "
            f"max {max(idle)}; pass seconds: median {statistics.median(secs):.2f}, p90 {p90:.2f}"
        )
    if r.hot:
        print(f"the throttled mailbox: {r.hot}")
    if r.kills or r.db_restarts:
        print(f"SIGKILLs of workers inside a pass: {r.kills_in_pass} of {r.kills}")
        print(f"worker processes restarted: {r.worker_restarts}")
        print(f"PostgreSQL crash-restarts: {r.db_restarts}")
        print(f"pass jobs put back in the queue (given back after a kill, or retried): {r.retried_jobs}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["run", "trial", "throttle", "scaling"])
    ap.add_argument("--mailboxes", type=int, default=200)
    ap.add_argument("--messages", type=int, default=150)
    ap.add_argument("--workers", default="4")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--restart", action="store_true")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds the fake holds each request")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    counts = [int(w) for w in str(args.workers).split(",")]
    print(f"machine: {os.cpu_count()} cores; messages per mailbox ~{args.messages}; fake latency {args.latency} s")
    if args.mode == "run":
        report("run", run(args, counts[0], idle=True))
    elif args.mode == "trial":
        report("trial", run(args, counts[0], kills=args.kills, restart=args.restart))
    elif args.mode == "throttle":
        base = run(args, counts[0], check=False, skip_first=True)
        hot = run(args, counts[0], hot=True, check=True)
        report("without a throttled mailbox", base)
        report("with one mailbox refusing every request (429)", hot)
    else:
        rows = []
        for w in counts:
            r = run(args, w, check=False)
            report(f"scaling, {w} worker(s)", r)
            rows.append((w, r.wall, len(r.requests) / r.wall))
        print("\nworkers | wall s | mailboxes/s | speed-up")
        for w, wall, rate in rows:
            print(f"{w:7d} | {wall:6.1f} | {rate:11.2f} | {rows[0][1] / wall:5.2f}x")


if __name__ == "__main__":
    main()
