"""Throttling, server errors, timeouts, dropped connections and truncated JSON on a share of Graph requests.

Retries honour ``Retry-After`` for every method (O365 alone retries neither POST nor PATCH), are capped by
``max_retry_wait_seconds``, and repeated passes converge: no duplicate reminder, none missing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.graph import MARKER_PROP, GraphMailSource, GraphReminderSink
from followup_sync.config import Config
from followup_sync.errors import Error, PreconditionFailed, TransientError
from tests.contract import make_reminder
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import connect, seed_token
from tests.fakegraph.server import FakeGraph, Faults, Server
from tests.graph.test_e2e import NOW, World


@pytest.fixture
def sleeps(config: Config, server: Server, fake: FakeGraph, memory_keyring: Any) -> tuple[Any, list[float]]:
    slept: list[float] = []
    account = connect(config, server, sleep=slept.append)
    seed_token(account, fake)
    return account, slept


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "GET"])
@pytest.mark.parametrize("fault", ["throttle", "unavailable"])
def test_retry_after_honoured_for_every_method(
    method: str, fault: str, sleeps: tuple[Any, list[float]], fake: FakeGraph
) -> None:
    account, slept = sleeps
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1"))
    fake.faults = Faults(methods=frozenset({method}), retry_after="2", queue=[fault, fault])
    if method == "POST":
        sink.create(make_reminder("k2"))
    elif method == "PATCH":
        sink.update(item.href, item.etag, make_reminder("k1", subject="changed"))
    elif method == "DELETE":
        sink.delete(item.href, item.etag)
    else:
        list(sink.list())
    assert slept == [2.0, 2.0]
    assert fake.counts[f"faults:{fault}"] == 2


def test_retry_wait_is_capped(sleeps: tuple[Any, list[float]], fake: FakeGraph) -> None:
    account, slept = sleeps
    fake.faults = Faults(methods=frozenset({"POST"}), retry_after="1000", queue=["throttle"])
    with pytest.raises(TransientError, match="429"):
        GraphReminderSink(account).create(make_reminder("k1"))
    assert slept == []  # no hidden six-hour sleep: the pass ends, the next one catches up


def test_backoff_without_retry_after_then_give_up(sleeps: tuple[Any, list[float]], fake: FakeGraph) -> None:
    account, slept = sleeps
    fake.faults = Faults(unavailable=1.0, retry_after=None)
    with pytest.raises(TransientError, match="503"):
        list(GraphReminderSink(account).list())
    assert slept == [0.01, 0.02, 0.04, 0.08, 0.16]


def test_truncated_json_and_dropped_connections_are_retried(
    sleeps: tuple[Any, list[float]], fake: FakeGraph, tmp_path: Path
) -> None:
    account, _ = sleeps
    fake.add_message(
        "inbox", sender="jane@acme.com", to=[fake.user], subject="s", body="b", sent=NOW - timedelta(days=1)
    )
    fake.faults = Faults(queue=["malformed", "drop", "malformed"])
    src = GraphMailSource(account, state_file=tmp_path / "d.json")
    assert len(list(src.messages(NOW - timedelta(days=2), NOW))) == 1


def test_stale_update_after_lost_answer_is_recognised(account: Any, fake: FakeGraph) -> None:
    """PATCH applied, answer lost (timeout), retry gets 412: the content is ours, so it is not a user edit."""
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1"))
    account.con.timeout = (1.0, 0.2)
    fake.faults = Faults(delay=0.4, methods=frozenset({"PATCH"}), queue=["slow"])
    updated = sink.update(item.href, item.etag, make_reminder("k1", subject="changed"))
    assert updated.etag == fake.events[item.href]["@odata.etag"] != item.etag
    fake.faults = Faults(delay=0.4, methods=frozenset({"DELETE"}), queue=["slow"])
    sink.delete(updated.href, updated.etag)
    assert fake.events == {}
    # without a lost answer a 412 or 404 stays an error
    item = sink.create(make_reminder("k2"))
    fake.user_moves_event(item.href, NOW)
    with pytest.raises(PreconditionFailed):
        sink.delete(item.href, item.etag)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_passes_converge_under_faults(
    seed: int, fake: FakeGraph, config: Config, account: Any, tmp_path: Path
) -> None:
    world = World(config, fake, account, mailbox.build(fake, messages=400, now=NOW, seed=seed))
    account.con.timeout = (1.0, 0.15)
    nows = [NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=65), NOW + timedelta(hours=3)]
    fake.faults = Faults(
        throttle=0.08, unavailable=0.04, slow=0.02, drop=0.03, malformed=0.03, delay=0.3, seed=seed
    )
    failures = 0
    for i, now in enumerate(nows):
        if i == 2:  # replies arrive: some reminders must be deleted, under faults too
            for conv in list(world.box.threads)[:40]:
                world.box.reply(conv, at=now - timedelta(minutes=1), text="Yes, that works for us. We will sign.")
        for _ in range(3):  # the daemon's next ticks
            try:
                result = world.run(now)
            except Error:
                failures += 1
                continue
            if result.stats.errors == 0:
                break
            failures += 1
    injected = {k: v for k, v in fake.counts.items() if k.startswith("faults:")}
    fake.faults = Faults()
    final = world.run(nows[-1])
    assert final.stats.errors == 0
    events = world.events()  # asserts one event per key
    reference = world.reference(tmp_path, *nows)
    assert events == reference
    assert sum(injected.values()) > 20 and failures >= 0
    assert len(fake.ours(MARKER_PROP)) == len(reference)
