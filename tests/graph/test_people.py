"""Outlook contacts name people on Graph (issue 12, item 1), only when the rep turns them on: least privilege."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.backends.graphmail import contacts_cache
from followup_sync.config import BackendSection, Config
from followup_sync.credentials import CONTACTS_SCOPE, scopes_for, wants_contacts
from followup_sync.sync import run_once
from tests.fakegraph.server import FakeGraph

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)
MARK = "mark.chen@acme.example"


def _run(config: Config, account: Any, *, contacts: bool, now: datetime = NOW) -> Any:
    folder = config.state_path.parent
    backends = {
        "mail": GraphMailSource(account, state_file=folder / "graph-delta.json",
                                contacts_file=contacts_cache(config) if contacts else None),
        "meetings": GraphMeetingSource(account, cache_file=folder / "graph-calendar.json"),
        "sink": GraphReminderSink(account, cache_file=folder / "graph-calendar.json"),
    }  # fmt: skip
    try:
        return run_once(config, now=now, **backends)
    finally:
        for b in backends.values():
            b.close()


def _promise(fake: FakeGraph) -> None:
    fake.add_message("sentitems", sender=fake.user, to=[MARK], subject="Rollout plan",
                     body="Hi Mark,\n\nI'll call you Thursday at 2pm about the rollout.\n\nRita",
                     sent=NOW - timedelta(days=1))  # fmt: skip


def _reminders(fake: FakeGraph) -> list[dict[str, Any]]:
    return [e for e in fake.events.values() if e.get("categories") == ["Follow-up"]]


def test_outlook_contact_names_the_person_and_gives_the_number(
    fake: FakeGraph, config: Config, account: Any
) -> None:
    fake.add_contact("Mark Chen", [MARK], company="Acme Corporation", business=["+1 617 555 0100"],
                     mobile="(617) 555-0199")  # fmt: skip
    _promise(fake)
    _run(config, account, contacts=True)
    [event] = _reminders(fake)
    assert event["subject"] == "Call Mark Chen (Acme Corporation) - Rollout plan"
    assert "tel:+16175550199" in event["body"]["content"]
    assert event["body"]["content"].count("https://outlook.office365.com/owa/?ItemID=") == 1  # the webLink
    reads = [p for _m, p, _b in fake.http if p.endswith("/me/contacts")]
    assert len(reads) == 1
    _run(config, account, contacts=True, now=NOW + timedelta(minutes=5))  # read once a day, not every pass
    assert len([p for _m, p, _b in fake.http if p.endswith("/me/contacts")]) == 1


def test_contacts_are_not_read_unless_turned_on(fake: FakeGraph, config: Config, account: Any) -> None:
    fake.add_contact("Mark Chen", [MARK], company="Acme Corporation", mobile="(617) 555-0199")
    _promise(fake)
    _run(config, account, contacts=False)
    assert not [p for _m, p, _b in fake.http if p.endswith("/me/contacts")]
    [event] = _reminders(fake)
    assert event["subject"] == "Call Mark Chen (Acme) - Rollout plan"  # from the address and the domain
    assert "tel:" not in event["body"]["content"]


def test_login_asks_for_contacts_read_only_when_turned_on(config: Config, account: Any) -> None:
    assert not wants_contacts(config)
    assert not any(s.endswith(CONTACTS_SCOPE) for s in scopes_for(account))
    on = replace(config, mail=BackendSection(role="mail", backend="graph", options={"contacts": True}))
    assert wants_contacts(on)
    assert any(s.endswith("/" + CONTACTS_SCOPE) for s in scopes_for(account, contacts=True))


def test_a_token_without_contacts_read_is_one_warning_not_a_failed_pass(
    fake: FakeGraph, config: Config, account: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake.contacts_denied = True
    _promise(fake)
    with caplog.at_level(logging.WARNING, logger="followup_sync"):
        result = _run(config, account, contacts=True)
    assert not result.problems and len(_reminders(fake)) == 1
    assert any("Contacts.Read" in r.getMessage() for r in caplog.records)
