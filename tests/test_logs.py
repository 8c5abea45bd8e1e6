"""Logging: private rotating file, console only when asked, token redaction, the per-pass line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from followup_sync import logs
from followup_sync.model import PassStats

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXAifQ.c2lnbmF0dXJlLXBhcnQ"
MS_REFRESH = "0.AXoAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET /me Authorization: Bearer abc.def-ghi_123", "abc.def-ghi_123"),
        ("headers={'Authorization': 'Bearer tok123'}", "tok123"),
        (f"token is {JWT} ok", JWT),
        ("body: grant_type=refresh_token&refresh_token=CANARY-REFRESH-42&client_id=x", "CANARY-REFRESH-42"),
        ('{"access_token": "CANARY-ACCESS-7", "expires_in": 3599}', "CANARY-ACCESS-7"),
        ("password=hunter2", "hunter2"),
        ('> a001 LOGIN "rep@vendor.com" "CANARY-IMAP-PW"', "CANARY-IMAP-PW"),
        (f"cached {MS_REFRESH}", MS_REFRESH),
        ("Authorization: Basic cmVwOnMzY3JldA==", "cmVwOnMzY3JldA=="),
    ],
)
def test_redact_removes_secrets(text: str, secret: str) -> None:
    cleaned = logs.redact(text)
    assert secret not in cleaned and logs.REDACTED in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Creating reminder 0c1a324bedddd43489a1 in /home/rep/.local/share/followup-sync/reminders.ics",
        "Skipping message <CAF=abc123@mail.gmail.com> (cur/1773000001.demo01): unknown charset",
        "Pass finished: 3 messages read, 3 follow-ups found, 3 open, 3 created, 0 updated, 0 deleted in 0.4s",
        "imap unreachable: connection timed out; next try in 600s",
    ],
)
def test_redact_leaves_ordinary_lines_alone(text: str) -> None:
    assert logs.redact(text) == text


def test_log_file_is_private_and_redacted_including_tracebacks(home: Path) -> None:
    path = logs.setup(log_file=True, console=False)
    assert path == home / "logs" / logs.LOG_NAME
    log = logging.getLogger("followup_sync.test")
    log.info("Pass finished: fine")
    log.info("token %s", f"Bearer {JWT}")
    try:
        raise RuntimeError(f"server said refresh_token=CANARY-REFRESH-9 and {JWT}")
    except RuntimeError:
        log.exception("Problem")
    logging.getLogger("urllib3").debug("Authorization: Bearer CANARY-URLLIB")
    for h in logging.getLogger().handlers:
        h.flush()
    text = path.read_text(encoding="utf-8")
    assert "Pass finished: fine" in text and "Traceback" in text
    assert "CANARY" not in text and JWT not in text
    assert (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o777) == 0o700


def test_rotation_keeps_files_private(tmp_path: Path) -> None:
    handler = logs.private_rotating_handler(tmp_path / "x.log", max_bytes=200, backups=2)
    logger = logging.getLogger("followup_sync.rotation")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for i in range(30):
            logger.warning("line %d %s", i, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
        logger.propagate = True
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["x.log", "x.log.1", "x.log.2"]
    assert all((f.stat().st_mode & 0o777) == 0o600 for f in files)


def test_console_only_when_asked(home: Path) -> None:
    quiet, loud = io.StringIO(), io.StringIO()
    logs.setup(console=None, stream=quiet)  # a StringIO is not a terminal: nothing on the console
    logging.getLogger("followup_sync.x").warning("not shown")
    assert quiet.getvalue() == "" and not logs.console_active()
    logs.setup(console=True, stream=loud)  # a second setup replaces the first's handlers
    logging.getLogger("followup_sync.x").warning("shown with Bearer abc123")
    assert loud.getvalue() == f"WARNING: shown with Bearer {logs.REDACTED}\n" and logs.console_active()


def test_setup_takes_over_the_cli_package_logger_and_quietens_chatty_libraries(home: Path) -> None:
    pkg = logging.getLogger("followup_sync")
    stray = logging.StreamHandler(io.StringIO())
    pkg.addHandler(stray)
    pkg.setLevel(logging.WARNING)
    try:
        logs.setup(verbose=True, log_file=True, console=False)
        assert stray not in pkg.handlers and pkg.level == logging.NOTSET
        assert logging.getLogger().level == logging.DEBUG
        assert logging.getLogger("urllib3").level == logging.WARNING
    finally:
        pkg.removeHandler(stray)


def test_pass_line_wording() -> None:
    stats = PassStats(messages_read=12, followups_found=3, followups_open=5, created=2, updated=1, deleted=0)
    assert logs.pass_line(stats, 1.234) == (
        "Pass finished: 12 messages read, 3 follow-ups found, 5 open, 2 created, 1 updated, 0 deleted in 1.2s"
    )
    stats.errors = 2
    assert logs.pass_line(stats, 0.05, dry_run=True).endswith(
        "in 0.1s, 2 errors (dry run: counts are what a real pass would do; nothing written)"
    )


def test_once_filter_lets_an_identical_warning_through_once_per_window() -> None:
    now = [0.0]
    once = logs.OnceFilter(hours=1, clock=lambda: now[0])

    def rec(level: int, msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("followup_sync.backends.files", level, __file__, 1, msg, args, None)

    skip = "Skipping message %s: %s"
    assert once.filter(rec(logging.WARNING, skip, "a@x", "bad charset"))
    assert not once.filter(rec(logging.WARNING, skip, "a@x", "bad charset"))  # next pass, same message
    assert once.filter(rec(logging.WARNING, skip, "b@x", "bad charset"))  # a different one
    assert once.filter(rec(logging.INFO, "Creating reminder %s", "k")) and once.filter(
        rec(logging.INFO, "Creating reminder %s", "k")
    )
    assert once.filter(rec(logging.ERROR, "boom")) and once.filter(rec(logging.ERROR, "boom"))
    now[0] = 3601.0
    assert once.filter(rec(logging.WARNING, skip, "a@x", "bad charset"))  # an hour later: said again


def test_setup_with_dedupe_applies_to_the_file(home: Path) -> None:
    path = logs.setup(log_file=True, console=False, dedupe_hours=24)
    assert path is not None
    for _ in range(5):
        logging.getLogger("followup_sync.backends.files").warning("Skipping message %s: %s", "m1", "no date")
    for h in logging.getLogger().handlers:
        h.flush()
    assert path.read_text(encoding="utf-8").count("Skipping message m1: no date") == 1


def test_warned_once_is_remembered_merged_and_forgotten_after_90_days(tmp_path: Path) -> None:
    from datetime import date

    path = tmp_path / "logs" / "followup-sync.warned"
    a = logs.WarnedOnce(path, today=date(2026, 3, 1))
    b = logs.WarnedOnce(path, today=date(2026, 3, 1))  # another run, started before the first saved
    a.add("/mail/cur/1:2,S")
    b.add("<x@y>")
    a.save()
    b.save()  # merges what a saved meanwhile
    again = logs.WarnedOnce(path, today=date(2026, 3, 2))
    assert "/mail/cur/1:2,S" in again and "<x@y>" in again and "<other@y>" not in again
    again.save()  # both were met again on 2 March: remembered from then on
    later = logs.WarnedOnce(path, today=date(2026, 5, 31))
    later.add("<new@y>")
    later.save()
    assert len(logs.WarnedOnce(path, today=date(2026, 5, 31))) == 3
    gone = logs.WarnedOnce(path, today=date(2026, 9, 1))
    gone.add("<late@y>")
    gone.save()  # more than 90 days after 2 March and 31 May: only the new one stays
    assert len(logs.WarnedOnce(path, today=date(2026, 9, 1))) == 1
    assert "x@y" not in path.read_text()
