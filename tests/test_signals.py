"""Signals: auto-replies, bulk/no-reply mail, questions, offers, orders and acknowledgements."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.model import Message
from followup_sync.text.signals import (
    addressees,
    asks_personally,
    auto_reply,
    is_acknowledgement,
    is_bare_imperative,
    is_bulk,
    is_chase,
    is_newsletter,
    is_noreply,
    offer,
    order,
    questions,
)

TZ = ZoneInfo("America/Chicago")
SENT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago


def message(
    *,
    subject: str = "Re: pricing",
    headers: tuple[tuple[str, str], ...] = (),
    to: tuple[str, ...] = ("rep@example.com",),
    cc: tuple[str, ...] = (),
) -> Message:
    return Message(
        id="m1@example.com",
        sender="tom@customer.example",
        to=to,
        cc=cc,
        subject=subject,
        sent_at=SENT,
        headers=headers,
    )


AUTO_CASES = [
    ("auto-submitted auto-replied", {"headers": (("auto-submitted", "auto-replied"),)}, "", True),
    ("auto-submitted no", {"headers": (("auto-submitted", "no"),)}, "Thanks, will call.", False),
    ("x-autoreply", {"headers": (("x-autoreply", "yes"),)}, "", True),
    ("x-autorespond", {"headers": (("x-autorespond", "1"),)}, "", True),
    ("precedence auto_reply", {"headers": (("precedence", "auto_reply"),)}, "", True),
    ("suppress header alone", {"headers": (("x-auto-response-suppress", "All"),)}, "See you Friday.", False),
    (
        "suppress header with subject",
        {"headers": (("x-auto-response-suppress", "All"),), "subject": "Automatic reply: pricing"},
        "",
        True,
    ),
    ("subject out of office", {"subject": "Out of Office: Re: pricing"}, "", True),
    ("subject automatic reply", {"subject": "Automatic reply: Quote 4711"}, "", True),
    ("subject autoreply", {"subject": "AutoReply: Quote"}, "", True),
    ("subject german", {"subject": "Abwesenheitsnotiz: Angebot"}, "", True),
    ("subject french", {"subject": "Réponse automatique : devis"}, "", True),
    ("subject auto reply prefix", {"subject": "Out of Office AutoReply: meeting"}, "", True),
    (
        "reply to an auto reply",
        {"subject": "RE: Out of Office AutoReply: meeting"},
        "Thanks, see you then.",
        False,
    ),
    ("human subject", {"subject": "Out of the office - Friday recap"}, "Shelley, here is what is open.", False),
    (
        "absence mentioned at the end",
        {},
        "Kent, attached are the workbooks you asked for. " * 8
        + "I will be out of the office on Monday, returning on Wednesday.",
        False,
    ),
    (
        "body with two cues",
        {},
        "I am out of the office until Monday, March 9 with limited access to email. "
        "For urgent matters please contact Jane.",
        True,
    ),
    ("human note one cue", {}, "I'm out of the office until Monday, I'll call you then.", False),
    ("ordinary reply", {}, "Thanks for the quote, we will review it this week.", False),
]


@pytest.mark.parametrize(("name", "fields", "text", "expected"), AUTO_CASES, ids=[c[0] for c in AUTO_CASES])
def test_auto_reply_detection(name: str, fields: dict[str, object], text: str, expected: bool) -> None:
    msg = message(**fields)  # type: ignore[arg-type]
    assert (auto_reply(msg, text, tz=TZ) is not None) is expected


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("I am out of the office until Monday, March 9 with limited access to email.", date(2026, 3, 9)),
        ("Thank you for your message. I will be back on Thursday.", date(2026, 3, 5)),
        ("I'm travelling, returning Monday.", date(2026, 3, 9)),
        ("I am currently out of the office.", None),
        ("", None),
    ],
)
def test_auto_reply_return_date(text: str, day: date | None) -> None:
    result = auto_reply(message(subject="Automatic reply: pricing"), text, tz=TZ)
    assert result is not None
    if day is None:
        assert result.return_at is None
    else:
        assert result.return_at is not None
        assert result.return_at.tzinfo == UTC
        assert result.return_at.astimezone(TZ).date() == day


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"headers": (("list-unsubscribe", "<mailto:u@example.com>"),)}, True),
        ({"headers": (("list-id", "<sales.example.com>"),)}, True),
        ({"headers": (("precedence", "bulk"),)}, True),
        ({"headers": (("precedence", "list"),)}, True),
        ({"headers": (("precedence", "junk"),)}, True),
        ({"to": tuple(f"p{i}@example.com" for i in range(30))}, True),
        ({"to": ("a@example.com",), "cc": tuple(f"c{i}@example.com" for i in range(9))}, False),
        ({}, False),
    ],
)
def test_is_bulk(fields: dict[str, object], expected: bool) -> None:
    assert is_bulk(message(**fields), max_recipients=10) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("noreply@example.com", True),
        ("no-reply@example.com", True),
        ("No_Reply@Example.com", True),
        ("do-not-reply@example.com", True),
        ("donotreply@example.com", True),
        ("jira-noreply@example.com", True),
        ("noreply+123@example.com", True),
        ("mailer-daemon@example.com", True),
        ("MAILER-DAEMON@example.com", True),
        ("postmaster@example.com", True),
        ("notifications@github.example", True),
        ("bounces+abc@mail.example.com", True),
        ("news@bounce.example.com", True),
        ("<noreply@example.com>", True),
        ("newsletter@shop.example", True),
        ("news@publisher.example", True),
        ("updates@cards.example", True),
        ("enron.announcements@example.com", True),
        ("no.address@example.com", True),
        ("someone@list.example.com", True),
        ("newsom@example.com", False),
        ("updike.john@example.com", False),
        ("tom.baker@example.com", False),
        ("info@example.com", False),
        ("sales@example.com", False),
        ("reply@example.com", False),
        ("noreen@example.com", False),
        ("", False),
    ],
)
def test_is_noreply(address: str, expected: bool) -> None:
    assert is_noreply(address) is expected


QUESTION_CASES = [
    ("Can you send me the signed PO?", ["Can you send me the signed PO?"]),
    ("Could you confirm the delivery address by Friday.", ["Could you confirm the delivery address by Friday."]),
    (
        "Please let me know whether the 20 seats are enough.",
        ["Please let me know whether the 20 seats are enough."],
    ),
    ("Let me know if you have any questions.", []),
    # a customer's own commitment is not a request to the rep; "go ahead and" asks only as an imperative
    ("Yes, that matches. We'll go ahead and I'll send the PO next week.", []),
    ("Go ahead and send the contract.", ["Go ahead and send the contract."]),
    ("Feel free to call me anytime.", []),
    ("Please don't hesitate to reach out if you need anything.", []),
    ("How are you? Hope you had a good weekend.", []),
    ("How was your trip?", []),
    ("I'll send the pricing tomorrow.", []),
    ("Thanks for the call today.", []),
    ("Please find attached our proposal.", []),
    ("Do you want me to include installation", ["Do you want me to include installation"]),
    ("Hi Tom,\nWhat time works for you on Thursday?", ["What time works for you on Thursday?"]),
    ("Tom, would you be available for a demo next week.", ["Tom, would you be available for a demo next week."]),
    ("Any update on the contract?", ["Any update on the contract?"]),
    ("I'd appreciate it if you could review the draft.", ["I'd appreciate it if you could review the draft."]),
    (
        "When you get a chance, please sign and return the form.",
        ["When you get a chance, please sign and return the form."],
    ),
    ("Let's set up a call on Tuesday.", ["Let's set up a call on Tuesday."]),
    (
        "Here is the plan.\n- send pricing\n- Can you check the specs?\n",
        ["- Can you check the specs?"],
    ),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), QUESTION_CASES)
def test_questions(text: str, expected: list[str]) -> None:
    assert questions(text) == expected


OFFER_CASES = [
    ("Hi Tom, attached is our quote for 20 seats.", "", (), "Hi Tom, attached is our quote for 20 seats."),
    ("Please find attached the revised proposal.", "", (), "Please find attached the revised proposal."),
    ("Pricing for your review is below.", "", (), "Pricing for your review is below."),
    ("I've attached the updated pricing as promised.", "", (), "I've attached the updated pricing as promised."),
    (
        "We can offer you a 10% discount on the annual plan.",
        "",
        (),
        "We can offer you a 10% discount on the annual plan.",
    ),
    ("Anbei unser Angebot für 20 Lizenzen.", "", (), "Anbei unser Angebot für 20 Lizenzen."),
    ("See attached.", "Re: meeting", ("Quote_4711.pdf",), "attachment: Quote_4711.pdf"),
    ("See attached.", "", ("Proposal-Acme-v2.docx",), "attachment: Proposal-Acme-v2.docx"),
    ("See attached.", "", ("Contract_signed.pdf",), None),
    ("Here are the slides.", "", ("slides.pptx", "logo.png"), None),
    ("Please see the attached file.", "Quote for 20 seats", ("q.pdf",), "subject: Quote for 20 seats"),
    ("Can you send me a quote?", "", (), None),
    ("Thanks for the proposal, we'll review it.", "", (), None),
    ("", "", (), None),
]


@pytest.mark.parametrize(("text", "subject", "attachments", "expected"), OFFER_CASES)
def test_offer(text: str, subject: str, attachments: tuple[str, ...], expected: str | None) -> None:
    assert offer(text, subject=subject, attachments=attachments) == expected


ORDER_CASES = [
    ("Thank you for your order! Installation is scheduled for March 20.", "", True, date(2026, 3, 20)),
    ("We have received your purchase order and will ship next Friday.", "", True, date(2026, 3, 13)),
    ("PO #4711 is attached.", "", True, None),
    ("Purchase order no. 88123 attached for the 20 seats.", "", True, None),
    ("We have signed the contract, go-live is planned for April 1st.", "", True, date(2026, 4, 1)),
    ("The signed agreement is attached.", "", True, None),
    ("Please see below.", "Order confirmation 12345", True, None),
    ("We would like to go ahead with the proposal.", "", True, None),
    ("Once you have signed the contract we can schedule delivery.", "", False, None),
    ("Please sign the contract and send it back.", "", False, None),
    ("We haven't signed the contract yet.", "", False, None),
    ("Could you send the PO?", "", False, None),
    # found on real mail: the contraction, and a PO number that is only referred to
    ("We'd like to place the order for 40 licenses.", "", True, None),
    (
        "Please find attached PO 4711 for 40 licenses. Delivery is planned for March 30.",
        "",
        True,
        date(2026, 3, 30),
    ),
    ("I have asked Dave to move the volumes from PO# 27190 to contract 27267.", "", False, None),
    ("Call me at 555-0100 tomorrow.", "", False, None),
    ("", "", False, None),
]


@pytest.mark.parametrize(("text", "subject", "found", "delivery"), ORDER_CASES)
def test_order(text: str, subject: str, found: bool, delivery: date | None) -> None:
    result = order(text, subject=subject, sent_at=SENT, tz=TZ)
    assert (result is not None) is found
    if result is not None:
        assert result.evidence
        if delivery is None:
            assert result.delivery is None
        else:
            assert result.delivery is not None
            assert result.delivery.tzinfo == UTC
            assert result.delivery.astimezone(TZ).date() == delivery


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!", True),
        ("Thank you", True),
        ("Thanks,", True),
        ("Got it, thanks John!", True),
        ("Thanks for the update. Will do.", True),
        ("Sounds good!", True),
        ("ok", True),
        ("Perfect, thank you so much!", True),
        ("Hi Tom,\n\nNoted, thanks.", True),
        ("Danke!", True),
        ("Thanks 👍", True),
        ("Yes, Thursday works.", False),
        ("Thanks, I'll send it tomorrow.", False),
        ("Thanks! Can you also send the PO?", False),
        ("No.", False),
        ("Thanks for the quote. We decided to go with another vendor.", False),
        ("", False),
        ("Thanks " * 100, False),
    ],
)
def test_is_acknowledgement(text: str, expected: bool) -> None:
    assert is_acknowledgement(text) is expected


def test_signals_stay_fast_on_huge_text() -> None:
    huge = ("Please let me know if you can send the PO #4711 for the quote attached. " * 14_000)[:1_000_000]
    started = time.thread_time()  # CPU time: a loaded machine slows the wall clock, not the work
    questions(huge[:300_000])
    offer(huge, subject="x", attachments=())
    order(huge, subject="x", sent_at=SENT, tz=TZ)
    is_acknowledgement(huge)
    auto_reply(message(subject="Automatic reply"), huge, tz=TZ)
    is_noreply("a" * 1_000_000 + "@example.com")
    assert time.thread_time() - started < 2.0


# --- found by reading what a full pass produced on a real mailbox (evaluation/PIPELINE.md) ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a "?" the encoding left for a lost character is not a question
        ("Bread pudding\n\n? cup raisins\n1 ? cups of milk\nServes six.", []),
        ("Does Thursday work for you ?", ["Does Thursday work for you ?"]),
        # pasted published text: its questions are rhetorical
        ("Here is the article I mentioned.\n\nCopyright ? 2001 Daily Planet. All rights reserved.\nWho knew?", []),
        ("Did you see this?\n\nAll Rights Reserved. Why now?", ["Did you see this?"]),
        # statements about somebody else
        ("Mark will look into it and will let me know.", []),
        ("She didn't tell me about the outage until Monday.", []),
        ("That is the support you need to verify the volumes.", []),
        ("You need to sign the form by Friday.", ["You need to sign the form by Friday."]),
        # thanks for comments asks for none
        ("I appreciate your comments.", []),
        ("Thanks for your thoughts and prayers.", []),
        ("I would appreciate your comments by Friday.", ["I would appreciate your comments by Friday."]),
        ("Thanks in advance for your feedback.", ["Thanks in advance for your feedback."]),
        # a notice asked for in case something is wrong awaits nothing
        ("If not let me know.", []),
        ("If that is not correct let me know.", []),
        ("If you are hearing something different, please let me know.", []),
        ("If they are OK, please post them on the website.", ["If they are OK, please post them on the website."]),
        ("Please let me know if there are any questions or concerns.", []),
        (
            "Please review and let me know if there are any changes.",
            ["Please review and let me know if there are any changes."],
        ),
        ("Let's discuss if there are any problems.", ["Let's discuss if there are any problems."]),
        ("Please let me know if we are not going to have the data by Tuesday.", []),
        ("Let me know if your schedules change.", []),
        ("Please let me know if it is 2 or 5.", ["Please let me know if it is 2 or 5."]),
        ("Next time you are in Dallas, let me know and we'll get lunch.", []),
        ("For further updates, please contact your account team.", []),
        ("If anyone has other questions, please let me know.", []),
        # greetings passed on and talk to oneself
        ('Tell Amanda and Seth "hi" for me.', []),
        ("Please pass on my thanks to the crew.", []),
        ("Let's see what kind of response I get.", []),
        ("Let's meet on Monday.", ["Let's meet on Monday."]),
        # "Here is ..." is not a vocative "John is ...": the rest is no "is your ...?" question
        ("Here is your second email. See you tonight!", []),
        ("Attached is your copy of the agreement.", []),
        ("John can you send it today?", ["John can you send it today?"]),
    ],
)
def test_questions_on_real_mail_shapes(text: str, expected: list[str]) -> None:
    assert questions(text) == expected


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Shelley - would you like me to forward it?", {"shelley"}),
        ("Raetta or Lynn: is there no way to split it?", {"raetta", "lynn"}),
        ("Steve, Steve, and Lynn-", {"steve", "lynn"}),
        ("Hi Lorna,", {"lorna"}),
        ("TK - please update the rates.", {"tk"}),
        ("Please review the draft.", set()),
        ("Could you send it?", set()),
    ],
)
def test_addressees(sentence: str, names: set[str]) -> None:
    assert addressees(sentence) == names


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Please advise me of whom I need to contact.", True),
        ("Could you point us to the right person?", True),
        ("Find out how to set up a trading strategy.", False),
        ("Please forward this to anyone who might benefit.", False),
    ],
)
def test_asks_personally(sentence: str, expected: bool) -> None:
    assert asks_personally(sentence) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Bring milk to a simmer.", True),
        ("Provide the guest list in the meeting packets.", True),
        ("Please send the guest list.", False),
        ("Send me the guest list.", False),
        ("Dan, send the guest list.", False),
        ("Send the guest list?", False),
        ("We will send the guest list.", False),
    ],
)
def test_is_bare_imperative(sentence: str, expected: bool) -> None:
    assert is_bare_imperative(sentence) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Just bumping this up in your inbox.", True),
        ("Following up on the below.", True),
        ("Any update on the contract?", True),
        ("Here are the numbers for Q3.", False),
    ],
)
def test_is_chase(sentence: str, expected: bool) -> None:
    assert is_chase(sentence) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Our spring sale starts now.\n\nTo unsubscribe from this list, click here.", True),
        ("New arrivals.\nView this email in your browser", True),
        ("Could you send the contract?\n\nRegards, Tom", False),
    ],
)
def test_is_newsletter(body: str, expected: bool) -> None:
    assert is_newsletter(body) is expected
