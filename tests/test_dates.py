"""text.dates: table-driven cases for the conventions in docs/dates.md (sent on Wednesday 2026-03-18 10:30)."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.dates import DateOptions, Due, find_due

CHI = ZoneInfo("America/Chicago")
SENT = datetime(2026, 3, 18, 10, 30, tzinfo=CHI)  # a Wednesday


def due(text: str, sent: datetime = SENT, tz: ZoneInfo = CHI, **options: object) -> Due | None:
    return find_due(text, sent_at=sent, tz=tz, options=DateOptions(**options))  # type: ignore[arg-type]


def local(d: Due | None) -> str | None:
    return None if d is None else d.when.strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("I'll call you Thursday.", "2026-03-19 09:00", False),
        ("I'll call you Wednesday.", "2026-03-25 09:00", False),  # same weekday as sent -> +7
        ("Let's talk this Friday.", "2026-03-20 09:00", False),
        ("I will send it next Friday.", "2026-03-27 09:00", False),
        ("I'll have it to you by 3/20.", "2026-03-20 09:00", False),
        ("We'll talk on March 19 at 10.", "2026-03-19 10:00", True),
        ("We'll talk on 19 March.", "2026-03-19 09:00", False),
        ("I'll send the contract by the 19th.", "2026-03-19 09:00", False),
        ("I'll circle back Mar. 19th.", "2026-03-19 09:00", False),
        ("Target date is 2026-03-25.", "2026-03-25 09:00", False),
        ("I'll call at 2.", "2026-03-18 14:00", True),
        ("I'll call at 9.", "2026-03-19 09:00", True),  # 09:00 has passed -> tomorrow
        ("I'll call at 2:30 p.m. tomorrow.", "2026-03-19 14:30", True),
        ("Let's do 14:00 on Friday.", "2026-03-20 14:00", True),
        ("Lunch at noon tomorrow?", "2026-03-19 12:00", True),
        ("I'll send it EOD.", "2026-03-18 17:00", True),
        ("I'll get you numbers by COB tomorrow.", "2026-03-19 17:00", True),
        ("I'll call you first thing tomorrow.", "2026-03-19 08:00", True),
        ("I'll call you tomorrow morning.", "2026-03-19 09:00", True),
        ("I'll call you Friday afternoon.", "2026-03-20 13:00", True),
        ("I'll send it tonight.", "2026-03-18 17:00", True),
        ("I'll send it today.", "2026-03-18 09:00", False),
        ("I'll send it the day after tomorrow.", "2026-03-20 09:00", False),
        ("Let's touch base next week.", "2026-03-23 09:00", False),
        ("I'll follow up early next week.", "2026-03-23 09:00", False),
        ("I'll call you mid next week.", "2026-03-25 09:00", False),
        ("I'll call you end of next week.", "2026-03-27 09:00", False),
        ("I'll get back to you by the end of the week.", "2026-03-20 09:00", False),
        ("I'll send it EOW.", "2026-03-20 09:00", False),
        ("I'll check in in a couple of weeks.", "2026-04-01 09:00", False),
        ("I'll ping you in 2-3 days.", "2026-03-20 09:00", False),
        ("I will send it within 3 business days.", "2026-03-23 09:00", False),
        ("Let's reconnect early next month.", "2026-04-01 09:00", False),
        ("I'll send the invoice at the end of the month.", "2026-03-31 09:00", False),
        ("Let's revisit mid-April.", "2026-04-15 09:00", False),
        ("We'll start in Q3.", "2026-07-01 09:00", False),
        ("We should close by the end of Q2.", "2026-06-30 09:00", False),
        ("I'll call after the holidays.", "2027-01-04 09:00", False),
        ("I'll follow up after Thanksgiving.", "2026-11-30 09:00", False),
        ("I'll call Tuesday next week.", "2026-03-24 09:00", False),
        ("We should talk the week of 3/23.", "2026-03-23 09:00", False),
        ("Let's do Friday the 20th at 9:30.", "2026-03-20 09:30", True),
        ("Can we meet from 2-3pm tomorrow?", "2026-03-19 14:00", True),
        ("I'll send it in an hour.", "2026-03-18 11:30", True),
        ("I'll be there at 10am PT on Friday.", "2026-03-20 12:00", True),  # 10 PT = 12 CT
        ("Call at 2pm London time tomorrow.", "2026-03-19 09:00", True),  # GMT in March: UTC-5 vs UTC+0
        ("Jeff will arrive +/- 4:00p Friday night.", "2026-03-20 16:00", True),
        ("Budget meetings during the month of April.", "2026-04-01 09:00", False),
        ("I'll have numbers for you by Halloween.", "2026-10-31 09:00", False),
        ("I'll have the SOW ready by the first of the month.", "2026-04-01 09:00", False),
        ("Talk at 930 central?", "2026-03-19 09:30", True),
        ("I'll call you Thursday at 11 Pacific.", "2026-03-19 13:00", True),
        ("I'll send it within the next week or so.", "2026-03-25 09:00", False),
        ("Let's run the migration Sunday at 2:30am.", "2026-03-22 02:30", True),
    ],
)
def test_resolves(text: str, expected: str, has_time: bool) -> None:
    check(text, expected, has_time)


def check(text: str, expected: str, has_time: bool) -> None:
    result = due(text)
    assert local(result) == expected
    assert result is not None and result.has_time is has_time
    assert result.when.tzinfo == CHI


@pytest.mark.parametrize(
    ("text", "expected", "has_time"),
    [
        ("We'll revisit next quarter.", "2026-04-01 09:00", False),
        ("We need to close this quarter.", "2026-03-31 09:00", False),
        ("Let's target mid Q2.", "2026-05-15 09:00", False),
        ("I'll have it done this month.", "2026-03-31 09:00", False),
        ("I'll call early this week.", "2026-03-23 09:00", False),  # Mon-Tue are over: next week's
        ("Let's talk midweek.", "2026-03-18 09:00", False),
        ("I'll call you in half an hour.", "2026-03-18 11:00", True),
        ("I'll send it 2 weeks from tomorrow.", "2026-04-02 09:00", False),
        ("Let's meet 3 days from Friday.", "2026-03-23 09:00", False),
        ("Kickoff is 2026-04-02 14:00.", "2026-04-02 14:00", True),
        ("I'll send it on the 19th of next month.", "2026-04-19 09:00", False),
        ("Let's talk on the 2nd of May.", "2026-05-02 09:00", False),
        ("Let's meet Tuesday after next.", "2026-03-31 09:00", False),
        ("Let's meet Friday week.", "2026-03-27 09:00", False),
        ("Lunch 11-1pm tomorrow?", "2026-03-19 11:00", True),
        ("Call at 3 o'clock.", "2026-03-18 15:00", True),
        ("Start at 05:00 tomorrow.", "2026-03-19 05:00", True),
        ("Let's talk at two.", "2026-03-18 14:00", True),
        ("Let's talk at three thirty pm.", "2026-03-18 15:30", True),
        ("Call me at quarter to 3.", "2026-03-18 14:45", True),
        ("I'll call tomorrow early morning.", "2026-03-19 08:00", True),
        ("I'll call late afternoon Friday.", "2026-03-20 15:00", True),
        ("Let's do mid-morning Thursday.", "2026-03-19 10:00", True),
        ("Call at 10am your time tomorrow.", "2026-03-19 10:00", True),
        ("Dinner at 7 in the evening on Friday?", "2026-03-20 19:00", True),
        ("I'll ping you over lunch tomorrow.", "2026-03-19 12:00", True),
        ("Let's do 9-11am Monday.", "2026-03-23 09:00", True),
    ],
)
def test_more_phrasings(text: str, expected: str, has_time: bool) -> None:
    check(text, expected, has_time)


@pytest.mark.parametrize(
    "text",
    [
        "Call me at 713-345-6687.",
        "You can reach me at (555) 123-4567 ext. 12.",
        "The license costs $1,200.00 and 3.5% interest.",
        "Upgrade to v2.3 or 10.4.1 first.",
        "The 2027 contract is attached.",
        "We still run Windows 2000.",
        "The meeting is in EB 3267.",
        "We met last Tuesday.",
        "On Monday I sent the proposal.",
        "On Monday, I sent the proposal.",
        "I sent it yesterday.",
        "Thanks for your time this morning.",
        "At the end of the day, price matters.",
        "Good morning Bob,",
        "Thanks, John",
        "Office hours: Mon-Fri 9am-5pm ET",
        "We meet every Monday.",
        "We will have a meeting every Mon at 3:30pm.",
        "I met him yesterday at 3pm.",
        "The tender closed on 2/20.",
        "Prices rose 3.2% in January.",
        "Please find attached the Q4 2000 results.",
        "Reach me at 1-800-555-0199.",
        "I had a productive meeting with J.P. Morgan on Tuesday.",
        "My note of 10/14/99 still stands.",
        "I'll call you today at 9.",
        "I may call you.",
        "See you at 2:75pm.",
        "Good afternoon Alice,",
        "Have a good evening.",
    ],
)
def test_never_a_due_date(text: str) -> None:
    assert due(text, sent=datetime(2026, 3, 18, 15, 0, tzinfo=CHI)) is None


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("I'll send it by Friday.", True),
        ("I'll send it before the 19th.", True),
        ("I'll send it no later than Friday.", True),
        ("I'll send it EOD.", True),
        ("See you on Friday at 10.", False),
        ("I'll call Thursday.", False),
    ],
)
def test_deadline(text: str, deadline: bool) -> None:
    result = due(text)
    assert result is not None and result.deadline is deadline


def test_span_and_window() -> None:
    result = due("Let's touch base next week about pricing.")
    assert result is not None and result.text == "next week"
    assert result.window_end == datetime(2026, 3, 27, 17, 0, tzinfo=CHI)


def test_first_future_expression_wins() -> None:
    result = due("We met on Monday and I'll call you Friday at 3.")
    assert local(result) == "2026-03-20 15:00"


def test_options() -> None:
    assert local(due("I'll send it by 3/4.", date_order="DMY")) == "2026-04-03 09:00"
    assert local(due("I'll send it next Friday.", next_weekday="nearest")) == "2026-03-20 09:00"
    assert local(due("I'll send it EOD.", end_of_day=time(18, 0))) == "2026-03-18 18:00"
    assert local(due("I'll pay by end of May.", end_of_month="business")) == "2026-05-29 09:00"
    assert local(due("Deadline 02.04.2026", date_order="DMY")) == "2026-04-02 09:00"
    assert local(due("Call at 7.", last_am_hour=7)) == "2026-03-18 19:00"


def test_dst_change_is_respected() -> None:
    # Sent the Friday before US DST starts (2026-03-08); Monday 9:00 is then UTC-5, not UTC-6.
    sent = datetime(2026, 3, 6, 12, 0, tzinfo=CHI)
    result = due("I'll call Monday at 9.", sent=sent)
    assert result is not None and result.when.utcoffset() == CHI.utcoffset(datetime(2026, 3, 9, 9))
    assert result.when.hour == 9


def test_naive_sent_at_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        find_due("Friday", sent_at=datetime(2026, 3, 18), tz=CHI)


def test_labelled_set_stays_above_target() -> None:
    # A regression guard over evaluation/data/dates.jsonl; the figures come from evaluation/dates_eval.py.
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "evaluation" / "data" / "dates.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    right = 0
    for row in rows:
        tz = ZoneInfo(row["tz"])
        result = find_due(row["text"], sent_at=datetime.fromisoformat(row["sent_at"]), tz=tz)
        got = result.when.strftime("%Y-%m-%dT%H:%M") if result else None
        right += (
            (got is None) if row["expected"] is None else (got is not None and got[:10] == row["expected"][:10])
        )
    assert len(rows) >= 300
    assert right / len(rows) >= 0.97


def test_fast_atom_scan_finds_what_a_full_scan_finds() -> None:
    # find_atoms only tries words in STARTERS; a full finditer over every position must agree.
    import json
    from pathlib import Path

    from followup_sync.text import _datepatterns as pat

    path = Path(__file__).resolve().parent.parent / "evaluation" / "data" / "dates.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    texts += ["Q1 and Q2 8.", "Thursday  morning", "(ET) @ 3 e.o.d. a.m. mid-April 2morrow tomorrowl"]
    for text in texts:
        masked = pat.mask_re().sub(lambda m: "#" * len(m.group()), text)
        full = [(m.span(), m.lastgroup) for m in pat.atom_re().finditer(masked)]
        assert [(m.span(), m.lastgroup) for m in pat.find_atoms(masked)] == full, text


# --- issue 8: the date forms reps write (own sentences; sent Wednesday 2026-03-18 10:30 in Chicago) -------------


@pytest.mark.parametrize(
    ("text", "country", "subdivision", "expected", "deadline"),
    [
        ("We'll ship the parts right after Easter Monday.", "GB", "ENG", "2026-04-07 09:00", False),
        ("We'll ship the parts right after Easter Monday.", "US", None, "2026-04-07 09:00", False),  # home: GB
        ("I'll sign it before Good Friday.", "CA", "ON", "2026-04-02 09:00", True),
        ("Can we talk on Victoria Day?", "CA", "BC", "2026-05-18 09:00", False),
        ("The invoice goes out the Tuesday after Memorial Day.", "US", "NY", "2026-05-26 09:00", False),
        ("I'll have it by the August bank holiday.", "GB", "ENG", "2026-08-28 09:00", True),
        ("I'll have it by the August bank holiday.", "GB", "SCT", "2026-07-31 09:00", True),  # first Monday
        ("Expect the draft Thanksgiving week.", "US", None, "2026-11-23 09:00", False),
        ("Expect the draft Thanksgiving week.", "CA", "ON", "2026-10-12 09:00", False),  # Canada's
        ("I'll call you after Thanksgiving.", "CA", "ON", "2026-10-13 09:00", False),
        ("I'll call you after Thanksgiving.", "DE", None, "2026-11-30 09:00", False),  # the US one
        ("Let's meet the week of Labour Day.", "AU", "QLD", "2026-05-04 09:00", False),
        ("I'll chase it after the public holiday.", "AU", "VIC", "2026-04-07 09:00", False),  # Easter Sat-Mon
        ("Before the long weekend I'll confirm.", "GB", "ENG", "2026-04-02 09:00", True),
        ("Back to you after Whit Monday.", "DE", "BY", "2026-05-26 09:00", False),
        ("The paperwork comes after Boxing Day.", "DE", "BY", "2026-12-28 09:00", False),
        ("I'll send the quote on Christmas Eve.", None, None, "2026-12-24 09:00", False),
        ("I'll send the quote by Xmas.", "US", None, "2026-12-24 09:00", True),
    ],
)
def test_holidays_from_the_reps_calendar(
    text: str, country: str | None, subdivision: str | None, expected: str, deadline: bool
) -> None:
    result = due(text, country=country, subdivision=subdivision)
    assert local(result) == expected
    assert result is not None and result.deadline is deadline and not result.has_time


def test_business_days_skip_the_reps_holidays() -> None:
    # Wed 2026-12-23: Dec 24 (Thu) is a business day, Dec 25 and the Boxing Day substitute (Mon 28) are not in GB
    sent = datetime(2026, 12, 23, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    tz = ZoneInfo("Europe/London")
    assert local(due("I'll send it in 3 business days.", sent, tz, country="GB", subdivision="ENG")) == (
        "2026-12-30 09:00"
    )
    assert local(due("I'll send it in 3 business days.", sent, tz)) == "2026-12-28 09:00"  # no calendar: weekends
    listed = due("I'll send it in 3 business days.", sent, tz, holidays=(datetime(2026, 12, 24).date(),))
    assert local(listed) == "2026-12-29 09:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll call at twenty to four.", "2026-03-18 15:40"),
        ("Let's say half past two tomorrow.", "2026-03-19 14:30"),
        ("Call me at quarter past 10am.", "2026-03-19 10:15"),  # 10:15 today has passed
        ("Talk at ten to nine on Friday.", "2026-03-20 08:50"),
        ("I'm free at half two.", "2026-03-18 14:30"),
        ("See you at 0945 tomorrow.", "2026-03-19 09:45"),
        ("I'll ring you at 1430.", "2026-03-18 14:30"),
        ("Let's say 415 pm.", "2026-03-18 16:15"),
        ("Call me at 2.15.", "2026-03-18 14:15"),
        ("Meet at 9.30am Thursday.", "2026-03-19 09:30"),
        ("Friday 1600 works for the walkthrough.", "2026-03-20 16:00"),
        ("The call is 1:00-2:30 on Friday.", "2026-03-20 13:00"),
        ("Pencil in 10-11am tomorrow.", "2026-03-19 10:00"),
        ("Between 3 and 4 Thursday works.", "2026-03-19 15:00"),
        ("I'll call at 10:00 cst.", "2026-03-19 10:00"),  # passed in Chicago today
        ("I'll call Tuesday 10am pt.", "2026-03-24 12:00"),
        ("I'll call tomorrow 9am aest.", "2026-03-19 17:00"),  # Sydney's tomorrow is already Friday
        ("I'll call wed at 3.", "2026-03-25 15:00"),
        ("Talk thurs 4ish.", "2026-03-19 16:00"),
        ("Can do noonish tmrw.", "2026-03-19 12:00"),
    ],
)
def test_clock_times_issue_8(text: str, expected: str) -> None:
    result = due(text)
    assert local(result) == expected
    assert result is not None and result.has_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll send it tues.", "2026-03-24 09:00"),
        ("I'll call on the second Thursday of next month.", "2026-04-09 09:00"),
        ("I'll call on the last Friday in June.", "2026-06-26 09:00"),
        ("I'll call on the first Monday of the month.", "2026-04-06 09:00"),  # March's has passed
        ("I'll send it on the fourth of May.", "2026-05-04 09:00"),
        ("I'll send it on the 10th of next month.", "2026-04-10 09:00"),
        ("I'll send it on June fifth 2027.", "2027-06-05 09:00"),
        ("I'll send it by 11/01/2027.", "2027-11-01 09:00"),
        ("I'll send it Nov 1st '27.", "2027-11-01 09:00"),
        ("I'll send it in Q3 2027.", "2027-07-01 09:00"),
        ("We'll close it end of Q2 2026.", "2026-06-30 09:00"),
        ("We'll close it next qtr.", "2026-04-01 09:00"),
        ("We'll close it in Q1.", "2026-03-31 09:00"),  # the current quarter: its last day
        ("We'll close it in the first quarter of 2027.", "2027-01-01 09:00"),
        ("We'll close it later this year.", "2026-12-31 09:00"),
        ("I'll call two Mondays from now.", "2026-03-30 09:00"),
        ("I'll call ten days hence.", "2026-03-28 09:00"),
        ("I'll call after 3 days.", "2026-03-21 09:00"),
        ("I'll send it in the coming week.", "2026-03-23 09:00"),
        ("I'll send it later in the coming week.", "2026-03-27 09:00"),
        ("will send nxt wk", "2026-03-23 09:00"),
        ("ping u tmrw", "2026-03-19 09:00"),
        ("sending it b4 thrusday", "2026-03-19 09:00"),
        ("back to u by end of wk", "2026-03-20 09:00"),
        ("after the hols", "2027-01-04 09:00"),
    ],
)
def test_dates_issue_8(text: str, expected: str) -> None:
    assert local(due(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'll call on the first Monday of this month.",  # passed
        "We meet every second Tuesday.",
        "We meet on the first Monday of every month.",
        "We'll close it in 2028.",
        "The Q3 forecast is attached.",
        "Our Christmas promo is attached.",
        "I'll follow up after the Christmas party.",
        "Happy Thanksgiving to you and yours!",
        "We spoke on Family Day.",
        "I'll send it in the coming weeks.",
        "Part 1530-A is on back order.",
        "SKU 2245 is back in stock.",
        "Model X1430 is discontinued.",
        "Please quote reference 2/5-B.",
        "It costs $9.30 a seat.",
        "See section 4.15 of the contract.",
        "The ratio was 3.15 to 1.",
        "We voted 12 to 4.",
        "Lead time is 4-6 weeks.",
        "Call me at 415 555 0100.",
        "Ship 1200 units.",
        "We need five to ten licences.",
        "I'll call by 2030.",
        "see you sat",
    ],
)
def test_never_a_due_date_issue_8(text: str) -> None:
    assert due(text, country="US") is None


def test_informal_spans_point_at_what_was_written() -> None:
    result = due("ok will ping u tmrw @ 3 re the PO")
    assert local(result) == "2026-03-19 15:00" and result is not None and result.text == "tmrw @ 3"
    result = due("sending nxt wk")
    assert result is not None and result.text == "nxt wk"


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(ValueError, match="not a country"):
        due("I'll call after the holiday.", country="XX")
