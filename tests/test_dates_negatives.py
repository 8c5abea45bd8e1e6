"""text.dates: phrases that only look like dates or times give no due; the real due next to them is kept.

One test pair per class of docs/dates.md "Never a due date" (issue 8, third pass). Sent on Wednesday 2027-03-10
08:30 in Chicago. The sentences are not those of evaluation/data/dates_negatives2.jsonl, which has its own guard
at the end.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.dates import Due, find_due

CHI = ZoneInfo("America/Chicago")
SENT = datetime(2027, 3, 10, 8, 30, tzinfo=CHI)  # a Wednesday


def local(text: str) -> str | None:
    d: Due | None = find_due(text, sent_at=SENT, tz=CHI)
    return None if d is None else d.when.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    "text",
    [
        # A time joined to a word by a hyphen is a product or package name.
        "The 10am-special bundle is sold out.",
        "Ship the 4pm-grade sealant with the order.",
        # Ratios and scales.
        "Blend it 4:1 with the base coat.",
        "It's a 1:10 scale mock-up of the line.",
        "The ratio is 2:1 in our favour.",
        # Dotted numbers a market word, a quantity or a price unit stands next to are prices.
        "Gas settled at 3.05 on the day.",
        "We bought 20,000 a day at 2.45 from them.",
        "Propane is 1.15 a gallon at the terminal.",
        "The basis is minus 0.20 at that point.",
        # ... and so is the period a price is quoted for.
        "Power is trading at 3.40 for next month.",
        "The offer is 2.10 for the rest of the week.",
        # Payment terms.
        "We can do 1/15 net 45 on this account.",
    ],
)
def test_numbers_that_only_look_like_times(text: str) -> None:
    assert local(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll have the 10am-special quote to you tomorrow.", "2027-03-11 09:00"),
        ("I'll bring the 1:10 scale mock-up on Friday.", "2027-03-12 09:00"),
        ("Let's talk at 4:15 about the 2:1 mix.", "2027-03-10 16:15"),
        ("I'll call you at 10.45 about the price.", "2027-03-10 10:45"),
        ("Let's go over the pricing at 1.30 tomorrow.", "2027-03-11 13:30"),
        ("Gas is at 3.05 today, so I'll send the curve by Friday.", "2027-03-12 09:00"),
        ("I'll send the 1/15 net 45 paperwork on Monday.", "2027-03-15 09:00"),
    ],
)
def test_real_times_next_to_those_numbers_are_kept(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A day or date between a determiner and a noun names a thing.
        "The Thursday crew is short a driver.",
        "Our Friday numbers are always the strongest.",
        "His Sunday column mentioned our launch.",
        "Their Monday-morning report is late again.",
        "The Tuesday and Friday drivers swap routes.",
        "The 4/30 statement is attached.",
        "Stock the 3/8 and 5/16 bolts, not the 7/16.",
        # A past event, even an event noun, with nothing that looks ahead.
        "I'm going through my notes from the Tuesday meeting.",
    ],
)
def test_days_and_dates_that_name_things(text: str) -> None:
    assert local(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll join the Thursday call.", "2027-03-11 09:00"),
        ("Let's use the Monday slot for the review.", "2027-03-15 09:00"),
        ("See you at the Friday demo at 11.", "2027-03-12 11:00"),
        ("I'll send notes before the Tuesday meeting.", "2027-03-16 09:00"),
        ("Please have it in by the 3/31 deadline.", "2027-03-31 09:00"),
        ("I'll send the Friday numbers on Monday.", "2027-03-15 09:00"),
        ("The Thursday game's at 7:30.", "2027-03-11 07:30"),
    ],
)
def test_days_that_are_the_day_of_an_event_are_kept(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Irregular past tenses (lower case).
        "The rate fell at 2:30 after the report.",
        "Our rep flew in on Friday.",
        "The line froze up at 5 am.",
        "We ran the tests on Thursday and they passed.",
        # Opening hours are a habit.
        "The store opens at 9:30 Central.",
        "The depot opens at 6 and closes at 2.",
        # Someone else's words in double quotes.
        'The label says "use by 4/20".',
        "His auto-reply reads “back Monday” out of habit.",
        # A period reported up to now.
        "Returns are down 8% so far this month.",
        "Volumes are flat this year to date.",
    ],
)
def test_past_habits_and_quotes_give_no_due(text: str) -> None:
    assert local(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll get the contract to Jim Fell tomorrow.", "2027-03-11 09:00"),  # a name, not "fell"
        ("Rose will call you on Friday.", "2027-03-12 09:00"),
        ("The pump broke, so I'll be there at 2.", "2027-03-10 14:00"),
        ("The office opens at 9, so I'll call you at 10.", "2027-03-10 10:00"),
        ('I\'ll send the "final" draft on Thursday.', "2027-03-11 09:00"),
        ("I'll send the month-to-date report by Friday.", "2027-03-12 09:00"),
    ],
)
def test_kept_next_to_past_habits_and_quotes(text: str, expected: str) -> None:
    assert local(text) == expected


@pytest.mark.parametrize(("name", "least"), [("negatives2", 400), ("negatives3", 80)])
def test_negatives_tuning_sets_are_all_right(name: str, least: int) -> None:
    # A regression guard over evaluation/data/dates_<name>.jsonl (evaluation/dates_blind.py <name>): the
    # phrases written for the false-due rounds, the real dues next to them included.
    path = Path(__file__).resolve().parent.parent / "evaluation" / "data" / f"dates_{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    wrong = []
    for row in rows:
        tz = ZoneInfo(row["tz"])
        d = find_due(row["text"], sent_at=datetime.fromisoformat(row["sent_at"]).astimezone(tz), tz=tz)
        got = d.when.strftime("%Y-%m-%dT%H:%M") if d else None
        if got != row["expected"]:
            wrong.append((row["text"], row["expected"], got))
    assert len(rows) >= least
    assert wrong == []
