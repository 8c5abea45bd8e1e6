"""One sync pass: :func:`run_once` is the only public entry point of this module.

collect -> normalise -> thread -> detect -> promote -> resolve -> schedule -> plan -> apply, with I/O at the two
ends (promote: a conditional promise kept pending becomes live once the contact's reply accepts).
A pass reads mail from the end of the last good pass minus an overlap (keys make re-reading harmless), keeps
only metadata of what it read in the state, and writes reminders one action at a time, so a pass killed at
any point is completed by the next one without duplicates (see ``plan``).

``--dry-run`` runs the very same pass against an in-memory copy of the state and a sink wrapper that records
instead of writing: the plan it prints is the plan a real pass would carry out, and nothing is written. Backends
that keep cursors of their own (Graph's delta links and caches) hear of it through their optional
``start_pass(now=, dry_run=)`` hook and keep them read-only, so a dry run can never consume or replace what the
next real pass reads from.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import mmap
import pickle
import time
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Generic, NamedTuple, Protocol, TypeVar

from followup_sync import backends, plan, preferences, schedule, userdata
from followup_sync.backends.base import Incremental, MailSource, MeetingSource, ReminderSink
from followup_sync.config import HISTORY_MARGIN_DAYS, Config, Schedule
from followup_sync.errors import AlreadyRunning, Error, PreconditionFailed, SinkEmptied
from followup_sync.model import (
    FollowUp,
    Meeting,
    Message,
    MessageMeta,
    PassStats,
    PendingPromise,
    Reminder,
    RemoteItem,
)
from followup_sync.people import Person
from followup_sync.state import ReminderRecord, State

if TYPE_CHECKING:
    from followup_sync.text.analysis import Analysis
    from followup_sync.threads import Facts, Head

log = logging.getLogger(__name__)

#: A sink that lists none of our reminders while the state expects at least this many is treated as broken
#: (wrong calendar, lost file, expired login) rather than as a user who deleted them all by hand.
SINK_EMPTIED_THRESHOLD = 3
#: How long a manual pass waits for the daemon's pass to finish before giving up.
LOCK_WAIT_SECONDS = 10.0


@dataclass
class PassResult:
    """What one pass did (or, under dry-run, would do).

    ``followups`` holds the follow-ups found in this pass, the open ones and those of the actions (not the
    closed and dismissed ones of earlier passes, which the state keeps but a pass does not read).
    """

    now: datetime
    actions: list[plan.Action]
    followups: dict[str, FollowUp]
    stats: PassStats
    dry_run: bool
    timezone: str = "UTC"
    problems: list[str] = field(default_factory=list)
    schedule: Schedule = field(default_factory=Schedule)
    remote: dict[str, RemoteItem] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)  # what is known of the contacts shown
    #: Follow-ups held back by ``[reminders] max_new_per_day``, with the day each will be reminded from.
    queued: dict[str, date] = field(default_factory=dict)
    #: The rep's conditional promises still waiting on the contact's yes after this pass (issue 8): no reminder
    #: yet, but shown, so the rep sees what they have offered.
    pending: list[PendingPromise] = field(default_factory=list)


def run_once(
    config: Config,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    force: bool = False,
    mail: MailSource | None = None,
    meetings: MeetingSource | None = None,
    sink: ReminderSink | None = None,
    state_path: Path | None = None,
    lock_wait: float = LOCK_WAIT_SECONDS,
    should_stop: Callable[[], bool] | None = None,
    warned: MutableSet[str] | None = None,
    message_budget: float | None = None,
    state: State | None = None,
) -> PassResult:
    """Run one pass; raises only :mod:`followup_sync.errors` exceptions (and OSError for a full disk).

    ``should_stop`` (the daemon's stop flag) is checked between reminder writes, so SIGTERM ends a long pass
    after the write in progress instead of after all of them. ``warned`` (the CLI's and daemon's
    ``logs.WarnedOnce``) holds the skipped messages warned about in earlier runs: those are logged at DEBUG.
    ``message_budget`` is the CPU seconds the text analysis of one message may use (``text.analysis.Budget``;
    None: ``text.analysis.MESSAGE_BUDGET_SECONDS``). ``state``: an open store the caller owns instead of the
    file at ``state_path`` (a team deployment's PostgreSQL schema, ``followup_sync.team``); the caller then
    guarantees one pass at a time and, for ``dry_run``, hands a snapshot that is never written.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    path = state_path or config.state_path
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if state is None:
            if not dry_run:
                stack.enter_context(_exclusive(path, wait=lock_wait))
            state = State.snapshot(path) if dry_run else State.open(path)
            stack.callback(state.close)
        mail = mail or _opened(stack, backends.open_mail(config))
        meetings = meetings or _opened(stack, backends.open_meetings(config))
        real_sink = sink or _opened(stack, backends.open_reminders(config))
        for backend in (mail, meetings, real_sink):
            start_pass = getattr(backend, "start_pass", None)  # optional hook, see backends.base.PassAware
            if start_pass is not None:
                start_pass(now=now, dry_run=dry_run)
        target: ReminderSink = DryRunSink(real_sink) if dry_run else real_sink
        skips = getattr(mail, "skips", None)  # file and IMAP sources: a mime.SkipLog
        if warned is not None and skips is not None:
            skips.known = warned
        new_before = int(getattr(skips, "new", 0))
        result = _pass(
            config, state, mail, meetings, target, now=now, dry_run=dry_run, force=force, should_stop=should_stop,
            message_budget=message_budget,
        )  # fmt: skip
    stats = result.stats
    stats.skipped_new = int(getattr(skips, "new", 0)) - new_before
    if stats.skipped_messages:
        # one summary per pass; each skipped message has its own line once, the first time it is met
        log.log(
            logging.WARNING if stats.skipped_new else logging.INFO,
            "%d messages skipped (%d new): see the log, where each is named once",
            stats.skipped_messages,
            stats.skipped_new,
        )
    log.info(
        "Pass finished: %d messages read (%d skipped), %d meetings read, %d follow-ups found, %d open, "
        "%d created, %d updated, %d deleted, %d errors in %.1fs%s",
        result.stats.messages_read,
        result.stats.skipped_messages,
        result.stats.meetings_read,
        result.stats.followups_found,
        result.stats.followups_open,
        result.stats.created,
        result.stats.updated,
        result.stats.deleted,
        result.stats.errors,
        time.monotonic() - started,
        " (dry run)" if dry_run else "",
    )
    return result


class _Closable(Protocol):
    def close(self) -> None: ...


_B = TypeVar("_B", bound=_Closable)


def _opened(stack: contextlib.ExitStack, backend: _B) -> _B:
    stack.callback(backend.close)
    return backend


def pass_lock(state_path: Path, *, wait: float = LOCK_WAIT_SECONDS) -> contextlib.AbstractContextManager[None]:
    """The lock a pass holds: the rep's answers (``control``) take it too, so a pass and an answer never
    interleave their writes."""
    return _exclusive(state_path, wait=wait)


@contextlib.contextmanager
def _exclusive(state_path: Path, *, wait: float) -> Iterator[None]:
    """One pass at a time per state database: a manual ``sync`` and the daemon never interleave writes."""
    import filelock

    state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_path = f"{state_path}.lock"
    lock = filelock.FileLock(lock_path, timeout=wait)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise AlreadyRunning(lock_path=lock_path, holder="a pass in progress") from None
    try:
        yield
    finally:
        lock.release()


def _pass(
    config: Config,
    state: State,
    mail: MailSource,
    meetings: MeetingSource,
    sink: ReminderSink,
    *,
    now: datetime,
    dry_run: bool,
    force: bool,
    should_stop: Callable[[], bool] | None,
    message_budget: float | None = None,
) -> PassResult:
    tz = config.identity.zone
    r = config.rules
    me = frozenset(config.identity.addresses)
    last = state.last_run(ok_only=True)
    window_start = now - timedelta(days=r.lookback_days)
    if last is not None and last.window_end - timedelta(days=r.overlap_days) > window_start:
        window_start = min(last.window_end - timedelta(days=r.overlap_days), now)
    run_id = state.begin_run(started=now, window_start=window_start, window_end=now, dry_run=dry_run)
    stats = PassStats()
    result = PassResult(
        now=now,
        actions=[],
        followups={},
        stats=stats,
        dry_run=dry_run,
        timezone=tz.key,
        problems=stats.problems,
        schedule=config.schedule,
    )
    ok = False
    try:
        # collect: mail in the window, meetings around now (cheap, and re-read every pass). An incremental
        # source reads only what it has not read before; what it read is remembered with the messages below.
        memory = state.source_memory(mail.key) if isinstance(mail, Incremental) else None
        if memory is not None and isinstance(mail, Incremental):
            mail.remember(memory)
        # The known messages first, so that mail read before is dropped as it streams in; each new message is
        # read (normalised, its text analysed) as it arrives, and only what later stages need of it is held
        # (see _NewMail).
        horizon = now - timedelta(days=r.lookback_days + HISTORY_MARGIN_DAYS)
        known = state.messages(since=horizon)
        known_ids = {m.id for m in known}
        new = _NewMail()
        read: Callable[[Message], _Read] | None = None
        for message in mail.messages(window_start, now):
            if message.sent_at <= now:
                stats.messages_read += 1
                if message.id not in known_ids and new.wants(message):
                    read = read or _reader(config, message_budget=message_budget)
                    new.add(read(message))
        # file and IMAP sources count what they skipped (malformed, undated); each skip was logged once
        stats.skipped_messages = int(getattr(mail, "skipped", 0))
        meeting_list = _meetings(meetings, now=now, config=config)
        stats.meetings_read = len(meeting_list)
        address_book = _people_of(mail, now=now)

        # thread: the new messages onto each other and onto the known ones (whose metadata the state keeps),
        # from their heads alone
        new_metas: list[MessageMeta] = []
        if new:
            from followup_sync import threads

            new_metas = new.metas(threads.assign_threads(new.heads(), known, me=me), me=me)
        # one tuple for find_all, promote and resolve: the rules index it once (``rules._History.of``)
        history = (*known, *new_metas)

        # detect: follow-ups come from new messages and from meetings, so without either there is none (and
        # meetings alone do not read the history, so it is not indexed for them)
        found: list[FollowUp] = []
        pending: list[PendingPromise] = []
        if new or meeting_list:
            from followup_sync import rules

            # no thread map: each new message's thread is in the history (``new_metas``)
            detected = rules.find_all(
                (), {}, history if new else (), meeting_list, identity=config.identity, rules=r,
                schedule=config.schedule, now=now, readings=new.readings(),
            )  # fmt: skip
            found, pending = detected.followups, detected.pending
        _log_cut_short(new.cut_short)
        stats.followups_found = len(found)
        with state.transaction():
            state.add_messages(new_metas)
            userdata.save_people(state, itertools.chain(address_book, new.people()))
            state.save_followups(found)
            state.save_pending(pending)
            if memory is not None:
                memory.commit()
            state.forget_sources(keep=memory.source if memory is not None else None)
        del new

        # promote: a conditional promise ("let me know if the terms work and I'll sign") becomes a live promise
        # once the contact's reply accepts; it waits in the state until then, without a reminder
        waiting = state.pending_promises()
        if waiting:
            from followup_sync import rules

            promoted, forgotten = rules.promote(
                waiting, history, identity=config.identity, rules=r, now=now, schedule=config.schedule
            )
            if promoted or forgotten:
                with state.transaction():
                    state.save_followups(promoted)
                    state.drop_pending([*(f.key for f in promoted), *forgotten])
            gone = {*(f.key for f in promoted), *forgotten}
            result.pending = [p for p in waiting if p.followup.key not in gone]

        # resolve
        open_now = state.open_followups(held={f.key: f for f in found})
        still_open: list[FollowUp] = []
        closed: dict[str, str] = {}
        if open_now:
            from followup_sync import rules

            still_open, closed = rules.resolve(
                open_now, history, meeting_list, identity=config.identity, rules=r, now=now,
                schedule=config.schedule,
            )  # fmt: skip
        closed.update(_overdue_expired(still_open, state.reminders(), config=config, now=now))
        still_open = [f for f in still_open if f.key not in closed]
        with state.transaction():
            state.set_statuses(closed, "closed")
            state.save_followups(still_open)

        # the rep's answers: those given in the calendar (read from what the sink lists now), then the mutes,
        # learnt sentence shapes and snoozes they left (plain data: ``preferences``; learnt in ``control``)
        remote = _remote_by_key(sink)
        result.remote = remote
        answered = _calendar_answers(state, still_open, remote, sink=sink, config=config, now=now)
        still_open = [f for f in still_open if answered.get(f.key) in (None, "snooze")]
        still_open, muted = preferences.apply(still_open, userdata.preferences(state))
        if muted:
            state.set_statuses(muted, "dismissed")
        stats.followups_open = len(still_open)

        # schedule: the reminder of each follow-up let through the daily cap; the others wait (``pacing``)
        records = state.reminders()
        known_people = userdata.people(state, {c for f in still_open for c in f.contacts})
        result.people = known_people
        wanted = {
            f.key: _desired(f, records.get(f.key), config=config, now=now, people=known_people) for f in still_open
        }
        result.queued = _release(state, still_open, records, wanted, config=config, now=now)
        desired = {k: rem for k, rem in wanted.items() if k not in result.queued}
        if config.pacing.digest:
            desired = _digests(state, still_open, desired, records, result, config=config, now=now)

        # plan
        lost = _lost_to_another_writer(sink, records, desired, remote)
        if not force and not lost and len(records) >= SINK_EMPTIED_THRESHOLD and not remote:
            raise SinkEmptied(sink=sink.name, expected=len(records))
        closed_keys = set(records) - set(desired)
        unrecorded = set(remote) - set(records) - set(desired)
        # Listed but never recorded: a pass died between writing it and recording it, and the follow-up
        # closed since. The planner removes it if it is still as we would have written it. (Rare, so only
        # those keys are read, and only when the sink lists such an item.)
        for rec in state.followups(status="closed", keys=unrecorded) if unrecorded else ():
            desired[rec.followup.key] = _desired(rec.followup, None, config=config, now=now)
            closed_keys.add(rec.followup.key)
        planned = {k: rec for k, rec in records.items() if k not in lost}  # lost ones are written again
        actions = plan.build(desired, planned, remote, closed=closed_keys)
        result.actions = actions

        # apply
        def on_error(action: plan.Action, exc: Exception) -> None:
            problem = f"{action.op} {action.key}: {exc}"
            log.warning("Could not %s reminder %s: %s", action.op, action.key, exc)
            result.problems.append(problem)

        applied = plan.apply(actions, sink=sink, state=state, on_error=on_error, should_stop=should_stop)
        for name in ("created", "updated", "deleted", "kept", "errors"):
            setattr(stats, name, getattr(applied, name))
        stats.problems.extend(applied.problems)
        # What this pass found or holds open, and the follow-ups of its actions: never every closed one.
        result.followups.update({f.key: f for f in [*found, *still_open]})
        missing = {a.key for a in actions} - set(result.followups)
        result.followups.update((r.followup.key, r.followup) for r in state.followups(keys=missing))
        ok = stats.errors == 0 and not applied.problems
        if not dry_run:
            state.prune(before=now - timedelta(days=config.state_retention_days))
            userdata.prune(state, before=now - timedelta(days=config.state_retention_days))
        return result
    except Error as exc:
        result.problems.append(str(exc))
        raise
    finally:
        with contextlib.suppress(Error, OSError):
            state.finish_run(run_id, finished=now, ok=ok, stats=stats)


def _log_cut_short(analyses: Iterable[Analysis]) -> None:
    """One line per message whose text analysis ran out of time: its id, never its content."""
    for a in analyses:
        if a.skipped and a.budget is not None:
            log.warning(
                "Message %r: text analysis stopped after %.1fs of its %.1fs budget; not read: %s",
                a.msg.id, a.budget.used, a.budget.seconds, ", ".join(a.skipped),
            )  # fmt: skip


def _desired(
    f: FollowUp,
    record: ReminderRecord | None,
    *,
    config: Config,
    now: datetime,
    people: Mapping[str, Person] | None = None,
) -> Reminder:
    """The reminder we want for an open follow-up: ``schedule.reminder_for``, told where we last put it so that
    an overdue one moves at most once a day (``schedule.carried``), naming contacts as ``people`` has them."""
    shown = record.start if record is not None and not record.user_owned else None
    return schedule.reminder_for(
        f, schedule=config.schedule, tz=config.identity.zone, now=now, max_touches=config.rules.max_touches,
        shown=shown, people=people,
    )  # fmt: skip


def _calendar_answers(
    state: State, open_now: list[FollowUp], remote: Mapping[str, RemoteItem], *, sink: ReminderSink,
    config: Config, now: datetime,
) -> dict[str, preferences.AnswerKind]:  # fmt: skip
    """Answers the rep gave on our reminders in the calendar (``preferences.calendar_answer``): recorded (the
    learning reads them after the pass), the follow-up closed with that reason, or, for a snooze, held to the
    next working morning and its reminder taken back as ours to move there."""
    by_key = {f.key: f for f in open_now}
    found = {k: a for k, item in remote.items() if k in by_key and (a := preferences.calendar_answer(item))}
    if not found:
        return {}
    records = state.reminders()
    tz, s = config.identity.zone, config.schedule
    with state.transaction():
        for key, answer in sorted(found.items()):
            f, until = by_key[key], None
            if answer == "snooze":
                day = schedule.add_business_days(now.astimezone(tz).date(), 1, s)
                until = schedule.next_slot(schedule.local_at(day, s.day_start, tz), schedule=s, tz=tz)
                userdata.snooze(state, key, until, now=now)
                rec, item = records.get(key), remote[key]
                if rec is not None:  # their mark is an instruction to us: the item is ours again, to move
                    state.put_reminder(
                        replace(rec, href=item.href, etag=item.etag, content_hash="", user_owned=False)
                    )
            else:
                status, reason = preferences.CLOSING[answer]
                state.set_status(key, status, f"{reason} (in the calendar)", now=now)
            userdata.record_answer(
                state, preferences.Answer(key, answer, f.kind, f.contacts, "calendar", now, until)
            )
            log.info("Reminder %s answered in %s: %s", key, sink.name, answer.replace("_", " "))
    return found


def _release(
    state: State, open_now: list[FollowUp], records: Mapping[str, ReminderRecord], wanted: Mapping[str, Reminder],
    *, config: Config, now: datetime,
) -> dict[str, date]:  # fmt: skip
    """The daily cap (``pacing``): which follow-ups without a reminder yet are let through today (recorded in
    the state), and the day each of the others waits for (the queue, planned again every pass)."""
    from followup_sync import pacing

    today = now.astimezone(config.identity.zone).date()
    new = [f for f in open_now if f.key not in records]
    let_through = userdata.released(state, [f.key for f in new], today=today)
    candidates = [f for f in new if f.key not in let_through]
    starts = {k: r.start for k, r in wanted.items()}
    days = pacing.release_days(
        candidates, starts=starts, released_today=userdata.released_on(state, today),
        cap=config.pacing.max_new_per_day, today=today, schedule=config.schedule,
    )  # fmt: skip
    userdata.plan_release(state, days, today=today)
    return {k: d for k, d in days.items() if d > today}


def _digests(
    state: State, open_now: list[FollowUp], desired: Mapping[str, Reminder], records: Mapping[str, ReminderRecord],
    result: PassResult, *, config: Config, now: datetime,
) -> dict[str, Reminder]:  # fmt: skip
    """``[reminders] digest``: the day digests that replace the single reminders (``digest``)."""
    from followup_sync import digest

    tz, me = config.identity.zone, config.identity.addresses[0]
    items = [(f, desired[f.key]) for f in open_now if f.key in desired]
    days = {desired[f.key].start.astimezone(tz).date() for f, _ in items}
    rows = {day: digest.row(day, me, tz=tz, schedule=config.schedule) for day in days}
    known = {r.followup.key: r for r in state.followups(keys=[r.key for r in rows.values()])}
    skip = {day for day, r in rows.items() if r.key in known and known[r.key].status == "dismissed"}
    shown = {day: records[r.key].start for day, r in rows.items() if r.key in records}
    digests = digest.build(items, me=me, tz=tz, schedule=config.schedule, now=now, shown=shown,
                           people=result.people, skip=skip)  # fmt: skip
    fresh = [rows[d] for d in digests if rows[d].key not in known]
    if fresh:
        with state.transaction():
            state.save_followups(fresh)
            for r in fresh:
                state.set_status(r.key, "closed", "digest", now=now)  # never open: only its reminder row matters
    result.followups.update((rows[d].key, rows[d]) for d in digests)
    return {rem.key: rem for rem in digests.values()}


def _people_in(messages: list[Message], *, config: Config) -> list[Person]:
    """Names from the headers of these messages, phones and companies from their senders' own signatures."""
    from followup_sync import people
    from followup_sync.text import zoning

    me = frozenset(config.identity.addresses)
    own = {m.id: zoning.own_text(m.body, is_html=m.body_is_html) for m in messages if m.sender not in me}
    region = people.zone_region(config.identity.timezone) or "US"
    return people.facts(messages, me=me, own_text=own, region=region)


def _people_of(source: MailSource, *, now: datetime) -> list[Person]:
    """The rep's address book, from a source that has one (Outlook contacts, opt-in: ``PeopleSource``)."""
    contacts = getattr(source, "contacts", None)
    return list(contacts(now=now)) if callable(contacts) else []


def _overdue_expired(
    followups: list[FollowUp], records: dict[str, ReminderRecord], *, config: Config, now: datetime
) -> dict[str, str]:
    """Follow-ups whose reminder was carried for ``[schedule] overdue_days`` working days: they expire. A
    reminder the rep moved counts from the rep's time."""
    out = {}
    for f in followups:
        rec = records.get(f.key)
        since = rec.start if rec is not None and rec.user_owned else None
        if schedule.overdue_expired(f, schedule=config.schedule, tz=config.identity.zone, now=now, since=since):
            out[f.key] = "expired"
    return out


def _meetings(source: MeetingSource, *, now: datetime, config: Config) -> list[Meeting]:
    start = now - timedelta(days=config.rules.lookback_days)
    end = now + timedelta(days=config.rules.meeting_lookahead_days)
    return list(source.meetings(start, end))


_T = TypeVar("_T")


class _Blocks(Generic[_T]):
    """Items pickled into zlib blocks of about :attr:`BLOCK` bytes as they are added, and taken back once, in the
    order added, one block unpacked at a time (:meth:`drain`): what a pass holds of 50,000 messages stays a few
    MB of compressed text instead of parsed objects (mail text compresses about four times in blocks that size).

    Each block lives in an anonymous memory map of its own, not on the heap: a block let go is given back to the
    system at once, while freed heap memory between live objects stays the process's (20 MB of taken blocks
    that way were still counted in a 100,000-message pass's peak after detection had unpacked them).
    """

    BLOCK = 256 * 1024

    def __init__(self) -> None:
        self._blocks: list[mmap.mmap] = []
        self._open: list[_T] = []
        self._open_bytes = 0

    def append(self, item: _T, size: int) -> None:
        self._open.append(item)
        self._open_bytes += size
        if self._open_bytes >= self.BLOCK:
            self._seal()

    def _seal(self) -> None:
        if self._open:
            packed = zlib.compress(pickle.dumps(self._open, protocol=pickle.HIGHEST_PROTOCOL), 1)
            block = mmap.mmap(-1, len(packed))
            block.write(packed)
            self._blocks.append(block)
        self._open, self._open_bytes = [], 0

    def drain(self) -> Iterator[_T]:
        """Every item, in the order added; each block is let go as it is unpacked, so what was taken is freed
        while the rest is still being taken, and the items can be taken only once."""
        self._seal()
        blocks, self._blocks = self._blocks[::-1], []
        while blocks:
            with blocks.pop() as block:
                items: list[_T] = pickle.loads(zlib.decompress(block))  # noqa: S301 (our own objects, never from outside)
            yield from items


class _NewMail:
    """The pass's new messages, one per id (the earliest: the same mail filed in two folders, or read twice by
    the overlap, counts once), each read as it arrives and held small until the stages that need all of them.

    A message is read once, as the source yields it (:func:`_reader`): its text analysis, the flags its metadata
    keep (``threads.Facts``) and the people it names. What is held of it: its head (``threads.Head``: threading
    needs every message at once, but only that), its flags, and, compressed in :class:`_Blocks`, its analysis
    without the body and its people. Parsed messages and their bodies are never held: 50,000 of them, then
    their compressed copies, were most of the peak memory of a first pass over 100,000 messages (issue 11).
    Rows are numbered as added; a row whose id a later, earlier-dated copy took over is skipped.
    """

    def __init__(self) -> None:
        self._where: dict[str, int] = {}  # id -> number of the row that holds it
        self._sent: array[float] = array("d")  # each row's sent_at, as a timestamp
        self._heads: list[Head] = []
        self._flags: list[Facts] = []
        self._readings: _Blocks[Analysis] = _Blocks()
        self._people: _Blocks[tuple[str, list[Person]]] = _Blocks()
        #: Analyses whose time budget ran out, collected as :meth:`readings` passes them.
        self.cut_short: list[Analysis] = []

    def wants(self, message: Message) -> bool:
        """Whether ``message`` is to be read: no copy of it is held yet, or only a later-dated one."""
        held = self._where.get(message.id)
        return held is None or message.sent_at.timestamp() < self._sent[held]

    def add(self, read: _Read) -> None:
        """Hold a message as :func:`_reader` read it (one this :meth:`wants`)."""
        head = read.head
        self._where[head.id] = len(self._sent)
        self._sent.append(head.sent_at.timestamp())
        self._heads.append(head)
        self._flags.append(read.flags)
        self._readings.append(read.reading, len(read.reading.text) + 600)
        self._people.append((head.id, read.people), 100 * len(read.people))

    def __len__(self) -> int:
        return len(self._where)

    def _held(self, number: int, message_id: str) -> bool:
        return self._where[message_id] == number

    def heads(self) -> list[Head]:
        """What threading reads of every message, oldest first."""
        held = (h for n, h in enumerate(self._heads) if self._held(n, h.id))
        return sorted(held, key=lambda h: (h.sent_at, h.id))

    def metas(self, thread_of: Mapping[str, str], *, me: frozenset[str]) -> list[MessageMeta]:
        """Every message's metadata in its thread, in the order read. The heads are let go: the metadata share
        their ids and addresses and replace them."""
        from followup_sync import threads

        heads, flags = self._heads, self._flags
        self._heads, self._flags = [], []
        return [
            threads.meta_of(h, thread_of[h.id], f, me=me)
            for n, (h, f) in enumerate(zip(heads, flags, strict=True))
            if self._held(n, h.id)
        ]

    def people(self) -> Iterator[Person]:
        """The people the messages name, in the order read (``people.facts``: the newest last); once."""
        for number, (message_id, found) in enumerate(self._people.drain()):
            if self._held(number, message_id):
                yield from found

    def readings(self) -> Iterator[Analysis]:
        """Every message's text analysis (its message without the body), in the order read, one compressed
        block unpacked at a time and then let go; once."""
        for number, reading in enumerate(self._readings.drain()):
            if not self._held(number, reading.msg.id):
                continue
            yield reading
            if reading.skipped and reading.budget is not None:
                self.cut_short.append(reading)


class _Read(NamedTuple):
    """What a pass keeps of a new message, read as it arrives (:func:`_reader`)."""

    head: Head
    flags: Facts
    reading: Analysis  # without the body
    people: list[Person]


def _reader(config: Config, *, message_budget: float | None) -> Callable[[Message], _Read]:
    """How a pass reads a new message as it arrives: its text analysis (within its time budget), the flags its
    metadata keep, and the people it names; then the analysis lets the body go (``Analysis.without_body``).

    The text analysis (threads, rules and their pattern tables: most of a cold start) is imported here, by the
    first pass that has new mail to read: a pass with nothing to read never loads it.
    """
    from followup_sync import rules, threads
    from followup_sync.text.analysis import MESSAGE_BUDGET_SECONDS, Analysis, Budget

    tz, me, bulk = config.identity.zone, frozenset(config.identity.addresses), config.rules.bulk_recipients
    options = rules.date_options(config.schedule)
    seconds = MESSAGE_BUDGET_SECONDS if message_budget is None else message_budget

    def read(message: Message) -> _Read:
        reading = Analysis(message, tz=tz, options=options, budget=Budget(seconds))
        flags = threads.facts(message, me=me, bulk_recipients=bulk, analysis=reading)
        people = _people_in([message], config=config)
        return _Read(threads.Head.of(message), flags, reading.without_body(), people)

    return read


def _lost_to_another_writer(
    sink: ReminderSink, records: Mapping[str, ReminderRecord], desired: Mapping[str, Reminder],
    remote: Mapping[str, RemoteItem],
) -> set[str]:  # fmt: skip
    """Recorded, wanted reminders missing from a sink that says another writer replaced our last write with an
    older copy (``IcsReminderSink.overwritten``): lost, not deleted by the user, so they are written again."""
    if not getattr(sink, "overwritten", False):
        return set()
    lost = {key for key in records if key in desired and key not in remote}
    if lost:
        log.warning(
            "%s was written over from a copy older than followup-sync's last write (another computer or program "
            "writing the same file); writing back the %d reminder(s) it dropped",
            sink.name, len(lost),
        )  # fmt: skip
    return lost


def _remote_by_key(sink: ReminderSink) -> dict[str, RemoteItem]:
    remote: dict[str, RemoteItem] = {}
    for item in sink.list():
        if item.key in remote:
            # Two items with one key can only come from outside (a copied calendar); we manage the first.
            log.warning(
                "Reminder %s appears twice in %s; leaving the copy %s alone", item.key, sink.name, item.href
            )
            continue
        remote[item.key] = item
    return remote


class DryRunSink:
    """Wraps a real sink for ``--dry-run``: reads go through, writes are only recorded."""

    def __init__(self, inner: ReminderSink) -> None:
        self.inner = inner
        self.name = inner.name
        self._created: set[str] = set()

    def list(self) -> Iterator[RemoteItem]:
        return self.inner.list()

    @property
    def overwritten(self) -> bool:
        return bool(getattr(self.inner, "overwritten", False))

    def create(self, reminder: Reminder) -> RemoteItem:
        if reminder.key in self._created:
            raise PreconditionFailed("reminder already exists", backend=self.name)
        self._created.add(reminder.key)
        return RemoteItem(key=reminder.key, href=f"dry-run:{reminder.key}", etag="dry-run", start=reminder.start)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        return RemoteItem(key=reminder.key, href=href, etag=etag, start=reminder.start)

    def delete(self, href: str, etag: str) -> None:
        return None

    def close(self) -> None:
        return None


def purge(config: Config, *, dry_run: bool, sink: ReminderSink | None = None) -> list[RemoteItem]:
    """Delete every reminder of ours from the sink (only items with our MARKER) and forget them.

    Every open follow-up is marked dismissed so that a later pass does not put the reminders back; mail that
    arrives afterwards still creates new ones (stop the daemon first, `followup-sync service uninstall`).
    """
    with contextlib.ExitStack() as stack:
        target = sink or _opened(stack, backends.open_reminders(config))
        items = sorted(target.list(), key=lambda i: i.key)
        if dry_run:
            return items
        stack.enter_context(_exclusive(config.state_path, wait=LOCK_WAIT_SECONDS))
        state = State.open(config.state_path)
        stack.callback(state.close)
        deleted = []
        for item in items:
            target.delete(item.href, item.etag)
            with state.transaction():
                state.drop_reminder(item.key)
            deleted.append(item)
        with state.transaction():
            for rec in state.followups(status="open"):
                state.set_status(rec.followup.key, "dismissed", "purged")
        return deleted
