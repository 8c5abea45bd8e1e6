"""The open-verb path: a first-person commitment to a future action with any action verb, minus the classes that
are not a promise to the recipient (issue 8: "blacklist instead of whitelist" for the first-person future).

Sentences written for these tests (not taken from any labelled set): plain promises in verbs the lexicon does not
list, and look-alikes of each excluded class (states and feelings, availability and open offers, wishes, own
whereabouts and plans, things done to the rep, reported speech, questions, discourse in this very message).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.promises import Promise, find_promises

NY = ZoneInfo("America/New_York")
SENT = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)  # Wednesday 10:00 in New York


def live(text: str) -> list[Promise]:
    return [p for p in find_promises(text, sent_at=SENT, tz=NY) if not p.conditional]


OPEN_VERB_PROMISES = [
    "I'll double check the volumes.",
    "I will re-run the model with the new curve tomorrow.",
    "We'll redo the exhibit for you and swap in the new figures.",
    "I'll dig out the executed copy for you.",
    "I will tweak the wording of your section 4 this afternoon.",
    "I'll skim your lease on the train tonight.",
    "We will reconcile your two invoices by Friday.",
    "I will try to reach you on Monday.",
    "I'll chase accounting for your missing wire.",
    "Will tidy up the spreadsheet and repost it for you.",
    "I am going to rework your term sheet over the weekend.",
    "I will pay you the deposit Thursday.",
    "I'll shout out at ya tomorrow.",
]


@pytest.mark.parametrize("text", OPEN_VERB_PROMISES)
def test_a_plain_promise_in_an_unlisted_verb_is_found(text: str) -> None:
    assert live(text), text


NOT_PROMISES = [
    # states and feelings
    "I'll miss our Friday lunches.",
    "I will cherish the memories of this team.",
    "I'll enjoy the break, believe me.",
    "I will remember that for next time.",
    "We will love the new office.",
    # availability and open offers
    "I'll be around all week if you need anything.",
    "I'll be glad to walk you through it.",
    "I will remain available for questions.",
    # wishes
    "I'll keep my fingers crossed.",
    # own whereabouts and plans
    "I will stay in Calgary until Thursday.",
    "I'll head home early today.",
    "I will return on Monday.",
    "We will use Citibank for the escrow.",
    "I will continue to monitor the curve.",
    "I'll attend the board meeting in Omaha.",
    "I will fly to Denver on Sunday night.",
    "I'll sleep on it.",
    # done to the rep
    "I will receive the funds on Friday.",
    "I'll hear from legal next week, I think.",
    "I'll get a new laptop next month.",
    # reported speech, questions, discourse in this message
    "He told me I will owe the balance by May.",
    "Do you think I'll qualify for the rebate?",
    "I will note that the pipeline was full.",
    "I'll answer your questions below.",
    "I will start with the good news: the deal closed.",
    # an unlisted verb with nothing aimed at the recipient reads as the sender's own work (guidelines v2 "own
    # plans"); the open path leaves it alone, so a bare "I'll skim the lease tonight" is not claimed either
    "I'll read the material tonight.",
    "We will treat this as an exchange.",
    "I'll jump on it next time.",
    "I'll abide by your decision.",
    # the recipient is the source or the next clause's subject, not the object
    "I'll broach the topic again when I hear from you.",
    "I'll read it for info only and you can update them.",
    # a conversation without a time is a sign-off
    "I'll converse with you soon.",
    # obligation, hedge, negation (the existing rules' classes)
    "I will need to redo the exhibit.",
    "I'll probably never redo the exhibit.",
    "I will not redo the exhibit.",
]


@pytest.mark.parametrize("text", NOT_PROMISES)
def test_look_alikes_stay_no_promise(text: str) -> None:
    assert not live(text), text


def test_open_verb_keeps_due_and_action() -> None:
    (p,) = live("I'll tweak your exhibit tomorrow.")
    assert p.action.startswith("tweak")
    assert p.due is not None
    assert p.channel == "other"
    assert not p.joint


def test_a_conversation_with_a_time_is_joint() -> None:
    (p,) = live("I will try to confer with you Monday.")
    assert p.joint
    assert p.due is not None
