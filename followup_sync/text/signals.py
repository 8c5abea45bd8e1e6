"""The signals a pass reads besides promises: auto-replies, bulk and no-reply mail, questions, offers, orders
and acknowledgements. Pure functions over a ``Message`` and its author text (``zoning.author_text``).

Each one is measured by ``evaluation/signals_eval.py`` (2026-11-22): ``questions`` P 0.87 / R 0.50 / F1 0.635 on
the email-intent test set (rules tuned on its training file only; that set's "Yes" also covers marketing calls to
action and open offers, which we exclude on purpose); on hand-labelled Enron mail (development figures)
``auto_reply`` P 0.92 / R 0.82 with the return date exact in 20 of 21, ``is_acknowledgement`` P 0.96 / R 0.77,
``is_bulk(15) or is_noreply(sender)`` P 0.89 / R 0.71 (that corpus has no List-*/Precedence headers).
``offer`` and ``order`` are covered by tests only: the Enron logistics mailbox has almost no sales mail.

The helpers ``is_chase``, ``is_newsletter``, ``addressees``, ``asks_personally`` and ``is_bare_imperative`` came
out of reading every follow-up a full pass made on that mailbox (``evaluation/pipeline_review.py``, figures in
``evaluation/PIPELINE.md``); after those changes ``questions`` scores the same on the email-intent test set and
P 0.886 / R 0.545 / F1 0.675 on its tuning file (was 0.882 / 0.550 / 0.678: open offers, conditional notices
and marketing calls to action that set counts as requests are no longer questions here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from followup_sync.model import Message
from followup_sync.text._noreply import is_noreply
from followup_sync.text.dates import DateOptions, find_due
from followup_sync.text.zoning import sentences

__all__ = [
    "AutoReply",
    "Order",
    "addressees",
    "asks_personally",
    "auto_reply",
    "is_acknowledgement",
    "is_bare_imperative",
    "is_bulk",
    "is_chase",
    "is_newsletter",
    "is_noreply",
    "offer",
    "order",
    "questions",
]

_I = re.IGNORECASE
_DEFAULT_OPTIONS = DateOptions()


def _fold(text: str) -> str | None:
    """``text`` lower-cased when it is ASCII (for ``_Caseless``), else None."""
    return text.lower() if text.isascii() else None


class _Caseless:
    """A case-insensitive pattern that runs on the lower-cased text when the text is ASCII (issue 11).

    Under ``re.IGNORECASE`` CPython's ``re`` folds every character it compares and cannot skip an alternative
    on its first letter; the same search without the flag on ``text.lower()`` costs a third to a half as much.
    Other text goes to the IGNORECASE compile: there ``str.lower`` and the regex's case folding differ ("İ"
    lower-cases to two characters, "ſ" matches "s"), so the results are the same either way. The pattern must
    spell its letters in lower case. ``folded`` is ``_fold(text)``, computed once per text by the caller.
    """

    __slots__ = ("_any_case", "_flags", "_folded")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._folded = re.compile(pattern, flags)
        self._flags = flags
        self._any_case: re.Pattern[str] | None = None  # compiled on the first non-ASCII text (import time)

    def _for(self, folded: str | None) -> re.Pattern[str]:
        if folded is not None:
            return self._folded
        if self._any_case is None:
            self._any_case = re.compile(self._folded.pattern, self._flags | _I)
        return self._any_case

    def search(self, text: str, folded: str | None) -> bool:
        return self._for(folded).search(text if folded is None else folded) is not None

    def match(self, text: str, folded: str | None) -> bool:
        return self._for(folded).match(text if folded is None else folded) is not None

    def count(self, text: str, folded: str | None) -> int:
        """How many non-overlapping matches (``len(findall)``)."""
        return len(self._for(folded).findall(text if folded is None else folded))


# --- automatic replies --------------------------------------------------------------------------------------

# Mail clients write "Automatic reply: <subject>", "Out of Office AutoReply: <subject>", "Out of Office: ...";
# a person's own "Out of the office - Friday" or "RE: Out of Office" is judged by its wording instead.
_AUTO_SUBJECT_RE = re.compile(
    r"^\s*\[?(?:"
    r"out\s+of\s+(?:the\s+)?office\s*(?:auto-?reply|reply|notice)?\s*:|automatic\s+reply|auto(?:matic)?[- ]?"
    r"(?:reply|response|antwort)\b|abwesenheitsnotiz|abwesend\s*:|réponse\s+automatique|respuesta\s+automática"
    r"|risposta\s+automatica|automatisch\s+antwoord|afwezigheidsbericht|frånvaro|fuera\s+de\s+la\s+oficina\s*:"
    r"|absence\s+du\s+bureau|ooo\b)",
    _I,
)
_OOO_BODY = _Caseless(
    r"\b(?:(?:i\s+am|i'm|i\s+will\s+be|i'll\s+be|i\s+have\s+been)\s+(?:currently\s+)?"
    r"(?:out\s+of\s+(?:the\s+)?office|away|on\s+(?:vacation|holiday|leave|annual\s+leave|pto|business\s+travel)"
    r"|travell?ing|out\s+until|out\s+through|out\s+on\s+\w+|out\s+of\s+town)"
    r"|(?:with|have)\s+(?:limited|no|intermittent)\s+access\s+to\s+(?:e-?mail|my\s+e-?mail)"
    r"|(?:will|shall)\s+(?:respond|reply|get\s+back\s+to\s+you|answer)[^.]{0,40}\s+(?:upon|on|after)\s+my\s+return"
    r"|(?:in\s+my\s+absence|for\s+urgent\s+matters|if\s+(?:this\s+is|your\s+matter\s+is)\s+urgent)"
    r"|(?:i\s+will\s+be|i'll\s+be|i\s+am)\s+back\s+(?:in\s+the\s+office\s+)?(?:on|in|at|by|from|monday|tuesday"
    r"|wednesday|thursday|friday|tomorrow|next)"
    r"|returning\s+(?:to\s+the\s+office\s+)?(?:on\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday|tomorrow|next|\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|(?:ich\s+bin|bin\s+ich)\s+(?:bis|vom|ab|derzeit|zurzeit|nicht)[^.]{0,60}(?:abwesend|nicht\s+im\s+büro"
    r"|im\s+urlaub|außer\s+haus)"
    r"|je\s+suis\s+(?:absent|absente|en\s+congés?)|estoy\s+fuera\s+de\s+la\s+oficina)"
)
# Where the return date is stated: "back/returning" name the day itself, "until/through" the last day away.
_BACK_RE = re.compile(
    r"\b(?:back|return|returning|returns|zurück|retour|de\s+retour|regreso|regresaré|terug)\b", _I
)
_UNTIL_RE = re.compile(r"\b(?:until|till|through|thru|bis|jusqu|hasta|tot)\b", _I)


_OOO_LEAD_CHARS = 300


@dataclass(frozen=True)
class AutoReply:
    """An automatic reply (out of office, autoresponder); ``return_at`` when the person is back, if stated."""

    return_at: datetime | None


def _auto_by_headers(msg: Message) -> bool:
    submitted = msg.header("auto-submitted")
    if submitted is not None and submitted.strip().lower() not in ("", "no"):
        return True
    if msg.header("x-autoreply") is not None or msg.header("x-autorespond") is not None:
        return True
    precedence = (msg.header("precedence") or "").strip().lower()
    return precedence == "auto_reply"


def auto_reply(
    msg: Message, text: str, *, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS
) -> AutoReply | None:
    """An ``AutoReply`` when ``msg`` was sent automatically (headers, subject or unmistakable wording)."""
    subject_cue = _AUTO_SUBJECT_RE.search(msg.subject) is not None
    # Outlook sets X-Auto-Response-Suppress on many human messages too, so it counts only with a subject cue.
    automatic = _auto_by_headers(msg) or subject_cue
    if not automatic:
        # Wording alone is weaker evidence (a person may write "I'm out until Monday"): ask for two cues
        # in a short message.
        # An absence notice leads with it; a mention at the end of a long message is not one.
        head = text[:2000]
        folded = _fold(head)
        lead = None if folded is None else folded[:_OOO_LEAD_CHARS]
        cues = _OOO_BODY.count(head, folded)
        automatic = cues >= 2 and len(text) < 1500 and _OOO_BODY.search(head[:_OOO_LEAD_CHARS], lead)
    if not automatic:
        return None
    return AutoReply(return_at=_return_date(text, sent_at=msg.sent_at, tz=tz, options=options))


def _return_date(text: str, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions) -> datetime | None:
    """The stated return day: "back/returning X" wins over "until/through X"; first mention of each kind."""
    found: dict[bool, datetime] = {}
    for sentence in sentences(text[:3000]):
        for back, cue_re in ((True, _BACK_RE), (False, _UNTIL_RE)):
            if back in found:
                continue
            for cue in cue_re.finditer(sentence):
                due = find_due(sentence[cue.start() :], sent_at=sent_at, tz=tz, options=options)
                if due is not None:
                    found[back] = due.when.astimezone(UTC)
                    break
        if True in found:
            break
    return found.get(True, found.get(False))


# --- bulk and no-reply --------------------------------------------------------------------------------------

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


def is_bulk(msg: Message, *, max_recipients: int) -> bool:
    """Mailing-list or mass mail: List-Unsubscribe/List-Id, Precedence bulk/list/junk, or many recipients."""
    if msg.header("list-unsubscribe") is not None or msg.header("list-id") is not None:
        return True
    if (msg.header("precedence") or "").strip().lower() in _BULK_PRECEDENCE:
        return True
    return len(msg.recipients) > max_recipients


# Newsletters whose list headers were stripped (forwarded, archived, exported mailboxes) still carry their footer.
_NEWSLETTER = _Caseless(
    r"\bunsubscrib\w*|\bopt[- ]?out\b|\bweb version\b|\bview (?:this|it) (?:e-?mail )?in (?:your|a) browser"
    r"|\bto be removed from\b|\bmanage (?:your )?(?:e-?mail )?(?:preferences|subscriptions?)\b"
    r"|\babmelden\b|\bse d[ée]sinscrire\b|\bd[ée]sabonner\b"
)
# A word each of its alternatives needs (lower-cased ASCII): mail with none of them needs no search.
_NEWSLETTER_WORDS = (
    "unsubscrib", "opt", "web version", "browser", "removed from", "manage", "abmelden", "sinscrire", "sabonner",
)  # fmt: skip


def is_newsletter(body: str) -> bool:
    """A newsletter footer ("unsubscribe", "view this email in your browser") anywhere in the whole body.

    ``is_bulk`` reads headers; this catches the newsletters that lost them on the way (forwarded, archived).
    """
    folded = _fold(body)
    if folded is not None and not any(word in folded for word in _NEWSLETTER_WORDS):
        return False
    return _NEWSLETTER.search(body, folded)


# --- questions and requests ---------------------------------------------------------------------------------

_GREETING_RE = re.compile(
    r"^(?:(?:hi|hello|hey|dear|good\s+(?:morning|afternoon|evening))\b[^,:!]{0,40}[,:!]\s*)", _I
)
_LEAD_RE = re.compile(
    r"^(?:(?:(?i:and|but|so|also|then|ok|okay|well|oh|btw|fyi|now|one\s+more\s+thing)\b|[A-Z][a-z]+\s*[,:]"
    r"|(?!(?i:how|what|when|where|why|who|which|whom|whose|there|here|this|that|these|those|it|they|we|you|attached|enclosed|below|above|everything|nothing|something|everyone|someone|anyone|today|tomorrow)\b)[A-Z][a-z]+(?=\s+(?i:can|could|would|will|please|do|did|are|is|pls)\b))[\s,.:-]*)+"
)
_PLEASANTRY_RE = re.compile(
    r"^(?:how\s+(?:are|r)\s+(?:you|u|things|ya)|how(?:'s|\s+is)\s+(?:it\s+going|everything|life|your\s+(?:day|week))"
    r"|how\s+was\s+(?:your|the)\s+\w+|how\s+have\s+you\s+been|what'?s\s+up|hope\s+(?:you|all|this|everything)"
    r"|who\s+knows|why\s+not|isn'?t\s+it|right\?|guess\s+what|can\s+you\s+believe|what\s+do\s+you\s+know"
    r"|wouldn'?t\s+it\s+be|how\s+(?:cool|great|nice|awesome)|who\s+would\s+have"
    # greetings passed on: "Tell Amanda and Seth "hi" for me", "Please pass on my thanks to the team"
    r"|(?:please\s+)?(?:tell|say)\b[^.?!]{0,60}?\b(?:hi|hello)\b\W{0,3}(?:for|from)\s+me"
    r"|(?:please\s+)?(?:give|send|pass\s+(?:on|along))\s+my\s+\W?(?:best|regards|love|thanks|greetings))",
    _I,
)
# Offers that wait on the recipient ("let me know if you have any questions") expect no answer.
_OPEN_OFFER = _Caseless(
    r"\b(?:(?:let\s+(?:me|us)\s+know|keep\s+(?:me|us)\s+(?:posted|informed)|call\s+(?:me|us)|give\s+(?:me|us)\s+a\s+call)"
    r"(?:\s+(?:asap|immediately|right\s+away))?\s+if\s+(?:(?:we|you)\s+(?:need|feel)\b|[^,.;?]{0,60}\b(?:not|n't"
    r"|changes?|problems?|delays?|different|differently|wrong|incorrect)\b)"
    r"|^(?:the\s+)?next\s+time\s+you|^for\s+(?:further|more|additional|any)\s+(?:updates|information|info|questions"
    r"|details|assistance)\b|\bif\s+(?:anyone|anybody|someone)\s+(?:has|needs|wants)\b|if\s+(?:you\s+(?:have|need|want|require)\s+(?:any|anything|more|further|additional)"
    r"|there\s+(?:is|are)\s+anything|(?:i|we)\s+can\s+(?:be\s+of\s+)?(?:help|assist|any)|you\s+have\s+questions"
    r"|anything\s+(?:else\s+)?comes\s+up|you\s+would\s+like\s+(?:more|to\s+discuss)|you\s+are\s+interested"
    r"|you'?re\s+interested|questions\s+arise|you\s+need\s+(?:anything|something|more|help))"
    r"|(?:feel\s+free|don'?t\s+hesitate|do\s+not\s+hesitate)\s+to"
    r"|should\s+you\s+(?:have|need|require|wish)|in\s+case\s+you\s+(?:have|need)"
    r"|if\s+(?:you\s+(?:would\s+like|want|wish|prefer|are\s+able)|interested)"
    r"|\b(?:know|call|contact\s+\w+)\s+if\s+there\s+(?:is|are|were)\s+(?:any|anything|something)(?:\s+(?:other|else|more))?"
    r"(?:\s+(?:questions|concerns|problems|issues|changes|comments|corrections)\b|\s+(?:i|we)\s)"
    r"|\bif\s+anything\b|\bif\s+(?:needed|necessary"
    r"|required)\b|\bif\s+(?:i|we)\s+(?:have\s+)?(?:missed|forgot|overlooked)|\b(?:with|of)\s+any\s+(?:other\s+)?"
    r"(?:questions|changes|corrections|concerns|problems|issues)\b|^any\s+(?:other\s+)?(?:questions|problems|concerns"
    r"|issues)\b"
    # "If not, let me know", "If that is not correct let me know": a notice asked for in case the reader
    # disagrees, when the sentence asks nothing else ("If they are OK, please post it" asks for the posting).
    r"|^(?:\.+\s*)?(?:and\s+|but\s+|so\s+)?(?:if|in\s+case)\s+(?!you\s+(?:could|can|would|will)\b)"
    r"(?=[^,.;]{0,80}?\b(?:not|n't|so|different|differently|wrong|incorrect|confus\w*|otherwise|missed|overlooked|forgot)\b)[^,.;]{1,80}?,?\s*"
    r"(?:(?:please|pls|just|then|do)\s+)*(?:let\s+(?:me|us)\s+know|give\s+(?:me|us)\s+a\s+(?:call|ring|shout)"
    r"|call\s+(?:me|us)|contact\s+(?:me|us)|keep\s+(?:me|us)\s+(?:posted|informed))\s*[.!]*\s*$"
    r"|^(?:\.+\s*)?(?:and\s+|but\s+|so\s+)?if\s+you(?:'d|\s+would|\s+do)?\s+(?:like|want|wish|enjoy|need|no\s+longer|not"
    r"|don'?t|prefer|read|use|are\s+interested|have|find|see|get|choose|decide)\b)"
)
# A word each alternative of _OPEN_OFFER needs ("for" only at the start), to skip the search without one.
_OPEN_OFFER_WORDS = ("if", "next", "free", "hesitate", "should", "case", "any")


def _may_offer_openly(folded: str | None) -> bool:
    """False only when lower-cased ASCII ``folded`` cannot match ``_OPEN_OFFER`` (None: it may)."""
    return folded is None or folded.startswith("for") or any(word in folded for word in _OPEN_OFFER_WORDS)


# "Mark will let me know", "she didn't tell me": a statement about somebody else, not a request to the reader.
_NOT_AFTER_AUX = (
    r"(?<!\bwill\s)(?<!'ll\s)(?<!\bshall\s)(?<!\bwould\s)(?<!\bdid\s)(?<!\bnot\s)(?<!n't\s)(?<!\bnever\s)"
    r"(?<!\bmight\s)"
)
# "Your thoughts/feedback" asks for them, unless the sentence thanks for them ("I appreciate your comments").
_YOUR_VIEW = _Caseless(r"\byour\s+(?:thoughts|feedback|input|comments)\b")
_THANKS = _Caseless(
    r"^(?!.*\bin\s+advance\b)(?:(?:i|we)\s+(?:really\s+|truly\s+|do\s+|greatly\s+)?(?:appre\w*|value)"
    r"|(?:many\s+)?thanks?\b|thank\s+you|much\s+appreciated)"
)
# Cues that ask the recipient wherever they stand in the sentence.
_STRONG = _Caseless(
    r"\b(?:(?=let\s|tell\s|get\s|send\s|give\s)"
    + _NOT_AFTER_AUX
    + r"(?:let\s+me\s+know|let\s+us\s+know|tell\s+me|get\s+back\s+to\s+me|send\s+me"
    r"|give\s+me\s+a\s+call)|lmk|please\s+advise"
    r"|(?:i|we)(?:\s+would|'d)\s+(?:really\s+)?(?:appreciate|be\s+grateful)|(?:i|we)\s+need\s+you\s+to"
    r"|(?:i|we)(?:\s+would|'d)\s+like\s+(?:you\s+to|to\s+know|your)|any\s+(?:update|news|word|thoughts|chance)"
    r"|wondering\s+(?:if|whether|when|what|how)|(?:was|am)\s+hoping\s+(?:that\s+)?(?:maybe\s+)?(?:you|we)\s+could"
    r"|(?:i|we)\s+need\s+your|why\s+don'?t\s+(?:you|we)|would\s+it\s+be\s+possible|is\s+it\s+possible"
    r"|it\s+would\s+be\s+(?:very\s+|really\s+|most\s+|extremely\s+)?(?:great|nice|helpful|useful|good|wonderful"
    r"|appreciated)\s+if\s+you|(?:^|\s)if\s+you\s+(?:could|can|would)\s+(?:please\s+)?\w+[^,]{0,40}(?:please|\.|$)"
    r"|(?:i|we)(?:\s+would|'d)\s+(?:also\s+|really\s+)?like\s+(?:to\s+(?:discuss|talk|meet|get\s+together|sit\s+down"
    r"|schedule|set\s+up|invite|ask|get|have|see|receive|review)|more|a\s+copy)"
    r"|(?:wants?|would\s+like)\s+to\s+know\s+(?:if|whether|what|when|how|who|where)"
    r"|need\s+to\s+know\s+(?:if|whether|what|when|how|who|where)"
    r"|(?:would|'d)\s+be\s+(?:most\s+|very\s+|really\s+|so\s+)?grateful|hope\s+(?:that\s+)?you\s+(?:can|could|will)"
    r"|(?=you\s)(?:^|(?<=[,;:]\s)|(?<=\band\s)|(?<=\bso\s)|(?<=\bthen\s)|(?<=\bthink\s)|(?<=\balso\s)|(?<=\bjust\s))"
    r"you\s+(?:need\s+to|must|might\s+give)\s+(?!be\b|have\s+been)"
    r"|\blet'?;?s\s+(?:discuss|talk|meet|get\s+together|plan|schedule|set\s+up|do|go|have|try)"
    r"|(?:can|could|would|will)\s+(?:you|we)\s+(?:please\s+)?(?!not\b)\w+"
    r"|(?=please|pls|plz|kindly)(?<!to\s)(?:please|pls|plz|kindly)\s+(?!(?:you|everyone|everybody|him|her|them)\b|find|see|note|be\s+advised|be\s+aware|disregard|ignore|excuse|forgive|enjoy"
    r"|click|visit|go\s+to|add\s|keep\s+in\s+mind|do\s+not\s+reply|don'?t\s+reply|allow|copy|open|use|read|log\s+in"
    r"|login|sign\s+in|follow\s+the|contact\s+us|call\s+us|accept\s+my|remember\s+that|know|be\s+sure\s+to\s+visit"
    r"|take\s+a\s+(?:moment|minute|few)|visit|refer\s+to|rate|share|let\s+us\s+know\s+if\s+you))\b"
)
# Cues that ask only at the start of a sentence (an "I will ..." statement may contain them).
_WEAK_RE = re.compile(
    r"^(?:(?:can|could|would|will|won'?t|wouldn'?t|do|did|does|are|is|have|has|were|was|should|shall|may|might)"
    r"\s+(?:you|u|ya|we|i|someone|somebody|anyone|anybody|they|he|she|it|this|that|there|your)\b"
    r"|(?:what|when|where|which|who|whom|whose|why|how)(?:\s+\w+){0,2}?\s+(?:do|does|did|is|are|was|were|can"
    r"|could|would|will|should|shall|have|has)\s+(?:you|we|i|they|he|she|it|this|that|the)\b"
    r"|let'?;?s\b(?!\s+(?:see|hope|let)\b)|how\s+about|shall\s+we"
    r"|(?:we|i)\s+(?:need|should)\s+to\s+(?:get\s+together|meet|talk|discuss|sit\s+down)"
    r"|any\s+(?:idea|ideas|thoughts|update|news|word|chance)\b|(?:are|is)\s+there\s+any)",
    _I,
)
_IMPERATIVE_RE = re.compile(
    r"^(?i:send|call|give|grab|forward|review|check\s+(?:with|on|if|whether)"
    r"|make\s+sure|provide|confirm|sign|return|schedule|set\s+up|book|fill\s+(?:in|out)|complete|update\s+me"
    r"|try\s+(?:and|to)|remember\s+to|don'?t\s+forget|keep\s+me\s+(?:posted|informed|updated)|ping|email|e-mail"
    r"|fax|bring|pick\s+up|tell|ask|find\s+out|look\s+(?:into|at|over)|approve|contact|reply|respond|meet|come"
    r"|get\s+(?:with|back|me|us|together|in\s+touch)|touch\s+base|follow\s+up|mark\s+your|rsvp"
    r"|drop\s+me|shoot\s+me|talk\s+to|coordinate|plan\s+on|join\s+(?:me|us)|pass\s+(?:this|it|along)"
    r"|circulate|distribute|prepare|draft|put\s+together|set\s+(?:a|the)\s+(?:time|meeting|call)"
    r"|go\s+ahead\s+and)\b"
)
_STATEMENT_RE = re.compile(
    r"^(?:(?:i|we)\s+(?:will|'ll|shall|can|could|would|have|had|am|are|was|were|did|do)\b"
    r"|(?:it|this|that|there)\s+(?:is|was|will)\b)",
    _I,
)
# "Please review and let me know if there are any changes": the review is asked for, whatever the offer after it.
_REVIEW = _Caseless(
    r"(?:^|\bplease\s+|\bkindly\s+|\b(?:can|could|would|will)\s+you\s+(?:please\s+)?)(?:review|approve|sign"
    r"|proofread|look\s+(?:over|at)|take\s+a\s+look|comment\s+on)\b"
)
_QUESTION_END_RE = re.compile(r"\?[\s\"')\]]*+(?::\)|:-\)|;\))?\s*$")


def _is_question(sentence: str) -> bool:
    s = _GREETING_RE.sub("", sentence.strip())
    # A bare imperative in a bullet list ("- send pricing") is a to-do item, not a request to the reader.
    bullet = s[:1] in ("-", "*", "•")
    s = s.lstrip("-*•> \t")
    if _PLEASANTRY_RE.match(s):
        return False
    s = _LEAD_RE.sub("", s)
    if len(s) < 4 or _PLEASANTRY_RE.match(s):
        return False
    if _QUESTION_END_RE.search(s):
        return True
    folded = _fold(s)
    if _may_offer_openly(folded) and _OPEN_OFFER.search(s, folded) and not _REVIEW.search(s, folded):
        return False
    if _STRONG.search(s, folded):
        return True
    if (folded is None or "your" in folded) and _YOUR_VIEW.search(s, folded) and not _THANKS.match(s, folded):
        return True
    if _STATEMENT_RE.match(s):
        return False
    return _WEAK_RE.match(s) is not None or (not bullet and _IMPERATIVE_RE.match(s) is not None)


# A "?" standing alone before a lowercase word or a digit is a character the mail's encoding lost ("? cup
# raisins" for "½ cup", "Copyright ? 2001" for "©"), not the end of a question.
_LOST_CHAR_RE = re.compile(r"(?:(?<=\s)|^)\?(?=[ \t]++[a-z0-9(])", re.MULTILINE)
# Published text pasted into a mail (an article, a press release) ends its author's own words: its questions
# are rhetorical and addressed to the public.
_PUBLISHED_RE = re.compile(
    r"^[^\n]*?(?:\bcopyright\s*+(?:(?:©|\(c\)|\?|\ufffd)\s*+)?(?:\d{4}|by\b)|©\s*+\d{4}|\ball\s+rights\s+reserved\b)",
    re.MULTILINE | _I,
)


def questions(text: str) -> list[str]:
    """Sentences of author text that ask the recipient something or request an action awaiting an answer."""
    folded = _fold(text)
    # In ASCII text the marks it looks for are "copyright" and "all rights reserved".
    if folded is None or "copyright" in folded or "reserved" in folded:
        published = _PUBLISHED_RE.search(text)
        if published is not None:
            text = text[: published.start()]
    if "?" in text:
        text = _LOST_CHAR_RE.sub("\ufffd", text)
    return [s for s in sentences(text) if _is_question(s)]


_PERSON_RE = re.compile(r"\b(?:me|my|us|our|you|your|please|pls|kindly)\b", _I)


def is_bare_imperative(sentence: str) -> bool:
    """A command that names nobody ("Bring milk to simmer.", "Provide the list to the guests."): a step of a
    recipe, a procedure or a meeting's action list rather than a request put to the reader."""
    s = _LEAD_RE.sub("", _GREETING_RE.sub("", sentence.strip()).lstrip("-*•> \t"))
    return (
        _IMPERATIVE_RE.match(s) is not None
        and _QUESTION_END_RE.search(s) is None
        and _PERSON_RE.search(s) is None
        and not _VOCATIVE_NAMES_RE.match(sentence)
    )


_FIRST_PERSON_RE = re.compile(r"\b(?:me|my|i|i'm|i'd|i've|i'll)\b", _I)


def asks_personally(sentence: str) -> bool:
    """A question to the reader, or a request for something the writer needs ("please advise me", "call me").

    Cold mail asks too ("Find out how to ...", "Please forward this to anyone who might benefit"), but not
    for the writer's own sake: the rules ask unsolicited mail for this stronger evidence.
    """
    return _QUESTION_END_RE.search(sentence) is not None or _FIRST_PERSON_RE.search(sentence) is not None


# "Shelley - would you ...", "TK: please update ...", "Dan, please ...", "Hi Lorna,": who a sentence speaks to.
_VOCATIVE_NAMES_RE = re.compile(
    r"^\s*+(?:(?:hi|hello|hey|dear)\s++)?((?-i:[A-Z][A-Za-z'-]{1,20}|[A-Z]{2,3})(?:\s*+(?:,\s*+(?:and|&|or)?|and|&|or|/)\s*+"
    r"(?-i:[A-Z][A-Za-z'-]{1,20}|[A-Z]{2,3})){0,3})\s*+(?:[,:]|-+(?:\s|$)|\.\.\.)",
    _I,
)


def addressees(sentence: str) -> frozenset[str]:
    """The first names a sentence opens by addressing, lower-cased ("Raetta or Lynn: ..." -> raetta, lynn).

    Empty when it addresses nobody by name. The caller decides whether a name is the reader's: any capitalised
    word before a comma looks like a name here ("However, ..."), so compare with the recipients' names.
    """
    found = _VOCATIVE_NAMES_RE.match(sentence)
    if found is None:
        return frozenset()
    return frozenset(n.lower() for n in re.split(r"\s*(?:,|\band\b|&|\bor\b|/)\s*", found.group(1)) if n)


# A nudge that asks nothing itself: "Just bumping this up", "Following up on the below", "Any update?".
# A word each alternative of _CHASE needs (lower-cased ASCII), to skip the search without one.
_CHASE_WORDS = (
    "follow", "bump", "check", "circl", "any", "touch", "chance", "reminder", "nachfassen", "nachhaken", "relance",
)  # fmt: skip
_CHASE = _Caseless(
    r"\b(?:follow(?:ing)?[\s-]?up|bump(?:ing)?|check(?:ing)?\s+in|circl(?:e|ing)\s+back|any\s+(?:update|news"
    r"|thoughts|feedback)|touch(?:ing)?\s+base|did\s+you\s+(?:get|have)\s+a\s+chance|(?:gentle|friendly|quick)"
    r"\s+reminder|just\s+checking|wanted\s+to\s+check|nachfassen|nachhaken|relance)\b"
)


def is_chase(sentence: str) -> bool:
    """A sentence that nudges about an earlier message ("Just bumping this up", "Following up on the below").

    It asks nothing on its own: the rules count it as a chase only after an unanswered mail in the same thread.
    """
    folded = _fold(sentence)
    if folded is not None and not any(word in folded for word in _CHASE_WORDS):
        return False
    return _CHASE.search(sentence, folded)


# --- offers -------------------------------------------------------------------------------------------------

_OFFER_NOUN = (
    r"(?:quot(?:e|ation)s?|proposals?|offers?|pricing|price\s*list|prices|estimates?|bids?|contracts?"
    r"|agreements?|sow|statement\s+of\s+work|order\s+form|renewal|angebot|devis|offerte|cotizaci[oó]n"
    r"|propuesta|preventivo)"
)
_OFFER_FILE_RE = re.compile(
    r"(?:^|[^a-z])(?:quot(?:e|ation)|proposal|offer|angebot|pricing|price[-_ ]?list|estimate|bid|contract"
    r"|agreement|sow|order[-_ ]?form|devis|offerte|cotizaci[oó]n|propuesta|preventivo)(?:[^a-z]|$)",
    _I,
)
_SIGNED_FILE_RE = re.compile(r"signed|executed|countersigned|unterschrieben", _I)
_OFFER_TEXT = _Caseless(
    r"\b(?:(?:attached|enclosed|below|here)\s+(?:is|are|you\s+will\s+find|please\s+find)\s+(?:our|the|my|a|an|your)"
    r"\s+(?:\w+\s+){0,3}?" + _OFFER_NOUN + r"\b"
    r"|(?:please\s+)?(?:find|see)\s+(?:attached|enclosed|below)\s*(?:our|the|my|a|an|your)?\s*(?:\w+\s+){0,3}?"
    + _OFFER_NOUN
    + r"\b"
    r"|(?:i'?ve|i\s+have|we'?ve|we\s+have|i'?m|we'?re|i\s+am|we\s+are)\s+(?:attached|attaching|enclosed|enclosing"
    r"|sending|sent|including|included|put\s+together|prepared)\s+(?:you\s+)?(?:over\s+)?(?:our|the|my|a|an|your)"
    r"\s+(?:\w+\s+){0,3}?" + _OFFER_NOUN + r"\b"
    r"|" + _OFFER_NOUN + r"\s+(?:is\s+)?(?:attached|enclosed)\s+(?:for\s+your\s+(?:review|approval|signature"
    r"|consideration)|as\s+(?:promised|discussed|requested))"
    r"|" + _OFFER_NOUN + r"\s+for\s+your\s+(?:review|approval|signature|consideration)"
    r"|(?:we\s+can|i\s+can|we\s+could|we'?re\s+able\s+to|we\s+are\s+able\s+to)\s+offer\s+(?:you\s+)?"
    r"[^.]{0,60}(?:\$|€|£|usd|eur|per\s+(?:unit|month|year|seat|user)|discount|%)"
    r"|(?:our|the)\s+(?:best|final|revised|updated)\s+(?:price|offer|pricing|quote)\s+(?:is|would\s+be)"
    r"|anbei\s+(?:unser|das|ihr)\s+(?:\w+\s+)?angebot|ci-joint\s+(?:notre|le)\s+devis)"
)
# A word each alternative of _OFFER_TEXT needs (lower-cased ASCII; _OFFER_NOUN or the offer itself).
_OFFER_WORDS = (
    "quot", "proposal", "offer", "pric", "estimate", "bid", "contract", "agreement", "sow", "statement", "order",
    "renewal", "angebot", "devis", "cotizaci", "propuesta", "preventivo",
)  # fmt: skip
_OFFER_SUBJECT_RE = re.compile(r"\b" + _OFFER_NOUN + r"\b", _I)
_ATTACH_WORD_RE = re.compile(r"\b(?:attached|attachment|enclosed|see\s+below|anbei|ci-joint)\b", _I)


def offer(text: str, *, subject: str, attachments: tuple[str, ...]) -> str | None:
    """Evidence that the message sends a quote, proposal, pricing or contract for decision, else None."""
    for sentence in sentences(text):
        folded = _fold(sentence)
        if folded is not None and not any(word in folded for word in _OFFER_WORDS):
            continue
        if _OFFER_TEXT.search(sentence, folded):
            return sentence
    for name in attachments:
        if _OFFER_FILE_RE.search(name) and not _SIGNED_FILE_RE.search(name):
            return f"attachment: {name}"
    if attachments and _OFFER_SUBJECT_RE.search(subject) and _ATTACH_WORD_RE.search(text):
        return f"subject: {subject.strip()}"
    return None


# --- orders -------------------------------------------------------------------------------------------------

_ORDER = _Caseless(
    r"\b(?:thank(?:s|\s+you)\s+(?:(?:so|very)\s+much\s+)?for\s+(?:your|the)\s+(?:\w+\s+)?(?:order|purchase"
    r"|business|po\b|purchase\s+order)"
    r"|order\s+confirmation|(?:your|the|our)\s+order\s+(?:has\s+been\s+|is\s+|was\s+)?(?:placed|confirmed|received"
    r"|processed|booked|accepted)"
    r"|(?:we|i)\s+(?:have\s+|'ve\s+)?(?:received|got)\s+(?:your|the)\s+(?:signed\s+)?(?:purchase\s+order|po"
    r"|order|contract|agreement)"
    r"|(?:we|i)\s+(?:have\s+|'ve\s+)?(?:signed|countersigned|executed)\s+(?:the|your|our)?"
    r"|(?:the|our|your)\s+(?:contract|agreement|order\s+form|quote|proposal)\s+(?:has\s+been\s+|is\s+|was\s+)(?:signed|executed"
    r"|countersigned)"
    r"|signed\s+(?:contract|agreement|order\s+form|quote|proposal|po)"
    r"|(?:we|i)(?:\s+would\s+like\s+to|\s+want\s+to|\s+will|'d\s+like\s+to|\s+are\s+ready\s+to|'re\s+ready\s+to|'ll)"
    r"\s+(?:place\s+(?:an|the|our|this)\s+order|(?:go\s+ahead"
    r"|move\s+forward|proceed)\s+with\s+(?:the|your|our|this)\s+(?:order|proposal|quote|offer|purchase|contract"
    r"|deal|agreement))"
    r"|(?:we|i)\s+(?:have\s+|'ve\s+)?(?:accepted|approved)\s+(?:your|the)\s+(?:quote|proposal|offer)"
    r"|auftragsbestätigung|vielen\s+dank\s+für\s+ihre\s+bestellung|merci\s+pour\s+votre\s+commande)"
)
# A PO number is an order only when the sentence sends or places it ("please find attached PO 4711", "we have
# issued PO 4711"); "transfer the quantities from PO# 27190" merely refers to one.
_PO_NUMBER = _Caseless(
    r"(?:\bpo|\bp\.o\.|purchase\s+order)(?:\s*(?:#|no\.|number|nr\.?)\s*:?\s*[a-z]{0,4}-?|\s+)\d{3,}\b"
)
_PO_SENT = _Caseless(
    r"\b(?:attached|attaching|enclosed|enclosing|here\s+is|here'?s|find|issued|issuing|placed|placing|sending|sent"
    r"|submitted|submitting|raised|released|approved|(?:po|order)\s+(?:number\s+)?is)\b"
)
# A word each alternative of _ORDER or _PO_NUMBER needs (lower-cased ASCII), to skip the searches without one.
_ORDER_WORDS = (
    "thank", "order", "received", "got", "signed", "executed", "ahead", "forward", "proceed", "accepted",
    "approved", "commande", "po", "p.o", "purchase",
)  # fmt: skip
_ORDER_SUBJECT_RE = re.compile(r"\b(?:order\s+confirm\w*|auftragsbestätigung|bestellbestätigung)", _I)
# A PO number in the subject counts only when the text sends something ("PO 4711" + "see attached").
_PO_SUBJECT_RE = re.compile(r"\b(?:po|p\.o\.|purchase\s+order)\s*+(?:(?:#|no\.?|number)\s*+)?:?\s*+\d{3,}", _I)
_ORDER_DEAD = _Caseless(r"\b(?:expired?|cancell?ed|void(?:ed)?|rejected|declined|on\s+hold|lost)\b")
_ORDER_NEGATION = _Caseless(
    r"\b(?:not|n't|never|once|if|when|after|before|until|unless|please(?!\s+(?:find|see)\b)|could\s+you|can\s+you"
    r"|yet\s+to)\b"
    r"[^.]{0,30}\b(?:sign|order|po|purchase)"
)
_DELIVERY_RE = re.compile(
    r"\b(?:deliver\w*|ship\w*|dispatch\w*|install\w*|go[- ]live|golive|launch\w*|kick[- ]?off|onboard\w*"
    r"|arriv\w*|roll[- ]?out|implementation|set[- ]?up|start\s+date|lieferung|liefertermin|livraison)\b",
    _I,
)


def _is_order_sentence(sentence: str) -> bool:
    folded = _fold(sentence)
    if folded is not None and not any(word in folded for word in _ORDER_WORDS):
        return False
    stated = _ORDER.search(sentence, folded) or (
        _PO_NUMBER.search(sentence, folded) and _PO_SENT.search(sentence, folded)
    )
    return stated and not _ORDER_NEGATION.search(sentence, folded) and not _ORDER_DEAD.search(sentence, folded)


@dataclass(frozen=True)
class Order:
    """An order, PO or signed contract; ``delivery`` if a delivery/installation/go-live date is stated."""

    evidence: str
    delivery: datetime | None


def order(
    text: str, *, subject: str, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS
) -> Order | None:
    """An ``Order`` when the message confirms an order, a PO or a signed contract, else None."""
    parts = sentences(text)
    evidence = next((s for s in parts if _is_order_sentence(s)), None)
    if evidence is None and (
        _ORDER_SUBJECT_RE.search(subject) or (_PO_SUBJECT_RE.search(subject) and _ATTACH_WORD_RE.search(text))
    ):
        evidence = f"subject: {subject.strip()}"
    if evidence is None:
        return None
    delivery = None
    for sentence in parts:
        if _DELIVERY_RE.search(sentence):
            due = find_due(sentence, sent_at=sent_at, tz=tz, options=options)
            if due is not None:
                delivery = due.when.astimezone(UTC)
                break
    return Order(evidence=evidence, delivery=delivery)


# --- acknowledgements ---------------------------------------------------------------------------------------

_ACK_PHRASE = (
    r"(?:thanks|thank\s+you|thx|thanx|ty|tks|many\s+thanks|thanks\s+(?:a\s+lot|so\s+much|again|much|a\s+bunch)"
    r"|much\s+appreciated|(?:i\s+|we\s+)?(?:really\s+|do\s+)?appreciate\s+(?:it|that|this|the\s+\w+|your\s+help"
    r"|all\s+your\s+help|you\b[^.!?]{0,60})|cheers|ok|okay|k|kk|okey|got\s+it|gotcha|will\s+do"
    r"|(?:sounds|looks)\s+(?:good|great|fine|perfect|ok|okay)(?:\s+to\s+(?:me|us))?"
    r"|sounds\s+like\s+a\s+plan(?:\s+to\s+(?:me|us))?|great|perfect|excellent|awesome|cool|noted|received"
    r"|understood|roger|fine|good|nice|super|wonderful|all\s+good|no\s+problem|no\s+worries|np|sure\s+thing|sure"
    r"|i\s+see|makes\s+sense|(?:i|we)\s+agree|that\s+(?:will|would)\s+be\s+(?:perfect|great|fine|good)"
    r"|that'?s\s+(?:great|fine|good|perfect|helpful)|thats\s+(?:great|fine|good|perfect)|very\s+helpful"
    r"|glad\s+to\s+hear|good\s+job(?:\s+(?:on|of|with)\b[^.!?]{0,60})?|well\s+done|nice\s+work|great\s+work|keep\s+me\s+(?:posted|informed)"
    r"|anytime|any\s+time|my\s+pleasure|you'?re\s+welcome|(?:i|we)\s+(?:now\s+)?have\s+(?:this|the|it|that)"
    r"(?:\s+meeting)?\s+on\s+(?:my|our)\s+calendar|danke|vielen\s+dank|danke\s+schön|alles\s+klar|merci"
    r"|merci\s+beaucoup|gracias|grazie|bedankt|tack)"
)
_ACK_SENTENCE_RE = re.compile(
    r"^(?:(?:just\s++)?" + _ACK_PHRASE + r"(?:\s*+(?:(?:,|and|&|-)\s*+)?(?:just\s++)?" + _ACK_PHRASE + r"){0,3}"
    r"(?:\s++(?:for\s+(?:the|your|this|that|all|my|our|a|an)\b[^.!?]{1,60}|(?:very|so)\s+much|again|a\s+lot|all"
    r"|(?:so\s+)?much|for\s+\w+ing\b[^.!?]{0,60}))?"
    r"(?:\s*+,?\s*+(?-i:[A-Z][a-z]+))?"
    r")[\s!.,:;)(👍🙏😊🙂-]*$",
    _I,
)
# "Alma, ..." at the start and a bare name ("Lynn", "Thanks, Jean") at the end carry no content.
_VOCATIVE_RE = re.compile(r"^(?-i:[A-Z][a-z]+)(?:\s+(?:and|&)\s+(?-i:[A-Z][a-z]+))?\s*[,:-]\s*(?=\w)", _I)
_NAME_ONLY_RE = re.compile(r"(?-i:[A-Z][A-Za-z.'-]*)(?:\s+(?-i:[A-Z][A-Za-z.'-]*)){0,2}[.!]?|[a-z]{2,3}\.?", _I)
_ACK_MAX_CHARS = 300


def is_acknowledgement(text: str) -> bool:
    """A short thanks/ok/got it/will do message that does not answer anything or ask anything."""
    stripped = text.strip()
    if not stripped or len(stripped) > _ACK_MAX_CHARS or "?" in stripped:
        return False
    parts = [_VOCATIVE_RE.sub("", _GREETING_RE.sub("", s).strip()) for s in sentences(stripped)]
    content = [p for i, p in enumerate(parts) if p and not (i and _NAME_ONLY_RE.fullmatch(p.strip()))]
    return bool(content) and all(_ACK_SENTENCE_RE.match(p) for p in content)
