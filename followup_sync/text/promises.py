"""Promise detection: the rep's own first-person commitments to a future action the recipient will expect.

``detect`` (zoning + ``find_promises``) is the one detector both ``followup-sync detect`` and the sync pass use.
It is a rule-based reader, not a classifier: a first-person subject with a future modal ("I'll", "we will",
"I'm going to", a subjectless "Will send ..."), then an action verb from a lexicon (contact, send or deliver,
check and report back, meet, do a task for them; ``_promise_lexicon``), minus the cases that are not
commitments (requests, open offers, hedges, negations, pleasantries, statements about being away, recurring
chores). Guidelines version 2 (issue 8) adds two kinds, both carried on ``Promise``:

- ``conditional``: the promise waits on the contact ("tell me if the terms work and I'll sign");
  ``_promise_conditions`` decides that, and which conditions make it no promise at all;
- ``joint``: a follow-up stated jointly or impersonally ("let's speak Wednesday at 11", "you'll have the
  numbers within two days"), found by ``_joint`` and kept only with a stated time.

The labelling guidelines in ``evaluation/GUIDELINES.md`` are the specification; the harness in
``evaluation/promises_eval.py`` measures it on labelled Enron sent mail.

Speed matters (the issue asks for 2,000 messages a second including zoning and dates): a few substring tests
decide whether a text can hold a promise at all before it is split into sentences, modals are matched only
where one can start, due dates are resolved only for sentences that hold a promise, and look-backs are
bounded so that one pathological body cannot stall a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from followup_sync.model import Channel
from followup_sync.text._joint import MEET_AGAIN, joint_clause, third_party_after
from followup_sync.text._open_verbs import open_verb
from followup_sync.text._promise_conditions import (
    APPROVAL_ASKED,
    ASKED_BEFORE,
    CONDITIONAL_REQUEST,
    FOLLOW_ON,
    REQUEST_BEFORE,
    is_conditional,
)
from followup_sync.text._promise_lexicon import AND_NEXT, DELEGATES, DELIVERY, action, match_verb, typo_verb
from followup_sync.text.dates import DateOptions, Due, find_due
from followup_sync.text.zoning import author_text, sentences

if TYPE_CHECKING:  # the learned second stage is imported on the first detection, not by every start
    from followup_sync.text._promise_model import Model, RuleView

__all__ = ["Promise", "detect", "find_promises"]

_DEFAULT_OPTIONS = DateOptions()


@dataclass(frozen=True)
class Promise:
    """One commitment: the sentence it was found in, what was promised, how, and by when (if stated).

    ``conditional``: the commitment waits on the contact ("tell me if the terms work and I'll sign"): it is not
    a promise yet, only once the contact's reply accepts (issue 8, class 3). ``joint``: stated jointly or
    impersonally with a time ("let's speak Wednesday at 11", "you'll have the numbers within two days"): a
    follow-up at that time unless a meeting with the contact already covers it (issue 8, class 1).
    """

    sentence: str
    action: str
    channel: Channel | None
    due: Due | None
    conditional: bool = False
    joint: bool = False


# --- subjects, modals and what may stand between the modal and the verb -------------------------------------

# A cheap gate: text without one of these substrings (lower-cased) cannot hold a promise. Substring tests are
# far cheaper than any regex scan, and most sent mail fails them.
_GATE_WORDS = (
    "will", "'ll", "’ll", "going to", "gonna", "plan", "intend", "hope to", "hoping", "should be", "let me",
    "ill ", "to follow", "to come", "forthcoming", "expect", "hear", "won't", "can't", "cannot", "able to",
    "shall", "having", "you'll", "let's", "lets ", "let us", "talk", "speak", "chat", "look for", "till ",
    "until ", "we should", "you should", "watch for", "sync", "regroup", "reconvene", "circle back",
    "touch base", "catch up", "wil ", "wll ", "should have",
    "look out", "keep an eye", "should reach", "should get to", "should go out",
)  # fmt: skip
# Words only the learned stage's cues need ("we anticipate sending", "more tomorrow", "coming Monday"): the rules
# never fire without one of the words above, so these are tested only when the cues are.
_CUE_GATE_WORDS = ("anticipat", "propose", "coming", "arriving", "more ")


def _gate(low: str, words: tuple[str, ...] = _GATE_WORDS) -> bool:
    return any(word in low for word in words)


# Where a modal can start; _MODAL is then matched only there (a full scan with _MODAL is several times slower).
_MODAL_START = re.compile(r"(?<![a-z'])(?:i|we|myself|my|our|ill|will|hope|plan|intend|expect)(?![a-z])")
_MODAL = re.compile(
    # Every alternative starts with e, h, i, m, o, p or w; the lookahead lets the scan skip other positions.
    r"(?=[ehimopw])"
    r"(?<![a-z'])(?:(?P<subj>i|we|(?<=and )myself)(?:"
    # "I wil send", "we wll forward": a letter dropped from the modal (guidelines v2: typos read as meant).
    r"'ll|'l|\s+will|\s+shall|\s+wil|\s+wll"
    r"|(?:'m|\s+am|'re|\s+are) (?:just |probably |also |then |now )?(?:going to|gonna)"
    r"|\s+expect to(?= (?:send|sent|call|forward|e-?mail|get|have|deliver|circulate|distribute)\b)"
    r"|\s+plan (?:to|on)|'m planning (?:to|on)|\s+am planning (?:to|on)|'re planning (?:to|on)"
    r"|\s+are planning (?:to|on)|\s+intend to|\s+fully intend to|\s+hope to be able to"
    r"|\s+should be able to|\s+hope to|'m hoping to|\s+am hoping to|'re hoping to|\s+are hoping to"
    r"|\s+should(?= be [a-z]+ing\b)"
    # "I'm having Martha email it to you": a delegation under way (the delegate and verb are checked after)
    r"|(?:'m|\s+am|'re|\s+are)(?= having (?![a-z]+ed\b)(?!(?:a|an|it|this|that|some|no|trouble|problems?"
    r"|difficulty|fun|lunch|dinner|breakfast|drinks|surgery|people|guests|friends)\b)"
    r"(?:(?:my|our|the) [a-z]+|(?!(?:my|our|the)\b)[a-z]+) (?:to )?(?!(?:[a-z]+ed|sent|done|made|set up)\b)[a-z]+)"
    # "I should have the report to you by Friday" (kept only with a stated time), not "I should have sent it".
    r"|\s+should(?= have (?!been\b|had\b|[a-z]+(?:ed|en|wn|ught|ne)\b|sent\b|got\b|made\b|told\b|let\b"
    r"|put\b|left\b|heard\b|kept\b|said\b|spent\b|paid\b|lost\b|won\b|met\b|read\b|run\b|come\b|felt\b))"
    r")|my plan is to|our plan is to)(?![a-z])"
    # "Ill keep you posted": the missing apostrophe is common; a lexicon verb must follow anyway.
    r"|(?<![a-z'])(?P<ill>ill)(?= )"
    r"|(?:^|(?<=[,;:.!(]\s)|(?<=\()|(?<=\band\s)|(?<=\bbut\s)|(?<=^ok\s)|(?<=^okay\s)|(?<=^sure\s)|(?<=^yes\s))"
    # "Will send it tomorrow", "... and hope to have it to you shortly" ("expect to" as above: a delivery)
    r"(?P<bare>will|hope to|plan to|intend to|expect to(?= (?:send|sent|call|forward|e-?mail|get|have|deliver"
    r"|circulate|distribute)\b))(?= )"
)

# Negated modals: only "won't be able to call until Tuesday" keeps a promise (to call on Tuesday).
_NEGATED = re.compile(
    r"(?<![a-z'])(?:i|we)(?: won't| will not|'ll not| can't| cannot| can not| am not able to|'m not able to)"
    r"(?: be able to)? (?P<rest>[^.;!?]*?)\b(?:until|till|before|til)\b"
)

_FILLER = re.compile(
    r"(?:also|then|just|definitely|certainly|probably|surely|gladly|personally|still|now|soon|quickly"
    r"|immediately|hopefully|first|again|actually|directly|promptly|try to|try and|be sure to|be sure and"
    r"|make sure to|make sure i|be able to|go ahead and|attempt to|plan to|plan on|continue to|remember to"
    r"|aim to|endeavou?r to|look to(?= [a-z]+ (?:it|this|that|them|the|a|an|your|you|u)\b)"
    # "I will wait till after lunch to send it": the action, at the time waited for
    r"|wait (?:till|until|til) [a-z0-9: ]{1,30}? to"
    r"|in turn|each|both|either|all|further|separately|personally|gladly|shortly|tomorrow|today|later"
    # "I will begin preparing the masters", "we'll start to draft it", not "I will start on Monday".
    # Not an ongoing duty taken up ("I will start responding for Australia", "we'll begin working on it").
    r"|(?:start|begin) to(?! (?:respond|work|handle|manage|cover|take|use|run|attend|process|look)\b)"
    r"|(?:start|begin)"
    r"(?= (?!(?:respond|work|handl|manag|cover|tak|us|runn|attend|process|look)ing\b)[a-z]{2,}ing\b)"
    r")(?![a-z])\s*|,\s*"
)

# Words straight after the modal that make the clause a hedge, an offer or a state, not a commitment.
_BLOCK_AFTER_MODAL = re.compile(
    r"(?:not|never|no longer|maybe|perhaps|need|needs|have to|want|wish|would like|like to"
    r"|be (?:happy|glad|pleased|delighted|more than happy) to)\b"
)

# Sign-offs and plans about the sender's own whereabouts that the verb lexicon could otherwise catch.
_PLEASANTRY_AFTER = re.compile(
    r"(?:call|calling) it\b|(?:visit|visiting|meet|meeting) (?:you )?sometime\b"
    # "(I) hope to meet you soon.": a wish that ends the sentence, no time or place to hold it to
    r"|(?:meet|meeting|visit|visiting) (?:you|u)(?: all| both| guys)?"
    r"(?: (?:soon|again|someday|one day|in person))?[\s.!)]*$"
)

_QUESTION_START = re.compile(r"^(?:shall|should|can|could|may|will|would|do|did|am|are|is)\s+(?:i|we)\b")

# Explicit expectations without a first-person modal.
_SPECIAL = re.compile(
    r"(?:you(?:'ll| will| should) (?:be )?hear(?:ing)? (?:back )?from (?:me|us)"
    r"|expect (?:my|our) (?:call|e-?mail|note|fax|visit|proposal)"
    r"|expect (?:a (?:call|note|fax|visit|proposal)|an e-?mail) from (?:me|us)"
    # "Expect Patti to contact you": a contact the sender has arranged.
    r"|^expect [a-z]+(?: [a-z]+)? to (?:contact|call|e-?mail|reach out to|get in touch with|send) (?:you|u)\b"
    # "Proposal to follow.", "Details to follow": a whole sentence announcing the next message; "(Just) wanted to
    # follow up" is this message itself.
    r"|^(?:much )?more (?:[a-z]+ )?to come\b|^[a-z -]{1,40} will be forthcoming\b"
    # "You'll have the contract by Friday": a delivery promised in the recipient's words.
    r"|you(?:'ll| will) (?:have|get|receive) (?:it|this|that|them|the|a|an|my|our)\b[^.;]{0,40}?"
    r"\b(?:by|from (?:me|us)|tomorrow|today|tonight|shortly|this (?:afternoon|evening|week)|next week)\b)"
)

# "Proposal to follow.", "Slides, notes and the recording will follow shortly", "... and that form will follow":
# the next message announced; "(Just) wanted to follow up" is this message itself. Matched only where a clause
# starts (the sentence start, after "and" or ";").
_FOLLOWS = re.compile(
    r"(?!(?:just |i |we |only )*(?:wanted|want|needed|need|meant|tried|wished|wish|like)\b)"
    r"(?!(?:there|here|it|they|you|we|i)\b)(?!(?:this|that|these|those) (?:will|to|is|are)\b)"
    # the thing announced, without a verb or a relative clause ("there are a few rules to follow", "procedures
    # that Gas Logistics will follow")
    r"(?:(?! (?:is|are|was|were|be|have|has|had|that|which|who|may|can|might|could|able) )[a-z ,&-]){1,60}?"
    r" (?:to|will) follow(?= ?(?:$|[.!,;)(]|shortly|soon|later|tomorrow|today|tonight|under|in (?![a-z]+ing\b)"
    r"|by |next|this (?:week|afternoon|morning|evening)|early|as |when|once|after|on |separately|via|asap))"
)


def _follows(low: str) -> re.Match[str] | None:
    if " follow" not in low:
        return None
    starts = [0] + [i + 5 for i in _find_all(low, " and ")] + [i + 2 for i in _find_all(low, "; ")]
    return next((m for pos in starts if (m := _FOLLOWS.match(low, pos))), None)


def _find_all(text: str, needle: str) -> list[int]:
    found: list[int] = []
    at = text.find(needle)
    while at >= 0 and len(found) < 20:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


_LET_ME = re.compile(
    r"(?<![a-z])let me (?P<rest>(?:check|look into|look in to|find out|verify|confirm|ask|get back|follow up|"
    r"research|investigate|dig|see (?:if|whether|what) (?:i|we) can|call|send|forward|talk to|touch base"
    r"|circle back)"
    r"[^.;!?]*)"
)


def _skip_fillers(text: str, pos: int) -> int:
    while True:
        m = _FILLER.match(text, pos)
        if not m or m.end() == pos:
            return pos
        pos = m.end()


# --- sentence analysis -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int  # where the clause begins (the subject), for due-date lookup
    verb: int  # where the action phrase begins
    verb_end: int  # where the lexicon phrase ends; the action is never shorter
    channel: Channel | None
    conditional: bool = False  # a request to the recipient comes first ("let me know and I'll set it up")
    joint: bool = False  # "let's talk Tuesday", "you'll have it Friday": a promise only with a stated time
    timeless: bool = False  # joint with a time, plain without one ("you'll have the contract shortly")
    timed: bool = False  # a promise only with a stated time ("I should have it to you by Friday")


# What a sender will be busy with, not an action owed to the recipient.
_BUSY = re.compile(
    r"(?:working|dealing|handling|managing|covering)\b(?![^,;.]{0,30}\b(?:your|for you|with you)\b)"
)


def _verb_after(low: str, pos: int) -> tuple[int, int, Channel | None] | None:
    """The promised verb after a modal ending at ``pos`` as (start, end, channel); None for hedges and states."""
    while pos < len(low) and low[pos] == " ":
        pos += 1
    pos = _skip_fillers(low, pos)
    if _BLOCK_AFTER_MODAL.match(low, pos):
        return None
    if low.startswith("be ", pos):  # "I'll be sending", "we'll be in touch"
        if _BUSY.match(low, pos + 3):
            return None  # "I'll be working on 41 tomorrow": where the sender's day goes, not an action owed
        if found := match_verb(low, pos):  # "be in touch"
            return pos, found[1], found[0]
        if found := match_verb(low, pos + 3):
            return pos + 3, found[1], found[0]
        return _and_next(low, pos)
    for rx in DELEGATES:
        delegated = rx.match(low, pos)
        if delegated is None:
            continue
        inner = match_verb(low, delegated.end())
        # The delegate's verb is a bare infinitive ("have Sally call"), never "-ing" ("have no problem obtaining").
        if inner is not None and not low[delegated.end() : inner[1]].split(" ", 1)[0].endswith("ing"):
            return pos, inner[1], inner[0]
    found = match_verb(low, pos) or typo_verb(low, pos)
    if found is not None:
        return pos, found[1], found[0]
    return _and_next(low, pos)


_CLAUSE_END = re.compile(r"[,;:.!?]| that | who | which ")


def _and_next(low: str, pos: int) -> tuple[int, int, Channel | None] | None:
    """ "I'll talk to John and get back to you": a verb outside the lexicon, then one in it, same clause."""
    clause_end = _CLAUSE_END.search(low, pos)
    limit = clause_end.start() if clause_end else len(low)
    # "talk with Kevin and Mitch and then get back to you": the first "and" may join names.
    for conj in AND_NEXT.finditer(low, pos, min(limit, pos + 80)):
        second = match_verb(low, conj.end())
        # A task verb must read as a verb ("and pick it up"), not a noun ("accurate and schedule information").
        verb_end = low.find(" ", conj.end())
        if second and (second[0] != "other" or verb_end < 0 or _VERB_OBJECT.match(low, verb_end)):
            return pos, second[1], second[0]
    return None


_VERB_OBJECT = re.compile(
    r" (?:it|this|that|them|these|those|the|a|an|some|any|all|you|your|my|our|up|back|out|over|with|to|for|on)\b"
)


# Modals after which any action verb may follow (the open-verb path); "plan / hope / intend to" and "should"
# keep to the lexicon unless the action is aimed at the recipient.
_OPEN_MODAL = re.compile(
    r"(?:i|we)(?:'ll|'l| will| shall| wil| wll|(?:'m| am|'re| are) [a-z ]*(?:going to|gonna))$"
)
# "He told me I will owe", "I said we'll ...": reported speech; "so that I will", "whether we will": subordinate.
_REPORTED_BEFORE = re.compile(
    r"\b(?:said|says|told|tells|promised|mentioned|thinks?|feels?|believes?|hopes?|fears?|worried|afraid|sure"
    r"|whether|if|so that|in order that|unless|when|where|how|what|why|which|who)\b(?:\s+\S+){0,3}\s*$"
)


def _open_after(low: str, m: re.Match[str], before: str) -> tuple[int, int, Channel | None, bool] | None:
    """An action verb outside the lexicon after the rep's modal (``_open_verbs``), as (start, end, channel,
    joint). The open path asks more of the clause than the lexicon does: the rep's own will/'ll/shall/going to
    (no "ill", no hedge or "be able to" in between), not a question, not reported or subordinate speech, and an
    action aimed at the recipient ("you", "your" after the verb), which is what separates a promise from the
    sender's own plans ("I'll read it tonight", "we will treat this as an exchange": guidelines v2)."""
    if m.group("ill") or "?" in low[m.end() :] or _REPORTED_BEFORE.search(before) or _RELATIVE.search(before):
        return None
    if not (m.group("bare") == "will" or _OPEN_MODAL.search(m.group())):
        return None
    pos = _skip_fillers(low, m.end() + (low[m.end() : m.end() + 1] == " "))
    if _BLOCK_AFTER_MODAL.match(low, pos) or _OPEN_HEDGE.search(low, m.end(), pos):
        return None  # a hedge, an offer, or an ongoing duty ("I will continue to monitor the curve")
    end = open_verb(low, pos)
    if end is None:
        return None
    stop = _AIM_END.search(low, end)
    aimed = _AIMED.search(low, end, stop.start() if stop else len(low))
    if aimed is None or _OFFER_BEFORE.search(low, max(end, aimed.start() - 12), aimed.start()):
        return None
    # "I'll talk to you Monday": a conversation is a joint follow-up, with a stated time (a sign-off without one).
    return pos, end, "other", bool(_TALK.match(low, pos))


# The recipient as the object or beneficiary of the action ("update you", "get your sign-off", "shout out at
# ya"), not as the subject of the next clause ("... and you can update them") nor as the source ("when I hear
# from you"); looked for up to the end of the sentence or of a trigger clause.
_AIMED = re.compile(
    r"(?<!from )\b(?:you|u|ya|y'all)\b(?!'|(?: all| both| guys)? (?:can|could|will|would|may|might|should|must"
    r"|are|were|have|had|need|want|do|did|get|go|send|give)\b)|\byour\b(?! convenience)"
)
_AIM_END = re.compile(r"[.;!?]|\b(?:when|if|once|unless|whenever|as soon as)\b")
_OPEN_HEDGE = re.compile(r"\b(?:able|probably|likely|hopefully|maybe|perhaps|continue|possibly)\b")
_OFFER_BEFORE = re.compile(r"\b(?:if|unless|should|whether|in case)\s+(?:\S+\s+)?$")
_RELATIVE = re.compile(r"\b(?:that|which|who|whom)\s*$")
_TALK = re.compile(r"(?:talk|speak|chat|converse|visit|catch|touch|connect|confer)\b")


_TO_RECIPIENT = re.compile(r"\b(?:you|u|your|y'all)\b")
_TO_SOMEONE_ELSE = re.compile(r"\bto (?!(?:you|u|your|y'all)\b)[a-z]")
_REASON = re.compile(r"\b(?:because|since|otherwise)\b|;")
# "Maybe I'll call", "perhaps after Wednesday I'll start": a hedge opening the clause hedges its promise.
_HEDGE_BEFORE = re.compile(r"\b(?:maybe|perhaps|possibly)\s+(?:\S+\s+){0,3}$|\bhopefully\b[^,;]{0,40}$")


def _hits(low: str) -> list[_Hit]:
    """The promise clauses of a sentence: plain ones first, then those that wait on a request to the recipient."""
    hits: list[_Hit] = []
    waiting: list[_Hit] = []
    if _QUESTION_START.match(low):
        return hits
    for start in _MODAL_START.finditer(low):
        m = _MODAL.match(low, start.start())
        if m is None:
            continue
        if m.group("bare") and not _bare_will_ok(low, m.start()):
            continue
        before = _before(low, m.start())
        # "Let me know if anyone else wants to come because I'm going to order the tickets": a request in an
        # earlier clause does not make this one conditional.
        clause = _REASON.split(before)[-1]
        # "(although I'll confirm later)": a parenthesis still open before the modal is a clause of its own.
        if (opened := clause.rfind("(")) >= 0 and ")" not in clause[opened:]:
            clause = clause[opened + 1 :]
        if _HEDGE_BEFORE.search(clause):
            continue
        found = _verb_after(low, m.end())
        talk = False
        if found is None and (opened := _open_after(low, m, before)) is not None:
            found, talk = opened[:3], opened[3]
        if found is None or _PLEASANTRY_AFTER.match(low, found[0]):
            continue
        # "We will be handling the invoicing", "we'll be dealing with the same lawyers": the company's ongoing
        # work, unless it is aimed at the recipient ("we'll be sending you the confirms") or is "be in touch".
        if (
            m.group("subj") == "we"
            and found[2] is not None
            and low.startswith("be ", _skip_fillers(low, m.end() + 1))
            and not _TO_RECIPIENT.search(low, found[1], found[1] + 60)
            # "we will be sending the agreement for execution" is a delivery the recipient waits for
            and (found[2] != "email" or _TO_SOMEONE_ELSE.search(low, found[1], found[1] + 60))
        ):
            continue
        # A plan is a promise only when it is about the recipient: "I plan to call you", not "we plan to set up".
        if "plan" in m.group() and found[2] == "other" and not DELIVERY.match(low, found[0]):
            continue
        # "Let me know and I'll set it up", "Email me back and I'll bring the tickets": it waits on the recipient.
        timed = m.group().endswith("should") and low.startswith(" have", m.end())
        if REQUEST_BEFORE.search(clause):
            waiting.append(_Hit(m.start(), *found, conditional=True, joint=talk, timed=timed))
        else:
            hits.append(_Hit(m.start(), *found, joint=talk, timed=timed))
    # The rarer forms below are tried only when a cheap substring test says they can match.
    if not hits and ("til" in low or "before" in low):
        for n in _NEGATED.finditer(low):
            found = _verb_after(low, n.start("rest"))
            # "I won't be able to call until Tuesday", not "we cannot finalize it until we see their redraft".
            if found is not None and found[2] != "other":
                hits.append(_Hit(n.start(), *found))
    if not hits and "let me" in low:
        lm = _LET_ME.search(low)
        if lm and not REQUEST_BEFORE.search(low[: lm.start()]):
            rest = lm.start("rest")
            verb = match_verb(low, rest)
            hits.append(_Hit(lm.start(), rest, verb[1] if verb else rest, verb[0] if verb else None))
    if not hits and any(cue in low for cue in _SPECIAL_CUES):
        plain = _PARENTHESES.sub("", low) if "(" in low else low
        sp = _SPECIAL.search(plain) or _follows(plain)
        # "You'll get a call from John tomorrow": a third party's promise.
        if sp and not (sp.group().startswith("you") and third_party_after(plain, sp.start())):
            # "You'll have the contract by Friday": impersonal, so joint when a time is stated (guidelines v2).
            you = sp.group().startswith("you")
            hits.append(
                _Hit(sp.start(), sp.start(), sp.end(), _special_channel(sp.group()), joint=you, timeless=you)
            )
    if not hits:
        jc = joint_clause(low)
        if jc is not None:
            hits.append(_Hit(jc[0], jc[0], jc[1], jc[2], joint=True))
    return hits + waiting


_SPECIAL_CUES = ("hear", "expect", "follow", "come", "forthcoming", "you'll", "you will")


# How far back from a modal the rules look. Real clauses are short; the bound keeps a 100 kB run-on "sentence"
# (a pasted table, a body without punctuation) linear instead of quadratic.
_LOOKBACK = 300


def _before(low: str, at: int) -> str:
    """The text before ``at`` in the sentence, at most _LOOKBACK characters (a leading space marks a cut)."""
    return low[:at] if at <= _LOOKBACK else " " + low[at - _LOOKBACK : at]


def _special_channel(phrase: str) -> Channel | None:
    if "call" in phrase:
        return "call"
    if "mail" in phrase or "note" in phrase or phrase.endswith(("follow", "come", "forthcoming")):
        return "email"
    if "visit" in phrase:
        return "meeting"
    return None if "hear" in phrase else "other"


# "I will notify everyone via email": the stated medium decides the channel.
_MEDIUM = re.compile(r"\b(?:via|by) (e-?mail|phone|telephone|fax|courier|fed ?ex)\b")
_MEDIUM_CHANNEL: dict[str, Channel] = {"email": "email", "phone": "call", "telephone": "call"}
_PARENTHESES = re.compile(r"\([^)]*\)\s*")
_INTERJECTION = re.compile(r"^(?:[a-z]+|thank you|no problem|sounds good|got it|will do)$")
_REP_SUBJECT = re.compile(r"^(?:[a-z]+,? )?(?:i|we)\b")
_CLAUSE_START = re.compile(r".*(?:[,;:]|\bbecause|\bsince|\bso)\s")


def _bare_will_ok(low: str, at: int) -> bool:
    """A subjectless "Will send it tomorrow." or "I got it and will forward it": only with the rep as subject."""
    if low.startswith("will do", at) and match_verb(low, at + 5) is None:
        return False
    head = _before(low, at).rstrip()
    if not head or head.endswith((";", ":", ".", "!", "(", "ok", "okay", "sure", "yes")):
        return True
    if head.endswith(","):
        # "Sure, will do it", "John, will send it": one word before the comma, not "Elena, with Imax, will ...".
        return _INTERJECTION.match(head[:-1]) is not None
    # "... and will": the sentence or its last clause opens with the rep ("I got it and will ...", not "PG&E has
    # ... and will"; "I haven't heard back from them, but will send it").
    head = _PARENTHESES.sub("", head)
    if head.startswith("will do"):  # "Will do and will advise": the acknowledgement is the rep's
        return True
    clause = _CLAUSE_START.match(head)
    return bool(_REP_SUBJECT.match(head) or (clause and _REP_SUBJECT.match(head[clause.end() :])))


# "I'llcall you", "I willkeep you posted": the space lost between the modal and a common verb.
_GLUED = re.compile(
    r"(?<![a-z'])((?:i|we)(?:'ll| will))(?=(?:call|send|sent|forward|keep|get|let|follow|check|e-?mail|contact"
    r"|review|talk|look|make|give|put|set|fax|update|prepare|confirm|circulate|schedule|be)\b)"
)


def _normalise(sentence: str) -> str:
    low = sentence.lower()
    if "’" in low or "‘" in low or "`" in low:
        low = low.replace("’", "'").replace("‘", "'").replace("`", "'")
    if "ll" in low:
        low = _GLUED.sub(r"\1 ", low)
    return " ".join(low.split())


_RECURRING = re.compile(
    r"\b(?:every|each) (?:day|week|month|quarter|morning|afternoon|evening|night|monday|tuesday|wednesday"
    r"|thursday|friday)\b|(?<!\ba )(?<!\ban )\b(?:weekly|daily|monthly|nightly)\b"
    r"|\bper (?:day|week|month|quarter|year)\b"
    r"|\b(?:periodically|regularly|routinely|from time to time|on an ongoing basis|on a regular basis)\b"
)
_CONTENT_HERE = re.compile(r"(?:give|tell|list|share|outline|summarize|spell)")

# A "sentence" longer than this is a pasted table or a body without punctuation; only its start is read, so
# one pathological message cannot stall a pass (a 500 kB run-on takes milliseconds, not seconds).
_MAX_SENTENCE = 2000


# "Thursday works. I'll call you then.": the time is the previous sentence's (guidelines: "due from context").
_THEN = re.compile(r"\b(?:then|at that time|at that point|that day)[\s.!)]*$")


def _promise_in(
    sentence: str,
    *,
    sent_at: datetime,
    tz: ZoneInfo,
    options: DateOptions,
    waits: bool = False,
    before: str = "",
    low: str | None = None,
) -> Promise | None:
    """The promise in one sentence; ``waits``: an earlier sentence asked for the recipient's approval;
    ``before``: the sentence before it, where "then" finds its time; ``low``: ``_normalise`` of the sentence's
    first ``_MAX_SENTENCE`` characters when the caller has it already."""
    sentence = sentence[:_MAX_SENTENCE]
    low = _normalise(sentence) if low is None else low
    hits = _hits(low)
    if not hits:
        return None
    # A plain promise in the sentence outweighs one that waits ("Send me the file and I'll fix it; I'll call").
    hit = next((h for h in hits if not h.conditional), hits[0])
    conditional = is_conditional(low, hit.start, requested=hit.conditional)
    # "Let me know which you prefer; I'll then send the final": the approval is asked in an earlier clause.
    if conditional is False and "let me know" in low and APPROVAL_ASKED.search(low, 0, hit.start):
        conditional = True
    if conditional is None or _RECURRING.search(low):
        return None  # "we'll update the status report weekly": no single due to remind of
    if _CONTENT_HERE.match(low, hit.verb) and ": " in low[hit.verb_end :]:
        return None  # "I'll give you the big ticket items: ...": given in this very message
    channel = next((h.channel for h in hits if h.channel not in (None, "other")), hit.channel)
    if medium := _MEDIUM.search(low, hit.verb):
        channel = _MEDIUM_CHANNEL.get(medium.group(1).replace("-", ""), "other")
    text = " ".join(sentence.split())
    # The time stated in the promise's own clause first ("I met him Monday and will call you Friday"), then
    # anywhere in the sentence ("On Friday, I will send it").
    due = find_due(text[hit.start :], sent_at=sent_at, tz=tz, options=options)
    if due is None and before and _THEN.search(low):
        due = find_due(" ".join(before.split()), sent_at=sent_at, tz=tz, options=options)
    if due is None and hit.start > 0:
        # "I'll be working on 41 tomorrow; let's talk about a good time": a joint clause's time is its clause's.
        cut = text.rfind(";", 0, hit.start) + 1 if hit.joint else 0
        due = find_due(text[cut:], sent_at=sent_at, tz=tz, options=options)
    if hit.timed and due is None:
        return None  # "I should have the report for you": a forecast until it names a time
    # Joint and impersonal follow-ups count only with a stated time ("let's talk Tuesday", not "talk soon");
    # "we'll meet Tuesday at 10" with the rep's own modal is joint too (guidelines: decide by the verb).
    joint = hit.joint or (
        due is not None and low.startswith("we", hit.start) and bool(MEET_AGAIN.match(low, hit.verb))
    )
    if joint and due is None:
        if not hit.timeless:
            return None
        joint = False
    return Promise(
        sentence=text,
        action=action(low, hit.verb, hit.verb_end),
        channel=channel,
        due=due,
        conditional=conditional or waits,
        joint=joint,
    )


@dataclass(frozen=True)
class Candidate:
    """A sentence the second stage may score: the rules' promise there (or None) and the cue that made it one."""

    sentence: str
    before: str
    waits: bool
    rule: Promise | None
    cue: str | None


def candidates(
    text: str, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS, cues: bool = True
) -> list[Candidate]:
    """Every sentence of ``text`` the rules flag or a candidate cue marks, in order (the rules' own pass);
    ``cues=False``: only the sentences the rules flag (the rules alone need no cue)."""
    # Sentences are tested only for the gate words the whole text holds (a few, against 40-odd).
    whole = text.lower().replace("\n", " ")
    present = tuple(word for word in (*_GATE_WORDS, *(_CUE_GATE_WORDS if cues else ())) if word in whole)
    if not present:
        return []
    if cues:
        from followup_sync.text._promise_model import candidate_cue
    found: list[Candidate] = []
    since_approval: int | None = None  # sentences since "if acceptable, please sign ..."
    asked_approval = False
    requested = False  # the sentence asked the recipient to do something ("could you send me ...")
    previous = ""
    for sentence in sentences(text):
        before, previous = previous, sentence
        low = " ".join(sentence.lower().split())
        just_asked, asked_approval = asked_approval, "let me know" in low and bool(APPROVAL_ASKED.search(low))
        just_requested, requested = requested, "you" in low and bool(ASKED_BEFORE.search(low))
        if since_approval is not None:
            since_approval += 1
        if "if" in low and CONDITIONAL_REQUEST.search(low):
            since_approval = 0
        if not _gate(low, present):
            continue
        # The step right after "let me know if it is OK", or after "if in agreement, please sign ...", waits on
        # the recipient's answer: kept, as conditional.
        waits = just_asked or since_approval == 1 or (since_approval is not None and bool(FOLLOW_ON.search(low)))
        waits = waits or (just_requested and bool(FOLLOW_ON.search(low)))
        # normalised once for the rules and the cue (whitespace is already collapsed there)
        norm = _normalise(sentence[:_MAX_SENTENCE])
        promise = _promise_in(
            sentence, sent_at=sent_at, tz=tz, options=options, waits=waits, before=before, low=norm
        )
        cue = candidate_cue(norm) if cues else None
        if promise is not None or cue is not None:
            found.append(Candidate(sentence, before, waits, promise, cue))
    return found


def rule_view(candidate: Candidate) -> RuleView:
    from followup_sync.text._promise_model import RuleView

    p = candidate.rule
    if p is None:
        return RuleView()
    return RuleView(True, p.conditional, p.joint, p.due is not None, p.channel)


def keep(fires: bool, probability: float, *, drop_below: float, add_at: float) -> bool:
    """The combination: a rule promise stands unless the model scores it below ``drop_below``; a candidate the
    rules missed becomes a promise when the model scores it at least ``add_at``."""
    return probability >= drop_below if fires else probability >= add_at


_PLEASANTRY_VERB = re.compile(r"\b(?:talk|speak|chat|catch up|touch base|see you|be in touch|visit)\b")
_CALL_WORDS = re.compile(r"\b(?:call|phone|ring|telephone|talk|speak|chat)\b")
_MAIL_WORDS = re.compile(r"\b(?:e-?mail|send|sent|forward|mail|fax|note|circulate|distribute|reply|respond)\b")
_MEET_WORDS = re.compile(r"\b(?:meet|meeting|lunch|dinner|visit|stop by|come by|see you)\b")


# The cues whose sentences the model may turn into promises: the rep (or the rep's company) as the subject, and
# the joint and impersonal forms ("let's", "you'll have", "to follow", "the agenda will be sent"), which become
# promises only with a stated time (issue 8, class 1).
_ADD_CUES = frozenset(
    {"i_will", "going", "intend", "org_will", "bare_will", "lets", "you_will", "follow", "passive"}
)
_JOINT_CUES = frozenset({"lets", "you_will", "follow", "passive"})
# The next message announced counts without a time (guidelines: "Proposal to follow", "More to come").
_ANNOUNCED = re.compile(r"\b(?:to follow|will follow|to come|forthcoming)\b")


def added_promise(
    candidate: Candidate, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS
) -> Promise | None:
    """The promise a candidate the rules missed gives when the model accepts it: due, channel and action found
    as the rules find them; None when its condition makes it no promise or a joint one names no time."""
    if candidate.cue not in _ADD_CUES:
        return None
    sentence = candidate.sentence[:_MAX_SENTENCE]
    low = " ".join(_normalise(sentence).split())
    text = " ".join(sentence.split())
    from followup_sync.text._promise_model import cue_match

    m = cue_match(low)
    start = m.start() if m else 0
    conditional = is_conditional(low, start, requested=False)
    if conditional is None or _RECURRING.search(low):
        return None
    due = find_due(text[start:], sent_at=sent_at, tz=tz, options=options) if start else None
    if due is None:
        due = find_due(text, sent_at=sent_at, tz=tz, options=options)
    if due is None and _PLEASANTRY_VERB.search(low, start):
        return None  # "I'll talk to you soon", "we'll catch up": a pleasantry until it names a time
    joint = candidate.cue in _JOINT_CUES and not (candidate.cue == "lets" and "let me" in low)
    if joint and due is None and not _ANNOUNCED.search(low, start):
        return None  # a joint or impersonal follow-up counts with a stated time, or as the next message announced
    channel: Channel | None = "other"
    if medium := _MEDIUM.search(low, start):
        channel = _MEDIUM_CHANNEL.get(medium.group(1).replace("-", ""), "other")
    elif _CALL_WORDS.search(low, start):
        channel = "call"
    elif _MAIL_WORDS.search(low, start):
        channel = "email"
    elif _MEET_WORDS.search(low, start):
        channel = "meeting"
    verb = _CUE_END.search(low, start)
    at = _skip_fillers(low, verb.end()) if verb else start
    if _CONTENT_HERE.match(low, at) and ": " in low[at:]:
        return None  # "I'll give you the short version: ...": given in this very message (as the rules say)
    return Promise(
        sentence=text,
        action=action(low, at, at),
        channel=channel,
        due=due,
        conditional=conditional or candidate.waits,
        joint=joint,
    )


# The end of the modal or intention a candidate opens with; its action follows.
_CUE_END = re.compile(
    r"(?:'ll|'l|\bwill|\bshall|going to|gonna|plan(?:ning)? (?:to|on)|intend to|expect to|hop(?:e|ing) to"
    r"|let'?s|let us|let me|follow|come|reach|have|get|receive|see|look(?: out)? for)\s+"
)


def find_promises(
    text: str,
    *,
    sent_at: datetime,
    tz: ZoneInfo,
    options: DateOptions = _DEFAULT_OPTIONS,
    learned: bool | None = None,
) -> list[Promise]:
    """The promises in ``text``, the author's own (already zoned) words, one per sentence that holds one.

    ``learned``: combine the rules with the shipped second-stage model (None: as the model file says; it is on
    when it raised held-out figures on the sets the rules were never tuned on: evaluation/train_promise_model.py).
    """
    model: Model | None = None
    if learned is not False:
        from followup_sync.text._promise_model import load

        model = load()
        if model is not None and learned is None and not model.enabled:
            model = None
    found = candidates(text, sent_at=sent_at, tz=tz, options=options, cues=model is not None)
    if model is None:
        return [c.rule for c in found if c.rule is not None]
    from followup_sync.text._promise_model import features, score

    out: list[Promise] = []
    for c in found:
        if c.rule is not None and (model.drop_below <= 0.0 or c.rule.conditional):
            # Nothing to score: a rule promise stands. A conditional one too: the thresholds were chosen on
            # live promises only, so what the model would do to pending ones was never measured.
            out.append(c.rule)
            continue
        if c.rule is None and c.cue not in _ADD_CUES:
            continue  # the model adds only sentences with an addable cue (_ADD_CUES)
        view = rule_view(c)
        probability = score(model, features(c.sentence[:_MAX_SENTENCE], c.cue, view))
        if not keep(view.fires, probability, drop_below=model.drop_below, add_at=model.add_at):
            continue
        promise = c.rule or added_promise(c, sent_at=sent_at, tz=tz, options=options)
        if promise is not None:
            out.append(promise)
    return out


def detect(
    body: str,
    *,
    is_html: bool = False,
    sent_at: datetime,
    tz: ZoneInfo,
    options: DateOptions = _DEFAULT_OPTIONS,
    learned: bool | None = None,
) -> list[Promise]:
    """Zone ``body`` to the author's own text, then find its promises: THE detector of the sync pass and CLI."""
    text = author_text(body, is_html=is_html)
    return find_promises(text, sent_at=sent_at, tz=tz, options=options, learned=learned)
