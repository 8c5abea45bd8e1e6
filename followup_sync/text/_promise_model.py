"""The learned second stage of promise detection: a logistic regression over candidate sentences (issue 8).

The rules in ``promises.py`` are a whitelist of verbs and forms; plain promises outside it ("I'll double check.",
"ENA will forward the draft") are missed. This module scores *candidate* sentences only (a cheap cue: a
first-person or joint future or intention, the company as subject, a subjectless "Will ...", or a sentence the
rules flag) with a linear model on word 1-2-grams plus the rules' own findings. The weights are trained by
``evaluation/train_promise_model.py`` on the labelled sets and shipped as ``_promise_model.json`` (no model is
downloaded); they are read once, on the first call. Pure functions apart from that lazy load.

How the score and the rules combine is decided in ``promises.py`` with the two thresholds stored with the
weights (picked there by cross-validation): a rule promise scored below ``drop_below`` is dropped, a candidate
the rules missed scored at or above ``add_at`` becomes a promise. Whether the stage runs by default is the
file's ``enabled``, set by the trainer from held-out figures on mail the rules were never tuned on.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["Model", "candidate_cue", "cue_match", "features", "load", "score"]

_PATH = Path(__file__).with_name("_promise_model.json")

# Cues that make a sentence worth scoring (lower-cased, normalised apostrophes). Broad on purpose: the model,
# not this list, decides. Each alternative is named so that the cue is a feature too.
_CUE = re.compile(
    # Every alternative starts with one of these characters: the lookahead lets the scan skip other positions.
    r"(?=[iwlftsycamb,;:(])"
    r"(?:(?P<i_will>\b(?:i|we)(?:'ll|'l| will| wil| wll| shall)\b|\bill (?=[a-z]))"
    r"|(?P<going>\b(?:i|we)(?:'m|'re| am| are) (?:\w+ )?(?:going to|gonna|planning|hoping)\b)"
    r"|(?P<intend>\b(?:i|we) (?:\w+ )?(?:plan|intend|expect|hope|aim|want|need|mean|propose) to\b|\bmy plan is\b"
    r"|\b(?:i|we) (?:\w+ )?anticipate \w+ing\b)"
    r"|(?P<lets>\blet'?s\b|\blet us\b|\blet me\b)"
    r"|(?P<follow>\b(?:will|to) follow\b|\bto come\b|\bforthcoming\b|\bshould (?:reach|get to|go out|arrive)\b)"
    r"|(?P<you_will>\byou(?:'ll| will| should) (?:have|get|receive|see|hear)\b|\blook (?:for|out for)\b)"
    # Impersonal announcements of what comes next ("the agenda will be distributed Friday", "more tomorrow").
    r"|(?P<passive>\b(?:will|shall|should) be (?:\w+ly )?(?:sent|distributed|posted|circulated|forwarded|provided"
    r"|made available|delivered|issued|e-?mailed|faxed|mailed|coming|done|ready|available|resolved|finalized"
    r"|completed|scheduled|announced|published|released)\b|\b(?:coming|arriving) (?:soon|shortly|today|tomorrow"
    r"|this|next|later)\b"
    r"|(?:^|[,;:(]\s*)more (?:tomorrow|later|soon|to come|next week|on (?:this|that) (?:later|soon|tomorrow))\b)"
    r"|(?P<bare_will>(?:^|[,;:(]\s*|\band |\bbut )will (?=[a-z]))"
    # "<Org> will ...": matched from "will" back (a scan from every word start was most of the cue's cost).
    r"|(?P<org_will>(?<=[a-z&.\"')] )(?<!\bi )(?<!\bwe )(?<!\byou )(?<!\bhe )(?<!\bshe )(?<!\bthey )(?<!\bit )"
    r"(?<!\bthis )(?<!\bthat )(?<!\bthere )(?<!\bwhich )(?<!\bwho )will (?!be\b)(?=[a-z])))"
)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'&.-]*[A-Za-z]|[A-Za-z]|\d[\d:.,/-]*|[?!$]")
_DAYS = frozenset(
    {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
     "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"}
)  # fmt: skip
_MONTHS = frozenset(
    {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
)  # fmt: skip
_KEEP_CAPS = frozenset({"i", "i'll", "i'm", "i've", "i'd", "ok", "okay", "thanks"})
_TIME = re.compile(
    r"\b(?:today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|weekend|next week|this week"
    r"|this afternoon|this morning|this evening|later today|end of (?:the )?(?:day|week|month)|eod|eow|asap"
    r"|shortly|soon|by \d|at \d|\d ?(?:am|pm|a\.m|p\.m)|within|early next|first thing)\b"
)
_MAX_TOKENS = 60


def cue_match(low: str) -> re.Match[str] | None:
    """The first cue in a lower-cased sentence (whitespace collapsed), or None when it is no candidate."""
    return _CUE.search(low)


def candidate_cue(low: str) -> str | None:
    """The name of the first cue in a lower-cased sentence (whitespace collapsed), or None."""
    m = _CUE.search(low)
    return m.lastgroup if m else None


def _tokens(sentence: str) -> list[str]:
    """Lower-cased tokens with numbers, days, months and capitalised names (not at the start) normalised."""
    out: list[str] = []
    for n, tok in enumerate(_TOKEN.findall(sentence.replace("\u2019", "'"))[:_MAX_TOKENS]):
        low = tok.lower()
        if tok[0].isdigit():
            out.append("<num>")
        elif low in _DAYS:
            out.append("<day>")
        elif low in _MONTHS and tok[0].isupper():
            out.append("<month>")
        elif n > 0 and tok[0].isupper() and low not in _KEEP_CAPS and out[-1] not in (".", "!", "?"):
            out.append("<name>")
        else:
            out.append(low)
    return out


@dataclass(frozen=True)
class RuleView:
    """What the rules said about a sentence (``fires`` False when they found no promise there)."""

    fires: bool = False
    conditional: bool = False
    joint: bool = False
    has_due: bool = False
    channel: str | None = None


def features(sentence: str, cue: str | None, rule: RuleView) -> list[str]:
    """The feature names of one candidate sentence: word 1-2-grams, its cue, the rules' findings, a time cue."""
    toks = ["<s>", *_tokens(sentence), "</s>"]
    out = [f"w:{t}" for t in toks[1:-1]]
    out.extend(f"b:{a}_{b}" for a, b in itertools.pairwise(toks))
    low = sentence.lower()
    out.append(f"cue:{cue}")
    if rule.fires:
        out.append("r:fires")
        out.append(f"r:ch={rule.channel}")
        if rule.conditional:
            out.append("r:cond")
        if rule.joint:
            out.append("r:joint")
        if rule.has_due:
            out.append("r:due")
    else:
        out.append("r:none")
    if _TIME.search(low):
        out.append("t:time")
    if sentence.rstrip().endswith("?"):
        out.append("q:question")
    if " if " in f" {low} ":
        out.append("q:if")
    words = toks[1:-1]
    if "you" in words or "your" in words or "you'll" in words:
        out.append("y:you")  # addressed to the reader: a commitment rather than a report
    out.append(f"n:{min(len(words) // 8, 4)}")  # length: long sentences are more often descriptions
    for a, b in itertools.pairwise(words):
        if a in _MODAL_TOKENS:
            out.append(f"m:{_shape(b)}")  # "will be", "will have", "will <verb>ing", ...
    return out


_MODAL_TOKENS = frozenset({"will", "i'll", "we'll", "shall", "to", "ll"})
_AUX = frozenset({"be", "have", "not", "also", "then", "just", "probably", "need", "try", "get", "let"})


def _shape(word: str) -> str:
    """A coarse class of the word after a modal, so that unseen verbs still say something."""
    if word in _AUX or word.startswith("<"):
        return word
    if word.endswith("ing"):
        return "-ing"
    if word.endswith("ed"):
        return "-ed"
    return "verb"


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    bias: float
    drop_below: float
    add_at: float
    enabled: bool


def score(model: Model, feats: list[str]) -> float:
    """The model's probability that the candidate holds a promise."""
    w = model.weights
    z = model.bias + sum(w.get(f, 0.0) for f in set(feats))
    if z < -30:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def from_dict(raw: dict[str, object]) -> Model:
    weights = raw["weights"]
    assert isinstance(weights, dict)
    return Model(
        weights={str(k): float(v) for k, v in weights.items()},
        bias=float(str(raw["bias"])),
        drop_below=float(str(raw["drop_below"])),
        add_at=float(str(raw["add_at"])),
        enabled=bool(raw.get("enabled", False)),
    )


@cache
def load(path: Path = _PATH) -> Model | None:
    """The shipped model, read once; None when the file is absent (the rules then decide alone)."""
    if not path.exists():
        return None
    with path.open(encoding="utf-8") as fh:
        raw = json.load(fh)
    return from_dict(raw)
