"""The decision table (one test per row of plan.build) and how plan.apply carries actions out."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from followup_sync import plan
from followup_sync.backends.base import Write, WriteResult
from followup_sync.backends.memory import MemorySink
from followup_sync.errors import BackendError, TransientError
from followup_sync.model import FollowUp, Reminder, RemoteItem
from followup_sync.plan import Action
from followup_sync.state import ReminderRecord, State

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def rem(key: str = "k1", *, hours: int = 0, subject: str = "Call Dana (Acme)") -> Reminder:
    start = T0 + timedelta(hours=hours)
    return Reminder(
        key, start, start + timedelta(minutes=15), "Europe/Berlin", subject, "I'll call you Wednesday."
    )


def rec(
    key: str = "k1", *, etag: str = '"1"', want: Reminder | None = None, user_owned: bool = False
) -> ReminderRecord:
    want = want or rem(key)
    return ReminderRecord(key, "memory", f"{key}.ics", etag, want.content_hash(), want.start, user_owned)


def item(
    key: str = "k1", *, etag: str = '"1"', hours: int = 0, href: str | None = None, typed: bool | None = False
) -> RemoteItem:
    """``typed``: the rep typed into the item (its text hash differs from the one we wrote); None: unknown."""
    written = "t-ours" if typed is not None else None
    return RemoteItem(
        key, href or f"{key}.ics", etag, T0 + timedelta(hours=hours), text_hash="t-theirs" if typed else "t-ours",
        written_text_hash=written,
    )  # fmt: skip


def one(
    desired: Mapping[str, Reminder],
    records: Mapping[str, ReminderRecord],
    remote: Mapping[str, RemoteItem],
    closed: tuple[str, ...] = (),
) -> Action:
    (action,) = plan.build(desired, records, remote, closed=closed)
    return action


# --- build: one test per row ----------------------------------------------------------------------------


def test_row_desired_no_record_no_remote_creates() -> None:
    a = one({"k1": rem()}, {}, {})
    assert (a.op, a.reminder, a.public_op) == ("create", rem(), "create")


def test_row_desired_no_record_remote_present_adopts_without_writing() -> None:
    a = one({"k1": rem()}, {}, {"k1": item(etag='"7"')})
    assert (a.op, a.href, a.etag, a.user_owned, a.public_op) == ("adopt", "k1.ics", '"7"', False, "keep")


def test_row_adopted_item_at_another_time_is_adopted_as_the_users() -> None:
    # Without a record we cannot tell our old time from the user's move; the user wins.
    a = one({"k1": rem(hours=2)}, {}, {"k1": item(etag='"7"', hours=5)})
    assert (a.op, a.user_owned, a.start) == ("adopt", True, T0 + timedelta(hours=5))


def test_row_unchanged_remote_and_new_content_updates() -> None:
    a = one({"k1": rem(hours=24)}, {"k1": rec()}, {"k1": item()})
    assert (a.op, a.href, a.etag, a.reminder, a.public_op) == ("update", "k1.ics", '"1"', rem(hours=24), "update")


def test_row_unchanged_remote_and_same_content_keeps() -> None:
    a = one({"k1": rem()}, {"k1": rec()}, {"k1": item()})
    assert (a.op, a.user_owned, a.public_op) == ("keep", False, "keep")


def test_row_user_edited_remote_is_kept_as_user_owned_with_its_new_etag_and_time() -> None:
    a = one({"k1": rem(hours=24)}, {"k1": rec()}, {"k1": item(etag='"2"', hours=3)})
    assert (a.op, a.user_owned, a.etag, a.start) == ("keep", True, '"2"', T0 + timedelta(hours=3))
    assert a.reason == "changed by the user"


def test_row_item_at_another_href_counts_as_changed_by_the_user() -> None:
    a = one({"k1": rem()}, {"k1": rec()}, {"k1": item(href="elsewhere")})
    assert (a.op, a.user_owned, a.href) == ("keep", True, "elsewhere")


def test_row_user_owned_record_is_never_updated_again() -> None:
    a = one({"k1": rem(hours=48, subject="OVERDUE: Call Dana")}, {"k1": rec(user_owned=True)}, {"k1": item()})
    assert (a.op, a.user_owned) == ("keep", True)


def test_row_desired_recorded_but_missing_remote_is_dismissed() -> None:
    a = one({"k1": rem()}, {"k1": rec()}, {})
    assert (a.op, a.public_op, a.reason) == ("dismiss", None, "deleted by the user")


@pytest.mark.parametrize("typed", [False, True, None])
def test_row_closed_with_unchanged_remote_is_deleted(typed: bool | None) -> None:
    # untouched since we wrote it (the etag proves it): it goes whatever the text hashes say
    a = one({}, {"k1": rec()}, {"k1": item(typed=typed)}, closed=("k1",))
    assert (a.op, a.href, a.etag, a.public_op) == ("delete", "k1.ics", '"1"', "delete")


def test_row_closed_and_only_moved_by_the_user_is_deleted_at_its_new_etag() -> None:
    a = one({}, {"k1": rec()}, {"k1": item(etag='"2"', hours=5)}, closed=("k1",))
    assert (a.op, a.etag, a.public_op) == ("delete", '"2"', "delete")
    # also when an earlier pass already saw the move and recorded the reminder as theirs
    a = one({}, {"k1": rec(etag='"2"', user_owned=True)}, {"k1": item(etag='"2"', hours=5)}, closed=("k1",))
    assert (a.op, a.etag) == ("delete", '"2"')


@pytest.mark.parametrize("typed", [True, None])
@pytest.mark.parametrize("seen_before", [False, True])
def test_row_closed_with_text_typed_by_the_user_stays(typed: bool | None, seen_before: bool) -> None:
    # the rep typed a note into it (or the sink cannot tell): never deleted, remembered as theirs
    record = rec(etag='"2"', user_owned=True) if seen_before else rec()
    a = one({}, {"k1": record}, {"k1": item(etag='"2"', typed=typed)}, closed=("k1",))
    assert (a.op, a.user_owned, a.etag, a.reason) == ("keep", True, '"2"', "edited by the user")


@pytest.mark.parametrize("closed", [(), ("k1",)])
def test_row_not_desired_recorded_missing_remote_is_forgotten(closed: tuple[str, ...]) -> None:
    a = one({}, {"k1": rec()}, {}, closed=closed)
    assert (a.op, a.reason) == ("forget", "no longer in the sink")


@pytest.mark.parametrize("closed", [(), ("k1",)])
def test_row_not_desired_not_recorded_remote_present_is_an_orphan(closed: tuple[str, ...]) -> None:
    a = one({}, {}, {"k1": item()}, closed=closed)
    assert (a.op, a.href, a.public_op) == ("orphan", "k1.ics", None)


def test_row_held_back_but_not_closed_is_kept_as_it_is() -> None:
    a = one({}, {"k1": rec()}, {"k1": item()})
    assert (a.op, a.reminder, a.public_op) == ("keep", None, "keep")


def test_closed_wins_over_desired() -> None:
    a = one({"k1": rem()}, {"k1": rec()}, {"k1": item()}, closed=("k1",))
    assert a.op == "delete"
    assert plan.build({"k1": rem()}, {}, {}, closed=("k1",)) == []


def test_build_is_sorted_by_key_and_deterministic() -> None:
    desired = {k: rem(k) for k in ("c", "a", "b")}
    actions = plan.build(desired, {}, {"z": item("z")}, closed=())
    assert [a.key for a in actions] == ["a", "b", "c", "z"]
    assert plan.build(desired, {}, {"z": item("z")}, closed=()) == actions


# --- apply ----------------------------------------------------------------------------------------------


@pytest.fixture
def state() -> Iterator[State]:
    s = State.memory()
    s.save_followups([followup(k) for k in ("k1", "k2", "k3")])
    yield s
    s.close()


def followup(key: str) -> FollowUp:
    return FollowUp(key, "promise", f"{key}@mail", "t1", ("dana@acme.example",), T0, "I'll call.", "Pricing", T0)


def run(
    sink: MemorySink, state: State, desired: Mapping[str, Reminder], closed: tuple[str, ...] = ()
) -> tuple[list[Action], list[tuple[Action, Exception]]]:
    errors: list[tuple[Action, Exception]] = []
    remote = {i.key: i for i in sink.list()}
    actions = plan.build(desired, state.reminders(), remote, closed=closed)
    plan.apply(actions, sink=sink, state=state, on_error=lambda a, e: errors.append((a, e)))
    return actions, errors


def no_error(action: Action, exc: Exception) -> None:
    raise AssertionError(f"unexpected error for {action}: {exc}")


def test_create_writes_the_sink_then_the_record(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    caplog.set_level(logging.INFO, logger="followup_sync")
    stats = plan.apply([Action("create", "k1", rem())], sink=sink, state=state, on_error=no_error)
    ((href, (written, etag)),) = sink.items.items()
    assert written == rem()
    assert state.reminders()["k1"] == ReminderRecord("k1", "memory", href, etag, rem().content_hash(), T0, False)
    assert stats.created == 1
    assert caplog.messages == ["Creating reminder k1 in memory"]


def test_create_of_an_existing_key_adopts_instead_of_duplicating(
    state: State, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MemorySink()
    sink.create(rem())  # written by a pass that died before recording it
    caplog.set_level(logging.INFO, logger="followup_sync")
    stats = plan.apply([Action("create", "k1", rem())], sink=sink, state=state, on_error=no_error)
    assert len(sink.items) == 1
    assert state.reminders()["k1"].etag == sink.items["k1.ics"][1]
    assert (stats.created, stats.kept) == (0, 1)
    assert caplog.messages == ["Creating reminder k1 in memory", "Adopting reminder k1 found in memory"]


def test_update_rewrites_and_records_the_new_etag(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    caplog.set_level(logging.INFO, logger="followup_sync")
    actions, errors = run(sink, state, {"k1": rem(hours=24)})
    assert [a.op for a in actions] == ["update"]
    assert errors == []
    assert sink.items["k1.ics"][0] == rem(hours=24)
    record = state.reminders()["k1"]
    assert (record.etag, record.content_hash, record.start) == (
        sink.items["k1.ics"][1],
        rem(hours=24).content_hash(),
        T0 + timedelta(hours=24),
    )
    assert caplog.messages == ["Updating reminder k1 in memory"]


def test_update_that_loses_to_a_user_edit_leaves_it_alone(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    actions = plan.build({"k1": rem(hours=24)}, state.reminders(), {i.key: i for i in sink.list()}, closed=())
    sink.user_edit("k1.ics", subject="Call Dana — moved to Friday")  # between planning and writing
    caplog.set_level(logging.INFO, logger="followup_sync")
    stats = plan.apply(actions, sink=sink, state=state, on_error=no_error)
    assert sink.items["k1.ics"][0].subject == "Call Dana — moved to Friday"
    assert state.reminders()["k1"].user_owned is True
    assert (stats.updated, stats.kept, stats.errors) == (0, 1, 0)
    assert caplog.messages == [
        "Updating reminder k1 in memory",
        "Reminder k1 was changed by the user; leaving it alone",
    ]
    # The next pass records the user's etag and never writes again.
    actions, _ = run(sink, state, {"k1": rem(hours=48)})
    assert [(a.op, a.user_owned) for a in actions] == [("keep", True)]
    assert state.reminders()["k1"].etag == sink.items["k1.ics"][1]
    assert [a.op for a in run(sink, state, {"k1": rem(hours=72)})[0]] == ["keep"]
    assert sink.items["k1.ics"][0].subject == "Call Dana — moved to Friday"


def test_delete_removes_the_item_and_the_record(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    state.set_status("k1", "closed", "replied")
    caplog.set_level(logging.INFO, logger="followup_sync")
    actions, _ = run(sink, state, {}, closed=("k1",))
    assert [a.op for a in actions] == ["delete"]
    assert sink.items == {}
    assert state.reminders() == {}
    assert caplog.messages == ["Deleting reminder k1 from memory"]


def test_delete_that_loses_to_a_user_edit_leaves_the_item(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    actions = plan.build({}, state.reminders(), {i.key: i for i in sink.list()}, closed=("k1",))
    sink.user_edit("k1.ics", body="my notes")
    caplog.set_level(logging.INFO, logger="followup_sync")
    stats = plan.apply(actions, sink=sink, state=state, on_error=no_error)
    assert sink.items["k1.ics"][0].body == "my notes"
    assert state.reminders() == {}
    assert (stats.deleted, stats.errors) == (0, 0)
    assert caplog.messages[-1] == "Reminder k1 was changed by the user; leaving it alone"


def test_user_edit_between_passes_is_recorded_without_a_write(
    state: State, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    sink.user_edit("k1.ics", start=T0 + timedelta(hours=5), end=T0 + timedelta(hours=6))
    writes = sink.writes
    caplog.set_level(logging.INFO, logger="followup_sync")
    actions, _ = run(sink, state, {"k1": rem(hours=1)})
    assert [a.op for a in actions] == ["keep"]
    assert sink.writes == writes
    record = state.reminders()["k1"]
    assert (record.user_owned, record.etag, record.start) == (
        True,
        sink.items["k1.ics"][1],
        T0 + timedelta(hours=5),
    )
    assert caplog.messages == ["Reminder k1 was changed by the user; leaving it alone"]


def test_adopt_records_without_writing(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    sink.create(rem())
    writes = sink.writes
    caplog.set_level(logging.INFO, logger="followup_sync")
    actions, _ = run(sink, state, {"k1": rem()})
    assert [a.op for a in actions] == ["adopt"]
    assert sink.writes == writes
    assert state.reminders()["k1"].href == "k1.ics"
    assert caplog.messages == ["Adopting reminder k1 found in memory"]
    assert [a.op for a in run(sink, state, {"k1": rem()})[0]] == ["keep"]


def test_user_deleted_reminder_is_dismissed_and_never_recreated(
    state: State, caplog: pytest.LogCaptureFixture
) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    del sink.items["k1.ics"]
    caplog.set_level(logging.INFO, logger="followup_sync")
    actions, _ = run(sink, state, {"k1": rem()})
    assert [a.op for a in actions] == ["dismiss"]
    assert caplog.messages == ["Reminder k1 was deleted by the user; dismissing"]
    assert state.reminders() == {}
    (record,) = [r for r in state.followups() if r.followup.key == "k1"]
    assert (record.status, record.closed_reason) == ("dismissed", "reminder deleted by the user")
    # The caller passes dismissed keys as closed; even if it still desires them, nothing is written.
    state.save_followups([followup("k1")])
    actions, _ = run(sink, state, {"k1": rem()}, closed=("k1",))
    assert actions == []
    assert sink.items == {}


def test_forget_drops_the_record(state: State) -> None:
    sink = MemorySink()
    run(sink, state, {"k1": rem()})
    del sink.items["k1.ics"]
    actions, _ = run(sink, state, {}, closed=("k1",))
    assert [a.op for a in actions] == ["forget"]
    assert state.reminders() == {}


def test_orphans_are_warned_about_once(state: State, caplog: pytest.LogCaptureFixture) -> None:
    sink = MemorySink()
    sink.create(rem("stranger"))
    caplog.set_level(logging.INFO, logger="followup_sync")
    for _ in range(3):
        actions, _ = run(sink, state, {})
        assert [a.op for a in actions] == ["orphan"]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "stranger" in caplog.messages[0]
    assert list(sink.items) == ["stranger.ics"]


class FailingSink(MemorySink):
    """Fails creating the keys in ``fail``; with ``after_write`` the write happens and only the answer is lost."""

    def __init__(self, fail: set[str], *, after_write: bool = False) -> None:
        super().__init__()
        self.fail = fail
        self.after_write = after_write

    def create(self, reminder: Reminder) -> RemoteItem:
        if reminder.key in self.fail:
            if self.after_write:
                super().create(reminder)
            raise TransientError("503 Service Unavailable", backend=self.name)
        return super().create(reminder)


def test_a_failing_action_is_reported_and_the_rest_continue(state: State) -> None:
    sink = FailingSink({"k2"})
    actions, errors = run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3")})
    assert [(a.key, type(e)) for a, e in errors] == [("k2", TransientError)]
    assert sorted(sink.items) == ["k1.ics", "k3.ics"]
    assert sorted(state.reminders()) == ["k1", "k3"]
    sink.fail.clear()
    actions, errors = run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3")})
    assert ([a.op for a in actions], errors) == (["keep", "create", "keep"], [])


def test_apply_returns_counts(state: State) -> None:
    sink = FailingSink({"k3"})
    errors: list[tuple[Action, Exception]] = []
    actions = [
        Action("create", "k1", rem("k1")),
        Action("create", "k2", rem("k2")),
        Action("create", "k3", rem("k3")),
    ]
    stats = plan.apply(actions, sink=sink, state=state, on_error=lambda a, e: errors.append((a, e)))
    assert (stats.created, stats.errors, stats.kept) == (2, 1, 0)
    assert isinstance(errors[0][1], BackendError)


def test_a_lost_answer_after_create_is_adopted_next_pass(state: State) -> None:
    sink = FailingSink({"k1"}, after_write=True)
    _, errors = run(sink, state, {"k1": rem()})
    assert len(errors) == 1
    assert list(sink.items) == ["k1.ics"]
    assert state.reminders() == {}
    sink.fail.clear()
    actions, errors = run(sink, state, {"k1": rem()})
    assert ([a.op for a in actions], errors) == (["adopt"], [])
    assert len(sink.items) == 1


class CrashingState(State):
    """A pass killed right after the sink write, before the state write."""

    def put_reminder(self, rec: ReminderRecord) -> None:
        raise KeyboardInterrupt


def test_a_pass_killed_between_the_sink_and_the_state_heals_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with CrashingState.open(path) as crashing:
        crashing.save_followups([followup("k1")])
        sink = MemorySink()
        with pytest.raises(KeyboardInterrupt):
            run(sink, crashing, {"k1": rem()})
    assert list(sink.items) == ["k1.ics"]
    # The next process opens the same file: the record is missing, and the item is adopted, not duplicated.
    with State.open(path) as healed:
        assert healed.reminders() == {}
        actions, errors = run(sink, healed, {"k1": rem()})
        assert ([a.op for a in actions], errors) == (["adopt"], [])
        assert [a.op for a in run(sink, healed, {"k1": rem()})[0]] == ["keep"]
    assert len(sink.items) == 1


def test_a_second_pass_plans_only_keeps_and_writes_nothing(state: State) -> None:
    sink = MemorySink()
    desired = {k: rem(k) for k in ("k1", "k2", "k3")}
    assert [a.op for a in run(sink, state, desired)[0]] == ["create"] * 3
    writes = sink.writes
    actions, errors = run(sink, state, desired)
    assert ([a.op for a in actions], errors) == (["keep"] * 3, [])
    assert sink.writes == writes


def test_actions_without_what_they_need_are_refused(state: State) -> None:
    errors: list[tuple[Action, Exception]] = []
    with pytest.raises(ValueError, match="has no reminder"):
        plan.apply([Action("create", "k1")], sink=MemorySink(), state=state, on_error=lambda a, e: None)
    with pytest.raises(ValueError, match="has no href/etag"):
        plan.apply([Action("delete", "k1")], sink=MemorySink(), state=state, on_error=lambda a, e: None)
    assert errors == []


def test_row_item_with_our_newer_hash_is_our_unrecorded_update_not_a_user_edit() -> None:
    # the pass wrote the 24h-later version and died before recording it: new etag, but our new hash inside
    written = rem(hours=24)
    listed = RemoteItem("k1", "k1.ics", '"9"', written.start, content_hash=written.content_hash())
    [same] = plan.build({"k1": written}, {"k1": rec()}, {"k1": listed}, closed=())
    assert (same.op, same.etag, same.user_owned) == ("adopt", '"9"', False)
    # and if we want yet another version by now, it is written over the item's current etag
    [again] = plan.build({"k1": rem(hours=48)}, {"k1": rec()}, {"k1": listed}, closed=())
    assert (again.op, again.etag) == ("update", '"9"')


def test_row_our_unrecorded_update_then_typed_into_by_the_user_is_theirs() -> None:
    written = rem(hours=24)
    listed = RemoteItem(
        "k1", "k1.ics", '"9"', written.start, content_hash=written.content_hash(), text_hash="b",
        written_text_hash="a",
    )  # fmt: skip
    [action] = plan.build({"k1": written}, {"k1": rec()}, {"k1": listed}, closed=())
    assert (action.op, action.user_owned) == ("keep", True)


def test_row_adopted_item_with_typed_text_is_adopted_as_the_users() -> None:
    a = one({"k1": rem()}, {}, {"k1": item(etag='"7"', typed=True)})
    assert (a.op, a.user_owned) == ("adopt", True)


def test_row_item_edited_by_the_user_keeps_our_old_hash_and_becomes_theirs() -> None:
    # a calendar app carries our hash property along unchanged when the user edits the item
    old = rem()
    listed = RemoteItem("k1", "k1.ics", '"5"', old.start, content_hash=old.content_hash())
    [action] = plan.build({"k1": rem(hours=24)}, {"k1": rec()}, {"k1": listed}, closed=())
    assert (action.op, action.user_owned) == ("keep", True)


# --- apply through a batching sink (backends.base.BatchingSink) ------------------------------------------


class BatchSink(MemorySink):
    """A MemorySink that also writes in batches: per-write failures for keys in ``fail``, the whole batch
    failing with ``refuse``, or the process dying (``die``) after the batch landed, before it is recorded."""

    def __init__(self, batch_size: int = 2) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.batches: list[list[str]] = []
        self.fail: set[str] = set()
        self.refuse: BackendError | None = None
        self.die = False

    def write_batch(self, writes: Sequence[Write]) -> list[WriteResult]:
        self.batches.append([w.key for w in writes])
        if self.refuse is not None:
            raise self.refuse
        results: list[WriteResult] = []
        for w in writes:
            try:
                if w.key in self.fail:
                    raise TransientError("503 for this one", backend=self.name)
                if w.op == "create":
                    assert w.reminder is not None
                    results.append(self.create(w.reminder))
                elif w.op == "update":
                    assert w.reminder is not None and w.href is not None and w.etag is not None
                    results.append(self.update(w.href, w.etag, w.reminder))
                else:
                    assert w.href is not None and w.etag is not None
                    self.delete(w.href, w.etag)
                    results.append(None)
            except BackendError as exc:
                results.append(exc)
        if self.die:
            raise SystemExit(137)
        return results


def counted_transactions(state: State) -> list[str]:
    """Every BEGIN the state's connection runs from now on (to count transactions, not rows)."""
    seen: list[str] = []
    state._db.set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None)
    return seen


def test_a_batching_sink_gets_chunks_of_its_batch_size_and_each_chunk_is_one_transaction(
    state: State, caplog: pytest.LogCaptureFixture
) -> None:
    state.save_followups([followup(k) for k in ("k4", "k5")])
    sink = BatchSink(batch_size=2)
    begins = counted_transactions(state)
    _, errors = run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3", "k4", "k5")})
    assert errors == []
    assert sink.batches == [["k1", "k2"], ["k3", "k4"], ["k5"]]
    assert len(begins) == 3  # one per batch, not one per reminder
    assert sorted(state.reminders()) == ["k1", "k2", "k3", "k4", "k5"]
    assert [a.op for a in run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3", "k4", "k5")})[0]] == ["keep"] * 5


def test_one_failed_write_does_not_fail_its_batch(state: State) -> None:
    sink = BatchSink(batch_size=10)
    sink.fail = {"k2"}
    actions, errors = run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3")})
    assert [(a.key, type(e)) for a, e in errors] == [("k2", TransientError)]
    assert sorted(sink.items) == ["k1.ics", "k3.ics"]
    assert sorted(state.reminders()) == ["k1", "k3"]
    sink.fail.clear()
    actions, errors = run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3")})
    assert ([a.op for a in actions], errors) == (["keep", "create", "keep"], [])


def test_a_refused_batch_reports_its_writes_and_leaves_the_rest_for_the_next_pass(state: State) -> None:
    sink = BatchSink(batch_size=2)
    sink.refuse = BackendError("reminders.ics is read-only", backend="memory")
    errors: list[tuple[Action, Exception]] = []
    actions = [Action("create", k, rem(k)) for k in ("k1", "k2", "k3")]
    stats = plan.apply(actions, sink=sink, state=state, on_error=lambda a, e: errors.append((a, e)))
    assert sink.batches == [["k1", "k2"]]  # the third is not tried against a sink that refuses everything
    assert [a.key for a, _e in errors] == ["k1", "k2"]
    assert stats.errors == 2
    assert stats.problems == [
        "not attempted after memory: reminders.ics is read-only: 1 write(s) left for the next pass"
    ]


def test_updates_and_deletes_in_a_batch_keep_their_precondition_rules(state: State) -> None:
    sink = BatchSink(batch_size=10)
    run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3")})
    state.set_status("k3", "closed", "replied")
    remote = {i.key: i for i in sink.list()}
    actions = plan.build({"k1": rem("k1", hours=24), "k2": rem("k2", hours=24)}, state.reminders(), remote,
                         closed=("k3",))  # fmt: skip
    assert [a.op for a in actions] == ["update", "update", "delete"]
    sink.user_edit("k2.ics", subject="mine now")  # between planning and writing
    stats = plan.apply(actions, sink=sink, state=state, on_error=no_error)
    assert (stats.updated, stats.kept, stats.deleted, stats.errors) == (1, 1, 1, 0)
    assert sink.items["k1.ics"][0] == rem("k1", hours=24)
    assert sink.items["k2.ics"][0].subject == "mine now"
    assert state.reminders()["k2"].user_owned is True
    assert "k3" not in state.reminders() and "k3.ics" not in sink.items


def test_a_create_the_batch_refuses_as_existing_is_adopted(state: State) -> None:
    sink = BatchSink(batch_size=10)
    sink.create(rem("k2"))  # written by a pass that died before recording it, not listed when planning
    stats = plan.apply([Action("create", k, rem(k)) for k in ("k1", "k2")], sink=sink, state=state,
                       on_error=no_error)  # fmt: skip
    assert (stats.created, stats.kept) == (1, 1)
    assert state.reminders()["k2"].etag == sink.items["k2.ics"][1]
    assert len(sink.items) == 2


def test_death_after_a_batch_landed_and_before_its_record_heals_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    sink = BatchSink(batch_size=2)
    with State.open(path) as first:
        first.save_followups([followup(k) for k in ("k1", "k2", "k3")])
        run(sink, first, {"k1": rem("k1")})
        sink.die = True
        with pytest.raises(SystemExit):
            run(sink, first, {k: rem(k) for k in ("k1", "k2", "k3")})
    assert sink.batches[-1] == ["k2", "k3"] and sorted(sink.items) == ["k1.ics", "k2.ics", "k3.ics"]
    sink.die = False
    with State.open(path) as healed:
        assert sorted(healed.reminders()) == ["k1"]  # the batch landed; its record did not
        actions, errors = run(sink, healed, {k: rem(k) for k in ("k1", "k2", "k3")})
        assert ([a.op for a in actions], errors) == (["keep", "adopt", "adopt"], [])
        assert [a.op for a in run(sink, healed, {k: rem(k) for k in ("k1", "k2", "k3")})[0]] == ["keep"] * 3
    assert len(sink.items) == 3


def test_single_writes_are_recorded_in_chunks_and_kept_when_the_process_dies_between(state: State) -> None:
    class DiesAtThird(MemorySink):
        def create(self, reminder: Reminder) -> RemoteItem:
            if len(self.items) == 2:
                raise SystemExit(137)
            return super().create(reminder)

    state.save_followups([followup(k) for k in ("k4", "k5")])
    sink = DiesAtThird()
    begins = counted_transactions(state)
    with pytest.raises(SystemExit):
        run(sink, state, {k: rem(k) for k in ("k1", "k2", "k3", "k4", "k5")})
    assert len(begins) == 1  # the two that landed, recorded together on the way out
    assert sorted(state.reminders()) == ["k1", "k2"]
