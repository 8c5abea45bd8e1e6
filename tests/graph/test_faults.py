"""Throttling, server errors, timeouts, dropped connections and truncated JSON on a share of Graph requests.

Retries honour ``Retry-After`` for every method (O365 alone retries neither POST nor PATCH), are capped by
``max_retry_wait_seconds``, and repeated passes converge: no duplicate reminder, none missing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.graph import MARKER_PROP, GraphMailSource, GraphReminderSink
from followup_sync.config import Config
from followup_sync.errors import Error, PreconditionFailed, TransientError
from tests.contract import make_reminder
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import connect, graph_config, reminder_key, seed_token
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
    fake.max_page = 25  # several pages per folder and listing, so reads are faulted mid-way too
    account.con.timeout = (1.0, 0.15)
    nows = [NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=65), NOW + timedelta(hours=3)]
    fake.faults = Faults(
        throttle=0.08, unavailable=0.04, slow=0.02, drop=0.03, malformed=0.03, delay=0.3, seed=seed
    )
    for i, now in enumerate(nows):
        if i == 2:  # replies arrive: some reminders must be deleted, under faults too
            for conv in list(world.box.threads)[:40]:
                world.box.reply(conv, at=now - timedelta(minutes=1), text="Yes, that works for us. We will sign.")
        for _ in range(3):  # the daemon's next ticks
            try:
                result = world.run(now)
            except Error:
                continue
            if result.stats.errors == 0:
                break
    injected = {
        k: v for k, v in fake.counts.items() if k.startswith("faults:") or k in ("POST", "PATCH", "DELETE")
    }
    fake.faults = Faults()
    account.con.timeout = (2.0, 5.0)  # a loaded test machine must not turn the clean pass into timeouts
    final = world.run(nows[-1])
    assert final.stats.errors == 0
    events = world.events()  # asserts one event per key
    reference = world.reference(tmp_path, *nows)
    assert events == reference
    assert injected.get("faults:POST") and injected["faults:GET"] > 5, injected  # batched writes draw per item
    assert len(fake.ours(MARKER_PROP)) == len(reference)


@pytest.mark.parametrize("seed", [3, 4])
def test_sink_writes_converge_under_faults(seed: int, account: Any, fake: FakeGraph) -> None:
    """Create, update and delete rounds, every method faulted; retried until stable: exactly the desired set."""
    sink = GraphReminderSink(account)
    account.con.timeout = (1.0, 0.15)
    fake.faults = Faults(
        throttle=0.1, unavailable=0.05, slow=0.04, drop=0.04, malformed=0.05, delay=0.3, seed=seed
    )
    rounds = [
        {f"k{i}": make_reminder(f"k{i}") for i in range(12)},
        {f"k{i}": make_reminder(f"k{i}", subject=f"changed {i}") for i in range(0, 12, 2)},
        {f"k{i}": make_reminder(f"k{i}", subject=f"again {i}") for i in range(0, 12, 4)}
        | {"k20": make_reminder("k20")},
    ]
    written: dict[str, tuple[str, str]] = {}  # key -> (href, etag) of what we wrote, like the state DB
    for desired in rounds:
        for _ in range(8):
            if _reconcile(sink, desired, written):
                break
        else:
            pytest.fail("did not converge in 8 passes")
    assert fake.counts["faults:POST"] and fake.counts["faults:PATCH"] and fake.counts["faults:DELETE"]
    fake.faults = Faults()
    events = {_key_of(e): e["subject"] for e in fake.ours(MARKER_PROP)}
    assert len(events) == len(fake.ours(MARKER_PROP))  # no duplicate
    assert events == {k: r.subject for k, r in rounds[-1].items()}


def _key_of(event: dict[str, Any]) -> str:
    return str(reminder_key(event))


def _reconcile(sink: GraphReminderSink, desired: dict[str, Any], written: dict[str, tuple[str, str]]) -> bool:
    """One pass of a minimal planner; True when nothing was left to do and nothing failed."""
    try:
        remote = {i.key: i for i in sink.list()}
    except TransientError:
        return False
    clean = True
    for key, reminder in desired.items():
        try:
            if key not in remote:
                item = sink.create(reminder)
                clean = False
            elif (
                written.get(key, ("", ""))[1] != remote[key].etag
                or _subject(sink, remote[key].href) != reminder.subject
            ):
                item = sink.update(remote[key].href, remote[key].etag, reminder)
                clean = False
            else:
                continue
            written[key] = (item.href, item.etag)
        except TransientError:
            clean = False
    for key in set(remote) - set(desired):
        try:
            sink.delete(remote[key].href, remote[key].etag)
            written.pop(key, None)
        except TransientError:
            pass
        clean = False
    return clean


def _subject(sink: GraphReminderSink, href: str) -> str:
    return str(sink._get(f"{sink.url}me/events/{href}", {"$select": "subject"})["subject"])


@pytest.mark.parametrize("batch", [True, False])
def test_throttled_writes_stop_the_pass_once_and_the_next_pass_goes_on(
    fake: FakeGraph,
    server: Server,
    memory_keyring: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    batch: bool,
) -> None:
    """Issue 9, item 3: ``max_retry_wait_seconds`` bounds the waiting of the whole pass. Every write after the
    fifth is throttled (Retry-After 5 s): the pass waits 20 s in all, stops writing with one line, keeps the
    five it wrote, and the next pass writes the rest without a duplicate."""
    config = graph_config(tmp_path, fake, max_retry_wait_seconds=20)
    slept: list[float] = []
    account = connect(config, server, sleep=slept.append)
    seed_token(account, fake)
    world = World(config, fake, account, mailbox.build(fake, messages=300, now=NOW), batch=batch)
    # the folder discovery's batch and the first five writes pass (in batch mode the batch request itself
    # draws first), every later write and every later batch request is throttled
    fake.faults = Faults(throttle=1.0, retry_after="5", methods=frozenset({"POST", "PATCH", "DELETE"}),
                         queue=[None] * (1 + (6 if batch else 5)))  # type: ignore[list-item]  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="followup_sync"):
        first = world.run(NOW)
    assert sum(slept) <= 20
    assert first.stats.created == 5 and len(world.events()) == 5
    assert [p for p in first.problems if "stopped writing" in p] == first.problems
    assert len(first.problems) == 1 and "write(s) left for the next pass" in first.problems[0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("Stopped writing reminders"), warnings
    fake.faults = Faults()
    second = world.run(NOW + timedelta(minutes=5))
    assert second.stats.errors == 0 and not second.problems
    assert world.events() == world.reference(tmp_path, NOW, NOW + timedelta(minutes=5))
    assert second.stats.created == len(world.events()) - 5 > 5
