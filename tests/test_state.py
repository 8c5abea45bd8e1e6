"""The SQLite state: schema and migrations, file modes, round trips, transactions, snapshots, damaged files."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from followup_sync.errors import TransientError, UserError
from followup_sync.migrations import MIGRATIONS, SCHEMA_VERSION, m001_initial
from followup_sync.model import FollowUp, MessageMeta, PassStats, PendingPromise
from followup_sync.state import (
    EVIDENCE_MAX,
    ReminderRecord,
    State,
    StateCorrupt,
    StateError,
    StateLocked,
)

T0 = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)

EXPECTED_COLUMNS = {
    "messages": [
        "id",
        "thread_key",
        "sender",
        "recipients",
        "sent_at",
        "from_me",
        "subject_key",
        "conversation_id",
        "automatic",
        "bulk",
        "asked",
        "accepts",
    ],
    "followups": [
        "key",
        "kind",
        "origin_id",
        "thread_key",
        "contacts",
        "due",
        "due_has_time",
        "deadline",
        "channel",
        "evidence",
        "thread_subject",
        "link",
        "not_before",
        "attempt",
        "created_at",
        "status",
        "closed_reason",
        "first_seen",
        "updated",
        "joint",
    ],
    "reminders": ["key", "sink", "href", "etag", "content_hash", "start", "user_owned"],
    "runs": ["id", "started", "finished", "window_start", "window_end", "dry_run", "ok", "stats", "problems"],
    "orphans": ["sink", "href", "key", "first_seen"],
    "source_memory": ["source", "key", "value"],
    "people": ["address", "source", "name", "company", "phone", "seen"],
    "answers": ["id", "key", "answer", "kind", "contacts", "via", "at", "until", "learnt"],
    "pending_promises": [
        "key",
        "origin_id",
        "thread_key",
        "contacts",
        "due",
        "due_has_time",
        "deadline",
        "channel",
        "evidence",
        "thread_subject",
        "link",
        "created_at",
        "joint",
        "due_text",
        "first_seen",
    ],
    "mutes": ["id", "what", "value", "kind", "origin_key", "origin", "created"],
    "snoozes": ["key", "until", "at"],
    "released": ["key", "day"],
    "_migrations": ["name", "applied"],
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.db"


@pytest.fixture
def state(db_path: Path) -> Iterator[State]:
    s = State.open(db_path)
    yield s
    s.close()


def meta(i: int, *, sent_at: datetime = T0, **kw: object) -> MessageMeta:
    fields: dict[str, object] = {
        "id": f"m{i}@example.com",
        "thread_key": f"t{i % 3}",
        "sender": "rep@acme.example",
        "recipients": ("buyer@client.example", "cc@client.example"),
        "sent_at": sent_at,
        "from_me": True,
        "subject_key": "abc123",
    }
    fields.update(kw)
    return MessageMeta(**fields)  # type: ignore[arg-type]


def followup(key: str = "k1", **kw: object) -> FollowUp:
    fields: dict[str, object] = {
        "key": key,
        "kind": "promise",
        "origin_id": "m1@example.com",
        "thread_key": "t1",
        "contacts": ("buyer@client.example",),
        "due": T0 + timedelta(days=2),
        "evidence": "I'll call you Wednesday at 2pm.",
        "thread_subject": "Pricing for Q3 — Ünïcode",
        "created_at": T0,
    }
    fields.update(kw)
    return FollowUp(**fields)  # type: ignore[arg-type]


def reminder_record(key: str = "k1", **kw: object) -> ReminderRecord:
    fields: dict[str, object] = {
        "key": key,
        "sink": "memory",
        "href": f"{key}.ics",
        "etag": '"1"',
        "content_hash": "h1",
        "start": T0 + timedelta(days=2),
        "user_owned": False,
    }
    fields.update(kw)
    return ReminderRecord(**fields)  # type: ignore[arg-type]


# --- schema and migrations ------------------------------------------------------------------------------


def test_blank_database_gets_the_expected_schema(state: State, db_path: Path) -> None:
    raw = sqlite3.connect(db_path)
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == set(EXPECTED_COLUMNS)
    for table, columns in EXPECTED_COLUMNS.items():
        assert [r[1] for r in raw.execute(f"PRAGMA table_info({table})")] == columns, table
    indexes = {
        r[1]: r[2] for r in raw.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE type='index'")
    }
    assert indexes["messages_thread_key"] == "messages"
    assert indexes["messages_sent_at"] == "messages"
    fks = list(raw.execute("PRAGMA foreign_key_list(reminders)"))
    assert [(r[2], r[3], r[4]) for r in fks] == [("followups", "key", "key")]
    assert [r[0] for r in raw.execute("SELECT name FROM _migrations")] == [fn.__name__ for fn in MIGRATIONS]
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == state.schema_version
    raw.close()


def test_migration_names_follow_the_pattern() -> None:
    assert all(fn.__name__.startswith(f"m{i + 1:03d}_") for i, fn in enumerate(MIGRATIONS))


def test_second_open_is_a_no_op(db_path: Path) -> None:
    with State.open(db_path) as s:
        s.add_messages([meta(1)])
    raw = sqlite3.connect(db_path)
    before = list(raw.execute("SELECT name, applied FROM _migrations"))
    schema = list(raw.execute("SELECT sql FROM sqlite_master ORDER BY name"))
    raw.close()
    with State.open(db_path) as s:
        assert [m.id for m in s.messages()] == ["m1@example.com"]
    raw = sqlite3.connect(db_path)
    assert list(raw.execute("SELECT name, applied FROM _migrations")) == before
    assert list(raw.execute("SELECT sql FROM sqlite_master ORDER BY name")) == schema
    raw.close()


def test_a_version_1_database_is_migrated_and_keeps_its_messages(db_path: Path) -> None:
    # A file written before m002 (messages without ``asked``), made with the original migration itself.
    db_path.parent.mkdir(mode=0o700)
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
    m001_initial(raw)
    raw.execute("INSERT INTO _migrations VALUES ('m001_initial', '2026-11-01T00:00:00+00:00')")
    raw.execute(
        "INSERT INTO messages VALUES ('old@example.com', 't1', 'rep@acme.example', '[\"buyer@client.example\"]',"
        " '2026-03-02T14:30:00.000000+00:00', 1, 'abc123', NULL, 0, 0)"
    )
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()
    os.chmod(db_path, 0o600)
    untouched = db_path.read_bytes()
    with State.snapshot(db_path) as snap:  # --dry-run migrates its private copy, never the file
        assert [(m.id, m.asked) for m in snap.messages()] == [("old@example.com", False)]
    assert db_path.read_bytes() == untouched
    with State.open(db_path) as s:
        [old] = s.messages()
        assert old == MessageMeta(
            id="old@example.com",
            thread_key="t1",
            sender="rep@acme.example",
            recipients=("buyer@client.example",),
            sent_at=T0,
            from_me=True,
            subject_key="abc123",
            asked=False,
        )
        s.add_messages([meta(2, sent_at=T0 + timedelta(hours=1), asked=True)])
        assert [m.asked for m in s.messages()] == [False, True]
        assert s.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(db_path)
    assert [r[0] for r in raw.execute("SELECT name FROM _migrations")] == [fn.__name__ for fn in MIGRATIONS]
    assert [r[1] for r in raw.execute("PRAGMA table_info(messages)")] == EXPECTED_COLUMNS["messages"]
    raw.close()


def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    State.open(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute("INSERT INTO _migrations VALUES ('m999_future', '2030-01-01')")
    raw.commit()
    raw.close()
    with pytest.raises(UserError, match="newer followup-sync"):
        State.open(db_path)


def test_foreign_keys_are_enforced(state: State) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        state.put_reminder(reminder_record("no-such-followup"))


# --- files ----------------------------------------------------------------------------------------------


def test_folder_and_file_are_private_even_with_a_loose_umask(db_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with State.open(db_path) as s:
            s.save_followups([followup()])
            with s.transaction():
                s.put_reminder(reminder_record())
                # The rollback journal exists while a write transaction is open.
                side_files = [p for p in db_path.parent.iterdir() if p != db_path]
                modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in side_files}
                assert modes, "expected the rollback journal to exist during a write"
    finally:
        os.umask(old)
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def test_existing_file_with_loose_mode_is_tightened(db_path: Path) -> None:
    State.open(db_path).close()
    db_path.chmod(0o644)
    State.open(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_no_mail_body_columns_and_evidence_is_capped(state: State, db_path: Path) -> None:
    long = "I'll send the revised pricing tomorrow. " * 30
    state.save_followups([followup(evidence=long)])
    (rec,) = state.followups()
    assert rec.followup.evidence == long[:EVIDENCE_MAX]
    raw = sqlite3.connect(db_path)
    columns = {r[1] for t in EXPECTED_COLUMNS for r in raw.execute(f"PRAGMA table_info({t})")}
    raw.close()
    assert not columns & {"body", "text", "html", "content"}


# --- round trips ----------------------------------------------------------------------------------------


def test_messages_round_trip_and_insert_or_ignore(state: State) -> None:
    metas = [
        meta(1, sent_at=T0),
        meta(
            2, sent_at=T0 + timedelta(hours=1), from_me=False, conversation_id="AAQk=", automatic=True, bulk=True
        ),
        meta(3, sent_at=T0 + timedelta(microseconds=1), recipients=(), asked=True),
    ]
    state.add_messages(metas)
    state.add_messages([meta(1, sent_at=T0, thread_key="changed")])
    got = state.messages()
    assert got == [metas[0], metas[2], metas[1]]
    assert all(m.sent_at.tzinfo is UTC for m in got)
    assert state.messages(since=T0 + timedelta(microseconds=1)) == [metas[2], metas[1]]


def test_messages_in_other_offsets_are_stored_as_utc(state: State) -> None:
    # MessageMeta only accepts UTC; the stored text is fixed-width UTC so that text order is time order.
    state.add_messages([meta(1, sent_at=datetime(2026, 1, 1, 23, 59, 59, 999999, tzinfo=UTC))])
    state.add_messages([meta(2, sent_at=datetime(2026, 1, 2, tzinfo=UTC))])
    assert [m.id for m in state.messages(since=datetime(2026, 1, 2, tzinfo=UTC))] == ["m2@example.com"]


def test_pending_promises_round_trip_once_and_never_beside_their_follow_up(state: State) -> None:
    waiting = PendingPromise(followup("p1", channel="other", deadline=True, joint=True), "within two days")
    plain = PendingPromise(followup("p2"))
    state.save_pending([waiting, plain], now=T0)
    state.save_pending([replace(waiting, due_text="changed")], now=T0)  # kept once, as first seen
    assert state.pending_promises() == [waiting, plain]
    state.drop_pending(["p1"])
    assert state.pending_promises() == [plain]
    state.save_followups([followup("p3")], now=T0)
    state.save_pending([PendingPromise(followup("p3"))], now=T0)  # already a follow-up: not pending again
    assert state.pending_promises() == [plain]


def test_the_joint_flag_and_the_accepts_flag_round_trip(state: State) -> None:
    state.save_followups([followup("j1", joint=True), followup("j2")], now=T0)
    assert [r.followup.joint for r in state.followups()] == [True, False]
    state.add_messages([meta(1, accepts=True), meta(2)])
    assert [m.accepts for m in state.messages()] == [True, False]


def test_followups_round_trip_every_field(state: State) -> None:
    full = followup(
        "k2",
        kind="awaiting_reply",
        contacts=("a@x.example", "b@y.example"),
        due_has_time=True,
        deadline=True,
        channel="call",
        link="https://outlook.example/?ItemID=1",
        not_before=T0 + timedelta(days=5),
        attempt=3,
    )
    minimal = followup("k1")
    state.save_followups([full, minimal], now=T0)
    records = state.followups()
    assert [r.followup for r in records] == [minimal, full]
    assert all(r.status == "open" and r.closed_reason is None for r in records)
    assert records[1].followup.not_before is not None
    assert records[1].followup.not_before.tzinfo is UTC


def test_save_followups_refreshes_open_ones(state: State) -> None:
    state.save_followups([followup(due=T0)])
    moved = followup(due=T0 + timedelta(days=7), attempt=2)
    state.save_followups([moved])
    assert [r.followup for r in state.followups()] == [moved]


@pytest.mark.parametrize("status", ["closed", "dismissed"])
def test_save_followups_never_reopens_or_changes_closed_keys(state: State, status: str) -> None:
    original = followup()
    state.save_followups([original])
    state.set_status("k1", status, "answered")  # type: ignore[arg-type]
    state.save_followups([followup(due=T0 + timedelta(days=30), evidence="new")])
    (rec,) = state.followups()
    assert (rec.status, rec.closed_reason, rec.followup) == (status, "answered", original)
    assert state.followups(status="open") == []
    assert [r.followup.key for r in state.followups(status=status)] == ["k1"]  # type: ignore[arg-type]


def test_set_status_checks_its_arguments(state: State) -> None:
    state.save_followups([followup()])
    with pytest.raises(KeyError):
        state.set_status("nope", "closed")
    with pytest.raises(ValueError, match="status must be one of"):
        state.set_status("k1", "done")  # type: ignore[arg-type]
    state.set_status("k1", "closed", "replied")
    state.set_status("k1", "open", "ignored")
    assert state.followups()[0].closed_reason is None


def test_set_statuses_sets_many_and_refuses_an_unknown_key_whole(state: State) -> None:
    state.save_followups([followup("k1"), followup("k2"), followup("k3")])
    state.set_statuses({"k1": "answered", "k2": "expired"}, "closed", now=T0)
    assert [(r.followup.key, r.status, r.closed_reason) for r in state.followups()] == [
        ("k1", "closed", "answered"),
        ("k2", "closed", "expired"),
        ("k3", "open", None),
    ]
    with pytest.raises(KeyError, match="nope"), state.transaction():
        state.set_statuses({"k3": "muted", "nope": "muted"}, "dismissed")
    assert state.followups(status="open")[0].followup.key == "k3"  # rolled back with the unknown key
    with pytest.raises(ValueError, match="status must be one of"):
        state.set_statuses({"k3": None}, "done")  # type: ignore[arg-type]
    state.set_statuses({}, "closed")


def test_open_followups_are_the_held_objects_when_equal(state: State) -> None:
    same, changed, closed = followup("k1"), followup("k2"), followup("k3")
    state.save_followups([same, changed, closed, followup("k4")])
    state.set_status("k3", "closed", "answered")
    held = {f.key: f for f in [same, replace(changed, evidence="not what was saved"), closed]}
    loaded = state.open_followups(held=held)
    assert loaded == [r.followup for r in state.followups(status="open")]
    assert [f.key for f in loaded] == ["k1", "k2", "k4"]
    assert loaded[0] is same and loaded[1] is not held["k2"]


def test_reminders_round_trip_replace_and_drop(state: State) -> None:
    state.save_followups([followup("k1"), followup("k2")])
    r1 = reminder_record("k1")
    r2 = reminder_record("k2", etag='W/"x"', user_owned=True, start=T0 + timedelta(minutes=1))
    state.put_reminder(r1)
    state.put_reminder(r2)
    assert state.reminders() == {"k1": r1, "k2": r2}
    r1b = reminder_record("k1", etag='"9"', content_hash="h2")
    state.put_reminder(r1b)
    assert state.reminders()["k1"] == r1b
    state.drop_reminder("k1")
    assert list(state.reminders()) == ["k2"]
    state.drop_reminder("k1")  # dropping twice is harmless


def test_an_href_belongs_to_one_key(state: State) -> None:
    state.save_followups([followup("k1"), followup("k2")])
    state.put_reminder(reminder_record("k1", href="same"))
    state.put_reminder(reminder_record("k2", href="same"))
    assert list(state.reminders()) == ["k2"]


def test_orphans_are_noted_once(state: State) -> None:
    assert state.note_orphan(sink="memory", href="x.ics", key="x") is True
    assert state.note_orphan(sink="memory", href="x.ics", key="x") is False
    assert state.note_orphan(sink="other", href="x.ics", key="x") is True


def test_runs_round_trip(state: State) -> None:
    assert state.last_run() is None
    first = state.begin_run(started=T0, window_start=T0 - timedelta(days=2), window_end=T0, dry_run=False)
    stats = PassStats(messages_read=5, created=2, errors=1, problems=["memory: create k1 failed"])
    state.finish_run(first, finished=T0 + timedelta(seconds=3), ok=True, stats=stats)
    later = T0 + timedelta(hours=1)
    second = state.begin_run(started=later, window_start=T0, window_end=later, dry_run=False)
    run = state.last_run()
    assert run is not None
    assert (run.id, run.finished, run.ok) == (second, None, False)
    ok = state.last_run(ok_only=True)
    assert ok is not None
    assert ok.id == first
    assert ok.started == T0
    assert ok.finished == T0 + timedelta(seconds=3)
    assert ok.window_start == T0 - timedelta(days=2)
    assert ok.window_end == T0
    assert ok.stats["messages_read"] == 5
    assert ok.stats["created"] == 2
    assert "problems" not in ok.stats
    assert ok.problems == ["memory: create k1 failed"]
    assert ok.dry_run is False
    with pytest.raises(KeyError):
        state.finish_run(999, finished=later, ok=True, stats=PassStats())


def test_dry_runs_do_not_count_as_the_last_good_pass(state: State) -> None:
    run = state.begin_run(started=T0, window_start=T0, window_end=T0, dry_run=True)
    state.finish_run(run, finished=T0, ok=True, stats=PassStats())
    assert state.last_run(ok_only=True) is None
    last = state.last_run()
    assert last is not None
    assert last.dry_run is True


def test_naive_datetimes_are_refused(state: State) -> None:
    with pytest.raises(ValueError, match="naive"):
        state.begin_run(started=datetime(2026, 1, 1), window_start=T0, window_end=T0, dry_run=False)


# --- transactions ---------------------------------------------------------------------------------------


def test_transaction_rolls_back_on_error_and_nests(state: State) -> None:
    with pytest.raises(RuntimeError), state.transaction():
        state.save_followups([followup("k1")])
        with state.transaction():
            state.add_messages([meta(1)])
        raise RuntimeError("boom")
    assert state.followups() == []
    assert state.messages() == []
    with state.transaction():
        state.save_followups([followup("k1")])
        state.put_reminder(reminder_record("k1"))
    assert list(state.reminders()) == ["k1"]


# --- snapshots ------------------------------------------------------------------------------------------


def test_snapshot_never_writes_the_file(db_path: Path) -> None:
    with State.open(db_path) as s:
        s.save_followups([followup("k1")])
        s.put_reminder(reminder_record("k1"))
    before = (db_path.read_bytes(), db_path.stat().st_mtime_ns)
    files = sorted(db_path.parent.iterdir())
    with State.snapshot(db_path) as snap:
        assert list(snap.reminders()) == ["k1"]
        snap.save_followups([followup("k2")])
        snap.set_status("k1", "closed")
        snap.drop_reminder("k1")
        run = snap.begin_run(started=T0, window_start=T0, window_end=T0, dry_run=True)
        snap.finish_run(run, finished=T0, ok=True, stats=PassStats())
        assert [r.followup.key for r in snap.followups(status="open")] == ["k2"]
    assert (db_path.read_bytes(), db_path.stat().st_mtime_ns) == before
    assert sorted(db_path.parent.iterdir()) == files
    with State.open(db_path) as s:
        assert [r.followup.key for r in s.followups()] == ["k1"]
        assert s.last_run() is None


HALF_WRITTEN = """
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA cache_size = 1")  # spill to the file (and the journal) before the commit
db.execute("BEGIN IMMEDIATE")
for i in range(3000):
    row = (f"id{i}" * 9, 't', 's', '[]', '2026', 1, 'k', None, 0, 0, 0, 0)
    db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
os._exit(1)  # killed mid-transaction: the rollback journal stays behind, "hot"
"""


def test_snapshot_after_a_killed_pass_rolls_back_a_copy_not_the_file(db_path: Path) -> None:
    with State.open(db_path) as s:
        s.add_messages([meta(1)])
    subprocess.run([sys.executable, "-c", HALF_WRITTEN, str(db_path)], check=False)
    journal = db_path.with_name(db_path.name + "-journal")
    assert journal.exists()
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (db_path, journal)}
    with State.snapshot(db_path) as snap:
        assert [m.id for m in snap.messages()] == ["m1@example.com"]
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (db_path, journal)} == before
    with State.open(db_path) as s:  # a real pass rolls the journal back itself
        assert [m.id for m in s.messages()] == ["m1@example.com"]
    assert not journal.exists()


def test_snapshot_of_a_missing_file_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "state.db"
    with State.snapshot(path) as snap:
        assert snap.followups() == []
        snap.save_followups([followup()])
    assert not path.parent.exists()


def test_memory_state_works_without_a_file() -> None:
    with State.memory() as s:
        s.save_followups([followup()])
        assert s.schema_version == SCHEMA_VERSION
        assert s.path == ":memory:"


# --- damaged and busy files -----------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_gives_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text("[identity]\naddresses = ['me@example.com']\n" * 50)
    for opener in (State.open, State.snapshot):
        with pytest.raises(StateCorrupt) as info:
            opener(db_path)
        assert isinstance(info.value, UserError)
        assert str(db_path) in str(info.value)
        assert "move it aside" in str(info.value)
        assert isinstance(info.value.__cause__, sqlite3.DatabaseError)


def test_a_truncated_database_gives_a_clear_error(db_path: Path) -> None:
    with State.open(db_path) as s:
        s.add_messages(meta(i, thread_key="t" * 40 + str(i)) for i in range(2000))
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    for opener in (State.open, State.snapshot):
        with pytest.raises(StateCorrupt, match="move it aside"):
            opener(db_path)


def test_a_path_that_cannot_be_a_database_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StateError, match="cannot create the state database") as info:
        State.open(blocker / "state.db")
    assert info.value.path == str(blocker / "state.db")
    folder = tmp_path / "folder.db"
    folder.mkdir()
    with pytest.raises(StateError, match="is not a file"):
        State.open(folder)
    assert stat.S_IMODE(folder.stat().st_mode) != 0o600  # left as it was
    with pytest.raises(StateError, match="cannot use the state database") as used:
        State.snapshot(folder)
    assert not isinstance(used.value, StateCorrupt)


def test_a_busy_database_is_a_transient_error(db_path: Path) -> None:
    State.open(db_path).close()
    s = State.open(db_path, busy_timeout=0.05)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateLocked) as info:
            s.add_messages([meta(1)])
        assert isinstance(info.value, TransientError)
        assert str(db_path) in str(info.value)
        with pytest.raises(StateLocked):
            State.open(db_path, busy_timeout=0.05)
    finally:
        other.execute("ROLLBACK")
        other.close()
    s.add_messages([meta(1)])
    assert len(s.messages()) == 1
    s.close()
