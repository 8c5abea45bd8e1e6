"""Fault trials (issue 10): a real daemon, ``python -m followup_sync run``, through an outage and back.

Two trials, shared by ``tests/test_faults.py`` (which checks what must hold) and ``benchmarks/fault_trials.py``
(which prints the figures):

- the Maildir goes away (an unmounted drive, a sync client re-creating it) while mail keeps arriving, then comes
  back: the daemon must call it "folder not found", retry at its normal interval (the default back-off cap of
  an hour stays in the config, to show it is not used) and pick the mail up within one interval;
- the CalDAV server (a real Radicale on 127.0.0.1) is stopped under the running daemon and started again on the
  same port and storage: one clear sentence naming the host and what failed, back-off, recovery, and every
  reminder written once.

Times are the daemon's own: the status file says when the first good pass after the fault finished.
"""

from __future__ import annotations

import email.utils
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests import crashlab

ME = "rep@vendor.com"
CONFIG = """\
[identity]
addresses = ["{me}"]
timezone = "America/New_York"

[mail]
backend = "maildir"
path = "mail"

[meetings]
backend = "none"

[reminders]
{reminders}
max_new_per_day = 500

[state]
path = "state/state.db"

[daemon]
interval_minutes = {interval}
jitter_seconds = 0
max_backoff_minutes = {cap}
"""


@dataclass
class Outcome:
    """What one trial saw; ``recovery_seconds`` runs from the fault being cleared to the first good pass."""

    name: str
    interval: float
    cap: float
    failed_passes: int
    problem_lines: list[str]
    recovered_lines: list[str]
    recovery_seconds: float
    reminders: int
    unique_reminders: int
    expected: int
    exit_code: int | None
    log_tail: str = ""

    def line(self) -> str:
        return (
            f"{self.name}: interval {self.interval:.1f}s, back-off cap {self.cap:.0f}s, "
            f"{self.failed_passes} failed passes during the outage, "
            f"recovered {self.recovery_seconds:.2f}s after the fault cleared "
            f"({self.recovery_seconds / self.interval:.2f} intervals); problem lines {len(self.problem_lines)}, "
            f"recovered lines {len(self.recovered_lines)}; reminders {self.reminders} "
            f"(unique {self.unique_reminders}, expected {self.expected}); exit {self.exit_code}"
        )


@dataclass
class Daemon:
    """A folder with a Maildir, a config and the daemon subprocess; helpers to watch its log and status."""

    root: Path
    reminders: str
    interval_minutes: float
    cap_minutes: float
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[str] | None = None
    sent: int = 0

    def __post_init__(self) -> None:
        for sub in ("cur", "new", "tmp"):
            (self.mail / sub).mkdir(parents=True, exist_ok=True)
        (self.root / "config.toml").write_text(
            CONFIG.format(me=ME, reminders=self.reminders, interval=self.interval_minutes, cap=self.cap_minutes)
        )
        home = self.root / "home"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("FOLLOWUP_SYNC_", "XDG_", "PYTHON_KEYRING"))
            },
            "FOLLOWUP_SYNC_HOME": str(home / "fs"),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "PYTHONUNBUFFERED": "1",
            # the trial's CalDAV password lives in a throw-away plain-text keyring under its own HOME
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING": "1",
        }

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def log(self) -> Path:
        return self.root / "home" / "fs" / "logs" / "followup-sync.log"

    @property
    def state(self) -> Path:
        return self.root / "state" / "state.db"

    def add_mail(self, count: int = 1) -> None:
        """Sent mail with a promise, delivered the Maildir way (tmp/ then new/), dated just now."""
        now = datetime.now(UTC)
        for _ in range(count):
            self.sent += 1
            n = self.sent
            sent = email.utils.format_datetime(now - timedelta(minutes=30 + n))
            text = (
                f"From: Rita Rep <{ME}>\nTo: Contact {n} <c{n}@acme{n}.com>\nSubject: Pricing {n}\n"
                f"Date: {sent}\nMessage-ID: <f{n}@vendor.com>\nMIME-Version: 1.0\n\n"
                "Hi,\n\nI'll call you tomorrow at 10am to go over the numbers.\n\nRita\n"
            )
            name = f"{int(time.time())}.{os.getpid()}_{n}.trial"
            (self.mail / "tmp" / name).write_text(text, encoding="utf-8")
            (self.mail / "tmp" / name).rename(self.mail / "new" / name)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "followup_sync", "run", "--config", str(self.root / "config.toml")],
            cwd=self.root, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip  # everything goes to its log file

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                return None
        return self.proc.returncode

    def lines(self, phrase: str) -> list[str]:
        try:
            text = self.log.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if phrase in line]

    def status(self) -> dict[str, Any]:
        from followup_sync import daemon

        return daemon.read_status(self.state) or {}

    def good_pass_after(self, moment: datetime) -> datetime | None:
        last = self.status().get("last_pass") or {}
        if not last.get("ok"):
            return None
        finished = datetime.fromisoformat(last["finished"])
        return finished if finished > moment else None


def wait_until(test: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def _ics_uids(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line[4:].strip() for line in text.splitlines() if line.startswith("UID:") and "@followup-sync" in line]


def maildir_outage(root: Path, *, interval_minutes: float = 0.02, away_passes: int = 3) -> Outcome:
    """The Maildir is renamed away for ``away_passes`` failed passes, mail arrives meanwhile, then it returns."""
    d = Daemon(root, 'backend = "ics"\npath = "reminders.ics"', interval_minutes, cap_minutes=60)
    uids = lambda: _ics_uids(root / "reminders.ics")  # noqa: E731
    try:
        d.add_mail(1)
        d.start()
        wait_until(lambda: len(uids()) == 1, 60, "the first reminder")
        away = root / "mail.away"
        d.mail.rename(away)
        wait_until(lambda: d.status().get("failures_in_a_row", 0) >= away_passes, 120, "failed passes")
        failed = int(d.status().get("failures_in_a_row", 0))
        away.rename(d.mail)
        d.add_mail(1)  # arrived while the folder was away
        cleared = datetime.now(UTC)
        good = wait_until(lambda: d.good_pass_after(cleared), 120, "a good pass after the folder came back")
        wait_until(lambda: len(uids()) == 2, 30, "the reminder for the mail from the outage")
    finally:
        code = d.stop()
    found = uids()
    return Outcome(
        "missing Maildir returning", interval_minutes * 60, 3600.0, failed, d.lines("Problem:"),
        d.lines("Recovered:"), (good - cleared).total_seconds(), len(found), len(set(found)), 2, code,
        "\n".join(d.lines(" ")[-12:]),
    )  # fmt: skip


def caldav_outage(
    root: Path, *, interval_minutes: float = 0.02, cap_minutes: float = 0.04, down_passes: int = 2
) -> Outcome:
    """Radicale is stopped under the running daemon for ``down_passes`` failed passes, then started again."""
    store = root / "radicale"
    port = crashlab._free_port()
    with ExitStack() as stack:
        server: list[AbstractContextManager[str]] = []

        def up() -> str:
            cm = crashlab.radicale(store, port=port)
            base = cm.__enter__()
            server.append(cm)
            return base

        def down() -> None:
            server.pop().__exit__(None, None, None)

        stack.callback(lambda: [cm.__exit__(None, None, None) for cm in server])
        base = up()
        url = crashlab.make_calendar(base, "followups")
        d = Daemon(
            root,
            f'backend = "caldav"\nurl = "{url}"\nusername = "{crashlab.USER}"\nallow_insecure_http = true',
            interval_minutes,
            cap_minutes,
        )
        code_text = (
            "import sys; from followup_sync.backends.caldav import store_password; "
            "store_password(sys.argv[1], sys.argv[2], sys.argv[3])"
        )
        subprocess.run(
            [sys.executable, "-c", code_text, url, crashlab.USER, crashlab.PASSWORD],
            env=d.env,
            check=True,
            timeout=60,
        )
        uids = lambda: [u for _h, _e, blob in crashlab.report(url) for u in _uids(blob)]  # noqa: E731
        try:
            d.add_mail(1)
            d.start()
            wait_until(lambda: len(uids()) == 1, 60, "the first reminder")
            down()
            d.add_mail(1)
            wait_until(lambda: d.status().get("failures_in_a_row", 0) >= down_passes, 120, "failed passes")
            failed = int(d.status().get("failures_in_a_row", 0))
            up()
            cleared = datetime.now(UTC)
            good = wait_until(lambda: d.good_pass_after(cleared), 120, "a good pass after CalDAV came back")
            wait_until(lambda: len(uids()) == 2, 30, "the reminder for the mail from the outage")
            found = uids()
        finally:
            code = d.stop()
    return Outcome(
        "CalDAV down and back", interval_minutes * 60, cap_minutes * 60, failed, d.lines("Problem:"),
        d.lines("Recovered:"), (good - cleared).total_seconds(), len(found), len(set(found)), 2, code,
        "\n".join(d.lines(" ")[-12:]),
    )  # fmt: skip


def _uids(blob: bytes) -> Iterator[str]:
    for line in blob.decode("utf-8", "replace").splitlines():
        if line.startswith("UID:") and "@followup-sync" in line:
            yield line[4:].strip()
