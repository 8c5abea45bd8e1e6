"""Graph requests, wall time and peak memory of sync passes over a synthetic mailbox, against the fake Graph.

Runs the real pipeline (``sync.run_once``) with the Graph backends built as ``from_config`` builds them (same
cache files) and the real O365 library, against the fake Graph server in ``tests/fakegraph`` on 127.0.0.1
(nothing leaves the machine; the keyring is in memory). The fake runs in a process of its own, so the peak RSS
reported is the client's: sources, pipeline, state and sink.

    .venv/bin/python benchmarks/graph_bench.py [--messages 10000] [--big 50000] [--seed 7] [--json out.json]

Scenarios, each in a fresh process:

- ``batched``: first pass (reads and writes counted apart), an idle pass 5 minutes later (expected: one delta
  request per mail folder read plus one calendar read), and a pass 25 hours later (the folder list and the
  reminder listing are refreshed once a day; overdue reminders are carried to the next working morning).
- ``unbatched``: the same first pass with one request per reminder write (the sink's JSON batching off), for
  the before/after count.
- ``big``: the first pass over a ``--big``-message window (above Graph's 5,000-message cap of a filtered delta
  round): every message in the window must be read.

Request counts are HTTP requests seen by the fake (a JSON batch is one; its items are counted apart); login
traffic is not involved (the token is pre-seeded).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from followup_sync.backends.graph import MARKER_PROP, GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.sync import run_once
from tests.conftest import MemoryKeyring
from tests.fakegraph import mailbox
from tests.fakegraph.fixtures import connect, graph_config, seed_token
from tests.fakegraph.server import FakeGraph, Server

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)  # a Tuesday, 15:07 in Berlin
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
READS = ("GET",)
WRITES = ("POST", "PATCH", "DELETE")


# --- the fake Graph, in its own process ---------------------------------------------------------------------


def _serve(conn: Any, messages: int, seed: int) -> None:
    fake = FakeGraph(user="rep@contoso.com", client_id=CLIENT_ID)
    box = mailbox.build(fake, messages=messages, now=NOW, seed=seed)
    with Server(fake, watchdog_seconds=7200) as server:
        conn.send({"url": server.url, "messages": len(fake.messages), "promises": len(box.promises)})
        while True:
            cmd = conn.recv()
            if cmd == "stop":
                break
            if cmd == "reset":
                fake.reset_counts()
                conn.send(None)
            elif cmd == "counts":
                conn.send(dict(fake.counts))
            elif cmd == "token":
                conn.send(fake.issue_tokens())
            elif cmd == "ours":
                conn.send(len(fake.ours(MARKER_PROP)))
            elif cmd == "http":
                conn.send(list(fake.http))
            elif cmd == "log":
                conn.send([(m, p.split("?")[0]) for m, p, _ in fake.log])
    conn.close()


class RemoteFake:
    """What the fixtures need of a FakeGraph, asked of the server process."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.client_id = CLIENT_ID
        self.user = "rep@contoso.com"
        self.user_name = "Rita Rep"

    def ask(self, cmd: str) -> Any:
        self.conn.send(cmd)
        return self.conn.recv()

    def issue_tokens(self, **_: Any) -> dict[str, Any]:
        return dict(self.ask("token"))


# --- one scenario, in its own process ------------------------------------------------------------------------


def _scenario(name: str, messages: int, seed: int, out: Any) -> None:
    keyring.set_keyring(MemoryKeyring())
    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(child, messages, seed), daemon=True)
    server.start()
    info = parent.recv()
    fake = RemoteFake(parent)
    report: dict[str, Any] = {"scenario": name, "messages_in_mailbox": info["messages"],
                              "planted_promises": info["promises"]}  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = graph_config(Path(tmp), fake)  # type: ignore[arg-type]
            account = connect(config, _Url(info["url"]))  # type: ignore[arg-type]
            seed_token(account, fake)  # type: ignore[arg-type]
            passes = [("first", NOW)]
            if name == "batched":
                passes += [("idle", NOW + timedelta(minutes=5)), ("after 25 h", NOW + timedelta(hours=25))]
            for label, now in passes:
                report[label] = _pass(config, account, fake, now, batch=name != "unbatched")
            report["reminders_in_calendar"] = fake.ask("ours")
    finally:
        parent.send("stop")
        server.join(timeout=30)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out.put(report)


class _Url:
    """``connect`` wants a Server for its URL and its clean-up list."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.on_close: list[Any] = []


def _pass(config: Any, account: Any, fake: RemoteFake, now: datetime, *, batch: bool) -> dict[str, Any]:
    folder, r = config.state_path.parent, config.rules
    backends = {
        "mail": GraphMailSource(account, state_file=folder / "graph-delta.json",
                                lookback=timedelta(days=r.lookback_days)),
        "meetings": GraphMeetingSource(account, cache_file=folder / "graph-calendar.json"),
        "sink": GraphReminderSink(account, cache_file=folder / "graph-calendar.json", batch=batch,
                                  view_days=(r.lookback_days, r.meeting_lookahead_days)),
    }  # fmt: skip
    fake.ask("reset")
    started = time.perf_counter()
    try:
        result = run_once(config, now=now, **backends)
    finally:
        for b in backends.values():
            b.close()
    seconds = time.perf_counter() - started
    counts = Counter(fake.ask("counts"))
    log = fake.ask("log")
    http = fake.ask("http")
    write_requests = [
        items for method, _p, items in http if method != "GET" and (not items or set(items) != {"GET"})
    ]
    writes = len(write_requests)
    reads = len(http) - writes
    folders = {p.split("/mailFolders/")[1].split("/")[0] for m, p in log if "/messages/delta" in p}
    mail = backends["mail"]
    return {
        "seconds": round(seconds, 2),
        "requests": reads + writes,
        "read_requests": reads,
        "write_requests": writes,
        "reminder_writes": sum(len(items) or 1 for items in write_requests),
        "delta_requests": sum(1 for _m, p in log if "/messages/delta" in p),
        "folders_read": len(folders),
        "calendar_reads": sum(1 for m, p in log if m == "GET" and p.endswith(("/calendarView", "/events"))),
        "folder_discovery": sum(1 for _m, p, items in http if _discovery(p) or (items and set(items) == {"GET"})),
        "throttled_429": counts["faults:concurrency"] + counts["faults:throttle"],
        "messages_read": result.stats.messages_read,
        "delta_rounds_capped": getattr(mail, "capped", 0),
        "created": result.stats.created,
        "updated": result.stats.updated,
        "deleted": result.stats.deleted,
        "errors": result.stats.errors,
        "problems": result.problems,
    }


def _discovery(path: str) -> bool:
    return path.startswith("/v1.0/me/mailFolders") and "/messages" not in path


def _run(name: str, messages: int, seed: int) -> dict[str, Any]:
    out: Any = mp.Queue()
    proc = mp.Process(target=_scenario, args=(name, messages, seed, out))
    proc.start()
    report = out.get()
    proc.join()
    return dict(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=50_000, help="messages in the big scenario (0: skip it)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    mp.set_start_method("fork")
    report: dict[str, Any] = {"python": platform.python_version(), "machine": platform.machine()}
    scenarios = [("batched", args.messages), ("unbatched", args.messages)]
    if args.big:
        scenarios.append(("big", args.big))
    for name, messages in scenarios:
        r = _run(name, messages, args.seed)
        report[name] = r
        print(f"== {name}: {r['messages_in_mailbox']} messages in the mailbox, peak RSS {r['peak_rss_mb']} MB")
        for label in ("first", "idle", "after 25 h"):
            p = r.get(label)
            if p is None:
                continue
            print(
                f"  {label:10} {p['seconds']:7.2f} s  {p['requests']:5d} requests ({p['read_requests']} reads: "
                f"{p['delta_requests']} delta over {p['folders_read']} folders, {p['calendar_reads']} calendar, "
                f"{p['folder_discovery']} folder discovery; {p['write_requests']} writes carrying "
                f"{p['reminder_writes']} reminder writes)  read {p['messages_read']} "
                f"messages (capped rounds: {p['delta_rounds_capped']}), {p['created']} created, {p['updated']} "
                f"updated, {p['deleted']} deleted, {p['errors']} errors, {p['throttled_429']} throttled"
            )
        dropped = r["messages_in_mailbox"] - r["first"]["messages_read"]
        print(f"  reminders in the calendar: {r['reminders_in_calendar']}; mail in the window not read: {dropped}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
