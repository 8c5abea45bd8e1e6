"""Throughput of THE detector (zoning + promises + due dates, ``text.promises.detect``) on real sent mail.

Usage (from the repository root)::

    .venv/bin/python evaluation/bench_detector.py              # 7 runs over the 7,894 aeslc sent bodies
    .venv/bin/python evaluation/bench_detector.py --runs 11 --corpus /path/to/corpus

It prints the median messages per second of several runs on one core (a single process, no threads), the cold
import time of the detector and the latency of one detect() in a fresh interpreter, and the machine (nproc and
the CPU model from /proc/cpuinfo). The bodies are loaded before timing starts; nothing is cached across runs
except what the detector itself keeps (compiled regexes).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
SENT_AT = datetime(2001, 3, 14, 15, 0, tzinfo=UTC)
TZ = ZoneInfo("America/Chicago")

_COLD = """
import time
t0 = time.perf_counter()
from followup_sync.text.promises import detect
t1 = time.perf_counter()
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
found = detect("Thanks for the call. I'll send you the revised pricing by Friday.",
               sent_at=datetime(2026, 3, 18, 14, tzinfo=timezone.utc), tz=ZoneInfo("America/New_York"))
t2 = time.perf_counter()
assert found, "the detector found nothing in a plain promise"
print(t1 - t0, t2 - t1)
"""


def sent_bodies(corpus: Path) -> list[str]:
    bodies: list[str] = []
    for split in ("train", "dev", "test"):
        with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["folder"] == "sent":
                    bodies.append(row["body"])
    return bodies


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cold_start(runs: int) -> tuple[float, float, float]:
    """Median (import seconds, first detect seconds, whole process seconds) in fresh interpreters."""
    imports, firsts, wholes = [], [], []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", _COLD], capture_output=True, text=True, env=env, check=True)
        wholes.append(time.perf_counter() - t0)
        imp, first = (float(x) for x in out.stdout.split())
        imports.append(imp)
        firsts.append(first)
    return statistics.median(imports), statistics.median(firsts), statistics.median(wholes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    imp, first, whole = cold_start(5)
    sys.path.insert(0, str(ROOT))
    from followup_sync.text.promises import detect

    bodies = sent_bodies(args.corpus)
    rates: list[float] = []
    found = 0
    for _ in range(args.runs):
        found = 0
        t0 = time.perf_counter()
        for body in bodies:
            found += bool(detect(body, sent_at=SENT_AT, tz=TZ))
        rates.append(len(bodies) / (time.perf_counter() - t0))

    print(f"machine: nproc={os.cpu_count()} cpu={cpu_model()!r} python={platform.python_version()}")
    print(f"messages: {len(bodies)} aeslc sent bodies; {found} with at least one promise")
    print(f"throughput over {args.runs} runs (msgs/s, one core): median {statistics.median(rates):,.0f}")
    print("   runs: " + ", ".join(f"{r:,.0f}" for r in rates))
    print(
        f"cold start (median of 5 fresh interpreters): import {imp * 1000:.0f} ms, first detect()"
        f" {first * 1000:.1f} ms, whole process {whole * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
