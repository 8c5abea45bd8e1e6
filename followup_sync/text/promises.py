"""Promise detection: the rep's own first-person commitments to a future action the recipient will expect.

``detect`` (zoning + ``find_promises``) is the one detector both ``followup-sync detect`` and the sync pass use.
It is a rule-based reader, not a classifier: a first-person subject with a future modal ("I'll", "we will",
"I'm going to", a subjectless "Will send ..."), then an action verb from a small lexicon (contact, send or
deliver, check and report back, meet, do a task for them), minus the cases that are not commitments
(requests, open offers, conditions on the recipient's wishes, hedges, negations, pleasantries, statements about
being away). The labelling guidelines in ``evaluation/GUIDELINES.md`` are the specification; the harness in
``evaluation/promises_eval.py`` measures it on labelled Enron sent mail.

Speed matters (the issue asks for 2,000 messages a second including zoning and dates), so a single cheap
regex decides whether a text can hold a promise at all before it is split into sentences, and due dates are
resolved only for sentences that hold one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from followup_sync.model import Channel
from followup_sync.text.dates import DateOptions, Due, find_due
from followup_sync.text.zoning import author_text, sentences

__all__ = ["Promise", "detect", "find_promises"]

_DEFAULT_OPTIONS = DateOptions()


@dataclass(frozen=True)
class Promise:
    """One commitment: the sentence it was found in, what was promised, how, and by when (if stated)."""

    sentence: str
    action: str
    channel: Channel | None
    due: Due | None


# --- the verb lexicon ----------------------------------------------------------------------------------------

_DOUBLED = frozenset({"get", "put", "stop", "drop", "set", "run", "ship", "swing", "dig"})


def _ing(word: str) -> str:
    if word in _DOUBLED:
        return word + word[-1] + "ing" if word not in {"swing"} else word + "ing"
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    return word + "ing"


def _v(phrase: str) -> str:
    """``"send"`` -> ``(?:send|sending)``; only the phrase's first word is inflected, for "I'll be sending"."""
    head, _, tail = phrase.partition(" ")
    alt = f"(?:{head}|{_ing(head)})"
    return alt + (" " + tail if tail else "")


_OBJ = r"(?:you|u|him|her|them|us|[a-z]+)"  # an indirect object in "give you a call", "drop John a note"

# Each family: (channel, alternatives). Order matters: the first family whose pattern matches wins, so the
# specific idioms ("give you a call", "set up a meeting") come before the general verbs ("give", "set up").
_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "call",
        (
            _v("give") + rf" {_OBJ} (?:a )?(?:call|ring|buzz|shout|phone call|telephone call)",
            _v("return") + r" (?:your|the|his|her|their) (?:phone )?calls?",
            _v("set") + r" up (?:a |the )?(?:conference )?call",
            _v("schedule") + r" (?:a |the )?(?:conference )?call",
            r"(?:call|calling|phone|phoning|ring|ringing|dial|dialing|telephone|telephoning)"
            r"(?! (?:it|this|that) (?:a|off|quits))",
        ),
    ),
    (
        "email",
        (
            _v("shoot") + rf" {_OBJ} (?:an? )?(?:e-?mail|note|line|message)",
            _v("drop") + rf" {_OBJ} (?:an? )?(?:e-?mail|note|line|message)",
            r"(?:e-?mail|e-?mailing|send|sending|resend|resending|re-send|forward|forwarding|fwd|mail|mailing)",
            r"(?:write|writing)(?! (?:it )?off)",
            r"(?:reply|replying|respond|responding)",
        ),
    ),
    (
        "meeting",
        (
            _v("set") + r" up (?:a |the |some )?(?:meeting|demo|visit|lunch|dinner|time to meet|site visit)",
            _v("schedule") + r" (?:a |the )?(?:meeting|demo|visit|lunch|dinner|site visit)",
            _v("arrange") + r" (?:a |the )?(?:meeting|demo|visit|lunch|dinner)",
            # "meet with Legal" or "meeting him" is the rep's own appointment, not one the recipient expects.
            r"(?:meet|meeting|visit|visiting|demo|demoing)"
            r"(?! with (?!you\b|u\b|your\b|y'all|all of you|everyone|you all))(?! (?:him|her|them)\b)",
            r"(?:stop|stopping|come|coming|drop|dropping|swing|swinging) (?:by|over|in)",
            r"(?:come|coming) (?:down|up|to your)",
            _v("walk") + rf" {_OBJ} through",
            _v("get") + r" together",
        ),
    ),
    (
        "contact",
        (
            _v("get") + r" back (?:to|with) (?:you|u)",
            _v("get") + r" back",
            _v("get") + r" (?:in touch|with you)",
            r"be (?:back )?in (?:touch|contact)",
            _v("touch") + r" base",
            _v("circle") + r" back",
            _v("follow") + r"(?: |-)?up",
            _v("reach") + r" out",
            _v("contact"),
            r"(?:let|letting) (?:you|u) know",
            _v("keep")
            + r" (?:you|u|everyone|everybody|all of you|you all|y'all|us|him|her|them|the group|the team)"
            r"(?: all)? (?:posted|informed|updated|advised|apprised|in the loop|up to date)",
            r"(?:notify|notifying|inform|informing)",
            _v("update") + r" (?:you|u)\b",
            _v("fill") + rf" {_OBJ} in\b",
            _v("report") + r" back",
        ),
    ),
    (
        "delivery",  # fax and courier deliver something but are not email
        (r"(?:fax|faxing|overnight|fed ?ex|courier)",),
    ),
    (
        "other",
        (
            r"(?:double|re)-?(?:check|checking)",
            # "I'll check my messages" is about being reachable, not a promise.
            r"(?:check|checking)(?! (?:my |our )?(?:messages|voice ?-?mail|phone ?-?mail|e-?mail|mail)\b)",
            _v("look") + r" (?:into|in to|at|over|through)",
            _v("take") + r" (?:a (?:quick |closer )?look|care|a stab)",
            _v("find") + r" out",
            _v("track") + r" down",
            _v("figure") + r" out",
            _v("dig") + r" (?:into|up|around)",
            r"see (?:if|whether|what) (?:i|we) can",
            _v("research"),
            _v("investigate"),
            _v("verify"),
            _v("confirm"),
            _v("review"),
            _v("ask"),
            _v("provide"),
            _v("deliver"),
            _v("prepare"),
            _v("put") + r" together",
            _v("draft"),
            _v("compile"),
            _v("bring"),
            _v("pass") + r" (?:(?:it|this|that|them|these|those|the \w+) )?(?:along|on)",
            _v("get") + r" (?:(?:it|this|that|them|these|those|the \w+|something|everything|all|one|some) )?"
            r"(?:to|over to) (?:you|u)",
            _v("get") + r" (?:you|u)(?= [a-z])",
            _v("get") + r" (?:it|this|that|them|these|those|the \w+|the \w+ \w+) "
            r"(?:done|fixed|set up|out|over|signed|taken care of|finished|ready|back)\b",
            _v("get") + r" (?:to|on) (?:it|this|that|them)",
            _v("give") + r" (?:you|u|him|her|them|[a-z]+) (?:the|a|an|my|our|his|their|your|some|copies|a copy)\b",
            _v("give") + r" (?:you|u)(?= [a-z])",
            _v("fix"),
            _v("correct"),
            _v("revise"),
            _v("update") + r" (?:the|it|this|that|them|these|those|our|my|your)\b",
            _v("change") + r" (?:the|it|this|that|them|these|those|our|my|your)\b",
            _v("make") + r" (?:the|a|an|that|those|these|some|any|copies|changes|reservations|arrangements)\b"
            r"(?! (?:afternoon|morning|evening|day|week|most|best|case|point|trip|flight|meeting)\b)",
            _v("handle"),
            _v("work") + r" on",
            _v("process"),
            _v("submit"),
            _v("sign"),
            _v("pay"),
            _v("approve"),
            _v("add"),
            _v("enter") + r" (?:it|this|that|them|these|those|the|your)\b",
            _v("book"),
            _v("reserve"),
            _v("print"),
            _v("fill") + r" out",
            _v("complete"),
            _v("finish") + r"(?! (?:the |this |our )?(?:afternoon|morning|evening|day|week|session|meeting)\b)",
            _v("pick") + r" (?:(?:it|them|him|her|you|this|that|these|those|the \w+) )?up",
            _v("manage") + r" (?:it|this|that|them|the)\b",
            _v("deal") + r" with",
            _v("seek"),
            _v("notify"),
            _v("do") + r" (?:it|that|this|so|the|my best|what i can|some)\b",
            _v("set") + r" up",
            _v("schedule"),
            _v("arrange"),
            r"(?:co-?ordinate|co-?ordinating)",
            _v("organize"),
            _v("let") + r" (?!(?:you|u) )[a-z]+ know",
            _v("tell") + r" (?:you|u)\b",
            _v("pull"),
            _v("run") + r" (?:it|this|that|the|a|some)\b",
            _v("modify"),
            _v("adjust"),
            _v("issue"),
            _v("execute"),
            _v("post"),
            _v("include"),
            _v("remove"),
            _v("cancel"),
            _v("resolve"),
            _v("obtain"),
            _v("request"),
            _v("write") + r" up",
            _v("ship"),
            _v("return") + r" (?:it|this|that|them|the)\b",
            _v("put") + r" (?:it|this|that|them|the|you) (?:together|in|on|into|through|out)\b",
            _v("order"),
            _v("have") + r" [^,;]{1,40}?(?:to (?:you|u)|for (?:you|u)|ready|done|back to|over to)",
        ),
    ),
)

# "contact" (get back, follow up, let you know) names no channel; "delivery" (fax, courier) is "other".
_CHANNEL_OF: dict[str, Channel | None] = {
    "call": "call",
    "email": "email",
    "meeting": "meeting",
    "contact": None,
    "delivery": "other",
    "other": "other",
}
_VERB_RES: tuple[tuple[Channel | None, re.Pattern[str]], ...] = tuple(
    (_CHANNEL_OF[family], re.compile(r"(?:" + "|".join(alts) + r")(?![a-z'])")) for family, alts in _FAMILIES
)

# "I'll have John call you", "I'll ask Sally to send it": delegation; the channel is the second verb's.
_DELEGATES = (
    re.compile(r"(?:have|having|ask|get) (?!to |a |the |it |this |that )[a-z]+ (?:to )?"),
    re.compile(r"(?:have|having|ask|get) (?!to |a |the |it |this |that )[a-z]+ [a-z]+ (?:to )?"),
)

# --- subjects, modals and what may stand between the modal and the verb -------------------------------------

# A cheap gate over the whole author text: nothing without one of these can hold a promise.
_GATE = re.compile(
    r"\b(?:i|we)(?:['’‘`](?:ll|l|m|re)|\s+(?:will|shall|am|are|plan|intend|hope|should|won't|can't|cannot))\b"
    r"|\bwill\b|\blet me\b|\bill\b|\bto follow\b|\bhear (?:back )?from (?:me|us)\b|\bexpect (?:my|our|a|an)\b",
    re.IGNORECASE,
)

_MODAL = re.compile(
    r"(?<![a-z'])(?P<subj>i|we)(?:"
    r"'ll|'l|\s+will|\s+shall"
    r"|'m going to|\s+am going to|'re going to|\s+are going to|'m gonna|\s+am gonna"
    r"|\s+plan (?:to|on)|'m planning (?:to|on)|\s+am planning (?:to|on)|'re planning (?:to|on)"
    r"|\s+are planning (?:to|on)|\s+intend to|\s+fully intend to|\s+hope to be able to"
    r"|\s+should be able to|\s+hope to|'m hoping to|\s+am hoping to|'re hoping to|\s+are hoping to"
    # "I'm having Martha email it": the delegation is read by _DELEGATES from "having" on.
    r"|'m(?= having )|\s+am(?= having )"
    r")(?![a-z])"
    # "Ill keep you posted": the missing apostrophe is common; a lexicon verb must follow anyway.
    r"|(?<![a-z'])(?P<ill>ill)(?= )"
    r"|(?:^|(?<=[,;:.!]\s)|(?<=\band\s)|(?<=\bbut\s)|(?<=^ok\s)|(?<=^okay\s)|(?<=^sure\s)|(?<=^yes\s))"
    r"(?P<bare>will)(?= )"
)

# Negated modals: only "won't be able to call until Tuesday" keeps a promise (to call on Tuesday).
_NEGATED = re.compile(
    r"(?<![a-z'])(?:i|we)(?: won't| will not|'ll not| can't| cannot| can not| am not able to|'m not able to)"
    r"(?: be able to)? (?P<rest>[^.;!?]*?)\b(?:until|till|before|til)\b"
)

_FILLER = re.compile(
    r"(?:also|then|just|definitely|certainly|probably|surely|gladly|personally|still|now|soon|quickly"
    r"|immediately|hopefully|first|again|actually|directly|promptly|try to|try and|be sure to|be sure and"
    r"|make sure to|make sure i|need to|have to|want to|be able to|go ahead and|attempt to|plan to|plan on"
    r"|in turn|each|both|either|all|further|separately|personally|gladly|shortly|tomorrow|today|later"
    r"|,)\s*"
)

# Words straight after the modal that make the clause a hedge, an offer or a state, not a commitment.
_BLOCK_AFTER_MODAL = re.compile(
    r"(?:not|never|no longer|maybe|perhaps|be (?:happy|glad|pleased|delighted|more than happy) to)\b"
)

# --- what disqualifies the whole clause ------------------------------------------------------------------------

# Conditions on the recipient's wishes: an offer waiting on them, not a promise.
_RECIPIENT_CONDITION = re.compile(
    r"\b(?:(?<!see )(?<!ask )(?<!know )(?<!check )(?<!whether )if (?:you|u)\b"
    r"(?! (?:don't|do not|haven't|have not))"
    r"|should (?:you|u)\b|in case (?:you|u)\b|whenever (?:you|u)\b"
    r"|when (?:you|u) (?:want|need|are ready|'re ready|get a chance|have (?:a )?(?:chance|time|a minute))"
    r"|if (?:so|not|needed|necessary|desired|required|interested|requested|appropriate|that's the case)\b"
    r"|if (?:that|this) (?:would|will) (?:help|be helpful)"
    r"|(?:want|like) me to\b|(?:shall|should) (?:i|we)\b|can (?:i|we)\b|(?:would|do) you (?:like|want)\b)"
)

# Conditions on events that may never happen ("if I hear anything"): no reminder can be scheduled for them.
_UNCERTAIN_CONDITION = re.compile(
    r"\bany\b[^.;]{0,40}\b(?:i|we) (?:find|see|hear|notice|come across|get|receive|learn)\b"
    r"|\b(?:if|should|in case) (?:i|we) (?:hear|learn|find|come across|see|get|have|need|think of|receive|notice)"
    r"\b|\b(?:if|should|in case|when) (?:anything|something|any|there (?:is|are|'s)|things|that|this) "
    r"(?:else )?(?:changes?|comes? up|new|develops?|further|more|happens?|additional)"
    r"|\bif (?:anything|something)\b|\bas needed\b"
)

# A request or offer before the modal turns "X and I'll ..." into a condition on the recipient.
_REQUEST_BEFORE = re.compile(
    r"\b(?:let (?:me|us) know|please|feel free|call me|give me a (?:call|ring)|tell me|send me|e-?mail me|fax me"
    r"|just (?:say|ask)|drop me|ping me|reply|get back to me|why don't you|(?:can|could|would|will) you)\b"
)

# Sign-offs and plans about the sender's own whereabouts that the verb lexicon could otherwise catch.
_PLEASANTRY_AFTER = re.compile(
    r"(?:call|calling|visit|visiting|meet|meeting) (?:it|you) (?:soon|later|sometime)\b"
)

_QUESTION_START = re.compile(r"^(?:shall|should|can|could|may|will|would|do|did|am|are|is)\s+(?:i|we)\b")

# Explicit expectations without a first-person modal.
_SPECIAL = re.compile(
    r"(?:you(?:'ll| will| should) (?:be )?hear(?:ing)? (?:back )?from (?:me|us)"
    r"|expect (?:my|our) (?:call|e-?mail|note|fax|visit|proposal)"
    r"|expect (?:a (?:call|note|fax|visit|proposal)|an e-?mail) from (?:me|us)"
    # "Proposal to follow.", "Details to follow": a whole sentence announcing the next message.
    r"|^(?:the |a |my |our |more |further |full |second |another )?[a-z-]+(?: [a-z-]+)? to follow\b)"
)

_LET_ME = re.compile(
    r"(?<![a-z])let me (?P<rest>(?:check|look into|look in to|find out|verify|confirm|ask|get back|follow up|"
    r"research|investigate|dig|see (?:if|whether|what) (?:i|we) can|call|send|forward|talk to|touch base"
    r"|circle back)"
    r"[^.;!?]*)"
)

# --- action text -------------------------------------------------------------------------------------------------

_STOP = re.compile(
    r"[,;:.!?()\"]|\s(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|"
    r"tues|wed|thu|thur|thurs|fri|next|this (?:week|morning|afternoon|evening)|asap|soon|shortly|later|early|"
    r"first thing|eod|cob|when|once|if|but|or|so|because|since|as|until|till|within|around|sometime|some time|"
    r"right away|immediately|then|by|before|after|on|at|to discuss|to see|to let|to talk|to review|in the "
    r"(?:morning|afternoon|next|coming)|in (?:a|an|the next) (?:few|couple|day|week|hour|minute)|unless|"
    r"while|whether|that way|just|again|as well|too|also|either|now|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|"
    r"oct|nov|dec)[a-z]*|\d)(?![a-z])"
)
_AND_NEXT = re.compile(r"\s(?:and|&)\s+(?:then\s+)?(?:(?:i|we)(?:'ll| will)\s+)?(?:will\s+)?")
_DROP_OBJ = re.compile(
    r"^([a-z-]+(?: (?:up|out|back|over|along|on))?) (?:you|u)\b"
    r"(?! (?:know|posted|informed|updated|advised|apprised|in\b|through|up to date))"
)
# "give you a call" -> "call", "drop John a note" -> "email John": the reminder should name the channel's verb.
_IDIOM = re.compile(
    r"^(?:give|giving) (?:(?:you|u) )?(?:(\w+) )?an? (?:call|ring|buzz|shout|phone call|telephone call)"
    r"|^(?:shoot|shooting|drop|dropping) (?:(?:you|u) )?(?:(\w+) )?an? (?:e-?mail|note|line|message)"
)
_TRAILING = re.compile(
    r"(?:\s+(?:(?:to|with|for) (?:you|u)|to|with|for|from|about|of|and|the|a|an|your|some|any|my|our))+$"
)
_MAX_ACTION_WORDS = 8


def _match_verb(text: str, pos: int) -> tuple[Channel | None, int] | None:
    """The channel and end of a lexicon verb phrase starting exactly at ``pos``, or None."""
    for channel, rx in _VERB_RES:
        m = rx.match(text, pos)
        if m:
            return channel, m.end()
    return None


def _skip_fillers(text: str, pos: int) -> int:
    while True:
        m = _FILLER.match(text, pos)
        if not m or m.end() == pos:
            return pos
        pos = m.end()


def _action(text: str, start: int, verb_end: int) -> str:
    """The verb phrase from ``start``: the verb and a short object, stopping at times, clauses and conjunctions.

    "and <verb>" is kept when the next verb is in the lexicon too ("check with John and get back").
    """
    end = len(text)
    pos = verb_end
    cut = end
    for _ in range(3):
        stop = _STOP.search(text, pos, end)
        cut = stop.start() if stop else end
        conj = _AND_NEXT.search(text, pos, cut)
        if conj is None:
            break
        cut = conj.start()
        following = _match_verb(text, conj.end())
        if following is None:
            break
        pos = following[1]
        cut = end
    phrase = " ".join(text[start:cut].split()[: _MAX_ACTION_WORDS + 2])
    idiom = _IDIOM.match(phrase)
    if idiom:
        verb = "call" if "call" in idiom.group() or "ring" in idiom.group() or "buzz" in idiom.group() else "email"
        other = idiom.group(1) or idiom.group(2)
        phrase = f"{verb} {other}{phrase[idiom.end() :]}" if other else verb + phrase[idiom.end() :]
    phrase = _DROP_OBJ.sub(r"\1", phrase)
    phrase = _TRAILING.sub("", phrase)
    return " ".join(phrase.split()[:_MAX_ACTION_WORDS])


# --- sentence analysis -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int  # where the clause begins (the subject), for due-date lookup
    verb: int  # where the action phrase begins
    verb_end: int  # where the lexicon phrase ends; the action is never shorter
    channel: Channel | None


def _verb_after(low: str, pos: int) -> tuple[int, int, Channel | None] | None:
    """The promised verb after a modal ending at ``pos`` as (start, end, channel); None for hedges and states."""
    while pos < len(low) and low[pos] == " ":
        pos += 1
    pos = _skip_fillers(low, pos)
    if _BLOCK_AFTER_MODAL.match(low, pos):
        return None
    if low.startswith("be ", pos):  # "I'll be sending", "we'll be in touch"
        if found := _match_verb(low, pos):  # "be in touch"
            return pos, found[1], found[0]
        if found := _match_verb(low, pos + 3):
            return pos + 3, found[1], found[0]
        return _and_next(low, pos)
    for rx in _DELEGATES:
        delegated = rx.match(low, pos)
        if delegated is None:
            continue
        inner = _match_verb(low, delegated.end())
        if inner is not None:
            return pos, inner[1], inner[0]
    found = _match_verb(low, pos)
    if found is not None:
        return pos, found[1], found[0]
    return _and_next(low, pos)


_CLAUSE_END = re.compile(r"[,;:.!?]| that | who | which ")


def _and_next(low: str, pos: int) -> tuple[int, int, Channel | None] | None:
    """ "I'll talk to John and get back to you": a verb outside the lexicon, then one in it, same clause."""
    clause_end = _CLAUSE_END.search(low, pos)
    limit = clause_end.start() if clause_end else len(low)
    conj = _AND_NEXT.search(low, pos, min(limit, pos + 60))
    if conj and (second := _match_verb(low, conj.end())):
        return pos, second[1], second[0]
    return None


_HEDGE_BEFORE = re.compile(r"\b(?:maybe|perhaps|possibly)\s+(?:\S+\s+)?$")


def _hits(low: str) -> list[_Hit]:
    hits: list[_Hit] = []
    if _QUESTION_START.match(low):
        return hits
    for m in _MODAL.finditer(low):
        if m.group("bare") and not _bare_will_ok(low, m.start()):
            continue
        before = low[: m.start()]
        if _REQUEST_BEFORE.search(before) or _HEDGE_BEFORE.search(before):
            continue
        found = _verb_after(low, m.end())
        if found is None or _PLEASANTRY_AFTER.match(low, found[0]):
            continue
        hits.append(_Hit(m.start(), *found))
    if not hits:
        for n in _NEGATED.finditer(low):
            found = _verb_after(low, n.start("rest"))
            if found is not None:
                hits.append(_Hit(n.start(), *found))
    if not hits:
        lm = _LET_ME.search(low)
        if lm and not _REQUEST_BEFORE.search(low[: lm.start()]):
            rest = lm.start("rest")
            verb = _match_verb(low, rest)
            hits.append(_Hit(lm.start(), rest, verb[1] if verb else rest, verb[0] if verb else None))
    if not hits:
        sp = _SPECIAL.search(low)
        if sp:
            hits.append(_Hit(sp.start(), sp.start(), sp.end(), _special_channel(sp.group())))
    return hits


def _special_channel(phrase: str) -> Channel | None:
    if "call" in phrase:
        return "call"
    if "mail" in phrase or "note" in phrase:
        return "email"
    if "visit" in phrase:
        return "meeting"
    return None if "hear" in phrase else "other"


_PARENTHESES = re.compile(r"\([^)]*\)\s*")
_REP_SUBJECT = re.compile(r"^(?:[a-z]+,? )?(?:i|we)\b")
_CLAUSE_START = re.compile(r".*(?:[,;:]|\bbecause|\bsince|\bso)\s")


def _bare_will_ok(low: str, at: int) -> bool:
    """A subjectless "Will send it tomorrow." or "I got it and will forward it": only with the rep as subject."""
    if at == 0 or low[:at].rstrip().endswith((",", ";", ":", ".", "!", "ok", "okay", "sure", "yes")):
        return not low.startswith("will do", at) or _match_verb(low, at + 5) is not None
    # "... and will": the clause must open with the rep ("I got it and will ...", not "PG&E ... and will").
    head = _PARENTHESES.sub("", low[:at])
    clause = _CLAUSE_START.match(head)
    return bool(_REP_SUBJECT.match(head[clause.end() :] if clause else head))


def _normalise(sentence: str) -> str:
    low = sentence.lower()
    if "’" in low or "‘" in low or "`" in low:
        low = low.replace("’", "'").replace("‘", "'").replace("`", "'")
    return " ".join(low.split())


def _promise_in(sentence: str, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions) -> Promise | None:
    low = _normalise(sentence)
    hits = _hits(low)
    if not hits:
        return None
    if _RECIPIENT_CONDITION.search(low) or _UNCERTAIN_CONDITION.search(low):
        return None
    hit = hits[0]
    channel = next((h.channel for h in hits if h.channel not in (None, "other")), hit.channel)
    text = " ".join(sentence.split())
    due = find_due(text[hit.start :], sent_at=sent_at, tz=tz, options=options) or find_due(
        text, sent_at=sent_at, tz=tz, options=options
    )
    return Promise(sentence=text, action=_action(low, hit.verb, hit.verb_end), channel=channel, due=due)


def find_promises(
    text: str, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS
) -> list[Promise]:
    """The promises in ``text``, the author's own (already zoned) words, one per sentence that holds one."""
    if not _GATE.search(text):
        return []
    found: list[Promise] = []
    for sentence in sentences(text):
        if not _GATE.search(sentence):
            continue
        promise = _promise_in(sentence, sent_at=sent_at, tz=tz, options=options)
        if promise is not None:
            found.append(promise)
    return found


def detect(
    body: str, *, is_html: bool = False, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS
) -> list[Promise]:
    """Zone ``body`` to the author's own text, then find its promises: THE detector of the sync pass and CLI."""
    return find_promises(author_text(body, is_html=is_html), sent_at=sent_at, tz=tz, options=options)
