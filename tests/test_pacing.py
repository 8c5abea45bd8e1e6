"""No floods (issue 12, item 5): at most ``[reminders] max_new_per_day`` new reminders a day, the most valuable
first, the rest queued for the next working days (shown in ``list`` and the JSON plan); and the optional
``digest``: one morning appointment listing the day's follow-ups."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from followup_sync import config as configmod
from followup_sync import pacing
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.cli import cli
from followup_sync.config import Schedule
from followup_sync.errors import ConfigError
from followup_sync.model import FollowUp, Message
from followup_sync.pacing import release_days
from followup_sync.sync import run_once
from tests.factories import make_config

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # Friday 10:00 in New York
REP = "dana@northwind.example"
# shared/ lies beside the checkout (CI, /work/main), or beside the folder of worktrees
CORPUS = next(
    (p / "shared" / "corpus" / "enron-blair-l" for p in Path(__file__).resolve().parents[2:4]
     if (p / "shared" / "corpus" / "enron-blair-l").is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l",
)  # fmt: skip


def _f(key: str, kind: str, *, has_time: bool = False, hours: int = 24) -> FollowUp:
    due = NOW + timedelta(hours=hours)
    return FollowUp(key=key, kind=kind, origin_id=key, thread_key=key, contacts=("x@acme.example",), due=due,  # type: ignore[arg-type]
                    evidence="e", thread_subject="s", created_at=NOW, due_has_time=has_time)  # fmt: skip


def test_the_most_valuable_go_first_and_the_rest_wait_for_the_next_working_days() -> None:
    found = [
        _f("recap", "meeting_recap", hours=1),
        _f("chase", "awaiting_reply", hours=2),
        _f("later-call", "promise", has_time=True, hours=48),
        _f("question", "unanswered_inbound", hours=30),
        _f("call", "promise", has_time=True, hours=5),
        _f("undated", "promise", hours=3),
    ]
    starts = {f.key: f.due for f in found}
    days = release_days(
        found, starts=starts, released_today=1, cap=2, today=date(2026, 11, 20), schedule=Schedule()
    )
    assert days == {
        "call": date(2026, 11, 20),  # promises with a time first, the earliest first; one slot left today
        "later-call": date(2026, 11, 23),  # Friday is full: Monday
        "question": date(2026, 11, 23),  # then questions from customers
        "undated": date(2026, 11, 24),  # then the rest, earliest reminder first
        "chase": date(2026, 11, 24),
        "recap": date(2026, 11, 25),
    }


def test_of_those_reminded_at_one_time_the_longest_waiting_goes_first() -> None:
    found = [_f("newer", "awaiting_reply", hours=-24), _f("older", "awaiting_reply", hours=-96)]
    starts = {f.key: NOW for f in found}  # both overdue: both at the next working slot
    days = release_days(
        found, starts=starts, released_today=0, cap=1, today=date(2026, 11, 20), schedule=Schedule()
    )
    assert days == {"older": date(2026, 11, 20), "newer": date(2026, 11, 23)}


def _promises(n: int) -> list[Message]:
    out = []
    for i in range(n):
        sent = NOW - timedelta(hours=20 - i)
        text = f"Hi,\n\nI'll call you on Tuesday at {9 + i % 8}am about the order.\n\nDana"
        if i % 3 == 2:
            text = "Hi,\n\nI'll get back to you on the pricing.\n\nDana"
        out.append(Message(id=f"m{i}@northwind.example", sender=REP, to=(f"c{i}@client{i}.example",), cc=(),
                           subject=f"Order {i}", sent_at=sent, body=text))  # fmt: skip
    return out


def test_a_first_pass_creates_at_most_the_daily_cap_and_queues_the_rest(tmp_path: Path) -> None:
    config = make_config(tmp_path, addresses=(REP,), reminders={"max_new_per_day": 5})
    source, sink = MemorySource(_promises(12)), MemorySink()
    first = run_once(config, now=NOW, mail=source, meetings=source, sink=sink)
    assert first.stats.created == 5 and len(sink.items) == 5
    assert len(first.queued) == 7 and set(first.queued.values()) == {date(2026, 11, 23), date(2026, 11, 24)}
    reminded = [first.followups[rem.key] for rem, _ in sink.items.values()]
    assert all(f.due_has_time for f in reminded)  # the calls with a time went first
    # the same day: nothing more, however often it runs; the next working day: the next five
    again = run_once(config, now=NOW + timedelta(hours=3), mail=source, meetings=source, sink=sink)
    assert again.stats.created == 0 and len(again.queued) == 7
    monday = run_once(config, now=NOW + timedelta(days=3), mail=source, meetings=source, sink=sink)
    assert monday.stats.created == 5 and len(monday.queued) == 2


def test_the_queue_is_in_the_json_plan_and_in_list(tmp_path: Path) -> None:
    runner = CliRunner()
    mbox = tmp_path / "mail"
    (mbox / "cur").mkdir(parents=True)
    (mbox / "new").mkdir()
    (mbox / "tmp").mkdir()
    for i, m in enumerate(_promises(10)):
        raw = (f"From: Dana <{REP}>\r\nTo: {m.to[0]}\r\nSubject: {m.subject}\r\nMessage-ID: <{m.id}>\r\n"
               f"Date: {m.sent_at.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n{m.body}\r\n")  # fmt: skip
        (mbox / "cur" / f"{i}.eml:2,S").write_text(raw)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[identity]\naddresses = ["{REP}"]\ntimezone = "America/New_York"\n[mail]\nbackend = "maildir"\n'
        f'path = "{mbox}"\n[meetings]\nbackend = "none"\n[reminders]\nbackend = "ics"\n'
        f'path = "{tmp_path / "r.ics"}"\nmax_new_per_day = 4\n[state]\npath = "{tmp_path / "state.db"}"\n'
    )
    result = runner.invoke(cli, ["sync", "--config", str(path), "--now", NOW.isoformat(), "--format", "json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert len([a for a in plan["actions"] if a["op"] == "create"]) == 4
    assert len(plan["queued"]) == 6
    assert {q["queued_until"] for q in plan["queued"]} == {"2026-11-23", "2026-11-24"}
    assert all(set(q["followup"]) >= {"id", "kind", "contacts", "due", "evidence"} for q in plan["queued"])
    listed = runner.invoke(cli, ["list", "--config", str(path), "--now", NOW.isoformat(), "--format", "json"])
    rows = json.loads(listed.output)
    assert sum(r["state"] == "queued" for r in rows) == 6 and sum(r["state"] == "reminded" for r in rows) == 4
    table = runner.invoke(cli, ["list", "--config", str(path), "--now", NOW.isoformat()]).output
    assert "queued to Mon 11-23" in table and "6 queued" in table


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"max_new_per_day": 0}, "reminders.max_new_per_day: must be a whole number from 1 to 500"),
        ({"max_new_per_day": "8"}, "reminders.max_new_per_day: must be a whole number from 1 to 500"),
        ({"digest": "yes"}, "reminders.digest: must be true or false"),
    ],
)
def test_reminders_settings_are_validated(tmp_path: Path, section: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_config(tmp_path, reminders=section)
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems


def test_the_example_config_documents_and_sets_the_defaults() -> None:
    text = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text()
    assert "max_new_per_day = 8" in text and "digest = false" in text
    assert configmod.Pacing() == configmod.Pacing(max_new_per_day=8, digest=False)


def test_digest_is_one_morning_appointment_a_day_listing_its_follow_ups(tmp_path: Path) -> None:
    config = make_config(tmp_path, addresses=(REP,), reminders={"digest": True, "max_new_per_day": 20})
    source, sink = MemorySource(_promises(6)), MemorySink()
    first = run_once(config, now=NOW, mail=source, meetings=source, sink=sink)
    assert not first.problems
    digests = sorted(sink.items.values(), key=lambda i: i[0].start)
    assert len(digests) == 2  # Tuesday's calls and Monday's "get back to you" (2 business days later)
    monday, tuesday = (rem for rem, _ in digests)
    assert monday.start == datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert tuesday.start == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    assert tuesday.subject.startswith("4 follow-ups: ") and len(tuesday.subject) <= 60
    assert tuesday.body.count("Call ") == 4 and "You wrote: “I'll call you on Tuesday at 9am" in tuesday.body
    # a call is answered: Tuesday's digest is updated, not doubled
    reply = Message(id="r0@x", sender=REP, to=("c0@client0.example",), cc=(), subject="Re: Order 0",
                    sent_at=NOW + timedelta(hours=1), body="Done, see attached.")  # fmt: skip
    source.message_list.append(reply)
    second = run_once(config, now=NOW + timedelta(hours=2), mail=source, meetings=source, sink=sink)
    assert second.stats.updated == 1 and second.stats.created == 0
    assert sorted(rem.subject for rem, _ in sink.items.values())[1].startswith("3 follow-ups: ")
    # the rep deletes Monday's digest: gone for that day, and its follow-up stays open for the next morning
    del sink.items[next(h for h, (rem, _) in sink.items.items() if rem.start == monday.start)]
    third = run_once(config, now=NOW + timedelta(hours=3), mail=source, meetings=source, sink=sink)
    assert third.stats.created == 0 and len(sink.items) == 1
    assert third.stats.followups_open == 5


class _OwnDomainOnly(configmod.Identity):
    """Lynn Blair's mail is almost all to Enron colleagues: read them as contacts (as
    benchmarks/pipeline_bench.py --colleagues-are-contacts does), so that a first pass finds dozens."""

    @property
    def domains(self) -> tuple[str, ...]:
        return ("rep.invalid",)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the Enron corpus is not at {CORPUS} (shared/corpus)")
def test_first_pass_over_lynn_blairs_mailbox_creates_at_most_the_cap_that_day(tmp_path: Path) -> None:
    from dataclasses import replace

    from followup_sync import report

    config = configmod.parse({
        "identity": {"addresses": ["lynn.blair@enron.com"], "timezone": "America/Chicago"},
        "mail": {"backend": "maildir", "path": str(CORPUS)}, "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp_path / "r.ics")},
        "state": {"path": str(tmp_path / "state.db")}, "rules": {"lookback_days": 400},
    })  # fmt: skip
    config = replace(config, identity=_OwnDomainOnly(("lynn.blair@enron.com",), "America/Chicago"))
    now = datetime.fromisoformat("2001-10-03T09:00:00-06:00")  # a Wednesday morning
    first = run_once(config, now=now)
    plan = report.to_json(first)
    created = [a for a in plan["actions"] if a["op"] == "create"]
    assert len(created) == first.stats.created == 8  # the default [reminders] max_new_per_day
    assert len(plan["queued"]) > 0 and all(q["queued_until"] > "2001-10-03" for q in plan["queued"])
    assert min(q["queued_until"] for q in plan["queued"]) == "2001-10-04"  # the next working day
    ics = icalendar.Calendar.from_ical((tmp_path / "r.ics").read_bytes())
    assert len(list(ics.walk("VEVENT"))) == 8
    # the most valuable went first: none of the queued ranks above one let through
    made = {a["followup"]["id"] for a in created}
    starts = {a["followup"]["id"]: datetime.fromisoformat(a["reminder"]["start"]) for a in created}
    worst = max(pacing.value(first.followups[k], starts[k])[0] for k in made)
    assert all(pacing.value(first.followups[q["followup"]["id"]], now)[0] >= worst for q in plan["queued"])
    if os.environ.get("FOLLOWUP_SYNC_FIGURES"):
        print(f"blair first pass at {now}: {len(created)} created, {len(plan['queued'])} queued")
    # the same day again: nothing more; the next working day: the next ones, eight at most
    assert run_once(config, now=now + timedelta(hours=4)).stats.created == 0
    assert 0 < run_once(config, now=now + timedelta(days=1)).stats.created <= 8
