"""What reading mail costs at scale (issue 11): first and idle passes over a large Maildir, mbox or IMAP account.

The mailboxes come from ``benchmarks/mailgen.py`` (Enron text, synthetic headers, under /tmp/followup-bench).
Every figure is the min and median of ``--runs`` runs on this machine, with the floors it is compared to
measured in the same run:

- ``list``: listing every cur/ and new/ folder (``os.listdir``; mbox: reading the file; IMAP: LOGIN, LIST,
  LOGOUT), the least any pass over the mailbox can cost;
- ``compat32``: the stdlib parser (``email.message_from_bytes``, policy compat32) over the messages inside the
  look-back window, bytes already in memory: the least a first pass that parses them can cost;
- ``source first`` / ``source idle``: the source alone (``messages()`` with a fresh memory, then again after
  the memory is committed, as the sync pass commits it);
- ``source +N new``: an idle mailbox that received N messages since the last pass (the daemon's usual pass);
- with ``--end-to-end``: whole passes (``sync.run_once`` with the real .ics sink, a fresh state), each in its own
  process so that its peak RSS is its own (``benchmarks/rss.py``: VmHWM, since ``ru_maxrss`` would include this
  process's peak); the idle pass runs 5 minutes after the first.

Examples (each prints the checks of issue 11 at the end)::

    .venv/bin/python benchmarks/source_bench.py maildir --messages 200000 --days 1826 --end-to-end
    .venv/bin/python benchmarks/source_bench.py maildir --messages 100000 --days 60 --growth-from 10000 \\
        --end-to-end
    .venv/bin/python benchmarks/source_bench.py mbox --messages 100000 --days 60 --growth-from 10000 --end-to-end
    .venv/bin/python benchmarks/source_bench.py imap --messages 50000 --days 60
"""

from __future__ import annotations

import argparse
import contextlib
import email
import imaplib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.policy import compat32
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import mailgen
from benchmarks.rss import peak_rss_mb
from followup_sync.backends import mime
from followup_sync.backends.files import MaildirSource, MboxSource, scan_mbox
from followup_sync.state import State

ROOT = Path(__file__).resolve().parents[1]

NEW_MAIL = 10


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def check(what: str, value: str, ok: bool) -> None:
    print(f"  {what}: {value} {'yes' if ok else 'NO'}")


def show(label: str, times: list[float], extra: str = "") -> None:
    print(f"  {label:<28} min {min(times):8.3f} s   median {statistics.median(times):8.3f} s   {extra}")


# --- mailboxes and sources ------------------------------------------------------------------------------


class Box:
    """One benchmark mailbox: where it is, how to read it, and its floors."""

    def __init__(self, kind: str, spec: mailgen.Spec, lookback: int) -> None:
        self.kind, self.spec = kind, spec
        self.now = spec.end_at + timedelta(minutes=1)
        self.window = (self.now - timedelta(days=lookback), self.now)
        self.lookback = lookback
        self.server: Any = None
        if kind == "maildir":
            self.path = mailgen.maildir(spec)
        elif kind == "mbox":
            self.path = mailgen.mbox(spec)
        else:
            self.path = mailgen.maildir(spec, base=mailgen.BENCH_DIR / "imap")

    def source(self, commands: list[str] | None = None) -> Any:
        if self.kind == "maildir":
            return MaildirSource(self.path)
        if self.kind == "mbox":
            return MboxSource([self.path])
        from followup_sync.backends.imap import ImapSource

        return ImapSource(
            self.server.settings, client_factory=counting_client(commands if commands is not None else [])
        )

    def in_window(self) -> list[bytes]:
        """The raw messages whose Date is inside the window (not timed)."""
        start, end = self.window
        raws: list[bytes] = []
        for raw in self._all_raw():
            sent = mime.quick_date(raw)
            if sent is not None and start <= sent < end:
                raws.append(raw)
        return raws

    def in_window_files(self) -> list[Path]:
        start, end = self.window
        found = []
        for sub in self._dirs():
            for name in os.listdir(sub):
                sent = mime.quick_date((sub / name).read_bytes())
                if sent is not None and start <= sent < end:
                    found.append(sub / name)
        return found

    def _all_raw(self) -> Iterator[bytes]:
        if self.kind == "mbox":
            with self.path.open("rb") as handle:
                for entry in scan_mbox(handle):
                    yield entry.message()
            return
        for sub in self._dirs():
            for name in os.listdir(sub):
                with contextlib.suppress(OSError):
                    yield (sub / name).read_bytes()

    def _dirs(self) -> list[Path]:
        return [
            d / s for d in [self.path, *sorted(self.path.glob(".*"))] for s in ("cur", "new") if (d / s).is_dir()
        ]

    def list_floor(self) -> Callable[[], Any]:
        if self.kind == "maildir":
            return lambda: sum(len(os.listdir(d)) for d in self._dirs())
        if self.kind == "mbox":

            def read_all() -> int:
                with self.path.open("rb") as handle:
                    return sum(len(chunk) for chunk in iter(lambda: handle.read(4 << 20), b""))

            return read_all

        def login_list() -> int:
            client = self.server.admin()
            try:
                return len(client.list_folders())
            finally:
                client.logout()

        return login_list

    def deliver(self, count: int) -> list[Path]:
        """``count`` new messages as a delivery agent adds them (Maildir new/, appended to the mbox or IMAP)."""
        start = mailgen.Spec(count, 1, seed=self.spec.seed + 99, end=self.spec.end)
        mails = list(mailgen.generate(start))
        if self.kind == "maildir":
            paths = []
            for i, mail in enumerate(mails):
                path = self.path / "new" / f"{int(time.time())}.M{i}P{os.getpid()}.benchnew"
                path.write_bytes(mail.raw)
                paths.append(path)
            return paths
        if self.kind == "mbox":
            self._mbox_size = self.path.stat().st_size
            with self.path.open("ab") as handle:
                for mail in mails:
                    handle.write(
                        b"From MAILER-DAEMON Tue Dec  1 08:00:00 2026\n" + mail.raw.replace(b"\r\n", b"\n") + b"\n"
                    )
            return []
        client = self.server.admin()
        try:
            for mail in mails:
                client.append("INBOX", mail.raw)
        finally:
            client.logout()
        return []

    def undeliver(self, paths: list[Path]) -> None:
        for path in paths:
            path.unlink()
        if self.kind == "mbox":
            os.truncate(self.path, self._mbox_size)
        if self.kind == "imap":
            client = self.server.admin()
            try:
                client.select_folder("INBOX")
                added = client.search(["HEADER", "Message-ID", f"<{self.spec.seed + 99}."])
                client.delete_messages(added)
                client.expunge()
            finally:
                client.logout()


def parse_all(raws: list[bytes]) -> int:
    return sum(1 for raw in raws if email.message_from_bytes(raw, policy=compat32) is not None)


def counting_client(commands: list[str]) -> Callable[[Any], Any]:
    import imapclient

    class Counting(imaplib.IMAP4):
        def _command(self, name: str, *args: Any) -> Any:
            commands.append(name)
            return super()._command(name, *args)

    class Client(imapclient.IMAPClient):  # type: ignore[misc]
        def _create_IMAP4(self) -> imaplib.IMAP4:
            return Counting(self.host, self.port, timeout=60)

    return lambda s: Client(s.host, port=s.port, ssl=False, timeout=60)


class Dovecot:
    def __init__(self, maildir: Path) -> None:
        from tests import dovecotlab

        self.lab = dovecotlab
        self.root = Path(tempfile.mkdtemp(prefix="followup-bench-dovecot-"))
        self.root.chmod(0o755)
        dovecotlab.give([maildir, *maildir.rglob("*")])
        self._ctx = dovecotlab.running(self.root, mail_location=f"maildir:{maildir}")
        self.port = self._ctx.__enter__()
        from followup_sync.backends.imap import ImapSettings

        self.settings = ImapSettings(
            host="127.0.0.1", username=dovecotlab.USER, port=self.port, ssl=False, timeout=60
        )

    def admin(self) -> Any:
        import imapclient

        client = imapclient.IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=60)
        client.login(self.lab.USER, self.lab.PASSWORD)
        return client

    def stop(self) -> None:
        self._ctx.__exit__(None, None, None)
        shutil.rmtree(self.root, ignore_errors=True)


def memory_keyring() -> None:
    import keyring
    import keyring.backend

    class Memory(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: dict[tuple[str, str], str] = {}  # noqa: RUF012

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    keyring.set_keyring(Memory())
    from tests.dovecotlab import PASSWORD, USER

    keyring.set_password("followup-sync", f"imap:{USER}@127.0.0.1", PASSWORD)


# --- source passes --------------------------------------------------------------------------------------


def source_passes(box: Box, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    commands: list[str] = []

    def first() -> Any:
        state = State.memory()
        source = box.source(commands)
        memory = state.source_memory(source.key)
        source.remember(memory)
        commands.clear()
        count = sum(1 for _ in source.messages(*box.window))
        with state.transaction():
            memory.commit()
        return state, source, count

    times, (state, source, count) = timed(first, runs)
    out["first"], out["first_count"] = times, count
    out["first_commands"] = Counter(commands)

    def again() -> int:
        memory = state.source_memory(source.key)
        source.remember(memory)
        commands.clear()
        count = sum(1 for _ in source.messages(*box.window))
        with state.transaction():
            memory.commit()
        return count

    times, count = timed(again, runs)
    out["idle"], out["idle_count"], out["idle_commands"] = times, count, list(commands)
    out["idle_read"] = getattr(source, "items_read", getattr(source, "fetched", None))

    new_times = []
    for _ in range(runs):
        paths = box.deliver(NEW_MAIL)
        try:
            if box.kind == "maildir":
                os.utime(box.path / "new")  # a delivery in the same second as the last pass: see files.RACY_NS
            t, count = timed(again, 1)
            new_times += t
            new_commands = Counter(commands)
        finally:
            box.undeliver(paths)
            again()  # settle the memory back to the mailbox as it is
    out["new"], out["new_count"] = new_times, count
    if box.kind == "imap":
        out["new_commands"] = new_commands
    return out


# --- whole passes, each in a child process --------------------------------------------------------------


def child_pass(args: argparse.Namespace) -> None:
    """Runs one sync pass (in a child process) and prints its figures as JSON."""
    from followup_sync import config as configmod
    from followup_sync.sync import run_once

    tmp = Path(args.tmp)
    mail: dict[str, Any] = {"backend": args.kind, "path": args.path}
    if args.kind == "imap":
        memory_keyring()
        mail = {"backend": "imap", "host": "127.0.0.1", "port": args.port, "username": "alice", "ssl": False}
    cfg = configmod.parse(
        {
            "identity": {"addresses": [mailgen.REP], "timezone": "Europe/Berlin"},
            "mail": mail,
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp / "reminders.ics")},
            "state": {"path": str(tmp / "state.db")},
            "rules": {"lookback_days": args.lookback},
        }
    )
    for when in args.now:
        started, cpu = time.perf_counter(), time.process_time()
        result = run_once(cfg, now=datetime.fromisoformat(when))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        rss = peak_rss_mb()
        ops = Counter(a.op for a in result.actions)
        print(
            json.dumps(
                {"seconds": seconds, "cpu": cpu, "rss": rss, "read": result.stats.messages_read, "ops": ops}
            ),
            flush=True,
        )


def whole_passes(box: Box, runs: int) -> dict[str, Any]:
    """Per run: a first pass and an idle pass 5 minutes later in one process (as the daemon runs them), then an
    idle pass in a new process (as ``followup-sync sync`` runs one)."""
    out: dict[str, list[Any]] = {
        "first": [],
        "first_cpu": [],
        "idle_cpu": [],
        "cold_idle_cpu": [],
        "rss": [],
        "idle": [],
        "cold_idle": [],
        "cold_rss": [],
        "read": [],
        "ops": [],
    }
    for _ in range(runs):
        tmp = Path(tempfile.mkdtemp(prefix="followup-bench-pass-"))
        try:
            first, idle = _child(box, tmp, [box.now, box.now + timedelta(minutes=5)])
            out["first"].append(first["seconds"])
            out["first_cpu"].append(first["cpu"])
            out["idle_cpu"].append(idle["cpu"])
            out["rss"].append(first["rss"])
            out["read"].append(first["read"])
            out["ops"].append(first["ops"])
            out["idle"].append(idle["seconds"])
            (cold,) = _child(box, tmp, [box.now + timedelta(minutes=10)])
            out["cold_idle"].append(cold["seconds"])
            out["cold_idle_cpu"].append(cold["cpu"])
            out["cold_rss"].append(cold["rss"])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _child(box: Box, tmp: Path, times: list[datetime]) -> list[dict[str, Any]]:
    cmd = [
        sys.executable, __file__, "_pass", "--kind", box.kind, "--path", str(box.path), "--tmp", str(tmp),
        "--lookback", str(box.lookback), "--port", str(box.server.port if box.server else 0),
        *(arg for when in times for arg in ("--now", when.isoformat())),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"pass failed:\n{done.stderr}")
    return [json.loads(line) for line in done.stdout.strip().splitlines() if line.startswith("{")]


# --- main -----------------------------------------------------------------------------------------------


def measure(kind: str, messages: int, args: argparse.Namespace) -> dict[str, Any]:
    spec = mailgen.Spec(messages=messages, days=args.days)
    print(f"{kind}: {messages:,} messages over {args.days:g} days, look-back {args.lookback} days", flush=True)
    box = Box(kind, spec, args.lookback)
    if kind == "imap":
        box.server = Dovecot(box.path)
        memory_keyring()
    try:
        raws = box.in_window()
        print(f"  in the window: {len(raws):,} messages", flush=True)
        figures: dict[str, Any] = {"in_window": len(raws)}
        figures["list"], _ = timed(box.list_floor(), args.runs)
        show("list (floor)", figures["list"])
        figures["compat32"], _ = timed(lambda: parse_all(raws), args.runs)
        show("compat32 parse (floor)", figures["compat32"])
        if kind == "maildir":
            files = box.in_window_files()
            figures["read_compat32"], _ = timed(lambda: parse_all([f.read_bytes() for f in files]), args.runs)
            show("read + compat32 (floor)", figures["read_compat32"])
        raws.clear()  # free them before the passes
        src = source_passes(box, args.runs)
        figures["source"] = src
        c32 = statistics.median(figures["compat32"])
        listed = statistics.median(figures["list"])
        show(
            "source first",
            src["first"],
            f"{statistics.median(src['first']) / c32:.2f}x compat32, {src['first_count']:,} yielded",
        )
        show(
            "source idle",
            src["idle"],
            f"{statistics.median(src['idle']) / listed:.2f}x list, {src['idle_count']} yielded",
        )
        show(f"source +{NEW_MAIL} new", src["new"], f"{src['new_count']} yielded")
        if kind == "imap":
            print(f"  IMAP commands, first pass: {dict(src['first_commands'])}")
            print(f"  IMAP commands, idle pass:  {src['idle_commands']} ({len(src['idle_commands'])} commands)")
            print(f"  IMAP commands, +{NEW_MAIL} new:    {dict(src['new_commands'])}")
        if args.end_to_end:
            whole = whole_passes(box, args.runs)
            figures["whole"] = whole
            show(
                "whole first pass",
                whole["first"],
                f"peak RSS max {max(whole['rss']):.0f} MB, {whole['read'][0]:,} read, {dict(whole['ops'][0])}",
            )
            show(
                "whole first pass, CPU",
                whole["first_cpu"],
                "(this process's CPU; a loaded machine slows wall times)",
            )
            show("whole idle pass (same process)", whole["idle"])
            show("whole idle pass (same process), CPU", whole["idle_cpu"])
            show(
                "whole idle pass (new process)",
                whole["cold_idle"],
                f"peak RSS max {max(whole['cold_rss']):.0f} MB",
            )
            show("whole idle pass (new process), CPU", whole["cold_idle_cpu"])
        return figures
    finally:
        if box.server is not None:
            box.server.stop()


def byte_compile() -> None:
    """Compile the package first, as ``pip install`` does: the passes run in child processes, and with
    ``PYTHONDONTWRITEBYTECODE`` (set in our shells) and no ``__pycache__`` each would compile every module it
    imports, about 0.2 s of CPU counted as the pass's (``cold_start.py`` does the same)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "followup_sync")], env=env, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["maildir", "mbox", "imap", "_pass"])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=60)
    parser.add_argument("--lookback", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--growth-from", type=int, default=0, help="also measure this many messages (same days)")
    parser.add_argument("--end-to-end", action="store_true", help="also run whole passes (slow)")
    parser.add_argument("--kind", dest="pass_kind")
    parser.add_argument("--path")
    parser.add_argument("--tmp")
    parser.add_argument("--now", action="append")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.kind == "_pass":
        args.kind = args.pass_kind
        child_pass(args)
        return 0
    byte_compile()
    big = measure(args.kind, args.messages, args)
    print("checks (issue 11):")
    src = big["source"]
    listed, c32 = statistics.median(big["list"]), statistics.median(big["compat32"])
    idle = statistics.median(src["idle"])
    check("source idle pass <= 1 s", f"{idle:.3f} s", idle <= 1)
    if args.kind == "maildir":
        check("source idle pass <= 3x list", f"{idle / listed:.2f}x", idle <= 3 * listed)
    if args.kind == "imap":
        opened = [c for c in src["idle_commands"] if c in ("FETCH", "UID", "SELECT", "EXAMINE")]
        check(
            "idle pass: a handful of commands, no FETCH", f"{src['idle_commands']}", len(src["idle_commands"]) <= 8
        )
        check("idle pass opens no folder and fetches nothing", f"{opened}", not opened)
    first = statistics.median(src["first"])
    check("source first pass <= 3x compat32", f"{first / c32:.2f}x", first <= 3 * c32)
    if "read_compat32" in big:
        rc32 = statistics.median(big["read_compat32"])
        check("source first pass <= 3x (read + compat32)", f"{first / rc32:.2f}x", first <= 3 * rc32)
    if "whole" in big:
        whole = big["whole"]
        wfirst, widle, rss = statistics.median(whole["first"]), statistics.median(whole["idle"]), max(whole["rss"])
        check("whole first pass <= 3x compat32", f"{wfirst / c32:.1f}x", wfirst <= 3 * c32)
        check("whole first pass <= 60 s", f"{wfirst:.1f} s", wfirst <= 60)
        check("whole idle pass <= 1 s (daemon: same process)", f"{widle:.2f} s", widle <= 1)
        cold = statistics.median(whole["cold_idle"])
        check("whole idle pass <= 1 s (new process)", f"{cold:.2f} s", cold <= 1)
        check("whole first pass peak RSS <= 150 MB", f"{rss:.0f} MB", rss <= 150)
    if args.growth_from:
        small = measure(args.kind, args.growth_from, args)
        ratio = args.messages / args.growth_from
        grow = statistics.median(src["first"]) / statistics.median(small["source"]["first"]) / ratio
        check(
            f"source first pass growth {args.growth_from:,} -> {args.messages:,} <= 1.3x linear",
            f"{grow:.2f}x",
            grow <= 1.3,
        )
        if "whole" in big:
            wgrow = statistics.median(big["whole"]["first"]) / statistics.median(small["whole"]["first"]) / ratio
            check("whole first pass growth <= 1.3x linear", f"{wgrow:.2f}x", wgrow <= 1.3)
            cpu = statistics.median(big["whole"]["first_cpu"]) / statistics.median(small["whole"]["first_cpu"])
            check("whole first pass growth in CPU <= 1.3x linear", f"{cpu / ratio:.2f}x", cpu / ratio <= 1.3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
