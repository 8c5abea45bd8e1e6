"""Fault trials (issue 10): a real daemon through a missing Maildir and a CalDAV outage, and back; figures.

Runs ``tests/faultlab.py``'s two trials ``--runs`` times each and prints, per run, how long after the fault
cleared the first good pass finished (in seconds and in daemon intervals), how many passes failed meanwhile,
the one "Problem:" line the log got, and the reminders found after (unique / expected). The Maildir trial keeps
the default back-off cap of an hour in its config: a recovery within about one interval shows it was not used.

    .venv/bin/python benchmarks/fault_trials.py                  # 3 runs each, interval 1.2 s
    .venv/bin/python benchmarks/fault_trials.py --runs 5 --interval-minutes 0.05
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import faultlab


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--interval-minutes", type=float, default=0.02)
    args = parser.parse_args()
    ok = True
    for name, trial in (("maildir", faultlab.maildir_outage), ("caldav", faultlab.caldav_outage)):
        ratios = []
        for run in range(args.runs):
            with tempfile.TemporaryDirectory(prefix=f"fault-{name}-") as tmp:
                out = trial(Path(tmp), interval_minutes=args.interval_minutes)
            print(f"[{run + 1}] {out.line()}")
            if run == 0:
                for line in out.problem_lines:
                    print(f"    log: {line.split(': ', 1)[-1]}")
            ratios.append(out.recovery_seconds / out.interval)
            ok = ok and out.exit_code == 0 and out.unique_reminders == out.reminders == out.expected
        print(f"{name}: recovery after the fault cleared, in intervals: min {min(ratios):.2f}, "
              f"median {statistics.median(ratios):.2f}, max {max(ratios):.2f}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
