"""A full pass, then an idle pass, over a real Maildir (default: the Enron mailbox in ../shared/corpus).

Prints the time of each pass, messages per second, what was found and planned, and checks the two
properties the core issue asks for: the first pass completes without error, and a second pass right after
plans no change (every action "keep"). Nothing is written outside a temporary folder.

    .venv/bin/python benchmarks/pipeline_bench.py [--maildir PATH] [--address ME] [--now ISO] [--runs N]

``--colleagues-are-contacts`` treats the rep's own domain as external, which makes the (mostly internal)
Enron mailbox exercise every detector rather than only the external threads.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from followup_sync import config as configmod
from followup_sync.sync import run_once

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l"


def build_config(tmp: Path, args: argparse.Namespace) -> configmod.Config:
    data = {
        "identity": {"addresses": [args.address], "timezone": args.timezone},
        "mail": {"backend": "maildir", "path": str(args.maildir)},
        "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp / "reminders.ics")},
        "state": {"path": str(tmp / "state.db")},
        "rules": {"lookback_days": args.lookback_days},
    }
    config = configmod.parse(data)
    if args.colleagues_are_contacts:
        # identity.domains is derived from the addresses, so adding an address cannot drop the rep's own
        # domain; an Identity whose only colleague domain is a domain of its own makes every colleague external
        # without changing which mail counts as sent.
        from dataclasses import replace

        config = replace(config, identity=_OwnDomainOnly((args.address,), args.timezone))
    return config


class _OwnDomainOnly(configmod.Identity):
    @property
    def domains(self) -> tuple[str, ...]:
        return ("rep.invalid",)


def one_run(args: argparse.Namespace) -> dict[str, float | int | str]:
    now = datetime.fromisoformat(args.now)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        config = build_config(tmp, args)
        t0 = time.perf_counter()
        first = run_once(config, now=now)
        t1 = time.perf_counter()
        second = run_once(config, now=now)
        t2 = time.perf_counter()
    ops_first = collections.Counter(a.op for a in first.actions)
    ops_second = collections.Counter(a.op for a in second.actions)
    kinds = collections.Counter(f.kind for f in first.followups.values())
    return {
        "messages": first.stats.messages_read,
        "first_s": t1 - t0,
        "idle_s": t2 - t1,
        "first_ops": dict(ops_first).__repr__(),
        "idle_ops": dict(ops_second).__repr__(),
        "idle_changes": sum(n for op, n in ops_second.items() if op != "keep"),
        "kinds": dict(kinds).__repr__(),
        "queued": len(first.queued),
        "problems": len(first.problems) + len(second.problems),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", type=Path, default=CORPUS)
    parser.add_argument("--address", default="lynn.blair@enron.com")
    parser.add_argument("--timezone", default="America/Chicago")
    parser.add_argument("--now", default="2002-02-01T12:00:00-06:00")
    parser.add_argument("--lookback-days", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--colleagues-are-contacts", action="store_true")
    args = parser.parse_args()
    if not args.maildir.is_dir():
        print(f"no Maildir at {args.maildir}; pass --maildir", file=sys.stderr)
        return 2
    results = [one_run(args) for _ in range(args.runs)]
    first = statistics.median(float(r["first_s"]) for r in results)
    idle = statistics.median(float(r["idle_s"]) for r in results)
    r = results[0]
    cpu = platform.processor() or platform.machine()
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"mailbox: {args.maildir} ({r['messages']} messages in the window)")
    print(f"first pass: median {first:.2f} s over {args.runs} runs ({int(r['messages']) / first:,.0f} messages/s)")
    print(f"idle pass:  median {idle:.2f} s")
    print(f"follow-ups found by kind: {r['kinds']}")
    print(f"first pass plan: {r['first_ops']} ({r['queued']} more queued by [reminders] max_new_per_day)")
    print(f"second pass plan: {r['idle_ops']}")
    ok = all(int(x["idle_changes"]) == 0 and int(x["problems"]) == 0 for x in results)
    print("second pass plans no change: " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
