"""The rep's answers on every calendar backend (issue 12, item 3 and 4): done / dismiss / snooze from the
command line and from the calendar (each word as a category and as a subject prefix; a deleted reminder
dismisses and teaches nothing), mute by contact and domain, unmute, and "not a promise" learning (from the
command line and from the calendar), each on the .ics sink, CalDAV (a real Radicale) and Outlook (the real O365
library against the fake Graph): the ``world`` fixture runs every test once per calendar."""

from __future__ import annotations

import base64
import itertools
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import icalendar
import pytest
from click.testing import CliRunner

from followup_sync.backends.memory import MemorySource
from followup_sync.cli import cli
from followup_sync.config import Config
from followup_sync.model import Message, RemoteItem
from followup_sync.preferences import calendar_answer
from followup_sync.state import State
from followup_sync.sync import PassResult, run_once
from tests import crashlab
from tests.fakegraph.fixtures import account, config, fake, server

__all__ = ["account", "config", "fake", "server"]  # the fake Graph's fixtures, for the Outlook calendar

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
REP = "dana@northwind.example"
MARK, MIA = "mark.chen@acme.example", "mia.ross@acme.example"
TOM = "tom.baker@initech.example"
_n = itertools.count(1)


def promise(to: str, text: str, *, hours_ago: float = 2, subject: str = "Rollout plan") -> Message:
    n = next(_n)
    return Message(id=f"p{n}@northwind.example", sender=REP, to=(to,), cc=(), subject=f"{subject} {n}",
                   sent_at=NOW - timedelta(hours=hours_ago), body=f"Hi,\n\n{text}\n\nDana")  # fmt: skip


class Calendar(Protocol):
    """One sink under test, and what a rep does to our reminders in it."""

    def sink(self) -> Any: ...
    def reminders(self) -> dict[str, tuple[datetime, str]]: ...  # key -> (start, subject)
    def categorise(self, key: str, category: str) -> None: ...
    def prefix(self, key: str, word: str) -> None: ...
    def delete(self, key: str) -> None: ...


# --- the three calendars ------------------------------------------------------------------------------------


@dataclass
class IcsCalendar:
    path: Path

    def sink(self) -> Any:
        from followup_sync.backends.ics import IcsReminderSink

        return IcsReminderSink(self.path)

    def _cal(self) -> icalendar.Calendar:
        return icalendar.Calendar.from_ical(self.path.read_bytes())

    def reminders(self) -> dict[str, tuple[datetime, str]]:
        if not self.path.exists():
            return {}
        return {
            str(e["UID"]).split("@")[0]: (e["DTSTART"].dt, str(e["SUMMARY"])) for e in self._cal().walk("VEVENT")
        }

    def _edit(self, key: str, change: Any) -> None:
        cal = self._cal()
        for e in cal.walk("VEVENT"):
            if str(e["UID"]) == f"{key}@followup-sync":
                change(e)
        self.path.write_bytes(cal.to_ical())  # what a calendar app does: it rewrites the file

    def categorise(self, key: str, category: str) -> None:
        def change(e: Any) -> None:
            e.pop("CATEGORIES")
            e.add("CATEGORIES", ["Follow-up", category])

        self._edit(key, change)

    def prefix(self, key: str, word: str) -> None:
        def change(e: Any) -> None:
            e["SUMMARY"] = icalendar.vText(f"{word}: {e['SUMMARY']}")

        self._edit(key, change)

    def delete(self, key: str) -> None:
        cal = self._cal()
        cal.subcomponents = [c for c in cal.subcomponents if str(c.get("UID")) != f"{key}@followup-sync"]
        self.path.write_bytes(cal.to_ical())


@dataclass
class CaldavCalendar:
    url: str
    config: Config

    def sink(self) -> Any:
        from followup_sync.backends.caldav import CaldavReminderSink

        section = type(self.config.reminders)(role="reminders", backend="caldav", options={
            "url": self.url, "username": crashlab.USER, "allow_insecure_http": True})  # fmt: skip
        return CaldavReminderSink.from_config(section, self.config)

    def _items(self) -> Iterator[tuple[str, str, bytes]]:
        sink = self.sink()
        try:
            yield from list(sink.collection.query())
        finally:
            sink.close()

    def reminders(self) -> dict[str, tuple[datetime, str]]:
        out = {}
        for _href, _etag, data in self._items():
            e = next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))
            out[str(e["UID"]).split("@")[0]] = (e["DTSTART"].dt, str(e["SUMMARY"]))
        return out

    def _edit(self, key: str, change: Any) -> None:
        for href, _etag, data in self._items():
            cal = icalendar.Calendar.from_ical(data)
            e = next(iter(cal.walk("VEVENT")))
            if str(e["UID"]) == f"{key}@followup-sync":
                change(e)
                token = base64.b64encode(f"{crashlab.USER}:{crashlab.PASSWORD}".encode()).decode()
                req = urllib.request.Request(href, data=cal.to_ical(), method="PUT", headers={
                    "Authorization": f"Basic {token}", "Content-Type": "text/calendar"})  # fmt: skip
                with urllib.request.urlopen(req, timeout=5) as resp:
                    assert resp.status in (200, 201, 204)
                return
        raise KeyError(key)

    def delete(self, key: str) -> None:
        for href, _etag, data in self._items():
            if f"UID:{key}@followup-sync" in data.decode():
                token = base64.b64encode(f"{crashlab.USER}:{crashlab.PASSWORD}".encode()).decode()
                req = urllib.request.Request(href, method="DELETE", headers={"Authorization": f"Basic {token}"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    assert resp.status in (200, 204)
                return
        raise KeyError(key)

    categorise = IcsCalendar.categorise
    prefix = IcsCalendar.prefix


@dataclass
class GraphCalendar:
    fake: Any
    account: Any
    folder: Path
    opened: list[Any] = field(default_factory=list)

    def sink(self) -> Any:
        from followup_sync.backends.graph import GraphReminderSink

        return GraphReminderSink(self.account, cache_file=self.folder / "graph-calendar.json")

    def _ours(self) -> dict[str, dict[str, Any]]:
        from tests.fakegraph.fixtures import events_by_key

        return events_by_key(self.fake)

    def reminders(self) -> dict[str, tuple[datetime, str]]:
        return {k: (e["_start"], str(e["subject"])) for k, e in self._ours().items()}

    def categorise(self, key: str, category: str) -> None:
        ev = self._ours()[key]
        ev["categories"] = [*ev.get("categories", []), category]  # Outlook: Categorize > Done
        self.fake.bump_etag(ev)

    def prefix(self, key: str, word: str) -> None:
        ev = self._ours()[key]
        ev["subject"] = f"{word}: {ev['subject']}"
        self.fake.bump_etag(ev)

    def delete(self, key: str) -> None:
        self.fake.user_deletes_event(self._ours()[key]["id"])


# --- the world: one rep, one calendar, the CLI on the same state --------------------------------------------


@dataclass
class World:
    config_path: Path
    config: Config
    calendar: Calendar
    mail: MemorySource

    def run(self, now: datetime = NOW) -> PassResult:
        sink = self.calendar.sink()
        try:
            result = run_once(self.config, now=now, mail=self.mail, meetings=MemorySource(), sink=sink)
        finally:
            sink.close()
        from followup_sync.control.learning import learn_after_pass

        learn_after_pass(self.config.state_path, now=now)
        assert not result.problems, result.problems
        return result

    def cli(self, *args: str, now: datetime = NOW) -> str:
        result = CliRunner().invoke(cli, [*args, "--config", str(self.config_path), "--now", now.isoformat()])
        assert result.exit_code == 0, result.output
        return result.output

    def key_of(self, contact: str, kind: str = "promise") -> str:
        with State.snapshot(self.config.state_path) as state:
            found = [r.followup.key for r in state.followups() if contact in r.followup.contacts
                     and r.followup.kind == kind]  # fmt: skip
        assert len(found) == 1, found
        return found[0]

    def key_of_origin(self, origin: str) -> str:
        with State.snapshot(self.config.state_path) as state:
            [key] = [r.followup.key for r in state.followups() if r.followup.origin_id == origin]
        return key

    def status(self, key: str) -> tuple[str, str | None]:
        with State.snapshot(self.config.state_path) as state:
            [rec] = state.followups(keys=[key])
        return rec.status, rec.closed_reason


def _write_config(tmp_path: Path, reminders: dict[str, Any]) -> tuple[Path, Config]:
    from followup_sync import config as configmod

    lines = [
        "[identity]", f'addresses = ["{REP}"]', 'timezone = "America/New_York"', 'name = "Dana Reyes"',
        "[mail]", 'backend = "none"', "[meetings]", 'backend = "none"', "[reminders]",
        *(f"{k} = {v!r}".replace("'", '"') if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
          for k, v in reminders.items()),
        "[state]", f'path = "{tmp_path / "state.db"}"',
    ]  # fmt: skip
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, configmod.load(path)


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with crashlab.radicale(tmp_path_factory.mktemp("radicale")) as base:
        yield base


@pytest.fixture(params=["ics", "caldav", "graph"])
def world(request: pytest.FixtureRequest, tmp_path: Path, memory_keyring: Any) -> World:
    kind = request.param
    if kind == "ics":
        path, config = _write_config(tmp_path, {"backend": "ics", "path": str(tmp_path / "reminders.ics")})
        calendar: Calendar = IcsCalendar(tmp_path / "reminders.ics")
    elif kind == "caldav":
        from followup_sync.backends.caldav import store_password

        base = request.getfixturevalue("radicale")
        url = f"{base}/{crashlab.USER}/answers{next(_n)}/"
        token = base64.b64encode(f"{crashlab.USER}:{crashlab.PASSWORD}".encode()).decode()
        req = urllib.request.Request(url, method="MKCALENDAR", headers={"Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 201
        store_password(url, crashlab.USER, crashlab.PASSWORD)
        path, config = _write_config(tmp_path, {"backend": "caldav", "url": url, "username": crashlab.USER,
                                                "allow_insecure_http": True})  # fmt: skip
        calendar = CaldavCalendar(url, config)
    else:
        fake = request.getfixturevalue("fake")
        account = request.getfixturevalue("account")
        path, config = _write_config(tmp_path, {"backend": "graph"})
        calendar = GraphCalendar(fake, account, config.state_path.parent)
    mail = MemorySource([
        promise(MARK, "I'll call you Wednesday at 2pm to go through the rollout."),
        promise(TOM, "I'll send you the case study tomorrow."),
    ])  # fmt: skip
    return World(path, config, calendar, mail)


# --- the answers --------------------------------------------------------------------------------------------


def test_done_and_dismiss_from_the_command_line_remove_the_reminder(world: World) -> None:
    world.run()
    mark, tom = world.key_of(MARK), world.key_of(TOM)
    assert set(world.calendar.reminders()) == {mark, tom}
    assert "done" in world.cli("done", mark[:6])
    assert "dismissed" in world.cli("dismiss", tom[:6])
    world.run(NOW + timedelta(minutes=5))
    assert world.calendar.reminders() == {}
    assert world.status(mark) == ("closed", "done") and world.status(tom) == ("dismissed", "dismissed")


def test_snooze_from_the_command_line_moves_the_reminder(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    out = world.cli("snooze", tom[:6], "--until", "Thursday 11am")
    assert "snoozed until Thu 2026-11-26 11:00 EST" in out
    world.run(NOW + timedelta(minutes=5))
    start, _subject = world.calendar.reminders()[tom]
    assert start.astimezone(UTC) == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


def test_done_as_a_category_in_the_calendar_closes_it_and_the_reminder_goes(world: World) -> None:
    world.run()
    mark = world.key_of(MARK)
    world.calendar.categorise(mark, "Done")
    world.run(NOW + timedelta(minutes=5))
    assert world.status(mark) == ("closed", "done (in the calendar)")
    assert mark not in world.calendar.reminders()  # only a category: the rep typed nothing, so it goes


def test_not_a_follow_up_as_a_subject_prefix_dismisses_it_and_what_they_typed_stays(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    world.calendar.prefix(tom, "Not a follow-up")
    world.run(NOW + timedelta(minutes=5))
    assert world.status(tom) == ("dismissed", "not a follow-up (in the calendar)")
    assert world.calendar.reminders()[tom][1].startswith("Not a follow-up: ")  # the rep's text is never destroyed
    world.run(NOW + timedelta(minutes=10))
    assert world.calendar.reminders()[tom][1].startswith("Not a follow-up: ")


def test_snooze_as_a_category_moves_it_to_the_next_working_morning(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    world.calendar.categorise(tom, "Snooze")
    world.run(NOW + timedelta(minutes=5))
    start, subject = world.calendar.reminders()[tom]
    assert start.astimezone(UTC) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday 09:00 in New York
    assert world.status(tom)[0] == "open" and not subject.startswith("Snooze")
    world.run(NOW + timedelta(minutes=10))  # the mark is gone with our rewrite: not snoozed again
    assert world.calendar.reminders()[tom][0].astimezone(UTC) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


#: Each answer word set the other way than the tests above set it (they give Done as a category, Not a follow-up
#: as a subject prefix, Snooze as a category): with them, every word both ways, on every calendar.
@pytest.mark.parametrize(
    ("how", "word", "expected"),
    [
        ("prefix", "Done", ("closed", "done (in the calendar)")),
        ("prefix", "✓", ("closed", "done (in the calendar)")),
        ("category", "Not a follow-up", ("dismissed", "not a follow-up (in the calendar)")),
        ("category", "Not a promise", ("dismissed", "not a promise (in the calendar)")),
    ],
)
def test_each_answer_word_the_other_way(world: World, how: str, word: str, expected: tuple[str, str]) -> None:
    world.run()
    mark = world.key_of(MARK)
    getattr(world.calendar, "categorise" if how == "category" else "prefix")(mark, word)
    world.run(NOW + timedelta(minutes=5))
    assert world.status(mark) == expected
    if how == "category":  # the rep typed nothing: the reminder goes
        assert mark not in world.calendar.reminders()
    else:  # what the rep typed stays
        assert world.calendar.reminders()[mark][1].startswith(f"{word}: ")


def test_snooze_as_a_subject_prefix_moves_it_and_takes_the_mark_back(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    world.calendar.prefix(tom, "Snooze")
    world.run(NOW + timedelta(minutes=5))
    start, subject = world.calendar.reminders()[tom]
    assert start.astimezone(UTC) == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # Tuesday 09:00 in New York
    assert world.status(tom) == ("open", None) and not subject.startswith("Snooze")


def test_deleting_the_reminder_dismisses_it_and_teaches_nothing(world: World) -> None:
    world.mail.message_list.append(promise(MIA, "I'll get back to you on the pricing by Friday.", hours_ago=1))
    world.run()
    mark, mia = world.key_of(MARK), world.key_of(MIA)
    world.calendar.delete(mark)
    world.run(NOW + timedelta(minutes=5))
    world.calendar.delete(mia)  # two in a row from acme.example: still nothing learnt, a delete is no answer
    world.run(NOW + timedelta(minutes=10))
    assert world.status(mark) == world.status(mia) == ("dismissed", "reminder deleted by the user")
    assert set(world.calendar.reminders()) == {world.key_of(TOM)}
    assert world.cli("mute", "--list").strip() == "Nothing muted, nothing learnt."


def test_dismiss_with_mute_domain_and_mute_by_address(world: World) -> None:
    world.mail.message_list.append(promise(MIA, "I'll get back to you on the pricing by Friday.", hours_ago=1))
    world.run()
    mark, tom, mia = world.key_of(MARK), world.key_of(TOM), world.key_of(MIA)
    out = world.cli("dismiss", mark[:6], "--mute-domain")
    assert "dismissed" in out and "acme.example" in out
    world.run(NOW + timedelta(minutes=5))
    assert world.status(mark) == ("dismissed", "dismissed")
    assert world.status(mia) == ("dismissed", "muted: domain acme.example")  # its other contact too
    assert set(world.calendar.reminders()) == {tom}
    world.cli("mute", TOM)  # by address, without a follow-up to dismiss
    world.run(NOW + timedelta(minutes=10))
    assert world.calendar.reminders() == {}
    assert world.status(tom) == ("dismissed", f"muted: contact {TOM}")
    listed = world.cli("mute", "--list")
    assert f"contact {TOM}" in listed and "domain acme.example" in listed
    world.cli("unmute", "acme.example")
    world.cli("unmute", TOM)
    world.run(NOW + timedelta(minutes=15))
    assert set(world.calendar.reminders()) == {tom, mia}  # the silenced come back; the dismissed one does not
    assert world.cli("mute", "--list").strip() == "Nothing muted, nothing learnt."


def test_mute_contact_and_domain_then_unmute(world: World) -> None:
    world.mail.message_list.append(promise(MIA, "I'll get back to you on the pricing by Friday.", hours_ago=1))
    world.run()
    mark, tom, mia = world.key_of(MARK), world.key_of(TOM), world.key_of(MIA)
    assert set(world.calendar.reminders()) == {mark, tom, mia}
    world.cli("dismiss", tom[:6], "--mute-contact")
    world.cli("mute", "acme.example")
    listed = world.cli("mute", "--list")
    assert f"contact {TOM}" in listed and "domain acme.example" in listed and "muted by you" in listed
    status = CliRunner().invoke(cli, ["status", "--config", str(world.config_path)]).output
    assert "Muted and learnt (2;" in status and f"contact {TOM}  (dismissed {tom[:6]} (promise)" in status
    world.run(NOW + timedelta(minutes=5))
    assert world.calendar.reminders() == {}
    assert world.status(mark) == ("dismissed", "muted: domain acme.example")
    later = promise(TOM, "I'll call you next Monday at 10am.", hours_ago=0.5)
    world.mail.message_list.append(later)
    world.run(NOW + timedelta(minutes=10))
    assert world.calendar.reminders() == {}  # a new promise to a muted contact makes no reminder
    assert "2 follow-up(s)" in world.cli("unmute", "acme.example")
    world.run(NOW + timedelta(minutes=15))
    assert set(world.calendar.reminders()) == {mark, mia}  # they come back; tom stays muted
    world.cli("unmute", TOM)
    world.run(NOW + timedelta(minutes=20))
    # the promise the mute silenced comes back; the one the rep dismissed stays dismissed
    assert world.status(tom) == ("dismissed", "dismissed")
    assert set(world.calendar.reminders()) == {mark, mia, world.key_of_origin(later.id)}


def test_not_a_promise_learns_the_sentence_shape_and_nothing_else(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    out = world.cli("dismiss", tom[:6], "--not-a-promise")
    assert "learnt: sentences like “I'll send you the case study tomorrow.”" in out
    assert "case study" in world.cli("mute", "--list")
    same_shape = promise("lisa.wong@umbrella.example", "I will send you the case study on Friday.", hours_ago=0.5)
    other = promise("raj.gupta@hooli.example", "I'll call you Friday to talk about the renewal.", hours_ago=0.5)
    world.mail.message_list += [same_shape, other]
    world.run(NOW + timedelta(minutes=5))
    reminded = {s for _start, s in world.calendar.reminders().values()}
    assert any("Raj Gupta" in s for s in reminded)  # a different sentence is still a promise
    assert not any("Lisa Wong" in s for s in reminded)  # the same shape, reworded, is not
    assert world.status(world.key_of("lisa.wong@umbrella.example"))[1].startswith("muted: sentences shaped")


def test_not_a_promise_in_the_calendar_learns_the_shape_as_the_command_line_does(world: World) -> None:
    world.run()
    tom = world.key_of(TOM)
    world.calendar.categorise(tom, "Not a promise")
    world.run(NOW + timedelta(minutes=5))
    assert world.status(tom) == ("dismissed", "not a promise (in the calendar)")
    listed = world.cli("mute", "--list")
    assert "“I'll send you the case study tomorrow.” marked not a promise on 2026-11-23 (calendar)" in listed
    same_shape = promise("lisa.wong@umbrella.example", "I will send you the case study on Friday.", hours_ago=0.5)
    other = promise("raj.gupta@hooli.example", "I'll send you the signed order form on Friday.", hours_ago=0.5)
    world.mail.message_list += [same_shape, other]
    world.run(NOW + timedelta(minutes=10))
    reminded = {s for _start, s in world.calendar.reminders().values()}
    assert any("Raj Gupta" in s for s in reminded) and not any("Lisa Wong" in s for s in reminded)
    # reversible: unmuting the learnt rule brings the reworded promise back
    rule = next(line for line in listed.splitlines() if "case study" in line).split()[0]
    assert "1 follow-up(s)" in world.cli("unmute", rule)
    world.run(NOW + timedelta(minutes=15))
    assert any("Lisa Wong" in s for _start, s in world.calendar.reminders().values())


def test_two_dismissals_in_a_row_from_one_domain_stop_that_kind_there_until_unmuted(tmp_path: Path) -> None:
    from followup_sync.backends.memory import MemorySink
    from followup_sync.control.learning import learn_after_pass

    path, config = _write_config(tmp_path, {"backend": "ics", "path": str(tmp_path / "unused.ics")})
    asks = [promise(f"buyer{i}@globex.example", f"Could you send me the volume forecast {i}?", hours_ago=30 - i)
            for i in range(4)]  # fmt: skip
    source, sink = MemorySource([*asks[:3], promise(MARK, "I'll call you Wednesday at 2pm.")]), MemorySink()

    def run(minutes: int) -> PassResult:
        result = run_once(config, now=NOW + timedelta(minutes=minutes), mail=source, meetings=MemorySource(),
                          sink=sink)  # fmt: skip
        learn_after_pass(config.state_path, now=NOW)
        return result

    run(0)
    world = World(path, config, IcsCalendar(tmp_path / "unused.ics"), source)
    chases = [world.key_of(f"buyer{i}@globex.example", "awaiting_reply") for i in range(3)]
    world.cli("dismiss", chases[0][:6])
    world.cli("done", chases[1][:6])  # a "done" between breaks the streak
    out = world.cli("dismiss", chases[2][:6])
    assert "learnt" not in out
    source.message_list.append(asks[3])
    run(5)
    fourth = world.key_of("buyer3@globex.example", "awaiting_reply")
    assert fourth in {rem.key for rem, _ in sink.items.values()}
    out = world.cli("dismiss", fourth[:6])  # the second dismissal in a row of awaiting_reply from globex.example
    assert "learnt: no more awaiting_reply follow-ups from globex.example" in out
    assert "awaiting_reply from globex.example  (learnt from 2 dismissals in a row" in world.cli("mute", "--list")
    later = promise("buyer9@globex.example", "Could you confirm the delivery address?", hours_ago=0.2)
    offer = promise("buyer9@globex.example", "I'll call you Thursday at 10am.", hours_ago=0.1)
    source.message_list += [later, offer]
    run(10)
    keys = {rem.key for rem, _ in sink.items.values()}
    assert world.key_of_origin(later.id) not in keys  # that kind from that domain: stopped
    assert world.key_of_origin(offer.id) in keys  # another kind from it: still reminded
    rule = next(r for r in answers_rules(world) if r.startswith("#"))
    world.cli("unmute", rule.split()[0])
    run(15)
    assert world.key_of_origin(later.id) in {rem.key for rem, _ in sink.items.values()}


def answers_rules(world: World) -> list[str]:
    return [line for line in world.cli("mute", "--list").splitlines() if "from globex.example" in line]


@pytest.mark.parametrize(
    ("subject", "categories", "expected"),
    [
        ("Done: Call Mark Chen (Acme) - Rollout plan", (), "done"),
        ("done - Call Mark Chen", (), "done"),
        ("✓ Call Mark Chen", (), "done"),
        ("OVERDUE: Done: Call Mark Chen", (), "done"),
        ("Not a follow-up: Send Tom Baker the case study", (), "not_a_followup"),
        ("not a followup – Send Tom Baker", (), "not_a_followup"),
        ("NOT A PROMISE: Send Tom Baker the case study", (), "not_a_promise"),
        ("Snooze: Send Tom Baker the case study", (), "snooze"),
        ("Send Tom Baker the case study", ("Follow-up", "Done"), "done"),
        ("Send Tom Baker the case study", ("Follow-up", "not  a follow-up"), "not_a_followup"),
        ("Send Tom Baker the case study", ("Snoozed",), "snooze"),
        # what is not an answer: the word inside a subject, or run into the next word, or other categories
        ("Call Mark Chen - Done deal", (), None),
        ("Doneness review with Acme", (), None),
        ("Snoozefest planning", (), None),
        ("Send Tom Baker the case study", ("Follow-up", "Red category"), None),
    ],
)
def test_calendar_answer_reads_a_category_or_a_subject_prefix(
    subject: str, categories: tuple[str, ...], expected: str | None
) -> None:
    item = RemoteItem(key="k", href="h", etag="e", subject=subject, categories=categories)
    assert calendar_answer(item) == expected
