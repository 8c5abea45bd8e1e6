"""Soak the real daemon: many short passes for a few minutes on the demo data; watch memory, CPU and fds.

Starts ``python -m followup_sync run`` on a copy of the bundled demo mailbox and meetings (lookback widened so
the demo week is inside the window), adds a new sent message every ``--new-mail-every`` seconds so some
passes write, and samples ``/proc/<pid>`` (Linux only). Reports peak RSS, the RSS trend over the second half
(growth = a leak), CPU seconds per pass, and open file descriptors over time and at the end.

    .venv/bin/python benchmarks/soak.py                     # 3 minutes, a pass every 2 s
    .venv/bin/python benchmarks/soak.py --minutes 10 --interval 5 --json soak.json
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import followup_sync.demo as demo

CONFIG = """\
[identity]
addresses = ["{address}"]
timezone = "America/New_York"

[mail]
backend = "maildir"
path = "mailbox"

[meetings]
backend = "ics"
path = "meetings.ics"

[reminders]
backend = "ics"
path = "reminders.ics"

[state]
path = "state/state.db"

[rules]
lookback_days = {lookback}

[daemon]
interval_minutes = {interval}
jitter_seconds = 0
"""
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_sample(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines() if ":" in line}
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / CLK_TCK  # utime + stime (fields 14 and 15)
    return {
        "t": time.monotonic(),
        "rss_kb": float(fields["VmRSS"].split()[0]),
        "hwm_kb": float(fields["VmHWM"].split()[0]),
        "threads": float(fields["Threads"]),
        "cpu_s": cpu,
        "fds": float(len(os.listdir(f"/proc/{pid}/fd"))),
    }


def add_mail(box: Path, n: int) -> None:
    sent = email.utils.format_datetime(datetime.now(UTC) - timedelta(minutes=1))
    text = (
        f"From: Dana Reyes <{demo.ADDRESS}>\nTo: Buyer {n} <buyer{n}@soak{n}.example>\nSubject: Soak {n}\n"
        f"Date: {sent}\nMessage-ID: <soak-{n}-{os.getpid()}@northwind.example>\n"
        "Content-Type: text/plain; charset=utf-8\nMIME-Version: 1.0\n\n"
        "Hi,\n\nI'll send you the revised quote by Friday.\n\nDana\n"
    )
    name = f"{int(time.time())}.soak{n}.northwind"
    (box / "tmp" / name).write_text(text)
    (box / "tmp" / name).rename(box / "new" / name)


def slope_kb_per_min(samples: list[dict[str, float]]) -> float:
    """Least-squares slope of RSS over time, in KB per minute."""
    if len(samples) < 3:
        return 0.0
    xs = [s["t"] / 60 for s in samples]
    ys = [s["rss_kb"] for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between passes")
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between /proc samples")
    ap.add_argument("--new-mail-every", type=float, default=30.0, help="seconds; 0 = never")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="followup-soak-"))
    shutil.copytree(demo.DATA / "mailbox", work / "mailbox")
    for sub in ("new", "tmp", "cur"):
        (work / "mailbox" / sub).mkdir(exist_ok=True)
    shutil.copy(demo.DATA / "meetings.ics", work / "meetings.ics")
    lookback = (datetime.now(UTC) - demo.DEFAULT_NOW).days + 30
    (work / "config.toml").write_text(
        CONFIG.format(address=demo.ADDRESS, interval=args.interval / 60, lookback=lookback)
    )
    env = {**os.environ, "FOLLOWUP_SYNC_HOME": str(work / "home")}
    log = work / "home" / "logs" / "followup-sync.log"
    cmd = [sys.executable, "-m", "followup_sync", "run", "--config", str(work / "config.toml")]
    proc = subprocess.Popen(cmd, cwd=work, env=env)

    def passes() -> int:
        try:
            return log.read_text().count("followup_sync.sync: Pass finished")
        except FileNotFoundError:
            return 0

    samples: list[dict[str, float]] = []
    pass_counts: list[int] = []
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    next_mail = t0 + args.new_mail_every if args.new_mail_every else float("inf")
    mails = 0
    try:
        while passes() < 1:
            time.sleep(0.1)
            if proc.poll() is not None:
                raise SystemExit(f"daemon exited early with {proc.returncode}; see {log}")
        while time.monotonic() < end:
            samples.append(proc_sample(proc.pid))
            pass_counts.append(passes())
            if time.monotonic() >= next_mail:
                mails += 1
                add_mail(work / "mailbox", mails)
                next_mail += args.new_mail_every
            time.sleep(args.sample)
        samples.append(proc_sample(proc.pid))
        pass_counts.append(passes())
        fd_targets = sorted(os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{proc.pid}/fd"))
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)

    text = log.read_text()
    half = samples[len(samples) // 2 :]
    total_passes = pass_counts[-1] - pass_counts[0]
    cpu = samples[-1]["cpu_s"] - samples[0]["cpu_s"]
    figures = {
        "duration_s": round(samples[-1]["t"] - t0, 1),
        "interval_s": args.interval,
        "passes": pass_counts[-1],
        "mails_added": mails,
        "reminders_created": text.count("Creating reminder") // 2,  # logged by plan and by the sink
        "peak_rss_mb": round(max(s["hwm_kb"] for s in samples) / 1024, 1),
        "rss_first_mb": round(samples[0]["rss_kb"] / 1024, 1),
        "rss_last_mb": round(samples[-1]["rss_kb"] / 1024, 1),
        "rss_slope_second_half_kb_per_min": round(slope_kb_per_min(half), 1),
        "cpu_s_total": round(cpu, 2),
        "cpu_ms_per_pass": round(1000 * cpu / total_passes, 1) if total_passes else None,
        "fds_first": int(samples[0]["fds"]),
        "fds_max": int(max(s["fds"] for s in samples)),
        "fds_end": int(samples[-1]["fds"]),
        "fd_targets_end": fd_targets,
        "threads_end": int(samples[-1]["threads"]),
        "problems_logged": text.count("Problem:"),
        "exit_code": code,
        "workdir": str(work),
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "samples": samples}, indent=1))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
