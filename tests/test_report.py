"""The review a rep reads (``sync`` table and JSON): it shows reminders where they are, at the rep's time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from followup_sync import report
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.sync import run_once
from tests.test_sync import PROMISES, T0, make_config, sent


def test_plan_shows_the_reps_time_for_a_reminder_they_moved(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    source = MemorySource([sent(i, to, t, T0 - timedelta(hours=i), s) for i, (to, t, s) in enumerate(PROMISES)])
    sink = MemorySink()
    run_once(config, now=T0 + timedelta(minutes=5), mail=source, meetings=source, sink=sink)
    href, (rem, _) = sorted(sink.items.items())[0]
    moved_to = rem.start + timedelta(days=2, hours=3)
    sink.user_edit(href, start=moved_to, end=moved_to + timedelta(minutes=15))

    for dry_run in (True, False):
        result = run_once(
            config, now=T0 + timedelta(minutes=10), mail=source, meetings=source, sink=sink, dry_run=dry_run
        )
        [row] = [r for r in report.to_json(result)["actions"] if r["followup"]["id"] == rem.key]
        tz = ZoneInfo("America/New_York")
        assert row["op"] == "keep"
        assert row["reminder"]["start"] == moved_to.astimezone(tz).isoformat(timespec="seconds")
        contact = result.followups[rem.key].contacts[0]
        line = next(x for x in report.table(result).splitlines() if contact in x)
        assert f"{moved_to.astimezone(tz):%a %m-%d %H:%M}" in line, line
