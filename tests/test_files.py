"""Maildir++, mbox and .eml sources: the mail-source contract plus each format's own rules."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from followup_sync import config as config_mod
from followup_sync.backends import mime, open_mail
from followup_sync.backends.files import EmlSource, MaildirSource, MboxSource, scan_mbox
from followup_sync.errors import ConfigError, SourceMissing
from tests.contract import MailSourceContract, raw_message

ALL_TIME = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def write_maildir(root: Path, folders: dict[str, Sequence[bytes]]) -> None:
    """``folders`` maps "" (the root, INBOX) or a Maildir++ folder name (".Sent") to messages.

    File names start with the delivery time, as Maildir names do: the message's Date (1 March 2026 if it has
    none, or none that can be read) plus a minute."""
    for folder, raws in folders.items():
        base = root / folder if folder else root
        for sub in ("cur", "new", "tmp"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        for i, raw in enumerate(raws):
            sub = "cur" if i % 2 else "new"
            sent = mime.quick_date(raw) or datetime(2026, 3, 1, tzinfo=UTC)
            name = f"{int(sent.timestamp()) + 60}.M{i}P1.host" + (":2,S" if sub == "cur" else "")
            (base / sub / name).write_bytes(raw)


def mbox_bytes(raws: Sequence[bytes]) -> bytes:
    out = b""
    for raw in raws:
        body = re.sub(rb"(?m)^(>*From )", rb">\1", raw.replace(b"\r\n", b"\n"))
        out += b"From sender@example.com Tue Dec  1 10:00:00 2026\n" + body.rstrip(b"\n") + b"\n\n"
    return out


class TestMaildirContract(MailSourceContract):
    def make_source(self, tmp_path: Path, raws: Sequence[bytes]) -> MaildirSource:
        write_maildir(tmp_path / "Mail", {"": raws})
        return MaildirSource(tmp_path / "Mail")


class TestMboxContract(MailSourceContract):
    def make_source(self, tmp_path: Path, raws: Sequence[bytes]) -> MboxSource:
        (tmp_path / "all.mbox").write_bytes(mbox_bytes(raws))
        return MboxSource([tmp_path / "all.mbox"])


class TestEmlContract(MailSourceContract):
    def make_source(self, tmp_path: Path, raws: Sequence[bytes]) -> EmlSource:
        (tmp_path / "eml").mkdir()
        for i, raw in enumerate(raws):
            (tmp_path / "eml" / f"{i}.eml").write_bytes(raw)
        return EmlSource(tmp_path / "eml")


def test_maildir_reads_every_folder(tmp_path: Path) -> None:
    root = tmp_path / "Mail"
    write_maildir(
        root,
        {
            "": [raw_message(msg_id="<in1@x.com>"), raw_message(msg_id="<in2@x.com>")],
            ".Sent": [raw_message(msg_id="<sent1@x.com>", sender="rep@ourco.example")],
            ".Customers.Acme": [raw_message(msg_id="<acme@x.com>")],
            ".NotAMaildir": [],
        },
    )
    (root / ".NotAMaildir" / "cur").rmdir()
    (root / ".NotAMaildir" / "new").rmdir()
    (root / "tmp" / "partial").write_bytes(b"half a message")  # tmp/ is never read
    (root / "cur" / ".hidden").write_bytes(b"not mail")
    source = MaildirSource(root)
    found = {m.id: m for m in source.messages(*ALL_TIME)}
    assert {i: m.folder for i, m in found.items()} == {
        "in1@x.com": "INBOX",
        "in2@x.com": "INBOX",
        "sent1@x.com": "Sent",
        "acme@x.com": "Customers/Acme",
    }
    link = found["sent1@x.com"].link
    assert link is not None and link.startswith("file:///") and "/.Sent/new/" in link
    assert source.skipped == 0


def test_maildir_window_uses_the_date_header_not_mtime(tmp_path: Path) -> None:
    import os

    root = tmp_path / "Mail"
    write_maildir(root, {"": [raw_message(msg_id="<old@x.com>", date="Thu, 01 Jan 2015 10:00:00 +0000")]})
    for file in root.rglob("*.host*"):
        os.utime(file, (datetime(2026, 12, 1, tzinfo=UTC).timestamp(),) * 2)  # restored from backup today
    window = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert list(MaildirSource(root).messages(*window)) == []
    assert [m.id for m in MaildirSource(root).messages(*ALL_TIME)] == ["old@x.com"]


def test_mbox_splitting_and_from_quoting(tmp_path: Path) -> None:
    body = "First line\nFrom the desk of Jane: a line that starts with From\n>From already quoted\n"
    raws = [raw_message(msg_id=f"<m{i}@x.com>", body=body) for i in range(3)]
    path = tmp_path / "Sent Items.mbox"
    path.write_bytes(mbox_bytes(raws))
    found = list(MboxSource([path]).messages(*ALL_TIME))
    assert [m.id for m in found] == ["m0@x.com", "m1@x.com", "m2@x.com"]
    assert found[0].body.replace("\r\n", "\n").rstrip("\n") == body.rstrip("\n")
    assert found[1].folder == "Sent Items"
    assert found[2].link == path.absolute().as_uri() + "#2"


def _split(data: bytes, **kwargs: int) -> list[bytes | None]:
    import io

    return [e.raw for e in scan_mbox(io.BytesIO(data), **kwargs)]


def test_scan_mbox_edge_cases() -> None:
    assert _split(b"") == []
    assert _split(b"garbage before the first From line\n") == []
    head = b"From a Tue Dec  1 10:00:00 2026\nSubject: x\n\nbody\n"
    # "From " only separates after a blank line, else it is part of the body.
    assert _split(head + b"From inside the body\n") == [b"Subject: x\n\nbody\nFrom inside the body\n"]
    assert _split(head + b"\nFrom b\nSubject: y\n") == [b"Subject: x\n\nbody\n", b"Subject: y\n"]
    assert _split(b"junk\n\n" + head + b"\n") == [b"Subject: x\n\nbody\n"]
    crlf = head.replace(b"\n", b"\r\n")
    assert _split(crlf + b"\r\n" + crlf + b"\r\n") == [crlf.split(b"\r\n", 1)[1]] * 2


def test_scan_mbox_across_chunks_and_over_the_limit() -> None:
    """Chunk edges anywhere (here 7 bytes) change nothing; a message over the limit is passed over as None."""
    messages = [b"Subject: %d\n\n" % i + b"a line of text\n" * (i * 40) for i in range(12)]
    data = b"".join(b"From x Tue Dec  1 10:00:00 2026\n" + m + b"\n" for m in messages)
    assert _split(data, chunk=7) == messages
    assert _split(data, chunk=4096) == messages
    limited = _split(data, chunk=16, limit=2000)
    assert len(limited) == 12
    for message, got in zip(messages, limited, strict=True):
        if len(message) <= 2000:
            assert got == message
        elif len(message) > 2000 + 1024 + 16:
            assert got is None


def test_mbox_path_forms(tmp_path: Path) -> None:
    (tmp_path / "box").mkdir()
    (tmp_path / "box" / "a.mbox").write_bytes(mbox_bytes([raw_message(msg_id="<a@x.com>")]))
    (tmp_path / "box" / "b.MBOX").write_bytes(mbox_bytes([raw_message(msg_id="<b@x.com>")]))
    (tmp_path / "box" / "notes.txt").write_text("not mail")
    (tmp_path / "c").write_bytes(mbox_bytes([raw_message(msg_id="<c@x.com>")]))
    for value, expected in [("box", {"a@x.com", "b@x.com"}), (["box/a.mbox", "c"], {"a@x.com", "c@x.com"})]:
        source = open_mail(_config(tmp_path, "mbox", {"path": value}))
        assert {m.id for m in source.messages(*ALL_TIME)} == expected


def test_eml_recursive_with_folders(tmp_path: Path) -> None:
    (tmp_path / "eml" / "2026" / "dec").mkdir(parents=True)
    (tmp_path / "eml" / "top.eml").write_bytes(raw_message(msg_id="<top@x.com>"))
    (tmp_path / "eml" / "2026" / "dec" / "deep.EML").write_bytes(raw_message(msg_id="<deep@x.com>"))
    (tmp_path / "eml" / "2026" / "readme.txt").write_text("not mail")
    found = {m.id: m.folder for m in EmlSource(tmp_path / "eml").messages(*ALL_TIME)}
    assert found == {"top@x.com": "", "deep@x.com": "2026/dec"}


def test_oversized_file_is_skipped_without_reading(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from followup_sync.backends import mime

    (tmp_path / "eml").mkdir()
    big = tmp_path / "eml" / "big.eml"
    with big.open("wb") as handle:
        handle.truncate(mime.MAX_MESSAGE_BYTES + 1)  # sparse: costs no disk
    (tmp_path / "eml" / "ok.eml").write_bytes(raw_message())
    with caplog.at_level(logging.WARNING):
        found = list(EmlSource(tmp_path / "eml").messages(*ALL_TIME))
    assert len(found) == 1
    assert "big.eml" in caplog.text and "size limit" in caplog.text


def _config(tmp_path: Path, backend: str, options: dict[str, object]) -> config_mod.Config:
    return config_mod.parse(
        {
            "identity": {"addresses": ["rep@ourco.example"], "timezone": "Europe/Berlin"},
            "mail": {"backend": backend, **options},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": "r.ics"},
        },
        path=tmp_path / "config.toml",
    )


def test_from_config_resolves_relative_paths(tmp_path: Path) -> None:
    write_maildir(tmp_path / "Mail", {".Sent": [raw_message()]})  # a tree with only sub-folders is fine
    source = open_mail(_config(tmp_path, "maildir", {"path": "Mail"}))
    assert isinstance(source, MaildirSource)
    assert source.path == tmp_path / "Mail"


@pytest.mark.parametrize(
    ("backend", "options", "message"),
    [
        ("maildir", {}, r"\[mail\] path: required for backend 'maildir'"),
        ("maildir", {"path": "Mail", "folders": ["x"]}, r"\[mail\] folders: unknown key; allowed: path"),
        ("maildir", {"path": "plain"}, r"\[mail\] path: .*plain is not a Maildir"),
        ("eml", {"path": "plain/file.txt"}, r"\[mail\] path: .*is not a folder of \.eml files"),
        ("mbox", {"path": 42}, r"\[mail\] path must be a non-empty string"),
        ("eml", {}, r"\[mail\] path: required"),
    ],
)
def test_config_errors(tmp_path: Path, backend: str, options: dict[str, object], message: str) -> None:
    write_maildir(tmp_path / "Mail", {"": []})
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "file.txt").write_text("x")
    with pytest.raises(ConfigError) as info:
        open_mail(_config(tmp_path, backend, options))
    assert re.search(message, str(info.value)), str(info.value)


@pytest.mark.parametrize(("backend", "path"), [("maildir", "nowhere"), ("mbox", "gone.mbox"), ("eml", "away")])
def test_a_missing_folder_is_not_a_config_error_but_a_source_missing_now(
    tmp_path: Path, backend: str, path: str
) -> None:
    """An unmounted drive or a synced folder still catching up: the same config works once it is back."""
    with pytest.raises(SourceMissing) as info:
        open_mail(_config(tmp_path, backend, {"path": path}))
    assert not isinstance(info.value, ConfigError)
    assert str(info.value) == f"{backend}: [mail] folder not found: {tmp_path / path}"


def test_a_bad_message_warns_once_per_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = b"Message-ID: <nodate@x.com>\r\nFrom: a@x.com\r\n\r\nbody\r\n"
    write_maildir(tmp_path / "Mail", {"": [bad, raw_message()]})
    source = MaildirSource(tmp_path / "Mail")
    with caplog.at_level(logging.DEBUG, logger="followup_sync.backends.files"):
        for _ in range(3):  # the daemon's passes re-read overlapping windows
            assert len(list(source.messages(*ALL_TIME))) == 1
            assert source.skipped == 1
    levels = [r.levelno for r in caplog.records if "nodate@x.com" in r.getMessage()]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG]


def test_a_copy_in_a_second_folder_is_read_once(tmp_path: Path) -> None:
    msg = raw_message(msg_id="<copied@x.com>")
    write_maildir(tmp_path / "Mail", {"": [msg], ".Archive": [msg]})
    found = list(MaildirSource(tmp_path / "Mail").messages(*ALL_TIME))
    assert [(m.id, m.folder) for m in found] == [("copied@x.com", "INBOX")]


# --- special files (issue 10, item 4) ----------------------------------------------------------------------

SPECIAL_FILES_SCRIPT = """
import json, logging, sys
from datetime import UTC, datetime
from pathlib import Path
from followup_sync.backends.files import EmlSource, MaildirSource, MboxSource
logging.basicConfig(level=logging.WARNING, format="%(message)s")
kind, path = sys.argv[1], Path(sys.argv[2])
source = {"maildir": MaildirSource, "eml": EmlSource}[kind](path) if kind != "mbox" else MboxSource([path])
window = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
print(json.dumps({"ids": sorted(m.id for m in source.messages(*window)), "skipped": source.skipped}))
"""


def _read_in_child(kind: str, path: Path) -> tuple[list[str], int, str]:
    """Run a source in a child process with a 1 GB address-space limit and a timeout, so a regression (a FIFO
    that blocks, /dev/zero read to the end) fails this test instead of hanging or exhausting the machine."""
    import json
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    try:
        done = subprocess.run(
            [sys.executable, "-c", SPECIAL_FILES_SCRIPT, kind, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=limit,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path} did not finish within 60 s")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    return result["ids"], result["skipped"], done.stderr


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs are POSIX")
def test_special_files_in_a_maildir_are_skipped_not_read(tmp_path: Path) -> None:
    import os
    import socket

    root = tmp_path / "Mail"
    write_maildir(root, {"": [raw_message(msg_id="<good@x.com>")]})
    os.mkfifo(root / "cur" / "1700000100.fifo.host:2,S")
    os.symlink("/dev/zero", root / "new" / "1700000101.zero.host")
    os.symlink("/dev/null", root / "new" / "1700000102.null.host")
    os.symlink(tmp_path, root / "new" / "1700000103.dirlink.host")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "cur" / "1700000104.sock.host:2,"))
        (tmp_path / "elsewhere.eml").write_bytes(raw_message(msg_id="<linked@x.com>"))
        os.symlink(tmp_path / "elsewhere.eml", root / "cur" / "1700000105.link.host:2,S")
        ids, skipped, log = _read_in_child("maildir", root)
    assert ids == ["good@x.com", "linked@x.com"]  # a link to a regular file is followed
    assert skipped == 5
    for name, kind in [
        ("fifo", "a FIFO"),
        ("zero", "a character device"),
        ("null", "a character device"),
        ("dirlink", "a folder"),
        ("sock", "a socket"),
    ]:
        assert re.search(rf"Skipping message file \S*\.{name}\.host\S*: not a regular file \({kind}\)", log), log


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs are POSIX")
def test_special_files_as_eml_and_mbox_are_skipped(tmp_path: Path) -> None:
    import os

    (tmp_path / "eml").mkdir()
    (tmp_path / "eml" / "good.eml").write_bytes(raw_message(msg_id="<good@x.com>"))
    os.mkfifo(tmp_path / "eml" / "pipe.eml")
    os.symlink("/dev/zero", tmp_path / "eml" / "zero.eml")
    ids, skipped, log = _read_in_child("eml", tmp_path / "eml")
    assert (ids, skipped) == (["good@x.com"], 2)
    assert "pipe.eml: not a regular file (a FIFO)" in log and "zero.eml: not a regular file (a character" in log

    os.mkfifo(tmp_path / "pipe.mbox")
    ids, skipped, log = _read_in_child("mbox", tmp_path / "pipe.mbox")
    assert (ids, skipped) == ([], 1)
    assert "pipe.mbox: not a regular file (a FIFO)" in log


def test_an_mbox_line_without_end_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """A 600 MB "line" (no line end) after a From line: skipped as too big in a child limited to 1 GB of
    address space; before, the whole line was read into memory at once."""
    path = tmp_path / "huge.mbox"
    first = mbox_bytes([raw_message(msg_id="<before@x.com>")])
    with path.open("wb") as handle:
        handle.write(first + b"From x Tue Dec  1 10:00:00 2026\nSubject: junk\n\n")
        handle.truncate(len(first) + 600 * 1024 * 1024)  # sparse zeros: no disk used, no line end
    ids, skipped, log = _read_in_child("mbox", path)
    assert (ids, skipped) == (["before@x.com"], 1)
    assert "huge.mbox#1: over the 50 MB size limit" in log


def test_odd_but_readable_files_are_read_not_skipped(tmp_path: Path) -> None:
    """Doubled CRs, a byte order mark and a Windows-1252 body under charset=idna: read, none skipped."""
    crcrlf = raw_message(msg_id="<crcrlf@x.com>").replace(b"\r\n", b"\r\r\n")
    bom = b"\xef\xbb\xbf" + raw_message(msg_id="<bom@x.com>")
    idna = raw_message(msg_id="<idna@x.com>", body="Gr\u00fc\u00dfe").replace(b"charset=utf-8", b"charset=idna")
    write_maildir(tmp_path / "Mail", {"": [crcrlf, bom, idna]})
    source = MaildirSource(tmp_path / "Mail")
    found = {m.id: m for m in source.messages(*ALL_TIME)}
    assert set(found) == {"crcrlf@x.com", "bom@x.com", "idna@x.com"}
    assert found["idna@x.com"].body.startswith("Grüße")
    assert source.skipped == 0
