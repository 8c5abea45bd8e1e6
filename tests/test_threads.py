"""Threading real-looking mail: conversation ids, In-Reply-To, and Outlook mail with neither."""

from __future__ import annotations

import pytest

from followup_sync.model import Message, MessageMeta
from followup_sync.threads import (
    assign_threads,
    display_subject,
    is_generic,
    is_reply_subject,
    new_thread_key,
    normalise_subject,
    subject_key,
)
from tests.factories import BOB, JANE, REP, received, sent

ME = frozenset({REP})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RE: Q3 pricing", "q3 pricing"),
        ("Re: RE: FW: Q3 pricing", "q3 pricing"),
        ("AW: WG: Angebot Q3", "angebot q3"),
        ("TR: Devis", "devis"),
        ("SV: VS: Tarjous", "tarjous"),
        ("RIF: Offerta", "offerta"),
        ("Antw: Offerte", "offerte"),
        ("Fwd: Re: Q3   pricing ", "q3 pricing"),
        ("[EXT] RE: Q3 pricing", "q3 pricing"),
        ("RE: [EXTERNAL] Re: Q3 pricing", "q3 pricing"),
        ("*EXTERNAL* Q3 pricing", "q3 pricing"),
        ("RE[2]: Q3 pricing", "q3 pricing"),
        ("Re： Q3 pricing", "q3 pricing"),
        ("Q3 pricing (fwd)", "q3 pricing"),
        ("", ""),
        ("Re:", ""),
        ("Reply needed: contract", "reply needed: contract"),
        ("Fwdx: no prefix", "fwdx: no prefix"),
    ],
)
def test_normalise_subject(raw: str, expected: str) -> None:
    assert normalise_subject(raw) == expected


def test_display_subject_keeps_case_and_subject_key_ignores_it() -> None:
    assert display_subject("RE: [EXT] Q3 Pricing for ACME") == "Q3 Pricing for ACME"
    assert subject_key("RE: Q3 Pricing") == subject_key("q3 pricing") != subject_key("Q4 pricing")


def test_reply_and_generic_detection() -> None:
    assert is_reply_subject("[EXT] RE: Hi") and not is_reply_subject("Hi there")
    assert is_generic("RE: Hi") and is_generic("") and is_generic("Quick question")
    assert not is_generic("Q3 pricing for Acme")


def meta(msg: Message, thread_key: str) -> MessageMeta:
    return MessageMeta(
        id=msg.id,
        thread_key=thread_key,
        sender=msg.sender,
        recipients=msg.recipients,
        sent_at=msg.sent_at,
        from_me=msg.sender == REP,
        subject_key=subject_key(msg.subject),
        conversation_id=msg.conversation_id,
    )


class TestOutlookWithoutInReplyTo:
    def test_reply_joins_by_subject_and_participant(self) -> None:
        quote = sent(JANE, "Q3 pricing", "Pricing attached.", "2026-11-16 10:00")
        reply = received(JANE, "RE: Q3 pricing", "Looks good.", "2026-11-18 09:00")
        keys = assign_threads([reply, quote], [], me=ME)
        assert keys[quote.id] == keys[reply.id] == new_thread_key(quote.id)

    def test_reply_joins_a_known_message_from_an_earlier_pass(self) -> None:
        quote = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00")
        reply = received(JANE, "AW: Q3 pricing", "", "2026-11-20 09:00")
        keys = assign_threads([reply], [meta(quote, "t-known")], me=ME)
        assert keys[reply.id] == "t-known"

    def test_same_subject_other_customer_is_another_thread(self) -> None:
        to_jane = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00")
        from_carl = received("carl@globex.com", "RE: Q3 pricing", "", "2026-11-17 10:00")
        keys = assign_threads([to_jane, from_carl], [], me=ME)
        assert keys[to_jane.id] != keys[from_carl.id]

    def test_older_than_thirty_days_starts_over(self) -> None:
        old = sent(JANE, "Q3 pricing", "", "2026-09-01 10:00")
        late = received(JANE, "RE: Q3 pricing", "", "2026-11-02 10:00")
        keys = assign_threads([old, late], [], me=ME)
        assert keys[old.id] != keys[late.id]

    def test_joins_the_most_recent_matching_conversation(self) -> None:
        first = sent(JANE, "Q3 pricing", "", "2026-10-01 10:00")
        second = sent(JANE, "Q3 pricing", "", "2026-10-20 10:00")
        reply = received(JANE, "RE: Q3 pricing", "", "2026-11-05 10:00")  # 35 days after first, 16 after second
        keys = assign_threads([first, second, reply], [], me=ME)
        assert keys[reply.id] == keys[second.id] == keys[first.id]  # second already joined first (19 days)

    def test_generic_subject_needs_a_direct_reply(self) -> None:
        hi_jane = sent(JANE, "Hi", "", "2026-11-16 10:00")
        hi_again = sent((JANE, BOB), "Hi", "", "2026-11-17 10:00")  # a new mail, no RE:
        jane_answers = received(JANE, "RE: Hi", "", "2026-11-16 15:00")
        keys = assign_threads([hi_jane, hi_again, jane_answers], [], me=ME)
        assert keys[jane_answers.id] == keys[hi_jane.id]
        assert keys[hi_again.id] != keys[hi_jane.id]

    def test_generic_subject_shared_recipient_is_not_a_reply(self) -> None:
        # Jane asked the rep (Bob in Cc); days later Bob writes "RE: Question" to the rep alone: Jane, who
        # started it, takes no part in Bob's mail, so with a generic subject that is not enough evidence
        jane_asks = received(JANE, "Question", "", "2026-11-16 10:00", cc=(BOB,))
        bob_writes = received(BOB, "RE: Question", "", "2026-11-18 10:00")
        jane_again = received(JANE, "RE: Question", "", "2026-11-18 11:00", cc=(BOB,))
        keys = assign_threads([jane_asks, bob_writes, jane_again], [], me=ME)
        assert keys[bob_writes.id] != keys[jane_asks.id] == keys[jane_again.id]

    def test_empty_subjects_never_glue(self) -> None:
        a = sent(JANE, "", "", "2026-11-16 10:00")
        b = received(JANE, "RE:", "", "2026-11-16 11:00")
        c = sent(JANE, "FW:", "", "2026-11-16 12:00")
        keys = assign_threads([a, b, c], [], me=ME)
        assert len({keys[a.id], keys[b.id], keys[c.id]}) == 3

    def test_forward_to_someone_new_is_a_new_conversation(self) -> None:
        quote = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00")
        forward = sent("carl@globex.com", "FW: Q3 pricing", "", "2026-11-17 10:00")
        keys = assign_threads([quote, forward], [], me=ME)
        assert keys[forward.id] != keys[quote.id]

    def test_rep_only_messages_do_not_join(self) -> None:
        note = sent(REP, "Q3 pricing", "", "2026-11-16 10:00")
        again = sent(REP, "RE: Q3 pricing", "", "2026-11-16 11:00")
        keys = assign_threads([note, again], [], me=ME)
        assert keys[note.id] != keys[again.id]


class TestHeaders:
    def test_in_reply_to_wins_over_a_changed_subject(self) -> None:
        quote = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00", id="quote@vendor.com")
        reply = received(JANE, "Budget approved!", "", "2026-11-17 10:00", in_reply_to="<Quote@Vendor.com>")
        keys = assign_threads([quote, reply], [], me=ME)
        assert keys[reply.id] == keys[quote.id]

    def test_references_to_a_known_message(self) -> None:
        reply = received(JANE, "Other", "", "2026-11-17 10:00", references=("<x@y>", "<quote@vendor.com>"))
        known = MessageMeta(
            id="quote@vendor.com", thread_key="t-old", sender=REP, recipients=(JANE,),
            sent_at=reply.sent_at, from_me=True, subject_key=subject_key("Q3"),
        )  # fmt: skip
        assert assign_threads([reply], [known], me=ME)[reply.id] == "t-old"

    def test_reply_read_before_its_parent_in_one_batch(self) -> None:
        # clock skew: the reply's Date is earlier than the message it answers
        quote = sent(JANE, "Pricing", "", "2026-11-16 10:05", id="quote@vendor.com")
        reply = received(JANE, "Different", "", "2026-11-16 10:00", in_reply_to="quote@vendor.com")
        keys = assign_threads([reply, quote], [], me=ME)
        assert keys[reply.id] == keys[quote.id] == new_thread_key("quote@vendor.com")

    def test_conversation_id_first(self) -> None:
        a = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00", conversation_id="AAQk1")
        b = received(BOB, "Totally different", "", "2026-11-19 10:00", conversation_id="AAQk1")
        c = received(JANE, "RE: Q3 pricing", "", "2026-11-19 11:00", conversation_id="AAQk2")
        keys = assign_threads([a, b, c], [], me=ME)
        assert keys[a.id] == keys[b.id] != keys[c.id]

    def test_conversation_id_of_a_known_message(self) -> None:
        old = sent(JANE, "Q3 pricing", "", "2026-11-16 10:00", conversation_id="AAQk1")
        new = received(JANE, "RE: Q3 pricing", "", "2026-11-19 10:00", conversation_id="AAQk1")
        keys = assign_threads([new], [meta(old, "t-from-before")], me=ME)
        assert keys[new.id] == "t-from-before"

    def test_known_message_keeps_its_thread(self) -> None:
        reply = received(JANE, "RE: Q3 pricing", "", "2026-11-19 10:00")
        assert assign_threads([reply], [meta(reply, "t-stable")], me=ME)[reply.id] == "t-stable"

    def test_reference_loop_does_not_recurse_forever(self) -> None:
        a = received(JANE, "A", "", "2026-11-16 10:00", id="a@x", in_reply_to="b@x")
        b = received(JANE, "B", "", "2026-11-16 10:00", id="b@x", in_reply_to="a@x")
        keys = assign_threads([a, b], [], me=ME)
        assert keys["a@x"] == keys["b@x"]


class TestToMeta:
    def test_flags(self) -> None:
        from followup_sync.threads import to_meta
        from tests.factories import ZONE

        mine = sent(JANE, "Q3", "Pricing attached.", "2026-11-16 10:00", cc=(BOB,))
        ooo = received(
            JANE, "Automatic reply: Q3", "I am out of the office until Monday, November 30.", "2026-11-16 10:01",
            headers=(("auto-submitted", "auto-replied"),),
        )  # fmt: skip
        news = received("news@acme.com", "News", "Hello", "2026-11-16 10:00", headers=(("list-id", "<n.acme>"),))
        bot = received("no-reply@acme.com", "Receipt", "Hello", "2026-11-16 10:00")
        m = {msg.id: to_meta(msg, "t", me=ME, bulk_recipients=15, tz=ZONE) for msg in (mine, ooo, news, bot)}
        assert m[mine.id].from_me and m[mine.id].recipients == (JANE, BOB) and not m[mine.id].automatic
        assert m[mine.id].subject_key == subject_key("RE: q3")
        assert m[ooo.id].automatic and not m[ooo.id].from_me and m[ooo.id].return_at is not None
        assert m[ooo.id].return_at.astimezone(ZONE).date().isoformat() == "2026-11-30"
        assert m[news.id].bulk and m[bot.id].bulk and not m[mine.id].bulk

    @pytest.mark.parametrize(
        ("body", "attachments", "asked"),
        [
            ("Could you confirm the number of seats?", (), True),
            ("Please find attached our quote for the 50 seats.", (), True),
            ("Notes from today.", ("Acme_proposal.pdf",), True),
            ("Just following up on the below.", (), True),
            ("Here are the shipping numbers for this week.", (), False),
            ("Thanks for the call today.", (), False),
            ("Could you confirm?\n\n-----Original Message-----\nFrom: Jane\nPlease advise.", (), True),
            ("Noted.\n\n-----Original Message-----\nFrom: Jane\nCould you call me?", (), False),
        ],
    )
    def test_asked_marks_the_reps_touches(self, body: str, attachments: tuple[str, ...], asked: bool) -> None:
        from followup_sync.threads import to_meta
        from tests.factories import ZONE

        mine = sent(JANE, "Seats", body, "2026-11-16 10:00", attachments=attachments)
        assert to_meta(mine, "t", me=ME, bulk_recipients=15, tz=ZONE).asked is asked
        theirs = received(JANE, "Seats", body, "2026-11-16 10:00", attachments=attachments)
        assert to_meta(theirs, "t", me=ME, bulk_recipients=15, tz=ZONE).asked is False
