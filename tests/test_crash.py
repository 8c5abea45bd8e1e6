"""A pass killed at any point and run again leaves no duplicate and no lost reminder (reliability plan R1, R2).

R1: ``python -m followup_sync sync`` as a subprocess, SIGKILLed at seeded random moments (half over the length
of one clean pass, half inside a calendar write), against the .ics sink and a real Radicale, with new mail
before every pass; then one clean pass and the checks in ``tests/crashlab.py``.
R2: in-process, a sink that dies (``SystemExit``) at each write boundary of create, update and delete: before
the write reaches the calendar, and after the calendar accepted it but before the state recorded it (which is
also "the server got it, the answer was lost").
Regression: a reminder written by a pass that died before recording it, whose follow-up closed before the
next pass, used to stay in the calendar for ever as an orphan (R1 found it).
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import icalendar
import pytest

from followup_sync import config as configmod
from followup_sync.backends.base import ReminderSink, Write, WriteResult
from followup_sync.backends.caldav import CaldavReminderSink, store_password
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.model import Reminder, RemoteItem
from followup_sync.sync import PassResult, run_once
from tests import crashlab
from tests.crashlab import World

pytestmark = pytest.mark.slow
NOW = datetime.fromisoformat(crashlab.NOW)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with crashlab.radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


# --- R1: SIGKILL at random moments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sink", "layout", "count", "kills", "seed"),
    [
        ("ics", "plain", 90, 30, 20261122),
        ("ics", "symlink", 60, 16, 20261203),  # the reminders file is a link into a synced folder
        ("caldav", "plain", 75, 25, 20261123),
    ],
)
def test_random_sigkills_then_one_clean_pass_leave_one_reminder_per_key(
    sink: str, layout: str, count: int, kills: int, seed: int, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    def url(name: str) -> str:
        return (
            crashlab.make_calendar(request.getfixturevalue("radicale"), f"{name}-{seed}")
            if sink == "caldav"
            else ""
        )

    # the pass length, from a clean pass with one delivery of mail to do, in a world of its own
    measure = crashlab.make_world(tmp_path / "measure", sink=sink, count=count, closed=10, url=url("measure"),
                                  layout=layout)  # fmt: skip
    timing = crashlab.measure(measure, kills=kills)

    world = crashlab.make_world(tmp_path / "crash", sink=sink, count=count, closed=10, url=url("crash"),
                                layout=layout)  # fmt: skip
    stats = crashlab.kill_loop(world, kills=kills, timing=timing, rng=random.Random(seed))
    assert stats.failures == []
    assert stats.kills == kills, stats
    assert stats.in_writes >= kills // 3, stats
    final = crashlab.clean_pass(world)
    assert final.code == 0, final.stderr

    expected = crashlab.expected_keys(world)
    assert len(expected) == count - 10  # every promise detected, every closing mail closes one
    report = crashlab.check(world, expected)
    assert report.duplicates == {}
    assert report.missing == set()
    assert report.unexpected == set()
    assert report.foreign_ok
    assert report.integrity == "ok"
    assert report.unrecorded == set()
    assert report.next_ops == Counter({"keep": len(expected)})
    assert report.layout_ok
    assert report.ok


def test_two_configs_sharing_one_reminders_file_lose_nothing_under_random_sigkills(tmp_path: Path) -> None:
    """Issue 10 item 7: two configs (two states, two mailboxes) write one .ics at the same time, each pass
    SIGKILLed at a random moment; no reminder of either is lost, duplicated or taken as deleted by the user."""
    count, kills = 40, 12
    measure = crashlab.make_world(tmp_path / "measure", sink="ics", count=count, closed=6)
    timing = crashlab.measure(measure, kills=kills)
    first = crashlab.make_world(tmp_path / "a", sink="ics", count=count, closed=6, tag="a")
    second = crashlab.make_world(tmp_path / "b", sink="ics", count=count, closed=6, seed=8, tag="b", share=first)
    worlds = [first, second]
    stats = crashlab.kill_loop_shared(worlds, kills=kills, timing=timing, rng=random.Random(20261204))
    for s in stats:
        assert s.failures == []
        assert s.kills == kills, s
    for w in worlds:
        final = crashlab.clean_pass(w)
        assert final.code == 0, final.stderr
    expected = [crashlab.expected_keys(w) for w in worlds]
    assert all(len(e) == count - 6 for e in expected) and not expected[0] & expected[1]
    for w, e in zip(worlds, expected, strict=True):
        report = crashlab.check(w, e, everyone=expected[0] | expected[1])
        assert report.duplicates == {}
        assert report.missing == set()
        assert report.unexpected == set()
        assert report.foreign_ok and report.integrity == "ok" and report.unrecorded == set()
        assert report.next_ops == Counter({"keep": len(e)})  # nothing dismissed as deleted by the user
        assert report.ok


# --- R2: death at every write boundary ------------------------------------------------------------------

_T = TypeVar("_T")
Op = Literal["create", "update", "delete"]
When = Literal["before", "after"]


class Died(SystemExit):
    """The process ended at a write boundary."""


class DiesAt:
    """A real sink that dies at the ``nth`` write of kind ``op``: ``before`` it reaches the calendar, or
    ``after`` the calendar accepted it, before the caller could record it."""

    def __init__(self, inner: ReminderSink, *, op: Op, when: When, nth: int = 1) -> None:
        self.inner = inner
        self.name = inner.name
        self.op, self.when, self.left = op, when, nth

    def list(self) -> Iterator[RemoteItem]:
        return self.inner.list()

    def create(self, reminder: Reminder) -> RemoteItem:
        return self._write("create", lambda: self.inner.create(reminder))

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        return self._write("update", lambda: self.inner.update(href, etag, reminder))

    def delete(self, href: str, etag: str) -> None:
        self._write("delete", lambda: self.inner.delete(href, etag))

    def close(self) -> None:
        self.inner.close()

    def _write(self, op: str, write: Callable[[], _T]) -> _T:
        if op == self.op:
            self.left -= 1
            if self.left == 0 and self.when == "before":
                raise Died(137)
        result = write()
        if op == self.op and self.left == 0 and self.when == "after":
            raise Died(137)
        return result


def _config(world: World, **schedule: Any) -> configmod.Config:
    if world.sink == "ics":
        reminders: dict[str, Any] = {"backend": "ics", "path": str(world.ics)}
    else:
        reminders = {"backend": "caldav", "url": world.url, "username": crashlab.USER, "allow_insecure_http": True}
    return configmod.parse(
        {
            "identity": {"addresses": [crashlab.ME], "timezone": "Europe/Berlin"},
            "mail": {"backend": "eml", "path": str(world.mail)},
            "meetings": {"backend": "none"},
            "reminders": {**reminders, "max_new_per_day": 500},  # no daily cap: every reminder is counted
            "state": {"path": str(world.state)},
            "schedule": schedule,
        }
    )


def _sink(config: configmod.Config) -> ReminderSink:
    """A fresh sink, as a new process would open it (no cached calendar file, a new HTTP session)."""
    cls = IcsReminderSink if config.reminders.backend == "ics" else CaldavReminderSink
    return cls.from_config(config.reminders, config)


def _pass(config: configmod.Config, *, minutes: int, sink: ReminderSink | None = None) -> PassResult:
    sink = sink or _sink(config)
    try:
        return run_once(config, now=NOW + timedelta(minutes=minutes), sink=sink)
    finally:
        sink.close()


def _items(world: World) -> dict[str, list[icalendar.Component]]:
    """Our VEVENTs in the calendar, by key (a key with two entries is a duplicate)."""
    blobs = [world.ics.read_bytes()] if world.sink == "ics" else [b for _h, _e, b in crashlab.report(world.url)]
    found: dict[str, list[icalendar.Component]] = {}
    for blob in blobs:
        for event in icalendar.Calendar.from_ical(blob).walk("VEVENT"):
            uid = str(event["UID"])
            if uid.endswith("@followup-sync"):
                found.setdefault(uid.removesuffix("@followup-sync"), []).append(event)
    return found


def _converged(world: World, config: configmod.Config, expected: set[str], *, minutes: int) -> None:
    items = _items(world)
    assert {k: len(v) for k, v in items.items()} == dict.fromkeys(expected, 1)
    with sqlite3.connect(f"file:{world.state}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert {r[0] for r in db.execute("SELECT key FROM reminders")} == expected
    db.close()
    again = _pass(config, minutes=minutes)
    shown = [(a.key, a.public_op) for a in again.actions if a.public_op is not None]
    assert sorted(shown) == [(key, "keep") for key in sorted(expected)]
    assert _items(world).keys() == items.keys()
    if world.sink == "ics":
        assert world.ics.read_bytes().count(crashlab.FOREIGN_ICS.encode()) == 1
    else:
        assert crashlab.report(world.url).count(world.foreign) == 1


@pytest.fixture(params=["ics", "caldav"])
def small_world(request: pytest.FixtureRequest, tmp_path: Path, memory_keyring: Any) -> World:
    url = ""
    if request.param == "caldav":
        base = request.getfixturevalue("radicale")
        url = crashlab.make_calendar(base, f"r2-{tmp_path.name}")
        store_password(url, crashlab.USER, crashlab.PASSWORD)
    world = crashlab.make_world(tmp_path / "w", sink=request.param, count=4, closed=2, url=url, keyring=False)
    world.deliver(world.promises)
    return world


@pytest.mark.parametrize("when", ["before", "after"])
def test_death_at_a_create_boundary(small_world: World, when: When) -> None:
    world, config = small_world, _config(small_world)
    with pytest.raises(Died):
        _pass(config, minutes=0, sink=DiesAt(_sink(config), op="create", when=when, nth=2))
    assert len(_items(world)) == (2 if when == "after" else 1)
    recovery = _pass(config, minutes=1)
    expected = {a.key for a in recovery.actions}
    assert len(expected) == 4
    ops = Counter(a.op for a in recovery.actions)
    assert ops == (Counter(keep=1, adopt=1, create=2) if when == "after" else Counter(keep=1, create=3))
    _converged(world, config, expected, minutes=2)


@pytest.mark.parametrize("when", ["before", "after"])
def test_death_at_an_update_boundary(small_world: World, when: When) -> None:
    world, config = small_world, _config(small_world)
    expected = {a.key for a in _pass(config, minutes=0).actions}
    longer = _config(world, reminder_minutes=40)  # every reminder's DTEND moves: four updates
    with pytest.raises(Died):
        _pass(longer, minutes=1, sink=DiesAt(_sink(longer), op="update", when=when, nth=2))
    _pass(longer, minutes=2)
    for key, [event] in _items(world).items():
        # no update is lost: each reminder has the new length, whether its write was recorded or not
        assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=40), key
    _converged(world, longer, expected, minutes=3)


@pytest.mark.parametrize("when", ["before", "after"])
def test_death_at_a_delete_boundary(small_world: World, when: When) -> None:
    world, config = small_world, _config(small_world)
    first = {a.key for a in _pass(config, minutes=0).actions}
    world.deliver(world.closed, closing=True)
    with pytest.raises(Died):
        _pass(config, minutes=1, sink=DiesAt(_sink(config), op="delete", when=when, nth=1))
    assert len(_items(world)) == (3 if when == "after" else 4)
    recovery = _pass(config, minutes=2)
    expected = {a.key for a in recovery.actions if a.public_op == "keep"}
    assert len(expected) == 2 and expected < first
    _converged(world, config, expected, minutes=3)


class DiesAfterBatch:
    """The real .ics sink, batching, dying once ``write_batch`` replaced the file and before the pass could
    record any of the batch (``before``: as the batch starts, nothing written)."""

    def __init__(self, inner: IcsReminderSink, *, when: When) -> None:
        self.inner, self.name, self.when = inner, inner.name, when
        self.batch_size = inner.batch_size

    def list(self) -> Iterator[RemoteItem]:
        return self.inner.list()

    def write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        if self.when == "before":
            raise Died(137)
        self.inner.write_batch(writes)
        raise Died(137)

    def create(self, reminder: Reminder) -> RemoteItem:
        raise AssertionError("a batching sink is written in batches")

    update = delete = create  # type: ignore[assignment]

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("when", ["before", "after"])
def test_death_at_a_batch_boundary_of_the_ics_sink(tmp_path: Path, when: When) -> None:
    world = crashlab.make_world(tmp_path / "w", sink="ics", count=6, closed=2)
    world.deliver(world.promises)
    config = _config(world)
    sink = _sink(config)
    assert isinstance(sink, IcsReminderSink)
    with pytest.raises(Died):
        _pass(config, minutes=0, sink=DiesAfterBatch(sink, when=when))  # type: ignore[arg-type]
    assert len(_items(world)) == (6 if when == "after" else 0)
    recovery = _pass(config, minutes=1)
    ops = Counter(a.op for a in recovery.actions)
    assert ops == (Counter(adopt=6) if when == "after" else Counter(create=6))
    _converged(world, config, {a.key for a in recovery.actions}, minutes=2)
    # and when the follow-ups close, the batch deletes them; a death after that lands is healed the same way
    world.deliver(world.closed, closing=True)
    with pytest.raises(Died):
        _pass(config, minutes=3, sink=DiesAfterBatch(_sink(config), when=when))  # type: ignore[arg-type]
    healed = _pass(config, minutes=4)
    expected = {a.key for a in healed.actions if a.public_op == "keep"}
    assert len(expected) == 4
    _converged(world, config, expected, minutes=5)


# --- regression: a reminder written by a pass that died unrecorded, and closed before the next pass ------


@pytest.fixture(params=["ics", "caldav"])
def one_promise(request: pytest.FixtureRequest, tmp_path: Path, memory_keyring: Any) -> World:
    url = ""
    if request.param == "caldav":
        url = crashlab.make_calendar(request.getfixturevalue("radicale"), f"one-{tmp_path.name}")
        store_password(url, crashlab.USER, crashlab.PASSWORD)
    world = crashlab.make_world(tmp_path / "w", sink=request.param, count=1, closed=1, url=url, keyring=False)
    world.deliver(world.promises)
    return world


def test_unrecorded_reminder_of_a_follow_up_closed_meanwhile_is_removed(one_promise: World) -> None:
    world, config = one_promise, _config(one_promise)
    with pytest.raises(Died):
        _pass(config, minutes=0, sink=DiesAt(_sink(config), op="create", when="after"))
    [key] = _items(world)
    world.deliver(world.closed, closing=True)  # the rep's next mail closes the promise before the next pass
    result = _pass(config, minutes=1)
    assert [(a.op, a.key) for a in result.actions] == [("delete", key)]
    _converged(world, config, set(), minutes=2)


@pytest.mark.parametrize("edit", ["moved", "typed"])
def test_unrecorded_reminder_changed_by_the_user_when_its_follow_up_closes(tmp_path: Path, edit: str) -> None:
    """Moved only: it goes with its follow-up. Typed into: what the rep wrote stays (an orphan, warned once)."""
    world = crashlab.make_world(tmp_path / "w", sink="ics", count=1, closed=1)
    world.deliver(world.promises)
    config = _config(world)
    with pytest.raises(Died):
        _pass(config, minutes=0, sink=DiesAt(_sink(config), op="create", when="after"))
    [key] = _items(world)
    [event] = _items(world)[key]
    if edit == "moved":
        start = event.decoded("DTSTART").strftime("%Y%m%dT%H%M%S")
        moved = (event.decoded("DTSTART") + timedelta(hours=1)).strftime("%Y%m%dT%H%M%S")
        world.ics.write_bytes(world.ics.read_bytes().replace(start.encode(), moved.encode()))
    else:
        world.ics.write_bytes(world.ics.read_bytes().replace(b"SUMMARY:", b"SUMMARY:Called\\, left a message - "))
    world.deliver(world.closed, closing=True)
    result = _pass(config, minutes=1)
    if edit == "moved":
        assert [(a.op, a.key) for a in result.actions] == [("delete", key)]
        assert list(_items(world)) == []
    else:
        assert [(a.op, a.key) for a in result.actions] == [("orphan", key)]
        assert list(_items(world)) == [key]


def test_update_that_landed_unrecorded_does_not_freeze_the_reminder(tmp_path: Path) -> None:
    world = crashlab.make_world(tmp_path / "w", sink="ics", count=1, closed=1)
    world.deliver(world.promises)
    _pass(_config(world), minutes=0)
    longer = _config(world, reminder_minutes=40)
    with pytest.raises(Died):
        _pass(longer, minutes=1, sink=DiesAt(_sink(longer), op="update", when="after"))
    _pass(longer, minutes=2)
    _pass(_config(world, reminder_minutes=50), minutes=3)
    [[event]] = _items(world).values()
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=50)
