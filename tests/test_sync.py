"""The whole pass with in-memory backends: idempotence, user edits, crashes, dry-run, safety stops."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import filelock
import pytest

from followup_sync import config as configmod
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.errors import AlreadyRunning, SinkEmptied
from followup_sync.model import Message, Reminder, RemoteItem
from followup_sync.state import State
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


NY = ZoneInfo("America/New_York")


def _status(config: configmod.Config, key: str) -> tuple[str, str | None]:
    with State.open(config.state_path) as state:
        rec = next(r for r in state.followups() if r.followup.key == key)
    return rec.status, rec.closed_reason


def _ny(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=NY).astimezone(UTC)


def _move(sink: MemorySink | IcsReminderSink, key: str, to: datetime) -> None:
    """What the rep does in their calendar app: drag the reminder to ``to`` (text untouched)."""
    if isinstance(sink, MemorySink):
        href = next(h for h, (r, _) in sink.items.items() if r.key == key)
        sink.user_edit(href, start=to, end=to + timedelta(minutes=15))
        return
    text = sink.path.read_text(encoding="utf-8")
    head, *events = text.split("BEGIN:VEVENT")
    start, end = (t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for t in (to, to + timedelta(minutes=15)))
    for i, ev in enumerate(events):
        if f"UID:{key}@followup-sync" in ev:
            moved = re.sub(r"(?m)^DTSTART:\d{8}T\d{6}Z", f"DTSTART:{start}", ev)
            events[i] = re.sub(r"(?m)^DTEND:\d{8}T\d{6}Z", f"DTEND:{end}", moved)
            assert moved != ev, "no DTSTART to move"
    sink.path.write_text("BEGIN:VEVENT".join([head, *events]), encoding="utf-8")


@pytest.mark.parametrize("kind", ["memory", "ics"])
def test_an_overdue_reminder_is_carried_to_the_next_working_morning_once_a_day_then_expires(
    tmp_path: Path, kind: str
) -> None:
    """Planned Wed 18 (Priya, "tomorrow"), Thu 19 14:00 (Mark), Fri 20 (Tom); first seen on Sunday 22."""
    config, _, _ = world = (
        make_config(tmp_path),
        MemorySource([sent(i, to, t, T0 - timedelta(hours=i), subj) for i, (to, t, subj) in enumerate(PROMISES)]),
        MemorySink() if kind == "memory" else IcsReminderSink(tmp_path / "followups.ics"),
    )
    sink = world[2]

    def starts() -> dict[str, datetime | None]:
        return {i.key: i.start for i in sink.list()}

    first = run(world, _ny(22, 15))  # Sunday: all three overdue, reminded at the next working morning
    assert ops(first) == ["create"] * 3
    assert all(
        a.reminder and a.reminder.overdue and a.reminder.subject.startswith("OVERDUE") for a in first.actions
    )
    assert set(starts().values()) == {_ny(23, 9)}
    by_contact = {first.followups[a.key].contacts[0]: a.key for a in first.actions}
    mark, priya = by_contact["mark@acme.example"], by_contact["priya@globex.example"]
    tom = by_contact["tom@initech.example"]
    # Monday: it stays on Monday all day, also once its time has passed (no hourly moves)
    for hour in (16, 20, 11 + 24, 17 + 24):
        assert ops(run(world, _ny(22, 0) + timedelta(hours=hour))) == ["keep"] * 3
    # Monday evening, the working day over: carried once to Tuesday morning
    assert ops(run(world, _ny(23, 18))) == ["update"] * 3
    assert set(starts().values()) == {_ny(24, 9)}
    assert ops(run(world, _ny(23, 19))) == ["keep"] * 3
    # the rep moves Mark's to Wednesday 11:00: their time, never carried
    _move(sink, mark, _ny(25, 11))
    tuesday_night = run(world, _ny(24, 18))
    assert sorted((a.op, a.key) for a in tuesday_night.actions) == sorted(
        [("keep", mark), ("update", priya), ("update", tom)]
    )
    assert starts() == {mark: _ny(25, 11), priya: _ny(25, 9), tom: _ny(25, 9)}
    # Wednesday evening: Priya's has been overdue for overdue_days (5) working days since Wednesday 18: it
    # expires and goes; Tom's is carried again; Mark's stays at the rep's time (their expiry counts from it)
    wednesday_night = run(world, _ny(25, 18))
    assert {(a.op, a.key) for a in wednesday_night.actions} == {("keep", mark), ("delete", priya), ("update", tom)}
    assert _status(config, priya) == ("closed", "expired")
    assert starts() == {mark: _ny(25, 11), tom: _ny(26, 9)}
    assert ops(run(world, _ny(26, 18))) == ["keep", "update"]  # Thursday: Tom's once more
    assert ops(run(world, _ny(26, 19))) == ["keep", "keep"]


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
