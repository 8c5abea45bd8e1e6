"""GraphReminderSink against the fake Graph through the real O365 library: the shared sink contract, and the
Outlook specifics (what the event looks like, transactionId de-duplication, conditional writes)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from followup_sync.backends.graph import KEY_PROP, MARKER_PROP, GraphReminderSink
from followup_sync.errors import PreconditionFailed
from tests.contract import SinkContract, make_reminder
from tests.fakegraph.fixtures import reminder_key
from tests.fakegraph.server import FakeGraph


class TestGraphSinkContract(SinkContract):
    @pytest.fixture
    def sink(self, account: Any) -> GraphReminderSink:
        return GraphReminderSink(account)

    @pytest.fixture(autouse=True)
    def _fake(self, fake: FakeGraph) -> None:
        self.fake = fake

    def stored(self, sink: GraphReminderSink, key: str) -> tuple[str, str]:
        (event,) = [e for e in self.fake.ours(KEY_PROP) if _key(e) == key]
        body = event["body"]["content"]
        return event["subject"], body.split("\n\nOpen the message: ")[0]

    def add_foreign_item(self, sink: GraphReminderSink) -> None:
        start = datetime(2026, 12, 1, 9, tzinfo=UTC)
        self.fake.add_event(
            subject="Customer call",
            start=start,
            end=start + timedelta(hours=1),
            organizer="jane@acme.com",
            attendees=["rep@contoso.com"],
        )

    def foreign_items(self, sink: GraphReminderSink) -> Any:
        return sorted(
            (e["id"], e["subject"], e["_start"], e.get("@odata.etag"))
            for e in self.fake.events.values()
            if not e["singleValueExtendedProperties"]
        )


def _key(event: dict[str, Any]) -> str | None:
    return reminder_key(event)


def test_event_shape(account: Any, fake: FakeGraph, caplog: pytest.LogCaptureFixture) -> None:
    sink = GraphReminderSink(account, reminder_minutes=10)
    with caplog.at_level(logging.INFO, logger="followup_sync"):
        item = sink.create(make_reminder("k1", link="https://outlook.office365.com/owa/?ItemID=X"))
    (event,) = fake.ours(MARKER_PROP)
    assert event["id"] == item.href
    assert event["showAs"] == "free"
    assert event["isReminderOn"] is True
    assert event["reminderMinutesBeforeStart"] == 10
    assert event["categories"] == ["Follow-up"]
    assert event["attendees"] == []
    assert event["transactionId"]
    assert event["body"]["contentType"] == "text"
    assert event["body"]["content"].endswith("Open the message: https://outlook.office365.com/owa/?ItemID=X")
    # 08:00 UTC sent as 09:00 W. Europe Standard Time (the rep's zone), stored back as the same instant
    assert event["_start"] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert reminder_key(event) == "k1"
    assert "Creating reminder k1 in the Outlook calendar" in caplog.text


def test_retried_post_does_not_duplicate(account: Any, fake: FakeGraph) -> None:
    """Every POST is applied but its answer arrives too late; the retry carries the same transactionId."""
    sink = GraphReminderSink(account)
    account.con.timeout = (1.0, 0.3)
    fake.faults.slow, fake.faults.delay, fake.faults.methods = 1.0, 0.6, frozenset({"POST"})
    fake.faults.__post_init__()
    with pytest.raises(Exception):  # noqa: B017 - every attempt times out; the error type is tested elsewhere
        sink.create(make_reminder("k1"))
    fake.faults.slow = 0.0
    assert fake.counts["POST"] >= 2
    assert len(fake.ours(MARKER_PROP)) == 1
    with pytest.raises(PreconditionFailed):
        sink.create(make_reminder("k1"))
    assert [i.key for i in sink.list()] == ["k1"]


def test_user_moved_event_gets_new_etag_and_start(account: Any, fake: FakeGraph) -> None:
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1"))
    moved = datetime(2026, 12, 3, 15, tzinfo=UTC)
    fake.user_moves_event(item.href, moved)
    (listed,) = sink.list()
    assert listed.etag != item.etag and listed.start == moved
    with pytest.raises(PreconditionFailed):
        sink.update(item.href, item.etag, make_reminder("k1", subject="ours"))
    assert fake.events[item.href]["subject"] != "ours"


def test_user_deleted_event_is_missing(account: Any, fake: FakeGraph) -> None:
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1"))
    sink.create(make_reminder("k2"))
    fake.user_deletes_event(item.href)
    assert [i.key for i in sink.list()] == ["k2"]


def test_list_pages(account: Any, fake: FakeGraph) -> None:
    sink = GraphReminderSink(account)
    for i in range(7):
        sink.create(make_reminder(f"k{i}"))
    fake.max_page = 3
    fake.reset_counts()
    assert sorted(i.key for i in sink.list()) == [f"k{i}" for i in range(7)]
    assert fake.counts["GET"] == 3


def test_named_calendar(account: Any, fake: FakeGraph) -> None:
    fake.calendars["cal-2"] = "Follow-ups"
    sink = GraphReminderSink(account, calendar="follow-ups")
    item = sink.create(make_reminder("k1"))
    assert fake.events[item.href]["_calendar"] == "cal-2"
    assert [i.key for i in sink.list()] == ["k1"]
    assert [i.key for i in GraphReminderSink(account).list()] == []
