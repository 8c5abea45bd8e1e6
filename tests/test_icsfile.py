"""The .ics reminder sink's file handling: batches, the listing cache, and the file policy of
``backends/icsfile.py`` (symlinks, special and read-only files, stale temp files, the lock shared by two
writers)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from followup_sync import config as config_mod
from followup_sync.backends import ics, icsfile, icslisting, open_reminders
from followup_sync.backends.base import Write, marker_uid
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.backends.icstext import Document, parse_document
from followup_sync.backends.memory import MemorySource
from followup_sync.errors import BackendError, ConfigError, PreconditionFailed
from followup_sync.sync import run_once
from tests.contract import make_reminder
from tests.test_sync import ME

FOREIGN = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Someone//App//EN\r\n"
    "BEGIN:VEVENT\r\nUID:dentist-1@example.com\r\nDTSTAMP:20261101T000000Z\r\n"
    "DTSTART:20261203T090000Z\r\nDTEND:20261203T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def keys_in(path: Path) -> list[str]:
    """Our keys in the file, as icalendar reads it (a key twice is a duplicate)."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    return sorted(
        str(e["UID"]).removesuffix("@followup-sync") for e in cal.walk("VEVENT") if "@followup" in e["UID"]
    )


@pytest.fixture
def replaces(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every replacement of a reminders file from now on."""
    done: list[Path] = []
    real = icsfile.replace

    def counting(target: Path, data: bytes) -> icsfile.Stamp:
        done.append(target)
        return real(target, data)

    monkeypatch.setattr(icsfile, "replace", counting)
    return done


# --- batches ---------------------------------------------------------------------------------------------


def test_a_batch_is_one_file_replacement_with_one_result_per_write(tmp_path: Path, replaces: list[Path]) -> None:
    path = tmp_path / "reminders.ics"
    path.write_text(FOREIGN, newline="")
    sink = IcsReminderSink(path)
    first = sink.write_batch([Write("create", k, reminder=make_reminder(k)) for k in ("k1", "k2", "k3")])
    assert len(replaces) == 1
    items = {i.key: i for i in sink.list()}
    assert [r.etag for r in first if not isinstance(r, BackendError) and r is not None] == [
        items[k].etag for k in ("k1", "k2", "k3")
    ]
    moved = make_reminder("k1", subject="Moved")
    results = sink.write_batch(
        [
            Write("update", "k1", reminder=moved, href=marker_uid("k1"), etag=items["k1"].etag),
            Write("update", "k2", reminder=make_reminder("k2"), href=marker_uid("k2"), etag="stale"),
            Write("delete", "k3", href=marker_uid("k3"), etag=items["k3"].etag),
            Write("create", "k1", reminder=make_reminder("k1")),
        ]
    )
    assert len(replaces) == 2
    assert [type(r).__name__ for r in results] == [
        "RemoteItem",
        "PreconditionFailed",
        "NoneType",
        "PreconditionFailed",
    ]
    assert keys_in(path) == ["k1", "k2"]
    assert "Dentist" in path.read_text() and "SUMMARY:Moved" in path.read_text()
    assert {i.key: i.etag for i in sink.list()}["k2"] == items["k2"].etag  # the stale update changed nothing


def test_a_batch_where_every_write_fails_does_not_rewrite_the_file(tmp_path: Path, replaces: list[Path]) -> None:
    sink = IcsReminderSink(tmp_path / "reminders.ics")
    sink.create(make_reminder("k1"))
    before = (tmp_path / "reminders.ics").read_bytes()
    [result] = sink.write_batch([Write("create", "k1", reminder=make_reminder("k1"))])
    assert isinstance(result, PreconditionFailed)
    assert len(replaces) == 1 and (tmp_path / "reminders.ics").read_bytes() == before


def test_a_create_before_an_update_in_one_batch_does_not_misplace_it(tmp_path: Path) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path)
    sink.create(make_reminder("k1", timezone="UTC"))
    [item] = sink.list()
    results = sink.write_batch(
        [
            Write("create", "k0", reminder=make_reminder("k0")),  # sorts before k1
            Write(
                "update",
                "k1",
                reminder=make_reminder("k1", timezone="UTC", subject="B"),
                href=item.href,
                etag=item.etag,
            ),
        ]
    )
    assert not any(isinstance(r, BackendError) for r in results)
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    assert {str(e["UID"]): str(e["SUMMARY"]) for e in cal.walk("VEVENT")}[marker_uid("k1")] == "B"
    assert cal.walk("VTIMEZONE") == [] and keys_in(path) == ["k0", "k1"]  # UTC instants: no zone blocks


# --- listing ---------------------------------------------------------------------------------------------


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every parse of a reminders file's text from now on (its size)."""
    done: list[int] = []
    real = ics.parse_document

    def counting(data: bytes) -> Document:
        done.append(len(data))
        return real(data)

    monkeypatch.setattr(ics, "parse_document", counting)
    return done


def test_listing_an_unchanged_file_parses_nothing_and_a_changed_one_is_parsed_again(
    tmp_path: Path, parses: list[int]
) -> None:
    path = tmp_path / "reminders.ics"
    path.write_text(FOREIGN, newline="")
    first = list(IcsReminderSink(path).list())
    assert len(parses) == 1
    # a new sink, as the daemon opens one every pass: the process still holds the parsed file
    assert list(IcsReminderSink(path).list()) == first
    assert len(parses) == 1
    # another program rewrites it in place right away: same size, same inode, maybe the same mtime tick
    path.write_text(FOREIGN.replace("20261203T090000Z", "20261203T100000Z"), newline="")
    assert list(IcsReminderSink(path).list()) == []  # not ours either way, but parsed again
    assert len(parses) == 2


def test_an_in_place_edit_within_one_clock_tick_is_not_missed(tmp_path: Path) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path)
    sink.create(make_reminder("k1"))
    [before] = sink.list()
    text = path.read_bytes()
    path.write_bytes(text.replace(b"DTSTART:20261201T080000Z", b"DTSTART:20261201T090000Z"))  # same size
    [after] = IcsReminderSink(path).list()
    assert after.etag != before.etag and after.start == before.start + timedelta(hours=1)


def test_a_sink_lists_what_it_just_wrote_without_parsing_the_file(tmp_path: Path, parses: list[int]) -> None:
    sink = IcsReminderSink(tmp_path / "reminders.ics")
    sink.create(make_reminder("k1"))
    sink.create(make_reminder("k2"))
    assert sorted(i.key for i in sink.list()) == ["k1", "k2"]
    assert parses == []  # the file did not exist; after that, what we wrote is what we know


EDITED = [
    # as we write it
    None,
    # a calendar app moved it and put it in the rep's zone, folding long lines, escaping commas
    (
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART;TZID=Europe/Berlin:20261202T140000\r\nDTEND;TZID=Europe/Berlin:20261202T141500\r\n"
        "SUMMARY;LANGUAGE=de:Rückruf\\, Jane Doe \\; Acme — a long title that an app folds at seventy-f\r\n"
        " ive octets like this\r\nDESCRIPTION:line one\\nline two\r\n"
        "X-FOLLOWUP-SYNC-HASH:abc\r\nX-FOLLOWUP-SYNC-TEXT:def\r\n"
        "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:not this one\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n"
        "END:VEVENT\r\n"
    ),
    # made an all-day event, our properties dropped
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;VALUE=DATE:20261203\r\nSUMMARY:Call\r\nEND:VEVENT\r\n",
    # floating time, lower-case names
    "BEGIN:VEVENT\r\nuid:{uid}\r\ndtstart:20261203T090000\r\nsummary:Call\r\nEND:VEVENT\r\n",
    # no start at all, and a broken one
    "BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Call\r\nEND:VEVENT\r\n",
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:tomorrow\r\nSUMMARY:Call\r\nEND:VEVENT\r\n",
]


@pytest.mark.parametrize("edited", EDITED)
def test_the_quick_listing_reads_what_icalendar_reads(tmp_path: Path, edited: str | None) -> None:
    path = tmp_path / "reminders.ics"
    IcsReminderSink(path).create(make_reminder("k1", subject="Rückruf, Jane; Doe", body="a\nb, c\\d"))
    if edited is not None:
        doc = parse_document(path.read_bytes())
        [block] = [b for b in doc.blocks if b.name == "VEVENT"]
        block.lines = [line for line in edited.format(uid=marker_uid("k1")).split("\r\n") if line]
        path.write_bytes(doc.render())
    [block] = [b for b in parse_document(path.read_bytes()).blocks if b.name == "VEVENT"]
    assert icslisting.listed(block) == icslisting.listed_fully(block)
    [item] = IcsReminderSink(path).list()
    assert (item.start, item.content_hash, item.text_hash) == (
        icslisting.listed_fully(block)[0],
        icslisting.listed_fully(block)[1].get("content_hash"),
        icslisting.listed_fully(block)[1].get("text_hash"),
    )


# --- the file policy -------------------------------------------------------------------------------------


def _config(tmp_path: Path, reminders: str) -> config_mod.Config:
    return config_mod.parse(
        {
            "identity": {"addresses": ["rep@ourco.example"], "timezone": "Europe/Berlin"},
            "mail": {"backend": "none"},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": reminders},
            "state": {"path": str(tmp_path / "state.db")},
        }
    )


def test_a_symlinked_file_is_written_through_to_its_target(tmp_path: Path) -> None:
    synced = tmp_path / "Dropbox" / "calendars"
    synced.mkdir(parents=True)
    target = synced / "followups.ics"
    target.write_text(FOREIGN, newline="")
    target.chmod(0o644)  # the rep lets a calendar app (another user) read it
    link = tmp_path / "reminders.ics"
    link.symlink_to(target)
    sink = open_reminders(_config(tmp_path, str(link)))
    sink.create(make_reminder("k1"))
    item = sink.update(marker_uid("k1"), next(iter(sink.list())).etag, make_reminder("k1", subject="B"))
    assert link.is_symlink() and link.resolve() == target
    assert keys_in(target) == ["k1"] and "Dentist" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [i.etag for i in IcsReminderSink(link).list()] == [item.etag]
    assert sorted(p.name for p in synced.iterdir()) == [".followups.ics.lock", "followups.ics"]


def test_a_dangling_symlink_is_refused_and_its_target_not_created(tmp_path: Path) -> None:
    link = tmp_path / "reminders.ics"
    link.symlink_to(tmp_path / "unmounted" / "followups.ics")
    with pytest.raises(ConfigError, match=r"symbolic link to .*does not exist"):
        open_reminders(_config(tmp_path, str(link)))
    sink = IcsReminderSink(link)  # the link broke after the daemon started
    with pytest.raises(BackendError, match="does not create the target of a link"):
        sink.create(make_reminder("k1"))
    assert not (tmp_path / "unmounted").exists()


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_a_special_file_is_refused(tmp_path: Path, kind: str) -> None:
    if kind == "device":
        path = Path("/dev/null")
    elif kind == "fifo":
        path = tmp_path / "reminders.ics"
        os.mkfifo(path)
    else:
        path = tmp_path / "reminders.ics"
        path.mkdir()
    with pytest.raises(ConfigError, match=r"\[reminders\] path: .*(not a regular file|is a folder)"):
        open_reminders(_config(tmp_path, str(path)))
    sink = IcsReminderSink(path)
    with pytest.raises(BackendError, match=r"not a regular file|is a folder"):
        list(sink.list())  # a FIFO would block a plain open() for ever
    with pytest.raises(BackendError, match=r"not a regular file|is a folder"):
        sink.create(make_reminder("k1"))
    if kind == "device":
        assert stat.S_ISCHR(path.stat().st_mode)


def test_a_symlink_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "reminders.ics"
    link.symlink_to("/dev/null")
    with pytest.raises(ConfigError, match="not a regular file"):
        open_reminders(_config(tmp_path, str(link)))
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_a_read_only_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path)
    sink.create(make_reminder("k1"))
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(BackendError, match=r"read-only \(mode 0444\).*chmod u\+w"):
        sink.create(make_reminder("k2"))
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [i.key for i in sink.list()] == ["k1"]  # reading it is fine


def test_a_rewrite_keeps_the_mode_of_an_existing_file_and_a_new_file_is_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared.ics"
    shared.write_text(FOREIGN, newline="")
    shared.chmod(0o640)
    IcsReminderSink(shared).create(make_reminder("k1"))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    new = tmp_path / "new.ics"
    IcsReminderSink(new).create(make_reminder("k1"))
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


def test_temp_files_are_private_and_a_stale_one_of_ours_is_removed_at_the_next_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reminders.ics"
    sink = IcsReminderSink(path)
    sink.create(make_reminder("k1"))
    path.chmod(0o644)
    modes: list[int] = []
    real_fsync = os.fsync

    def watching(fd: int) -> None:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            modes.append(stat.S_IMODE(st.st_mode))
        real_fsync(fd)

    monkeypatch.setattr(icsfile.os, "fsync", watching)
    sink.create(make_reminder("k2"))
    assert modes == [0o600]  # the copy holding customers' names is private while it is written
    monkeypatch.undo()
    # what a write killed between writing the temp file and renaming it leaves behind
    ours = tmp_path / ".reminders.ics.followup-sync-k1l2l3d_.tmp"
    older = tmp_path / ".reminders.ics.ab3_x9zq.tmp"  # the name earlier versions used
    for stale in (ours, older):
        stale.write_text(FOREIGN)
    others = [tmp_path / ".reminders.ics.swp", tmp_path / ".other.ics.followup-sync-x.tmp", tmp_path / "x.tmp"]
    for other in others:
        other.write_text("not ours")
    list(IcsReminderSink(path).list())  # the next pass, even one with nothing to write
    assert not ours.exists() and not older.exists()
    assert all(other.exists() for other in others)


# --- two writers on one file (two configs sharing a reminders .ics) ---------------------------------------

_WRITER = """
import sys
from pathlib import Path
from followup_sync.backends.ics import IcsReminderSink
from tests.contract import make_reminder

path, prefix, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(count):
    IcsReminderSink(path).create(make_reminder(f"{prefix}{n:03d}"))
"""


def test_two_processes_writing_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.ics"
    count = 60
    root = Path(__file__).resolve().parents[1]
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), prefix, str(count)], cwd=root)
        for prefix in ("a", "b")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert keys_in(path) == sorted(f"{p}{n:03d}" for p in "ab" for n in range(count))


def test_a_writer_waits_for_the_lock_and_then_sees_the_other_writers_items(tmp_path: Path) -> None:
    path = tmp_path / "shared.ics"
    first = IcsReminderSink(path)
    first.create(make_reminder("a1"))
    second = IcsReminderSink(path)
    list(second.list())  # second has the file cached as it was
    with icsfile.locked(path), pytest.raises(icsfile.FileBusy), icsfile.locked(path, timeout=0.2):
        pass
    first.create(make_reminder("a2"))
    second.create(make_reminder("b1"))  # reads the file again under the lock, so a2 survives
    assert keys_in(path) == ["a1", "a2", "b1"]


# --- a writer without the lock (another computer through a sync service, an older followup-sync) ---------


def _world(tmp_path: Path) -> tuple[config_mod.Config, MemorySource]:
    from tests.test_sync import PROMISES, T0, sent

    config = config_mod.parse(
        {
            "identity": {"addresses": [ME], "timezone": "America/New_York"},
            "mail": {"backend": "none"},
            "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp_path / "reminders.ics")},
            "state": {"path": str(tmp_path / "state.db")},
        }
    )
    source = MemorySource([sent(i, to, text, T0 - timedelta(hours=i), subj) for i, (to, text, subj) in
                           enumerate(PROMISES[:2])])  # fmt: skip
    return config, source


def _pass(config: config_mod.Config, source: MemorySource, minutes: int) -> list[tuple[str, str]]:
    from tests.test_sync import T0

    result = run_once(config, now=T0 + timedelta(minutes=minutes), mail=source, meetings=source)
    return sorted((a.op, a.key) for a in result.actions)


def test_reminders_lost_to_a_writer_from_an_older_copy_are_written_again_not_dismissed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_sync import PROMISES, T0, sent

    config, source = _world(tmp_path)
    path = tmp_path / "reminders.ics"
    assert [op for op, _k in _pass(config, source, 1)] == ["create", "create"]
    stale = path.read_bytes()  # what another computer still has
    to, text, subject = PROMISES[2]
    source.message_list.append(sent(2, to, text, T0 - timedelta(minutes=30), subject))
    [(op, third)] = [a for a in _pass(config, source, 2) if a[0] != "keep"]
    assert op == "create"
    # the other computer writes its own change into its old copy, and the sync service puts it here
    doc = parse_document(stale)
    doc.head, _ = icsfile.with_new_write(doc.head)
    path.write_bytes(doc.render())
    caplog.set_level("WARNING", logger="followup_sync")
    assert ("create", third) in _pass(config, source, 3)
    assert "written over from a copy older than followup-sync's last write" in caplog.text
    assert third in keys_in(path)
    assert [op for op, _k in _pass(config, source, 4)] == ["keep"] * 3


@pytest.mark.parametrize("app_keeps_our_header", [True, False])
def test_a_reminder_the_user_deletes_is_still_dismissed(tmp_path: Path, app_keeps_our_header: bool) -> None:
    config, source = _world(tmp_path)
    path = tmp_path / "reminders.ics"
    _pass(config, source, 1)
    doc = parse_document(path.read_bytes())
    gone = next(b for b in doc.blocks if b.name == "VEVENT")
    doc.blocks.remove(gone)  # deleted in the calendar app
    if not app_keeps_our_header:
        doc.head = [h for h in doc.head if not h.startswith(icsfile.WRITES_PROPERTY)]
    path.write_bytes(doc.render())
    key = (gone.uid or "").removesuffix("@followup-sync")
    assert ("dismiss", key) in _pass(config, source, 2)
    assert ("create", key) not in _pass(config, source, 3)
