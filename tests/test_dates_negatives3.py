"""text.dates: the classes of blind5's misses (issue 8, fourth pass), each both ways.

One test pair per class of docs/dates.md "Never a due date" (the fourth pass). Sent on Wednesday 2027-03-10
08:30 in Chicago. The sentences are not those of evaluation/data/dates_negatives3.jsonl, whose guard is
tests/test_dates_negatives.py::test_negatives_tuning_sets_are_all_right.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.dates import Due, find_due

CHI = ZoneInfo("America/Chicago")
SENT = datetime(2027, 3, 10, 8, 30, tzinfo=CHI)  # a Wednesday


def due(text: str) -> Due | None:
    return find_due(text, sent_at=SENT, tz=CHI)


def local(text: str) -> str | None:
    d = due(text)
    return None if d is None else d.when.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    "text",
    [
        # A duration in a statement of what generally happens: a policy or a typical result.
        "Most buyers recover the outlay within 14 months.",
        "Our callback SLA is within 2 hours on weekdays.",
        "Refunds are processed within 10 business days.",
        "Typically the crews finish within a week.",
        # Digits glued to an upper-case letter, or an EOD in a code with digits, are a code.
        "The spare is part number 2027-06-02C.",
        "Bring the samples to room 7A.",
        "Charge it to cost centre NY-3302-EOD.",
        "The batch tag is EOM-2231.",
        # A day of every month is a routine.
        "The 10th of every month is our cut-off for statements.",
        "Commissions pay out quarterly on the 5th.",
        "Meter reads are on the twentieth of each month.",
        # A day or month in a street or place name.
        "Our yard is at 9 Tuesday Lane.",
        "Send the samples to 220 June Street.",
        # The days listed with a past one are past too.
        "We were on site Thursday and Friday.",
        "I was travelling Monday, Tuesday and Wednesday.",
        # A period's possessive names a thing.
        "Next month's price list is attached.",
        "Next year's quota is not final.",
        # ... and so does a week-end before its noun.
        "The end of week report is late.",
        # A worded ordinal before a noun is not a day.
        "Her desk is on the fifth floor.",
        "We won on the third attempt.",
        # An hour in a habit, even with a clause after it.
        "The warehouse closes at 5 once the last truck leaves.",
    ],
)
def test_no_due(text: str) -> None:
    assert local(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Someone commits: the duration is a due.
        ("We'll turn it around within 2 hours.", "2027-03-10 10:30"),
        ("Please sign and return within 3 days.", "2027-03-13 09:00"),
        ("Refunds are slow, but I'll send yours within a week.", "2027-03-17 09:00"),
        # ... and the commitment is looked for in the duration's own statement, not the whole sentence.
        ("Typically we ship within 2 days, but this order will go out within a week.", "2027-03-17 09:00"),
        # A lower-case am/pm letter is still a time; EOD on its own is still the end of the day.
        ("I'll ring you at 11a tomorrow.", "2027-03-11 11:00"),
        ("I'll send it by EOD.", "2027-03-10 17:00"),
        # A single day of the month, and a day listed after a past one in another clause.
        ("I'll send the statement on the 10th.", "2027-03-10 09:00"),
        ("We were on site Monday, and I'll send the report Thursday.", "2027-03-11 09:00"),
        ("I'll drop the samples at 220 June Street on Friday.", "2027-03-12 09:00"),
        ("I'll send next month's price list by Friday.", "2027-03-12 09:00"),
        # "at N" followed by a clause keeps its hour.
        ("I'll call you Thursday at 3 once the audit is done.", "2027-03-11 15:00"),
        ("Let's speak tomorrow at 11 before the board meets.", "2027-03-11 11:00"),
        ("I'll phone you at quarter past twelve after the site visit.", "2027-03-10 12:15"),
        ("I'll call you Friday at 5 after the plant closes.", "2027-03-12 17:00"),
        # A modifier before the day still shapes its part of day.
        ("I'll call you early Thursday morning.", "2027-03-11 08:00"),
        ("Let's talk late tomorrow afternoon.", "2027-03-11 15:00"),
        # Worded days of the month.
        ("I'll send the figures on the eighteenth.", "2027-03-18 09:00"),
        ("I'll have it back to you by the twenty-first.", "2027-03-21 09:00"),
        ("I'll call on the ninth, when the quote is in.", "2027-04-09 09:00"),
        # "end of week" without "the" is the end of the week too.
        ("I'll have the numbers to you by end of week.", "2027-03-12 09:00"),
        # The hour as a duration.
        ("I'll send the tracking number within the hour.", "2027-03-10 09:30"),
        ("I'll be in touch in the next half hour.", "2027-03-10 09:00"),
    ],
)
def test_due_kept(text: str, expected: str) -> None:
    assert local(text) == expected


def test_flags_of_the_new_forms() -> None:
    by = due("I'll have it signed by the twelfth.")
    assert by is not None and by.deadline and not by.has_time
    hour = due("I'll confirm within the hour.")
    assert hour is not None and hour.deadline and hour.has_time
    early = due("I'll call early Friday morning.")
    assert early is not None and early.has_time and early.when.hour == 8
    # "come by", "swing by", "stop by" are visits, not deadlines; "by" alone still is one.
    visit = due("I'll swing by Thursday afternoon with the samples.")
    assert visit is not None and not visit.deadline and visit.when.hour == 13
    stop = due("I'll stop by the 12th to count stock.")
    assert stop is not None and not stop.deadline
    by = due("I'll send it by Thursday afternoon.")
    assert by is not None and by.deadline
