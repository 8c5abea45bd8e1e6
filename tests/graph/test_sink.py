"""GraphReminderSink against the fake Graph through the real O365 library: the shared sink contract, and the
Outlook specifics (what the event looks like, transactionId de-duplication, conditional writes)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.backends.base import Write
from followup_sync.backends.graph import KEY_PROP, MARKER_PROP, GraphReminderSink
from followup_sync.errors import PreconditionFailed, Throttled
from followup_sync.model import RemoteItem
from tests.contract import T0, SinkContract, make_reminder
from tests.fakegraph.fixtures import connect, graph_config, reminder_key, seed_token
from tests.fakegraph.server import FakeGraph, Faults, Server


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


REMINDER_PROPS = {
    "subject", "body", "start", "end", "categories", "isReminderOn", "reminderMinutesBeforeStart", "showAs",
    "singleValueExtendedProperties",
}  # fmt: skip


def test_writes_send_only_the_reminders_properties_typed_per_the_schema(account: Any, fake: FakeGraph) -> None:
    """Issue 9, item 8: no ``isOnlineMeeting: "false"`` (a string where the schema has Edm.Boolean), no
    onlineMeetingProvider, attendees, location, importance or sensitivity: the fake refuses what Graph's
    schema does not have, and we send exactly what a reminder needs."""
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1"))
    sink.update(item.href, item.etag, make_reminder("k1", subject="changed"))
    (post, patch) = fake.writes
    assert set(post[2]) == REMINDER_PROPS | {"responseRequested", "transactionId"}
    assert set(patch[2]) == REMINDER_PROPS
    assert post[2]["isReminderOn"] is True and post[2]["responseRequested"] is False
    assert [p["id"] for p in post[2]["singleValueExtendedProperties"]] == [MARKER_PROP, KEY_PROP]
    assert [p["id"] for p in patch[2]["singleValueExtendedProperties"]] == [KEY_PROP]


@pytest.mark.parametrize(
    ("zone", "wire"),
    [
        ("America/Nuuk", "Greenland Standard Time"),
        ("America/Ciudad_Juarez", "Mountain Standard Time"),
        ("America/Coyhaique", "Magallanes Standard Time"),
        ("Pacific/Kanton", "UTC+13"),
        ("Antarctica/Troll", "UTC"),  # no Windows zone at all: the wire carries UTC
        ("Europe/Berlin", "W. Europe Standard Time"),
    ],
)
def test_every_iana_zone_goes_out_as_a_zone_outlook_knows(
    zone: str, wire: str, fake: FakeGraph, server: Server, memory_keyring: Any, tmp_path: Path
) -> None:
    """Issue 9, item 6: zones O365's table lacks no longer stop the pass with ZoneInfoNotFoundError."""
    config = graph_config(tmp_path, fake)
    config = replace(config, identity=replace(config.identity, timezone=zone))
    account = connect(config, server)  # building the account used to raise for these zones
    seed_token(account, fake)
    sink = GraphReminderSink(account)
    item = sink.create(make_reminder("k1", timezone=zone))
    sent = fake.writes[0][2]
    assert sent["start"]["timeZone"] == sent["end"]["timeZone"] == wire
    assert fake.events[item.href]["_start"] == datetime(2026, 12, 1, 8, tzinfo=UTC)


def test_named_calendar_is_looked_up_once(account: Any, fake: FakeGraph, tmp_path: Path) -> None:
    fake.calendars["cal-2"] = "Follow-ups"
    cache = tmp_path / "graph-calendar.json"
    for minute in range(3):  # three passes, each with new backends as run_once opens them
        sink = GraphReminderSink(account, calendar="Follow-ups", cache_file=cache)
        sink.start_pass(now=T0 + timedelta(minutes=minute))
        list(sink.list())
        sink.create(make_reminder(f"k{minute}"))
        sink.close()
    lookups = [p for _, p, _ in fake.log if p.startswith("/v1.0/me/calendars?")]
    assert len(lookups) == 1
    assert {fake.events[h]["_calendar"] for h in (e["id"] for e in fake.ours(KEY_PROP))} == {"cal-2"}
    # the calendar was deleted and made again under the same name: a 404 looks it up once more
    fake.calendars = {"cal-default": "Calendar", "cal-3": "Follow-ups"}
    sink = GraphReminderSink(account, calendar="Follow-ups", cache_file=cache)
    sink.start_pass(now=T0 + timedelta(days=2))
    assert list(sink.list()) == []
    assert len([p for _, p, _ in fake.log if p.startswith("/v1.0/me/calendars?")]) == 2


def test_write_batch_maps_each_answer_back_to_its_write(account: Any, fake: FakeGraph) -> None:
    """JSON batching: one request for a mix of writes; answers come back shuffled and are mapped by id; one
    write losing to a user edit fails alone; a create whose key exists is refused without being sent."""
    sink = GraphReminderSink(account)
    a = sink.create(make_reminder("a"))
    b = sink.create(make_reminder("b"))
    c = sink.create(make_reminder("c"))
    fake.user_moves_event(b.href, T0 + timedelta(days=1))
    list(sink.list())
    fake.reset_counts()
    results = sink.write_batch(
        [
            Write("create", "n1", reminder=make_reminder("n1")),
            Write("update", "a", reminder=make_reminder("a", subject="changed"), href=a.href, etag=a.etag),
            Write("update", "b", reminder=make_reminder("b", subject="mine?"), href=b.href, etag=b.etag),
            Write("delete", "c", href=c.href, etag=c.etag),
            Write("create", "a", reminder=make_reminder("a")),
            Write("create", "n2", reminder=make_reminder("n2", subject="second new")),
        ]
    )
    assert fake.request_count() == 1 and fake.counts["batch:items"] == 5
    created1, updated, lost, deleted, refused, created2 = results
    assert (
        isinstance(created1, RemoteItem) and fake.events[created1.href]["subject"] == make_reminder("n1").subject
    )
    assert isinstance(updated, RemoteItem) and fake.events[a.href]["subject"] == "changed"
    assert updated.etag == fake.events[a.href]["@odata.etag"] != a.etag
    assert isinstance(lost, PreconditionFailed) and fake.events[b.href]["subject"] != "mine?"
    assert deleted is None and c.href not in fake.events
    assert isinstance(refused, PreconditionFailed) and refused.href == a.href
    assert isinstance(created2, RemoteItem) and fake.events[created2.href]["subject"] == "second new"
    assert sorted(i.key for i in sink.list()) == ["a", "b", "n1", "n2"]


def test_throttled_batch_items_are_sent_again_within_the_budget(
    fake: FakeGraph, server: Server, memory_keyring: Any, tmp_path: Path
) -> None:
    slept: list[float] = []
    account = connect(graph_config(tmp_path, fake, max_retry_wait_seconds=10), server, sleep=slept.append)
    seed_token(account, fake)
    sink = GraphReminderSink(account)
    list(sink.list())
    # the batch request passes; two of its four items are throttled once (Retry-After 3 s), then all pass
    fake.faults = Faults(methods=frozenset({"POST"}), retry_after="3", queue=[None, None, "throttle", None,
                                                                              "throttle"])  # type: ignore[list-item]  # fmt: skip
    results = sink.write_batch([Write("create", f"k{i}", reminder=make_reminder(f"k{i}")) for i in range(4)])
    assert all(isinstance(r, RemoteItem) for r in results) and slept == [3.0]
    assert fake.counts["batches"] == 2 and len(fake.ours(KEY_PROP)) == 4
    # when the budget is spent, what is still throttled comes back as Throttled, the rest as written
    fake.faults = Faults(methods=frozenset({"POST"}), retry_after="8", throttle=1.0, queue=[None, None])  # type: ignore[list-item]
    results = sink.write_batch([Write("create", f"t{i}", reminder=make_reminder(f"t{i}")) for i in range(3)])
    assert isinstance(results[0], RemoteItem)
    assert all(isinstance(r, Throttled) for r in results[1:])
    assert sum(slept) <= 10
