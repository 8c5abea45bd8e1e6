"""The long-running daemon: :func:`run` schedules ``sync.run_once`` with APScheduler and outlives every fault.

How it behaves over days:

- One pass at start, then one every ``[daemon] interval_minutes`` (plus up to ``jitter_seconds``). Passes never
  overlap (``max_instances=1``); runs missed while the machine slept are coalesced into one catch-up pass
  (``coalesce=True`` plus a misfire grace of at least one interval, so the catch-up is never dropped).
- APScheduler relies on the wall clock being right (agronholm/apscheduler#351). A watchdog compares the wall
  clock with the monotonic one: a suspend/resume or a forward jump wakes the scheduler for the catch-up pass,
  and a backward jump, which would otherwise stall the schedule for as long as the jump, reschedules it.
- A failed pass never ends the process. Each distinct problem is logged once (and "Recovered" when it
  clears), the next try backs off exponentially (interval x 2^n, capped), and a success resets the pace.
- The config file is re-read when it changes; an invalid edit is reported once and the last good one kept.
- One daemon per state database: ``<state>.daemon.lock`` (``filelock``: the OS drops it when the process dies,
  even on kill -9). ``<state>.daemon.json`` names the holder and tells ``followup-sync status`` how it is doing.
- SIGTERM/SIGINT (SIGBREAK on Windows) let the running pass finish, then exit 0; a second signal exits at
  once, which is safe too because the state commits per action and a crash is adopted on the next pass.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from followup_sync import config as config_mod
from followup_sync.config import Config
from followup_sync.errors import AlreadyRunning, ConfigError, SourceMissing
from followup_sync.faults import Problem, ProblemLog, backoff_seconds, classify
from followup_sync.logs import WarnedOnce, pass_line
from followup_sync.model import PassStats
from followup_sync.sanitise import clean

if TYPE_CHECKING:
    from followup_sync.sync import PassResult

log = logging.getLogger(__name__)

JOB_ID = "pass"
LOCK_SUFFIX = ".daemon.lock"
STATUS_SUFFIX = ".daemon.json"
WATCH_SECONDS = 30.0
CLOCK_JUMP_SECONDS = 5.0
STUCK_SECONDS = 600.0

#: A pass: (config, dry_run, should_stop) -> its stats, or the whole ``sync.PassResult`` (whose plan a dry-run
#: daemon keeps for ``followup-sync status``).
RunPass = Callable[[Config, bool, Callable[[], bool]], "PassStats | PassResult"]
#: The prefix ``plan.apply`` gives the note of a pass a stop request ended between writes.
STOPPED = "stopped before finishing"
#: Rows of a dry-run plan kept in the status file (the full plan is `followup-sync sync --dry-run`).
PLAN_ROWS = 500


def lock_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + LOCK_SUFFIX)


def status_path(state_path: Path) -> Path:
    return state_path.with_name(state_path.name + STATUS_SUFFIX)


def sync_pass(
    config: Config, dry_run: bool, should_stop: Callable[[], bool], *, warned: WarnedOnce | None = None
) -> PassResult:
    """The production pass: one ``sync.run_once`` (imported late so the daemon module stays light).

    ``warned`` is shared with CLI runs through its file, so a restart does not name every skipped message again.
    """
    from followup_sync import sync

    try:
        result = sync.run_once(config, dry_run=dry_run, should_stop=should_stop, warned=warned)
    finally:
        if warned is not None:
            warned.save()
    if not dry_run:
        from followup_sync.control.learning import learn_after_pass

        for line in learn_after_pass(config.state_path, now=result.now):
            log.info("Learnt: %s", line)
    return result


def read_status(state_path: Path) -> dict[str, Any] | None:
    """The daemon's status file, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(status_path(state_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_running(state_path: Path) -> bool:
    """Whether a daemon holds the lock for this state (asks the OS, so a killed one never counts)."""
    from filelock import FileLock, Timeout

    path = lock_path(state_path)
    if not path.exists():
        return False
    probe = FileLock(str(path), timeout=0, mode=0o600, thread_local=False)
    try:
        probe.acquire()
    except Timeout:
        return True
    except OSError:
        return False
    probe.release()
    return False


def run(
    config_path: Path | None,
    *,
    dry_run: bool = False,
    stop: threading.Event | None = None,
    run_pass: RunPass | None = None,
) -> int:
    """Run the daemon until ``stop`` is set or a signal arrives; the exit code (0, 1 already running, 2 config)."""
    from filelock import FileLock, Timeout

    try:
        config = config_mod.load(config_path)
    except ConfigError as exc:
        _tell_user(f"followup-sync cannot start: {exc}")
        return 2
    lock_file = lock_path(config.state_path)
    lock_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = FileLock(str(lock_file), timeout=0, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        holder = _holder(config.state_path)
        _tell_user(
            f"followup-sync is already running for this configuration ({holder}; lock {lock_file}). "
            "Stop that one first (`followup-sync service uninstall`, or end that process)."
        )
        return 1
    try:
        default = functools.partial(sync_pass, warned=WarnedOnce.default())
        daemon = Daemon(config, dry_run=dry_run, run_pass=run_pass or default)
        return daemon.serve(stop or threading.Event())
    finally:
        lock.release()


def _holder(state_path: Path) -> str:
    info = read_status(state_path) or {}
    pid, started = info.get("pid"), info.get("started")
    if pid is None:
        return "pid unknown"
    if not started:
        return f"pid {pid}"
    try:
        when = datetime.fromisoformat(started).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        when = str(started)
    return f"pid {pid}, started {when}"


def _tell_user(message: str) -> None:
    log.error("%s", message)
    from followup_sync import logs

    if not logs.console_active():
        print(clean(message, multiline=True), file=sys.stderr)


@dataclass
class _PassRecord:
    finished: str
    ok: bool
    seconds: float
    summary: str


class Daemon:
    """The scheduler, the pass job around ``run_pass`` and the status it publishes; :func:`run` drives it."""

    def __init__(
        self,
        config: Config,
        *,
        dry_run: bool,
        run_pass: RunPass,
        watch_seconds: float = WATCH_SECONDS,
        stuck_seconds: float = STUCK_SECONDS,
    ) -> None:
        self.config = config
        self.watch_seconds = watch_seconds
        self.stuck_seconds = stuck_seconds
        self.dry_run = dry_run
        self._run_pass = run_pass
        self._problems = ProblemLog(log)
        self._config_problem: Problem | None = None
        self._config_sig = _file_sig(config.path)
        self.failures = 0
        self.passes = 0
        self._last: _PassRecord | None = None
        self._plan: dict[str, Any] | None = None  # what the last dry-run pass would have written
        self._started = datetime.now(UTC)
        self._stop = threading.Event()
        # Held for the whole pass job. APScheduler's shutdown() holds its job-store lock while it waits for
        # running jobs, and our job ends by reading its own job: shutting down mid-pass would deadlock, so
        # serve() pauses the scheduler and waits for this lock first.
        self._busy = threading.Lock()
        self._pass_started: float | None = None  # monotonic start of the running pass
        self._stuck_reported = False
        self._delay = self._interval()
        self._scheduler: Any = None

    # --- schedule -------------------------------------------------------------------------------------------

    def _interval(self) -> float:
        return self.config.daemon.interval_minutes * 60.0

    def _jitter(self) -> float:
        # A jitter longer than half the interval would make "every N minutes" meaningless.
        return min(float(self.config.daemon.jitter_seconds), self._interval() / 2)

    def _grace(self) -> int:
        # With coalescing only the latest missed run time is tried, which is at most one interval (+jitter)
        # old; a grace shorter than that would drop the catch-up pass after a long sleep.
        floor = self._interval() + self._jitter() + WATCH_SECONDS
        return int(max(self.config.daemon.misfire_grace_minutes * 60.0, floor))

    def _trigger(self) -> Any:
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(seconds=self._interval(), jitter=self._jitter() or None, timezone=UTC)

    def serve(self, stop: threading.Event) -> int:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._stop = stop
        restore = _install_signals(stop)
        scheduler = BackgroundScheduler(timezone=UTC, executors={"default": ThreadPoolExecutor(1)})
        skip_notice = _SkipNotice()
        logging.getLogger("apscheduler.scheduler").addFilter(skip_notice)
        self._scheduler = scheduler
        scheduler.add_job(
            self._pass_job,
            trigger=self._trigger(),
            id=JOB_ID,
            next_run_time=datetime.now(UTC),
            max_instances=1,
            coalesce=True,
            misfire_grace_time=self._grace(),
        )
        scheduler.start()
        mode = " (dry run: nothing will be written)" if self.dry_run else ""
        log.info(
            "Daemon started (pid %d): a pass every %.4gs, config %s%s",
            os.getpid(),
            self._interval(),
            self.config.path,
            mode,
        )
        self._publish()
        try:
            wall, mono = time.time(), time.monotonic()
            while not stop.wait(min(self.watch_seconds, self._interval())):
                wall, mono = self._watch_clock(wall, mono)
        finally:
            log.info("Stopping: letting the running pass finish")
            scheduler.pause()
            with self._busy:
                pass
            scheduler.shutdown(wait=True)
            self._publish(stopped=True)
            log.info("Daemon stopped after %d passes", self.passes)
            restore()
            logging.getLogger("apscheduler.scheduler").removeFilter(skip_notice)
        return 0

    def _watch_clock(self, wall0: float, mono0: float) -> tuple[float, float]:
        """Notice a suspend/resume or a clock change and put the schedule right (see the module docstring)."""
        wall, mono = time.time(), time.monotonic()
        drift = (wall - wall0) - (mono - mono0)
        if abs(drift) > CLOCK_JUMP_SECONDS:
            log.info("Wall clock moved %+.0fs against the monotonic clock (sleep or time change)", drift)
            self._scheduler.wakeup()
        job = self._scheduler.get_job(JOB_ID)
        now = datetime.now(UTC)
        limit = now + timedelta(seconds=self._delay + self._jitter() + CLOCK_JUMP_SECONDS)
        if job is not None and job.next_run_time is not None and job.next_run_time > limit:
            log.info("Next pass was due at %s, after the clock went back: running it now", job.next_run_time)
            job.modify(next_run_time=now)
            self._scheduler.wakeup()
        self._check_stuck()
        return wall, mono

    def _check_stuck(self) -> None:
        """Say once when a pass runs far longer than the interval (a backend without a timeout, say).

        While it runs, APScheduler skips the due runs (max_instances=1) and would log that every interval;
        :class:`_SkipNotice` drops those lines, so this is the one line the user sees.
        """
        started = self._pass_started
        if started is None:
            self._stuck_reported = False
            return
        running = time.monotonic() - started
        if running > max(self.stuck_seconds, 3 * self._interval()) and not self._stuck_reported:
            self._stuck_reported = True
            log.warning(
                "Problem: the current pass has been running for %.0f minutes; later passes wait", running / 60
            )

    def _retry_in(self, seconds: float) -> None:
        self._delay = seconds
        self._scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC) + timedelta(seconds=seconds))

    # --- one pass ---------------------------------------------------------------------------------------------

    def _pass_job(self) -> None:
        """Never raises: whatever a pass throws becomes a logged-once problem and a backed-off retry."""
        with self._busy:
            if not self._stop.is_set():
                self._one_pass()

    def _one_pass(self) -> None:
        self._reload_config()
        extra = [self._config_problem] if self._config_problem else []
        t0 = self._pass_started = time.monotonic()
        try:
            outcome = self._run_pass(self.config, self.dry_run, self._stop.is_set)
        except AlreadyRunning as exc:
            log.info("Pass skipped: %s", exc)
            self._publish()
            return
        except Exception as exc:  # the daemon must outlive anything a pass raises; classify() names it
            self._failed(exc, time.monotonic() - t0, extra)
        else:
            stats = outcome if isinstance(outcome, PassStats) else outcome.stats
            if self.dry_run and not isinstance(outcome, PassStats):
                self._plan = plan_summary(outcome)
            self._succeeded(stats, time.monotonic() - t0, extra)
        finally:
            self._pass_started = None
        self.passes += 1
        self._publish()

    def _succeeded(self, stats: PassStats, seconds: float, extra: list[Problem]) -> None:
        line = pass_line(stats, seconds, dry_run=self.dry_run)
        log.debug("%s", line)  # sync.run_once already logged the pass's INFO line
        self._last = _PassRecord(datetime.now(UTC).isoformat(), True, round(seconds, 3), line)
        notes = list(stats.problems)
        if self._stop.is_set():
            # Told to stop, the pass left its remaining writes to the next one: that is no problem to report
            # (and no FAILED pass): say it once at INFO. Only writes count; "keep" steps are never left over.
            left = [p for p in notes if p.startswith(STOPPED)]
            notes = [p for p in notes if not p.startswith(STOPPED)]
            for note in left:
                log.info("Pass ended early for the shutdown: %s", note.removeprefix(f"{STOPPED}: "))
        partial = [Problem(key=f"pass:{p}", message=p) for p in notes]
        self._problems.report([*extra, *partial])
        if self.failures:
            self.failures = 0
            self._delay = self._interval()

    def _failed(self, exc: Exception, seconds: float, extra: list[Problem]) -> None:
        problem = classify(exc, state_path=self.config.state_path)
        self.failures += 1
        cap = max(self.config.daemon.max_backoff_minutes * 60.0, self._interval())
        # Back-off spares a struggling server; looking for a local folder costs nothing, and the rep expects
        # followup-sync to carry on within one interval of the folder coming back.
        local = isinstance(exc, SourceMissing)
        delay = self._interval() if local else backoff_seconds(self.failures, interval=self._interval(), cap=cap)
        self._problems.report([*extra, problem], exc=exc, retry_in=delay)
        log.debug("Pass %d failed (%d in a row): %s; next try in %.0fs", self.passes, self.failures, exc, delay)
        self._last = _PassRecord(datetime.now(UTC).isoformat(), False, round(seconds, 3), problem.message)
        self._retry_in(delay)

    def _reload_config(self) -> None:
        """Re-read the config file when it changed; keep the last good one when the new one is invalid."""
        path = self.config.path
        sig = _file_sig(path)
        if path is None or sig == self._config_sig:
            return
        self._config_sig = sig
        try:
            new = config_mod.load(path)
        except ConfigError as exc:
            self._config_problem = Problem(
                key=f"config:{exc}",
                message=f"{exc}",
                fix=f"fix {path}; until then followup-sync keeps using the last good configuration",
                needs_user=True,
            )
            return
        if new.state_path != self.config.state_path:
            self._config_problem = Problem(
                key=f"config:state:{new.state_path}",
                message=f"state.path changed to {new.state_path}",
                fix="restart followup-sync to use the new state database",
                needs_user=True,
            )
            return
        self._config_problem = None
        schedule_changed = new.daemon != self.config.daemon
        self.config = new
        log.info("Configuration reloaded from %s", path)
        if schedule_changed and self._scheduler is not None:
            self._delay = self._interval()
            self._scheduler.reschedule_job(JOB_ID, trigger=self._trigger())
            self._scheduler.modify_job(JOB_ID, misfire_grace_time=self._grace())

    # --- status file -------------------------------------------------------------------------------------------

    def _publish(self, *, stopped: bool = False) -> None:
        """Write ``<state>.daemon.json`` atomically; a failure (disk full) is not worth more than a DEBUG line."""
        next_run = None
        if not stopped and self._scheduler is not None:
            job = self._scheduler.get_job(JOB_ID)
            if job is not None and job.next_run_time is not None:
                next_run = job.next_run_time.astimezone(UTC).isoformat()
        data = {
            "pid": os.getpid(),
            "started": self._started.isoformat(),
            "config": str(self.config.path),
            "dry_run": self.dry_run,
            "running": not stopped,
            "passes": self.passes,
            "failures_in_a_row": self.failures,
            "next_run": next_run,
            "last_pass": asdict(self._last) if self._last else None,
            "plan": self._plan if self.dry_run else None,
            "problems": [p.to_json() for p in self._problems.active()],
        }
        try:
            _write_private(status_path(self.config.state_path), json.dumps(data, indent=1))
        except OSError as exc:
            log.debug("Cannot write the status file: %s", exc)


def plan_summary(result: PassResult, *, rows: int = PLAN_ROWS) -> dict[str, Any]:
    """What a dry-run pass would write, for the status file: counts per operation and the rows that change
    something (create, update, delete), soonest first, at most ``rows`` of them. Subjects are cleaned."""
    from followup_sync import report

    shown = report.shown(result)
    counts = {op: sum(1 for r in shown if r[0] == op) for op in ("create", "update", "delete", "keep")}
    changes = [
        {
            "op": op,
            "kind": f.kind,
            "contacts": [clean(c) for c in f.contacts],
            "reminder_start": rem.start.astimezone(UTC).isoformat(),
            "subject": clean(rem.subject),
        }
        for op, _action, f, rem in shown
        if op != "keep"
    ]
    return {"at": result.now.astimezone(UTC).isoformat(), "counts": counts, "rows": changes[:rows],
            "more": max(0, len(changes) - rows)}  # fmt: skip


class _SkipNotice(logging.Filter):
    """Drops APScheduler's per-interval "skipped: maximum number of running instances" warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


def _file_sig(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _install_signals(stop: threading.Event) -> Callable[[], None]:
    """First SIGTERM/SIGINT/SIGBREAK: stop after the running pass. Second: exit at once."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("Second %s: exiting now (state is committed per action; nothing is half-written)", name)
            os._exit(128 + signum)
        log.info("Received %s", name)
        stop.set()

    names: Iterable[str] = ("SIGTERM", "SIGINT", "SIGBREAK")
    previous: dict[int, Any] = {}
    for name in names:
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, handle)

    def restore() -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    return restore
