"""text.dates: the classes behind dates blind3's misses, written per class before the grammar changed.

Sent on Wednesday 2026-03-18 10:30 in Chicago unless a case says otherwise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.dates import DateOptions, Due, find_due

CHI = ZoneInfo("America/Chicago")
LON = ZoneInfo("Europe/London")
TOR = ZoneInfo("America/Toronto")
SENT = datetime(2026, 3, 18, 10, 30, tzinfo=CHI)  # a Wednesday


def due(text: str, tz: ZoneInfo = CHI, **options: str) -> Due | None:
    return find_due(text, sent_at=SENT, tz=tz, options=DateOptions(**options))  # type: ignore[arg-type]


def local(d: Due | None) -> str | None:
    return None if d is None else d.when.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # How long something takes is not when it is due.
        ("The migration usually takes about two hours.", None),
        ("Setup normally takes a day or two.", None),
        ("It should take a week or so.", None),
        ("The audit will take a couple of weeks.", None),
        ("The workshop lasts about three hours.", None),
        ("Lead time is a week or two.", None),
        ("Turnaround is about two days.", None),
        ("The flight is about six hours.", None),
        ("That's about two hours of work.", None),
        ("Give me about two hours.", None),
        # ... but a time counted from now, or another day in the sentence, still is.
        ("I'll have the draft to you in two hours.", "2026-03-18 12:30"),
        ("We'll ship within a week.", "2026-03-25 09:00"),
        ("Let's talk again in a week or so.", "2026-03-25 09:00"),
        ("It takes me a day or two, so expect it by Friday.", "2026-03-20 09:00"),
        ("The new rate takes effect in two weeks.", "2026-04-01 09:00"),
        ("Can we talk at about two?", "2026-03-18 14:00"),
    ],
)
def test_durations_are_not_deadlines(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # British "half two" is half past two, read by the am/pm convention.
        ("Half three tomorrow suits me.", "2026-03-19 15:30"),
        ("Could we do half 11 on Friday?", "2026-03-20 11:30"),
        ("See you half seven Thursday.", "2026-03-19 07:30"),
        ("Shall we say half four?", "2026-03-18 16:30"),
        # Not a time: halves of things.
        ("We sold half 10 days ago.", None),
        ("Half two-thirds of the team agreed.", None),
        ("Only half 10 of them arrived.", None),
        ("Cut it in half two times.", None),
    ],
)
def test_british_half_hours(text: str, expected: str | None) -> None:
    assert local(due(text, LON)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Could we do around 3 to 4pm on Friday?", "2026-03-20 15:00"),
        ("How about 10 to 11am tomorrow?", "2026-03-19 10:00"),
        ("It should take about 3 to 4 days.", None),
    ],
)
def test_time_ranges_after_a_preposition(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The first time is turned down ("tight", "slammed"); the follow-up is the one proposed after it.
        ("This week is crazy, can we do next week?", "2026-03-23 09:00"),
        ("Friday is packed for me, how about Monday?", "2026-03-23 09:00"),
        ("I'm swamped this month, let's talk in April instead.", "2026-04-01 09:00"),
        ("this quarter is tight, let's revisit next quarter", "2026-04-01 09:00"),
        # No turn-down: the first stays.
        ("I'll send the quote Friday, let's talk Monday.", "2026-03-20 09:00"),
        ("Thursday works, or how about Friday?", "2026-03-19 09:00"),
    ],
)
def test_a_turned_down_time_gives_way_to_the_proposal(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contract needed by 04/02/2026.", "2026-04-02 09:00"),
        ("Signed forms required by 05/15/2026.", "2026-05-15 09:00"),
        ("I'll circle back two weeks from today.", "2026-04-01 09:00"),
        ("Let's reconnect a month from now.", "2026-04-18 09:00"),
        ("Signed the forms on 03/02/2026.", None),
    ],
)
def test_dated_years_and_counts_from_today(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


def test_labour_day_in_lower_case() -> None:
    result = due("pls get it back to me by labour day", TOR, country="CA", subdivision="ON")
    assert local(result) == "2026-09-04 09:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We're planning for Q2.", "2026-04-01 09:00"),
        ("Q3 is when we'd sign.", "2026-07-01 09:00"),
        ("The Q3 plan is attached.", None),
        ("Can we meet New Year's Eve afternoon?", "2026-12-31 13:00"),
        ("I'll follow up a month from today.", "2026-04-18 09:00"),
        ("I'll check in a month from today.", "2026-04-18 09:00"),
    ],
)
def test_quarters_holidays_and_counts(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Next week is packed but I'll send it Friday.", "2026-03-20 09:00"),
        ("Monday is bad for me, could we do Tuesday?", "2026-03-24 09:00"),
        ("Thursday is booked solid; we can talk Friday.", "2026-03-20 09:00"),
        # A full report is not a full day; a rough draft is not a rough day.
        ("I'll send the full report Friday, let's discuss it Monday.", "2026-03-20 09:00"),
        ("I'll send a rough draft Friday and we can talk Monday.", "2026-03-20 09:00"),
    ],
)
def test_only_a_busy_time_gives_way(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can we talk early next week? Monday's a holiday here.", "2026-03-24 09:00"),
        ("Let's regroup next week, we're closed Monday.", "2026-03-24 09:00"),
        ("Let's regroup next week.", "2026-03-23 09:00"),
        ("Let's regroup next week, Monday is a holiday for us.", "2026-03-24 09:00"),
        ("I'll call Tuesday, Monday's a holiday.", "2026-03-24 09:00"),
        ("Let's talk Friday, Thursday's no good.", "2026-03-20 09:00"),
        ("Thursday's call went well.", None),
        ("Let's regroup late next week, Monday's a holiday.", "2026-03-27 09:00"),
    ],
)
def test_a_week_starts_after_a_monday_the_sentence_says_is_off(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected", "deadline"),
    [
        ("Not this week, next week works better.", "2026-03-23 09:00", False),
        ("Not Friday, not Monday either.", None, False),
        ("How about 10 to noon on Friday?", "2026-03-20 10:00", False),
        ("Deadline: 04/30/2026.", "2026-04-30 09:00", True),
        ("pls get the signed PO back to me by Friday", "2026-03-20 09:00", True),
    ],
)
def test_offered_days_noon_ranges_and_labelled_deadlines(text: str, expected: str | None, deadline: bool) -> None:
    result = due(text)
    assert local(result) == expected
    assert result is None or result.deadline == deadline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call center hours are 7am to 7pm.", None),
        ("Our support hours are 8 to 6 ET.", None),
        ("Our fiscal year ends in June.", None),
        ("Our fiscal year ends in June, so we need it by May 15.", "2026-05-15 09:00"),
        ("Office hours are 9 to 5, so call me at 10 tomorrow.", "2026-03-19 10:00"),
        ("I'll call you in 2 hours.", "2026-03-18 12:30"),
    ],
)
def test_opening_hours_and_fiscal_years(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Let's target Q2.", "2026-04-01 09:00"),
        ("The target Q2 numbers are attached.", None),
        ("Six weeks out from today, let's check in.", "2026-04-29 09:00"),
    ],
)
def test_targeted_quarters_and_counts_out_from_today(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected
