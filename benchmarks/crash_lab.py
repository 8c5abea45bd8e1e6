"""Crash lab (reliability plan R1): SIGKILL ``followup-sync sync`` at random moments, then check one clean pass.

The larger sibling of ``tests/test_crash.py`` (same machinery, ``tests/crashlab.py``): a generated mailbox of
``--count`` promises to distinct contacts, a real Radicale on 127.0.0.1 (or the .ics sink), ``--kills``
SIGKILLs of ``python -m followup_sync sync`` at seeded uniform moments over the length of one clean pass
(measured first, in a world of its own), mail arriving before every pass (new promises, and from the middle
on the rep's mails that close ``--closed`` of them). Then one clean pass, and the checks: one reminder per expected
key, none missing, none left for a closed follow-up, the user's own event untouched, ``PRAGMA
integrity_check``, every reminder recorded in the state, and a further pass that plans only ``keep``.

    .venv/bin/python benchmarks/crash_lab.py                         # CalDAV, 40 kills, 200 promises
    .venv/bin/python benchmarks/crash_lab.py --kills 200 --count 400 --seed 3
    .venv/bin/python benchmarks/crash_lab.py --sink ics
    .venv/bin/python benchmarks/crash_lab.py --sink ics --layout symlink   # the .ics is a link into a folder
    .venv/bin/python benchmarks/crash_lab.py --sink ics --layout shared    # two configs write one .ics at once

With ``--layout shared`` two worlds (two configs, states and mailboxes, ``--count`` promises each) share one
reminders file; in every round both passes run at once and each is killed at its own random moment, until
each took ``--kills`` kills; the checks run for each world against the one file.

Exit status 0 when every check holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import crashlab


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sink", choices=["caldav", "ics"], default="caldav")
    parser.add_argument("--kills", type=int, default=40, help="SIGKILLs that must land in a running pass")
    parser.add_argument("--count", type=int, default=200, help="promises in the mailbox (distinct contacts)")
    parser.add_argument("--closed", type=int, default=20, help="promises the rep's later mail closes")
    parser.add_argument("--seed", type=int, default=1)
    layouts = ["plain", "symlink", "shared"]
    parser.add_argument(
        "--layout", choices=layouts, default="plain", help="for --sink ics: the file, a link, two configs"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args()
    if not 0 <= args.closed <= args.count // 3:
        parser.error("--closed must be between 0 and a third of --count")
    if args.layout != "plain" and args.sink != "ics":
        parser.error("--layout is for --sink ics")
    if args.layout == "shared":
        return shared(args)

    tmp = Path(tempfile.mkdtemp(prefix="crash_lab-"))
    started = time.monotonic()
    try:
        with crashlab.radicale(tmp / "radicale") as base:

            def url(name: str) -> str:
                return crashlab.make_calendar(base, name) if args.sink == "caldav" else ""

            measure = crashlab.make_world(
                tmp / "measure", sink=args.sink, count=args.count, closed=args.closed, url=url("measure"),
                layout=args.layout,
            )  # fmt: skip
            timing = crashlab.measure(measure, kills=args.kills)
            print(
                f"[{args.sink}] {args.count} promises in {args.kills} deliveries; one clean pass with one "
                f"delivery to do: {timing.seconds:.2f} s, {timing.writes} writes from {timing.first_write:.2f} s, "
                f"{timing.per_write * 1000:.0f} ms per write (seed {args.seed})"
            )

            world = crashlab.make_world(
                tmp / "crash", sink=args.sink, count=args.count, closed=args.closed, url=url("crash"),
                layout=args.layout,
            )  # fmt: skip
            loop_started = time.monotonic()
            stats = crashlab.kill_loop(world, kills=args.kills, timing=timing, rng=random.Random(args.seed))
            loop_seconds = time.monotonic() - loop_started
            final = crashlab.clean_pass(world)
            expected = crashlab.expected_keys(world)
            report = crashlab.check(world, expected)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)

    total = time.monotonic() - started
    label = args.sink if args.layout == "plain" else f"{args.sink}, {args.layout}"
    print(
        f"[{label}] kills={stats.kills}/{args.kills} (aimed into a write: {stats.in_writes}) "
        f"passes_started={stats.attempts} "
        f"passes_finished_before_their_kill={stats.finished} failed_passes={len(stats.failures)} "
        f"kill_loop={loop_seconds:.1f}s ({loop_seconds / max(stats.attempts, 1):.2f} s per pass)"
    )
    print(f"[{label}] clean pass exit={final.code} in {final.seconds:.2f}s")
    print(f"[{label}] {report.line()}")
    ok = report.ok and final.code == 0 and not stats.failures and stats.kills == args.kills
    print(
        f"[{label}] {'PASS' if ok else 'FAIL'} total={total:.1f}s "
        f"({platform.python_implementation()} {platform.python_version()}, {platform.machine()})"
    )
    for failure in stats.failures[:5]:
        print(failure, file=sys.stderr)
    if report.duplicates:
        print(f"duplicated keys: {sorted(report.duplicates.items())[:10]}", file=sys.stderr)
    if report.missing:
        print(f"missing keys: {sorted(report.missing)[:10]}", file=sys.stderr)
    return 0 if ok else 1


def shared(args: argparse.Namespace) -> int:
    """Two configs on one reminders file, killed at once (``--layout shared``)."""
    tmp = Path(tempfile.mkdtemp(prefix="crash_lab-"))
    started = time.monotonic()
    try:
        measure = crashlab.make_world(tmp / "measure", sink="ics", count=args.count, closed=args.closed)
        timing = crashlab.measure(measure, kills=args.kills)
        print(
            f"[ics, shared] 2 configs x {args.count} promises in {args.kills} deliveries each; one clean pass: "
            f"{timing.seconds:.2f} s, {timing.writes} writes (seed {args.seed})"
        )
        first = crashlab.make_world(tmp / "a", sink="ics", count=args.count, closed=args.closed, tag="a")
        second = crashlab.make_world(tmp / "b", sink="ics", count=args.count, closed=args.closed, seed=8, tag="b",
                                     share=first)  # fmt: skip
        worlds = [first, second]
        stats = crashlab.kill_loop_shared(worlds, kills=args.kills, timing=timing, rng=random.Random(args.seed))
        finals = [crashlab.clean_pass(w) for w in worlds]
        expected = [crashlab.expected_keys(w) for w in worlds]
        everyone = expected[0] | expected[1]
        reports = [crashlab.check(w, e, everyone=everyone) for w, e in zip(worlds, expected, strict=True)]
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    ok = not (expected[0] & expected[1])
    for name, s, final, report in zip("ab", stats, finals, reports, strict=True):
        print(
            f"[ics, shared] config {name}: kills={s.kills}/{args.kills} (aimed into a write: {s.in_writes}) "
            f"passes_started={s.attempts} failed_passes={len(s.failures)} clean pass exit={final.code}"
        )
        print(f"[ics, shared] config {name}: {report.line()}")
        ok = ok and report.ok and final.code == 0 and not s.failures and s.kills == args.kills
        for failure in s.failures[:5]:
            print(failure, file=sys.stderr)
    print(
        f"[ics, shared] {'PASS' if ok else 'FAIL'} total={time.monotonic() - started:.1f}s "
        f"({platform.python_implementation()} {platform.python_version()}, {platform.machine()})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
