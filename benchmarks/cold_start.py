"""Cold start (issue 11): `followup-sync --help` <= 100 ms and `sync --dry-run` on an empty mailbox <= 250 ms.

Runs each command ``--runs`` times as a new process (after two warm-up runs), like hyperfine, and prints min,
median and max wall time, with ``python -c pass`` as the interpreter's own floor. The command is the installed
``followup-sync`` script next to this Python (``python -m followup_sync`` if there is none). The package is
byte-compiled first, as ``pip install`` does: the measurement is a user's start-up, not a first compile
(``PYTHONDONTWRITEBYTECODE`` is dropped from the children's environment). The empty mailbox is a Maildir with
``cur/ new/ tmp/`` and nothing in them, no meetings, an .ics sink that does not exist yet.

``--importtime`` adds, per command, the modules with the largest own import time (min over five
``python -X importtime`` runs), to see where the time goes.

    .venv/bin/python benchmarks/cold_start.py
    .venv/bin/python benchmarks/cold_start.py --runs 50 --importtime
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """\
[identity]
addresses = ["rep@vendor.example"]
timezone = "Europe/Berlin"
[mail]
backend = "maildir"
path = "Maildir"
[meetings]
backend = "none"
[reminders]
backend = "ics"
path = "reminders.ics"
[state]
path = "state.db"
"""


def command() -> list[str]:
    script = Path(sys.executable).with_name("followup-sync")
    return [sys.executable, str(script)] if script.exists() else [sys.executable, "-m", "followup_sync"]


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    for _ in range(2):
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - started) * 1000)
    return out


def importtime(argv: list[str], env: dict[str, str], top: int = 12) -> list[tuple[float, str]]:
    best: dict[str, int] = collections.defaultdict(lambda: 10**12)
    for _ in range(5):
        proc = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True)
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+\d+ \| \s*(\S+)", line)
            if m:
                best[m.group(2)] = min(best[m.group(2)], int(m.group(1)))
    return sorted(((us / 1000, name) for name, us in best.items()), reverse=True)[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "FOLLOWUP_SYNC_HOME")}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "followup_sync")], env=env, check=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        root = Path(tmp)
        for sub in ("cur", "new", "tmp"):
            (root / "Maildir" / sub).mkdir(parents=True)
        (root / "config.toml").write_text(CONFIG)
        env["FOLLOWUP_SYNC_HOME"] = str(root / "home")
        cases = [
            ("python -c pass (floor)", [sys.executable, "-c", "pass"], None),
            ("followup-sync --help", [*command(), "--help"], 100.0),
            (
                "followup-sync sync --dry-run (empty mailbox)",
                [*command(), "sync", "--dry-run", "--config", str(root / "config.toml")],
                250.0,
            ),
        ]
        print(f"{args.runs} runs each; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        for name, argv, target in cases:
            ms = timed(argv, env, args.runs)
            verdict = (
                "" if target is None else f"  target <= {target:.0f} ms: {'ok' if min(ms) <= target else 'MISSED'}"
            )
            print(f"{name:48} min {min(ms):6.1f} ms  median {statistics.median(ms):6.1f} ms  "
                  f"max {max(ms):6.1f} ms{verdict}")  # fmt: skip
            ok = ok and (target is None or min(ms) <= target)
            if args.importtime and target is not None:
                for own, module in importtime(argv, env):
                    print(f"    {own:6.2f} ms  {module}")
        assert not (root / "reminders.ics").exists() and not (root / "state.db").exists()  # a dry run
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
