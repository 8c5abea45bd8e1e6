"""Reminders in people's words (issue 12, items 1 and 2): names, companies and phone numbers, read from the
headers and the contact's own signature, shown in the subject and body; links that open the mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from followup_sync import people
from followup_sync.backends.memory import MemorySink, MemorySource
from followup_sync.cli import cli
from followup_sync.config import Config, Schedule
from followup_sync.model import FollowUp, Message, open_link
from followup_sync.people import Person
from followup_sync.schedule import SUBJECT_MAX, reminder_for
from followup_sync.state import State
from followup_sync.sync import run_once
from followup_sync.userdata import people as stored_people
from tests.factories import make_config

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
REP = "dana@northwind.example"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mark Chen", "Mark Chen"),
        ("Chen, Mark", "Mark Chen"),
        ("'Mark Chen'", "Mark Chen"),
        ("MARK CHEN", "Mark Chen"),
        ("Mark Chen (Acme)", "Mark Chen"),
        ("mark.chen@acme.example", ""),
        ("Sales Team <sales>", ""),
        ("", ""),
    ],
)
def test_display_names(raw: str, expected: str) -> None:
    assert people.display_name(raw, "mark.chen@acme.example") == expected


def test_name_only_from_a_first_last_address() -> None:
    assert people.name_from_address("olivia.grant@vandelay.example") == "Olivia Grant"
    assert people.name_from_address("jsmith@x.com") == "" and people.name_from_address("a.b@x.com") == ""


@pytest.mark.parametrize(
    ("domain", "company"),
    [
        ("acme.example", "Acme"),
        ("mail.acme.co.uk", "Acme"),
        ("sales.globex.com.au", "Globex"),
        ("ibm.com", "IBM"),
        ("wayne-enterprises.com", "Wayne Enterprises"),
        ("gmail.com", ""),
        ("yahoo.co.uk", ""),
        ("outlook.de", ""),
    ],
)
def test_company_from_the_domain(domain: str, company: str) -> None:
    assert people.company_from_domain(domain) == company


def test_company_and_phone_from_the_contacts_own_signature() -> None:
    block = (
        "Mark Chen\nHead of IT | Acme Corporation\nOffice: +1 617 555 0100 | Mobile: (617) 555-0199\n"
        "Fax: 617 555 0111"
    )
    assert people.company_in_signature(block, "acme.example") == "Acme"
    assert people.phone_in_signature(block, region="US") == "+16175550199"  # the mobile wins, fax never
    assert people.phone_in_signature("Fax: +1 617 555 0111", region="US") == ""
    # a number written without a country code reads in the contact's country (a .de domain), else the rep's
    assert (
        people.phone_in_signature("Tel. 030 1234567", region=people.region_of("firma.de", "US")) == "+49301234567"
    )
    assert people.phone_in_signature("call 555-12", region="US") == ""
    assert (
        people.company_in_signature("Pied Piper, Inc.\nwww.piedpiper.example", "piedpiper.example") == "Pied Piper"
    )


def _msg(mid: str, sender: str, to: tuple[str, ...], body: str, *, minutes: int = 0, **kw: object) -> Message:
    at = datetime(2026, 11, 20, 14, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return Message(id=mid, sender=sender, to=to, cc=(), subject="Rollout plan", sent_at=at, body=body, **kw)  # type: ignore[arg-type]


def test_facts_come_from_headers_and_only_the_contacts_own_signature() -> None:
    theirs = _msg(
        "m1@x", "mark.chen@acme.example", (REP,),
        "Hi Dana,\n\nCan we talk?\n\nMark\n--\nMark Chen | Acme Corp.\nM: +1 617 555 0199\n\n"
        "-----Original Message-----\nFrom: Priya\nSent: Monday\nTo: Mark\nSubject: x\n\nPriya +1 212 555 0148",
        sender_name="Chen, Mark",
    )  # fmt: skip
    mine = _msg(
        "m2@x", REP, ("mark.chen@acme.example", "priya@globex.example"), "Will call you.\n\nDana\n+1 202 555 0100",
        minutes=5, sender_name="Dana", names=(("priya@globex.example", "Priya Nair"),),
    )  # fmt: skip
    from followup_sync.text import zoning

    own = {m.id: zoning.own_text(m.body) for m in (theirs,)}
    merged = people.merge(people.facts([theirs, mine], me=frozenset({REP}), own_text=own, region="US"))
    assert merged["mark.chen@acme.example"] == Person(
        "mark.chen@acme.example", name="Mark Chen", company="Acme", phone="+16175550199", source="merged"
    )
    assert merged["priya@globex.example"].name == "Priya Nair"
    assert merged["priya@globex.example"].phone == ""  # her number was in quoted text, not her own mail
    assert REP not in merged  # the rep's own signature names nobody


def test_outlook_contact_wins_over_the_signature_and_the_header() -> None:
    rows = [
        Person("m@acme.example", name="M Chen", company="Acme", phone="+16175550100", source="contacts"),
        Person("m@acme.example", name="Mark Chen", company="Acme Corp", phone="+16175550199", source="signature"),
        Person("m@acme.example", name="Mark", source="header"),
    ]  # fmt: skip
    assert people.merge(rows)["m@acme.example"].phone == "+16175550100"
    assert people.merge(rows[1:])["m@acme.example"].name == "Mark Chen"


def _followup(
    kind: str = "promise", *, contacts: tuple[str, ...] = ("mark.chen@acme.example",), **kw: object
) -> FollowUp:
    base = dict(
        key="k1", kind=kind, origin_id="m1@x", thread_key="t1", contacts=contacts,
        due=datetime(2026, 11, 25, 19, 0, tzinfo=UTC), evidence="I'll call you Wednesday at 2pm.",
        thread_subject="Rollout plan", created_at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC), due_has_time=True,
        channel="call", link="mid:m1@x",
    )  # fmt: skip
    base.update(kw)
    return FollowUp(**base)  # type: ignore[arg-type]


KNOWN = {
    "mark.chen@acme.example": Person(
        "mark.chen@acme.example", name="Mark Chen", company="Acme", phone="+16175550199"
    )
}


def test_call_reminder_names_the_person_and_carries_the_number() -> None:
    r = reminder_for(_followup(), schedule=Schedule(), tz=NY, now=NOW, people=KNOWN)
    assert r.subject == "Call Mark Chen (Acme) - Rollout plan"
    lines = r.body.splitlines()
    assert lines[0] == "You promised to call Mark Chen (Acme)."
    assert "Phone (Mark): +1 617-555-0199 (tel:+16175550199)" in lines
    assert "You wrote: “I'll call you Wednesday at 2pm.”" in lines
    assert "Contacts: Mark Chen (Acme) <mark.chen@acme.example>" in lines
    assert "Open the mail: mid:m1@x" in lines


def test_unanswered_question_quotes_the_contact_and_an_address_never_starts_a_sentence() -> None:
    f = _followup("unanswered_inbound", contacts=("olivia.grant7@vandelay.example",), channel="email",
                  evidence="Could you send me the SOC 2 report?")  # fmt: skip
    r = reminder_for(f, schedule=Schedule(), tz=NY, now=NOW, people={})
    assert r.subject == "Answer olivia.grant7@vandelay.example - Rollout plan"
    assert r.body.splitlines()[0] == "A question from olivia.grant7@vandelay.example is waiting for your answer."
    assert "olivia.grant7@vandelay.example asked: “Could you send me the SOC 2 report?”" in r.body
    for kind in ("promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound"):
        body = reminder_for(_followup(kind, contacts=("olivia.grant7@vandelay.example",)), schedule=Schedule(),
                            tz=NY, now=NOW).body  # fmt: skip
        assert not body.startswith("Olivia.grant7") and body[:1].isupper()


def test_subject_fits_a_lock_screen_cutting_only_the_topic() -> None:
    f = _followup(thread_subject="Rollout plan for the EMEA region including the data migration and training")
    r = reminder_for(f, schedule=Schedule(), tz=NY, now=NOW, people=KNOWN)
    assert len(r.subject) <= SUBJECT_MAX and r.subject.startswith("Call Mark Chen (Acme) - Rollout plan")
    assert r.subject.endswith("…")
    sale = reminder_for(_followup("after_sale", contacts=("olivia.grant@vandelay.example",)), schedule=Schedule(),
                        tz=NY, now=NOW)  # fmt: skip
    assert sale.subject == "Check in with Olivia Grant (Vandelay) - Rollout plan"


def test_links_open_the_mail_never_a_file() -> None:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    m = Message(id="a1@x", sender=REP, to=(), cc=(), subject="", sent_at=at, link="file:///home/d/Mail/cur/1")
    assert open_link(m) == "mid:a1@x"
    web = Message(id="a1@x", sender=REP, to=(), cc=(), subject="", sent_at=at, link="https://outlook.office.com/x")
    assert open_link(web) == "https://outlook.office.com/x"
    none = Message(id="sha256-1@followup-sync.invalid", sender=REP, to=(), cc=(), subject="", sent_at=at,
                   link="file:///home/d/Mail/cur/1")  # fmt: skip
    assert open_link(none) is None


def test_a_pass_keeps_people_in_the_state_and_names_them(tmp_path: Path) -> None:
    config: Config = make_config(tmp_path, addresses=(REP,))
    body = "Hi Dana,\n\nThanks.\n\nMark\n\nMark Chen\nAcme Corp\nMobile +1 617 555 0199"
    theirs = _msg("m1@x", "mark.chen@acme.example", (REP,), body, sender_name="Mark Chen")
    mine = _msg("m2@x", REP, ("mark.chen@acme.example",), "Hi Mark,\n\nI'll call you Wednesday at 2pm.\n\nDana",
                minutes=30)  # fmt: skip
    sink = MemorySink()
    run_once(config, now=NOW, mail=MemorySource([theirs, mine]), meetings=MemorySource(), sink=sink)
    [(rem, _etag)] = sink.items.values()
    assert rem.subject.startswith("Call Mark Chen (Acme)") and "tel:+16175550199" in rem.body
    with State.open(config.state_path) as state:
        assert stored_people(state, ["mark.chen@acme.example"])["mark.chen@acme.example"].phone == "+16175550199"
        rows = state._rows("SELECT * FROM people")
        assert {tuple(r)[:5] for r in rows} >= {
            ("mark.chen@acme.example", "signature", "", "Acme", "+16175550199")
        }
        assert all("Thanks" not in str(tuple(r)) for r in rows)  # metadata only, never text


def test_demo_shows_names_companies_and_the_number_on_the_call(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = icalendar.Calendar.from_ical((out / "reminders.ics").read_bytes())
    events = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in cal.walk("VEVENT")}
    call = events["Call Mark Chen (Acme) - Rollout plan"]
    assert "Phone (Mark): +1 617-555-0199 (tel:+16175550199)" in call
    assert "Answer Bruce Kent (Wayne Enterprises) - Security questionna…" in events
    assert any(s.startswith("Check in with Olivia Grant (Vandelay Industries)") for s in events)
    assert all("file://" not in body for body in events.values())
    assert "Mark Chen (Acme)" in result.output  # the review table names people too
    # the demo's own output shows the call reminder as it pops up, the number to call in it
    shown = result.output.split("A call reminder, as your calendar shows it:", 1)[1]
    assert re.match(r"\s+Call Mark Chen \(Acme\) - Rollout plan\n", shown), shown
    assert "Phone (Mark): +1 617-555-0199 (tel:+16175550199)" in shown.split("Reminders written to", 1)[0]
    # and after the pass, the open follow-ups as `followup-sync list` shows them, with ids to answer by
    listing = result.output.split("Open follow-ups, as `followup-sync list` shows them:", 1)[1]
    assert re.search(r"^[0-9a-f]{6}  promise +Mark Chen \(Acme\) ", listing, re.M), listing
    assert "followup-sync review" in listing
