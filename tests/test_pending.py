"""Conditional and joint promises in the rules (issue 8), with the detector's output given directly.

The detector (``text.promises``) marks a promise ``conditional`` ("let me know if the terms work and I'll
sign") or ``joint`` ("let's speak Wednesday at 11"); these tests build such :class:`Promise` objects by hand
and check what the rules make of them: a pending promise that a reply accepts (due counted from the reply),
none without an answer or after a decline, a joint follow-up at its time unless a meeting covers it. The
end-to-end passes through ``sync.run_once`` with the real detector are in ``tests/test_sync_pending.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from followup_sync.acceptance import accepts
from followup_sync.model import FollowUp, Meeting, Message, MessageMeta
from followup_sync.rules import Found, find_all, promote, resolve
from followup_sync.text.analysis import Analysis
from followup_sync.text.dates import find_due
from followup_sync.text.promises import Promise
from followup_sync.threads import assign_threads, to_meta
from tests.factories import IDENTITY, JANE, REP, RULES, SCHEDULE, ZONE, at, meeting, received, sent

ME = frozenset({REP})
CONDITIONAL = "Let me know if the terms work and I'll sign on our side within two days."
JOINT = "Let's speak Wednesday at 11."


def promise(sentence: str, due: str | None, when: datetime, **flags: bool) -> Promise:
    stated = find_due(due, sent_at=when, tz=ZONE) if due else None
    return Promise(sentence=sentence, action="sign", channel="other", due=stated, **flags)


def detect(
    messages: Sequence[Message], given: dict[str, tuple[Promise, ...]], now: str
) -> tuple[Found, list[MessageMeta]]:
    """find_all over ``messages``, each message in ``given`` read as holding exactly those promises."""
    keys = assign_threads(messages, [], me=ME)
    analyses = {}
    for m in messages:
        a = Analysis(m, tz=ZONE)
        if m.id in given:
            a.__dict__["promises"] = given[m.id]  # what the detector would have found
        analyses[m.id] = a
    history = [to_meta(m, keys[m.id], me=ME, bulk_recipients=RULES.bulk_recipients, tz=ZONE) for m in messages]
    found = find_all(
        messages, keys, history, [], identity=IDENTITY, rules=RULES, schedule=SCHEDULE, now=at(now),
        analyses=analyses,
    )  # fmt: skip
    return found, history


def later(messages: Sequence[Message], known: Sequence[MessageMeta]) -> list[MessageMeta]:
    keys = assign_threads(messages, known, me=ME)
    return [
        *known,
        *(to_meta(m, keys[m.id], me=ME, bulk_recipients=RULES.bulk_recipients, tz=ZONE) for m in messages),
    ]


def settle(
    found: Found, history: Sequence[MessageMeta], now: str, meetings: Sequence[Meeting] = ()
) -> tuple[list[FollowUp], dict[str, str], list[FollowUp]]:
    """promote then resolve, as a pass does: (reminded, closed, promoted)."""
    live, _ = promote(found.pending, history, identity=IDENTITY, rules=RULES, now=at(now), schedule=SCHEDULE)
    reminded, closed = resolve(
        [*found.followups, *live], history, meetings, identity=IDENTITY, rules=RULES, now=at(now),
        schedule=SCHEDULE,
    )  # fmt: skip
    return reminded, closed, live


def conditional_thread(reply: str | None) -> tuple[Found, list[MessageMeta]]:
    ask = sent(JANE, "Contract terms", f"Hi Jane,\n\n{CONDITIONAL}\n\nRita", "2026-11-30 10:00", id="ask@test")
    given = {ask.id: (promise(CONDITIONAL, "within two days", ask.sent_at, conditional=True),)}
    found, history = detect([ask], given, "2026-11-30 11:00")
    if reply is None:
        return found, history
    answer = received(
        JANE, "RE: Contract terms", f"{reply}\n\nJane", "2026-12-02 09:00", id="answer@test",
        in_reply_to="ask@test", references=("ask@test",),
    )  # fmt: skip
    return found, later([answer], history)


# --- conditional promises ------------------------------------------------------------------------------------


def test_a_conditional_promise_is_pending_and_the_question_awaits_a_reply() -> None:
    found, history = conditional_thread(None)
    assert [f.kind for f in found.followups] == ["awaiting_reply"]
    [pending] = found.pending
    assert pending.followup.kind == "promise" and pending.due_text == "within two days"
    assert pending.followup.evidence == CONDITIONAL
    reminded, _, live = settle(found, history, "2026-12-04 10:00")
    assert live == []
    assert [f.kind for f in reminded] == ["awaiting_reply"]


def test_acceptance_makes_the_promise_live_counted_from_the_reply() -> None:
    found, history = conditional_thread("Yes, the terms work for us. Go ahead.")
    reminded, closed, [live] = settle(found, history, "2026-12-02 10:00")
    assert [f.kind for f in reminded] == ["promise"]
    assert live.key == found.pending[0].followup.key
    assert live.created_at == at("2026-12-02 09:00")
    # "within two days" of Wednesday's reply, not of Monday's mail
    assert live.due == at("2026-12-04 09:00") and live.deadline and not live.due_has_time
    assert set(closed.values()) == {"answered"}  # the question was answered


def test_acceptance_without_a_stated_time_uses_the_default_from_the_reply() -> None:
    ask = sent(
        JANE, "Terms", "Tell me if the terms work and I'll sign on our side.", "2026-11-30 10:00", id="a2@t"
    )
    given = {
        ask.id: (
            promise("Tell me if the terms work and I'll sign on our side.", None, ask.sent_at, conditional=True),
        )
    }
    found, history = detect([ask], given, "2026-11-30 11:00")
    answer = received(JANE, "RE: Terms", "Looks good.", "2026-12-03 15:00", id="r2@t", in_reply_to="a2@t")
    _, _, [live] = settle(found, later([answer], history), "2026-12-03 16:00")
    assert live.due == at("2026-12-07 09:00")  # two business days after Thursday: Monday


@pytest.mark.parametrize(
    "reply",
    [
        "Unfortunately the terms don't work for us.",
        "Could you change clause 4 first?",
        "Thanks, I'll review with legal and get back to you.",
    ],
)
def test_a_reply_that_does_not_accept_makes_no_promise(reply: str) -> None:
    found, history = conditional_thread(reply)
    reminded, closed, live = settle(found, history, "2026-12-07 10:00")
    assert live == [] and reminded == []
    assert set(closed.values()) == {"answered"}


def test_a_later_acceptance_after_a_question_still_counts() -> None:
    found, history = conditional_thread("Does that include shipping?")
    ok = received(
        JANE, "RE: Contract terms", "OK, approved.", "2026-12-03 09:00", id="ok@t", in_reply_to="answer@test"
    )
    _, _, [live] = settle(found, later([ok], history), "2026-12-03 10:00")
    assert live.created_at == at("2026-12-03 09:00")


def test_the_reps_mail_between_promise_and_acceptance_does_not_close_it() -> None:
    found, history = conditional_thread(None)
    chase = sent(JANE, "RE: Contract terms", "Any news?", "2026-12-01 10:00", id="chase@t", in_reply_to="ask@test")
    answer = received(
        JANE, "RE: Contract terms", "All good, go ahead.", "2026-12-02 09:00", id="ans@t", in_reply_to="chase@t"
    )
    reminded, closed, [live] = settle(found, later([chase, answer], history), "2026-12-02 10:00")
    assert [f.key for f in reminded] == [live.key] and live.key not in closed


def test_an_unanswered_pending_promise_expires_after_the_lookback() -> None:
    found, history = conditional_thread(None)
    live, gone = promote(found.pending, history, identity=IDENTITY, rules=RULES, now=at("2027-02-01 10:00"))
    assert live == [] and gone == {found.pending[0].followup.key: "expired"}


@pytest.mark.parametrize(
    ("text", "yes"),
    [
        ("Yes, the terms work for us.", True),
        ("Looks good, please proceed.", True),
        ("Agreed.", True),
        ("No problem, go ahead!", True),
        ("Hi Rita,\n\nSounds good to me.\n\nBest, Jane", True),
        ("Thanks.", False),
        ("Great, thanks!", False),
        ("The terms work, but we need delivery by May.", False),
        ("No, that does not work.", False),
        ("Looks good?", False),
        ("We'll discuss internally and let you know.", False),
        ("", False),
        # issue 8's second round: the shapes of assent a first blind run missed, in sentences of our own
        ("Hello Sam,\nFriday afternoon works for our crew.\nRegards,\nLee", True),
        ("Figures are acceptable. Kindly raise the invoice.", True),
        ("Nope, no objections from our end. Dispatch them.", True),
        ("We're in - lock it in for March.", True),
        ("Nothing further to add, please finalise it.", True),
        ("Can't see a problem with the layout. Print them.", True),
        ("Sure.", True),
        ("👍 thanks", True),
        ("The draft is cleared by our counsel.", True),
        ("Send me a quote for the larger unit.", False),
        ("Received, thanks. Will confirm once I've spoken to Dana.", False),
        ("Approved for the first batch only.", False),
        ("Looks fine, though procurement still has to sign off.", False),
        ("We're good with the dates, apart from the 12th.", False),
        ("Ok noted", False),
        ("Pricing is fine assuming freight is included.", False),
        ("None of the slots works for me.", False),
        ("Cheers, got it.", False),
        ("Yes, received with thanks.", False),
        ("I've no further comments on the draft.", True),
        ("We don't have any concerns with clause 4.", True),
        ("Tuesday suits us.", True),
        ("Agreed. By the way, is Mia still your contact for invoices?", True),
        ("Agreed. Can Mia be copied on the invoices?", False),
        ("Approved subject to the board's vote next week.", False),
        ("Ok in principle, let me see the breakdown.", False),
        ("Friday it is.", True),
        ("Signed and returned.", True),
    ],
)
def test_what_accepts(text: str, yes: bool) -> None:
    assert accepts(text) is yes


# --- joint follow-ups ----------------------------------------------------------------------------------------


def joint_thread(*extra: Message) -> tuple[Found, list[MessageMeta]]:
    mail = sent(JANE, "Rollout", f"Thanks Jane. {JOINT}", "2026-11-30 10:00", id="joint@t")
    given = {mail.id: (promise(JOINT, "Wednesday at 11", mail.sent_at, joint=True),)}
    found, history = detect([mail], given, "2026-11-30 11:00")
    return found, later(extra, history)


def test_a_joint_follow_up_is_reminded_at_its_time() -> None:
    found, history = joint_thread()
    reminded, _, _ = settle(found, history, "2026-11-30 12:00")
    [f] = reminded
    assert f.kind == "promise" and f.joint and f.due_has_time
    assert f.due == at("2026-12-02 11:00")
    assert [g.kind for g in found.followups] == ["promise"]  # the proposal is not also chased as a question


@pytest.mark.parametrize(
    ("start", "covered"),
    [
        ("2026-12-02 11:00", True),  # the meeting itself
        ("2026-12-01 15:00", True),  # the working day before
        ("2026-12-03 09:30", True),  # the working day after
        ("2026-12-07 11:00", False),  # the next week
    ],
)
def test_a_meeting_with_the_contact_around_the_time_covers_it(start: str, covered: bool) -> None:
    found, history = joint_thread()
    end = start[:-5] + "23:00"
    mtg = meeting("Rollout call", start, end, (JANE,))
    reminded, closed, _ = settle(found, history, "2026-11-30 12:00", [mtg])
    assert (reminded == []) is covered
    assert (set(closed.values()) == {"meeting scheduled"}) is covered


def test_arranging_mail_does_not_close_an_appointment_but_mail_on_the_day_does() -> None:
    talk = sent(JANE, "RE: Rollout", "Great, talk then.", "2026-11-30 15:00", id="t1@t", in_reply_to="joint@t")
    again = sent(JANE, "RE: Rollout", "Agenda attached.", "2026-12-01 16:00", id="t2@t", in_reply_to="t1@t")
    found, history = joint_thread(talk, again)
    reminded, _, _ = settle(found, history, "2026-12-01 17:00")
    assert [f.joint for f in reminded] == [True]
    notes = sent(JANE, "RE: Rollout", "Notes from our call.", "2026-12-02 12:00", id="t3@t", in_reply_to="t2@t")
    found, history = joint_thread(talk, again, notes)
    reminded, closed, _ = settle(found, history, "2026-12-02 13:00")
    assert reminded == [] and set(closed.values()) == {"rep followed up"}


def test_the_reps_later_mail_ends_a_joint_delivery_with_a_deadline() -> None:
    numbers = "You'll have the numbers within two days."
    mail = sent(JANE, "Numbers", numbers, "2026-11-30 10:00", id="num@t")
    found, history = detect(
        [mail], {mail.id: (promise(numbers, "within two days", mail.sent_at, joint=True),)}, "2026-11-30 11:00"
    )
    [f] = found.followups
    assert f.joint and f.deadline and f.due == at("2026-12-02 09:00")
    here = sent(JANE, "RE: Numbers", "Here they are.", "2026-11-30 16:00", id="here@t", in_reply_to="num@t")
    reminded, closed, _ = settle(found, later([here], history), "2026-11-30 17:00")
    assert reminded == [] and set(closed.values()) == {"rep followed up"}


def test_a_joint_promise_without_a_time_is_no_follow_up() -> None:
    mail = sent(JANE, "Catch up", "Let's talk soon.", "2026-11-30 10:00", id="soon@t")
    given = {mail.id: (promise("Let's talk soon.", None, mail.sent_at, joint=True),)}
    found, _ = detect([mail], given, "2026-11-30 11:00")
    assert [f for f in found.followups if f.kind == "promise"] == []
