"""Issue 8's missed classes, with sentences written for these tests (not taken from any labelled set).

Each class is a family of wordings; the rules are checked on several of each, and on look-alikes that must stay
no promise (past or counterfactual modals, someone else's act, real words near a verb's spelling).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.promises import Promise, find_promises

NY = ZoneInfo("America/New_York")
SENT = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def found(text: str) -> list[Promise]:
    return find_promises(text, sent_at=SENT, tz=NY)


def live(text: str) -> list[Promise]:
    return [p for p in found(text) if not p.conditional]


TYPOS = [
    "I wil forward the contract this afternoon.",
    "We wll send the confirms tomorrow.",
    "I'llcall you after lunch.",
    "I willsend the revised schedule on Friday.",
    "I will forwrad the redline to Mark.",
    "I'll ciculate the minutes tomorrow.",
    "I will shedule a call with the plant for next week.",
    "We will prepaer the final documents by Monday.",
]

PARAPHRASES = [
    "I'll pass your note along to our credit group.",
    "I'll pass the request on to the scheduling desk.",
    "I'll hand this over to our contracts team.",
    "I will hand the file off to Debra today.",
    "I'll see that the invoice gets corrected.",
    "I will see to it that you get the originals.",
    "I'll get someone from IT to look at it tomorrow.",
    "I will have somebody in accounting send you the statement.",
    "I will start preparing the masters for the new counterparties.",
    "We will begin drafting the amendment this week.",
    "I'll put a proposal together for you.",
    "I'll work up a new quote for the Houston plant.",
    "I'll sort it out with accounting this week.",
    "I'll straighten this out first thing tomorrow.",
    "I'll set aside some time Friday to go through it with you.",
    "I'll hunt down the original agreement.",
    "I'll have a look at the draft this afternoon.",
    "I'll try and find the file for you.",
    "I'll ensure the invoice is corrected.",
    "I'll remember to bring the contract.",
    "I'll reconcile your invoices this week.",
    "I'll re-price the deal for you.",
    "I'll upgrade your account tomorrow.",
    "I'll prioritize your request.",
    "Will do and will advise.",
    "I'll get right on it.",
    "I'll take it from here.",
    "I'll make it happen.",
    "I'll get the numbers to Sally by noon.",
    "I will endeavour to send it today.",
    "I'll aim to have it to you by Friday.",
]

SHOULD_HAVE = [
    "I should have the report to you by Friday.",
    "We should have an answer for you by Tuesday.",
    "I should have the model updated by tomorrow.",
    "We should have the revised confirms out to you Thursday morning.",
]

CONDITIONAL = [
    "Assuming you are fine with the terms, I'll send the contract tomorrow.",
    "Provided you agree, we will file the notice on Monday.",
    "As long as the dates work for you, I'll book the flights.",
    "Assuming that works for your side, we'll ship on the 25th.",
]

NOT_PROMISES = [
    "I should have sent you the file last week.",
    "I should have called you sooner.",
    "We should have known about the outage.",
    "I should have the day off on Friday.",
    "I will be out of the office until Monday.",
    "I will forwarded it yesterday.",
    "Will you pass this on to Sara?",
    "I passed your note along to credit.",
    "I'll see what happens on Friday.",
    "I'll see you at the party on Friday.",
    "Sara will hand it over to you on Friday.",
    "I will start on Monday in the new group.",
    "I will begin my vacation on Friday.",
    "I willingly accepted the offer.",
    "William will send it to you.",
    "I will scheduled it last week.",
    "I will consider the proposal.",
    "If they agree, I'll send the contract.",
    "I will have a look around Houston.",
    "I will find the time.",
    "I will put my feet up.",
    "I'll miss your smile.",
    "I'll cheer for your team.",
    "I'll abide by your decision.",
    "I will look to you for guidance.",
    "I'll get the kids to school tomorrow.",
    "Will do.",
    "We will monitor the web site and update the questions periodically.",
    "I will call in to the meeting from the airport.",
]


@pytest.mark.parametrize("sentence", TYPOS)
def test_typos_read_as_meant(sentence: str) -> None:
    assert live(sentence), sentence


@pytest.mark.parametrize("sentence", PARAPHRASES)
def test_paraphrased_promises(sentence: str) -> None:
    assert live(sentence), sentence


@pytest.mark.parametrize("sentence", SHOULD_HAVE)
def test_should_have_it_by_a_time_is_a_promise(sentence: str) -> None:
    promises = live(sentence)
    assert promises and promises[0].due is not None, sentence


def test_should_have_without_a_time_is_not() -> None:
    assert not live("I should have the report for you.")


@pytest.mark.parametrize("sentence", CONDITIONAL)
def test_conditions_on_the_contact_are_pending(sentence: str) -> None:
    promises = found(sentence)
    assert promises and all(p.conditional for p in promises), sentence


@pytest.mark.parametrize("sentence", NOT_PROMISES)
def test_look_alikes_are_no_promise(sentence: str) -> None:
    assert not live(sentence), sentence


CONDITIONAL_MORE = [
    "If the draft is acceptable, I will have it signed and returned.",
    "Should the terms be acceptable, we will prepare the confirmation.",
    "Once you approve, I'll send it to the customer.",
    "Let me know your availability and I will set something up.",
    "With your OK, I'll send the letter out today.",
    "If that's acceptable, I'll get the paperwork going.",
    "Pls confirm and I will release the nomination.",
    "Kindly confirm and I'll proceed with the order.",
    "If you're free, let's grab lunch Thursday.",
    "With your permission, I will forward this to our counsel.",
]

# They happen without a reply: plain promises (guidelines, "default action unless the recipient acts").
DEFAULT_ACTIONS = [
    "If there are no changes from your side, I will send it to the customer on Monday.",
    "If I hear no objections, we will file it Friday.",
    "If you have no objection, I'll send it to legal on Monday.",
    "If you have no further comments, I will execute it Friday.",
]


@pytest.mark.parametrize("sentence", CONDITIONAL_MORE)
def test_more_conditions_on_the_contact(sentence: str) -> None:
    promises = found(sentence)
    assert promises and all(p.conditional for p in promises), sentence


@pytest.mark.parametrize("sentence", DEFAULT_ACTIONS)
def test_default_actions_stand(sentence: str) -> None:
    assert live(sentence), sentence


JOINT_WITH_A_TIME = [
    "A copy of the agreement is on its way and should reach you Thursday.",
    "Look out for the updated model on Monday.",
    "You'll be getting the statements by the 5th.",
    "Let's aim to wrap this up by Friday.",
    "Let's get on the phone tomorrow morning.",
    "The backup data will be forwarded to you tomorrow.",
    "Let's pencil in Tuesday at 10.",
    "Let's do Tuesday at 2.",
    "Let's shoot for Wednesday.",
    "Let's aim for a call Thursday morning.",
    "Let's book 30 minutes on Friday.",
    "Let's find a time next week to go over the numbers.",
    "Let's get something on the calendar for next week.",
]

JOINT_NOT = [
    "You'll be getting a call from Jim on Monday.",
    "You will be seeing more of these emails next week.",
    "Look out for the ice on the way in.",
    "Let's wrap this up.",
    "Let's aim for consistency next year.",
    "Let's target the Houston market next quarter.",
    "Let's do lunch sometime.",
    "Let's find a time.",
    "So we need the table for today and let's say 1 week in the past.",
]


@pytest.mark.parametrize("sentence", JOINT_WITH_A_TIME)
def test_joint_and_impersonal_with_a_time(sentence: str) -> None:
    promises = live(sentence)
    assert promises and promises[0].joint and promises[0].due is not None, sentence


@pytest.mark.parametrize("sentence", JOINT_NOT)
def test_joint_look_alikes(sentence: str) -> None:
    assert not live(sentence), sentence


def test_your_agreement_as_a_document_is_no_condition() -> None:
    promises = live("I will send the confirms with your agreement tomorrow.")
    assert promises and not promises[0].conditional


# The contact's step or yes asked for in the sentence or clause before (guidelines: "the condition may sit in
# the previous sentence").
CONDITION_BEFORE = [
    "Shoot me a note and I'll send you the file.",
    "Text me your flight number and I'll pick you up.",
    "Initial the changes and I will have the final copies printed.",
    "Let me know which you prefer; I'll then send the final.",
    "Let me know if these dates work. I'll book the rooms.",
    "Any chance you could send me the figures? I'll then update the model.",
    "If not, then let's reschedule our Friday call for Monday.",
]

# A review or comments asked for first, then the next step of the process: plain promises.
PROCESS_STEPS = [
    "Please review and let me know of changes by Tuesday. Then I will recap for the Wednesday meeting.",
    "Could you send me the figures? I'll call you tomorrow.",
    "Let me know what you think. I'll call you Monday.",
]


@pytest.mark.parametrize("sentence", CONDITION_BEFORE)
def test_a_condition_before_makes_it_pending(sentence: str) -> None:
    promises = found(sentence)
    assert promises and all(p.conditional for p in promises), sentence


@pytest.mark.parametrize("sentence", PROCESS_STEPS)
def test_the_next_step_of_a_process_stands(sentence: str) -> None:
    assert live(sentence), sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "I'll be working on the Dynegy deal all day Friday.",
        "I will be handling the Duke account from now on.",
        "I'll be dealing with the auditors all week.",
        # the joint clause has no time of its own: "tomorrow" is the other clause's
        "I'll be working on 41 tomorrow; let's talk about what would be a good meeting time.",
    ],
)
def test_where_the_senders_days_go_is_no_promise(sentence: str) -> None:
    assert not live(sentence), sentence


def test_work_aimed_at_the_recipient_still_counts() -> None:
    assert live("I'll be working on your proposal tomorrow.")


@pytest.mark.parametrize(
    ("sentence", "hour"),
    [
        ("Will report back later this AM with the numbers.", 9),
        ("I'll call you this pm.", 13),
        ("A new blackline will be circulated in the a.m.", 9),
        ("I'll send the revised draft in the p.m.", 13),
    ],
)
def test_am_and_pm_as_a_part_of_the_day(sentence: str, hour: int) -> None:
    from followup_sync.text.dates import find_due

    early = datetime(2026, 3, 18, 11, 0, tzinfo=UTC)  # Wednesday 07:00 in New York
    due = find_due(sentence, sent_at=early, tz=NY)
    assert due is not None and due.when.astimezone(NY).hour == hour and due.when.astimezone(NY).day == 18


def test_am_as_a_verb_is_no_time() -> None:
    from followup_sync.text.dates import find_due

    assert find_due("I am in the office.", sent_at=SENT, tz=NY) is None


# Written for this test file; each is one of a class (delegation under way, subjectless plans, a drop-off, an
# action at a time waited for, a stated deadline after "should have").
MORE_CLASSES = [
    "I'm having Martha email it to you.",
    "We're having the team call you tomorrow.",
    "Hope to send it today.",
    "Plan to call you Monday.",
    "I'm drafting the guaranty and hope to have it to you shortly.",
    "I expect to sent a preliminary agenda out next week.",
    "I'll leave it on your desk.",
    "I will leave a copy with your assistant.",
    "I will wait till after lunch to send it.",
    "I'll wait until Monday to file it.",
    "I should have New Power updated by tomorrow.",
]

MORE_LOOK_ALIKES = [
    "I'm having lunch with Martha.",
    "I'm having trouble sending it.",
    "I am having it faxed to you now.",
    "I believe we are having our guaranty executed.",
    "I am having the contracts sent to you today.",
    "TVA sent an agreement that I am having faxed to you now.",
    "We are having guests tonight.",
    "I hope to see you there.",
    "Hope to meet you soon.",
    "I look forward to it and hope to meet you in person.",
    "Plan to attend the meeting.",
    "Expect to hear from him soon.",
    "I'll leave it with you.",
    "I will leave the office at 5.",
]


@pytest.mark.parametrize("sentence", MORE_CLASSES)
def test_more_classes(sentence: str) -> None:
    assert live(sentence), sentence


@pytest.mark.parametrize("sentence", MORE_LOOK_ALIKES)
def test_more_look_alikes(sentence: str) -> None:
    assert not live(sentence), sentence


def test_then_takes_its_time_from_the_sentence_before() -> None:
    call = live("Thursday works for me. I'll call you then.")
    assert call and call[0].due is not None and call[0].due.when.astimezone(NY).day == 19
    talk = live("Thursday at 2 works for me. Talk then.")
    assert talk and talk[0].joint and talk[0].due is not None and talk[0].due.when.astimezone(NY).hour == 14


def test_then_without_a_time_before_gives_none() -> None:
    call = live("Thanks for the update. I'll call you then.")
    assert call and call[0].due is None
    assert not live("Thanks for the update. Talk then.")
