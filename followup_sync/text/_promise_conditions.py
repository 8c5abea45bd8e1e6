"""When a promise waits on the contact: the conditions of ``text.promises`` (guidelines v2).

A sentence that would be a promise is *conditional* when it waits on the recipient's acceptance, answer or step
("tell me if the terms work and I'll sign", "if OK, I will forward it"): the product keeps it pending until the
contact's reply accepts (issue 8, class 3). It is *no promise at all* when its trigger may never come ("I'll let
you know if I hear anything") or waits on the sender or a third party ("if legal approves"). Everything here
works on lower-cased text with single spaces.
"""

from __future__ import annotations

import re

__all__ = [
    "APPROVAL_ASKED",
    "ASKED_BEFORE",
    "CONDITIONAL_REQUEST",
    "FOLLOW_ON",
    "REQUEST_BEFORE",
    "is_conditional",
]


# Conditions on the recipient's wishes: an offer waiting on them, not a promise.
_RECIPIENT_CONDITION = re.compile(
    r"\b(?:(?<!see )(?<!ask )(?<!know )(?<!check )(?<!whether )if (?:you|u)\b"
    r"(?! (?:don't|do not|haven't|have not|have no|see no))"
    # "in case you want to be on the call" is a purpose, and "on Monday or whenever you have time" a time.
    r"|should (?:you|u)\b|(?<!\bor )whenever (?:you|u)\b"
    r"|when (?:you|u) (?:want|need|are ready|'re ready|get a chance|have (?:a )?(?:chance|time|a minute))"
    r"|if (?:so|yes|not|needed|necessary|desired|required|interested|requested|appropriate|that's the case)\b"
    r"|if (?:that|this) (?:would|will) (?:help|be helpful)"
    r"|(?:want|like) me to\b|(?:shall|should) (?:i|we)\b|can (?:i|we)\b|(?:would|do) you (?:like|want)\b"
    # "Assuming you agree", "provided you sign", "as long as the dates work for you": "if" by another name.
    r"|(?:assuming|provided|providing|as long as|so long as)(?: that)? (?:you|u)\b"
    r"|(?:assuming|provided|providing|as long as|so long as) [^,;.]{0,40}?\b(?:works?"
    r"|is (?:ok|okay|fine|acceptable)|are (?:ok|okay|fine|acceptable)|looks? (?:ok|okay|good|fine|right))"
    r" (?:for|with|to) (?:you|u|your)\b)"
)

# Conditions on events that may never happen ("if I hear anything"): no reminder can be scheduled for them.
_UNCERTAIN_CONDITION = re.compile(
    r"\bany\b[^.;]{0,40}\b(?:(?:i|we) (?:find|see|hear|notice|come across|get|receive|learn)"
    r"|(?:gives?|sends?|provides?) (?:me|us))\b"
    r"|\b(?:if|should|in case) (?:i|we) (?:hear|learn|find|come across|see|get|have|need|think of|receive|notice)"
    r"\b(?! no\b| nothing\b)"
    r"|\b(?:if|should|in case|when) (?:anything|something|any|there (?:is|are|'s)|things|that|this) "
    r"(?:else )?(?:changes?|comes? up|new|develops?|further|more|happens?|additional)"
    r"|\bif (?:anything|something)\b"
    # "I'll send additional items as they occur to me": a standing offer on whatever comes up.
    r"|\bas (?:they|things|questions|issues|items) (?:occur|come up|arise|come in)"
)

# A request or offer before the modal turns "X and I'll ..." into a condition on the recipient.
REQUEST_BEFORE = re.compile(
    r"\b(?:let (?:me|us) know|please|pls|plz|kindly|feel free|just (?:say|ask)|reply|why don't you"
    r"|(?:can|could|would|will) you"
    r"|you (?:can|could|may|should|need to)|(?:i|we) need to (?:know|hear|see|get))\b"
    # "Send me your address and I'll ...", but not "he is going to send me some articles which I will send".
    r"|\b(?<!to )(?<!will )(?<!would )(?<!can )(?<!could )(?<!he )(?<!she )(?<!they )"
    r"(?:call me|give me a (?:call|ring)|tell me|send me|e-?mail me|fax me|drop me|ping me|get back to me"
    r"|shoot me|text me|write me|ring me|buzz me|phone me|mail me|forward me|get me)\b"
    # An imperative to the recipient opening the sentence: "Return it to Cathy by 2 and we will send it out".
    r"|^(?:just |please )?(?:return|send|call|e-?mail|fax|sign|review|give|get|forward|tell|bring|ask|confirm"
    r"|initial|execute|approve|complete|fill out|advise|reply|respond|text|shoot|ping|drop)\b"
)

# "if" that does not make the promise conditional: an indirect question ("see if", "ask if") or a fallback.
_HARMLESS_IF = re.compile(
    r"(?:see|ask|know|check|find out|wonder|wondering|whether|confirm|verify|determine|sure|even|as) if\b"
    r"|\b(?:ask|asking|check with|checking with) (?:[a-z]+ ){1,2}if\b"
    r"|\bif (?:possible|at all possible|not sooner|not before|(?:i|we) (?:don't|do not|haven't|have not) hear)"
    # "If there are no changes from your side, I'll send it Monday": it happens without a reply.
    r"|\bif (?:there (?:are|is) |(?:i|we) (?:get|hear|receive|see) |(?:you|u) (?:have|see) )?no"
    r" (?:further |other )?(?:changes|comments"
    r"|objections?|questions|issues|problems|response|word|reply|concerns)\b"
)
_IF = re.compile(r"\bif\b")


_INDIRECT_QUESTION = re.compile(r"\b(?:whether|see if|ask if|know if|check if|find out if)\b")


def _conditional_if(low: str) -> bool:
    """An "if" clause makes the sentence conditional (guidelines: "if" is uncertain, "when"/"once" is not)."""
    for m in _IF.finditer(low):
        if _HARMLESS_IF.search(low, max(0, m.start() - 12), m.end() + 30):
            continue
        # "... whether or not you have questions or if there are concerns": still the indirect question.
        if _INDIRECT_QUESTION.search(low, 0, m.start()):
            continue
        return True
    return False


# An "if" clause about the sender or a third party ("if I get the assignment done", "if they agree") is not a
# wait on the recipient: the promise is neither plain nor conditional (guidelines, "Conditional promises").
_IF_NOT_ON_RECIPIENT = re.compile(
    r"\bif (?:i|we|he|she|they|legal|credit|management|there (?:is|are|'s))\b"
    r"(?! (?:don't|do not|haven't|have not|didn't) hear)"
)
# "Unless you object / unless I hear otherwise, we'll file it Monday" happens without a reply (a plain
# promise); "unless Credit tells us otherwise" waits on a third party (neither, like "if legal approves").
_UNLESS_THIRD_PARTY = re.compile(
    r"\bunless (?!(?:you|u|someone|anyone|anybody|somebody|i|we|there|otherwise)\b)(?:the |our |my )?[a-z]+ "
    r"(?:tells?|says?|decides?|wants?|objects?|approves?|advises?|agrees?|signs?)\b"
)
# Acceptance asked for outright: "after I get your approval", "depending on what you think".
_AWAITS_ACCEPTANCE = re.compile(
    r"\b(?:after|once|when|upon|until) (?:(?:i|we) (?:get|receive|have) )?(?:your|the) "
    r"(?:approval|ok|okay|go-ahead|go ahead|consent|agreement|sign-off|blessing)\b"
    r"|\bdepending (?:up)?on (?:what |whether |how )?(?:you|u)\b|\bpending your\b"
    # "Once you approve, I'll send it", "with your OK, I'll send the letter": their yes, not a step in a process.
    r"|\b(?:once|when|after|as soon as) (?:you|u) (?:approve|accept|agree|sign off|okay|ok|give (?:me|us) the"
    r" (?:ok|okay|go-ahead|go ahead|green light|nod))\b"
    r"|\bwith your (?:ok|okay|approval|permission|blessing|go-ahead|go ahead|consent)\b"
    # "Should the terms be acceptable, we will prepare the confirmation"
    r"|\bshould (?:the|this|that|it|these|they|those|our|my)\b[^,;.]{0,40}? be (?:acceptable|ok|okay|fine"
    r"|agreeable|satisfactory|approved)\b"
)


# "If acceptable, please sign and return. Upon execution I will send you an original": the follow-on step
# waits on the recipient's approval, so it is not a promise either.
CONDITIONAL_REQUEST = re.compile(
    r"\bif (?:acceptable|ok|okay|in agreement|approved|(?:this|it) is (?:acceptable|ok|okay|fine)"
    r"|(?:the enclosed|this|it) meets with your approval|(?:this|it) looks (?:ok|okay|good|fine))\b"
)
# "Please review and let me know if it is OK. I will forward it to the customer.": the very next sentence
# waits on the answer.
APPROVAL_ASKED = re.compile(
    r"\blet me know (?:if|whether) (?:it|this|that|they|these)(?: \w+)? (?:is|are|looks?|seems?) "
    r"(?:ok|okay|acceptable|fine|good|correct|right)\b"
    # "Let me know if these dates work. I'll book the rooms", "let me know which you prefer; I'll then send it"
    r"|\blet me know (?:if|whether) (?:it|this|that|they|these|those|the \w+)(?: \w+)? (?:works?|suits?)\b"
    r"|\blet me know (?:which|what)(?: \w+)? (?:you (?:prefer|decide|choose|pick)|works? (?:best )?for you)\b"
)
# A request to the recipient in the sentence before ("Could you send me the figures? I'll then update the
# model"): a promise with "then" after it is the next step once they have done theirs.
ASKED_BEFORE = re.compile(
    # Not a review or comments asked for ("please review by Tuesday. Then I will recap"): the next step of a
    # process under way is a plain promise (guidelines, "triggered by the recipient's own step").
    r"\b(?:(?:can|could|would|will) you|you (?:could|can)) (?:please )?"
    r"(?:send|get|give|forward|e-?mail|fax|provide|sign|return|approve)\b"
    r"|\bplease (?:send|get|give|forward|e-?mail|fax|provide|sign|return|approve)\b"
)
FOLLOW_ON = re.compile(r"^(?:upon|then|once|after)\b|(?:\bwill|'ll) then\b")


def is_conditional(low: str, start: int, *, requested: bool) -> bool | None:
    """Whether the promise at ``start`` waits on the recipient (True), stands (False), or is none at all (None).

    ``requested``: a request to the recipient opens its clause ("let me know and I'll set it up").
    """
    if _UNLESS_THIRD_PARTY.search(low):
        return None  # "unless Credit tells us otherwise": waits on a third party
    # "Call me if you have questions, otherwise I will send it Friday": what comes before "otherwise" is the
    # alternative, not a condition on this promise.
    cut = low.rfind("otherwise", 0, start)
    if cut > 0:
        low = low[cut:]
    if requested:
        return True  # "If we need to meet, let me know and I'll set it up": the recipient is asked first
    if _UNCERTAIN_CONDITION.search(low):
        return None  # "I'll let you know if I hear anything": nothing may ever be owed
    if _RECIPIENT_CONDITION.search(low) or _AWAITS_ACCEPTANCE.search(low):
        return True
    if _conditional_if(low):
        # "If I get the assignment done I will turn back to this": a condition on the sender, not a wait.
        return None if _IF_NOT_ON_RECIPIENT.search(low) else True
    return False
