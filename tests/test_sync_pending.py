"""Conditional and joint promises through whole passes (issue 8): .eml mail, an .ics calendar, an .ics sink.

Each test runs ``sync.run_once`` from a config, as the rep's machine does, over several passes: the rep's mail
read in one pass, the contact's answer (or a meeting) in a later one, so what waits must survive in the state.
What the reminders file holds after each pass is the assertion. The promises are the real detector's
(``text.promises`` marks the sentences below conditional or joint).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followup_sync import config as configmod
from followup_sync.backends.ics import IcsReminderSink
from followup_sync.model import RemoteItem
from followup_sync.state import State
from followup_sync.sync import run_once

ME = "dana@northwind.example"
JANE = "jane@acme.example"
NY = ZoneInfo("America/New_York")
# The sentences these tests rely on the detector to mark (noted in /work/coord/INTERFACES.md).
CONDITIONAL_FRIDAY = "Let me know if the terms work and I'll sign on our side by Friday."
CONDITIONAL_TWO_DAYS = "Let me know if the terms work and I'll sign on our side within two days."
JOINT = "Let's speak Wednesday at 11."
NUMBERS = "You'll have the numbers within two days."


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NY)


class World:
    """A rep's machine: a folder of .eml files, a calendar export, the reminders file and the state."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "mail").mkdir()
        self.calendar = root / "calendar.ics"
        self.events: list[str] = []
        self.write_calendar()
        self.config = configmod.parse(
            {
                "identity": {"addresses": [ME], "timezone": "America/New_York", "name": "Dana Scott"},
                "mail": {"backend": "eml", "path": str(root / "mail")},
                "meetings": {"backend": "ics", "path": str(self.calendar)},
                "reminders": {"backend": "ics", "path": str(root / "reminders.ics")},
                "state": {"path": str(root / "state.db")},
            }
        )

    def mail(
        self, name: str, *, sender: str, to: str, when: str, subject: str, body: str, reply_to: str = ""
    ) -> None:
        sent = local(when).strftime("%a, %d %b %Y %H:%M:%S %z")
        head = f"Message-ID: <{name}@test>\r\nDate: {sent}\r\nFrom: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        if reply_to:
            head += f"In-Reply-To: <{reply_to}@test>\r\nReferences: <{reply_to}@test>\r\n"
        head += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        (self.root / "mail" / f"{name}.eml").write_bytes((head + body.replace("\n", "\r\n") + "\r\n").encode())

    def meeting(self, uid: str, start: str, end: str, subject: str) -> None:
        fmt = "%Y%m%dT%H%M%S"
        self.events.append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
            f"DTSTART;TZID=America/New_York:{local(start).strftime(fmt)}\r\n"
            f"DTEND;TZID=America/New_York:{local(end).strftime(fmt)}\r\nSUMMARY:{subject}\r\n"
            f"ORGANIZER:mailto:{ME}\r\nATTENDEE:mailto:{JANE}\r\nEND:VEVENT\r\n"
        )
        self.write_calendar()

    def write_calendar(self) -> None:
        body = "".join(self.events)
        self.calendar.write_text(
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n"
        )

    def sync(self, when: str) -> list[RemoteItem]:
        """One pass at local time ``when``; the reminders in the file after it, by start."""
        result = run_once(self.config, now=local(when).astimezone(ZoneInfo("UTC")))
        assert not result.problems
        return sorted(IcsReminderSink(self.root / "reminders.ics").list(), key=lambda r: (r.start or 0, r.key))

    def pending(self) -> list[str]:
        with State.open(self.root / "state.db") as state:
            return [p.followup.evidence for p in state.pending_promises()]

    def open_kinds(self) -> list[str]:
        with State.open(self.root / "state.db") as state:
            return sorted(r.followup.kind for r in state.followups(status="open"))


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def ask(world: World, sentence: str) -> None:
    """Monday 30 November 2026, 10:00: the rep's conditional promise to Jane."""
    body = f"Hi Jane,\n\nHere are the terms we discussed. {sentence}\n\nBest,\nDana"
    world.mail("ask", sender=ME, to=JANE, when="2026-11-30 10:00", subject="Contract terms", body=body)


def answer(world: World, when: str, text: str, name: str = "answer") -> None:
    body = f"Hi Dana,\n\n{text}\n\nJane\n\n> {CONDITIONAL_FRIDAY}"
    world.mail(name, sender=JANE, to=ME, when=when, subject="RE: Contract terms", body=body, reply_to="ask")


def starts(items: list[RemoteItem]) -> list[tuple[str, str]]:
    """(local start, subject's first words) of each reminder."""
    return [
        (
            r.start.astimezone(NY).strftime("%a %d %H:%M") if r.start else "",
            " ".join((r.subject or "").split()[:3]),
        )
        for r in items
    ]


# --- conditional promises -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "due"),
    [
        # "within two days" of Wednesday's reply: Friday (of Monday's mail it would have been Wednesday)
        (CONDITIONAL_TWO_DAYS, "Fri 04 09:00"),
        # "by Friday" read at Thursday's reply is the next day, as written then
        (CONDITIONAL_FRIDAY, "Fri 04 09:00"),
    ],
)
def test_the_contacts_acceptance_turns_the_pending_promise_into_a_reminder_from_the_reply(
    world: World, sentence: str, due: str
) -> None:
    ask(world, sentence)
    first = world.sync("2026-11-30 10:30")
    assert [s for _, s in starts(first)] == ["No reply from"]  # the question, awaiting_reply
    assert world.pending() == [sentence]
    answer(
        world, "2026-12-02 09:00" if "two days" in sentence else "2026-12-03 09:00", "Yes, the terms work for us."
    )
    later = world.sync("2026-12-03 10:00")
    assert [when for when, _ in starts(later)] == [due]
    assert world.open_kinds() == ["promise"] and world.pending() == []
    [item] = later
    assert item.subject is not None and "No reply" not in item.subject
    again = world.sync("2026-12-03 10:05")
    assert [r.key for r in again] == [item.key]  # the next pass keeps it


def test_a_first_pass_over_mail_that_already_holds_the_acceptance_makes_it_live_at_once(world: World) -> None:
    ask(world, CONDITIONAL_TWO_DAYS)
    answer(world, "2026-12-02 09:00", "Looks good to us.")
    [item] = world.sync("2026-12-02 10:00")
    assert starts([item])[0][0] == "Fri 04 09:00"
    assert world.open_kinds() == ["promise"] and world.pending() == []


def test_no_answer_means_no_promise_reminder_only_the_awaiting_reply(world: World) -> None:
    ask(world, CONDITIONAL_FRIDAY)
    world.sync("2026-11-30 10:30")
    items = world.sync("2026-12-04 11:00")  # Friday: the promise would have been due; the question is overdue
    assert [s for _, s in starts(items)] == ["OVERDUE: No reply"]
    assert world.open_kinds() == ["awaiting_reply"]
    assert world.pending() == [CONDITIONAL_FRIDAY]  # still waiting, across passes


@pytest.mark.parametrize(
    "reply", ["Unfortunately the terms don't work for us.", "Could you explain clause 4 before we go on?"]
)
def test_a_decline_or_a_question_does_not_create_the_promise(world: World, reply: str) -> None:
    ask(world, CONDITIONAL_FRIDAY)
    world.sync("2026-11-30 10:30")
    answer(world, "2026-12-01 09:00", reply)
    items = world.sync("2026-12-01 10:00")
    assert "promise" not in world.open_kinds()
    assert all("No reply" not in (r.subject or "") for r in items)  # the question was answered
    assert world.pending() == [CONDITIONAL_FRIDAY]  # a later yes could still make it live


# --- joint follow-ups ----------------------------------------------------------------------------------------


def propose(world: World, sentence: str = JOINT) -> None:
    body = f"Hi Jane,\n\nThanks for the notes. {sentence}\n\nDana"
    world.mail("joint", sender=ME, to=JANE, when="2026-11-30 10:00", subject="Rollout", body=body)


@pytest.mark.parametrize(
    ("sentence", "when"),
    [
        (JOINT, "2026-12-02 11:00"),
        (NUMBERS, "2026-12-02 09:00"),  # a date-only deadline: the start of that working day
    ],
)
def test_a_joint_follow_up_with_a_time_is_reminded_at_that_time(world: World, sentence: str, when: str) -> None:
    propose(world, sentence)
    [item] = world.sync("2026-11-30 10:30")
    assert item.start is not None and item.start.astimezone(NY) == local(when)
    assert world.open_kinds() == ["promise"]


def test_a_meeting_with_the_contact_around_that_time_means_no_reminder(world: World) -> None:
    world.meeting("rollout-call@test", "2026-12-02 11:00", "2026-12-02 11:30", "Rollout call")
    propose(world)
    assert world.sync("2026-11-30 10:30") == []


def test_a_meeting_put_in_the_calendar_later_closes_the_joint_reminder(world: World) -> None:
    propose(world)
    assert len(world.sync("2026-11-30 10:30")) == 1
    world.meeting("rollout-call@test", "2026-12-01 15:00", "2026-12-01 15:30", "Rollout call")  # the day before
    assert world.sync("2026-11-30 12:00") == []


def test_a_meeting_a_week_later_does_not_cover_it(world: World) -> None:
    world.meeting("later@test", "2026-12-09 11:00", "2026-12-09 11:30", "Later call")
    propose(world)
    assert len(world.sync("2026-11-30 10:30")) == 1


def test_a_dry_run_plans_no_pending_promise_and_keeps_none(world: World) -> None:
    ask(world, CONDITIONAL_FRIDAY)
    result = run_once(world.config, now=local("2026-11-30 10:30").astimezone(ZoneInfo("UTC")), dry_run=True)
    assert [f.kind for f in result.followups.values()] == ["awaiting_reply"]
    assert not (world.root / "state.db").exists() or world.pending() == []


# --- what the rep sees of a waiting promise ------------------------------------------------------------------


def _config_file(world: World) -> Path:
    path = world.root / "config.toml"
    path.write_text(
        f'[identity]\naddresses = ["{ME}"]\ntimezone = "America/New_York"\nname = "Dana Scott"\n'
        f'[mail]\nbackend = "eml"\npath = "{world.root / "mail"}"\n'
        f'[meetings]\nbackend = "ics"\npath = "{world.calendar}"\n'
        f'[reminders]\nbackend = "ics"\npath = "{world.root / "reminders.ics"}"\n'
        f'[state]\npath = "{world.root / "state.db"}"\n'
    )
    return path


def test_a_waiting_promise_is_in_the_plan_json_and_in_list(world: World) -> None:
    import json

    from click.testing import CliRunner

    from followup_sync import report
    from followup_sync.cli import cli

    ask(world, CONDITIONAL_FRIDAY)
    now = local("2026-11-30 10:30").astimezone(ZoneInfo("UTC"))
    result = run_once(world.config, now=now)
    plan = report.to_json(result)
    assert [p["followup"]["evidence"] for p in plan["pending"]] == [CONDITIONAL_FRIDAY]
    assert plan["pending"][0]["followup"]["contacts"] == [JANE] and plan["pending"][0]["waits_on"] == "contact"
    assert "1 conditional promise waiting on the contact's yes" in report.table(result)
    # the reminders are the awaiting_reply one only: the promise itself has none until Jane accepts
    assert [a["followup"]["kind"] for a in plan["actions"]] == ["awaiting_reply"]

    config = _config_file(world)
    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["list", "--config", str(config), "--format", "json"]).output)
    waiting = [row for row in listed if row["state"] == "waiting on contact"]
    assert [row["evidence"] for row in waiting] == [CONDITIONAL_FRIDAY]
    assert waiting[0]["reminder"] is None and waiting[0]["kind"] == "promise"
    table = runner.invoke(cli, ["list", "--config", str(config)]).output
    assert "Waiting on the contact's yes" in table and "Let me know if the terms work" in table


def test_a_dry_run_shows_the_promise_it_would_keep_waiting(world: World) -> None:
    from followup_sync import report

    ask(world, CONDITIONAL_FRIDAY)
    result = run_once(world.config, now=local("2026-11-30 10:30").astimezone(ZoneInfo("UTC")), dry_run=True)
    assert [p["followup"]["evidence"] for p in report.to_json(result)["pending"]] == [CONDITIONAL_FRIDAY]


def test_an_accepted_promise_is_no_longer_shown_as_waiting(world: World) -> None:
    from followup_sync import report

    ask(world, CONDITIONAL_FRIDAY)
    world.sync("2026-11-30 10:30")
    answer(world, "2026-12-02 09:00", "Yes, the terms work.")
    result = run_once(world.config, now=local("2026-12-02 09:30").astimezone(ZoneInfo("UTC")))
    assert report.to_json(result)["pending"] == []
    assert world.open_kinds() == ["promise"]
