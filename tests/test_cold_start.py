"""Start-up stays light (issue 11): which modules a command loads, checked in a fresh interpreter.

Timing is measured by ``benchmarks/cold_start.py``; what is tested here is deterministic: the libraries and
our own heavy modules that ``--help`` and a ``sync --dry-run`` on an empty mailbox must not import. The
text analysis (regular-expression tables), icalendar, the Microsoft 365 stack, the scheduler and the optional
backends are imported only by the command, or the pass, that uses them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LIBRARIES = (
    "O365", "msal", "requests", "requests_oauthlib", "icalendar", "recurring_ical_events", "apscheduler",
    "caldav", "imapclient", "keyring", "niquests", "urllib3", "dateutil", "tzlocal", "holidays",
)  # fmt: skip
OURS = ("followup_sync.text", "followup_sync.rules", "followup_sync.threads", "followup_sync.credentials",
        "followup_sync.daemon", "followup_sync.backends.icsmeetings", "followup_sync.backends.caldav",
        "followup_sync.backends.graph", "followup_sync.backends.imap")  # fmt: skip
# What `--help` needs is click and the command table; reading a config or starting a pass is for commands.
HELP_ONLY = ("followup_sync.config", "followup_sync.sync", "followup_sync.state", "followup_sync.backends",
             "followup_sync.logs", "logging", "json", "sqlite3", "email", "tomllib", "zoneinfo",
             "filelock")  # fmt: skip

RUN = """
import sys
from followup_sync.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="followup-sync", standalone_mode=False)
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""
IMPORT = "import sys, followup_sync.cli; print(' '.join(sorted(sys.modules)))"


def loaded(*args: str, tmp_path: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUP_SYNC_")}
    env["FOLLOWUP_SYNC_HOME"] = str(tmp_path / "home")
    code = RUN if args else IMPORT
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return set(proc.stdout.strip().splitlines()[-1].split())


def hits(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("args", [(), ("--help",), ("sync", "--help")])
def test_importing_the_cli_and_help_load_nothing_heavy(args: tuple[str, ...], tmp_path: Path) -> None:
    modules = loaded(*args, tmp_path=tmp_path)
    assert hits(modules, LIBRARIES) == []
    assert hits(modules, OURS) == []
    if args != ("sync", "--help"):  # a subcommand's help runs the group, which sets up logging
        assert hits(modules, HELP_ONLY) == []


def test_a_dry_run_on_an_empty_mailbox_loads_no_text_analysis_icalendar_or_accounts(tmp_path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    config = tmp_path / "config.toml"
    config.write_text(
        '[identity]\naddresses = ["rep@vendor.example"]\ntimezone = "Europe/Berlin"\n'
        '[mail]\nbackend = "maildir"\npath = "Maildir"\n[meetings]\nbackend = "none"\n'
        '[reminders]\nbackend = "ics"\npath = "reminders.ics"\n[state]\npath = "state.db"\n'
    )
    modules = loaded("sync", "--dry-run", "--config", str(config), tmp_path=tmp_path)
    assert "followup_sync.sync" in modules  # it did run a pass
    assert hits(modules, LIBRARIES) == []
    assert hits(modules, OURS) == []
    assert "logging.handlers" not in modules  # the daemon's rotating file, not a CLI pass's
    assert hits(modules, ("email",)) == []  # the stdlib's mail parser: only a pass with mail to read needs it
    assert not (tmp_path / "reminders.ics").exists() and not (tmp_path / "state.db").exists()


def test_a_configured_holiday_country_is_not_loaded_by_an_empty_pass(tmp_path: Path) -> None:
    # The holidays library (~100 ms) is imported when a date or the schedule first needs it, not with the config.
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    config = tmp_path / "config.toml"
    config.write_text(
        '[identity]\naddresses = ["rep@vendor.example"]\ntimezone = "Europe/London"\n'
        '[mail]\nbackend = "maildir"\npath = "Maildir"\n[meetings]\nbackend = "none"\n'
        '[reminders]\nbackend = "ics"\npath = "reminders.ics"\n[state]\npath = "state.db"\n'
        '[schedule]\ncountry = "GB"\nsubdivision = "SCT"\n'
    )
    modules = loaded("sync", "--dry-run", "--config", str(config), tmp_path=tmp_path)
    assert "followup_sync.sync" in modules
    assert hits(modules, ("holidays",)) == []


def test_a_pass_with_no_new_mail_loads_no_text_analysis(tmp_path: Path) -> None:
    # Issue 11: a new process's idle pass promotes and resolves what is open without the text analysis, whose
    # pattern tables were most of its start-up; only a pass with new mail imports them.
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    for sub in ("cur", "new", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    sent = format_datetime(datetime.now(UTC) - timedelta(days=1))
    (tmp_path / "Maildir" / "cur" / "1.rep:2,S").write_text(
        f"From: Rep <rep@vendor.example>\nTo: Ann <ann@client.example>\nDate: {sent}\nMessage-ID: <1@vendor>\n"
        "Subject: pricing\n\nThanks for the call. I'll send you the revised pricing by Friday.\n"
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[identity]\naddresses = ["rep@vendor.example"]\ntimezone = "Europe/Berlin"\n'
        '[mail]\nbackend = "maildir"\npath = "Maildir"\n[meetings]\nbackend = "none"\n'
        '[reminders]\nbackend = "ics"\npath = "reminders.ics"\n[state]\npath = "state.db"\n'
    )
    first = loaded("sync", "--config", str(config), tmp_path=tmp_path)
    assert "followup_sync.text.promises" in first and "pricing" in (tmp_path / "reminders.ics").read_text()
    idle = loaded("sync", "--config", str(config), tmp_path=tmp_path)
    assert "followup_sync.rules" in idle  # it did resolve the open promise
    heavy = ("followup_sync.text.signals", "followup_sync.text.dates", "followup_sync.text.analysis",
             "followup_sync.text.promises", "followup_sync.text.zoning", "followup_sync.threads")  # fmt: skip
    assert hits(idle, heavy) == []
