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

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l"
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
