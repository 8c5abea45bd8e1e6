"""Whether a contact's reply accepts: what turns a conditional promise of the rep's into a live one (issue 8).

The rep wrote "let me know if the terms work and I'll sign on our side"; the promise holds once the contact says
yes. The rule is deliberately small and errs towards "not accepted", because a wrong acceptance is a confident
reminder about a promise nobody wants kept, while a missed one only leaves the rep where they are today (the
awaiting_reply reminder already asked them to look at the answer):

- only the contact's own words count (``zoning.author_text``: the quoted "if the terms work" is not theirs), and
  of them the first :data:`SENTENCES` sentences (a reply that agrees says so at once; disclaimers come last);
- they must say yes: "yes", "ok", "agreed", "approved", "accepted", "confirmed", "deal", "go ahead", "please
  proceed", "(looks|sounds|seems|is) (good|fine|great|right|ok)", "(that|it|this|all) works", "the terms work",
  "works for us", "happy with", "fine by me", "good to go", "no problem", "no objection";
- and nothing in them may hold it back: a question mark (the rep answers first), a negation ("not", "n't",
  "no", "never"), a reservation ("but", "however", "unfortunately", "except", "unless", "if", "provided",
  "only"), a wish to change or wait ("change", "revise", "amend", "wait", "hold off", "instead"), or a deferral
  ("review", "check", "discuss", "think", "consider", "get back", "come back", "let you know").
"""

from __future__ import annotations

import re

from followup_sync.text.zoning import sentences

__all__ = ["SENTENCES", "accepts"]

#: How many of the reply's first sentences are read.
SENTENCES = 4
_HEAD_CHARS = 600

_YES = re.compile(
    r"\b(?:yes|yep|yeah|ok|okay|agreed?|approved?|accepted?|confirm(?:ed)?|deal|go ahead|go for it"
    r"|(?:please )?proceed|(?:looks?|sounds?|seems?|is|are|all) (?:all )?(?:good|fine|great|right|ok|okay|correct)"
    r"|(?:that|it|this|all|everything|they|both)(?:'s| is)? works?|works? (?:for|with) (?:me|us|both)"
    r"|(?:terms|figures|numbers|prices?|pricing|quote|proposal|draft|contract|plan|dates?|times?) (?:all )?work"
    r"|happy with|fine (?:by|with) (?:me|us)|good to go|signed off)\b"
)
_HOLD = re.compile(
    r"\?|n't\b|n’t\b|\b(?:not|no|never|cannot|but|however|unfortunately|except|unless|if|provided|only|change"
    r"|changes|revise|revised|amend|amendment|wait|hold off|instead|review|check|discuss|think|consider"
    r"|get back|come back|let you know|decline|declined|reject|rejected)\b"
)


# "No problem" and its kin say yes: read them as "ok" before the negations are looked for.
_NO_OBJECTION = re.compile(r"\b(?:no|not an?) (?:problems?|worries|objections?|issues?)\b")


def accepts(text: str) -> bool:
    """The reply's own words (``text``: zoned author text) say yes and hold nothing back (module docstring)."""
    head = " ".join(text[:_HEAD_CHARS].lower().replace("’", "'").split())
    head = _NO_OBJECTION.sub("ok", head)
    if not _YES.search(head):  # most mail: no sentence split needed
        return False
    read = " ".join(s for s, _ in zip(sentences(head), range(SENTENCES), strict=False))
    return bool(_YES.search(read)) and not _HOLD.search(read)
