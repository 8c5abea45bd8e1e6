"""Joint and impersonal follow-ups: the forms of a promise without the rep alone as the subject (issue 8, class 1).

"Let's speak Wednesday at 11", "Chat Tuesday!", "We'll regroup early the week after", "Talk to you Monday"
(joint: the rep and the contact take the matter up again) and "You'll have the numbers within two days", "Look
for the revised quote Thursday", "The signed copy will be in your hands by end of week" (impersonal: something
from the rep's side reaches the contact). ``text.promises`` keeps such a clause only when the sentence states a
time (guidelines v2: without one they are sign-offs, "talk soon", or vague announcements, "you will be
notified"); this module only finds the clause. Lower-cased text with single spaces, as in ``text.promises``;
every pattern is anchored and free of nested quantifiers, so a scan stays linear on hostile text.
"""

from __future__ import annotations

import re

from followup_sync.model import Channel

__all__ = ["MEET_AGAIN", "joint_clause", "third_party_after"]

# The verbs of taking a matter up again together (talk, meet, regroup, go over it ...), bare or "-ing".
_TOGETHER = (
    r"(?:talk|talking|speak|speaking|chat|chatting|meet|meeting|get together|getting together|regroup|regrouping"
    r"|reconvene|reconvening|circle back|circling back|catch up|catching up|reconnect|reconnecting"
    r"|touch base|touching base|sync up|syncing up|sync|syncing|discuss|discussing|go over|going over"
    r"|go through|going through|review|reviewing|revisit|revisiting|connect|connecting|confer|conferring"
    r"|debrief|debriefing|follow up|following up|pick (?:this|it|that) (?:back )?up"
    r"|continue (?:this|the|our) (?:discussion|conversation|call|meeting)"
    r"|resume|resuming|hop on a call|jump on a call|get on the phone|touch bases|work on|working on"
    r"|finalize|finalizing|firm up|nail down|plan|planning|conference|confer|wrap (?:this|it|things) up"
    r"|reschedule|rescheduling"
    # Setting the time itself: "let's pencil in Tuesday at 10", "let's do Tuesday at 2", "let's shoot for
    # Wednesday", "let's find a time next week", "let's get something on the calendar for Friday"
    r"|pencil (?:(?:it|this|that|something|a call|a meeting|you) )?in"
    r"|(?:say|make it)(?= (?:mon|tue|wed|thu|fri|tomorrow)[a-z]*\b)"  # not "let's say 1 week in the past"
    r"|(?:(?:shoot|aim|go|plan|target) for|target|do)(?= (?:a (?:call|meeting|time|date) )?"
    r"(?:mon|tue|wed|thu|fri|tomorrow|next|this|early|later|end|the (?:end|week|morning|afternoon)|\d)[a-z]*\b)"
    r"|book (?:(?:a|an|some|half an|\d+|thirty|fifteen|twenty) )?(?:minutes|time|hour|slot|call)"
    r"|find (?:a|some) time|get (?:something|it|this|a call|a meeting|time) on (?:the|our|your) calendars?"
    r"|(?:have|set up|schedule|book|do|grab) (?:a |an |some )?(?:quick |brief |short )?(?:call|lunch|dinner"
    r"|breakfast|coffee|meeting|chat|conversation|discussion|session))(?![a-z])"
)
# The rep's own "we'll meet Tuesday at 10" is joint too (guidelines: decide by the verb), but not "we'll review
# it Tuesday" or "we'll follow up Friday", which the rep's side does alone.
MEET_AGAIN = re.compile(
    r"(?:talk|speak|chat|meet|get together|regroup|reconvene|catch up|reconnect|sync|discuss|go over|confer"
    r"|touch base|circle back)(?:ing)?(?![a-z])"
)
# What may stand between the subject and the verb: "let's plan to talk", "we'll then regroup".
_SOFT = r"(?:(?:plan to|plan on|try to|try and|aim to|just|all|then|please|definitely|quickly|also|again) )*"
# What a subjectless "Talk Tuesday" is followed by: the time itself.
_TIME_NEXT = (
    r"(?= (?:on|at|in|next|this|tomorrow|tonight|today|later (?:today|this|tonight|in)|after|early|first thing"
    r"|then|end|around|before|by|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|\d))"
)

# Each form starts with a literal, so that a scan is quick, and is tried only when a substring test says it can
# match; where it must open a clause, _opens_clause checks that afterwards.
_LET = re.compile(rf"(?:let's|lets|let us) {_SOFT}{_TOGETHER}")  # "Let's speak Wednesday at 11"
# "We'll go over it at Tuesday's meeting", "we should talk Friday", "we will reconvene on Thursday"; with "we" only
# the verbs of meeting again ("we will review it", "we will continue" are the rep's side at work).
_WE = re.compile(
    rf"we(?:'ll| will| shall| should|'re going to| are going to| plan to| can plan to) {_SOFT}{MEET_AGAIN.pattern}"
)
# "I'll talk to you Monday", "I will speak with you tomorrow" (but not "I'll speak with Paul in credit")
_I_WITH_YOU = re.compile(
    r"i(?:'ll| will| shall) (?:(?:just|then|also) )?(?:talk|speak|chat|catch up|connect|touch base)"
    r" (?:to|with) (?:you|u|y'all|you all|you both|both of you)\b"
)
# Subjectless: "Talk Wednesday", "Chat Tuesday!", "Speak to you next week".
_BARE = re.compile(
    r"(?:talk|speak|chat|catch up|regroup|reconnect|sync up|sync|touch base)"
    rf"(?: (?:to|with) (?:you|u|y'all|you all|you both))?(?: again| more)?{_TIME_NEXT}"
)
_TILL = re.compile(r"(?:till|until|til) [a-z0-9: ]{1,30} then\b")  # "Till Friday at 10 then"
_BARE_CUES = ("talk", "speak", "chat", "catch up", "regroup", "reconnect", "sync", "touch base")

# Impersonal deliveries: the thing, or the recipient as receiver, is the subject.
# "You'll have the numbers within two days", "you should get it by Friday", "you will receive our quote"
_YOU_GET = re.compile(
    r"(?:you|u)(?:'ll| will| should| shall)(?: be able to| be)? (?:have|get|receive|see|getting|receiving)"
    r" (?!(?:a |an |the )?(?:time|fun|chance|opportunity|problem|problems|trouble|questions|access|call from"
    r"|meeting|look|idea)\b)(?!(?:this|the) (?:message|e-?mail|notice|notification|warning|reminder)\b)"
    r"(?:it|this|that|them|these|those|the|a|an|my|our|some|all|both|copies|two|three)\b"
)
# "Look for the revised quote Thursday", "Expect the draft Monday" (an imperative: it opens a clause)
_LOOK_FOR = re.compile(
    r"(?:please )?(?:look for|look out for|watch for|expect|keep an eye out for)"
    r" (?:it|this|that|them|these|those|the|a|an|my|our|copies)\b"
)
# "The signed copy will be in your hands by end of week", "the invoice will be sent to you next week"
_PASSIVE = re.compile(
    r"(?:will|should|shall) (?:be (?:sent|e-?mailed|mailed|faxed|forwarded|delivered|shipped|couriered"
    r"|overnighted|fed ?exed|circulated|returned)(?! (?:in|at|on) the (?!a\.?m|p\.?m|morning|afternoon|evening))"
    r"|be (?:in your (?:hands|inbox|mailbox|office)|on (?:its|their) way|with you|to you)"
    r"|(?:go|head) out|reach (?:you|u)\b|get to (?:you|u)\b|land in your|hit your)"
)
# "The rest of the presentation will be coming on Monday": a thing is coming (not "Sean will be coming").
_COMING = re.compile(
    r"(?:rest|remainder|copy|copies|draft|presentation|document|documents|details|invoice|package|file|files"
    r"|report|data|numbers|figures|agreement|contract|version|materials|slides|quote|proposal)\b[a-z ]{0,30}?"
    r" (?:will|should) be coming(?= (?:to you|your way|on |next|this|tomorrow|today|tonight|in |early"
    r"|(?:mon|tues|wednes|thurs|fri)day))"
)
_OPENERS = (",", ";", ":", "!", "(", "-", " and", " so", " then")


def _opens_clause(low: str, at: int) -> bool:
    """Whether ``at`` starts the sentence or a clause ("..., let's", "... and let's", "... so let's")."""
    head = low[max(0, at - 6) : at].rstrip()
    return at == 0 or head.endswith(_OPENERS) or head in ("and", "so", "then")


def _word_start(low: str, at: int) -> bool:
    return at == 0 or not (low[at - 1].isalpha() or low[at - 1] == "'")


def _first(rx: re.Pattern[str], low: str, *, opens: bool) -> re.Match[str] | None:
    for m in rx.finditer(low):
        if _word_start(low, m.start()) and (not opens or _opens_clause(low, m.start())):
            return m
    return None


def _joint_match(low: str) -> re.Match[str] | None:
    m = None
    if "let" in low:
        m = _first(_LET, low, opens=True)
    if m is None and "we" in low:
        m = _first(_WE, low, opens=False)
    if m is None and any(cue in low for cue in _BARE_CUES):
        m = _first(_I_WITH_YOU, low, opens=False) or _first(_BARE, low, opens=True)
    if m is None and "til" in low:
        m = _TILL.match(low)
    return m


def _impersonal_match(low: str) -> re.Match[str] | None:
    m = None
    if "you" in low or "u " in low:
        m = _first(_YOU_GET, low, opens=False)
    if m is None and ("look" in low or "watch" in low or "expect" in low or "keep an eye" in low):
        m = _first(_LOOK_FOR, low, opens=True)
    if m is None and ("will" in low or "should" in low or "shall" in low):
        m = _first(_PASSIVE, low, opens=False)
    if m is None and "be coming" in low:
        m = _first(_COMING, low, opens=False)
    return m


_CLAUSE_END = re.compile(r"[,;:]")
_WITH_OTHERS = re.compile(
    r" with (?!(?:you|u|y'all|you all|all of you|everyone|everybody|the group|the team|both)\b)"
)
# Before the clause: a hedge or a question makes it no follow-up.
# "If not, let's reschedule for Monday", "if you're free, let's grab lunch Thursday" wait on the contact's answer
# (``_promise_conditions`` marks them): kept.
_HEDGED = re.compile(
    r"\b(?:maybe|perhaps|possibly|might|could|hopefully|if(?! (?:not|so|yes|ok|okay|you|u)\b)|whether|can|shall)\b"
)
# After it: a standing schedule ("we'll talk every Tuesday"), meeting logistics, a third party's delivery.
_NOT_SINGLE = re.compile(
    r"\b(?:every|each|weekly|daily|monthly|held|moved|rescheduled|postponed|cancell?ed|pushed back)\b"
)
_THIRD_PARTY = re.compile(r"\bfrom (?!(?:me|us|my|our|now|today|tomorrow|then|next|here|there)\b)[a-z]")
# "The gas will be delivered to CES": the delivery goes to someone else.
_TO_OTHER = re.compile(
    r" (?:out |over |back )?(?:to|into) (?!(?:you|u|your|y'all|all|everyone|everybody|both)\b)[a-z]"
)


def third_party_after(low: str, pos: int) -> bool:
    """ "... from Accounting" close after ``pos``, or "... to CES": a delivery someone else makes or receives."""
    return _THIRD_PARTY.search(low, pos, pos + 30) is not None or _TO_OTHER.match(low, pos) is not None


def joint_clause(low: str) -> tuple[int, int, Channel | None] | None:
    """The joint or impersonal follow-up clause in ``low`` as (start, end of its verb phrase, channel), or None.

    The caller still needs a stated time in the sentence; a question or a hedge is never a follow-up.
    """
    m = _joint_match(low)
    impersonal = m is None
    if m is None:
        m = _impersonal_match(low)
        if m is None:
            return None
    if _HEDGED.search(low, max(0, m.start() - 40), m.start()) or _NOT_SINGLE.search(low, m.end()):
        return None
    # A question ("Can we talk Friday?") asks; "we'll discuss it tomorrow, but could you ...?" still commits.
    clause_end = _CLAUSE_END.search(low, m.end())
    if clause_end is None and low.endswith("?"):
        return None
    phrase = m.group()
    if impersonal:
        if third_party_after(low, m.end()):
            return None  # "You'll get it from Accounting Friday": someone else's delivery
        return m.start(), m.end(), "email" if "mail" in phrase or "sent" in phrase else "other"
    if phrase.startswith("we") and _WITH_OTHERS.match(low, m.end()):
        return None  # "we plan to meet with them tomorrow": the rep's side meets someone else
    if "meet" in phrase or "get together" in phrase or "lunch" in phrase or "coffee" in phrase:
        return m.start(), m.end(), "meeting"
    return m.start(), m.end(), "call" if "call" in phrase or "phone" in phrase else None
