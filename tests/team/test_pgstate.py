"""A rep's state in PostgreSQL: the SQLite store's own tests run on it, plus what only a shared server has
(one schema per mailbox, concurrent writers, dry-run snapshots, a server that goes away, private settings)."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from followup_sync.migrations import MIGRATIONS, SCHEMA_VERSION
from followup_sync.model import PassStats
from followup_sync.state import State
from followup_sync.team import pgstate
from followup_sync.team.pgstate import DatabaseUnavailable, open_state, schema_for
from tests import test_state as base
from tests.team.pg import PrivateCluster, bin_dir
from tests.test_state import T0, followup, meta, reminder_record

# The SQLite store's tests that use only the store's API run unchanged on PostgreSQL (the `state` fixture
# below): the same SQL, the same results.
test_messages_round_trip_and_insert_or_ignore = base.test_messages_round_trip_and_insert_or_ignore
test_messages_in_other_offsets_are_stored_as_utc = base.test_messages_in_other_offsets_are_stored_as_utc
test_followups_round_trip_every_field = base.test_followups_round_trip_every_field
test_pending_promises_round_trip_once_and_never_beside_their_follow_up = (
    base.test_pending_promises_round_trip_once_and_never_beside_their_follow_up
)
test_the_joint_flag_and_the_accepts_flag_round_trip = base.test_the_joint_flag_and_the_accepts_flag_round_trip
test_save_followups_refreshes_open_ones = base.test_save_followups_refreshes_open_ones
test_save_followups_never_reopens_or_changes_closed_keys = (
    base.test_save_followups_never_reopens_or_changes_closed_keys
)
test_set_status_checks_its_arguments = base.test_set_status_checks_its_arguments
test_reminders_round_trip_replace_and_drop = base.test_reminders_round_trip_replace_and_drop
test_an_href_belongs_to_one_key = base.test_an_href_belongs_to_one_key
test_orphans_are_noted_once = base.test_orphans_are_noted_once
test_runs_round_trip = base.test_runs_round_trip
test_dry_runs_do_not_count_as_the_last_good_pass = base.test_dry_runs_do_not_count_as_the_last_good_pass
test_naive_datetimes_are_refused = base.test_naive_datetimes_are_refused
test_transaction_rolls_back_on_error_and_nests = base.test_transaction_rolls_back_on_error_and_nests


def mailbox() -> str:
    return f"rep-{secrets.token_hex(4)}@contoso.example"


@pytest.fixture
def state(pg_dsn: str) -> Iterator[State]:
    s = open_state(pg_dsn, mailbox())
    yield s
    s.close()


def columns(dsn: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = %s ORDER BY table_name, ordinal_position""",
            (schema,),
        ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def test_every_migration_builds_the_same_tables_and_columns_as_sqlite(pg_dsn: str, tmp_path: Path) -> None:
    box = mailbox()
    with open_state(pg_dsn, box) as s:
        assert s.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    pg = columns(pg_dsn, schema_for(box))
    lite = sqlite3.connect(tmp_path / "s.db")
    State.open(tmp_path / "s.db").close()
    tables = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    expected = {t: [r[1] for r in lite.execute(f"PRAGMA table_info({t})")] for t in tables}
    assert {t: [c for c, _ in cols] for t, cols in pg.items()} == expected
    assert ("value", "bytea") in pg["source_memory"]
    assert not {c for cols in pg.values() for c, _ in cols} & {"body", "text", "html", "content"}


def test_a_second_open_migrates_nothing_and_keeps_the_data(pg_dsn: str) -> None:
    box = mailbox()
    with open_state(pg_dsn, box) as s:
        s.save_followups([followup("k1")])
    with open_state(pg_dsn, box) as s:
        assert [r.followup.key for r in s.followups()] == ["k1"]
        assert s.schema_version == SCHEMA_VERSION


def test_each_mailbox_is_a_schema_of_its_own_and_a_pass_cannot_see_another(pg_dsn: str) -> None:
    alice, bob = mailbox(), mailbox()
    with open_state(pg_dsn, alice) as a, open_state(pg_dsn, bob) as b:
        a.save_followups([followup("alice-1")])
        b.save_followups([followup("bob-1")])
        assert [r.followup.key for r in a.followups()] == ["alice-1"]
        assert [r.followup.key for r in b.followups()] == ["bob-1"]
        # the connection's search_path is the rep's schema alone
        assert a._rows("SHOW search_path")[0][0] == schema_for(alice)
    assert schema_for(alice) != schema_for(bob)
    assert schema_for("Alice@Contoso.example") == schema_for("alice@contoso.example")


def test_source_memory_prefix_ranges_sort_bytewise_like_sqlite(state: State, tmp_path: Path) -> None:
    """Keys are compared in SQLite's binary order (COLLATE "C"), not the server's locale, which would put
    "a-b" next to "ab"."""
    keys = ["a", "a-b", "a.b", "ab", "aB", "A", "a/", "a0", "ä", "b"]
    with State.open(tmp_path / "s.db") as lite:
        for store in (state, lite):
            mem = store.source_memory("maildir:/x")
            for k in keys:
                mem.put(k, k.encode())
            with store.transaction():
                mem.commit()
        for prefix in ("a", "a-", "A", "ä", ""):
            assert list(state.source_memory("maildir:/x").items(prefix)) == list(
                lite.source_memory("maildir:/x").items(prefix)
            )
    state.forget_sources(keep="maildir:/x")
    assert len(list(state.source_memory("maildir:/x").items(""))) == len(keys)
    state.forget_sources(keep=None)
    assert list(state.source_memory("maildir:/x").items("")) == []


def test_prune_keeps_the_latest_and_the_latest_good_run(state: State) -> None:
    for i, ok in enumerate([True, True, False]):
        run = state.begin_run(started=T0 + timedelta(hours=i), window_start=T0, window_end=T0, dry_run=False)
        state.finish_run(run, finished=T0 + timedelta(hours=i), ok=ok, stats=PassStats())
    state.add_messages([meta(1, sent_at=T0), meta(2, sent_at=T0 + timedelta(days=9))])
    counts = state.prune(before=T0 + timedelta(days=5))
    assert counts == {"followups": 0, "messages": 1, "runs": 1}
    last, good = state.last_run(), state.last_run(ok_only=True)
    assert last is not None and good is not None
    assert (last.ok, good.started) == (False, T0 + timedelta(hours=1))


def test_a_dry_run_snapshot_reads_the_store_and_writes_nothing(pg_dsn: str) -> None:
    box = mailbox()
    with open_state(pg_dsn, box) as s:
        s.save_followups([followup("k1")])
    with open_state(pg_dsn, box, snapshot=True) as snap:
        assert [r.followup.key for r in snap.followups()] == ["k1"]
        snap.save_followups([followup("k2")])
        with snap.transaction():
            snap.put_reminder(reminder_record("k2"))
        run = snap.begin_run(started=T0, window_start=T0, window_end=T0, dry_run=True)
        assert run >= 1
        assert sorted(r.followup.key for r in snap.followups()) == ["k1", "k2"]
    with open_state(pg_dsn, box) as s:
        assert [r.followup.key for r in s.followups()] == ["k1"]
        assert s.reminders() == {} and s.last_run() is None


def test_a_dry_run_of_a_new_mailbox_leaves_no_tables_behind(pg_dsn: str) -> None:
    box = mailbox()
    with open_state(pg_dsn, box, snapshot=True) as snap:
        snap.save_followups([followup("k1")])
    assert columns(pg_dsn, schema_for(box)) == {}


def test_transactions_of_two_connections_to_one_store_take_turns(pg_dsn: str) -> None:
    """Like SQLite's BEGIN IMMEDIATE: a second writer waits for the first to commit, then sees its rows."""
    box = mailbox()
    first, second = open_state(pg_dsn, box), open_state(pg_dsn, box)
    order: list[str] = []
    try:
        with first.transaction():
            first.save_followups([followup("k1")])

            def other() -> None:
                with second.transaction():
                    order.append("second in")
                    order.append(f"sees {len(second.followups())}")

            t = threading.Thread(target=other)
            t.start()
            time.sleep(0.3)
            order.append("first commits")
        t.join(10)
        assert order == ["first commits", "second in", "sees 1"]
    finally:
        first.close()
        second.close()


def test_connection_settings_come_from_the_environment_or_a_private_file(tmp_path: Path) -> None:
    env = {pgstate.DSN_ENV: "host=db.example dbname=team"}
    assert pgstate.conninfo(None, env=env) == "host=db.example dbname=team"
    secret = tmp_path / "database"
    secret.write_text("postgresql://team:s3cret@db.example/team\n")
    secret.chmod(0o640)
    with pytest.raises(Exception, match="chmod 600") as info:
        pgstate.conninfo(secret, env={})
    assert "s3cret" not in str(info.value)
    secret.chmod(0o600)
    assert pgstate.conninfo(secret, env={}) == "postgresql://team:s3cret@db.example/team"
    assert pgstate.conninfo(None, env={}) == ""  # libpq's own PG* variables and password file


@pytest.mark.slow
def test_a_server_that_goes_away_is_a_transient_error_and_the_store_is_intact_after(tmp_path: Path) -> None:
    if bin_dir() is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) to start a private cluster")
    cluster = PrivateCluster()
    try:
        dsn = cluster.dsn
        box = mailbox()
        with open_state(dsn, box) as s:
            s.save_followups([followup("k1")])
            cluster.restart(crash=True)
            with pytest.raises(DatabaseUnavailable):
                s.save_followups([followup("k2")])
        with open_state(dsn, box) as s:
            assert [r.followup.key for r in s.followups()] == ["k1"]
        cluster.stop()
        with pytest.raises(DatabaseUnavailable, match="unreachable"):
            open_state(dsn, box)
    finally:
        cluster.close()


def test_translate_only_touches_what_differs() -> None:
    assert pgstate.translate("SELECT * FROM t WHERE a = ? AND b LIKE 'x%'") == (
        "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'"
    )
    ddl = pgstate.translate("CREATE TABLE x (id INTEGER PRIMARY KEY, v BLOB NOT NULL, k TEXT) WITHOUT ROWID")
    identity = "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    assert ddl == f'CREATE TABLE x ({identity}, v BYTEA NOT NULL, k TEXT COLLATE "C")'


def reps_side(state: State) -> list[object]:
    """The rep's side of the store (issue 12: people, answers and the learning, mutes, snoozes, the daily
    release, listing) driven through its public functions; everything it read back, for comparison."""
    from followup_sync import userdata
    from followup_sync.control import answers, learning, listing
    from followup_sync.people import Person

    seen: list[object] = []
    keys = ["a1b2c3d4", "a1b2ffff", "b0000001", "c0000002", "d0000003"]
    state.save_followups(
        [followup(keys[0]), followup(keys[1], contacts=("ann@client.example",)),
         followup(keys[2], kind="question", contacts=("bob@shop.example",)),
         followup(keys[3], kind="question", contacts=("cy@shop.example",)),
         followup(keys[4], contacts=("dee@gmail.com",))],
        now=T0,
    )  # fmt: skip
    ann = "ann@client.example"
    userdata.save_people(state, [Person(ann, name="Ann", seen=T0),
                                 Person(ann, company="Client", source="signature", seen=T0)])  # fmt: skip
    # an older saying never overwrites a newer one; an empty field keeps what was known
    userdata.save_people(state, [Person(ann, name="Old", seen=T0 - timedelta(days=1)),
                                 Person(ann, phone="+1 555 0100", source="signature",
                                        seen=T0 + timedelta(hours=1))])  # fmt: skip
    seen.append(sorted((a, vars(p)) for a, p in userdata.people(state, ["ann@client.example", "x@y.z"]).items()))
    # an id prefix names one follow-up, or says it is ambiguous
    seen.append(answers.find(state, "b000").followup.key)
    with pytest.raises(Exception, match="names 2 follow-ups"):
        answers.find(state, "a1b2")
    # two dismissals in a row of questions from one domain: the learning mutes that kind there
    for i, key in enumerate(keys[2:4]):
        out = answers.answer(state, answers.find(state, key), "dismiss", via="cli", now=T0 + timedelta(minutes=i))
        seen.append((out.said, out.learnt))
    out = answers.answer(state, answers.find(state, keys[0]), "not_a_promise", via="calendar", now=T0)
    seen.append((out.said, out.learnt))
    out = answers.answer(state, answers.find(state, keys[1]), "snooze", via="review", now=T0,
                         until=T0 + timedelta(days=3))  # fmt: skip
    seen.append(out.said)
    seen.append(learning.learn(state, now=T0 + timedelta(hours=1)))  # nothing new: nothing learnt twice
    seen.append([(r.id, r.answer, r.learnt) for r in userdata.answers(state)])
    seen.append(answers.mute(state, "shop.example", now=T0))
    seen.append(answers.mute(state, "shop.example", now=T0))  # the same rule twice is one rule
    seen.append(answers.learnt_lines(state))
    rules, reopened = answers.unmute(state, "shop.example", now=T0)
    seen.append(([r.mute.describe() for r in rules], reopened))
    seen.append(userdata.preferences(state))
    # the daily release: today's stay released, the queue is replaced at each plan
    today = T0.date()
    userdata.plan_release(state, {keys[4]: today, keys[1]: today + timedelta(days=1)}, today=today)
    userdata.plan_release(state, {keys[1]: today + timedelta(days=2)}, today=today)
    seen.append((sorted(userdata.released(state, keys, today=today)), sorted(userdata.queue(state, keys).items()),
                 userdata.released_on(state, today)))  # fmt: skip
    seen.append([(r.followup.key, r.queued, r.snoozed, r.released) for r in listing.rows(state, today=today)])
    userdata.prune(state, before=T0 + timedelta(days=400))
    seen.append((userdata.people(state, ["ann@client.example"]), userdata.answers(state),
                 sorted(userdata.queue(state, keys).items())))  # fmt: skip
    return seen


def test_the_reps_answers_learning_and_release_read_the_same_on_postgresql_as_on_sqlite(
    state: State, tmp_path: Path
) -> None:
    with State.open(tmp_path / "state.db") as lite:
        want = reps_side(lite)
    assert reps_side(state) == want
