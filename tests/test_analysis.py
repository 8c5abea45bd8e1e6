"""One reading of each message's text per pass, and the time budget that keeps one message from holding it.

Issue 11 point 3: quote stripping ran about 2.3 times per message, the auto-reply check twice and the
question detector twice for each sent message, because ``threads.to_meta`` and ``rules.find_followups`` each
read the body. Issue 10 item 1: a message whose analysis runs out of time is read no further, and the pass
logs its id (never its content) and goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from followup_sync import rules, sync, threads
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.text import analysis, zoning
from followup_sync.text.analysis import Analysis, Budget
from tests.factories import IDENTITY, JANE, REP, RULES, SCHEDULE, ZONE, at, received, sent
from tests.test_sync import T0, make_config
from tests.test_sync import received as received_in_pass
from tests.test_sync import sent as sent_in_pass

NOW = at("2026-11-25 12:00")


class Ticks:
    """A clock that moves ``step`` seconds every time it is read."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def detect_with(msg, reading: Analysis | None = None):  # type: ignore[no-untyped-def]
    meta = threads.to_meta(msg, "t-1", me=frozenset({REP}), bulk_recipients=15, tz=ZONE, analysis=reading)
    return meta, rules.find_followups(
        [msg], {msg.id: "t-1"}, [meta], [], identity=IDENTITY, rules=RULES, schedule=SCHEDULE, now=NOW,
        analyses={msg.id: reading} if reading is not None else None,
    )  # fmt: skip


def test_the_shared_reading_finds_what_separate_readings_find() -> None:
    mails = [
        sent(JANE, "Quote", "Hi Jane,\n\nAttached is our quote. Can you confirm by Friday? I'll call you Monday.",
             "2026-11-24 10:00", attachments=("quote.pdf",)),
        received(JANE, "Re: Quote", "Could you send the revised pricing?\n\nThanks,\nJane", "2026-11-24 11:00"),
        received(JANE, "Out of office", "I am out of the office until Monday, back on 11/30.", "2026-11-24 12:00",
                 headers=(("auto-submitted", "auto-replied"),)),
    ]  # fmt: skip
    options = rules.date_options(SCHEDULE)
    for msg in mails:
        assert detect_with(msg, Analysis(msg, tz=ZONE, options=options)) == detect_with(msg)


def test_each_part_is_computed_once() -> None:
    msg = sent(JANE, "Quote", "Hi Jane,\n\nCan you confirm the quote? I'll call you Monday.", "2026-11-24 10:00")
    calls: list[float] = []

    def clock() -> float:
        calls.append(0.0)
        return 0.0

    reading = Analysis(msg, tz=ZONE, options=rules.date_options(SCHEDULE), budget=Budget(1.0, clock=clock))
    detect_with(msg, reading)
    parts = len(calls) // 2  # the budget reads the clock before and after each part it runs
    detect_with(msg, reading)
    reading.text, reading.questions, reading.request, reading.promises, reading.auto_reply  # noqa: B018
    assert len(calls) // 2 == parts  # nothing was computed again


@pytest.fixture
def counted_zoning(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    bodies: list[str] = []
    real = zoning.author_text

    def counting(body: str, *, is_html: bool = False) -> str:
        bodies.append(body)
        return real(body, is_html=is_html)

    monkeypatch.setattr(zoning, "author_text", counting)
    yield bodies


def test_a_pass_zones_each_new_message_once(tmp_path: Path, counted_zoning: list[str]) -> None:
    mail = [
        sent_in_pass(1, "mark@acme.example", "Hi Mark,\n\nCan you send the PO? I'll call you Thursday.", T0),
        sent_in_pass(2, "priya@globex.example", "Hi Priya,\n\nAttached is the quote.", T0, attachments=("q.pdf",)),
        received_in_pass(3, "tom@initech.example", "Could you call me about the renewal?", T0, "Renewal"),
        received_in_pass(4, "ann@acme.example", "Thanks, got it.", T0, "Re: Rollout plan", reply_to="m1@x"),
    ]
    source = MemorySource(mail)
    config = make_config(tmp_path)
    sync.run_once(config, now=T0 + timedelta(minutes=5), mail=source, meetings=source, sink=MemorySink())
    assert sorted(counted_zoning) == sorted(m.body for m in mail)


def test_a_message_that_uses_up_its_budget_is_read_no_further() -> None:
    msg = sent(JANE, "Quote", "Hi Jane,\n\nCan you confirm the quote? I'll call you Monday.", "2026-11-24 10:00")
    # the clock moves 0.5 s between the two readings around each part, so each part "takes" half the 1 s
    # budget: zoning, then the auto-reply check (started with 0.5 s left, so it runs to its end); every later
    # part reads as "nothing found"
    reading = Analysis(msg, tz=ZONE, budget=Budget(1.0, clock=Ticks(0.5)))
    meta, found = detect_with(msg, reading)
    assert reading.text.startswith("Hi Jane") and reading.auto_reply is None
    assert set(reading.skipped) == {"offer", "questions", "chase", "promises", "order"}
    assert reading.promises == () and reading.questions == () and reading.request is None
    assert not meta.asked and found == []
    # the same message with time to spare: a promise and a question
    meta, found = detect_with(msg, Analysis(msg, tz=ZONE, budget=Budget(1.0, clock=lambda: 0.0)))
    assert meta.asked and sorted(f.kind for f in found) == ["awaiting_reply", "promise"]


def test_the_pass_logs_one_line_per_message_cut_short_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "the confidential merger terms"
    mail = [
        sent_in_pass(1, "mark@acme.example", f"Hi Mark,\n\nI'll call you Thursday about {secret}.", T0),
        received_in_pass(2, "tom@initech.example", f"Could you call me about {secret}?", T0, "Renewal"),
    ]
    source = MemorySource(mail)
    with caplog.at_level(logging.WARNING, logger="followup_sync"):
        result = sync.run_once(
            make_config(tmp_path), now=T0 + timedelta(minutes=5), mail=source, meetings=source, sink=MemorySink(),
            message_budget=0.0,
        )  # fmt: skip
    lines = [r.getMessage() for r in caplog.records if "text analysis stopped" in r.getMessage()]
    assert len(lines) == 2
    assert {"'m1@northwind.example'", "'r2@customer.example'"} == {line.split()[1].rstrip(":") for line in lines}
    assert not any(secret in r.getMessage() for r in caplog.records)
    assert result.stats.messages_read == 2 and not result.problems


def test_budget_defaults_to_the_module_setting() -> None:
    assert Budget().seconds == analysis.MESSAGE_BUDGET_SECONDS
