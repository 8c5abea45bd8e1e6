"""The fake Graph itself behaves as Graph documents (what tests/fakegraph/graphapi.py's docstring lists), so a
client mistake shows up as Graph's 400, 424 or 429 here and not first against Microsoft."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests

from tests.fakegraph.server import FakeGraph, Server


@pytest.fixture
def http(fake: FakeGraph, server: Server) -> requests.Session:
    token = fake.issue_tokens()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    server.on_close.append(session.close)
    return session


def _event(**extra: Any) -> dict[str, Any]:
    return {
        "subject": "s",
        "start": {"dateTime": "2026-12-01T09:00:00", "timeZone": "W. Europe Standard Time"},
        "end": {"dateTime": "2026-12-01T09:15:00", "timeZone": "W. Europe Standard Time"},
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"isOnlineMeeting": "false"}, "Cannot convert the literal 'false' to the expected type 'Edm.Boolean'."),
        ({"reminderMinutesBeforeStart": "15"}, "expected type 'Edm.Int32'"),
        ({"showAs": "invisible"}, "not a member of the enumeration 'microsoft.graph.freeBusyStatus'"),
        ({"colour": "red"}, "The property 'colour' does not exist on type 'microsoft.graph.event'."),
        (
            {"body": {"contentType": "text", "text": "x"}},
            "'text' does not exist on type 'microsoft.graph.itemBody'",
        ),
        ({"categories": "Follow-up"}, "A value of type 'Collection(Edm.String)' was expected"),
    ],
)
def test_bodies_are_checked_against_the_published_schema(
    http: requests.Session, server: Server, extra: dict[str, Any], message: str
) -> None:
    r = http.post(f"{server.url}v1.0/me/calendar/events", json=_event(**extra))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "RequestBodyRead" and message in r.json()["error"]["message"]
    assert http.post(f"{server.url}v1.0/me/calendar/events", json=_event()).status_code == 201


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("me/calendar/events?$select=id,colour", "Could not find a property named 'colour'"),
        ("me/calendar/events?$count=true&$frobnicate=1", "Query option '$frobnicate' is not allowed."),
        ("me/mailFolders/inbox/messages?$top=1001", "$top"),
        ("me/mailFolders/inbox/messages/delta?$orderby=subject", "receivedDateTime desc"),
        ("me/mailFolders/inbox/messages/delta?$filter=receivedDateTime le 2026-01-01T00:00:00Z", "ge|gt"),
        ("me/events?$expand=singleValueExtendedProperties($filter=id eq 'a' or id eq 'b')", "$expand"),
    ],
)
def test_query_options_are_checked(http: requests.Session, server: Server, path: str, fragment: str) -> None:
    r = http.get(f"{server.url}v1.0/{path}")
    assert r.status_code == 400 and fragment in r.json()["error"]["message"], r.text


def test_a_token_the_server_no_longer_accepts_is_401(
    http: requests.Session, server: Server, fake: FakeGraph
) -> None:
    assert http.get(f"{server.url}v1.0/me").status_code == 200
    fake.invalidate_access_tokens()
    r = http.get(f"{server.url}v1.0/me")
    assert r.status_code == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken"


def _batch(n: int, **extra: Any) -> dict[str, Any]:
    return {"requests": [{"id": str(i), "method": "GET", "url": "/me", **extra} for i in range(n)]}


def test_json_batching(http: requests.Session, server: Server, fake: FakeGraph) -> None:
    url = f"{server.url}v1.0/$batch"
    assert http.post(url, json=_batch(21)).status_code == 400  # at most 20
    assert http.post(url, json={"requests": [{"id": "1", "method": "GET", "url": "/me"}] * 2}).status_code == 400
    no_type = {"requests": [{"id": "1", "method": "POST", "url": "/me/calendar/events", "body": _event()}]}
    assert http.post(url, json=no_type).status_code == 400  # a body needs a Content-Type header
    r = http.post(url, json=_batch(20))
    ids = [x["id"] for x in r.json()["responses"]]
    assert (
        r.status_code == 200
        and sorted(ids, key=int) == [str(i) for i in range(20)]
        and ids != sorted(ids, key=int)
    )
    chained = {
        "requests": [
            {"id": "a", "method": "DELETE", "url": "/me/events/nope"},
            {"id": "b", "method": "GET", "url": "/me", "dependsOn": ["a"]},
        ]
    }
    statuses = {x["id"]: x["status"] for x in http.post(url, json=chained).json()["responses"]}
    assert statuses == {"a": 404, "b": 424}  # a failed dependency fails the request that depends on it


def test_outlook_runs_at_most_four_requests_at_once(
    http: requests.Session, server: Server, fake: FakeGraph
) -> None:
    fake.latency = 0.3  # every request holds its slot this long
    statuses: list[int] = []
    token = http.headers["Authorization"]

    def call() -> None:
        with requests.Session() as s:
            statuses.append(s.get(f"{server.url}v1.0/me", headers={"Authorization": token}).status_code)

    threads = [threading.Thread(target=call) for _ in range(7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) >= 4 and 429 in statuses
    assert fake.counts["peak_in_flight"] == 4
    # with four requests of the app running, every item of a batch is throttled on its own
    fake.latency = 0.0
    assert fake.acquire(4)
    answers = http.post(f"{server.url}v1.0/$batch", json=_batch(3)).json()["responses"]
    assert {a["status"] for a in answers} == {429}
    assert answers[0]["body"]["error"]["message"] == "Application is over its MailboxConcurrency limit."
    fake.release(4)
    assert {a["status"] for a in http.post(f"{server.url}v1.0/$batch", json=_batch(3)).json()["responses"]} == {
        200
    }
