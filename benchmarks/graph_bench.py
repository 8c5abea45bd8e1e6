"""Graph requests and wall time of a first and an idle sync pass over a synthetic 10,000-message mailbox.

Runs the real pipeline (``sync.run_once``) with the Graph backends and the real O365 library against the fake
Graph server in ``tests/fakegraph`` on 127.0.0.1 (nothing leaves the machine; the keyring is in memory).

    .venv/bin/python benchmarks/graph_bench.py [--messages 10000] [--seed 7] [--json out.json]

Request counts are Graph requests (GET/POST/PATCH/DELETE seen by the server); login traffic is not involved
(the token is pre-seeded). The idle pass runs five minutes after the first, inside the same hour, so overdue
reminders (moved hourly by design) stay put.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from followup_sync.backends.graph import MARKER_PROP, GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.sync import run_once
from tests.conftest import MemoryKeyring
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import connect, graph_config, seed_token
from tests.fakegraph.server import FakeGraph, Server

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    keyring.set_keyring(MemoryKeyring())
    fake = FakeGraph(user="rep@contoso.com", client_id="11111111-2222-3333-4444-555555555555")
    box = mailbox.build(fake, messages=args.messages, now=NOW, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp, Server(fake, watchdog_seconds=1800) as server:
        config = graph_config(Path(tmp), fake)
        account = connect(config, server)
        seed_token(account, fake)
        state_file = config.state_path.parent / "graph-delta.json"
        report: dict[str, object] = {
            "messages_in_mailbox": len(fake.messages),
            "planted_promises": len(box.promises),
            "python": platform.python_version(),
            "machine": platform.machine(),
        }
        for name, now in (("first", NOW), ("idle", NOW + timedelta(minutes=5))):
            fake.reset_counts()
            started = time.perf_counter()
            result = run_once(
                config,
                now=now,
                mail=GraphMailSource(account, state_file=state_file),
                meetings=GraphMeetingSource(account),
                sink=GraphReminderSink(account),
            )
            seconds = time.perf_counter() - started
            by_method = {m: fake.counts[m] for m in ("GET", "POST", "PATCH", "DELETE")}
            report[name] = {
                "seconds": round(seconds, 2),
                "graph_requests": sum(by_method.values()),
                "by_method": by_method,
                "messages_read": result.stats.messages_read,
                "created": result.stats.created,
                "updated": result.stats.updated,
                "deleted": result.stats.deleted,
                "errors": result.stats.errors,
            }
            print(
                f"{name:5} pass: {seconds:6.2f} s, {sum(by_method.values()):5d} Graph requests {by_method}, "
                f"{result.stats.messages_read} messages read, {result.stats.created} created, "
                f"{result.stats.updated} updated, {result.stats.deleted} deleted, {result.stats.errors} errors"
            )
        report["events_in_calendar"] = len(fake.ours(MARKER_PROP))
        print(f"mailbox: {len(fake.messages)} messages; reminders in the calendar: {report['events_in_calendar']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
