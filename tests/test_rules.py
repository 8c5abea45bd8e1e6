"""The five follow-up kinds on realistic threads, their resolution, one-per-thread and cadence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from followup_sync.config import Identity, Rules
from followup_sync.model import FollowUp, Meeting, Message, MessageMeta
from followup_sync.rules import find_followups, resolve
from followup_sync.schedule import reminder_for
from followup_sync.threads import assign_threads, to_meta
from tests.factories import (
    BOB,
    COLLEAGUE,
    IDENTITY,
    JANE,
    REP,
    RULES,
    SCHEDULE,
    ZONE,
    at,
    meeting,
    message,
    received,
    sent,
)

ME = frozenset({REP})


@dataclass
class Pass:
    found: list[FollowUp]
    open: list[FollowUp]
    closed: dict[str, str]

    def kinds(self) -> list[str]:
        return sorted(f.kind for f in self.open)

    def one(self, kind: str) -> FollowUp:
        [f] = [f for f in self.open if f.kind == kind]
        return f


def metas(messages: Sequence[Message], known: Sequence[MessageMeta] = ()) -> list[MessageMeta]:
    keys = assign_threads(messages, known, me=ME)
    return [to_meta(m, keys[m.id], me=ME, bulk_recipients=RULES.bulk_recipients, tz=ZONE) for m in messages]


def run(
    messages: Sequence[Message],
    *,
    now: str,
    meetings: Sequence[Meeting] = (),
    later: Sequence[Message] = (),
    rules: Rules = RULES,
) -> Pass:
    """One detection pass over ``messages`` then resolution with ``later`` mail known too (metadata only)."""
    first = metas(messages)
    threads = {m.id: m.thread_key for m in first}
    moment = at(now)
    found = find_followups(
        messages, threads, first, meetings, identity=IDENTITY, rules=rules, schedule=SCHEDULE, now=moment
    )
    history = first + metas(later, first)
    still_open, closed = resolve(
        found, history, meetings, identity=IDENTITY, rules=rules, now=moment, schedule=SCHEDULE
    )
    return Pass(found, still_open, closed)


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")


# --- promise ------------------------------------------------------------------------------------------------

CALL_PROMISE = sent(
    JANE,
    "Q3 pricing",
    "Hi Jane,\n\nThanks for your time today. I'll call you Wednesday at 2pm to go through the numbers.\n\n"
    "Best,\nRita",
    "2026-11-23 10:00",
    id="promise-call@vendor.com",
)


class TestPromise:
    def test_call_promise_due_at_stated_time(self) -> None:
        p = run([CALL_PROMISE], now="2026-11-23 11:00")
        f = p.one("promise")
        assert local(f.due) == "2026-11-25 14:00" and f.due_has_time and f.channel == "call"
        assert f.contacts == (JANE,) and f.thread_subject == "Q3 pricing" and f.origin_id == CALL_PROMISE.id
        assert "call you Wednesday at 2pm" in f.evidence
        assert f.link == CALL_PROMISE.link
        reminder = reminder_for(f, schedule=SCHEDULE, tz=ZONE, now=at("2026-11-23 11:00"))
        assert reminder.subject == "Call jane@acme.com - Q3 pricing"

    def test_promise_without_date_gets_two_business_days(self) -> None:
        msg = sent(
            JANE, "Contract questions", "Good questions. I'll get back to you on those.", "2026-11-27 10:00"
        )
        f = run([msg], now="2026-11-27 11:00").one("promise")
        assert local(f.due) == "2026-12-01 09:00" and not f.due_has_time

    def test_resolved_by_a_later_mail_in_another_thread(self) -> None:
        later = sent(JANE, "Numbers for Q3", "Here are the numbers we talked about.", "2026-11-25 14:30")
        p = run([CALL_PROMISE], now="2026-11-25 15:00", later=[later])
        assert p.open == [] and list(p.closed.values()) == ["rep followed up"]

    def test_resolved_by_a_meeting_with_that_person(self) -> None:
        call = meeting("Jane / Rita call", "2026-11-25 14:00", "2026-11-25 14:30", (REP, JANE))
        p = run([CALL_PROMISE], now="2026-11-24 09:00", meetings=[call])
        assert list(p.closed.values()) == ["meeting scheduled"]

    def test_meeting_with_someone_else_does_not_resolve(self) -> None:
        other = meeting("Bob sync", "2026-11-25 14:00", "2026-11-25 14:30", (REP, "carl@globex.com"))
        assert run([CALL_PROMISE], now="2026-11-24 09:00", meetings=[other]).kinds() == ["promise"]

    def test_mail_to_a_colleague_does_not_resolve(self) -> None:
        note = sent(COLLEAGUE, "Q3 pricing", "FYI, calling Jane on Wednesday.", "2026-11-23 12:00")
        assert run([CALL_PROMISE], now="2026-11-24 09:00", later=[note]).kinds() == ["promise"]

    def test_overdue_promise_is_reminded_at_the_next_slot(self) -> None:
        f = run([CALL_PROMISE], now="2026-11-30 10:20").one("promise")
        r = reminder_for(f, schedule=SCHEDULE, tz=ZONE, now=at("2026-11-30 10:20"))
        assert r.overdue and r.subject.startswith("OVERDUE: ") and local(r.start) == "2026-11-30 11:00"

    def test_quoted_promise_is_not_the_reps(self) -> None:
        body = (
            "Sounds good, talk soon.\n\n-----Original Message-----\nFrom: Jane Doe\nSent: Monday, November 23, "
            "2026 9:00 AM\nTo: Rita Rep\nSubject: Q3 pricing\n\nI'll call you tomorrow at 10am.\n"
        )
        assert run([sent(JANE, "RE: Q3 pricing", body, "2026-11-23 10:00")], now="2026-11-23 11:00").open == []

    def test_colleagues_only_never_count(self) -> None:
        msg = sent(COLLEAGUE, "Report", "I'll send you the report tomorrow morning.", "2026-11-23 10:00")
        assert run([msg], now="2026-11-23 11:00").found == []

    def test_internal_domains_and_ignore_lists(self) -> None:
        to_partner = sent("ann@partner.com", "Deal", "I'll call you tomorrow at 10am.", "2026-11-23 10:00")
        assert run([to_partner], now="2026-11-23 11:00").kinds() == ["promise"]
        for rules in (
            replace(RULES, internal_domains=("partner.com",)),
            replace(RULES, ignore_domains=("partner.com",)),
            replace(RULES, ignore_addresses=("ann@partner.com",)),
        ):
            assert run([to_partner], now="2026-11-23 11:00", rules=rules).found == []

    def test_only_configured_kinds(self) -> None:
        assert (
            run([CALL_PROMISE], now="2026-11-23 11:00", rules=replace(RULES, kinds=("awaiting_reply",))).found
            == []
        )

    def test_mail_after_now_does_not_exist_yet(self) -> None:
        assert run([CALL_PROMISE], now="2026-11-22 11:00").found == []


# --- awaiting_reply -----------------------------------------------------------------------------------------

PROPOSAL = sent(
    JANE,
    "Proposal for 50 seats",
    "Hi Jane,\n\nPlease find attached our proposal for the 50 seats we discussed.\n\nBest,\nRita",
    "2026-11-16 10:00",
    attachments=("Acme_proposal.pdf",),
    id="proposal@vendor.com",
)


class TestAwaitingReply:
    def test_unanswered_proposal(self) -> None:
        f = run([PROPOSAL], now="2026-11-20 10:00").one("awaiting_reply")
        assert local(f.due) == "2026-11-19 09:00" and f.attempt == 1 and f.contacts == (JANE,)
        assert f.evidence  # the offer sentence or the attachment
        r = reminder_for(f, schedule=SCHEDULE, tz=ZONE, now=at("2026-11-17 10:00"))
        assert r.subject == "No reply from jane@acme.com - Proposal for 50 seats"

    def test_question_to_the_customer(self) -> None:
        msg = sent(JANE, "Rollout", "Could you let me know how many users will need access?", "2026-11-16 10:00")
        assert run([msg], now="2026-11-17 10:00").kinds() == ["awaiting_reply"]

    def test_reply_without_in_reply_to_answers(self) -> None:
        reply = received(
            JANE, "RE: Proposal for 50 seats", "Thanks, we will review it this week.", "2026-11-18 09:00"
        )
        p = run([PROPOSAL], now="2026-11-20 10:00", later=[reply])
        assert p.open == [] and list(p.closed.values()) == ["answered"]

    def test_reply_from_another_thread_also_answers(self) -> None:
        reply = received(JANE, "Budget", "We got budget approval for the seats.", "2026-11-18 09:00")
        assert list(run([PROPOSAL], now="2026-11-20 10:00", later=[reply]).closed.values()) == ["answered"]

    def test_colleague_of_the_contact_answers_in_the_thread(self) -> None:
        reply = received(
            BOB, "RE: Proposal for 50 seats", "Jane is out; I'll take this.", "2026-11-18 09:00", cc=(JANE,)
        )
        assert list(run([PROPOSAL], now="2026-11-20 10:00", later=[reply]).closed.values()) == ["answered"]

    def test_out_of_office_is_not_an_answer_and_delays_the_reminder(self) -> None:
        ooo = received(
            JANE,
            "Automatic reply: Proposal for 50 seats",
            "I am out of the office until Monday, November 30 with limited access to email.",
            "2026-11-16 10:01",
            headers=(("auto-submitted", "auto-replied"),),
        )
        p = run([PROPOSAL], now="2026-11-20 10:00", later=[ooo])
        f = p.one("awaiting_reply")
        assert f.not_before is not None and f.not_before.astimezone(ZONE).date().isoformat() == "2026-11-30"
        r = reminder_for(f, schedule=SCHEDULE, tz=ZONE, now=at("2026-11-17 10:00"))
        assert r.start >= f.not_before and local(r.start).startswith("2026-11-30")

    def test_rep_reply_same_day_changes_nothing(self) -> None:
        oops = sent(JANE, "RE: Proposal for 50 seats", "Forgot the attachment, sorry.", "2026-11-16 10:05")
        p = run([PROPOSAL, oops], now="2026-11-20 10:00")
        assert p.one("awaiting_reply").origin_id == PROPOSAL.id

    def test_bulk_and_no_reply_never_create(self) -> None:
        blast = sent(
            tuple(f"lead{i}@example{i}.com" for i in range(40)),
            "Webinar",
            "Would you like to join?",
            "2026-11-16 10:00",
        )
        assert run([blast], now="2026-11-20 10:00").found == []


def chase_thread() -> list[Message]:
    subject = "Proposal for 50 seats"
    return [
        PROPOSAL,
        sent(JANE, f"RE: {subject}", "Any thoughts on the proposal?", "2026-11-19 10:00", id="t2@vendor.com"),
        sent(JANE, f"RE: {subject}", "Just following up on the below.", "2026-11-26 10:00", id="t3@vendor.com"),
        sent(JANE, f"RE: {subject}", "Did you get a chance to look?", "2026-12-03 10:00", id="t4@vendor.com"),
    ]  # fmt: skip


class TestCadence:
    def test_attempts_are_counted_and_spaced_and_stop(self) -> None:
        p = run(chase_thread(), now="2026-12-03 11:00")
        chases = {f.origin_id: f for f in p.found if f.kind == "awaiting_reply"}
        assert sorted(chases) == ["proposal@vendor.com", "t2@vendor.com", "t3@vendor.com"]  # t4: past max_touches
        assert [chases[k].attempt for k in sorted(chases)] == [1, 2, 3]
        second = chases["t2@vendor.com"]
        # the first touch's reminder was Thu 11-19; the second waits a week after it, not 3 business days
        assert local(second.due) == "2026-11-24 09:00"
        assert second.not_before is not None and local(second.not_before) == "2026-11-26 09:00"
        # one open follow-up for the thread: the latest touch
        assert [f.origin_id for f in p.open] == ["t3@vendor.com"]
        assert p.closed == {}
        r = reminder_for(p.open[0], schedule=SCHEDULE, tz=ZONE, now=at("2026-12-03 11:00"), max_touches=3)
        assert "(last try)" in r.subject

    def test_a_reply_closes_every_touch(self) -> None:
        reply = received(JANE, "RE: Proposal for 50 seats", "Sorry for the delay, approved.", "2026-11-27 09:00")
        p = run(chase_thread()[:3], now="2026-11-30 11:00", later=[reply])
        assert p.open == [] and set(p.closed.values()) == {"answered"}

    def test_the_contact_writing_resets_the_count(self) -> None:
        msgs = chase_thread()[:2]
        hello = received(JANE, "Other topic", "Hi Rita, quick note on the invoice address.", "2026-11-18 09:00")
        p = run([msgs[0], hello, msgs[1]], now="2026-11-19 11:00")
        second = next(f for f in p.found if f.origin_id == "t2@vendor.com")
        assert second.attempt == 1 and second.not_before is None

    def test_news_is_not_a_touch(self) -> None:
        # Every day the rep wrote to Jane used to be a touch: after three days of plain updates the quote was
        # past max_touches and got no follow-up at all.
        news = [
            sent(JANE, "Install", "The rack in building B is installed.", "2026-11-16 10:00"),
            sent(JANE, "RE: Install", "Here are the test results from the install.", "2026-11-17 10:00"),
            sent(JANE, "Shipping", "The second batch shipped this morning.", "2026-11-18 10:00"),
        ]
        quote = sent(
            JANE, "Quote for 20 more seats", "Please find attached our quote for the 20 extra seats.",
            "2026-11-19 10:00", attachments=("Acme_quote.pdf",), id="quote@vendor.com",
        )  # fmt: skip
        assert [m.asked for m in metas([*news, quote])] == [False, False, False, True]
        p = run([*news, quote], now="2026-11-19 11:00")
        assert [(f.kind, f.origin_id) for f in p.found] == [("awaiting_reply", "quote@vendor.com")]
        f = p.one("awaiting_reply")
        assert f.attempt == 1 and f.not_before is None and local(f.due) == "2026-11-24 09:00"

    def test_news_between_chases_changes_neither_count_nor_spacing(self) -> None:
        news = [
            sent(JANE, "Shipping", "The second batch shipped this morning.", "2026-11-17 10:00"),
            sent(JANE, "Install", "The rack in building B is installed.", "2026-11-20 10:00"),
            sent(JANE, "RE: Install", "Here are the test results from the install.", "2026-11-23 10:00"),
        ]

        def chases(p: Pass) -> list[tuple[str, int, datetime, datetime | None]]:
            return [(f.origin_id, f.attempt, f.due, f.not_before) for f in p.found if f.kind == "awaiting_reply"]

        plain = run(chase_thread(), now="2026-12-03 11:00")
        mixed = run([*chase_thread(), *news], now="2026-12-03 11:00")
        assert chases(mixed) == chases(plain)
        assert [a for _, a, _, _ in chases(mixed)] == [1, 2, 3]  # and t4 is still past max_touches
        assert [f.origin_id for f in mixed.open] == ["t3@vendor.com"]

    def test_a_touch_recorded_before_the_upgrade_does_not_count(self) -> None:
        # Messages stored before migration m002 read back with asked=False (their bodies are gone).
        msgs = chase_thread()[:2]
        old = [replace(m, asked=False) for m in metas(msgs[:1])]
        found = find_followups(
            msgs[1:], {}, [*old, *metas(msgs[1:], old)], [], identity=IDENTITY, rules=RULES, schedule=SCHEDULE,
            now=at("2026-11-19 11:00"),
        )  # fmt: skip
        [f] = found
        assert f.origin_id == "t2@vendor.com" and f.attempt == 1 and f.not_before is None

    def test_two_threads_with_one_contact_are_spaced(self) -> None:
        a = sent(JANE, "Seats", "Can you confirm the number of seats?", "2026-11-16 10:00")
        b = sent(JANE, "Training", "Which dates work for the training?", "2026-11-16 11:00")
        p = run([a, b], now="2026-11-16 12:00")
        assert len(p.open) == 2
        first, second = sorted(p.open, key=lambda f: f.not_before or f.due)
        assert second.not_before is not None and second.not_before - first.due >= timedelta(days=7)


# --- unanswered_inbound -------------------------------------------------------------------------------------

QUESTION = received(
    JANE,
    "Contract",
    "Hi Rita,\n\nCould you send me the updated contract by Friday? Legal needs it.\n\nThanks,\nJane",
    "2026-11-23 16:00",
    id="question@acme.com",
)


class TestUnansweredInbound:
    def test_customer_question(self) -> None:
        f = run([QUESTION], now="2026-11-23 17:00").one("unanswered_inbound")
        assert local(f.due) == "2026-11-24 09:00" and f.contacts == (JANE,)
        assert "updated contract" in f.evidence

    def test_answered_by_the_rep(self) -> None:
        answer = sent(JANE, "RE: Contract", "Sure, attached.", "2026-11-24 09:30")
        assert list(run([QUESTION], now="2026-11-24 10:00", later=[answer]).closed.values()) == ["answered"]

    def test_answered_by_a_colleague_with_the_rep_in_cc(self) -> None:
        boss = message(
            sender=COLLEAGUE, to=(JANE,), cc=(REP,), subject="RE: Contract", body="Attached, Jane.",
            sent="2026-11-24 09:00",
        )  # fmt: skip
        assert list(run([QUESTION], now="2026-11-24 10:00", later=[boss]).closed.values()) == ["answered"]

    def test_a_meeting_does_not_answer_a_written_question(self) -> None:
        review = meeting("Contract review", "2026-11-26 14:00", "2026-11-26 15:00", (REP, JANE))
        p = run([QUESTION], now="2026-11-24 10:00", meetings=[review])
        assert p.closed == {} and [f.kind for f in p.open] == ["unanswered_inbound"]

    def test_rep_only_in_cc(self) -> None:
        cc = received(
            JANE, "Contract", "Could you send me the contract?", "2026-11-23 16:00", to=(BOB,), cc=(REP,)
        )
        assert run([cc], now="2026-11-23 17:00").found == []

    def test_acknowledgement_never_creates_one(self) -> None:
        ack = received(JANE, "RE: Contract", "Thanks, got it!", "2026-11-23 16:00")
        assert run([ack], now="2026-11-23 17:00").found == []

    def test_newsletter_no_reply_and_colleague(self) -> None:
        news = received(
            "news@acme.com", "Webinar", "Would you like to join our webinar?", "2026-11-23 16:00",
            headers=(("list-unsubscribe", "<mailto:u@acme.com>"),),
        )  # fmt: skip
        noreply = received("noreply@acme.com", "Account", "Can you confirm your account?", "2026-11-23 16:00")
        boss = received(COLLEAGUE, "Numbers", "Can you send me the numbers?", "2026-11-23 16:00")
        assert run([news, noreply, boss], now="2026-11-23 17:00").found == []

    def test_newsletter_without_list_headers(self) -> None:
        digest = received(
            "daily@energynews.com", "Energy Daily", "Would you like to upgrade to premium?\n\n"
            "To unsubscribe, reply with REMOVE.", "2026-11-23 16:00",
        )  # fmt: skip
        assert run([digest], now="2026-11-23 17:00").found == []

    def test_automatic_reply_is_not_a_question(self) -> None:
        ooo = received(
            JANE, "Out of Office: Contract", "I am out of the office. Back on Monday.", "2026-11-23 16:00",
            headers=(("auto-submitted", "auto-replied"),),
        )  # fmt: skip
        assert run([ooo], now="2026-11-23 17:00").found == []


# --- after_sale ---------------------------------------------------------------------------------------------


class TestAfterSale:
    def test_po_with_delivery_date(self) -> None:
        po = received(
            JANE, "PO 4711", "Please find attached PO 4711 for 50 licenses. Delivery is planned for December 7.",
            "2026-11-23 10:00", attachments=("PO4711.pdf",),
        )  # fmt: skip
        f = run([po], now="2026-11-23 11:00").one("after_sale")
        assert local(f.due) == "2026-12-09 09:00" and f.contacts == (JANE,)

    def test_order_without_delivery_uses_the_default_wait(self) -> None:
        po = received(JANE, "Order", "We would like to place the order for 50 licenses.", "2026-11-23 10:00")
        f = run([po], now="2026-11-23 11:00").one("after_sale")
        assert local(f.due) == "2026-12-11 09:00"  # 14 business days

    def test_thanks_for_the_order_does_not_count_as_the_check_in(self) -> None:
        po = received(JANE, "Order", "We would like to place the order for 50 licenses.", "2026-11-23 10:00")
        thanks = sent(JANE, "RE: Order", "Thank you, we'll get started.", "2026-11-23 12:00")
        check = sent(JANE, "How is it going?", "How are the licenses working out?", "2026-12-10 10:00")
        assert run([po], now="2026-11-24 11:00", later=[thanks]).kinds() == ["after_sale"]
        assert list(run([po], now="2026-12-10 11:00", later=[thanks, check]).closed.values()) == ["checked in"]


class TestFalseFollowUpsFromRealMail:
    """Shapes of mail that made wrong follow-ups on a real mailbox (evaluation/PIPELINE.md); text written here."""

    def test_cold_promotion_without_an_unsubscribe_footer(self) -> None:
        promo = received(
            "events@riskseminars.example", "Options Workshop, early bird until 10/31",
            "Learn Options Pricing\nTwo full days, December 4-5\n\nIn this class you will: Find out how to hedge "
            "a physical position. Please forward this information to anyone who might benefit.",
            "2026-11-23 10:00",
        )  # fmt: skip
        assert run([promo], now="2026-11-23 11:00").found == []

    def test_a_stranger_with_a_real_question(self) -> None:
        ask = received(
            "analyst@research.example", "Capacity data",
            "I am not sure you are the right person. Could you point me to whoever handles the capacity release "
            "data?",
            "2026-11-23 10:00",
        )  # fmt: skip
        f = run([ask], now="2026-11-23 11:00").one("unanswered_inbound")
        assert "point me" in f.evidence

    def test_a_recipe_from_a_contact_asks_nothing(self) -> None:
        recipe = received(
            JANE, "Bread pudding",
            "Hi Rita,\n\nHere's the recipe I told you about.\n\n? cup raisins\n1 ? cups milk\n\nBring milk to a "
            "simmer. Pour over the bread. Bake 45 minutes.",
            "2026-11-23 10:00",
        )  # fmt: skip
        assert run([recipe], now="2026-11-23 11:00").found == []

    def test_a_question_addressed_to_another_recipient(self) -> None:
        to_bob = received(
            JANE, "Rates", "Bob - could you update the daily rates for contract 27495?", "2026-11-23 10:00",
            to=(BOB, REP),
        )  # fmt: skip
        greeting = received(
            JANE, "Report", "Bob:\n\nThe report is ready. Please make sure it goes live this weekend.",
            "2026-11-23 10:00", to=(BOB, REP),
        )  # fmt: skip
        assert run([to_bob, greeting], now="2026-11-23 11:00").found == []

    def test_a_question_addressed_to_the_rep_among_others(self) -> None:
        both = received(
            JANE, "Rates", "Bob, Rita - could you confirm the daily rates for contract 27495?", "2026-11-23 10:00",
            to=(BOB, REP),
        )  # fmt: skip
        assert run([both], now="2026-11-23 11:00").kinds() == ["unanswered_inbound"]

    def test_news_that_somebody_will_let_the_rep_know(self) -> None:
        news = received(
            JANE, "RE: Payment", "I talked with Mark. He will look into the invoices and will let me know.",
            "2026-11-23 10:00",
        )  # fmt: skip
        assert run([news], now="2026-11-23 11:00").found == []

    def test_thanking_for_comments_awaits_nothing(self) -> None:
        thanks = sent(JANE, "RE: Winter meeting", "I appreciate your comments. See you there.", "2026-11-23 10:00")
        assert run([thanks], now="2026-11-23 11:00").found == []

    def test_a_po_number_that_is_only_referred_to(self) -> None:
        note = received(
            JANE, "Balance on PO# 27190", "I asked Dave to move the volumes from PO# 27190 to contract 27267.",
            "2026-11-23 10:00",
        )  # fmt: skip
        assert [f.kind for f in run([note], now="2026-11-23 11:00").found] == []

    def test_after_sale_prefers_the_customers_po_with_a_delivery_date(self) -> None:
        po = received(
            JANE, "PO 4711 - 40 licenses",
            "Hi Rita,\n\nPlease find attached PO 4711 for 40 licenses. Delivery is planned for December 7.",
            "2026-11-23 10:00", id="po-4711@acme.com", attachments=("PO-4711.pdf",),
        )  # fmt: skip
        thanks = sent(
            JANE, "RE: PO 4711 - 40 licenses", "Thank you for your order! I've passed it to onboarding.",
            "2026-11-23 11:00", in_reply_to="po-4711@acme.com",
        )  # fmt: skip
        p = run([po, thanks], now="2026-11-23 12:00")
        assert sorted(f.kind for f in p.found) == ["after_sale", "after_sale"]
        f = p.one("after_sale")
        assert f.origin_id == "po-4711@acme.com" and "PO 4711" in f.evidence
        assert local(f.due) == "2026-12-09 09:00"

    def test_we_would_like_to_place_the_order(self) -> None:
        po = received(JANE, "Order", "We'd like to place the order for 50 licenses.", "2026-11-23 10:00")
        assert run([po], now="2026-11-23 11:00").kinds() == ["after_sale"]


# --- meeting_recap ------------------------------------------------------------------------------------------


class TestMeetingRecap:
    REVIEW = meeting("Q3 review", "2026-11-23 14:00", "2026-11-23 15:00", (REP, JANE, COLLEAGUE), uid="rev@cal")

    def test_meeting_with_a_customer(self) -> None:
        f = run([], now="2026-11-24 10:00", meetings=[self.REVIEW]).one("meeting_recap")
        assert f.contacts == (JANE,) and local(f.due) == "2026-11-24 15:00"
        assert f.evidence == "Meeting 'Q3 review' ended Mon 23 Nov 2026 15:00 EST"
        assert f.link == "https://calendar.example/event"

    def test_recap_sent(self) -> None:
        recap = sent((JANE,), "Q3 review - notes", "Thanks for the meeting, notes below.", "2026-11-23 16:00")
        p = run([], now="2026-11-24 10:00", meetings=[self.REVIEW], later=[recap])
        assert list(p.closed.values()) == ["rep followed up"]

    @pytest.mark.parametrize(
        "mtg",
        [
            meeting("Team", "2026-11-23 14:00", "2026-11-23 15:00", (REP, COLLEAGUE)),
            meeting("Q3", "2026-11-23 14:00", "2026-11-23 15:00", (REP, JANE), cancelled=True),
            meeting("Later", "2026-11-24 14:00", "2026-11-24 15:00", (REP, JANE)),
            meeting("Old", "2026-09-01 14:00", "2026-09-01 15:00", (REP, JANE)),
            meeting("Webinar", "2026-11-23 14:00", "2026-11-23 15:00", tuple(f"p{i}@x{i}.com" for i in range(30))),
        ],
    )
    def test_no_recap(self, mtg: Meeting) -> None:
        assert run([], now="2026-11-24 10:00", meetings=[mtg]).found == []

    def test_cancelled_after_detection_closes(self) -> None:
        f = run([], now="2026-11-24 10:00", meetings=[self.REVIEW]).one("meeting_recap")
        gone = replace(self.REVIEW, cancelled=True)
        _, closed = resolve([f], [], [gone], identity=IDENTITY, rules=RULES, now=at("2026-11-24 11:00"))
        assert closed == {f.key: "meeting cancelled"}


def series(subject: str, first: str, days: Sequence[int], people: tuple[str, ...], uid: str) -> list[Meeting]:
    """Occurrences of one recurring meeting ``days`` after ``first`` (an hour long), as a source reads them."""
    start = at(first)
    return [
        replace(
            meeting(subject, "2026-11-01 00:00", "2026-11-01 01:00", people),
            uid=f"{uid}/{(start + timedelta(days=d)).astimezone(UTC):%Y%m%dT%H%M%SZ}",
            start=start + timedelta(days=d),
            end=start + timedelta(days=d, hours=1),
            series=uid,
        )
        for d in days
    ]


WEEKDAYS = [d for d in range(-28, 28) if (date(2026, 11, 24) + timedelta(days=d)).weekday() < 5]


class TestRecurringRecap:
    """Issue 10, item 3: a daily stand-up with one outside guest gave 22 recap reminders."""

    STANDUP = series("Stand-up", "2026-11-24 09:30", WEEKDAYS, (REP, COLLEAGUE, "dev@vendor.com", JANE), "su@cal")
    WEEKLY = series("Acme weekly", "2026-11-02 11:00", range(0, 49, 7), (REP, JANE), "wk@cal")

    def test_a_standup_with_one_guest_is_a_ritual(self) -> None:
        assert run([], now="2026-11-24 12:00", meetings=self.STANDUP).found == []

    def test_a_weekly_customer_call_gets_one_recap_for_its_latest_occurrence(self) -> None:
        p = run([], now="2026-11-24 12:00", meetings=self.WEEKLY)
        f = p.one("meeting_recap")
        assert f.origin_id == "wk@cal/20261123T160000Z" and local(f.due) == "2026-11-24 12:00"

    def test_a_later_occurrence_replaces_the_older_recap(self) -> None:
        older = run([], now="2026-11-24 12:00", meetings=self.WEEKLY).one("meeting_recap")
        now = at("2026-12-01 12:00")
        found = find_followups([], {}, [], self.WEEKLY, identity=IDENTITY, rules=RULES, schedule=SCHEDULE, now=now)
        newer = [f for f in found if f.kind == "meeting_recap"]
        assert [f.origin_id for f in newer] == ["wk@cal/20261130T160000Z"]
        still_open, closed = resolve(
            [older, *newer], [], self.WEEKLY, identity=IDENTITY, rules=RULES, now=now, schedule=SCHEDULE
        )
        assert closed == {older.key: "a later meeting of the series"}
        assert [f.key for f in still_open] == [newer[0].key]

    def test_old_recaps_of_a_ritual_close(self) -> None:
        """Recaps written before this rule (one per stand-up) are closed, so their reminders go away."""
        old = [replace(m, series=None) for m in self.STANDUP]  # read as single meetings, as before
        found = run([], now="2026-11-24 12:00", meetings=old).found
        assert len(found) >= 15
        _, closed = resolve(
            found, [], self.STANDUP, identity=IDENTITY, rules=RULES, now=at("2026-11-24 12:00"), schedule=SCHEDULE
        )
        assert set(closed.values()) == {"recurring internal meeting"} and len(closed) == len(found)

    def test_a_daily_call_that_is_mostly_customers_keeps_one_recap(self) -> None:
        rollout = series("Roll-out", "2026-11-24 09:30", WEEKDAYS, (REP, JANE, "ops@acme.com"), "ro@cal")
        assert [f.origin_id for f in run([], now="2026-11-24 12:00", meetings=rollout).found] == [
            "ro@cal/20261124T143000Z"
        ]

    def test_a_cancelled_latest_occurrence_falls_back_to_the_one_before(self) -> None:
        weekly = list(self.WEEKLY)
        weekly[3] = replace(weekly[3], cancelled=True)  # 23 Nov
        f = run([], now="2026-11-24 12:00", meetings=weekly).one("meeting_recap")
        assert f.origin_id == "wk@cal/20261116T160000Z"

    def test_a_monthly_series_with_one_guest_is_not_a_ritual(self) -> None:
        monthly = series(
            "Partner sync", "2026-10-05 10:00", (0, 28, 56), (REP, COLLEAGUE, "x@vendor.com", JANE), "m@c"
        )
        assert [f.origin_id for f in run([], now="2026-11-24 12:00", meetings=monthly).found] == [
            "m@c/20261102T140000Z"
        ]


# --- across kinds -------------------------------------------------------------------------------------------


class TestAcrossKinds:
    def test_one_follow_up_per_thread_and_the_other_comes_back(self) -> None:
        both = sent(
            JANE, "Proposal", "Please find attached our proposal. I'll call you Thursday at 11am to discuss.",
            "2026-11-23 10:00", attachments=("proposal.pdf",),
        )  # fmt: skip
        p = run([both], now="2026-11-23 11:00")
        assert sorted(f.kind for f in p.found) == ["awaiting_reply", "promise"]
        assert p.kinds() == ["promise"] and p.closed == {}  # the quote waits, unreminded
        awaiting = next(f for f in p.found if f.kind == "awaiting_reply")
        promise = p.one("promise")
        case_study = sent(JANE, "Case study", "Here is the case study I mentioned.", "2026-11-24 08:00")
        history = metas([both, case_study])
        still, closed = resolve(
            [promise, awaiting], history, [], identity=IDENTITY, rules=RULES, now=at("2026-11-24 09:00")
        )
        assert closed == {promise.key: "rep followed up"} and [f.key for f in still] == [awaiting.key]

    def test_keys_are_stable_across_passes(self) -> None:
        a = run([CALL_PROMISE, PROPOSAL, QUESTION], now="2026-11-23 18:00")
        b = run([QUESTION, PROPOSAL, CALL_PROMISE], now="2026-11-23 18:05")
        assert [f.key for f in a.found] == [f.key for f in b.found]
        assert a.found == b.found

    def test_kind_turned_off_and_expiry(self) -> None:
        f = run([CALL_PROMISE], now="2026-11-23 11:00").one("promise")
        off = replace(RULES, kinds=("awaiting_reply",))
        assert resolve([f], [], [], identity=IDENTITY, rules=off, now=at("2026-11-24 09:00"))[1] == {
            f.key: "kind turned off"
        }
        assert resolve([f], [], [], identity=IDENTITY, rules=RULES, now=at("2027-01-05 09:00"))[1] == {
            f.key: "expired"
        }


def test_news_after_an_unanswered_mail_is_not_a_chase() -> None:
    promise = sent(JANE, "Numbers", "I'll send you the numbers tomorrow.", "2026-11-23 10:00")
    numbers = sent(JANE, "RE: Numbers", "Here are the numbers we discussed.", "2026-11-24 10:00")
    p = run([promise, numbers], now="2026-11-24 11:00")
    assert (
        [f.kind for f in p.found] == ["promise"]
        and p.open == []
        and p.closed == {p.found[0].key: "rep followed up"}
    )


def test_inferred_dates_skip_holidays() -> None:
    holidays = replace(SCHEDULE, holidays=(date(2026, 11, 26), date(2026, 11, 27)))  # Thanksgiving + Friday
    msg = sent(JANE, "Rollout", "Could you confirm the number of users?", "2026-11-24 10:00")
    threads = {m.id: m.thread_key for m in metas([msg])}
    [f] = find_followups(
        [msg],
        threads,
        metas([msg]),
        [],
        identity=IDENTITY,
        rules=RULES,
        schedule=holidays,
        now=at("2026-11-24 11:00"),
    )
    assert local(f.due) == "2026-12-01 09:00"  # Wed 25, Mon 30, Tue 1


def test_berlin_rep_across_the_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    identity = Identity(addresses=(REP,), timezone="Europe/Berlin")
    msg = sent(JANE, "Angebot", "I'll call you Monday at 10am.", "2026-10-23 15:00", zone=berlin)
    meta = to_meta(msg, "t", me=ME, bulk_recipients=15, tz=berlin)
    [f] = find_followups(
        [msg], {msg.id: "t"}, [meta], [], identity=identity, rules=RULES, schedule=SCHEDULE,
        now=at("2026-10-23 16:00", berlin),
    )  # fmt: skip
    assert f.due == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 CET, the Friday before was CEST
    r = reminder_for(f, schedule=SCHEDULE, tz=berlin, now=at("2026-10-23 16:00", berlin))
    assert r.start == f.due and "Mon 26 Oct 2026 10:00 CET" in r.body


def test_schedule_conventions_reach_the_date_reader() -> None:
    from followup_sync.config import Schedule
    from followup_sync.rules import date_options
    from followup_sync.text.dates import find_due

    monday = at("2026-11-23 10:00")
    default = find_due("I'll call you next Friday.", sent_at=monday, tz=ZONE, options=date_options(Schedule()))
    nearest = date_options(Schedule(next_weekday="nearest", date_order="DMY"))
    coming = find_due("I'll call you next Friday.", sent_at=monday, tz=ZONE, options=nearest)
    assert default is not None and coming is not None
    assert (default.when.day, coming.when.day) == (4, 27)
    european = find_due("I'll send it by 3/12.", sent_at=monday, tz=ZONE, options=nearest)
    assert european is not None and (european.when.month, european.when.day) == (12, 3)
