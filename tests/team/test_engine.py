"""The team deployment end to end: real worker processes (Procrastinate on a real PostgreSQL) schedule and
run every mailbox's pass against the fake tenant; a worker killed in the middle of a pass loses and
duplicates nothing. (benchmarks/team_bench.py runs the same at 200 mailboxes with 20 kills and a database
restart.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from followup_sync.team import config as team_config
from followup_sync.team import engine, pgstate, store
from tests.fakegraph import mailbox
from tests.fakegraph.tenant import FakeTenant, TenantServer
from tests.team.pg import scratch_database
from tests.team.world import make_certificate, reference, reminders, team_toml, tenant_with

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


class Workers:
    def __init__(self, config: Path, graph: str, dsn: str, logs: Path) -> None:
        self.config, self.graph, self.dsn, self.logs = config, graph, dsn, logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        env = {**os.environ, pgstate.DSN_ENV: self.dsn, "PYTHONPATH": str(ROOT)}
        with (self.logs / f"worker{n}.log").open("ab") as log:
            argv = [sys.executable, "-m", "tests.team.worker_main", "--config", str(self.config),
                    "--graph", self.graph, "--name", f"w{n}"]  # fmt: skip
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log, cwd=ROOT)
        self.procs.append(proc)
        return proc

    def in_pass(self) -> subprocess.Popen[bytes] | None:
        """A live worker that is inside a pass now (its pass connection in pg_stat_activity), if any."""
        with psycopg.connect(self.dsn) as conn:
            names = conn.execute(
                "SELECT application_name FROM pg_stat_activity"
                " WHERE application_name LIKE 'followup-sync-team pass%'"
            ).fetchall()
        pids = {int(n[0].rsplit("pid=", 1)[1]) for n in names if "pid=" in n[0]}
        return next((p for p in self.procs if p.pid in pids and p.poll() is None), None)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def passes(dsn: str) -> dict[str, store.PassRow]:
    with psycopg.connect(dsn) as conn:
        return store.passes(conn)


def last_good_now(dsn: str, address: str) -> datetime:
    """The now of the mailbox's last good pass: what its reminders must equal the single-rep pass's at."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"SELECT started FROM {pgstate.schema_for(address)}.runs WHERE ok = 1 ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return datetime.fromisoformat(row[0]).astimezone(UTC)


def wait_until(what: Any, timeout: float, logs: Path) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if what():
            return
        time.sleep(0.3)
    tails = "\n".join(p.read_text()[-3000:] for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"timed out; worker logs:\n{tails}")


@pytest.fixture
def dsn(pg_server: str) -> Iterator[str]:
    with scratch_database(pg_server, prefix="followup_engine") as d:
        yield d


def test_workers_run_every_mailbox_once_and_a_killed_worker_loses_and_duplicates_nothing(
    dsn: str, tmp_path: Path, memory_keyring: Any
) -> None:
    now = datetime.now(UTC)
    reps = [f"rep{i}@contoso.com" for i in range(6)]
    cert_path, cert_pem = make_certificate(tmp_path)
    tenant: FakeTenant = tenant_with(reps, cert_pem)
    for i, a in enumerate(reps):
        mailbox.build(tenant.mailboxes[a], messages=80, now=now, seed=200 + i)
        tenant.mailboxes[a].latency = 0.03  # a pass takes a second or two: long enough to be killed inside
    config = tmp_path / "team.toml"
    config.write_text(team_toml(reps, cert_path))
    engine.ensure_schema(dsn)  # what `followup-sync-team migrate` does
    with TenantServer(tenant) as server:
        workers = Workers(config, server.url, dsn, tmp_path)
        try:
            workers.start()
            workers.start()
            # kill a worker in the middle of one of its passes (its pass connection names its pid: the worker
            # that is in a pass, not merely the first one, which a loaded machine may not have given a job yet)
            wait_until(lambda: workers.in_pass(), 60, tmp_path)
            time.sleep(0.5)
            victim = workers.in_pass() or workers.procs[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            workers.start()
            wait_until(lambda: len(passes(dsn)) == len(reps)
                       and all(r.last_ok for r in passes(dsn).values()), 120, tmp_path)  # fmt: skip
        finally:
            workers.stop()
        team = team_config.load(config)
        for a in reps:
            got = reminders(tenant.mailboxes[a])  # asserts one event per key: no duplicate
            want = reference(team.rep_config(a), tenant.mailboxes[a], last_good_now(dsn, a), tmp_path / "ref" / a)
            assert got == want, a
        with psycopg.connect(dsn) as conn:
            statuses = dict(
                conn.execute(
                    f"SELECT status, count(*) FROM {store.TEAM_SCHEMA}.procrastinate_jobs"
                    " WHERE task_name = 'followup_sync.team.pass' GROUP BY status"
                ).fetchall()
            )
            # a job given back after its worker died goes doing -> todo: Procrastinate records the transition
            retried = conn.execute(
                f"""SELECT count(*) FROM {store.TEAM_SCHEMA}.procrastinate_events e
                    JOIN {store.TEAM_SCHEMA}.procrastinate_jobs j ON j.id = e.job_id
                    WHERE j.task_name = 'followup_sync.team.pass' AND e.type = 'deferred_for_retry'"""
            ).fetchone()
        assert statuses.get("succeeded", 0) == len(reps)
        assert not statuses.get("doing") and not statuses.get("todo")
        assert retried is not None and retried[0] >= 1, "the killed pass was not given back and run again"
