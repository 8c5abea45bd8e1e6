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
  "Sure."; or an order to do it, a sentence that opens with an action verb on a known thing ("Send the
  contract", "Please issue the PO", "Book it", "Invoice away"; not "Send me a quote", which asks for something
  new);
- negatively worded assent is assent: "no objections", "no changes needed", "nothing to add", "can't see any
  issues", "don't see why not", "don't mind" are read as "ok" before anything is held back;
- and nothing in them may hold it back: a question mark (the rep answers first), a negation ("not", "n't",
  "no", "none", "nothing"), a reservation ("but", "however", "though", "except", "apart from", "unless", "if",
  "as long as", "assuming", "provided", "only"), a wish to change or wait ("change", "revise", "amend", "wait",
  "hold off", "instead", "still", "first", "once", "until", "yet", "needs to", "another round"), or a deferral
  ("review", "check", "discuss", "think", "consider", "get back", "let you know", "will confirm", "shortly",
  "bear with", "noted").

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
    r"\b(?:yes|yep|yeah|yup|ok|okay|agreed?|approved?|accept(?:ed|able)?|we accept|confirm(?:ed)?|deal"
    r"|go ahead|go-ahead|go for it|green light|(?:please )?proceed|please do|let's do (?:it|that|this)"
    r"|(?:we're|we are|all) (?:good|in|set|fine|ok|okay|happy|comfortable)"
    r"|(?:looks?|sounds?|seems?|is|are|'s|all) (?:all |absolutely |totally )?"
    r"(?:good|fine|great|right|ok|okay|correct|perfect|acceptable|spot on)"
    r"|works?|happy with|comfortable with|fine (?:by|with) (?:me|us)|good to go|signed off|cleared"
    r"|sounds like a plan|count (?:us|me) in)\b|👍|✅"
)
# A sentence that is nothing but assent.
_BARE_YES = re.compile(r"(?:perfect|fine|correct|sure|spot on|great,? (?:go|please)\b.*|(?:\d+|that) it is)\W*")
# An order to do the promised thing: an action verb opening the sentence, on something already known.
_VERBS = (
    r"send|ship|book|order|issue|raise|place|put|schedule|sign|countersign|print|reserve|release|invoice"
    r"|submit|renew|add|start|set up|finali[sz]e|process|arrange|lock|dispatch|draw up|go live with|execute"
)
_DO_IT = re.compile(
    rf"(?:(?:please|pls|kindly|so|then|ok|okay|yes|great|good),? )*(?:{_VERBS})"
    r"(?: (?:me|us))? (?:it|them|that|this|these|those|the|our|my|away|ahead|over|in|on)\b"
)
_HOLD = re.compile(
    r"\?|n't\b|\b(?:not|no|none|nothing|neither|never|cannot|but|however|though|although|unfortunately|except"
    r"|apart from|other than|unless|if|provided|assuming|as long as|only|change|changes|revise|revised|amend"
    r"|amendment|updated|wait|hold off|instead|still|first|once|until|yet|later|pending|needs? to"
    r"|needs? (?:another|more|a few)|another round|review|check|checking|discuss|think|thinking|consider"
    r"|get back|come back|let you know|let u know|will (?:confirm|revert)|revert|shortly|bear with|noted"
    r"|decline|declined|reject|rejected|maybe|perhaps|might|may (?:be|need|want|have))\b"
)
# Negatively worded assent ("no objections", "nothing to add"): read as "ok" before the holds are looked for.
_NO_OBJECTION = re.compile(
    r"\b(?:(?:no|not an?|not any|without any) (?:further |other )?"
    r"(?:problems?|worries|objections?|issues?|concerns?|complaints?|comments?|corrections?|changes?|edits?|errors?|defects?|conflicts?|disagreements?|questions?)"
    r"(?: (?:needed|required|here|at all|whatsoever|from (?:us|me|our side|my side|our end)|on our (?:side|end)))?"
    r"|no reason not to|nothing (?:further|more|else|to (?:change|add|fix|correct)|wrong(?: with)?|missing)"
    r"|not a (?:single )?thing to (?:change|add|fix)|(?:can't|cannot|couldn't) (?:fault|see (?:any|a) "
    r"(?:issues?|problems?|reason not to))|(?:don't|do not) see (?:why not|any (?:issues?|problems?))"
    r"|(?:don't|do not) mind|wouldn't say no)\b"
)
# Nouns that carry a holding word without holding anything back.
_NOUNS = re.compile(r"\bchange orders?\b|\b(?:the|your) (?:revised|updated|amended)\b")
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
    return bool(_YES.search(sentence) or _BARE_YES.fullmatch(sentence) or _DO_IT.match(sentence))


def accepts(text: str) -> bool:
    """The reply's own words (``text``: zoned author text) say yes and hold nothing back (module docstring)."""
    if not text.strip():
        return False
    read = [_NOUNS.sub("item", _NO_OBJECTION.sub("ok", s)) for s in _head(text)]
    return any(_says_yes(s) for s in read) and not any(_HOLD.search(s) for s in read)
