"""The .ics reminder sink at 10 to 3,000 reminders: cost per created reminder, and the cost of listing.

For each size N, in a fresh folder with a real state database (``plan.apply``, as a pass runs it):

- ``create``: one pass that creates N reminders in an empty file; per created reminder.
- ``+10``: a new process's pass (nothing cached: the file is parsed once) that creates 10 more in the
  N-file; per created reminder, so it includes reading and rewriting the whole file once.
- ``list cold`` / ``list warm``: listing the N-file in a new process (everything parsed), and with the next
  pass's new sink in the same process (the daemon's case while the file is unchanged).
- ``single``: the same N creates with batching turned off (one read-modify-write per reminder, which is what
  every create cost before the batching hook), for comparison; skipped above ``--single-max``.

    .venv/bin/python benchmarks/ics_sink_bench.py [--sizes 10,100,1000,3000] [--runs 3] [--single-max 1000]

Prints min and median over ``--runs`` runs. The ratio line compares the per-reminder cost at the largest and
the smallest size: flat means close to 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from followup_sync import plan
from followup_sync.backends import ics
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.model import FollowUp, Reminder, RemoteItem
from followup_sync.plan import Action
from followup_sync.state import State

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def reminder(n: int) -> Reminder:
    start = T0 + timedelta(hours=n % 400)
    return Reminder(
        key=f"bench{n:06d}",
        start=start,
        end=start + timedelta(minutes=15),
        timezone="Europe/Berlin",
        subject=f"Call Jane Doe {n} (Acme Logistics) about the renewal",
        body=f"You wrote: I'll call you Thursday at 2pm about the Q{n % 4 + 1} pricing.\nThread: Renewal {n}",
        link=f"file:///home/rep/Maildir/.Sent/cur/{n}.eml",
    )


def followup(n: int) -> FollowUp:
    r = reminder(n)
    return FollowUp(r.key, "promise", f"{n}@mail", f"t{n}", ("jane@acme.example",), r.start, "I'll call.", "x", T0)


class Unbatched:
    """The sink without its batching hook: plan.apply then writes one reminder at a time."""

    def __init__(self, inner: IcsReminderSink) -> None:
        self.inner, self.name = inner, inner.name

    def list(self) -> Iterator[RemoteItem]:
        return self.inner.list()

    def create(self, reminder: Reminder) -> RemoteItem:
        return self.inner.create(reminder)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        return self.inner.update(href, etag, reminder)

    def delete(self, href: str, etag: str) -> None:
        self.inner.delete(href, etag)

    def close(self) -> None:
        self.inner.close()


def creates(sink: object, state: State, numbers: range) -> float:
    state.save_followups([followup(n) for n in numbers])
    actions = [Action("create", reminder(n).key, reminder(n)) for n in numbers]
    started = time.perf_counter()
    stats = plan.apply(actions, sink=sink, state=state, on_error=_fail)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    if stats.created != len(numbers):
        raise SystemExit(f"created {stats.created} of {len(numbers)}")
    return seconds


def _fail(action: Action, exc: Exception) -> None:
    raise SystemExit(f"{action.op} {action.key}: {exc}")


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def new_process() -> None:
    """Forget what this process cached of any reminders file (the sink keeps it for the daemon's next pass)."""
    getattr(ics, "_CACHES", {}).clear()


def one_run(n: int, *, single: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reminders.ics"
        with State.open(Path(tmp) / "state.db") as state:
            new_process()
            out["create"] = creates(IcsReminderSink(path), state, range(n)) / n
            new_process()
            out["+10"] = creates(IcsReminderSink(path), state, range(n, n + 10)) / 10
            new_process()
            out["list cold"] = timed(lambda: list(IcsReminderSink(path).list()))
            out["list warm"] = timed(lambda: list(IcsReminderSink(path).list()))
            out["bytes"] = path.stat().st_size
        if single:
            path.unlink()
            new_process()
            with State.open(Path(tmp) / "single.db") as state:
                out["single"] = creates(Unbatched(IcsReminderSink(path)), state, range(n)) / n
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,3000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--single-max", type=int, default=1000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {args.runs} runs")
    print(f"{'N':>6} {'file':>8}  {'ms/create':>16}  {'ms/create +10':>16}  {'list cold ms':>14}  "
          f"{'list warm ms':>12}  {'unbatched ms/create':>20}")  # fmt: skip
    per_create: dict[int, float] = {}
    for n in sizes:
        runs = [one_run(n, single=n <= args.single_max) for _ in range(args.runs)]

        def cell(key: str, scale: float = 1000.0, runs: list[dict[str, float]] = runs) -> str:
            values = [r[key] * scale for r in runs if key in r]
            if not values:
                return "-"
            return f"{min(values):.2f} / {statistics.median(values):.2f}"

        per_create[n] = statistics.median(r["create"] for r in runs)
        size = f"{runs[0]['bytes'] / 1024:.0f} KB"
        print(f"{n:>6} {size:>8}  {cell('create'):>16}  {cell('+10'):>16}  {cell('list cold'):>14}  "
              f"{cell('list warm'):>12}  {cell('single'):>20}")  # fmt: skip
    low, high = min(sizes), max(sizes)
    print(f"(min / median) per created reminder at {high} vs {low}: {per_create[high] / per_create[low]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
