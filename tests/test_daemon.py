"""The daemon: schedule, back-off, log-once problems, config reload, clock jumps, single instance, status.

The first half runs :class:`followup_sync.daemon.Daemon` in-process with a recorded fake pass (fast, exact
timings); the second half starts the real daemon as a subprocess against maildir + .ics backends.
"""

from __future__ import annotations

import email.utils
import errno
import itertools
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from followup_sync import config as config_mod
from followup_sync import daemon
from followup_sync.config import Config
from followup_sync.errors import (
    BackendError,
    ConfigError,
    CredentialsError,
    SinkEmptied,
    SourceMissing,
    TransientError,
)
from followup_sync.faults import Problem, ProblemLog, backoff_seconds, classify
from followup_sync.model import PassStats

CONFIG = """\
[identity]
addresses = ["rep@vendor.com"]
timezone = "America/New_York"
name = "{name}"

[mail]
backend = "none"

[meetings]
backend = "none"

[reminders]
backend = "ics"
path = "reminders.ics"

[daemon]
interval_minutes = {interval}
jitter_seconds = 0
misfire_grace_minutes = 1
max_backoff_minutes = {cap}
"""


def write_config(path: Path, *, interval: float = 0.005, cap: float = 0.02, name: str = "Rita") -> Path:
    path.write_text(CONFIG.format(interval=interval, cap=cap, name=name), encoding="utf-8")
    return path


@dataclass
class FakePass:
    """Records each call; ``script`` decides per call number (1-based) whether to raise."""

    script: Callable[[int], BaseException | None] = lambda n: None
    calls: list[tuple[float, Config]] = field(default_factory=list)
    stats: PassStats = field(default_factory=PassStats)

    def __call__(self, config: Config, dry_run: bool, should_stop: Callable[[], bool]) -> PassStats:
        self.calls.append((time.monotonic(), config))
        exc = self.script(len(self.calls))
        if exc is not None:
            raise exc
        return self.stats

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.calls)} passes after {timeout}s, wanted {n}")
            time.sleep(0.02)

    def gaps(self) -> list[float]:
        times = [t for t, _ in self.calls]
        return [b - a for a, b in itertools.pairwise(times)]


@pytest.fixture
def cfg_path(home: Path) -> Path:
    return write_config(home / "config.toml")


@pytest.fixture
def start() -> Iterator[Callable[..., tuple[FakePass, threading.Event]]]:
    """Start ``daemon.run`` in a thread (no signal handlers there); always stopped at the end of the test."""
    threads: list[tuple[threading.Thread, threading.Event]] = []

    def _start(path: Path, fake: FakePass | None = None) -> tuple[FakePass, threading.Event]:
        fake = fake or FakePass()
        stop = threading.Event()
        t = threading.Thread(target=daemon.run, args=(path,), kwargs={"stop": stop, "run_pass": fake})
        t.start()
        threads.append((t, stop))
        return fake, stop

    yield _start
    for t, stop in threads:
        stop.set()
        t.join(10)
        assert not t.is_alive()


def messages(caplog: pytest.LogCaptureFixture, startswith: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(startswith)]


# --- schedule -----------------------------------------------------------------------------------------------


def test_one_pass_at_start_then_one_per_interval(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]]
) -> None:
    t0 = time.monotonic()
    fake, _ = start(cfg_path)
    fake.wait_for(4)
    assert fake.calls[0][0] - t0 < 0.3
    assert all(0.2 < gap < 0.6 for gap in fake.gaps()), fake.gaps()  # interval 0.3 s


def test_failures_are_logged_once_back_off_and_recover(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    down = TransientError("connection timed out", backend="imap")
    fake, _ = start(cfg_path, FakePass(script=lambda n: down if n <= 4 else None))
    fake.wait_for(7, timeout=15)
    gaps = fake.gaps()
    # interval 0.3 s, cap 1.2 s: failures wait 0.6, 1.2, 1.2, 1.2; success restores 0.3
    assert 0.5 < gaps[0] < 0.9 and 1.1 < gaps[1] < 1.5 and 1.1 < gaps[3] < 1.5, gaps
    assert 0.2 < gaps[5] < 0.6, gaps
    problems = messages(caplog, "Problem:")
    assert len(problems) == 1 and "imap unreachable: connection timed out" in problems[0]
    assert "next try in 1s" in problems[0] or "next try in 0s" in problems[0]
    assert len(messages(caplog, "Recovered: imap unreachable")) == 1


def test_an_unexpected_exception_does_not_stop_the_daemon(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake, _ = start(cfg_path, FakePass(script=lambda n: KeyError("bug") if n == 1 else None))
    fake.wait_for(3)
    [problem] = [r for r in caplog.records if r.getMessage().startswith("Problem:")]
    assert problem.levelno == logging.ERROR and problem.exc_info is not None  # a bug gets its traceback
    assert len(messages(caplog, "Recovered: unexpected error KeyError")) == 1


def test_invalid_config_edit_keeps_the_last_good_one_and_is_reported_once(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake, _ = start(cfg_path)
    fake.wait_for(2)
    cfg_path.write_text("[identity\nbroken = ", encoding="utf-8")
    n = len(fake.calls)
    fake.wait_for(n + 3)
    assert {c.identity.name for _, c in fake.calls} == {"Rita"}  # passes go on with the last good config
    [problem] = messages(caplog, "Problem:")
    assert "is not valid TOML" in problem and "keeps using the last good configuration" in problem
    write_config(cfg_path, name="Rita Rep")
    n = len(fake.calls)
    fake.wait_for(n + 2)
    assert fake.calls[-1][1].identity.name == "Rita Rep"
    assert messages(caplog, "Configuration reloaded from")
    assert len(messages(caplog, "Recovered:")) == 1


def test_interval_change_in_the_config_reschedules(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]]
) -> None:
    fake, _ = start(cfg_path)
    fake.wait_for(2)
    write_config(cfg_path, interval=0.015)  # 0.9 s
    n = len(fake.calls)
    fake.wait_for(n + 3)
    assert 0.8 < fake.gaps()[-1] < 1.3, fake.gaps()


class _Scheduler:
    """Stands in for APScheduler where only the next-run choice is under test."""

    def get_job(self, job_id: str) -> None:
        return None

    def modify_job(self, job_id: str, **changes: object) -> None:
        pass


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        # a local folder that is away: looked for again every interval, never an hour of back-off
        (SourceMissing("[mail] folder not found: /m", backend="maildir", path="/m"), [300.0] * 6),
        # a server that is down: spared by the back-off, doubling up to max_backoff_minutes
        (TransientError("timed out", backend="caldav"), [600.0, 1200.0, 2400.0, 3600.0, 3600.0, 3600.0]),
    ],
)
def test_a_missing_folder_is_retried_every_interval_a_server_fault_backs_off(
    home: Path, exc: Exception, expected: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    config = config_mod.load(write_config(home / "config.toml", interval=5, cap=60))
    d = daemon.Daemon(config, dry_run=False, run_pass=FakePass(script=lambda n: exc))
    d._scheduler = _Scheduler()
    delays = []
    for _ in expected:
        d._one_pass()
        delays.append(d._delay)
    assert delays == expected
    [problem] = messages(caplog, "Problem:")
    if isinstance(exc, SourceMissing):
        assert problem == (
            "Problem: [mail] folder not found: /m; fix: check that it is there (a disconnected drive, a synced "
            "folder still catching up, a moved folder); followup-sync looks for it again at every pass; "
            "next try in 300s"
        )
        assert "configuration" not in problem


# --- faults, back-off, log-once (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "key", "needs_user", "fix"),
    [
        (TransientError("503", backend="graph"), "unreachable:graph", False, "retries by itself"),
        (CredentialsError("token expired"), "login", True, "followup-sync login"),
        (SinkEmptied(sink="ics", expected=4), "sink-emptied", True, "--force"),
        (ConfigError("bad", problems=["x: y"]), "config:bad\n  - x: y", True, "fix the configuration"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk-full", True, "free some space"),
        (sqlite3.OperationalError("database or disk is full"), "disk-full", True, "free some space"),
        (sqlite3.OperationalError("database is locked"), "state-locked", False, "close whatever"),
        (sqlite3.DatabaseError("file is not a database"), "state-broken", True, "move"),
        (BackendError("HTTP 400", backend="caldav"), "backend:caldav", False, "retries"),
        (
            SourceMissing("[mail] folder not found: /m", backend="maildir", path="/m"),
            "missing:/m",
            False,
            "looks for it again at every pass",
        ),
        (ValueError("oops"), "unexpected:ValueError", False, "report"),
    ],
)
def test_classify(exc: BaseException, key: str, needs_user: bool, fix: str, tmp_path: Path) -> None:
    p = classify(exc, state_path=tmp_path / "state.db")
    assert (p.key, p.needs_user) == (key, needs_user)
    assert fix in p.fix


def test_classify_looks_through_wrapped_causes(tmp_path: Path) -> None:
    wrapped = BackendError("cannot write reminders.ics", backend="ics")
    wrapped.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert classify(wrapped, state_path=tmp_path / "s.db").key == "disk-full"


def test_classify_state_errors_from_the_state_module(tmp_path: Path) -> None:
    from followup_sync.state import State

    bad = tmp_path / "state.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception) as info:
        State.open(bad)
    problem = classify(info.value, state_path=bad)
    assert problem.needs_user and "move" in (problem.fix + problem.message)


@pytest.mark.parametrize(
    ("failures", "expected"), [(0, 300.0), (1, 600.0), (2, 1200.0), (3, 2400.0), (4, 3600.0), (50, 3600.0)]
)
def test_backoff_doubles_up_to_the_cap(failures: int, expected: float) -> None:
    assert backoff_seconds(failures, interval=300.0, cap=3600.0) == expected


def test_backoff_cap_is_never_below_the_interval() -> None:
    assert backoff_seconds(3, interval=600.0, cap=60.0) == 600.0


def test_problem_log_says_each_problem_once_and_when_it_clears(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    plog = ProblemLog(logging.getLogger("t"))
    a, b = Problem("a", "A is down", "wait"), Problem("b", "B expired", "log in", needs_user=True)
    for problems in ([a], [a], [a, b], [a, b], [b], [], []):
        plog.report(problems)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "Problem: A is down; fix: wait",
        "Problem: B expired; fix: log in",
        "Recovered: A is down (a problem since " + lines[2].split("since ")[1],
        "Recovered: B expired (a problem since " + lines[3].split("since ")[1],
    ]
    assert [r.levelno for r in caplog.records[:2]] == [logging.WARNING, logging.ERROR]


# --- clock jumps (in-process, time-machine moves the wall clock only) -----------------------------------


def _serve(config: Config, fake: FakePass) -> tuple[daemon.Daemon, threading.Event, threading.Thread]:
    d = daemon.Daemon(config, dry_run=False, run_pass=fake, watch_seconds=0.1)
    stop = threading.Event()
    t = threading.Thread(target=d.serve, args=(stop,))
    t.start()
    return d, stop, t


def _first_pass_done(d: daemon.Daemon, fake: FakePass) -> None:
    """Wait until the first pass has returned and APScheduler has seen the job finish: a jump while it still
    counts the job as running makes it skip the due run (max_instances=1), which is not what is tested here."""
    fake.wait_for(1)
    wait_until(lambda: d.passes >= 1, 5, "the first pass to finish")
    time.sleep(0.3)


def test_forward_clock_jump_gives_exactly_one_catch_up_pass(cfg_path: Path) -> None:
    config = config_mod.load(write_config(cfg_path, interval=1))  # 60 s: no regular pass during the test
    fake = FakePass()
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        d, stop, t = _serve(config, fake)
        try:
            _first_pass_done(d, fake)
            traveller.shift(timedelta(hours=3))  # 180 missed runs
            fake.wait_for(2, timeout=3)
            time.sleep(0.5)
            assert len(fake.calls) == 2
            job = d._scheduler.get_job(daemon.JOB_ID)
            assert timedelta(seconds=55) < job.next_run_time - datetime.now(UTC) < timedelta(seconds=61)
        finally:
            stop.set()
            t.join(10)


def test_backward_clock_jump_does_not_stall_the_schedule(cfg_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    config = config_mod.load(write_config(cfg_path, interval=1))
    fake = FakePass()
    with time_machine.travel(datetime.now(UTC), tick=True) as traveller:
        _d, stop, t = _serve(config, fake)
        try:
            _first_pass_done(_d, fake)
            traveller.shift(timedelta(hours=-2))  # without the watchdog the next pass would be 2 h away
            fake.wait_for(2, timeout=3)
            time.sleep(0.5)
            assert len(fake.calls) == 2
            assert messages(caplog, "Next pass was due at")
        finally:
            stop.set()
            t.join(10)


# --- single instance and status --------------------------------------------------------------------------


def test_a_second_instance_is_refused_naming_the_first(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _ = start(cfg_path)
    fake.wait_for(1)
    # the first daemon names itself in its status file right after its first pass, a moment after it began
    state = config_mod.load(cfg_path).state_path
    deadline = time.monotonic() + 10
    while (daemon.read_status(state) or {}).get("pid") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    assert daemon.run(cfg_path, run_pass=FakePass()) == 1
    assert time.monotonic() - t0 < 3.0  # refused at once, not after waiting for the lock (slack for a loaded CI)
    err = capsys.readouterr().err
    assert "already running" in err and f"pid {os.getpid()}" in err and "daemon.lock" in err


def test_invalid_config_at_start_exits_2(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = home / "config.toml"
    bad.write_text("[identity]\n", encoding="utf-8")
    assert daemon.run(bad, run_pass=FakePass()) == 2
    assert "identity.addresses" in capsys.readouterr().err


def test_status_file_and_report_while_running_and_after(
    cfg_path: Path, start: Callable[..., tuple[FakePass, threading.Event]]
) -> None:
    from followup_sync.status import status_report

    expired = CredentialsError("the refresh token has expired")
    fake, stop = start(cfg_path, FakePass(script=lambda n: expired))
    fake.wait_for(1)
    config = config_mod.load(cfg_path)
    deadline = time.monotonic() + 5
    while not (daemon.read_status(config.state_path) or {}).get("problems"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    info = daemon.read_status(config.state_path)
    assert info is not None and info["running"] and info["next_run"] and info["last_pass"]["ok"] is False
    assert (daemon.status_path(config.state_path).stat().st_mode & 0o777) == 0o600
    report = status_report(config)
    assert "Daemon: running (pid" in report and "Next pass:" in report
    assert "Needs your attention:" in report and "run `followup-sync login`" in report
    stop.set()
    deadline = time.monotonic() + 5
    while daemon.is_running(config.state_path):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert "Daemon: not running" in status_report(config)


# --- the real daemon as a subprocess (maildir in, .ics out) -----------------------------------------------

SUB_CONFIG = """\
[identity]
addresses = ["rep@vendor.com"]
timezone = "America/New_York"

[mail]
backend = "maildir"
path = "mail"

[meetings]
backend = "none"

[reminders]
backend = "ics"
path = "reminders.ics"
max_new_per_day = 500

[state]
path = "state/state.db"

[daemon]
interval_minutes = {interval}
jitter_seconds = 0
max_backoff_minutes = {cap}
"""


class Box:
    """A temp folder with a maildir, a config, and helpers to run and watch ``python -m followup_sync run``."""

    def __init__(self, root: Path, *, interval: float = 0.05, cap: float = 60.0) -> None:
        self.root = root
        self.mail = root / "mail"
        for sub in ("cur", "new", "tmp"):
            (self.mail / sub).mkdir(parents=True)
        self.config = root / "config.toml"
        self.config.write_text(SUB_CONFIG.format(interval=interval, cap=cap), encoding="utf-8")
        self.ics = root / "reminders.ics"
        self.state = root / "state" / "state.db"
        self.log = root / "home" / "logs" / "followup-sync.log"
        self.env = {**os.environ, "FOLLOWUP_SYNC_HOME": str(root / "home"), "PYTHONUNBUFFERED": "1"}
        self.procs: list[subprocess.Popen[str]] = []
        self._n = 0

    def add_mail(self, count: int = 1) -> None:
        """Sent mail with a promise ("I'll call you tomorrow"), delivered the Maildir way (tmp/ then new/)."""
        now = datetime.now(UTC)
        for _ in range(count):
            self._n += 1
            n = self._n
            sent = email.utils.format_datetime(now - timedelta(minutes=30 + n % 600))
            text = (
                f"From: Rita Rep <rep@vendor.com>\nTo: Contact {n} <c{n}@acme{n}.com>\nSubject: Pricing {n}\n"
                f"Date: {sent}\nMessage-ID: <p{n}@vendor.com>\nContent-Type: text/plain; charset=utf-8\n"
                f"MIME-Version: 1.0\n\nHi,\n\nI'll call you tomorrow at 10am to go over the numbers.\n\nRita\n"
            )
            name = f"{int(time.time())}.{os.getpid()}_{n}.box"
            (self.mail / "tmp" / name).write_text(text, encoding="utf-8")
            (self.mail / "tmp" / name).rename(self.mail / "new" / name)

    def start(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "followup_sync", "run", "--config", str(self.config), *args],
            cwd=self.root, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    def lines(self, phrase: str) -> list[str]:
        try:
            text = self.log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if phrase in line]

    def passes(self) -> int:
        return len(self.lines("followup_sync.sync: Pass finished"))

    def uids(self) -> list[str]:
        try:
            text = self.ics.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [u.strip() for u in re.findall(r"^UID:(.+)$", text, re.M) if u.strip().endswith("@followup-sync")]

    def check_consistent(self, expected: int | None) -> None:
        """Exactly one reminder per open follow-up, no duplicates, and the state agrees with the calendar.

        ``expected=None`` is a pass stopped between writes: the reminders written so far must be unique and
        recorded, and the follow-ups not reached yet are still open for the next pass.
        """
        from followup_sync.state import State

        uids = self.uids()
        assert len(uids) == len(set(uids)), (len(uids), len(set(uids)))
        assert expected is None or len(uids) == expected, (len(uids), expected)
        with sqlite3.connect(self.state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        state = State.snapshot(self.state)
        try:
            keys = set(state.reminders())
            open_keys = {r.followup.key for r in state.followups(status="open")}
        finally:
            state.close()
        written = {u.removesuffix("@followup-sync") for u in uids}
        assert written == keys
        assert written == open_keys if expected is not None else written <= open_keys

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.communicate(timeout=10)


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> float:
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - t0


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    b = Box(tmp_path)
    yield b
    b.stop_all()


@pytest.mark.slow
def test_real_daemon_passes_on_schedule_picks_up_new_mail_refuses_a_second_and_stops_cleanly(box: Box) -> None:
    box.add_mail(2)
    proc = box.start()
    wait_until(lambda: box.passes() >= 1, 10, "the first pass")
    t_first = time.monotonic()
    assert len(box.uids()) == 2
    box.add_mail(1)
    took = wait_until(lambda: len(box.uids()) == 3, 10, "the new mail's reminder")
    assert took < 3.0 + 1.5  # within one interval (3 s) plus the pass itself

    second = subprocess.run(
        [sys.executable, "-m", "followup_sync", "run", "--config", str(box.config)],
        cwd=box.root, env=box.env, capture_output=True, text=True, timeout=20,
    )  # fmt: skip
    assert second.returncode == 1
    assert "already running" in second.stderr and f"pid {proc.pid}" in second.stderr

    wait_until(lambda: box.passes() >= 3, 15, "three passes")
    elapsed = time.monotonic() - t_first
    assert box.passes() <= elapsed / 3.0 + 2  # on schedule: no extra passes
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert box.lines("Daemon stopped after")
    box.check_consistent(3)
    assert not daemon.is_running(box.state)


@pytest.mark.slow
def test_sigterm_mid_pass_stops_between_writes_and_kill_9_is_reclaimed_without_duplicates(box: Box) -> None:
    box.add_mail(80)
    first = box.start()
    wait_until(lambda: box.lines("Creating reminder"), 15, "the first write")
    first.send_signal(signal.SIGTERM)
    assert first.wait(15) == 0
    log = box.log.read_text(encoding="utf-8")
    assert log.index("Received SIGTERM") < log.index("followup_sync.sync: Pass finished")  # it was mid-pass
    box.check_consistent(None)  # what was written is whole and recorded; the rest waits for the next pass

    box.add_mail(80)
    before = len(box.lines("Creating reminder"))
    second = box.start()
    wait_until(lambda: len(box.lines("Creating reminder")) > before + 5, 15, "writes of the second run")
    second.kill()  # SIGKILL mid-pass: no chance to clean up, the OS drops the lock
    second.wait(5)
    t0 = time.monotonic()
    box.start()
    wait_until(lambda: len(box.lines("Daemon started")) == 3, 10, "the third daemon to start")
    assert time.monotonic() - t0 < 5 and not box.lines("already running")
    wait_until(lambda: len(box.uids()) >= 160 and box.passes() >= 3, 20, "the third daemon's pass")
    box.check_consistent(160)


@pytest.mark.slow
def test_sleep_gives_one_catch_up_pass_not_a_burst(tmp_path: Path) -> None:
    box = Box(tmp_path, interval=0.02)  # 1.2 s
    try:
        box.add_mail(1)
        proc = box.start()
        wait_until(lambda: box.passes() >= 2, 10, "two passes")
        proc.send_signal(signal.SIGSTOP)  # the laptop sleeps through 4 intervals
        time.sleep(4.8)
        before = box.passes()
        proc.send_signal(signal.SIGCONT)
        # waited for, not slept on: under a loaded machine the catch-up can start later than 0.9 s
        wait_until(lambda: box.passes() - before >= 1, 10, "the catch-up pass")
        caught = time.monotonic()
        time.sleep(0.3)
        assert box.passes() - before == 1  # one catch-up pass, not the four missed ones in a burst
        wait_until(lambda: box.passes() - before >= 2, 10, "the next pass at the normal pace")
        # no more passes than the interval allows since the catch-up (one more as slack for a late clock)
        assert box.passes() - before <= 2 + int((time.monotonic() - caught) / 1.2)
        assert proc.poll() is None
        assert not box.lines("was missed by")  # the catch-up was not dropped as a misfire
    finally:
        box.stop_all()


@pytest.mark.slow
def test_source_failing_for_several_passes_is_logged_once_and_the_calendar_ends_up_right(tmp_path: Path) -> None:
    box = Box(tmp_path, interval=0.02, cap=0.04)  # 1.2 s, back-off capped at 2.4 s
    try:
        box.add_mail(1)
        proc = box.start()
        wait_until(lambda: box.passes() >= 1 and len(box.uids()) == 1, 10, "the first pass")
        away = box.root / "mail.away"
        box.mail.rename(away)  # the mail folder goes away (an unmounted drive, a broken sync client)
        status = lambda: daemon.read_status(box.state) or {}  # noqa: E731
        wait_until(lambda: status().get("failures_in_a_row", 0) >= 3, 20, "three failed passes")
        away.rename(box.mail)
        box.add_mail(1)  # mail that arrived during the outage
        wait_until(lambda: box.lines("Recovered:"), 10, "recovery")
        wait_until(lambda: len(box.uids()) == 2, 10, "the reminder for mail from the outage")
        assert proc.poll() is None
        [problem] = box.lines("Problem:")
        # not a config error, and retried at the interval (1.2 s), where a server fault would back off
        assert "folder not found" in problem and "configuration" not in problem, problem
        assert "next try in 1s" in problem, problem
        assert len(box.lines("Recovered:")) == 1
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        box.check_consistent(2)
    finally:
        box.stop_all()


# --- the real pass in-process: dry run, corrupt state, status with follow-ups ------------------------------


@pytest.fixture
def run_real(tmp_path: Path) -> Iterator[Callable[..., tuple[Box, threading.Event]]]:
    """The daemon with the real ``sync.run_once`` in a thread (no subprocess start-up cost)."""
    threads: list[tuple[threading.Thread, threading.Event]] = []

    def _run(*, dry_run: bool = False, mails: int = 2) -> tuple[Box, threading.Event]:
        box = Box(tmp_path, interval=0.01, cap=0.02)  # 0.6 s, back-off capped at 1.2 s
        box.add_mail(mails)
        stop = threading.Event()
        t = threading.Thread(target=daemon.run, args=(box.config,), kwargs={"stop": stop, "dry_run": dry_run})
        t.start()
        threads.append((t, stop))
        return box, stop

    yield _run
    for t, stop in threads:
        stop.set()
        t.join(15)
        assert not t.is_alive()


def test_dry_run_daemon_plans_and_logs_but_writes_nothing(
    run_real: Callable[..., tuple[Box, threading.Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    box, _ = run_real(dry_run=True)
    wait_until(lambda: len(messages(caplog, "Pass finished")) >= 2, 10, "two dry passes")
    first = messages(caplog, "Pass finished")[0]
    assert "2 created" in first and first.endswith("(dry run)")
    assert not box.ics.exists() and not box.state.exists()
    assert not [m for m in messages(caplog, "Creating reminder") if str(box.ics) in m]  # the sink never wrote
    # the plan is kept where `followup-sync status` shows it, for the rep to review what it would write
    from followup_sync.status import status_report

    report = status_report(config_mod.load(box.config))
    assert "Daemon: running in dry-run mode" in report
    assert (
        "Plan of the last dry-run pass at " in report and "(nothing written): 2 to create, 0 to update" in report
    )
    rows = [line for line in report.splitlines() if line.startswith("  create ")]
    assert len(rows) == 2 and all("promise: c" in r and "Call c" in r for r in rows), report
    assert not box.state.exists()


def test_a_shutdown_with_writes_left_is_no_problem_and_no_failed_pass(
    cfg_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    stats = PassStats(problems=["stopped before finishing: 3 write(s) left for the next pass"])
    d = daemon.Daemon(config_mod.load(cfg_path), dry_run=False, run_pass=FakePass(stats=stats))
    d._scheduler = _Scheduler()
    d._stop.set()
    d._one_pass()
    assert messages(caplog, "Problem:") == []
    assert messages(caplog, "Pass ended early for the shutdown: 3 write(s) left for the next pass")
    assert d._problems.active() == []


def test_status_of_a_pass_stopped_between_writes_and_of_one_stopped_among_keeps(tmp_path: Path) -> None:
    """SIGTERM while only "keep" steps remain: no note at all; while writes remain: "ended early", not FAILED."""
    from followup_sync.backends.memory import MemorySink, MemorySource
    from followup_sync.status import status_report
    from followup_sync.sync import run_once
    from tests.factories import REP, at, message

    config = config_mod.load(write_config(tmp_path / "config.toml"))
    mails = [
        message(sender=REP, to=f"c{i}@acme{i}.com", subject=f"Pricing {i}", sent="2026-03-16 10:00",
                body="Hi,\n\nI'll call you tomorrow at 10am.\n\nRita")
        for i in range(4)
    ]  # fmt: skip
    source, sink = MemorySource(mails), MemorySink()
    now = at("2026-03-16 12:00")
    first = run_once(config, now=now, mail=source, meetings=source, sink=sink, should_stop=lambda: True)
    assert first.problems == ["stopped before finishing: 4 write(s) left for the next pass"]
    report = status_report(config, now=now)
    assert "ended early by a shutdown: 4 write(s) left for the next pass" in report and "FAILED" not in report
    run_once(config, now=now, mail=source, meetings=source, sink=sink)
    kept = run_once(config, now=now, mail=source, meetings=source, sink=sink, should_stop=lambda: True)
    assert {a.op for a in kept.actions} == {"keep"} and kept.problems == []
    report = status_report(config, now=now)
    assert "ok: 4 messages read" in report and "FAILED" not in report and "ended early" not in report


def test_corrupt_state_is_reported_once_and_a_fresh_one_adopts_the_calendar(
    run_real: Callable[..., tuple[Box, threading.Event]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    box, _ = run_real()
    wait_until(lambda: len(box.uids()) == 2, 10, "the first reminders")
    # Corrupt the file between passes: a pass still open on it commits its pages over the garbage and leaves a
    # valid database again (seen in CI when the write landed between the calendar write and the state commit).
    wait_until(lambda: messages(caplog, "Pass finished"), 10, "the first pass to finish")

    def corrupted_and_failing() -> bool:
        if box.state.exists() and box.state.read_bytes()[:16] == b"SQLite format 3\x00":
            box.state.write_bytes(b"not a database " * 500)
        return bool((daemon.read_status(box.state) or {}).get("failures_in_a_row", 0) >= 3)

    wait_until(corrupted_and_failing, 15, "failed passes")
    [problem] = messages(caplog, "Problem:")
    assert "state.db cannot be used" in problem and "aside" in problem
    box.state.unlink()  # what the message tells the user to do
    wait_until(lambda: messages(caplog, "Recovered:"), 10, "recovery")
    wait_until(lambda: len(messages(caplog, "Pass finished")) >= 3, 10, "a pass after the fix")
    box.check_consistent(2)  # the new state adopted the two reminders: no duplicates


def test_status_report_counts_open_follow_ups_by_kind_from_the_state(
    run_real: Callable[..., tuple[Box, threading.Event]],
) -> None:
    from followup_sync.state import State
    from followup_sync.status import status_report

    box, stop = run_real(mails=3)
    wait_until(lambda: len(box.uids()) == 3, 10, "three reminders")
    stop.set()
    wait_until(lambda: not daemon.is_running(box.state), 10, "the daemon to stop")
    config = config_mod.load(box.config)
    report = status_report(config)
    assert "Open follow-ups: 3 (promise 3)" in report
    assert re.search(r"Last pass: .*, ok: 3 messages read, [03] created, 0 updated, 0 deleted", report), report
    assert "Daemon: not running" in report and "Problems: none" in report
    state = State.open(box.state)  # a pass that began and never finished (running now, or killed)
    now = datetime.now(UTC)
    state.begin_run(started=now, window_start=now, window_end=now, dry_run=False)
    state.close()
    report = status_report(config)
    assert "not finished (running now, or interrupted); the last good one:\nLast pass:" in report


def test_status_command(cfg_path: Path) -> None:
    from click.testing import CliRunner

    from followup_sync.cli import cli

    result = CliRunner().invoke(cli, ["status", "--config", str(cfg_path)])
    assert result.exit_code == 0, result.output
    assert "Daemon: not running; start it with `followup-sync service install`" in result.output
    assert "Last pass: never" in result.output


def test_a_stuck_pass_is_reported_once_and_skipped_runs_do_not_flood_the_log(
    cfg_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakePass(script=lambda n: time.sleep(2.0) if n == 1 else None)  # type: ignore[func-returns-value]
    d = daemon.Daemon(
        config_mod.load(cfg_path), dry_run=False, run_pass=fake, watch_seconds=0.05, stuck_seconds=0.5
    )
    stop = threading.Event()
    t = threading.Thread(target=d.serve, args=(stop,))
    t.start()
    try:
        fake.wait_for(2, timeout=6)  # the 0.3 s interval came round ~6 times during the 2 s pass
    finally:
        stop.set()
        t.join(10)
    assert len(messages(caplog, "Problem: the current pass has been running")) == 1
    assert not [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
