"""Whether a contact's reply accepts: what turns a conditional promise of the rep's into a live one (issue 8).

The rep wrote "let me know if the terms work and I'll sign on our side"; the promise holds once the contact says
yes. The rule is deliberately small and errs towards "not accepted", because a wrong acceptance is a confident
reminder about a promise nobody wants kept, while a missed one only leaves the rep where they are today (the
awaiting_reply reminder already asked them to look at the answer):

- only the contact's own words count (``zoning.author_text``: the quoted "if the terms work" is not theirs), and
  of them the first :data:`SENTENCES` sentences after a greeting (a reply that agrees says so at once;
  disclaimers come last);
- they must say yes, in one of three ways: a word or phrase of assent ("yes", "ok", "agreed", "approved", "we
  accept", "go ahead", "green light", "(looks|sounds|is) (good|fine|right|acceptable)", "<anything> works",
  "happy with", "we're good", "let's do it", "👍"); a sentence that is only "Perfect." / "Fine." / "Correct." /
  "Sure." / "Wednesday it is."; or an order to do it, a sentence that opens with an action verb on a known
  thing ("Send the contract", "Please issue the PO", "Book it", "Invoice away"; not "Send me a quote", which
  asks for something new);
- an acknowledgement is not assent: "Ok thanks", "Yes, got it.", "Ok noted" say the mail arrived;
- negatively worded assent is assent: "no objections", "no changes needed", "nothing to add", "can't see any
  issues", "don't see why not", "I wouldn't change a thing" are read as "ok" before anything is held back;
- and nothing in them may hold it back: a question mark (the rep answers first), a negation ("not", "n't",
  "no", "none", "nothing"), a reservation ("but", "however", "though", "except", "apart from", "unless", "if",
  "as long as", "assuming", "provided", "only"), a wish to change or wait ("change", "revise", "amend", "wait",
  "hold off", "instead", "still", "first", "once", "until", "yet", "needs", "subject to", "in principle", "for
  now"), or a deferral ("review", "check", "discuss", "think", "consider", "get back", "let you know", "will
  confirm", "shortly", "bear with"); a sentence after the yes that says it is an aside ("Unrelated, ...", "By
  the way, ...", "Also, ...") may ask its own question.

Measured on replies nobody here wrote (``evaluation/acceptance_eval.py``; first runs in FIRST_RUNS.md).
"""

from __future__ import annotations

import re

from followup_sync.text.zoning import sentences

__all__ = ["SENTENCES", "accepts"]

#: How many of the reply's first sentences are read.
SENTENCES = 4
_HEAD_CHARS = 600

_YES = re.compile(
    r"\b(?:yes|yep|yeah|yup|ok|okay|agreed?|approved?|accept(?:s|ed|able)?|confirm(?:ed)?|deal"
    r"|go ahead|go-ahead|go for it|green light|(?:please )?proceed|please do|let's do (?:it|that|this)"
    r"|(?:we're|we are|i'm|i am|all) (?:good|in|set|fine|ok|okay|happy|comfortable)"
    r"|(?:looks?|sounds?|seems?|is|are|'s|all) (?:all |absolutely |totally )?"
    r"(?:good|fine|great|right|ok|okay|correct|perfect|acceptable|spot on)"
    r"|works?|suits? (?:us|me)|happy (?:with|for)|comfortable with|fine (?:by|with) (?:me|us)|good to go"
    r"|(?:counter)?signed|cleared|sounds like a plan|count (?:us|me) in)\b|👍|✅"
)
# A sentence that is nothing but assent.
_BARE_YES = re.compile(r"(?:perfect|fine|correct|sure|spot on|go|(?:\w+ ){1,2}it is)\W*")
# Acknowledgements: "Ok thanks", "Yes, got it." say the mail arrived, not that the contact agrees.
_ACK = re.compile(
    r"(?:(?:ok|okay|yes|yep|sure|great|thanks|thank you|cheers|noted|got it|received)[\s,.!-]*)*"
    r"(?:thanks|thank you|cheers|noted|got it|received(?: with thanks)?)[\s,.!-]*"
    r"(?:(?:ok|okay|thanks|thank you|cheers)\W*)*"
)
# An order to do the promised thing: an action verb opening the sentence, on something already known.
_VERBS = (
    r"send|ship|book|order|issue|raise|place|put|schedule|sign|countersign|print|reserve|release|invoice"
    r"|submit|renew|add|start|set up|finali[sz]e|process|arrange|lock|dispatch|draw up|go live with|execute"
    r"|run|prepare|roll|make"
)
_DO_IT = re.compile(
    rf"(?:(?:please|pls|kindly|so|then|ok|okay|yes|great|good),? )*(?:{_VERBS})"
    r"(?:\W*$|(?: (?:me|us))? (?:it|them|that|this|these|those|the|our|my|away|ahead|over|in|on|for)\b)"
)
_HOLD = re.compile(
    r"\?|n't\b|\b(?:not|no|none|nothing|neither|never|cannot|but|however|though|although|unfortunately|except"
    r"|apart from|other than|unless|if|provided|assuming|as long as|subject to|in principle|only|for now"
    r"|change|changes|revise|revised|amend|amendment|updated|wait|hold off|instead|still|first|once|until"
    r"|yet|later|pending|needs?|another round|review|check|checking|discuss|think|thinking|consider"
    r"|get back|come back|let you know|let u know|will (?:confirm|revert)|revert|shortly|bear with"
    r"|decline|declined|reject|rejected|maybe|perhaps|might|may (?:be|need|want|have))\b"
)
_OBJECTIONS = (
    r"problems?|probs|worries|objections?|issues?|concerns?|complaints?|comments?|corrections?|changes?"
    r"|amendments?|edits?|errors?|defects?|deviations?|conflicts?|disagreements?|questions?|blockers?"
    r"|red flags?|showstoppers?"
)
# Negatively worded assent ("no objections", "nothing to add"): read as "ok" before the holds are looked for.
_NO_OBJECTION = re.compile(
    r"\b(?:(?:no|not an?|not any|without any|(?:i|we)(?:'ve| have) no"
    r"|(?:i|we) (?:don't|do not) have (?:a|an|any))"
    rf" (?:further |other |real |major )?(?:{_OBJECTIONS})"
    r"(?: (?:needed|required|noted|here|at all|whatsoever|from (?:us|me|our side|my side|our end)"
    r"|on our (?:side|end)))?"
    r"|no reason not to|(?:nothing|none) (?:further|more|else|from (?:me|us)|to (?:change|add|fix|correct)"
    r"|wrong(?: with)?|missing|jumps out)"
    rf"|not a (?:single )?thing to (?:change|add|fix)|wouldn't change a thing"
    rf"|(?:can't|cannot|couldn't|don't|do not) (?:see|spot|find|foresee) (?:an?|any) (?:{_OBJECTIONS})"
    r"|(?:can't|cannot|couldn't) (?:fault|see anything wrong|think of anything to change|see why not"
    r"|see that being a problem)|(?:don't|do not) see why not|(?:don't|do not) (?:mind|disagree)"
    r"|wouldn't say no)\b"
)
# Nouns that carry a holding word without holding anything back.
_NOUNS = re.compile(r"\bchange orders?\b|\b(?:the|your) (?:revised|updated|amended)\b")
# A sentence set aside from the answer after a yes ("Unrelated, but ...", "By the way, ..."): holds nothing back.
_ASIDE = re.compile(
    r"(?:also|btw|by the way|fyi|unrelated|separately|p\.?s\.?|on (?:a|an) (?:separate|other|unrelated) note"
    r"|one (?:more )?thing unrelated)\b"
)
_GREETING = re.compile(
    r"(?:hi|hello|hey|dear|morning|good (?:morning|afternoon|evening)|thanks|thank you)\b[^.!]{0,30},?"
)
_SPLIT = re.compile(r"(?<=[.!?])\s+")


def _head(text: str) -> list[str]:
    """The first sentences of the reply, lower case, greetings left out."""
    out: list[str] = []
    for sentence in sentences(text[:_HEAD_CHARS].replace("’", "'")):
        for piece in _SPLIT.split(" ".join(sentence.lower().split())):
            if piece and not _GREETING.fullmatch(piece):
                out.append(piece)
        if len(out) >= SENTENCES:
            break
    return out[:SENTENCES]


def _says_yes(sentence: str) -> bool:
    if _ACK.fullmatch(sentence):
        return False
    return bool(_YES.search(sentence) or _BARE_YES.fullmatch(sentence) or _DO_IT.match(sentence))


def accepts(text: str) -> bool:
    """The reply's own words (``text``: zoned author text) say yes and hold nothing back (module docstring)."""
    if not text.strip():
        return False
    read = [_NOUNS.sub("item", _NO_OBJECTION.sub("ok", s)) for s in _head(text)]
    yes = [i for i, s in enumerate(read) if _says_yes(s)]
    if not yes:
        return False
    return not any(_HOLD.search(s) and not (i > yes[0] and _ASIDE.match(s)) for i, s in enumerate(read))
