"""Contract suites every backend must pass (after vdirsyncer's ``StorageTests``).

Subclass :class:`SinkContract` or :class:`MailSourceContract` in a test module and provide the fixtures or
hooks named in each class docstring; pytest collects the inherited tests for every subclass.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.base import MailSource, ReminderSink
from followup_sync.errors import PreconditionFailed
from followup_sync.model import Reminder

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def make_reminder(key: str = "k1", **changes: Any) -> Reminder:
    values: dict[str, Any] = {
        "key": key,
        "start": T0,
        "end": T0 + timedelta(minutes=15),
        "timezone": "Europe/Berlin",
        "subject": "Call Jane Doe about the renewal",
        "body": "You wrote: I'll call you Tuesday.\nThread: Renewal 2027",
        "link": "file:///mail/sent/1.eml",
    }
    values.update(changes)
    return Reminder(**values)


class SinkContract:
    """Tests for a ReminderSink. Provide a ``sink`` fixture (a fresh, empty sink per test).

    Override :meth:`add_foreign_item` / :meth:`foreign_items` for sinks that can hold other people's items;
    the default skips that test. :meth:`stored` returns what the sink holds for a key (subject, body) so
    round trips are checked through the sink's own storage, not our in-memory copy.
    """

    def add_foreign_item(self, sink: Any) -> None:
        pytest.skip("this sink holds only followup-sync's items")

    def foreign_items(self, sink: Any) -> Any:
        raise NotImplementedError

    def stored(self, sink: Any, key: str) -> tuple[str, str]:
        raise NotImplementedError

    def test_create_then_list(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        listed = {i.key: i for i in sink.list()}
        assert set(listed) == {"k1"}
        assert listed["k1"].href == item.href
        assert listed["k1"].etag == item.etag
        assert listed["k1"].start == T0

    def test_empty_sink_lists_nothing(self, sink: ReminderSink) -> None:
        assert list(sink.list()) == []

    def test_create_twice_fails(self, sink: ReminderSink) -> None:
        sink.create(make_reminder("k1"))
        with pytest.raises(PreconditionFailed):
            sink.create(make_reminder("k1", subject="again"))
        assert len(list(sink.list())) == 1

    def test_update_changes_etag_and_content(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        new_start = T0 + timedelta(days=1)
        updated = sink.update(
            item.href,
            item.etag,
            make_reminder("k1", subject="Moved", start=new_start, end=new_start + timedelta(minutes=15)),
        )
        assert updated.etag != item.etag
        listed = {i.key: i for i in sink.list()}
        assert listed["k1"].etag == updated.etag
        assert listed["k1"].start == new_start
        assert self.stored(sink, "k1")[0] == "Moved"

    def test_update_with_stale_etag_fails(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        sink.update(item.href, item.etag, make_reminder("k1", subject="first change"))
        with pytest.raises(PreconditionFailed):
            sink.update(item.href, item.etag, make_reminder("k1", subject="second change"))
        assert self.stored(sink, "k1")[0] == "first change"

    def test_delete(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        sink.create(make_reminder("k2"))
        sink.delete(item.href, item.etag)
        assert [i.key for i in sink.list()] == ["k2"]

    def test_delete_with_stale_etag_fails(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        sink.update(item.href, item.etag, make_reminder("k1", subject="changed"))
        with pytest.raises(PreconditionFailed):
            sink.delete(item.href, item.etag)
        assert [i.key for i in sink.list()] == ["k1"]

    def test_delete_missing_fails(self, sink: ReminderSink) -> None:
        item = sink.create(make_reminder("k1"))
        sink.delete(item.href, item.etag)
        with pytest.raises(PreconditionFailed):
            sink.delete(item.href, item.etag)

    def test_non_ascii_round_trip(self, sink: ReminderSink) -> None:
        subject = "Rückruf: Zoë Ørsted — 見積もり 📞"
        body = "Sie schrieben: „Ich rufe Dienstag an.“\nLine two; with, commas\\ and \u2028separator"
        sink.create(make_reminder("k1", subject=subject, body=body))
        assert self.stored(sink, "k1") == (subject, body)

    def test_other_items_untouched(self, sink: ReminderSink) -> None:
        self.add_foreign_item(sink)
        before = self.foreign_items(sink)
        item = sink.create(make_reminder("k1"))
        item = sink.update(item.href, item.etag, make_reminder("k1", subject="changed"))
        assert [i.key for i in sink.list()] == ["k1"]
        sink.delete(item.href, item.etag)
        assert list(sink.list()) == []
        assert self.foreign_items(sink) == before


def raw_message(
    *,
    msg_id: str = "<m1@example.com>",
    date: str = "Mon, 02 Mar 2026 10:00:00 +0100",
    sender: str = "Jane Doe <jane@example.com>",
    to: str = "rep@ourco.example",
    subject: str = "Renewal",
    body: str = "I'll call you Tuesday.",
    extra: str = "",
) -> bytes:
    head = f"Message-ID: {msg_id}\r\nDate: {date}\r\nFrom: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
    return (head + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n").encode()


class MailSourceContract:
    """Tests for a MailSource reading raw RFC 5322 messages.

    Implement :meth:`make_source` that stores the given raw messages wherever the source reads them from and
    returns the source.
    """

    def make_source(self, tmp_path: Path, raws: Sequence[bytes]) -> MailSource:
        raise NotImplementedError

    def test_reads_messages_in_window(self, tmp_path: Path) -> None:
        raws = [
            raw_message(msg_id="<Early@X.com>", date="Sun, 01 Mar 2026 23:59:59 +0000"),
            raw_message(msg_id="<In@X.com>", date="Mon, 02 Mar 2026 10:00:00 +0100"),
            raw_message(msg_id="<Edge@X.com>", date="Tue, 03 Mar 2026 00:00:00 +0000"),
        ]
        source = self.make_source(tmp_path, raws)
        # Dates in the past: IMAP servers clamp a future INTERNALDATE to "now", which SINCE then misses.
        start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
        got = list(source.messages(start, end))
        assert [m.id for m in got] == ["in@x.com"]
        msg = got[0]
        assert msg.sent_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert msg.sender == "jane@example.com"
        assert msg.sender_name == "Jane Doe"
        assert msg.to == ("rep@ourco.example",)
        assert msg.body.strip() == "I'll call you Tuesday."
        assert msg.link

    def test_bad_message_is_skipped_with_one_warning(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        secret_body = "CONFIDENTIAL-BODY-TEXT"
        bad = f"Message-ID: <nodate@x.com>\r\nFrom: a@x.com\r\nSubject: no date\r\n\r\n{secret_body}\r\n".encode()
        source = self.make_source(tmp_path, [bad, raw_message(msg_id="<good@x.com>")])
        with caplog.at_level(logging.WARNING):
            got = list(source.messages(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)))
        assert [m.id for m in got] == ["good@x.com"]
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1
        assert "nodate@x.com" in warnings[0].getMessage()
        assert "no Date header" in warnings[0].getMessage()
        assert secret_body not in caplog.text

    def test_empty_window(self, tmp_path: Path) -> None:
        source = self.make_source(tmp_path, [raw_message()])
        assert list(source.messages(datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))) == []
