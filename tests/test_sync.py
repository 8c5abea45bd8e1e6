"""The whole pass with in-memory backends: idempotence, user edits, crashes, dry-run, safety stops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import filelock
import pytest

from followup_sync import config as configmod
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.errors import AlreadyRunning, SinkEmptied
from followup_sync.model import Message, Reminder, RemoteItem
from followup_sync.sync import run_once

ME = "dana@northwind.example"
T0 = datetime(2026, 3, 17, 19, 0, tzinfo=UTC)  # Tuesday 15:00 in New York


def make_config(tmp_path: Path) -> configmod.Config:
    return configmod.parse(
        {
            "identity": {"addresses": [ME], "timezone": "America/New_York"},
            "mail": {"backend": "none"},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp_path / "unused.ics")},
            "state": {"path": str(tmp_path / "state.db")},
        }
    )


def sent(n: int, to: str, text: str, at: datetime, subject: str = "Rollout plan", **kw: object) -> Message:
    return Message(
        id=f"m{n}@northwind.example",
        sender=ME,
        to=(to,),
        cc=(),
        subject=subject,
        sent_at=at,
        body=text,
        **kw,  # type: ignore[arg-type]
    )


def received(n: int, frm: str, text: str, at: datetime, subject: str, reply_to: str | None = None) -> Message:
    return Message(
        id=f"r{n}@customer.example",
        sender=frm,
        to=(ME,),
        cc=(),
        subject=subject,
        sent_at=at,
        body=text,
        in_reply_to=reply_to,
        references=(reply_to,) if reply_to else (),
    )


PROMISES = [
    (
        "mark@acme.example",
        "Hi Mark,\n\nI'll call you Thursday at 2pm to walk through the plan.\n\nDana",
        "Rollout",
    ),
    ("priya@globex.example", "Hi Priya,\n\nI'll send the revised pricing tomorrow.\n\nDana", "Pricing"),
    ("tom@initech.example", "Hi Tom,\n\nI will email you the case study on Friday.\n\nDana", "Case study"),
]


@pytest.fixture
def world(tmp_path: Path) -> tuple[configmod.Config, MemorySource, MemorySink]:
    source = MemorySource(
        [sent(i, to, text, T0 - timedelta(hours=i), subject) for i, (to, text, subject) in enumerate(PROMISES)]
    )
    return make_config(tmp_path), source, MemorySink()


def run(world: tuple[configmod.Config, MemorySource, MemorySink], now: datetime, **kw: object):  # type: ignore[no-untyped-def]
    config, source, sink = world
    return run_once(config, now=now, mail=source, meetings=source, sink=sink, **kw)  # type: ignore[arg-type]


def ops(result) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(a.op for a in result.actions)


def test_first_pass_creates_one_reminder_per_promise_and_second_pass_changes_nothing(world) -> None:
    first = run(world, T0 + timedelta(minutes=5))
    assert ops(first) == ["create"] * 3
    sink = world[2]
    assert len(sink.items) == 3
    writes = sink.writes
    second = run(world, T0 + timedelta(minutes=10))
    assert ops(second) == ["keep"] * 3
    assert sink.writes == writes


def test_reply_from_the_contact_removes_the_reminder(world) -> None:
    run(world, T0 + timedelta(minutes=5))
    _config, source, sink = world
    # the rep called and wrote a recap: a later message to the contact closes the promise
    source.message_list.append(sent(10, "mark@acme.example", "Thanks for the call today.", T0 + timedelta(days=1)))
    result = run(world, T0 + timedelta(days=1, minutes=5))
    assert "delete" in ops(result)
    assert len(sink.items) == 2


def test_user_deleted_reminder_is_never_recreated(world) -> None:
    run(world, T0 + timedelta(minutes=5))
    sink = world[2]
    href = next(iter(sink.items))
    del sink.items[href]
    run(world, T0 + timedelta(minutes=10))
    run(world, T0 + timedelta(minutes=15))
    assert href not in sink.items
    assert len(sink.items) == 2


def test_user_moved_reminder_keeps_the_users_time(world) -> None:
    run(world, T0 + timedelta(minutes=5))
    sink = world[2]
    href, (rem, _etag) = next(iter(sink.items.items()))
    moved = rem.start + timedelta(days=1, hours=2)
    sink.user_edit(href, start=moved, end=moved + (rem.end - rem.start))
    for minutes in (10, 15):
        result = run(world, T0 + timedelta(minutes=minutes))
        assert all(a.op == "keep" for a in result.actions)
    assert sink.items[href][0].start == moved


def test_dry_run_writes_nothing_and_plans_what_a_real_pass_does(world, tmp_path: Path) -> None:
    config, _source, sink = world
    planned = run(world, T0 + timedelta(minutes=5), dry_run=True)
    assert not config.state_path.exists()
    assert sink.items == {}
    real = run(world, T0 + timedelta(minutes=5))
    assert [(a.op, a.key) for a in planned.actions] == [(a.op, a.key) for a in real.actions]
    before = config.state_path.read_bytes()
    items = dict(sink.items)
    run(world, T0 + timedelta(minutes=6), dry_run=True)
    assert config.state_path.read_bytes() == before
    assert sink.items == items


class CrashAfterWrite(MemorySink):
    """The process dies right after the calendar accepted the write, before the state commit."""

    def __init__(self, inner: MemorySink) -> None:
        self.__dict__ = inner.__dict__

    def create(self, reminder: Reminder) -> RemoteItem:
        super().create(reminder)
        raise KeyboardInterrupt


def test_a_pass_killed_between_calendar_and_state_leaves_no_duplicate(world) -> None:
    config, source, sink = world
    crashing = CrashAfterWrite(sink)
    with pytest.raises(KeyboardInterrupt):
        run_once(config, now=T0 + timedelta(minutes=5), mail=source, meetings=source, sink=crashing)
    assert len(sink.items) == 1
    result = run(world, T0 + timedelta(minutes=6))
    assert len(sink.items) == 3
    assert sorted(a.op for a in result.actions) == ["adopt", "create", "create"]
    assert len({rem.key for rem, _ in sink.items.values()}) == 3


def test_lost_state_database_adopts_instead_of_duplicating(world) -> None:
    config, _source, sink = world
    run(world, T0 + timedelta(minutes=5))
    config.state_path.unlink()
    result = run(world, T0 + timedelta(minutes=6))
    assert ops(result) == ["adopt"] * 3
    assert len(sink.items) == 3


def test_sink_that_suddenly_lists_nothing_stops_the_pass(world) -> None:
    run(world, T0 + timedelta(minutes=5))
    sink = world[2]
    sink.items.clear()
    with pytest.raises(SinkEmptied):
        run(world, T0 + timedelta(minutes=6))
    result = run(world, T0 + timedelta(minutes=7), force=True)
    assert ops(result) == ["dismiss"] * 3


def test_second_pass_is_refused_while_one_is_running(world) -> None:
    config = world[0]
    config.state_path.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(f"{config.state_path}.lock"), pytest.raises(AlreadyRunning):
        run(world, T0, lock_wait=0.1)


def test_an_overdue_reminder_stays_where_it_was_placed(world) -> None:
    # two days after the promises were due: every reminder is overdue and lands at the next working slot
    late = T0 + timedelta(days=5)
    first = run(world, late)
    assert ops(first) == ["create"] * 3
    assert all(a.reminder is not None and a.reminder.overdue for a in first.actions)
    # hours later, within and across working days, nothing is pushed forward again
    for hours in (1, 3, 20, 27):
        assert ops(run(world, late + timedelta(hours=hours))) == ["keep"] * 3


def test_a_stop_request_ends_the_pass_between_writes_and_the_next_pass_finishes(world) -> None:
    config, source, sink = world
    asked = []

    def stop_after_first_write() -> bool:
        asked.append(1)
        return len(asked) > 1

    first = run_once(
        config, now=T0 + timedelta(minutes=5), mail=source, meetings=source, sink=sink,
        should_stop=stop_after_first_write,
    )  # fmt: skip
    assert len(sink.items) == 1
    assert any("stopped before finishing" in p for p in first.problems)
    second = run(world, T0 + timedelta(minutes=6))
    assert ops(second) == ["create", "create", "keep"]
    assert len(sink.items) == 3
