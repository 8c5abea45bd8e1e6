"""Sources that know what they have read (issue 11): Maildir, mbox and .eml passes read only new or changed mail.

Every pass here is a real pass of the source against a real State (in memory), committed as the sync pass
commits it; the counters (``items_read``, ``parsed``, ``folders_listed``) are the source's own.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from followup_sync.backends import files
from followup_sync.backends.base import Incremental
from followup_sync.backends.files import EmlSource, MaildirSource, MboxSource
from followup_sync.state import State
from tests.contract import raw_message
from tests.test_files import mbox_bytes

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=30), NOW)
PAST = (NOW - timedelta(days=40)).timestamp()  # an mtime that is not "just now"
_TICK = iter(range(1, 1_000_000))


def past() -> float:
    """A time in the past, later at every call: a folder or file changed since the last look has a new mtime."""
    return PAST + next(_TICK)


def msg(n: int, *, day: int = 10, **kwargs: str) -> bytes:
    return raw_message(msg_id=f"<m{n}@x.com>", date=f"Tue, {day:02d} Mar 2026 10:00:00 +0000", **kwargs)


def deliver(folder: Path, n: int, raw: bytes, *, sub: str = "cur", when: float | None = None) -> Path:
    """A Maildir file named as a delivery agent names it: ``time.MusecPpid.host`` (with flags in cur/)."""
    for part in ("cur", "new", "tmp"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    sent = files.mime.quick_date(raw)
    stamp = int(when if when is not None else (sent.timestamp() if sent else NOW.timestamp()) + 30)
    path = folder / sub / (f"{stamp}.M{n}P99.host" + (":2,S" if sub == "cur" else ""))
    path.write_bytes(raw)
    return path


def settle_folders(root: Path) -> None:
    """Date every folder in the past, as a mailbox looks between deliveries (a just-changed folder is listed
    again whatever its mtime, see files.RACY_NS)."""
    when = past()
    for folder in [root, *root.rglob("*")]:
        if folder.is_dir():
            os.utime(folder, (when, when))


class Passes:
    """Runs a source's passes the way sync.run_once does: memory handed over, committed after reading."""

    def __init__(self, source: Incremental) -> None:
        self.source = source
        self.state = State.memory()

    def run(self, window: tuple[datetime, datetime] = WINDOW, *, commit: bool = True) -> list[str]:
        memory = self.state.source_memory(self.source.key)
        self.source.remember(memory)
        ids = sorted(m.id for m in self.source.messages(*window))  # type: ignore[attr-defined]
        if commit:
            with self.state.transaction():
                memory.commit()
        return ids


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "Mail"
    for n in range(5):
        deliver(root, n, msg(n))
    deliver(root / ".Sent", 10, msg(10, sender="rep@ourco.example"))
    settle_folders(root)
    return root


def test_sources_are_incremental() -> None:
    for source in (MaildirSource(Path("/m")), MboxSource([Path("/m.mbox")]), EmlSource(Path("/e"))):
        assert isinstance(source, Incremental)


def test_idle_maildir_pass_lists_and_opens_nothing(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    assert passes.run() == sorted(f"m{n}@x.com" for n in (0, 1, 2, 3, 4, 10))
    assert source.items_read == 6 and source.folders_listed == 4
    assert passes.run() == []
    assert (source.items_read, source.parsed, source.folders_listed) == (0, 0, 0)


def test_new_mail_is_read_alone(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    passes.run()
    deliver(maildir, 5, msg(5), sub="new")
    assert passes.run() == ["m5@x.com"]
    assert source.items_read == 1 and source.folders_listed == 1  # only INBOX/new changed


def test_flags_cur_new_moves_and_folder_moves_are_not_read_again(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    deliver(maildir, 7, msg(7), sub="new")
    settle_folders(maildir)
    passes.run()
    inbox = sorted((maildir / "cur").iterdir())
    inbox[0].rename(inbox[0].with_name(inbox[0].name.replace(":2,S", ":2,RS")))  # replied: new flags
    new = next((maildir / "new").iterdir())
    new.rename(maildir / "cur" / (new.name + ":2,S"))  # read in a mail client: new/ -> cur/
    (maildir / ".Archive" / "cur").mkdir(parents=True)
    (maildir / ".Archive" / "new").mkdir()
    inbox[1].rename(maildir / ".Archive" / "cur" / inbox[1].name)  # filed in another folder
    assert passes.run() == []
    assert source.items_read == 0
    assert source.folders_listed == 4  # INBOX cur and new, Archive's new cur and new: what changed


def test_a_replaced_file_is_read_again(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    passes.run()
    target = sorted((maildir / "cur").iterdir())[0]
    replacement = target.with_name(".tmp-edit")
    replacement.write_bytes(msg(0, subject="Edited"))
    replacement.replace(target)  # how an editor rewrites a file: a new file renamed over the old one
    assert passes.run() == ["m0@x.com"]
    assert source.items_read == 1


def test_a_pass_that_is_not_recorded_reads_the_same_mail_again(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    assert len(passes.run(commit=False)) == 6  # the pass died before recording what it read
    assert len(passes.run()) == 6
    assert passes.run() == []


def test_mail_dated_after_the_window_is_read_when_the_window_reaches_it(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    passes.run()
    deliver(maildir, 8, msg(8, day=22), when=NOW.timestamp())  # the sender's clock is two days ahead
    settle_folders(maildir)
    assert passes.run() == []
    assert passes.run() == []  # its folder is listed again at every pass until then
    assert source.folders_listed == 1
    later = (WINDOW[0] + timedelta(days=3), NOW + timedelta(days=3))
    assert passes.run(later) == ["m8@x.com"]
    assert passes.run(later) == []
    assert source.folders_listed == 0


def test_files_delivered_long_before_the_window_are_never_opened(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    old = (NOW - timedelta(days=400)).timestamp()
    for n in range(3):
        deliver(root, n, msg(n), when=old)  # delivered a year ago, whatever their Date says
    deliver(root, 9, msg(9))
    (root / "cur" / "no-timestamp-name:2,S").write_bytes(msg(20))  # unusual names are always read
    source = MaildirSource(root)
    assert Passes(source).run() == ["m20@x.com", "m9@x.com"]
    assert source.items_read == 2


def test_skipped_files_are_not_read_or_logged_again(maildir: Path, caplog: pytest.LogCaptureFixture) -> None:
    deliver(maildir, 30, b"Message-ID: <nodate@x.com>\r\nFrom: a@x.com\r\n\r\nbody\r\n")
    settle_folders(maildir)
    source = MaildirSource(maildir)
    passes = Passes(source)
    passes.run()
    assert source.skipped == 1
    deliver(maildir, 6, msg(6))
    assert passes.run() == ["m6@x.com"]
    assert (source.skipped, source.items_read) == (0, 1)
    assert caplog.text.count("nodate@x.com") == 1


def test_memory_from_another_reader_version_reads_everything_once(maildir: Path) -> None:
    source = MaildirSource(maildir)
    passes = Passes(source)
    passes.run()
    memory = passes.state.source_memory(source.key)
    memory.put("v", b"files-0")  # what an older reader left; a newer one reads its mail afresh once
    with passes.state.transaction():
        memory.commit()
    assert len(passes.run()) == 6
    assert passes.run() == []


def test_memory_stays_the_size_of_the_window(tmp_path: Path) -> None:
    """Lines of files that age out of the window are dropped: the memory does not grow with the mailbox."""
    root = tmp_path / "Mail"
    for n in range(6):
        deliver(root, n, msg(n, day=1 + n))
    settle_folders(root)
    source = MaildirSource(root)
    passes = Passes(source)
    passes.run((datetime(2026, 2, 20, tzinfo=UTC), NOW))
    assert _lines(passes) == 6
    deliver(root, 9, msg(9, day=19))
    passes.run((datetime(2026, 3, 13, tzinfo=UTC), NOW))  # 1-5 March are now more than 7 days before
    assert _lines(passes) == 2


def _lines(passes: Passes) -> int:
    import zlib

    memory = passes.state.source_memory(passes.source.key)
    return sum(len(zlib.decompress(v).split(b"\0")) for k, v in memory.items("b:"))


# --- mbox ------------------------------------------------------------------------------------------------


def write_mbox(path: Path, raws: Sequence[bytes], *, append: bool = False) -> None:
    with path.open("ab" if append else "wb") as handle:
        handle.write(mbox_bytes(raws))
    when = past()
    os.utime(path, (when, when))


def test_mbox_reads_only_what_was_appended(tmp_path: Path) -> None:
    path = tmp_path / "Inbox.mbox"
    write_mbox(path, [msg(n) for n in range(4)])
    source = MboxSource([path])
    passes = Passes(source)
    assert len(passes.run()) == 4
    assert passes.run() == []
    assert source.items_read == 0  # unchanged: not even opened past its stat
    write_mbox(path, [msg(4), msg(5)], append=True)
    assert passes.run() == ["m4@x.com", "m5@x.com"]
    assert source.items_read == 2
    found = list(MboxSource([path]).messages(*WINDOW))
    assert [m.link.rsplit("#", 1)[1] for m in found if m.link] == ["0", "1", "2", "3", "4", "5"]


def test_a_rewritten_mbox_is_read_safely_without_parsing_old_mail_again(tmp_path: Path) -> None:
    path = tmp_path / "Inbox.mbox"
    write_mbox(path, [msg(n) for n in range(4)])
    source = MboxSource([path])
    passes = Passes(source)
    passes.run()
    write_mbox(path, [msg(0), msg(2), msg(3), msg(7)])  # a client deleted m1 and rewrote the file
    assert passes.run() == ["m7@x.com"]
    assert source.parsed == 1
    write_mbox(path, [msg(2)])  # truncated
    assert passes.run() == []
    write_mbox(path, [msg(2), msg(8)], append=False)
    assert passes.run() == ["m8@x.com"]


def test_an_mbox_being_written_keeps_its_last_message_for_the_next_pass(tmp_path: Path) -> None:
    path = tmp_path / "Inbox.mbox"
    path.write_bytes(mbox_bytes([msg(0), msg(1)]))  # mtime: now, as while a delivery agent appends
    source = MboxSource([path])
    passes = Passes(source)
    assert passes.run() == ["m0@x.com"]
    when = past()
    os.utime(path, (when, when))
    assert passes.run() == ["m1@x.com"]
    assert passes.run() == []


# --- .eml ------------------------------------------------------------------------------------------------


def test_eml_reads_only_new_files(tmp_path: Path) -> None:
    (tmp_path / "eml" / "sub").mkdir(parents=True)
    (tmp_path / "eml" / "a.eml").write_bytes(msg(1))
    (tmp_path / "eml" / "sub" / "b.eml").write_bytes(msg(2))
    source = EmlSource(tmp_path / "eml")
    passes = Passes(source)
    assert passes.run() == ["m1@x.com", "m2@x.com"]
    assert passes.run() == [] and source.items_read == 0
    (tmp_path / "eml" / "sub" / "b.eml").rename(tmp_path / "eml" / "b.eml")  # moved: not read again
    (tmp_path / "eml" / "sub" / "c.eml").write_bytes(msg(3))
    assert passes.run() == ["m3@x.com"] and source.items_read == 1


# --- in the whole pass ------------------------------------------------------------------------------------

REP = "rep@ourco.example"


def _config(tmp_path: Path, mail: Path) -> object:
    from followup_sync import config as configmod

    return configmod.parse(
        {
            "identity": {"addresses": [REP], "timezone": "Europe/Berlin"},
            "mail": {"backend": "maildir", "path": str(mail)},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp_path / "r.ics")},
            "state": {"path": str(tmp_path / "state.db")},
        }
    )


def _memory_rows(tmp_path: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(tmp_path / "state.db") as db:
        return dict(db.execute("SELECT source, count(*) FROM source_memory GROUP BY source").fetchall())


def test_passes_read_only_new_mail_and_still_close_follow_ups(tmp_path: Path) -> None:
    from followup_sync.sync import run_once

    root = tmp_path / "Mail"
    promise = raw_message(
        msg_id="<p1@ourco.example>",
        date="Mon, 16 Mar 2026 09:00:00 +0000",
        sender=f"Rep <{REP}>",
        to="jane@customer.example",
        subject="Pricing",
        body="Hi Jane,\r\n\r\nCould you confirm the delivery address for the order?\r\n\r\nRep",
    )
    deliver(root / ".Sent", 1, promise)
    deliver(root, 2, msg(2))
    settle_folders(root)
    config = _config(tmp_path, root)
    first = run_once(config, now=NOW)  # type: ignore[arg-type]
    assert first.stats.messages_read == 2
    assert [a.op for a in first.actions] == ["create"]
    assert _memory_rows(tmp_path) == {f"maildir:{root}": 7}  # version, 4 folder records, 2 lines

    dry = run_once(config, now=NOW + timedelta(minutes=5), dry_run=True)  # type: ignore[arg-type]
    assert dry.stats.messages_read == 0
    idle = run_once(config, now=NOW + timedelta(minutes=5))  # type: ignore[arg-type]
    assert idle.stats.messages_read == 0
    assert [a.op for a in idle.actions] == ["keep"]

    reply = raw_message(
        msg_id="<r1@customer.example>",
        date="Fri, 20 Mar 2026 12:05:00 +0000",
        sender="Jane <jane@customer.example>",
        to=REP,
        subject="Re: Pricing",
        body="Thanks, got it.",
        extra="In-Reply-To: <p1@ourco.example>\r\n",
    )
    deliver(root, 3, reply, sub="new")
    later = run_once(config, now=NOW + timedelta(minutes=10))  # type: ignore[arg-type]
    assert later.stats.messages_read == 1
    assert [a.op for a in later.actions] == ["delete"]

    other = tmp_path / "Other"
    deliver(other, 4, msg(4))
    run_once(_config(tmp_path, other), now=NOW + timedelta(minutes=15))  # type: ignore[arg-type]
    assert list(_memory_rows(tmp_path)) == [f"maildir:{other}"]  # the old folder's memory is dropped


def test_new_mail_is_read_once_and_held_by_its_earliest_copy(tmp_path: Path) -> None:
    """The pass reads each new message as it arrives and holds only what later stages need, compressed in
    blocks: each id once (its earliest copy), its text reading without the body, its head, its people."""
    from followup_sync.backends import mime
    from followup_sync.model import Message
    from followup_sync.sync import _NewMail, _reader

    def parsed(n: int, day: int, body: str) -> Message:
        result = mime.parse_message(msg(n, day=day, body=body), folder=f"f{day}", link=f"file:///{n}/{day}")
        assert isinstance(result, Message)
        return result

    read = _reader(_config(tmp_path, tmp_path), message_budget=None)  # type: ignore[arg-type]
    new = _NewMail()
    new._readings.BLOCK = new._people.BLOCK = 600  # a block every few messages
    copies = [parsed(n, 10, f"text {n} " * 40) for n in range(20)]
    for message in copies:
        assert new.wants(message)
        new.add(read(message))
    assert not new.wants(parsed(3, 12, "a later copy"))  # not read: later than the one held
    earlier = parsed(5, 2, "an earlier copy")
    assert new.wants(earlier)
    new.add(read(earlier))  # replaces the one held
    assert len(new) == 20
    readings = {a.msg.id: a for a in new.readings()}
    assert list(readings) == [m.id for m in copies if m.id != "m5@x.com"] + ["m5@x.com"]  # as read
    assert readings["m3@x.com"].msg == replace(copies[3], body="")  # held without the body
    assert readings["m3@x.com"].text.startswith("text 3")  # its author text was read before
    assert readings["m5@x.com"].msg.folder == "f2"
    heads = new.heads()
    assert heads[0].id == "m5@x.com"  # oldest first
    assert heads[1].subject == "Renewal" and heads[1].recipients == ("rep@ourco.example",)
    metas = new.metas({h.id: f"t-{h.id}" for h in heads}, me=frozenset({REP}))
    assert [m.id for m in metas] == list(readings) and metas[-1].thread_key == "t-m5@x.com"
    assert metas[-1].sent_at == earlier.sent_at
