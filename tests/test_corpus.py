"""A pass over a real mailbox (the Enron Maildir in ../shared/corpus, when it is there).

The core issue asks that a pass over it completes without error and that a second pass right after plans no
change. The corpus is not part of the repository; without it this module is skipped.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from followup_sync import config as configmod
from followup_sync.sync import run_once

# shared/ lies beside the checkout (CI, /work/main), or beside the folder of worktrees
CORPUS = next(
    (p / "shared" / "corpus" / "enron-blair-l" for p in Path(__file__).resolve().parents[2:4]
     if (p / "shared" / "corpus" / "enron-blair-l").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l",
)  # fmt: skip
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


def test_enron_mailbox_pass_completes_and_second_pass_changes_nothing(tmp_path: Path) -> None:
    config = configmod.parse(
        {
            "identity": {"addresses": ["lynn.blair@enron.com"], "timezone": "America/Chicago"},
            "mail": {"backend": "maildir", "path": str(CORPUS)},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp_path / "reminders.ics")},
            "state": {"path": str(tmp_path / "state.db")},
            "rules": {"lookback_days": 400},
        }
    )
    now = datetime.fromisoformat("2002-02-01T12:00:00-06:00")
    first = run_once(config, now=now)
    assert first.stats.messages_read > 3000
    assert first.problems == []
    second = run_once(config, now=now)
    assert second.problems == []
    assert {a.op for a in second.actions} <= {"keep"}
    assert len(second.actions) == len([a for a in first.actions if a.op == "create"])


def test_first_pass_json_plan_from_the_command_line_keeps_to_the_daily_cap(tmp_path: Path) -> None:
    """Issue 12's "no floods" as the rep would check it: `sync --dry-run --format json --now` over Lynn Blair's
    mailbox as configured. Enron colleagues are not contacts, so only three follow-ups are open on that Wednesday:
    with a cap of one, one is created and the others queued for the next working days. (The default cap, with
    colleagues as contacts, is tests/test_pacing.py's; evaluation/PIPELINE.md has the figures of both.)"""
    import json

    from click.testing import CliRunner

    from followup_sync.cli import cli

    path = tmp_path / "config.toml"
    path.write_text(
        '[identity]\naddresses = ["lynn.blair@enron.com"]\ntimezone = "America/Chicago"\n'
        f'[mail]\nbackend = "maildir"\npath = "{CORPUS}"\n[meetings]\nbackend = "none"\n'
        f'[reminders]\nbackend = "ics"\npath = "{tmp_path / "r.ics"}"\nmax_new_per_day = 1\n'
        f'[state]\npath = "{tmp_path / "state.db"}"\n'
    )
    args = ["sync", "--config", str(path), "--dry-run", "--format", "json", "--now", "2001-10-17T10:00:00-05:00"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    created = [a for a in plan["actions"] if a["op"] == "create"]
    assert len(created) == 1 and len(plan["queued"]) >= 1
    assert all(q["queued_until"] > "2001-10-17" for q in plan["queued"])
    assert not (tmp_path / "r.ics").exists() and not (tmp_path / "state.db").exists()
