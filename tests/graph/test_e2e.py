"""The whole sync pass with the real O365 library against the fake Graph: a mailbox of a few thousand messages.

The reference for "the expected events" is the same pipeline run over the same messages with in-memory backends:
the Graph path must produce exactly those reminders (key and start). The planted promises must be among them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
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
from followup_sync.model import FollowUp, Message
from followup_sync.sync import PassResult, run_once
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import events_by_key
from tests.fakegraph.server import FakeGraph, Faults

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)  # a Tuesday, 15:07 in Berlin; overdue reminders go to 16:00


@dataclass
class World:
    config: Config
    fake: FakeGraph
    account: Any
    box: mailbox.Mailbox
    batch: bool = True  # reminder writes in JSON batches (the default), or one request each

    def run(self, now: datetime, **kw: Any) -> PassResult:
        """One pass with the Graph backends built as ``from_config`` builds them (same cache files), closed
        at the end as ``run_once`` closes the backends it opens itself."""
        backends = self.backends()
        try:
            return run_once(self.config, now=now, **backends, **kw)
        finally:
            for backend in backends.values():
                backend.close()

    def backends(self) -> dict[str, Any]:
        folder, r = self.config.state_path.parent, self.config.rules
        return {
            "mail": GraphMailSource(
                self.account, state_file=folder / "graph-delta.json", lookback=timedelta(days=r.lookback_days)
            ),
            "meetings": GraphMeetingSource(self.account, cache_file=folder / "graph-calendar.json"),
            "sink": GraphReminderSink(
                self.account, cache_file=folder / "graph-calendar.json",
                view_days=(r.lookback_days, r.meeting_lookahead_days), batch=self.batch,
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
    assert fake.counts["batch:POST"] == len(events)  # created in JSON batches of up to 20
    # one more batch: the folder discovery's lookups of the well-known folders never read
    assert fake.counts["POST"] == fake.counts["batches"] == -(-len(events) // 20) + 1
    first_requests = fake.request_count()

    # idle pass five minutes later: nothing written; one delta round per mail folder and one calendar read
    # (the calendarView the meetings need also lists our reminders: no listing, no calendar lookup of its own)
    fake.reset_counts()
    idle = world.run(NOW + timedelta(minutes=5))
    assert {a.op for a in idle.actions} <= {"keep"}
    assert fake.writes == []  # no event created, changed or deleted
    idle_requests = fake.request_count()
    deltas = [p for _, p, _ in fake.log if "/messages/delta" in p]
    folders = {p.split("/mailFolders/")[1].split("/")[0] for p in deltas}
    assert len(deltas) == len(folders) == 3  # Inbox, Sent Items, Archive
    assert idle_requests == len(folders) + 1, fake.log
    assert [p.split("?")[0] for _, p, _ in fake.log if "/messages/delta" not in p] == [
        "/v1.0/me/calendar/calendarView"
    ]
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
    assert fake.writes == []  # no event created, changed or deleted


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*")) if p.is_file()} if folder.exists() else {}


def test_dry_run_writes_nothing(fake: FakeGraph, config: Config, account: Any) -> None:
    world = _world(fake, config, account, 300)
    fake.reset_counts()
    result = world.run(NOW, dry_run=True)
    assert {a.op for a in result.actions} == {"create"}
    assert fake.writes == []  # no event created, changed or deleted
    assert not config.state_path.parent.exists()  # no state DB, no delta links, no folder or calendar cache
    real = world.run(NOW)
    assert real.stats.created == len(result.actions) == len(world.events())
    # a dry run after real passes reads their files and leaves every byte of them as it was
    fake.add_message("inbox", sender="jane@acme.com", to=[fake.user], subject="Hi", body="Call me?",
                     sent=NOW + timedelta(minutes=1))  # fmt: skip
    before = _files(config.state_path.parent)
    assert {"graph-delta.json", "graph-calendar.json", "state.db"} <= set(before)
    world.run(NOW + timedelta(minutes=5), dry_run=True)
    world.run(NOW + timedelta(days=2), dry_run=True)  # also when the folder list and the listing are stale
    assert _files(config.state_path.parent) == before


class _Interleaved:
    """A mail source that, after its first message, lets ``meanwhile`` run (a daemon pass overlapping this
    one), then reads on: the overlap a manual dry run and the daemon can have."""

    def __init__(self, inner: GraphMailSource, meanwhile: Callable[[], None]) -> None:
        self.inner, self.meanwhile = inner, meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        it = self.inner.messages(start, end)
        first = next(it, None)
        self.meanwhile()
        if first is not None:
            yield first
        yield from it


def test_dry_run_overlapping_a_real_pass_does_not_lose_a_promise(
    fake: FakeGraph, config: Config, account: Any
) -> None:
    """Issue 9, item 1: a dry run used to save the delta links it read; saved after an overlapping real pass,
    they made the next pass skip the mail only the dry run had seen."""
    world = _world(fake, config, account, 200)
    world.run(NOW)
    fake.add_message("inbox", sender="bob@contoso.com", to=[fake.user], subject="Lunch", body="12:30?",
                     sent=NOW + timedelta(minutes=1))  # fmt: skip
    promise: list[str] = []

    def daemon_pass() -> None:
        world.run(NOW + timedelta(minutes=5))
        mid = fake.add_message(
            "sentitems", sender=fake.user, to=["jane.doe@fabrikam.example"], subject="Pilot numbers",
            body="Hi Jane,\n\nI'll call you Thursday at 2pm to go through the numbers.\n\nBest,\nRita",
            sent=NOW + timedelta(minutes=6),
        )  # fmt: skip
        promise.append(fake.messages[mid]["internetMessageId"].strip("<>").lower())

    backends = world.backends()
    backends["mail"] = _Interleaved(backends["mail"], daemon_pass)
    run_once(config, now=NOW + timedelta(minutes=6, seconds=30), dry_run=True, **backends)
    later = world.run(NOW + timedelta(minutes=10))
    created = {a.key for a in later.actions if a.op == "create"}
    assert any(later.followups[k].origin_id == promise[0] for k in created), "the promise was never created"


def test_lost_state_db_adopts_instead_of_duplicating(fake: FakeGraph, config: Config, account: Any) -> None:
    world = _world(fake, config, account, 300)
    world.run(NOW)
    before = world.events()
    config.state_path.unlink()  # lost or corrupt state DB; graph-delta.json survives
    fake.reset_counts()
    again = world.run(NOW + timedelta(minutes=5))
    assert again.stats.messages_read >= 300  # the window went back: mail is read in full again
    assert fake.writes == []  # no event created, changed or deleted
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
    fake.reset_counts()
    listed = purge(config, dry_run=True, sink=GraphReminderSink(account))
    assert len(listed) == ours > 0 and not fake.writes
    deleted = purge(config, dry_run=False, sink=GraphReminderSink(account))
    assert len(deleted) == ours
    assert world.events() == {} and list(fake.events) == [foreign]


def _conversation(fake: FakeGraph, f: FollowUp) -> str:
    return next(
        str(m["conversationId"])
        for m in fake.messages.values()
        if m["internetMessageId"].strip("<>").lower() == f.origin_id
    )


def test_closed_reminder_the_rep_typed_into_stays_one_they_only_moved_goes(
    fake: FakeGraph, config: Config, account: Any
) -> None:
    """Issue 9, item 4: never destroy what the rep typed; a reminder they only moved goes with its follow-up."""
    world = _world(fake, config, account, 300)
    first = world.run(NOW)
    ids = {key: ev["id"] for key, ev in events_by_key(fake).items()}
    typed, moved = sorted(
        (f for f in first.followups.values() if f.kind == "awaiting_reply" and f.key in ids), key=lambda f: f.key
    )[:2]
    fake.user_edits_event(ids[typed.key], note="Called, left a voicemail. Try again Friday.")
    fake.user_moves_event(ids[moved.key], NOW + timedelta(days=2))
    second = world.run(NOW + timedelta(minutes=5))
    assert {(a.op, a.key, a.user_owned) for a in second.actions if a.key in (typed.key, moved.key)} == {
        ("keep", typed.key, True), ("keep", moved.key, True)
    }  # fmt: skip
    for f in (typed, moved):  # the contacts answer: both follow-ups are done
        world.box.reply(_conversation(fake, f), at=NOW + timedelta(minutes=7), text="Yes, we will go ahead.")
    fake.reset_counts()
    third = world.run(NOW + timedelta(minutes=10))
    assert {(a.op, a.key) for a in third.actions if a.key in (typed.key, moved.key)} == {
        ("keep", typed.key), ("delete", moved.key)
    }  # fmt: skip
    after = events_by_key(fake)
    assert moved.key not in after
    assert after[typed.key]["body"]["content"].startswith("Called, left a voicemail.")
    assert [(m, p.split("?")[0]) for m, p, _ in fake.log if m == "DELETE"] == [
        ("DELETE", f"/v1.0/me/events/{ids[moved.key]}")
    ]
    fake.reset_counts()
    world.run(NOW + timedelta(minutes=15))  # and it stays, untouched, pass after pass
    assert typed.key in events_by_key(fake)
    assert fake.writes == []  # no event created, changed or deleted


@pytest.mark.parametrize("batch", [True, False])
def test_garbled_answer_to_our_update_does_not_freeze_the_reminder(
    fake: FakeGraph, config: Config, account: Any, batch: bool
) -> None:
    """Issue 9, item 5: our PATCH landed but its answer was garbled (the PATCH's own, or that of the JSON batch
    carrying it); the next pass recognises our content hash in the event (not a user edit), and later changes
    are still applied."""
    # carried daily for three weeks, so that whichever reminder the garbled answer hits is still open on Wednesday
    config = replace(config, schedule=replace(config.schedule, overdue_days=20))
    world = _world(fake, config, account, 120)
    world.batch = batch
    world.run(NOW)  # Tuesday 15:07 Berlin: overdue reminders at 16:00
    fake.faults = Faults(methods=frozenset({"POST" if batch else "PATCH"}), queue=["malformed"])
    fake.writes.clear()
    evening = world.run(NOW + timedelta(hours=3))  # the working day is over: carried to Wednesday 09:00
    landed = [eid for method, eid, _ in fake.writes if method == "PATCH"]
    garbled = landed[: min(20, len(landed))] if batch else landed[:1]
    assert evening.stats.errors == len(garbled) > 0
    keys = [k for k, ev in events_by_key(fake).items() if ev["id"] in garbled]
    after = world.run(NOW + timedelta(hours=3, minutes=5))
    for key in keys:
        [action] = [a for a in after.actions if a.key == key]
        assert (action.op, action.user_owned, action.reason) == ("adopt", False, "our unrecorded update")
    world.run(NOW + timedelta(days=1, hours=3))  # Wednesday evening: carried again, these too
    thursday = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # Thursday 09:00 Berlin
    assert {events_by_key(fake)[k]["_start"] for k in keys} == {thursday}
