"""The whole sync pass with the real O365 library against the fake Graph: a mailbox of a few thousand messages.

The reference for "the expected events" is the same pipeline run over the same messages with in-memory backends:
the Graph path must produce exactly those reminders (key and start). The planted promises must be among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.graph import (
    GraphMailSource,
    GraphMeetingSource,
    GraphReminderSink,
)
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.config import Config
from followup_sync.sync import PassResult, run_once
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import events_by_key
from tests.fakegraph.server import FakeGraph

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)  # a Tuesday, 15:07 in Berlin; overdue reminders go to 16:00


@dataclass
class World:
    config: Config
    fake: FakeGraph
    account: Any
    box: mailbox.Mailbox

    def run(self, now: datetime, **kw: Any) -> PassResult:
        """One pass with the Graph backends built as ``from_config`` builds them (same cache files)."""
        return run_once(self.config, now=now, **self.backends(), **kw)

    def backends(self) -> dict[str, Any]:
        folder, r = self.config.state_path.parent, self.config.rules
        return {
            "mail": GraphMailSource(
                self.account, state_file=folder / "graph-delta.json", lookback=timedelta(days=r.lookback_days)
            ),
            "meetings": GraphMeetingSource(self.account, cache_file=folder / "graph-calendar.json"),
            "sink": GraphReminderSink(
                self.account, cache_file=folder / "graph-calendar.json",
                view_days=(r.lookback_days, r.meeting_lookahead_days),
            ),
        }  # fmt: skip

    def events(self) -> dict[str, datetime]:
        return {key: ev["_start"] for key, ev in events_by_key(self.fake).items()}

    def reference(self, tmp_path: Path, *nows: datetime) -> dict[str, datetime]:
        """The same passes over the same messages with memory backends (no Graph, no faults)."""
        source, sink = MemorySource(self.box.messages()), MemorySink()
        for now in nows:
            run_once(self.config, now=now, mail=source, meetings=source, sink=sink, state_path=tmp_path / "ref.db")
        return {rem.key: rem.start for rem, _ in sink.items.values()}


def _world(fake: FakeGraph, config: Config, account: Any, messages: int) -> World:
    return World(config, fake, account, mailbox.build(fake, messages=messages, now=NOW))


@pytest.mark.slow
def test_first_and_idle_pass_reply_delete_move(
    fake: FakeGraph, config: Config, account: Any, tmp_path: Path
) -> None:
    world = _world(fake, config, account, 2000)
    assert len(fake.messages) >= 2000
    fake.reset_counts()
    first = world.run(NOW)
    assert first.stats.errors == 0
    events = world.events()
    assert events == world.reference(tmp_path, NOW)
    promises = {f.origin_id for f in first.followups.values() if f.kind == "promise"}
    assert len(promises & set(world.box.promises)) >= 0.8 * len(world.box.promises) > 50  # the detector fired
    assert len(events) > 100
    assert fake.counts["POST"] == len(events)
    first_requests = fake.request_count()

    # idle pass five minutes later: nothing written, a handful of requests
    fake.reset_counts()
    idle = world.run(NOW + timedelta(minutes=5))
    assert {a.op for a in idle.actions} <= {"keep"}
    assert fake.counts["POST"] == fake.counts["PATCH"] == fake.counts["DELETE"] == 0
    idle_requests = fake.request_count()
    assert idle_requests <= 6, fake.log
    print(f"first pass: {first_requests} Graph requests; idle pass: {idle_requests}")

    # a reply to an awaited answer removes that reminder
    waiting = [f for f in first.followups.values() if f.kind == "awaiting_reply" and f.key in events]
    assert waiting
    target = waiting[0]
    conv = next(
        m["conversationId"]
        for m in fake.messages.values()
        if m["internetMessageId"].strip("<>").lower() == target.origin_id
    )
    world.box.reply(
        conv,
        at=NOW + timedelta(minutes=7),
        text="Hi Rita,\n\nYes, Tuesday works. The quote is fine, "
        "please go ahead and send the order form.\n\nBest,\nJane",
    )
    # the user deletes one reminder and moves another in Outlook
    by_key = {key: e["id"] for key, e in events_by_key(fake).items()}
    others = sorted(k for k in events if k != target.key)
    deleted_key, moved_key = others[0], others[1]
    fake.user_deletes_event(by_key[deleted_key])
    moved_to = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)
    fake.user_moves_event(by_key[moved_key], moved_to)

    fake.reset_counts()
    third = world.run(NOW + timedelta(minutes=10))
    assert third.stats.errors == 0 and third.stats.messages_read == 1
    after = world.events()
    assert target.key not in after
    assert deleted_key not in after
    assert after[moved_key] == moved_to
    changed = {(a.op, a.key) for a in third.actions if a.op not in ("keep", "create")}
    assert changed == {("delete", target.key), ("dismiss", deleted_key)}
    writes = [
        (m, p.split("?")[0]) for m, p, _ in fake.log if m not in ("GET", "POST")
    ]  # the reply may ask for more
    assert writes == [("DELETE", f"/v1.0/me/events/{by_key[target.key]}")]
    assert set(after) - set(events) == {a.key for a in third.actions if a.op == "create"}

    fake.reset_counts()
    world.run(NOW + timedelta(minutes=15))  # later passes leave all three alone
    assert world.events() == after
    assert fake.counts["POST"] == fake.counts["PATCH"] == fake.counts["DELETE"] == 0


def test_dry_run_writes_nothing(fake: FakeGraph, config: Config, account: Any) -> None:
    world = _world(fake, config, account, 300)
    fake.reset_counts()
    result = world.run(NOW, dry_run=True)
    assert {a.op for a in result.actions} == {"create"}
    assert fake.counts["POST"] == fake.counts["PATCH"] == fake.counts["DELETE"] == 0
    assert not config.state_path.exists()
    real = world.run(NOW)
    assert real.stats.created == len(result.actions) == len(world.events())


def test_lost_state_db_adopts_instead_of_duplicating(fake: FakeGraph, config: Config, account: Any) -> None:
    world = _world(fake, config, account, 300)
    world.run(NOW)
    before = world.events()
    config.state_path.unlink()  # lost or corrupt state DB; graph-delta.json survives
    fake.reset_counts()
    again = world.run(NOW + timedelta(minutes=5))
    assert again.stats.messages_read >= 300  # the window went back: mail is read in full again
    assert fake.counts["POST"] == fake.counts["PATCH"] == fake.counts["DELETE"] == 0
    assert world.events() == before


def test_purge_removes_only_ours(fake: FakeGraph, config: Config, account: Any) -> None:
    from followup_sync.sync import purge

    world = _world(fake, config, account, 200)
    world.run(NOW)
    ours = len(world.events())
    foreign = fake.add_event(
        subject="Customer call",
        start=NOW,
        end=NOW + timedelta(hours=1),
        organizer="jane@acme.com",
        attendees=[fake.user],
    )
    listed = purge(config, dry_run=True, sink=GraphReminderSink(account))
    assert len(listed) == ours > 0 and fake.counts["DELETE"] == 0
    deleted = purge(config, dry_run=False, sink=GraphReminderSink(account))
    assert len(deleted) == ours
    assert world.events() == {} and list(fake.events) == [foreign]
