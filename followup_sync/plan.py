"""Planning reminder writes (:func:`build`, pure) and carrying them out (:func:`apply`).

:func:`build` is vdirsyncer's ``_get_actions`` adapted so that **the user always wins**: it compares the
reminders we want, the records of what we wrote, and what the sink lists now (by MARKER), and returns one
:class:`Action` per key, sorted by key. :func:`apply` runs them: the steps that only touch the state in one
transaction, then the calendar writes in chunks (one ``write_batch`` of a batching sink, or single writes),
each chunk recorded in one state transaction right after it landed. A crash between a write and its record
leaves an item the state does not know; the next pass finds it by its marker and adopts it instead of writing
a duplicate (or recognises our unrecorded update by its content hash, or our unrecorded delete by its absence).

Ops: ``create``, ``update``, ``delete`` write to the sink; ``keep`` (unchanged, or the user's now), ``adopt``
(found by marker), ``dismiss`` (the user deleted it), ``forget`` (drop a stale record) and ``orphan`` (ours by
marker, unknown here) only touch the state. Users see create/update/delete/keep (:attr:`Action.public_op`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from followup_sync.backends.base import ReminderSink, Write, WriteResult, batching
from followup_sync.errors import BackendError, PreconditionFailed, Throttled
from followup_sync.model import PassStats, Reminder, RemoteItem
from followup_sync.state import ReminderRecord, State

logger = logging.getLogger(__name__)

Op = Literal["create", "update", "delete", "keep", "adopt", "dismiss", "forget", "orphan"]
PublicOp = Literal["create", "update", "delete", "keep"]
_PUBLIC: dict[str, PublicOp] = {
    "create": "create",
    "update": "update",
    "delete": "delete",
    "keep": "keep",
    "adopt": "keep",
}


@dataclass(frozen=True)
class Action:
    """One planned step for one KEY.

    ``reminder`` is what we want (None when the follow-up is closed or unknown). ``href`` and ``etag`` name the
    item the step is conditional on: the recorded one for update/delete, the listed one for keep/adopt.
    ``start`` is the item's start as listed (the user's time when they moved it). ``user_owned`` marks a
    reminder the user changed: it is kept as it is and never written again.
    """

    op: Op
    key: str
    reminder: Reminder | None = None
    href: str | None = None
    etag: str | None = None
    reason: str = ""
    start: datetime | None = None
    user_owned: bool = False

    @property
    def public_op(self) -> PublicOp | None:
        """The op shown to users; None for steps after which no reminder exists (dismiss, forget, orphan)."""
        return _PUBLIC.get(self.op)


def build(
    desired: Mapping[str, Reminder],
    records: Mapping[str, ReminderRecord],
    remote: Mapping[str, RemoteItem],
    *,
    closed: Collection[str],
) -> list[Action]:
    """Plan one action per key found in any of the three inputs, sorted by key.

    The table is the one in the API notes, plus refinements, each for the user's sake: an item listed at
    another href than recorded counts as changed by the user; a record the user owns is kept even when what
    we want changes; an adopted item that starts at another time than we want (or whose text is not what we
    wrote) is adopted as the user's; and a recorded key neither wanted nor in ``closed`` is kept as it is. A key
    both desired and in ``closed`` counts as closed, so a closed or dismissed follow-up is never written; for a
    closed key that is listed but not recorded, the desired reminder is what we would have written (see
    ``_unrecorded_closed``).

    The rule for a reminder the rep changed is the same for every sink: it is theirs and never written again.
    When its follow-up is done, it is deleted if the rep only moved it (its subject and body are still the ones
    we wrote, :attr:`RemoteItem.text_as_written`), and left where it is if they edited its text: what the rep
    typed is never destroyed. A deleted one is never recreated.
    """
    actions = []
    for key in sorted(set(desired) | set(records) | set(remote)):
        rec, item = records.get(key), remote.get(key)
        if key in closed and rec is None and item is not None and key in desired:
            actions.append(_unrecorded_closed(key, desired[key], item))
            continue
        want = None if key in closed else desired.get(key)
        action = _decide(key, want, rec, item, closed=key in closed)
        if action is not None:
            actions.append(action)
    return actions


def _decide(
    key: str, want: Reminder | None, rec: ReminderRecord | None, item: RemoteItem | None, *, closed: bool
) -> Action | None:
    if want is not None:
        if rec is None:
            if item is None:
                # Wanted, never written, not in the sink: write it.
                return Action("create", key, reminder=want)
            # Ours by marker but not recorded: a crash between create and the state write, or a lost DB.
            return adoption(key, want, item)
        if item is None:
            # We wrote it and it is gone: the user deleted it. Never recreate it.
            return Action(
                "dismiss", key, reminder=want, href=rec.href, etag=rec.etag, reason="deleted by the user"
            )
        if not _unchanged(rec, item) and _our_unrecorded_write(rec, item):
            # It carries a content hash of ours other than the recorded one: our own update landed and the
            # pass died before recording it, or its answer was lost (calendar apps keep our hash property as it
            # is when the user edits, so the text hash tells a later edit of theirs apart). Record it, and write
            # again only if what we want has changed since.
            if item.content_hash == want.content_hash():
                if item.start not in (None, want.start):
                    return _theirs(key, want, item.href, item.etag, item.start or want.start)
                return Action("adopt", key, reminder=want, href=item.href, etag=item.etag,
                              reason="our unrecorded update", start=item.start or want.start)  # fmt: skip
            return Action("update", key, reminder=want, href=item.href, etag=item.etag)
        if not _unchanged(rec, item):
            # The user edited or moved it since we last looked: it is theirs now, at their time.
            return _theirs(key, want, item.href, item.etag, item.start or rec.start)
        if rec.user_owned:
            # Theirs already (an earlier pass saw their change): never written again, whatever we would write.
            return _theirs(key, want, rec.href, rec.etag, rec.start)
        if rec.content_hash != want.content_hash():
            # Ours and untouched, but what we want changed (the due date moved, the text changed).
            return Action("update", key, reminder=want, href=rec.href, etag=rec.etag)
        # Ours, untouched and current.
        return Action("keep", key, reminder=want, href=rec.href, etag=rec.etag, start=rec.start)
    if rec is not None:
        if item is None:
            # Neither wanted nor in the sink any more: nothing left to track.
            return Action("forget", key, href=rec.href, reason="no longer in the sink")
        changed = not _unchanged(rec, item)
        if closed and (changed or rec.user_owned):
            # The follow-up is done and the user changed the reminder (now or before). Moved only: it goes,
            # at the etag listed now. Text edited (or we cannot tell): what they typed stays, and stays known.
            if item.text_as_written:
                return Action("delete", key, href=item.href, etag=item.etag, reason="follow-up closed")
            return _left_to_user(key, item, reason="edited by the user")
        if changed:
            # Not wanted now (held back), and the user changed it: theirs, at their time.
            return _left_to_user(key, item, reason="changed by the user")
        if closed:
            # The follow-up is done and the item is exactly as we wrote it: remove it.
            return Action("delete", key, href=rec.href, etag=rec.etag, reason="follow-up closed")
        # Not wanted in this pass but not closed either (the caller held it back): leave it as it is.
        return Action("keep", key, href=rec.href, etag=rec.etag, start=rec.start, user_owned=rec.user_owned)
    if item is not None:
        # Carries our marker, but neither wanted nor recorded (a lost DB, another machine): leave it, warn once.
        return Action("orphan", key, href=item.href, etag=item.etag, start=item.start, reason="unknown reminder")
    return None


def _left_to_user(key: str, item: RemoteItem, *, reason: str) -> Action:
    return Action("keep", key, href=item.href, etag=item.etag, start=item.start, user_owned=True, reason=reason)


def _unrecorded_closed(key: str, written: Reminder, item: RemoteItem) -> Action:
    """An item a pass wrote but died before recording, whose follow-up closed before the next pass.

    Without this it would be an orphan for ever: a reminder of a follow-up that is done. The rule of
    :func:`build` applies: if its text is still what we wrote (at most moved), it goes; if the rep typed into
    it, or the sink cannot tell, it stays.
    """
    if item.text_as_written:
        return Action("delete", key, href=item.href, etag=item.etag, reason="follow-up closed (found in the sink)")
    return Action("orphan", key, href=item.href, etag=item.etag, start=item.start, reason="edited by the user")


def adoption(key: str, want: Reminder, item: RemoteItem) -> Action:
    """Adopt a listed item without writing. If it starts at another time than we want, the user may have
    moved it (we cannot tell without the record), and if its text is not what we wrote, they edited it: either
    way it is adopted as theirs and never written again."""
    moved = item.start is not None and item.start != want.start
    moved = moved or (item.written_text_hash is not None and not item.text_as_written)
    return Action(
        "adopt",
        key,
        reminder=want,
        href=item.href,
        etag=item.etag,
        reason="found in the sink",
        start=item.start or want.start,
        user_owned=moved,
    )


def _theirs(key: str, want: Reminder, href: str, etag: str, start: datetime) -> Action:
    return Action(
        "keep",
        key,
        reminder=want,
        href=href,
        etag=etag,
        reason="changed by the user",
        start=start,
        user_owned=True,
    )


def _unchanged(rec: ReminderRecord, item: RemoteItem) -> bool:
    return rec.href == item.href and rec.etag == item.etag


def _our_unrecorded_write(rec: ReminderRecord, item: RemoteItem) -> bool:
    return (
        not rec.user_owned
        and rec.href == item.href
        and item.content_hash is not None
        and item.content_hash != rec.content_hash
        and (item.written_text_hash is None or item.text_as_written)
    )


# --- apply ----------------------------------------------------------------------------------------------

WRITE_OPS = frozenset({"create", "update", "delete"})
#: A sink without ``write_batch`` is written one item at a time; its results are recorded in the state in one
#: transaction per this many writes (not one per reminder: each commit is an fsync). A crash leaves at most
#: this many written but unrecorded, which the next pass adopts like a single one.
RECORD_EVERY = 50

_Step = Callable[[Action, ReminderSink, State, ReminderRecord | None, PassStats], None]
_Outcome = tuple[Action, WriteResult]


def apply(
    actions: Sequence[Action],
    *,
    sink: ReminderSink,
    state: State,
    on_error: Callable[[Action, Exception], None],
    should_stop: Callable[[], bool] | None = None,
) -> PassStats:
    """Carry out ``actions``: first the steps that only touch the state, in one transaction, then the
    calendar writes, in chunks (a batching sink's ``write_batch``, or single writes), each chunk recorded in
    one transaction right after it landed. A step that fails with a backend error (including a busy state DB)
    is passed to ``on_error`` and counted in ``errors``; the others still run.

    ``should_stop`` is asked between writes (between batches for a batching sink; never between a write and
    its record): a daemon told to stop leaves the rest to the next pass, which plans them again.
    A write that raises :class:`Throttled` means the pass spent its wait budget on throttling: the pass stops
    writing after that chunk, with one problem line and one warning (not one per reminder left), and the next
    pass plans the rest again.
    """
    stats = PassStats()
    records = state.reminders()
    errors: list[tuple[Action, Exception]] = []
    writes = [a for a in actions if a.op in WRITE_OPS]
    local = [a for a in actions if a.op not in WRITE_OPS]
    if local:
        try:
            with state.transaction():
                for action in local:
                    try:
                        _STEPS[action.op](action, sink, state, records.get(action.key), stats)
                    except BackendError as exc:
                        errors.append((action, exc))
        except BackendError as exc:  # the state is busy or full: none of them is recorded
            errors = [(a, exc) for a in local]
        _report(errors, stats, on_error)
    batcher = batching(sink)
    size = batcher.batch_size if batcher is not None else RECORD_EVERY
    done, refused, throttled = 0, None, None
    while done < len(writes) and refused is None and throttled is None:
        if should_stop is not None and should_stop():
            break
        chunk = writes[done : done + size]
        outcomes: list[_Outcome] = []
        try:
            if batcher is not None:
                results = batcher.write_batch([_write_of(a) for a in chunk])
                outcomes.extend(zip(chunk, results, strict=True))
            else:
                _write_each(chunk, sink, outcomes, should_stop)
        except BackendError as exc:
            # The batch as a whole failed (the file is read-only, the server unreachable): each of its
            # writes is an error, and the rest wait for the next pass instead of failing the same way.
            outcomes.extend((a, exc) for a in chunk[len(outcomes) :])
            refused = exc
        finally:
            # Also on the way out of an interrupt (SystemExit, KeyboardInterrupt): what landed is recorded.
            _record_chunk(outcomes, sink, state, records, stats, on_error)
        done += len(outcomes)
        throttled = _throttled(outcomes)
    if throttled is not None:
        left = len(writes) - done + sum(1 for _a, r in outcomes if isinstance(r, Throttled))
        logger.warning("Stopped writing reminders: %s; %d write(s) left for the next pass", throttled, left)
        stats.problems.append(f"stopped writing: {throttled}; {left} write(s) left for the next pass")
    elif done < len(writes):
        why = "stopped before finishing" if refused is None else f"not attempted after {refused}"
        stats.problems.append(f"{why}: {len(writes) - done} write(s) left for the next pass")
    return stats


def _write_of(a: Action) -> Write:
    if a.op == "delete":
        href, etag = _target(a)
        return Write("delete", a.key, href=href, etag=etag)
    if a.op == "update":
        href, etag = _target(a)
        return Write("update", a.key, reminder=_wanted(a), href=href, etag=etag)
    return Write("create", a.key, reminder=_wanted(a))


def _write_each(
    chunk: Sequence[Action], sink: ReminderSink, outcomes: list[_Outcome], should_stop: Callable[[], bool] | None
) -> None:
    """Single writes, in order; ``outcomes`` grows as each one lands, so an interrupt keeps what did."""
    for n, action in enumerate(chunk):
        if n and should_stop is not None and should_stop():
            return
        w = _write_of(action)
        try:
            if w.op == "create":
                result: WriteResult = sink.create(_wanted(action))
            elif w.op == "update":
                result = sink.update(w.href or "", w.etag or "", _wanted(action))
            else:
                sink.delete(w.href or "", w.etag or "")
                result = None
        except BackendError as exc:
            result = exc
        outcomes.append((action, result))
        if isinstance(result, Throttled):
            return  # the pass's wait budget is spent: no further write in this pass


def _record_chunk(
    outcomes: Sequence[_Outcome],
    sink: ReminderSink,
    state: State,
    records: Mapping[str, ReminderRecord],
    stats: PassStats,
    on_error: Callable[[Action, Exception], None],
) -> None:
    """Record what one chunk of writes did, in one transaction; then report its errors."""
    if not outcomes:
        return
    errors: list[tuple[Action, Exception]] = []
    listed: dict[str, RemoteItem] | None = None
    try:
        with state.transaction():
            for action, result in outcomes:
                rec = records.get(action.key)
                if isinstance(result, Throttled):
                    continue  # not written; apply says so once for all of them
                if isinstance(result, PreconditionFailed) and action.op == "create":
                    # The sink already holds an item with this key (it refuses duplicates by marker): adopt it.
                    if listed is None:
                        listed = {i.key: i for i in sink.list()}
                    found = listed.get(action.key)
                    if found is None:
                        errors.append((action, result))
                    else:
                        _adopt(adoption(action.key, _wanted(action), found), sink, state, rec, stats)
                elif isinstance(result, BackendError) and not isinstance(result, PreconditionFailed):
                    errors.append((action, result))
                else:
                    _RECORD[action.op](action, result, sink, state, rec, stats)
    except BackendError as exc:
        # The state could not record them: the writes landed, and the next pass adopts what it finds.
        errors = [(a, exc) for a, _r in outcomes]
    _report(errors, stats, on_error)


def _report(
    errors: Sequence[tuple[Action, Exception]], stats: PassStats, on_error: Callable[[Action, Exception], None]
) -> None:
    for failed, error in errors:
        stats.errors += 1
        on_error(failed, error)


def _throttled(outcomes: Sequence[_Outcome]) -> Throttled | None:
    return next((r for _a, r in outcomes if isinstance(r, Throttled)), None)


def _record(
    a: Action, sink: ReminderSink, item: RemoteItem, want: Reminder, *, user_owned: bool
) -> ReminderRecord:
    start = item.start or want.start
    return ReminderRecord(a.key, sink.name, item.href, item.etag, want.content_hash(), start, user_owned)


def _created(
    a: Action, result: WriteResult, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats
) -> None:
    state.put_reminder(_record(a, sink, _item(a, result), _wanted(a), user_owned=False))
    stats.created += 1


def _updated(
    a: Action, result: WriteResult, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats
) -> None:
    if isinstance(result, PreconditionFailed):
        # Changed (or deleted) between list and write: the user's now. The next pass records its new etag,
        # or dismisses it if it is gone.
        logger.info("Reminder %s was changed by the user; leaving it alone", a.key)
        if rec is not None:
            state.put_reminder(replace(rec, user_owned=True))
        stats.kept += 1
        return
    state.put_reminder(_record(a, sink, _item(a, result), _wanted(a), user_owned=False))
    stats.updated += 1


def _deleted(
    a: Action, result: WriteResult, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats
) -> None:
    if isinstance(result, PreconditionFailed):
        logger.info("Reminder %s was changed by the user; leaving it alone", a.key)
    else:
        stats.deleted += 1
    state.drop_reminder(a.key)


def _keep(a: Action, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats) -> None:
    stats.kept += 1
    if not a.user_owned or a.href is None or a.etag is None:
        return
    if rec is not None and rec.user_owned and (rec.href, rec.etag) == (a.href, a.etag):
        return
    logger.info("Reminder %s was changed by the user; leaving it alone", a.key)
    if a.reminder is not None:
        item = RemoteItem(a.key, a.href, a.etag, a.start)
        state.put_reminder(_record(a, sink, item, a.reminder, user_owned=True))
    elif rec is not None:  # no longer wanted (done or held back): remember it as theirs, where they left it
        state.put_reminder(replace(rec, href=a.href, etag=a.etag, start=a.start or rec.start, user_owned=True))


def _adopt(a: Action, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats) -> None:
    want = _wanted(a)
    href, etag = _target(a)
    logger.info("Adopting reminder %s found in %s", a.key, sink.name)
    state.put_reminder(_record(a, sink, RemoteItem(a.key, href, etag, a.start), want, user_owned=a.user_owned))
    stats.kept += 1


def _dismiss(a: Action, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats) -> None:
    logger.info("Reminder %s was deleted by the user; dismissing", a.key)
    with state.transaction():
        state.drop_reminder(a.key)
        state.set_status(a.key, "dismissed", "reminder deleted by the user")


def _forget(a: Action, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats) -> None:
    if a.reason == "changed by the user":
        logger.info("Reminder %s was changed by the user; leaving it alone", a.key)
    state.drop_reminder(a.key)


def _orphan(a: Action, sink: ReminderSink, state: State, rec: ReminderRecord | None, stats: PassStats) -> None:
    href, _ = _target(a)
    if state.note_orphan(sink=sink.name, href=href, key=a.key):
        logger.warning("Reminder %s in %s is not one this state knows; leaving it alone", a.key, sink.name)


def _wanted(a: Action) -> Reminder:
    if a.reminder is None:
        raise ValueError(f"{a.op} action for {a.key} has no reminder")
    return a.reminder


def _item(a: Action, result: WriteResult) -> RemoteItem:
    if not isinstance(result, RemoteItem):
        raise TypeError(f"the sink answered {a.op} of {a.key} with {result!r}, not the item it wrote")
    return result


def _target(a: Action) -> tuple[str, str]:
    if a.href is None or a.etag is None:
        raise ValueError(f"{a.op} action for {a.key} has no href/etag")
    return a.href, a.etag


_STEPS: dict[str, _Step] = {
    "keep": _keep,
    "adopt": _adopt,
    "dismiss": _dismiss,
    "forget": _forget,
    "orphan": _orphan,
}
_RECORD: dict[
    str, Callable[[Action, WriteResult, ReminderSink, State, ReminderRecord | None, PassStats], None]
] = {
    "create": _created,
    "update": _updated,
    "delete": _deleted,
}
