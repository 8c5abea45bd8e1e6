"""Process-level crash machinery shared by ``tests/test_crash.py`` and ``benchmarks/crash_lab.py``.

A generated mailbox of clear promises ("I'll call you Thursday at 2pm.", one per contact and thread), a config
for the .ics or the CalDAV sink, and a loop that starts ``python -m followup_sync sync`` as a subprocess and
SIGKILLs it at a seeded random moment, spread uniformly over the length of one clean pass (:func:`measure`).
Mail arrives before every pass (new promises, and later the rep's own mails that close earlier ones), so the
kills land in creates, deletes and the state's own transactions, not in passes that have nothing to do.

The checks (:func:`check`) are the claim under test: after one clean pass every expected key has exactly one
reminder, none is missing, no closed one is left, foreign items are untouched, ``PRAGMA integrity_check`` is
ok, every reminder is recorded in the state, and a further pass plans only ``keep``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

ME = "dana@northwind.example"
TZ = ZoneInfo("Europe/Berlin")
#: Every pass runs "as if" at this moment: the promises were made on Monday, the closing mails on Tuesday.
NOW = "2026-03-17T12:00:00+01:00"
MONDAY = datetime(2026, 3, 16, 8, 30, tzinfo=TZ)
TUESDAY = datetime(2026, 3, 17, 8, 0, tzinfo=TZ)
USER, PASSWORD = "dana", "crash-lab-pw"

FIRST = ["Mark", "Priya", "Tom", "Lena", "Jonas", "Aisha", "Carlos", "Mei", "Olga", "Ravi", "Sofia", "Ben",
         "Hannah", "Yusuf", "Ingrid", "Pedro", "Chloe", "Tariq", "Nina", "Felix"]  # fmt: skip
LAST = ["Keller", "Novak", "Brandt", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Rossi", "Schulz", "Haddad",
        "Kowalski", "Fischer", "Duarte", "Berger", "Nakamura"]  # fmt: skip
COMPANIES = ["acme", "globex", "initech", "umbrella-logistics", "hooli", "vandelay", "stark-industries",
             "wayne-shipping", "tyrell", "cyberdyne", "soylent", "massive-dynamic"]  # fmt: skip
PROMISES = [
    "I'll call you Thursday at 2pm.",
    "I'll call you on Wednesday at 10am to go through the numbers.",
    "I will call you Friday at 11am.",
    "I'll give you a call Thursday at 4pm.",
    "I'll call you Wednesday at 3pm.",
]
SUBJECTS = ["Rollout plan", "Renewal", "Pricing for Q2", "Pilot next steps", "Contract draft", "Onboarding",
            "Support tier", "Hardware order", "Training dates", "Quote follow-up"]  # fmt: skip
FOREIGN_ICS = (
    "BEGIN:VEVENT\r\nUID:lunch-1@example.com\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:20260320T120000Z\r\n"
    "DTEND:20260320T130000Z\r\nSUMMARY:Lunch with Sam\r\nEND:VEVENT\r\n"
)


@dataclass(frozen=True)
class Promise:
    n: int
    contact: str
    name: str
    subject: str
    text: str
    sent: datetime
    tag: str = ""  # tells apart the mail of two worlds that share a reminders file

    @property
    def message_id(self) -> str:
        return f"{self.tag}p{self.n:04d}.crash@northwind.example"


def promises(count: int, *, seed: int = 7, tag: str = "") -> list[Promise]:
    """``count`` promises to distinct contacts in distinct threads, sent on Monday between 08:30 and 17:00."""
    rng = random.Random(seed)
    people = [(f, ln, c) for c in COMPANIES for f in FIRST for ln in LAST]
    rng.shuffle(people)
    step = timedelta(minutes=max(1, 510 // max(count, 1)))
    out = []
    for n, (first, last, company) in enumerate(people[:count]):
        subject = f"{SUBJECTS[n % len(SUBJECTS)]} ({company.replace('-', ' ').title()} #{n})"
        contact = f"{first}.{last}@{company}.example".lower()
        text = PROMISES[n % len(PROMISES)]
        out.append(Promise(n, contact, f"{first} {last}", subject, text, MONDAY + n * step, tag))
    return out


def promise_eml(p: Promise) -> bytes:
    body = (
        f"Hi {p.name.split()[0]},\n\nThanks for your time today, it was good to hear how the team is doing.\n"
        f"{p.text}\n\nBest regards,\nDana Whitfield\nNorthwind Traders\n"
    )
    return _eml(p.contact, p.name, p.subject, p.sent, f"<{p.message_id}>", body)


def closing_eml(p: Promise, *, at: datetime) -> bytes:
    """The rep writes to the contact again after the promise: the promise is done and its reminder goes."""
    body = f"Hi {p.name.split()[0]},\n\nThanks for the call today. Summary attached.\n\nDana\n"
    return _eml(p.contact, p.name, f"Re: {p.subject}", at, f"<{p.tag}c{p.n:04d}.crash@northwind.example>", body,
                reply_to=f"<{p.message_id}>")  # fmt: skip


def _eml(to: str, name: str, subject: str, at: datetime, msgid: str, body: str, reply_to: str = "") -> bytes:
    head = [
        f"From: Dana Whitfield <{ME}>",
        f"To: {name} <{to}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(at)}",
        f"Message-ID: {msgid}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if reply_to:
        head += [f"In-Reply-To: {reply_to}", f"References: {reply_to}"]
    return ("\n".join(head) + "\n\n" + body).encode()


# --- a world: mailbox, config, sink ---------------------------------------------------------------------


@dataclass
class World:
    """One scenario in a folder: ``promises`` all arrive, ``closed`` are answered by the rep later on."""

    root: Path
    sink: str  # "ics" or "caldav"
    promises: list[Promise]
    closed: list[Promise]
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    foreign: tuple[str, str, bytes] = ("", "", b"")  # the user's own CalDAV event as first listed
    layout: str = "plain"  # .ics: "plain", "symlink" (into a synced folder) or "shared" (with another world)
    ics_file: Path | None = None  # the reminders file when it is not <root>/reminders.ics (shared)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def state(self) -> Path:
        return self.root / "state.db"

    @property
    def ics(self) -> Path:
        return self.ics_file or self.root / "reminders.ics"

    @property
    def link_target(self) -> Path:
        """Where a symlinked reminders file points: a file in a "synced" folder, readable by others (0644)."""
        return self.root / "synced" / "followups.ics"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    def deliver(self, items: list[Promise], *, closing: bool = False) -> None:
        for i, p in enumerate(items):
            if closing:
                at = TUESDAY + timedelta(minutes=i + 1)
                (self.mail / f"c{p.n:04d}.eml").write_bytes(closing_eml(p, at=at))
            else:
                (self.mail / f"p{p.n:04d}.eml").write_bytes(promise_eml(p))

    def sync_cmd(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "followup_sync", "sync", "--config", str(self.config), "--now", NOW,
                "--format", "json", *extra]  # fmt: skip


def make_world(
    root: Path,
    *,
    sink: str,
    count: int,
    closed: int,
    url: str = "",
    seed: int = 7,
    keyring: bool = True,
    layout: str = "plain",
    share: World | None = None,
    tag: str = "",
) -> World:
    """The folder, the config and the environment of a subprocess pass; no mail delivered yet.

    For CalDAV the password goes into a plaintext keyring under the world's own HOME (``keyring=False``
    leaves that to the caller, for passes run in-process), and the user's own event is put in the calendar.
    For .ics, ``layout="symlink"`` makes the reminders file a symbolic link into a "synced" folder, and
    ``share`` writes into another world's reminders file (a second config on the same file; give it another
    ``seed`` and ``tag``, so that its contacts and Message-IDs are its own).
    """
    root.mkdir(parents=True, exist_ok=True)
    ps = promises(count, seed=seed, tag=tag)
    world = World(root, sink, ps, closed=ps[: closed * 3 : 3][:closed], url=url, layout=layout)
    world.mail.mkdir(exist_ok=True)
    if sink == "ics":
        if share is not None:
            world.ics_file, world.layout = share.ics, "shared"
            share.layout = "shared"
        else:
            # the user's own event in the same file must survive byte for byte
            written = world.ics
            if layout == "symlink":
                world.link_target.parent.mkdir()
                written = world.link_target
                world.ics.symlink_to(written)
            written.write_bytes(
                b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//user//app//EN\r\n"
                + FOREIGN_ICS.encode()
                + b"END:VCALENDAR\r\n"
            )
            written.chmod(0o644)
        reminders = f'backend = "ics"\npath = "{world.ics}"'
    else:
        reminders = f'backend = "caldav"\nurl = "{url}"\nusername = "{USER}"\nallow_insecure_http = true'
    # no daily cap in the crash trials: they count every reminder of a pass (tests/test_pacing.py has the cap)
    world.config.write_text(
        f'[identity]\naddresses = ["{ME}"]\ntimezone = "Europe/Berlin"\n\n'
        f'[mail]\nbackend = "eml"\npath = "{world.mail}"\n\n[meetings]\nbackend = "none"\n\n'
        f'[reminders]\n{reminders}\nmax_new_per_day = 500\n\n[state]\npath = "{world.state}"\n'
    )
    home = root / "home"
    home.mkdir(exist_ok=True)
    world.env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWUP_SYNC_", "XDG_", "PYTHON_KEYRING"))},
        "FOLLOWUP_SYNC_HOME": str(home / "fs"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING": "1",
    }
    if sink == "caldav" and keyring:
        code = (
            "import sys; from followup_sync.backends.caldav import store_password; "
            "store_password(sys.argv[1], sys.argv[2], sys.argv[3])"
        )
        subprocess.run([sys.executable, "-c", code, url, USER, PASSWORD], env=world.env, check=True, timeout=60)
    if sink == "caldav":
        put(url + "lunch-1.ics", ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n" + FOREIGN_ICS
                                  + "END:VCALENDAR\r\n").encode())  # fmt: skip
        [world.foreign] = report(url)
    return world


# --- passes ---------------------------------------------------------------------------------------------


@dataclass
class Pass:
    code: int
    seconds: float
    stdout: str
    stderr: str


def clean_pass(world: World, *extra: str) -> Pass:
    started = time.monotonic()
    proc = subprocess.run(world.sync_cmd(*extra), env=world.env, capture_output=True, text=True, timeout=300)
    return Pass(proc.returncode, time.monotonic() - started, proc.stdout, proc.stderr)


@dataclass
class KillStats:
    attempts: int = 0
    kills: int = 0  # SIGKILL delivered while the pass was still running
    in_writes: int = 0  # of those, kills aimed inside the write phase (after a write began)
    finished: int = 0  # the pass ended on its own before its kill moment
    failures: list[str] = field(default_factory=list)  # passes that ended on their own with an error


@dataclass(frozen=True)
class Timing:
    """One clean pass as seen from outside: its length, when its first write began, how many it made."""

    seconds: float
    first_write: float
    writes: int

    @property
    def per_write(self) -> float:
        return max(self.seconds - self.first_write, 0.001) / max(self.writes, 1)


class Aim:
    """Where the next kill of a world goes. Every other pass that got a delivery is killed just after one of
    its writes (k uniform over the measured pass's writes); the others at a uniform moment over the measured
    pass's length, or over the last pass that ended on its own, when that was shorter: an idle pass (nothing
    delivered), or the machine got quicker than when the pass was measured."""

    def __init__(self, timing: Timing) -> None:
        self.timing = timing
        self.span = timing.seconds

    def next(self, rng: random.Random, *, alternate: bool, delivered: bool) -> dict[str, float]:
        if alternate and delivered and self.timing.writes > 0:
            return {
                "after_writes": rng.randint(1, self.timing.writes),
                "delay": rng.uniform(0, self.timing.per_write),
            }
        return {"deadline": rng.uniform(0, self.span)}

    def saw(self, code: int | None, seen: Timing) -> None:
        if code is not None:  # ended before its kill moment
            self.span = min(self.timing.seconds, seen.seconds)


def _is_write(line: bytes) -> bool:
    """The fixed INFO phrase a sink logs as it starts a write ("Creating reminder K in <calendar>")."""
    words = line.split()
    return (
        len(words) == 6
        and words[0] == b"INFO"
        and words[1] in (b"Creating", b"Updating", b"Deleting")
        and words[2] == b"reminder"
        and words[4] in (b"in", b"from")
    )


def watched_pass(world: World, *, deadline: float | None = None, after_writes: int | None = None,
                 delay: float = 0.0) -> tuple[int | None, Timing]:  # fmt: skip
    """Run ``sync -v`` and SIGKILL it ``deadline`` seconds after the start, or ``delay`` seconds after the
    planner announced write number ``after_writes``; whichever is given. Returns (exit code, or None when
    killed; the timing seen). Without either, the pass runs to its end."""
    import selectors

    cmd = world.sync_cmd()
    cmd.insert(cmd.index("sync"), "-v")
    started = time.monotonic()
    first_write, writes, buffer, tail = 0.0, 0, b"", b""
    with (world.root / "pass.out").open("wb") as out:
        proc = subprocess.Popen(cmd, env=world.env, stdout=out, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(proc.stderr, selectors.EVENT_READ)
        kill_at = started + deadline if deadline is not None else None
        try:
            while True:
                timeout = None if kill_at is None else kill_at - time.monotonic()
                if timeout is not None and timeout <= 0:
                    break
                if not selector.select(timeout):
                    continue
                chunk = os.read(proc.stderr.fileno(), 65536)
                if not chunk:  # the pass ended on its own
                    code = proc.wait(timeout=60)
                    if code != 0:
                        raise PassFailed(code, (tail + buffer).decode(errors="replace")[-3000:])
                    return code, Timing(time.monotonic() - started, first_write, writes)
                *lines, buffer = (buffer + chunk).split(b"\n")
                tail = (tail + chunk)[-4000:]
                for line in lines:
                    if _is_write(line):
                        writes += 1
                        first_write = first_write or time.monotonic() - started
                        if after_writes is not None and writes == after_writes and kill_at is None:
                            kill_at = time.monotonic() + delay
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return None, Timing(time.monotonic() - started, first_write, writes)
        finally:
            selector.close()
            proc.stderr.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


class PassFailed(Exception):
    def __init__(self, code: int, output: str) -> None:
        super().__init__(f"the pass exited {code}: {output}")
        self.code = code


def waves(world: World, count: int) -> list[tuple[list[Promise], list[Promise]]]:
    """The mail in ``count`` deliveries: the promises spread over all of them, the mails that close some of
    them over the second half (so that later passes have deletes to do as well as creates)."""
    half = count // 2
    return [
        (world.promises[i::count], world.closed[i - half :: count - half] if i >= half else [])
        for i in range(count)
    ]


def _deliver(world: World, wave: tuple[list[Promise], list[Promise]]) -> None:
    world.deliver(wave[0])
    world.deliver(wave[1], closing=True)


def measure(world: World, *, kills: int) -> Timing:
    """One clean pass that has one delivery of :func:`waves` to do (the second one: the first also creates
    the state). Used in a world of its own, so that the crash world starts from nothing."""
    deliveries = waves(world, kills)
    _deliver(world, deliveries[0])
    watched_pass(world)
    _deliver(world, deliveries[1])
    return watched_pass(world)[1]


def kill_loop(world: World, *, kills: int, timing: Timing, rng: random.Random) -> KillStats:
    """Start passes until ``kills`` of them were SIGKILLed (at most ``3 * kills`` passes: one quicker than the
    measured pass, or with fewer writes, ends before its kill moment).

    Before every pass one more delivery of :func:`waves` arrives, so each pass has writes to do: the new
    mail's, plus whatever the killed passes before it left undone. Kills alternate between two aims: a
    uniform random moment over the whole clean pass (start-up, reading, the state's transactions), and a
    uniform random moment inside a write: after the sink announced write number k (k uniform over the
    writes of a clean pass), within one write's length. Time alone would seldom hit the few milliseconds
    between a calendar write and its state commit, the gap that matters most. The mail not delivered by the
    end arrives afterwards, for the clean pass.

    Once every delivery is made, a pass has no writes to aim at: it is killed at a moment over the length of
    the last pass that ran to its end (:class:`Aim`), so the kills still land (the start-up, the reading and
    the state's transactions) on a machine whose load changed since the measured pass.
    """
    stats = KillStats()
    pending = waves(world, kills)
    aim = Aim(timing)
    while stats.kills < kills and stats.attempts < 3 * kills:
        delivered = bool(pending)
        if pending:
            _deliver(world, pending.pop(0))
        stats.attempts += 1
        kwargs = aim.next(rng, alternate=stats.attempts % 2 == 0, delivered=delivered)
        try:
            code, seen = watched_pass(world, **kwargs)  # type: ignore[arg-type]
        except PassFailed as exc:
            stats.finished += 1
            stats.failures.append(f"pass {stats.attempts}: {exc}")
            continue
        aim.saw(code, seen)
        if code is None:
            stats.kills += 1
            stats.in_writes += "after_writes" in kwargs
        else:
            stats.finished += 1
    for wave in pending:
        _deliver(world, wave)
    return stats


# --- checks ---------------------------------------------------------------------------------------------


@dataclass
class Report:
    expected: int
    found: int
    duplicates: dict[str, int]
    missing: set[str]
    unexpected: set[str]
    foreign_ok: bool
    integrity: str
    unrecorded: set[str]
    next_ops: Counter[str]
    layout_ok: bool = True  # a symlinked file is still a link to its target, whose mode is kept

    @property
    def ok(self) -> bool:
        return (
            self.layout_ok
            and not self.duplicates
            and not self.missing
            and not self.unexpected
            and self.foreign_ok
            and self.integrity == "ok"
            and not self.unrecorded
            and set(self.next_ops) == {"keep"}
            and self.next_ops["keep"] == self.expected
        )

    def line(self) -> str:
        return (
            f"reminders expected={self.expected} found={self.found} duplicates={sum(self.duplicates.values())} "
            f"missing={len(self.missing)} unexpected={len(self.unexpected)} foreign_untouched={self.foreign_ok} "
            f"integrity={self.integrity} unrecorded={len(self.unrecorded)} next_pass={dict(self.next_ops)}"
            f" layout_ok={self.layout_ok}"
        )


def expected_keys(world: World) -> set[str]:
    """The keys a pass that was never killed would leave, from an in-process run over the final mailbox."""
    from followup_sync import config as configmod
    from followup_sync.backends.memory import MemorySink
    from followup_sync.sync import run_once

    config = configmod.parse(
        {
            "identity": {"addresses": [ME], "timezone": "Europe/Berlin"},
            "mail": {"backend": "eml", "path": str(world.mail)},
            "meetings": {"backend": "none"},
            "reminders": {
                "backend": "ics",
                "path": str(world.root / "reference-unused.ics"),
                "max_new_per_day": 500,
            },
            "state": {"path": str(world.root / "reference.db")},
        }
    )
    reference = world.root / "reference.db"
    reference.unlink(missing_ok=True)
    sink = MemorySink()
    run_once(config, now=datetime.fromisoformat(NOW), sink=sink, state_path=reference)
    return {rem.key for rem, _etag in sink.items.values()}


def remote_uids(world: World) -> tuple[Counter[str], bool]:
    """(count of each of our keys in the calendar, whether the foreign event is untouched)."""
    ours: Counter[str] = Counter()
    if world.sink == "ics":
        data = world.ics.read_bytes()
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            uid = str(event["UID"])
            if uid.endswith("@followup-sync"):
                ours[uid.removesuffix("@followup-sync")] += 1
        return ours, data.count(FOREIGN_ICS.encode()) == 1
    foreign = []
    for href, etag, blob in report(world.url):
        for event in icalendar.Calendar.from_ical(blob).walk("VEVENT"):
            uid = str(event["UID"])
            if uid.endswith("@followup-sync"):
                ours[uid.removesuffix("@followup-sync")] += 1
            else:
                foreign.append((href, etag, blob))
    return ours, foreign == [world.foreign]


def check(world: World, expected: set[str], *, everyone: set[str] | None = None) -> Report:
    """The checks for one world; ``everyone`` is the keys of every world writing the same file (shared)."""
    counts, foreign_ok = remote_uids(world)
    with contextlib_closing(sqlite3.connect(f"file:{world.state}?mode=ro", uri=True)) as db:
        integrity = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        recorded = {str(r[0]) for r in db.execute("SELECT key FROM reminders")}
    follow = clean_pass(world)
    if follow.code != 0:
        raise AssertionError(f"the pass after the clean pass failed ({follow.code}): {follow.stderr[-2000:]}")
    next_ops = Counter(a["op"] for a in json.loads(follow.stdout)["actions"])
    ours = set(counts) if everyone is None else set(counts) & expected
    return Report(
        expected=len(expected),
        found=sum(counts[k] for k in ours),
        duplicates={k: n for k, n in counts.items() if n > 1},
        missing=expected - set(counts),
        unexpected=set(counts) - (expected if everyone is None else everyone),
        foreign_ok=foreign_ok,
        integrity=integrity,
        unrecorded=(ours ^ recorded),
        next_ops=next_ops,
        layout_ok=layout_ok(world),
    )


def layout_ok(world: World) -> bool:
    if world.sink != "ics":
        return True
    if world.layout != "symlink":
        return world.ics.is_file() and not world.ics.is_symlink()
    target = world.link_target
    return world.ics.is_symlink() and world.ics.resolve() == target and (target.stat().st_mode & 0o777) == 0o644


def _watched_into(world: World, kwargs: dict[str, float],
                  outcomes: list[tuple[int | None, str | None, Timing | None]], i: int) -> None:  # fmt: skip
    try:
        code, seen = watched_pass(world, **kwargs)  # type: ignore[arg-type]
        outcomes[i] = (code, None, seen)
    except PassFailed as exc:
        outcomes[i] = (exc.code, str(exc), None)


def kill_loop_shared(worlds: list[World], *, kills: int, timing: Timing, rng: random.Random) -> list[KillStats]:
    """:func:`kill_loop` for worlds that share one reminders file: before every round each gets its delivery,
    then all their passes run at once, each SIGKILLed at its own random moment (over the clean pass, or just
    after one of its writes), until each world took ``kills`` kills. A world that has had its kills keeps
    running whole passes beside the others (the other writer of the shared file stays), not counted."""
    import threading

    stats = [KillStats() for _ in worlds]
    pending = [waves(w, kills) for w in worlds]
    aims = [Aim(timing) for _ in worlds]
    rounds = 0
    while any(s.kills < kills for s in stats) and rounds < 3 * kills:
        rounds += 1
        plans: list[tuple[bool, dict[str, float]]] = []
        for w, s, p, a in zip(worlds, stats, pending, aims, strict=True):
            delivered = bool(p)
            if p:
                _deliver(w, p.pop(0))
            if s.kills >= kills:  # this one has had its kills: its pass still runs beside the other's
                plans.append((False, {}))
                continue
            s.attempts += 1
            kw = a.next(rng, alternate=s.attempts % 2 == 0, delivered=delivered)
            plans.append(("after_writes" in kw, kw))
        outcomes: list[tuple[int | None, str | None, Timing | None]] = [(None, None, None)] * len(worlds)
        threads = [
            threading.Thread(target=_watched_into, args=(worlds[i], kw, outcomes, i))
            for i, (_a, kw) in enumerate(plans)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for s, a, (aim, kw), (code, failure, seen) in zip(stats, aims, plans, outcomes, strict=True):
            if not kw and failure is None:
                continue  # a pass without a kill that ended well
            if seen is not None:
                a.saw(code, seen)
            if failure is not None:
                s.finished += 1
                s.failures.append(f"pass {s.attempts}: {failure}")
            elif code is None:
                s.kills += 1
                s.in_writes += aim
            else:
                s.finished += 1
    for w, p in zip(worlds, pending, strict=True):
        for wave in p:
            _deliver(w, wave)
    return stats


@contextmanager
def contextlib_closing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    try:
        yield db
    finally:
        db.close()


# --- Radicale -------------------------------------------------------------------------------------------


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def request(url: str, method: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body or None, method=method, headers={**_auth(), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def put(url: str, body: bytes) -> None:
    status, _ = request(url, "PUT", body, {"Content-Type": "text/calendar", "If-None-Match": "*"})
    if status != 201:
        raise RuntimeError(f"PUT {url} answered {status}")


def make_calendar(base: str, name: str) -> str:
    url = f"{base}/{USER}/{name}/"
    status, _ = request(url, "MKCALENDAR")
    if status != 201:
        raise RuntimeError(f"MKCALENDAR {url} answered {status}")
    return url


def report(url: str) -> list[tuple[str, str, bytes]]:
    """(href, etag, data) of every item in the calendar, read with a plain calendar-query REPORT."""
    import xml.etree.ElementTree as ET

    body = (
        b'<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
        b'<d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"/>'
        b"</c:filter></c:calendar-query>"
    )
    status, data = request(url, "REPORT", body, {"Depth": "1", "Content-Type": "application/xml"})
    if status != 207:
        raise RuntimeError(f"REPORT {url} answered {status}")
    ns = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav"}
    out = []
    for item in ET.fromstring(data).findall("d:response", ns):
        href = item.findtext("d:href", default="", namespaces=ns)
        etag = item.findtext("d:propstat/d:prop/d:getetag", default="", namespaces=ns)
        blob = item.findtext("d:propstat/d:prop/c:calendar-data", default="", namespaces=ns)
        out.append((href, etag, blob.encode()))
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def radicale(folder: Path, *, port: int | None = None) -> Iterator[str]:
    """A Radicale server on 127.0.0.1 with one user (htpasswd, plain), storage in ``folder``; ``port`` lets a
    fault trial start it again where a running daemon expects it.

    ``--auth-delay 0``: the caldav client's first request of a session goes without credentials, and Radicale
    would otherwise hold every such 401 for about a second (a brute-force brake), a third of a small pass."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users").write_text(f"{USER}:{PASSWORD}\n")
    port = port or _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(folder / "collections"), "--auth-type", "htpasswd",
         "--auth-htpasswd-filename", str(folder / "users"), "--auth-htpasswd-encryption", "plain",
         "--auth-delay", "0", "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                urllib.request.urlopen(f"{base}/.web/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("Radicale did not start") from None
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
