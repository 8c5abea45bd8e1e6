"""text.dates: classes behind wrong and false due dates (issue 8), written per class before the grammar changed.

Sent on Wednesday 2026-03-18 10:30 in Chicago unless a case says otherwise. Each class has sentences that
must keep their due and sentences that must get none: a doubtful reading gives no due rather than a wrong one.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.dates import DateOptions, Due, find_due

CHI = ZoneInfo("America/Chicago")
BER = ZoneInfo("Europe/Berlin")
SENT = datetime(2026, 3, 18, 10, 30, tzinfo=CHI)  # a Wednesday


def due(text: str, sent: datetime = SENT, tz: ZoneInfo = CHI) -> Due | None:
    return find_due(text, sent_at=sent, tz=tz, options=DateOptions())


def local(d: Due | None) -> str | None:
    return None if d is None else d.when.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "sent", "tz", "expected"),
    [
        # Minutes and hours are elapsed time: across a DST change the wall clock moves with them.
        ("I'll ring you back in 30 minutes.", datetime(2026, 3, 8, 1, 45, tzinfo=CHI), CHI, "2026-03-08 03:15"),
        ("Expect the quote within 48 hours.", datetime(2026, 10, 30, 15, 0, tzinfo=CHI), CHI, "2026-11-01 14:00"),
        ("Give me 2 hours and I'll send it.", SENT, CHI, None),  # not a stated time: no due
        ("I'll call you in 3 hours.", datetime(2026, 10, 25, 0, 30, tzinfo=BER), BER, "2026-10-25 02:30"),
        ("You'll have it in 2 days.", datetime(2026, 3, 7, 10, 0, tzinfo=CHI), CHI, "2026-03-09 09:00"),
    ],
)
def test_elapsed_durations_cross_dst(text: str, sent: datetime, tz: ZoneInfo, expected: str | None) -> None:
    assert local(due(text, sent, tz)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sent it thurs, did you get it?",
        "I lost my voice Friday night.",
        "Mailed it Tuesday, should be with you soon.",
        "Bob came by Friday afternoon, did you see him?",
        "I wasn't able to reach him on Friday afternoon.",
        "The pallets arrived Monday morning, can you confirm the count?",
        "We took the plant tour Monday and it went well.",
        "Dropped the samples off thurs, let me know what you think.",
        "Following up on Tuesday's meeting, here are the notes.",
        "Thanks for Monday's call.",
        "Tuesday's meeting went well.",
        # A regular past tense after its subject.
        "Here's what Dave pulled together on Friday.",
        "The shipment arrived Monday.",
        "Legal approved it Tuesday.",
        "The client signed Friday, so we're set.",
        "The regulator issued its order on Friday.",
        "On Friday the regulator issued its order.",
        "Friday the team presented the results.",
    ],
)
def test_past_references_give_no_due(text: str) -> None:
    assert due(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Got it, I'll call you Friday.", "2026-03-20 09:00"),
        ("I sent the draft; let's talk Thursday.", "2026-03-19 09:00"),
        ("We met last week, so I'll follow up Friday.", "2026-03-20 09:00"),
        ("Ahead of friday's call I'll send the agenda.", "2026-03-20 09:00"),
        ("I'll send the deck before Thursday's call.", "2026-03-19 09:00"),
        ("For Monday's review I'll bring the samples.", "2026-03-23 09:00"),
        # A participle used as an adjective, an imperative, a move ahead, a perfect promise.
        ("I need the signed copy Friday.", "2026-03-20 09:00"),
        ("Look for the revised quote Thursday.", "2026-03-19 09:00"),
        ("Please sign and return it by Friday.", "2026-03-20 09:00"),
        ("Get it signed by Friday.", "2026-03-20 09:00"),
        ("The meeting got moved to Friday.", "2026-03-20 09:00"),
        ("The call is rescheduled for Monday at 10.", "2026-03-23 10:00"),
        ("I've promised these to Louise by Friday.", "2026-03-20 09:00"),
        ("I'm headed to Dallas tonight.", "2026-03-18 17:00"),
        ("Dennis has a meeting lined up with them on the 25th.", "2026-03-25 09:00"),
        ("Monday works, the revised deck is attached", "2026-03-23 09:00"),
        ("Tomorrow the updated numbers will be ready", "2026-03-19 09:00"),
    ],
)
def test_future_next_to_past_words_is_kept(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "we need 3/4 inch fittings, not 1/2",
        "the 1/2 reimbursement arrangement is fine with us",
        "about 1 1/2 hours of work on our side",
        "use a 3/8 drill bit for the anchors",
        "roughly 1/3 of the volume goes to the east desk",
        "we'll split it 1/2 and 1/2",
        "the 2/3 majority vote passed",
    ],
)
def test_fractions_are_not_dates(text: str) -> None:
    assert due(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll have it to you by 3/4.", "2027-03-04 09:00"),
        ("Can we meet on 1/4 instead?", "2027-01-04 09:00"),
        ("Tuesday 3/24 works for the call.", "2026-03-24 09:00"),
        ("Shipment goes out 3/20.", "2026-03-20 09:00"),
    ],
)
def test_slash_dates_are_kept(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A bare hour or range right before a part of day is read with it.
        ("can we do 7 in the evening?", "2026-03-18 19:00"),
        ("4-5 this afternoon works for me", "2026-03-18 16:00"),
        ("how about 8 tomorrow morning", "2026-03-19 08:00"),
        ("I'm free 2-3 this afternoon", "2026-03-18 14:00"),
        ("call me 6 in the morning Friday, I'm up early", "2026-03-20 06:00"),
        # A compact time right next to a day word, in either order.
        ("meet at 1600 hrs friday", "2026-03-20 16:00"),
        ("Friday 1430 suits me", "2026-03-20 14:30"),
        ("thurs 0930 is good", "2026-03-19 09:30"),
        ("1100 hrs tomorrow in the lobby", "2026-03-19 11:00"),
    ],
)
def test_bare_times_next_to_a_day_or_part_of_day(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fourteen days from today is the cutoff", "2026-04-01 09:00"),
        ("sixteen days from now we close the books", "2026-04-03 09:00"),
        ("I'll be back to you in thirteen days", "2026-03-31 09:00"),
        ("forty days from today", "2026-04-27 09:00"),
        ("the fourth of may works", "2026-05-04 09:00"),
        ("we'll sign in the 2nd qtr", "2026-04-01 09:00"),  # a quarter to come: its first day
    ],
)
def test_worded_counts_and_lower_case_months(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # The anchor of a count that was not read is no due date of its own.
        "umpteen days from today we'll still be arguing",
        "a great many weeks from now",
        # Durations that are not deadlines.
        "Looks like a free call for the next 30 years.",
        "For the next two weeks, please focus on the following.",
        "The price holds for the next 6 months.",
        "month-to-date and year-to-date volumes are attached",
        "the week-to-date report is on the share",
    ],
)
def test_counts_and_durations_that_are_not_dues(text: str) -> None:
    assert due(text) is None


def test_the_week_of_a_date_is_that_week() -> None:
    assert local(due("During the week of April 13 I'll be in London.")) == "2026-04-13 09:00"
    assert local(due("I'll send it in the next 2 days.")) == "2026-03-20 09:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can we meet 3/4?", "2027-03-04 09:00"),
        ("3/4 works for the review", "2027-03-04 09:00"),
    ],
)
def test_a_fraction_shaped_date_alone_is_a_date(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Recurring times are no one due.
        "Mondays at 9 work best for our team",
        "Tuesdays and Thursdays at 10 are when the desk is quiet",
        "shipping cutoff is 3pm daily",
        "the report runs every morning at 9",
        "daily at 8am we publish the curve",
        "each day by 5pm the nominations close",
        # A rejected possessive takes its neighbours with it.
        "Tuesday's 9am slot is gone",
        # A quarter with a year after a determiner names a thing.
        "I've copied Dana, who runs the Q1 2028 rollout.",
        "our Q3 2027 numbers are attached",
        # "the week after" with nothing after it: after what?
        "Let's regroup early the week after.",
        # A holiday that passed two weeks ago is that one (sent in mid-April, Easter on April 5).
        "the week after Easter was hectic for us",
    ],
)
def test_recurring_names_and_doubtful_anchors_give_no_due(text: str) -> None:
    assert due(text, datetime(2026, 4, 20, 10, 0, tzinfo=CHI)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we ship daily, I'll send yours Friday", "2026-03-20 09:00"),
        ("We'll launch in Q1 2028.", "2028-01-01 09:00"),
        ("I'll call you in the a.m. tomorrow", "2026-03-19 09:00"),
        ("I'll call you Friday in the p.m.", "2026-03-20 13:00"),
        ("I'll be out 3-5 June, back the 8th", "2026-06-03 09:00"),
        ("we'll finalize the second week of may", "2026-05-08 09:00"),
        ("I'll send it after Easter", "2026-04-06 09:00"),
    ],
)
def test_kept_next_to_those_classes(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Numbers after at / by / about that are not clock times.
        "the presentation should last about 3 hours",
        "allow around 2 hours for questions",
        "we expect payback at 3 months",
        "prevent the contracts from 1) killing the deal and 2) forcing a refund",
        "covered by 10-year fixed price power",
        "Contract 238 Frimness transport service",
        "a liquidation problem from 0007",
        "sunshine at 4 Sunnyvale",
    ],
)
def test_counts_after_time_prepositions_are_not_times(text: str) -> None:
    assert due(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call at 3 - if that works", "2026-03-18 15:00"),
        ("at 10 Thurs. then", "2026-03-19 10:00"),
        ("tomorrow 0730 works", "2026-03-19 07:30"),
        ("by 1600 hrs please", "2026-03-18 16:00"),
    ],
)
def test_clock_times_after_prepositions_are_kept(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A day the sentence turns down is skipped; the next expression is read.
        ("Friday doesn't work, how about Monday?", "2026-03-23 09:00"),
        ("can't do Friday, how about Monday?", "2026-03-23 09:00"),
        ("not Friday but Monday", "2026-03-23 09:00"),
        ("instead of Friday, let's do Monday", "2026-03-23 09:00"),
        ("rather than Tuesday, can we do Thursday?", "2026-03-19 09:00"),
        ("Friday is out, Monday works", "2026-03-23 09:00"),
        ("we'll meet Thursday, not Wednesday", "2026-03-19 09:00"),
        ("we pushed the review from the 24th to the 27th", "2026-03-27 09:00"),
        ("Tuesday won't work for us.", None),
        ("the 24th is no good for me", None),
        ("Thursday is tricky for me.", None),
        # A day the writer is away is no due; what they will do after it is.
        ("I'm out Friday so I'll call you Monday", "2026-03-23 09:00"),
        ("I'm off Friday; I'll send it Monday", "2026-03-23 09:00"),
        ("I'm out of the office Friday.", None),
        ("I'll be away Tuesday and Wednesday.", None),
        ("Dana is on vacation next week.", None),
        ("I'm out until Monday but will call you then.", "2026-03-23 09:00"),
        ("I'll send it out Friday.", "2026-03-20 09:00"),
    ],
)
def test_rejected_days_and_absences(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A count from an event, not from now, is no due.
        ("payment is due within 30 days of delivery", None),
        ("we start within 10 business days of signing", None),
        ("I'll get back to you within 2 days of receiving the specs", None),
        ("30 days after delivery the warranty starts", None),
        ("within 2 days of this email", "2026-03-20 09:00"),
        ("two weeks from Friday", "2026-04-03 09:00"),
        # Greetings are no due.
        ("Happy Friday!", None),
        ("enjoy the weekend", None),
        ("have a great long weekend", None),
        ("I'll have it done over the weekend", "2026-03-21 09:00"),
        # British counts from a weekday.
        ("a week on Friday", "2026-03-27 09:00"),
        ("Monday fortnight", "2026-04-06 09:00"),
    ],
)
def test_event_counts_greetings_and_british_weeks(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


def test_zones_in_parentheses_and_quarters_of_next_year() -> None:
    early = datetime(2026, 3, 18, 8, 0, tzinfo=CHI)
    assert local(due("call at 10:00am (et)", early)) == "2026-03-18 09:00"
    assert local(due("Friday at 2pm (pt)", early)) == "2026-03-20 16:00"
    assert local(due("in Q1 of next year")) == "2027-01-01 09:00"
    assert local(due("by the end of Q2 next year")) == "2027-06-30 09:00"
    assert due("the Q1 next year numbers") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A cancelled event's day is skipped; what replaces it is read.
        ("Tomorrow's meeting is cancelled.", None),
        ("the meeting on Friday has been called off", None),
        ("the Friday call is off", None),
        ("Friday is off for me", None),
        ("I'll move the cancelled Friday call to Monday", "2026-03-23 09:00"),
        ("Friday's call is cancelled, let's talk Monday", "2026-03-23 09:00"),
        ("I'll send it Friday if the order isn't cancelled", "2026-03-20 09:00"),
        ("let's regroup Friday, your team will be off anyway", "2026-03-20 09:00"),
    ],
)
def test_cancelled_days(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Dates and period ends that name a thing.
        ("the March 12 invoice is overdue", None),
        ("I'll send the March 12 invoice by Friday", "2026-03-20 09:00"),
        ("the year-end review is Friday", "2026-03-20 09:00"),
        ("the month-end numbers are late", None),
        ("quarter-end reporting is a pain", None),
        ("by fiscal year end", None),
        ("by year end", "2026-12-31 09:00"),
        ("by the month-end", "2026-03-31 09:00"),
        # Closed days are days off.
        ("we're closed Dec 24-26", None),
        ("holiday hours: closed Monday", None),
        ("the office will be closed on Friday, so I'll call Thursday", "2026-03-19 09:00"),
        ("we'll close the deal Friday", "2026-03-20 09:00"),
    ],
)
def test_named_dates_period_ends_and_closed_days(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The time of a day's event belongs to that day.
        ("Friday's call at 3 works", "2026-03-20 15:00"),
        ("tomorrow's demo is at 10", "2026-03-19 10:00"),
        ("tonight's dinner is at 7", "2026-03-18 19:00"),
        ("Tuesday's meeting at 10 went well", None),
    ],
)
def test_the_time_of_a_days_event(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Times in a recording, habits and taken slots are no due.
        ("see the 10:30 mark in the video", None),
        ("timestamp 2:45 has the demo", None),
        ("I usually catch the 5:15 train", None),
        ("we normally close at 5", None),
        ("the 14:30 slot is taken", None),
        ("the 3pm slot is already booked, can we do 4pm?", "2026-03-18 16:00"),
        ("I'm usually free at 3, so let's talk Thursday at 3", "2026-03-19 15:00"),
        ("as always, I'll send it Friday", "2026-03-20 09:00"),
    ],
)
def test_recordings_habits_and_taken_slots(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A reply's reference to earlier mail or calls is past; the promise after it is read.
        ("Following our call on Monday, I'll send the deck Thursday", "2026-03-19 09:00"),
        ("As promised on Monday, here is the deck; I'll call Thursday", "2026-03-19 09:00"),
        ("Regarding your email of March 3, I'll reply Friday", "2026-03-20 09:00"),
        ("In response to your note of the 2nd, I'll send it Friday", "2026-03-20 09:00"),
        ("the letter dated March 3 is attached", None),
        ("as agreed, I'll send it Friday", "2026-03-20 09:00"),
    ],
)
def test_references_to_earlier_mail(text: str, expected: str | None) -> None:
    assert local(due(text)) == expected
