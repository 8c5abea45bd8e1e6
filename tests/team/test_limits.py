"""Graph's limits counted in PostgreSQL for every worker: per mailbox and for the whole app, windows and
concurrency slots; throttling one mailbox slows only that mailbox."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from followup_sync.credentials import RetryBudgetSpent
from followup_sync.errors import Throttled
from followup_sync.team import pgstate, store
from followup_sync.team.config import Limits
from followup_sync.team.limits import SharedLimits, cost
from followup_sync.team.runner import Services, run_pass
from tests.fakegraph import mailbox
from tests.fakegraph.tenant import TenantServer
from tests.team.world import login_session, make_certificate, make_team, reminders, tenant_with

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)


@pytest.fixture
def dsn(pg_dsn: str) -> str:
    with pgstate.connect(pg_dsn) as conn:
        store.ensure_team_schema(conn)
    return pg_dsn


def shared(dsn: str, **limits: Any) -> SharedLimits:
    return SharedLimits(dsn, Limits(**limits), app_scope=f"app-{secrets.token_hex(4)}")


class Con:
    """What the gate reads of a connection: the pass's wait budget."""

    def __init__(self, budget: float) -> None:
        self.max_retry_wait, self.waited = budget, 0.0
        self.slept: list[float] = []

    def sleep(self, s: float) -> None:
        self.slept.append(s)


def test_a_batch_counts_each_item_and_holds_up_to_four_slots() -> None:
    items = [{"id": str(i), "method": "POST", "url": "/users/a/events"} for i in range(20)]
    assert cost("POST", "https://g/v1.0/$batch", {"data": {"requests": items}}) == (20, 4)
    seq = [items[0], *({**it, "dependsOn": [str(i)]} for i, it in enumerate(items[1:]))]
    assert cost("POST", "https://g/v1.0/$batch", {"data": {"requests": seq}}) == (20, 1)
    assert cost("GET", "https://g/v1.0/users/a/calendar/calendarView", {}) == (1, 1)


def test_the_window_is_shared_by_every_worker_and_each_mailbox_has_its_own(dsn: str) -> None:
    a = shared(dsn, mailbox_requests=10)
    b = SharedLimits(dsn, a.limits, app_scope=a.app_scope[4:])  # another worker process of the same app
    box = f"mailbox:{secrets.token_hex(4)}@contoso.com"
    for i in range(10):
        assert (a if i % 2 else b).take(box, 1) == 0.0
    assert a.take(box, 1) > 0 and b.take(box, 1) > 0  # full for both
    assert 0 < a.take(box, 1) <= 600 / 10 * 11
    assert a.take(f"mailbox:{secrets.token_hex(4)}@contoso.com", 1) == 0.0  # another mailbox is not slowed
    a.close()
    b.close()


def test_the_apps_window_covers_every_mailbox(dsn: str) -> None:
    lim = shared(dsn, tenant_requests=12, tenant_window_seconds=10)
    boxes = [f"mailbox:{secrets.token_hex(4)}@contoso.com" for _ in range(4)]
    assert all(lim.take(b, 3) == 0.0 for b in boxes)
    wait = lim.take(boxes[0], 1)
    assert 0 < wait <= 11
    lim.close()


def test_concurrency_slots_are_shared_and_a_dead_worker_releases_its_own(dsn: str) -> None:
    a, b = shared(dsn), shared(dsn)
    box = f"mailbox:{secrets.token_hex(4)}@contoso.com"
    held = a.try_slots(box, 3, 4)
    assert len(held) == 3
    assert len(b.try_slots(box, 4, 4)) == 1
    assert b.try_slots(box, 1, 4) == []  # b's own slot is not free to it either
    a.close()  # a worker killed: PostgreSQL ends its session and releases its advisory locks
    got: list[tuple[int, int]] = []
    for _ in range(100):  # the server ends the session a moment after the client is gone
        got += b.try_slots(box, 3 - len(got), 4)
        if len(got) == 3:
            break
        time.sleep(0.05)
    assert len(got) == 3
    b.close()


def test_a_full_window_stops_the_pass_within_its_budget(dsn: str) -> None:
    lim = shared(dsn, mailbox_requests=2)
    gate = lim.gate(f"{secrets.token_hex(4)}@contoso.com")
    con = Con(budget=5.0)
    for _ in range(2):
        with gate.request("GET", "https://g/v1.0/users/x/mailFolders", {}, con):
            pass
    with pytest.raises(RetryBudgetSpent), gate.request("GET", "https://g/v1.0/users/x/mailFolders", {}, con):
        pass
    assert con.slept == [] and lim.refused == 1
    lim.close()


def test_throttling_one_mailbox_slows_that_mailbox_only(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rep's mailbox is over Outlook's window (its fake answers 429 to everything): its pass stops as
    throttled within the pass's budget; the others' passes make the same requests and write the same
    reminders as without it, and the limiter's own window keeps every mailbox under the fake's limit."""
    cert, cert_pem = make_certificate(tmp_path)
    reps = [f"rep{i}-{secrets.token_hex(3)}@contoso.com" for i in range(3)]
    tenant = tenant_with(reps, cert_pem)
    for i, a in enumerate(reps):
        mailbox.build(tenant.mailboxes[a], messages=80, now=NOW, seed=300 + i)
        tenant.mailboxes[a].window_limit = 60  # Outlook's 10,000, shrunk; the team config says the same
    hot = tenant.mailboxes[reps[0]]
    hot.faults.throttle, hot.faults.retry_after = 1.0, "2"  # over its limit: every request is refused
    team = make_team(reps, cert, limits={"mailbox_requests": 60})
    monkeypatch.setenv(pgstate.DSN_ENV, pg_dsn)
    with TenantServer(tenant) as server:
        session = login_session(server.url)
        services = Services.start(team, graph_url=server.url, login_http_client=session, backoff=0.01)
        with pytest.raises(Throttled):
            run_pass(services, reps[0], now=NOW)
        for a in reps[1:]:
            out = run_pass(services, a, now=NOW)
            assert out.ok and reminders(tenant.mailboxes[a])
            assert tenant.mailboxes[a].counts["faults:throttle"] == 0
        # the next passes of a quiet mailbox stay within its window: the limiter waits or stops, Graph never
        # has to refuse
        stopped = False
        for k in range(40):
            try:
                run_pass(services, reps[1], now=NOW.replace(minute=10 + k))
            except Throttled:
                stopped = True
                break
        assert stopped
        assert tenant.mailboxes[reps[1]].counts["faults:window"] == 0
        assert services.limits is not None and services.limits.refused >= 1
        services.close()
        session.close()
    with psycopg.connect(pg_dsn) as conn:
        rows = store.passes(conn)
    assert rows[reps[0]].last_ok is False and "throttl" in (rows[reps[0]].last_problem or "").lower()
