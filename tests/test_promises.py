"""Promise detection: table-driven sentences for each rule in evaluation/GUIDELINES.md, zoning, channels, dues."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text.promises import Promise, detect, find_promises

NY = ZoneInfo("America/New_York")
# Wednesday 2026-03-18 10:00 in New York.
SENT = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)


def found(text: str) -> list[Promise]:
    return find_promises(text, sent_at=SENT, tz=NY)


def live(text: str) -> list[Promise]:
    """The promises that stand without the recipient's answer (what the evaluation counts)."""
    return [p for p in found(text) if not p.conditional]


POSITIVES = [
    # contact
    "I'll call you Thursday at 2pm.",
    "I will give you a ring next week.",
    "We'll get back to you by Friday.",
    "I'll touch base with you early next week.",
    "I will circle back with the team and follow up with you.",
    "I'll reach out to you once I've spoken to the carrier.",
    "I'll be in touch.",
    "I'll keep you posted on the approval.",
    "You will hear from me by Monday.",
    "Expect my call on Tuesday.",
    # send / deliver
    "I will send you the revised pricing tomorrow.",
    "I'm going to forward the contract to legal today.",
    "We will fax the signed copy this afternoon.",
    "I'll have the numbers to you by Friday.",
    "Will send the deck tonight.",
    "I received your note and will forward it to Mark.",
    "Details to follow.",
    # check and report back
    "Let me check with legal and get back to you.",
    "I'll look into it and let you know.",
    "I'll double-check the rates this afternoon.",
    "I will find out whether the meter was moved.",
    # meet
    "I'm going to stop by your office next week.",
    "We will meet on Tuesday at 10 to go over the proposal.",
    "I'll set up a meeting with your team for next week.",
    # delegation, triggers, hedged-but-committed
    "I'll have Sally call you tomorrow.",
    "I will ask John to send you the invoice.",
    "I'll send it once legal signs off.",
    "As soon as I hear from the carrier I will let you know.",
    "I will try to call you this afternoon.",
    "I'll probably send it Monday.",
    "I hope to send the draft to you today.",
    "I won't be able to call until Tuesday.",
    "I will voice mail Jeff after I review the deal.",
    "Trying to set up a call with their counsel (will advise).",
    "More to follow.",
    "Dial-in instructions will be forthcoming.",
    "Maureen and myself will work with Zimin to review the model.",
    "I haven't heard back from them, but will send you the draft when I do.",
    "I'm going to instruct the bank to wire the payment.",
    "I will call you Thursday to see whether you have questions or if there are concerns.",
    "My plan is to fax it to Midland tomorrow morning.",
    "I will talk with Kevin and Mitch and then get back with you.",
    "I will ask Randy if he can circulate his list.",
    "On Monday, we will show you a bid for the volumes.",
    "I will continue to follow up with him.",
    "Expect Patti to contact you about a weekly slot.",
    "I expect to send a preliminary agenda out next week.",
    "I think I'm just going to order the tickets today.",
    "I will leave messages for the others.",
    "Let me know if anyone else wants to come because I'm going to order the tickets today.",
    "I love you very much, and will call you later.",
    "I thought I would mark this up and fax it to you, which I will do shortly.",
    "I will put the guaranty in place.",
    "I will have an ISDA master put in place.",
    "More details will follow soon.",
    "I'll be back on Saturday and pick it up then.",
    # typography
    "I’ll call you tomorrow.",
    "I  will  send it over.",
    "Ill keep you posted.",
]

NEGATIVES = {
    "request": [
        "Can you call me tomorrow?",
        "Please send me the revised pricing.",
        "Could you forward the contract to legal?",
    ],
    "open offer": [
        "Let me know if you need anything.",
        "Feel free to call me with any questions.",
        "I'm happy to answer any questions.",
        "I can send you a copy.",
        "I will be happy to send you a copy.",
        "Please call me if you have any questions.",
    ],
    "pleasantry": [
        "Look forward to seeing you.",
        "I'll talk to you soon.",
        "I'll see you tomorrow.",
        "We'll see what happens.",
    ],
    "past action": [
        "I called him yesterday.",
        "I've sent the contract.",
        "I sent the revised pricing last week.",
    ],
    "someone else's promise": [
        "Elena, with Imax Town Cars, will pick you up at 1:40.",
        "John will call you.",
        "Legal will send the contract tomorrow.",
        "PG&E has created a new document and will fax it to us this week.",
    ],
    "conditional on the recipient": [
        "If you'd like, I can send the deck.",
        "I can call you if you want.",
        "If you want, I will send it over.",
        "Let me know what works and I'll set up a call.",
        "Just email me back, and I'll bring the tickets tomorrow.",
        "If so, I will negotiate this one with you.",
        "Should I call you tomorrow?",
        "Do you want me to send the file?",
        "If OK I will forward it to the pipeline.",
        "If it looks ok to you I will clean it up and send it to GE.",
        "Return it to Cathy by 2 pm and we will send it out at 6pm.",
        "When actuals come in, you can give me the volumes and I will change the demand charge.",
        "I will probably ask your assistance in preparing the witness.",
    ],
    "condition or obligation": [
        "Unless Credit tells us otherwise, I'll make a determination then.",
        "I will need to hire local counsel.",
        "We will have to move the printer to the war room.",
        "I'll forward any information the carrier gives me.",
        "We plan to set up the models in Houston and London.",
    ],
    "uncertain trigger": [
        "I'll let you know if I hear anything.",
        "I will be emailing all of you with any issues I find.",
    ],
    "away or state": [
        "I'll be out until Monday.",
        "I will be out of the office next week.",
        "I will be at the meeting.",
        "I will check my voice mail during the week.",
    ],
    "negation and hedging": [
        "I can't make it.",
        "I will not be able to attend this afternoon's meeting.",
        "I might call you tomorrow.",
        "Maybe I'll call you next week.",
    ],
    "acknowledgement": [
        "Will do.",
        "Thanks!",
    ],
    "not an action owed": [
        "We will have no problem obtaining the insurance.",
        "Will be responsible for producing accurate and timely cost and schedule information.",
        "MKM and I will probably bring it up with Sommer in Oklahoma City.",
        "I will be responding to voice mail frequently throughout the week.",
        "TVA sent an agreement that I am having faxed to you now.",
    ],
    "third-party meeting": [
        "Mark and I will be meeting with several people at the NYMEX on Friday.",
    ],
}


# Present-day sales phrasing (the labelled sets are Enron mail from 2000-2001).
MODERN_POSITIVES = [
    "I'll shoot you the updated quote this afternoon.",
    "I'll send over the proposal by EOD Friday.",
    "Let me circle back with our solutions engineer and get back to you.",
    "I'll ping you on Monday to see where things stand.",
    "I'll give you a buzz tomorrow morning.",
    "I'll follow up next week once you've had a chance to review.",
    "I'll send a calendar invite for Thursday at 3.",
    "I'll set up a demo with your team for next Tuesday.",
    "I'll loop back with you after I talk to legal.",
    "We'll get the revised SOW over to you by Wednesday.",
    "I'll have our implementation lead reach out to schedule kickoff.",
    "I'll check with finance on the discount and let you know.",
    "I'll put together a pricing proposal and send it your way.",
    "I will share the case studies tomorrow.",
    "I'll text you when I'm on my way.",
    "I'll touch base after the holidays.",
    "I'll reach back out in two weeks.",
    "Expect a call from me on Friday.",
    "I'll confirm the delivery date by end of day.",
    "I'll be sending the contract for e-signature shortly.",
    "I'm going to call you Thursday to walk through the numbers.",
    "I'll get you a quote by tomorrow.",
    "I'll stop by your office on Tuesday with the samples.",
    "Will circle back next week.",
    "I'll find out whether we can ship by the 15th and get back to you.",
    "I'll make sure you have the MSA by Monday.",
    "I'll forward you the security questionnaire.",
    "Happy to help - I'll send the W-9 today.",
    "As promised, I'll send the recording tomorrow.",
    "I'll drop off the samples Thursday.",
    "I'll update you once the PO clears.",
    "We will ship the replacement unit on Monday.",
    "I'll book a room for the workshop.",
    "I'll send you an invite for next week.",
    "I'll call you back in 10 minutes.",
    "I'll get back to you with availability.",
    "I'll revert by tomorrow.",
    "I'll keep you in the loop.",
    "I'll schedule a follow-up call for next week.",
    "I'll try you again tomorrow.",
    "I'll email the deck after the meeting.",
    "I'll get that over to you first thing tomorrow.",
    "I'll work up a quote and send it Monday.",
    "I will draft the order form tonight.",
    "I'll send it through later today.",
    "We'll have the samples to you by Friday.",
    "I'll run this by my manager and let you know.",
    "I'll set up time with your CFO next week.",
    "I'll come back to you on pricing tomorrow.",
    "You'll have the contract by Friday.",
]
MODERN_NEGATIVES = [
    # this message is the follow-up (found on enron-blair-l by evaluation/pipeline_review.py)
    "Just wanted to follow up.",
    "Wanted to follow up on the pricing we discussed.",
    "Let me know if you have any questions.",
    "Happy to jump on a call if that's helpful.",
    "Feel free to reach out anytime.",
    "Looking forward to connecting next week.",
    "Talk soon!",
    "Can you send over the signed order form?",
    "Would you be open to a quick call Thursday?",
    "I can send over a few case studies if that would help.",
    "If you'd like, we can set up a demo.",
    "I sent the proposal yesterday.",
    "I've attached the quote.",
    "Our CFO will review it next week.",
    "I'll be out of office until Monday with limited access to email.",
    "I'll be at the conference next week.",
    "Let me know what time works and I'll send an invite.",
    "I'd love to set up time to chat.",
    "Hope you had a great weekend!",
    "I'll be in touch if anything changes.",
    "Just checking in to see if you had a chance to review.",
    "Did you get a chance to look at the proposal?",
    "Please let me know a good time to connect.",
    "I will be traveling Monday through Wednesday.",
    "Shall I send the contract over?",
    "I may be able to get you a discount.",
    "See you at the conference!",
    "If it helps, I can loop in our engineer.",
    "I'm happy to send more info.",
    "Thanks, will do!",
    "I'll take that as a no.",
    "We'll see how the pilot goes.",
    "I'll leave it with you.",
    "I'll wait to hear from you.",
    "I will look forward to your feedback.",
    "I'll be working from home tomorrow.",
]


@pytest.mark.parametrize("sentence", POSITIVES + MODERN_POSITIVES)
def test_promise_found(sentence: str) -> None:
    promises = found(sentence)
    assert len(promises) == 1, sentence
    assert promises[0].sentence == " ".join(sentence.split())


@pytest.mark.parametrize(
    "sentence",
    [pytest.param(s, id=f"{kind}: {s}") for kind, sentences in NEGATIVES.items() for s in sentences]
    + [pytest.param(s, id=f"modern: {s}") for s in MODERN_NEGATIVES],
)
def test_not_a_promise(sentence: str) -> None:
    assert live(sentence) == []


# Issue 8, class 3: promises that wait on the recipient are kept, marked conditional (GUIDELINES v2).
CONDITIONAL = [
    "Tell me if the terms work and I'll sign on our side.",
    "If the numbers check out on your end, we'll book the freight.",
    "Let me know if that suits you and I'll send over the paperwork.",
    "If you want, I will send it over.",
    "Let me know what works and I'll set up a call.",
    "Just email me back, and I'll bring the tickets tomorrow.",
    "If so, I will fix the invoice this afternoon.",
    "If OK I will forward it to the pipeline.",
    "If it looks ok to you I will clean it up and send it to GE.",
    "Return it to Cathy by 2 pm and we will send it out at 6pm.",
    "When actuals come in, you can give me the volumes and I will change the demand charge.",
    "I'll ship the spare parts on Friday if you still need them.",
    "Once I have your go-ahead I'll order the parts.",
    "Send me your address and I'll mail the brochure.",
    "If yes, just reply and I'll draw up the purchase order.",
    "If we need a second site visit, let me know and I'll have Dana book it.",
]
NEITHER = [
    "If you'd like, I can send the deck.",
    "I can call you if you want.",
    "Should I call you tomorrow?",
    "Do you want me to send the file?",
    "I'll let you know if I hear anything.",
    "If I finish the audit early I will look at your numbers too.",
    "We will let you know if anything changes.",
    "Let me know if you need anything.",
    "If there is a cancellation, I'll call you.",
    "Unless the bank says otherwise, I'll wire the deposit Friday.",
]


# Issue 8, class 1: joint and impersonal follow-ups count with a stated time, and only with one (GUIDELINES v2).
JOINT = [
    "Let's touch base Thursday at 3.",
    "Speak Monday!",
    "Let's reconnect in two weeks.",
    "Let's plan to reconnect after the holidays.",
    "Let us go over the redlines first thing tomorrow.",
    "We'll regroup next Tuesday once legal has weighed in.",
    "We should sync up Friday morning about the renewal.",
    "Talk to you on Thursday.",
    "I'll speak with you tomorrow afternoon.",
    "Until Monday at 9 then.",
    "You'll have the pricing sheet by Thursday.",
    "You should receive the samples within three days.",
    "Watch for the updated forecast on Monday.",
    "Expect the final invoice next week.",
    "The countersigned order will be in your inbox by Friday.",
    "The spare parts will be shipped to you on the 24th.",
    "The renewal paperwork will go out to you tomorrow.",
    "The remaining slides will be coming on Thursday.",
]
NOT_JOINT = [
    "Let's chat soon.",
    "Speak later!",
    "Let's catch up when you're back.",
    "We'll talk more later.",
    "Perhaps we could regroup Friday.",
    "We can go over it Monday.",
    "Can we sync up Tuesday?",
    "See you on Thursday.",
    "The kickoff will be held Monday at 10 in room 4.",
    "Tomorrow's call is pushed back to noon.",
    "You'll get the certificate from the registrar on Friday.",
    "You will be notified.",
    "The dashboard will be updated weekly.",
    "We'll touch base every Monday.",
    "The freight will be delivered to the warehouse on Tuesday.",
    "Talk to the carrier about it tomorrow.",
    "Our auditor will be coming on the 10th.",
    "We plan to meet with the carrier tomorrow.",
]


@pytest.mark.parametrize("sentence", JOINT)
def test_joint_follow_up_with_a_stated_time(sentence: str) -> None:
    (promise,) = found(sentence)
    assert promise.joint, sentence
    assert not promise.conditional
    assert promise.due is not None


@pytest.mark.parametrize("sentence", NOT_JOINT)
def test_joint_without_a_time_or_hedged_or_logistics_is_no_promise(sentence: str) -> None:
    assert found(sentence) == []


def test_rep_as_subject_is_plain_but_we_meeting_is_joint() -> None:
    (plain,) = found("We'll send you the confirm Tuesday.")
    assert not plain.joint
    (meeting,) = found("We will meet on Tuesday at 10 to go over the proposal.")
    assert meeting.joint and meeting.channel == "meeting"
    (call,) = found("I'll call you Tuesday.")
    assert not call.joint


def test_joint_keeps_its_day_and_clock_time() -> None:
    (promise,) = found("Let's speak Thursday at 11.")
    assert promise.due is not None
    assert promise.due.when.isoformat() == "2026-03-19T11:00:00-04:00"
    assert promise.due.has_time


# Issue 8, class 2: paraphrased plain promises and typos (GUIDELINES v2: the verb lists are examples).
PARAPHRASED = [
    "I'll then get the order countersigned by our CFO.",
    "The minutes will follow.",
    "Slides, notes and the recording will follow shortly.",
    "I plan to circulate the revised terms early next week.",
    "I expect to circulate the revised terms on Monday.",
    "I'll pass this on to the warehouse lead.",
    "I'll mail you back an initialed copy.",
    "I will sent you the brochure.",
    "I'll dig up the old invoices and forward them.",
    "I'll tell the team once the PO is approved.",
    "I'll relay your questions to the engineers.",
    "I will amend the order form for the new volumes.",
    "I'll explain the pricing when we meet.",
    "I will recap the action items for everyone.",
    "I'll give it back to you this afternoon.",
    "I'll try again tomorrow morning.",
    "I'll help with the onboarding plan.",
    "I'm now going to look for the signed copy.",
    "I'll keep looking for the original.",
    "I'll set you up with a trial account tomorrow.",
    "I'll loop in our solutions engineer.",
    "I'll reschedule the demo for next week.",
    "I'll refund the difference today.",
    "I'll extend your trial through Friday.",
    "I'll hold the price until the end of the month.",
    "I'll open a ticket with support.",
    "I'll make sure the credit memo is issued.",
    "We will get all of them done by Friday.",
    # a default action that happens unless the recipient acts (guidelines v2)
    "Unless you object, we'll file the amendment Monday.",
    "Call me with any questions, otherwise I'll send the final version Friday.",
]
NOT_PARAPHRASED = [
    "I will want to revisit this later.",
    "I will also need your tax ID.",
    "We will be handling the logistics internally.",
    "I'll send more ideas as they come up.",
    "We'll refresh the dashboard weekly.",
    "We will also waive the fee on three transfers per month.",
    "I'll give you the short version: we are on track.",
    "I will add that the price is firm.",
    "I will have my phone with me all day.",
    "Hopefully we'll have an answer next week.",
    "I will make a decision by Friday.",
    "I'm going to explain the change to her on Monday.",
]


@pytest.mark.parametrize("sentence", PARAPHRASED)
def test_paraphrased_promise_is_found(sentence: str) -> None:
    (promise,) = found(sentence)
    assert not promise.conditional, sentence


@pytest.mark.parametrize("sentence", NOT_PARAPHRASED)
def test_obligations_recurring_and_present_content_are_not_promises(sentence: str) -> None:
    assert found(sentence) == []


@pytest.mark.parametrize("sentence", CONDITIONAL)
def test_conditional_on_the_recipient_is_kept_as_conditional(sentence: str) -> None:
    (promise,) = found(sentence)
    assert promise.conditional
    assert not promise.joint


@pytest.mark.parametrize("sentence", NEITHER)
def test_offers_questions_and_uncertain_triggers_are_neither(sentence: str) -> None:
    assert found(sentence) == []


def test_conditional_keeps_its_action_channel_and_stated_time() -> None:
    (promise,) = found("Let me know if the draft works and I'll call you Friday to book the shipment.")
    assert promise.conditional
    assert promise.channel == "call"
    assert promise.due is not None and promise.due.when.date().isoformat() == "2026-03-20"


def test_plain_promise_in_the_same_sentence_outweighs_the_conditional_one() -> None:
    (promise,) = found("I will call you Monday; send me the file and I'll fix it.")
    assert not promise.conditional
    assert promise.action == "call"


@pytest.mark.parametrize(
    ("sentence", "action", "channel"),
    [
        ("I'll call you Thursday at 2pm.", "call", "call"),
        ("I will give you a ring next week.", "call", "call"),
        ("I will send you the revised pricing tomorrow.", "send the revised pricing", "email"),
        ("I'll forward the schedule to you.", "forward the schedule", "email"),
        ("I'll drop John a note.", "email john", "email"),
        ("I'm going to stop by your office next week.", "stop by your office", "meeting"),
        ("We will meet on Tuesday at 10.", "meet", "meeting"),
        ("We'll get back to you by Friday.", "get back", None),
        ("I'll keep you posted.", "keep you posted", None),
        ("I'll check with John and let you know.", "check with john and let you know", "other"),
        ("I will fax the confirmation to you.", "fax the confirmation", "other"),
        ("I'll take care of it.", "take care of it", "other"),
        ("I'll have Sally call you tomorrow.", "have sally call you", "call"),
        ("I won't be able to call until Tuesday.", "call", "call"),
    ],
)
def test_action_and_channel(sentence: str, action: str, channel: str | None) -> None:
    (promise,) = found(sentence)
    assert promise.action == action
    assert promise.channel == channel


def test_due_date_is_resolved_in_the_reps_zone() -> None:
    (promise,) = found("I'll call you Thursday at 2pm.")
    assert promise.due is not None
    assert promise.due.when == datetime(2026, 3, 19, 14, 0, tzinfo=NY)
    assert promise.due.has_time


def test_due_date_before_the_promise_clause_is_used() -> None:
    (promise,) = found("On Friday, I will send you the contract.")
    assert promise.due is not None
    assert promise.due.when.date() == datetime(2026, 3, 20).date()


def test_no_due_date_when_none_is_stated() -> None:
    (promise,) = found("I'll be in touch.")
    assert promise.due is None


def test_one_promise_per_sentence_and_several_per_text() -> None:
    text = "Thanks for the meeting. I'll send the slides today. I will also call Bob and get back to you."
    assert [p.action for p in found(text)] == ["send the slides", "call bob and get back"]


def test_quoted_text_is_never_the_reps_promise() -> None:
    body = (
        "Thanks\n\n"
        "-----Original Message-----\n"
        "From: Jane Buyer\n"
        "Sent: Tuesday, March 17, 2026 4:12 PM\n"
        "To: Rep\n"
        "Subject: Pricing\n\n"
        "I'll call you Monday to go over the numbers.\n"
    )
    assert detect(body, sent_at=SENT, tz=NY) == []


def test_gt_quoted_reply_is_ignored() -> None:
    body = "Sounds good.\n\nOn Tue, Mar 17, 2026 at 4:12 PM Jane wrote:\n> I'll send you the contract tomorrow.\n"
    assert detect(body, sent_at=SENT, tz=NY) == []


def test_reply_above_quote_is_found() -> None:
    body = "I'll send the signed copy tomorrow.\n\n> Can you send the signed copy?\n"
    (promise,) = detect(body, sent_at=SENT, tz=NY)
    assert promise.channel == "email"
    assert promise.due is not None


def test_html_body() -> None:
    html = (
        "<html><body><p>Hi Jane,</p><p>Thanks for your time today. I&#8217;ll send you the revised "
        "<b>pricing</b> by Friday.</p><div>Best,<br>Rep</div></body></html>"
    )
    (promise,) = detect(html, is_html=True, sent_at=SENT, tz=NY)
    assert promise.action == "send the revised pricing"
    assert promise.channel == "email"
    assert promise.due is not None
    assert promise.due.deadline


def test_html_blockquote_is_ignored() -> None:
    html = "<p>Thanks!</p><blockquote type='cite'><p>I'll call you Monday.</p></blockquote>"
    assert detect(html, is_html=True, sent_at=SENT, tz=NY) == []


def test_follow_on_step_is_a_promise_unless_it_waits_on_approval() -> None:
    plain = "Please sign two copies and return them to me. Upon final execution, I will forward an original."
    assert [p.channel for p in found(plain)] == ["email"]
    approval = (
        "If in agreement, please sign two originals and return them. "
        "Upon final signature I will forward an original for your records."
    )
    assert [p.conditional for p in found(approval)] == [True]


def test_promise_right_after_asking_for_approval_waits_on_it() -> None:
    text = "Please take a look and let me know if it is OK. I will forward it to the customer."
    assert [p.conditional for p in found(text)] == [True]
    assert len(found("Please take a look. I will forward it to the customer on Monday.")) == 1


def test_telling_in_this_message_is_not_a_promise() -> None:
    assert found("I don't have a code for this, so I'll just tell you: sell only.") == []


def test_run_on_text_is_read_from_its_start() -> None:
    # A 300 kB "sentence" (no punctuation) must not stall the pass; only its start is read.
    text = "I will send you the file Friday and " + "the numbers look fine and " * 12000
    (promise,) = found(text)
    assert promise.action == "send the file"
    assert found("the numbers look fine and " * 12000 + "I will send you the file Friday") == []


def test_empty_and_promise_free_texts() -> None:
    assert found("") == []
    assert found("Attached is the spreadsheet. Numbers look fine.") == []
