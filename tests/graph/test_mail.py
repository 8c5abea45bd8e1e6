"""Reading mail and meetings through Graph: folders, paging, delta rounds and when a deltaLink is trusted."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink, parse_message
from followup_sync.errors import ConfigError
from tests.contract import make_reminder
from tests.fakegraph.server import FakeGraph

T = datetime(2026, 11, 20, 10, tzinfo=UTC)
DAY = timedelta(days=1)


def _send(fake: FakeGraph, n: int, *, folder: str = "sentitems", at: datetime = T, **kw: Any) -> list[str]:
    return [
        fake.add_message(
            folder,
            sender=kw.get("sender", fake.user),
            to=["jane@acme.com"],
            subject=f"Quote {i}",
            body="I'll call you Thursday at 2pm.",
            sent=at + timedelta(minutes=i),
        )
        for i in range(n)
    ]


@pytest.fixture
def source(account: Any, tmp_path: Path) -> GraphMailSource:
    return GraphMailSource(account, state_file=tmp_path / "state" / "graph-delta.json")


def test_reads_every_reply_folder_but_not_trash(fake: FakeGraph, source: GraphMailSource) -> None:
    customers = fake.add_folder("Customers", parent=fake.folder_id("inbox"))
    for folder in ("sentitems", "inbox", "archive", customers, "deleteditems", "junkemail", "drafts", "outbox"):
        _send(fake, 1, folder=folder)
    got = list(source.messages(T - DAY, T + DAY))
    assert sorted(m.folder for m in got) == ["Archive", "Inbox", "Inbox/Customers", "Sent Items"]


def test_pages_and_fields(fake: FakeGraph, source: GraphMailSource) -> None:
    fake.max_page = 4
    ids = _send(fake, 10)
    fake.add_message(
        "inbox",
        sender="Jane@Acme.com",
        to=[fake.user],
        cc=["bob@acme.com"],
        subject="RE: Quote 1",
        body="Sounds good",
        sent=T + DAY / 2,
        internet_message_id="<Reply-1@Acme.com>",
        headers=[
            ("In-Reply-To", "<x1@fake>"),
            ("References", "<x0@fake> <x1@fake>"),
            ("Auto-Submitted", "no"),
            ("X-Secret-Thing", "drop me"),
        ],
    )
    got = {m.id: m for m in source.messages(T - DAY, T + DAY)}
    assert len(got) == 11
    reply = got["reply-1@acme.com"]
    assert reply.sender == "jane@acme.com" and reply.to == (fake.user,) and reply.cc == ("bob@acme.com",)
    assert reply.in_reply_to == "x1@fake" and reply.references == ("x0@fake", "x1@fake")
    assert reply.headers == (("auto-submitted", "no"),)
    assert reply.body == "Sounds good" and not reply.body_is_html
    assert reply.link and reply.link.startswith("https://outlook.office365.com/")
    sent = got[f"{ids[0].lower()}@fake"]
    assert sent.sent_at == T and sent.folder == "Sent Items" and sent.subject == "Quote 0"
    sent_id = fake.folder_id("sentitems")
    sent_pages = [p for _, p, _ in fake.log if f"/mailFolders/{sent_id}/messages/delta" in p]
    assert len(sent_pages) == 3  # ten messages in sent items need three pages of four


def test_window_is_honoured(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 1, at=T - 3 * DAY)
    _send(fake, 1, at=T)
    _send(fake, 1, at=T + 3 * DAY)
    assert [m.sent_at for m in source.messages(T - DAY, T + DAY)] == [T]


def test_incremental_passes_read_only_changes(fake: FakeGraph, source: GraphMailSource, tmp_path: Path) -> None:
    _send(fake, 30)
    first = list(source.messages(T - 10 * DAY, T + DAY))
    assert len(first) == 30
    state_file = tmp_path / "state" / "graph-delta.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert "I'll call you" not in state_file.read_text()

    fake.reset_counts()
    new = _send(fake, 2, at=T + DAY / 2)
    second = list(source.messages(T - 2 * DAY, T + DAY))  # a later start: the first pass succeeded
    assert sorted(m.subject for m in second) == ["Quote 0", "Quote 1"]
    assert {m.id for m in second} == {f"{i.lower()}@fake" for i in new}
    assert fake.counts["GET"] == 3  # one delta round per folder (inbox, sent items, archive), no listing

    fake.reset_counts()
    third = list(source.messages(T - 2 * DAY + timedelta(minutes=5), T + DAY))
    assert third == []  # nothing changed


def test_failed_pass_is_read_again(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 5)
    list(source.messages(T - 10 * DAY, T + DAY))
    list(source.messages(T - 2 * DAY, T + DAY))  # commits the first round
    _send(fake, 3, at=T + DAY / 2)
    assert len(list(source.messages(T - DAY, T + DAY))) == 3
    # the pass that read those three failed: the sync pass asks again with the same start
    assert len(list(source.messages(T - DAY, T + DAY))) == 3
    # ... and succeeded now: the window moves on, the three are not read a third time
    assert list(source.messages(T - DAY + timedelta(minutes=5), T + DAY)) == []


def test_lost_state_db_reads_everything_again(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 5)
    list(source.messages(T - 2 * DAY, T + DAY))
    list(source.messages(T - DAY, T + DAY))
    # the state DB was lost: the sync pass starts from its full lookback again
    assert len(list(source.messages(T - 30 * DAY, T + DAY))) == 5


def test_expired_delta_link_falls_back_to_full_read(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 5)
    list(source.messages(T - 2 * DAY, T + DAY))
    list(source.messages(T - DAY, T + DAY))
    fake.deltas.clear()  # Graph forgot the sync state: 410 SyncStateNotFound
    assert len(list(source.messages(T - DAY + timedelta(minutes=1), T + DAY))) == 5


def test_message_after_window_end_is_read_next_time(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 1)
    list(source.messages(T - 2 * DAY, T + DAY))
    _send(fake, 1, at=T + 2 * DAY)
    assert list(source.messages(T - DAY, T + DAY)) == []
    assert len(list(source.messages(T - DAY / 2, T + 3 * DAY))) == 1


def test_without_delta_lists_with_a_filter(fake: FakeGraph, account: Any, tmp_path: Path) -> None:
    _send(fake, 12)
    fake.max_page = 5
    src = GraphMailSource(account, state_file=tmp_path / "d.json", use_delta=False, folders=["sentitems"])
    assert len(list(src.messages(T - DAY, T + DAY))) == 12
    assert all("/delta" not in path for _, path, _ in fake.log)


def test_named_folders_only(fake: FakeGraph, account: Any, tmp_path: Path) -> None:
    customers = fake.add_folder("Customers", parent=fake.folder_id("inbox"))
    for folder in ("sentitems", "inbox", customers):
        _send(fake, 1, folder=folder)
    src = GraphMailSource(account, state_file=tmp_path / "d.json", folders=["SentItems", "Customers"])
    assert sorted(m.folder for m in src.messages(T - DAY, T + DAY)) == ["Inbox/Customers", "Sent Items"]


def test_bad_message_skipped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    good = {"id": "1", "from": {"emailAddress": {"address": "a@x.com"}}, "sentDateTime": "2026-11-20T10:00:00Z"}
    assert parse_message(good) is not None
    with caplog.at_level(logging.WARNING):
        bad = parse_message({"id": "2", "sentDateTime": "2026-11-20T10:00:00Z", "body": {"content": "SECRET"}})
    assert bad is None
    assert len(caplog.records) == 1 and "2" in caplog.text and "SECRET" not in caplog.text
    no_id = parse_message(good)
    assert no_id is not None and no_id.id.startswith("sha256-") and no_id.id == parse_message(good).id  # type: ignore[union-attr]


def test_unreadable_state_file_means_full_read(fake: FakeGraph, source: GraphMailSource) -> None:
    _send(fake, 2)
    source.state_file.parent.mkdir(parents=True)
    source.state_file.write_text("{not json")
    assert len(list(source.messages(T - DAY, T + DAY))) == 2
    assert json.loads(source.state_file.read_text())["pending"]


def test_meetings_skip_our_reminders(fake: FakeGraph, account: Any) -> None:
    fake.max_page = 2
    for i in range(3):
        fake.add_event(
            subject=f"Demo {i}",
            start=T + i * DAY,
            end=T + i * DAY + timedelta(hours=1),
            organizer=fake.user,
            attendees=["Jane@Acme.com", "bob@acme.com"],
            cancelled=i == 2,
        )
    GraphReminderSink(account).create(make_reminder("k1", start=T, end=T + timedelta(minutes=15)))
    got = list(GraphMeetingSource(account).meetings(T - DAY, T + 5 * DAY))
    assert [m.subject for m in got] == ["Demo 0", "Demo 1", "Demo 2"]
    assert got[0].attendees == ("jane@acme.com", "bob@acme.com") and got[0].organizer == fake.user
    assert got[0].start == T and got[0].end == T + timedelta(hours=1)
    assert [m.cancelled for m in got] == [False, False, True]
    assert len({m.uid for m in got}) == 3


def test_deleted_folder_is_dropped(fake: FakeGraph, source: GraphMailSource) -> None:
    customers = fake.add_folder("Customers", parent=fake.folder_id("inbox"))
    _send(fake, 1, folder=customers)
    _send(fake, 1)
    assert len(list(source.messages(T - DAY, T + DAY))) == 2
    del fake.folders[customers]  # the user deleted the folder (its mail went to Deleted Items)
    assert len(list(source.messages(T - DAY / 2, T + DAY))) == 0
    fake.reset_counts()
    list(source.messages(T - DAY / 4, T + DAY))
    assert any(path.startswith("/v1.0/me/mailFolders?") for _, path, _ in fake.log)  # listed again


def test_full_lookback_window_reads_everything(fake: FakeGraph, account: Any, tmp_path: Path) -> None:
    """The sync pass asks for its whole look-back only when it starts afresh (e.g. its state DB was lost)."""
    src = GraphMailSource(account, state_file=tmp_path / "d.json", lookback=30 * DAY)
    _send(fake, 4)
    assert len(list(src.messages(T + DAY - 30 * DAY, T + DAY))) == 4
    assert len(list(src.messages(T - DAY, T + DAY))) == 0  # normal incremental pass
    assert len(list(src.messages(T + 2 * DAY - 30 * DAY, T + 2 * DAY))) == 4  # afresh again, later start


def test_unknown_folder_name_is_a_config_error(account: Any, tmp_path: Path) -> None:
    src = GraphMailSource(account, state_file=tmp_path / "d.json", folders=["Kunden"])
    with pytest.raises(ConfigError, match="no mail folder named 'kunden'"):
        list(src.messages(T - DAY, T + DAY))


def test_more_mail_in_the_window_than_the_delta_cap_is_all_read(
    fake: FakeGraph, source: GraphMailSource, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 9, item 2: a delta round with $filter returns at most 5,000 messages (Graph docs); the fake keeps
    the 5,000 stored first, so the newest are the ones a capped read loses. None may be lost, and it is said."""
    start = T - timedelta(days=5)
    for i in range(5_100):
        at = start + timedelta(minutes=i)
        fake.add_message("inbox", sender=f"c{i}@acme.example", to=[fake.user], subject=f"Q{i}", body="Hi", sent=at)
    with caplog.at_level(logging.INFO, logger="followup_sync"):
        got = {m.id for m in source.messages(T - 10 * DAY, T + DAY)}
    assert len(got) == 5_100
    assert source.capped == 1
    assert "documented maximum of 5000 messages" in caplog.text
    # the capped round's deltaLink still serves the next pass: only what changed since is read
    new = _send(fake, 1, folder="inbox", at=T + DAY / 2, sender="jane@acme.com")
    fake.reset_counts()
    assert [m.id for m in source.messages(T - 9 * DAY, T + DAY)] == [f"{new[0].lower()}@fake"]
    assert fake.counts["GET"] == 3


def test_dry_run_reads_the_links_but_never_saves_or_advances_them(
    fake: FakeGraph, source: GraphMailSource
) -> None:
    _send(fake, 3)
    list(source.messages(T - 10 * DAY, T + DAY))
    saved = source.state_file.read_bytes()
    _send(fake, 2, at=T + DAY / 2)
    source.start_pass(now=T + DAY, dry_run=True)
    assert len(list(source.messages(T - 2 * DAY, T + DAY))) == 2
    assert source.state_file.read_bytes() == saved
    source.start_pass(now=T + DAY, dry_run=False)  # the real pass after it still gets them
    assert len(list(source.messages(T - 2 * DAY, T + DAY))) == 2
