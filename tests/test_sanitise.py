"""Terminal escapes from mail never reach the terminal, the log or a reminder (issue 10, item 9).

A hostile subject, Message-ID and meeting title carry ``ESC[2J`` (clear the screen), OSC 52 (write the
clipboard), an 8-bit CSI and a right-to-left override; a real pass through the CLI prints its table and JSON,
logs to stderr and to the log file, and writes the .ics: none of them may contain a control character.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from followup_sync import logs
from followup_sync.cli import cli
from followup_sync.config import Schedule
from followup_sync.model import FollowUp
from followup_sync.sanitise import clean
from followup_sync.schedule import reminder_for

CLEAR = "\x1b[2J\x1b[H"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x07"  # OSC 52: put "rm -rf ~" into the clipboard
LINK = "\x1b]8;;https://evil.example/\x1b\\"
HOSTILE = f"{CLEAR}Quote{CLIPBOARD} \x9b31mfor\x1b[0m {LINK}Acme\u202egnp.exe\u202c"
# Every control a terminal acts on: C0 but tab/newline, DEL, C1, bidi embeddings/overrides/isolates.
BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("text", "one_line", "multiline"),
    [
        ("a\x1b[2Jb", "ab", "ab"),
        ("x\x1b]52;c;SGVsbG8=\x07y", "xy", "xy"),
        ("x\x1b]8;;http://e.example\x1b\\link\x1b]8;;\x1b\\ z", "xlink z", "xlink z"),
        ("a\x9b31mb\x9d0;title\x9cc", "abc", "abc"),
        ("file\u202egnp.exe\u202c", "filegnp.exe", "filegnp.exe"),
        ("l1\r\nl2\tz\x00\x7f\x85", "l1 l2 z", "l1\nl2\tz"),
        ("evidence \x1b]0;unterminated\nContacts: a@b", "evidence  Contacts: a@b", "evidence \nContacts: a@b"),
        ("reset\x1bc!", "reset!", "reset!"),
        ("Grüße, 日本語, emoji 🙂 and \u200fRTL mark", "Grüße, 日本語, emoji 🙂 and \u200fRTL mark", None),
    ],
)
def test_clean(text: str, one_line: str, multiline: str | None) -> None:
    assert clean(text) == one_line
    assert clean(text, multiline=True) == (multiline if multiline is not None else one_line)


@given(st.text())
def test_clean_leaves_no_control_and_is_idempotent(text: str) -> None:
    once = clean(text, multiline=True)
    assert not BAD.search(once) and "\r" not in once
    assert clean(once, multiline=True) == once
    assert "\n" not in clean(text) and "\t" not in clean(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_clean_keeps_ordinary_text(text: str) -> None:
    assert clean(text) == text


def test_clean_is_linear_on_long_runs_of_every_starter() -> None:
    """No backtracking: 200,000 of each sequence opener, unterminated (a cubic regex would never finish)."""
    for opener in ("\x1b[", "\x1b]", "\x1b", "\x9b", "\x9d", "\x1b[0;", "\x1b]8;;", "\x1bP", "\x1b[ "):
        assert BAD.search(clean(opener * 200_000 + "tail")) is None


def test_the_reminder_every_sink_writes_is_clean() -> None:
    f = FollowUp(
        key="k1",
        kind="awaiting_reply",
        origin_id=f"<id{CLIPBOARD}@evil.example>",
        contacts=(f"max{CLEAR}@kunde.example",),
        due=datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
        evidence=f"Could you confirm {HOSTILE}?",
        thread_subject=HOSTILE,
        link=f"https://mail.example/{CLEAR}x",
        thread_key="t1",
        created_at=datetime(2026, 3, 16, tzinfo=UTC),
    )
    rem = reminder_for(f, schedule=Schedule(), tz=ZoneInfo("Europe/Berlin"), now=datetime(2026, 3, 17, tzinfo=UTC))
    for text in (rem.subject, rem.body, rem.link or ""):
        assert not BAD.search(text), repr(text)
    assert "Quote for Acmegnp.exe" in rem.subject
    assert "Contacts: max@kunde.example" in rem.body


def write_config(tmp_path: Path) -> Path:
    (tmp_path / "mail").mkdir()
    (tmp_path / "meetings.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:demo-1@acme.example\r\nDTSTAMP:20260301T000000Z\r\n"
        "DTSTART:20260316T140000Z\r\nDTEND:20260316T150000Z\r\n"
        f"SUMMARY:Demo {CLEAR}with{CLIPBOARD} Acme\u202e\r\n"
        "ORGANIZER:mailto:dana@northwind.example\r\nATTENDEE:mailto:eve@acme.example\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    path = tmp_path / "config.toml"
    path.write_text(
        '[identity]\naddresses = ["dana@northwind.example"]\ntimezone = "Europe/Berlin"\n'
        '[mail]\nbackend = "eml"\npath = "mail"\n[meetings]\nbackend = "ics"\npath = "meetings.ics"\n'
        '[reminders]\nbackend = "ics"\npath = "reminders.ics"\n[state]\npath = "state.db"\n'
    )
    return path


def hostile_mail(folder: Path) -> None:
    (folder / "promise.eml").write_bytes(
        (
            "From: Dana <dana@northwind.example>\nTo: Max <max@kunde.example>\n"
            f"Subject: {HOSTILE}\nDate: Mon, 16 Mar 2026 10:00:00 +0100\n"
            f"Message-ID: <p1{CLIPBOARD}{CLEAR}@northwind.example>\n\n"
            f"Hi Max,\n\nI'll send you the signed contract on Friday. {CLEAR}\n\nDana\n"
        ).encode()
    )
    # no Date header: skipped with a WARNING that names its (hostile) Message-ID
    (folder / "nodate.eml").write_bytes(
        f"From: x@evil.example\nSubject: {HOSTILE}\n"
        f"Message-ID: <bad{CLEAR}{CLIPBOARD}@evil.example>\n\nhi\n".encode()
    )


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_hostile_pass_prints_logs_and_writes_no_control_character(tmp_path: Path, fmt: str) -> None:
    path = write_config(tmp_path)
    hostile_mail(tmp_path / "mail")
    log_file = tmp_path / "followup.log"
    logs.setup(log_file=log_file, console=False)
    try:
        result = CliRunner().invoke(
            cli, ["-v", "sync", "--config", str(path), "--format", fmt, "--now", "2026-03-17T18:00"], color=True
        )  # color=True: click strips CSI (only) when it is not writing to a terminal; a rep's shell is one
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_followup_sync", False)]:
            logging.getLogger().removeHandler(handler)
            handler.close()
    assert result.exit_code == 0, result.output
    assert not BAD.search(result.stdout), repr(result.stdout)
    assert not BAD.search(result.stderr), repr(result.stderr)
    assert "Skipping message" in result.stderr and "nodate.eml" in result.stderr
    logged = log_file.read_text(encoding="utf-8")
    assert "Skipping message bad@evil.example (" in logged
    assert not BAD.search(logged), repr(logged)
    ics = (tmp_path / "reminders.ics").read_text(encoding="utf-8")
    assert not BAD.search(ics.replace("\r\n", "\n")), repr(ics)
    events = list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    kinds = {str(e["SUMMARY"]).split(":")[0] for e in events}
    assert len(events) == 2, kinds  # the promise and the meeting's missing recap
    summaries = " | ".join(str(e["SUMMARY"]) for e in events)
    assert "Demo with Acme" in summaries and "Quote for Acmegnp.exe" in summaries
    if fmt == "json":
        doc = json.loads(result.stdout)
        for action in doc["actions"]:
            for value in (*action["followup"].values(), *action["reminder"].values()):
                assert not BAD.search(json.dumps(value, ensure_ascii=False)[1:-1].replace("\\n", ""))
                if isinstance(value, str):
                    assert not BAD.search(value), repr(value)
        ids = {a["followup"]["source_message_id"] for a in doc["actions"]}
        assert "p1@northwind.example" in ids


def test_the_error_output_is_clean_too(tmp_path: Path) -> None:
    bad = tmp_path / f"conf{CLEAR}i{CLIPBOARD}g.toml"
    result = CliRunner().invoke(cli, ["sync", "--config", str(bad)], color=True)
    assert result.exit_code == 1
    assert "no config file at" in result.output
    assert not BAD.search(result.output), repr(result.output)
