"""Sentence splitting for author text: abbreviations, decimals, times, bullets and line-wrapped paragraphs.

Used by the detectors through ``zoning.sentences`` (re-exported there). Pure regex and string work, no models.
"""

from __future__ import annotations

import functools
import re

__all__ = ["sentences"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ABBREVIATIONS = _words(
    "mr mrs ms dr prof sr jr st vs etc e.g i.e eg ie a.m p.m am pm u.s u.k u.s.a inc ltd co corp no nos "
    "approx dept est fig jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur "
    "thurs fri sat sun ca cf al min max tel ext xt mt ft vol pp ph ref attn re fw fwd"
)
_TIME_ABBR = frozenset({"a.m", "p.m", "am", "pm"})
_NOT_AFTER_TIME = _words(
    "monday tuesday wednesday thursday friday saturday sunday est edt cst cdt mst mdt pst pdt gmt utc "
    "cet et ct pt mt"
)
_BULLET_RE = re.compile(r"[ \t]*(?:[-*•·▪◦‣>]|\d{1,2}[.)]|[a-z][.)]|\(\w{1,2}\))[ \t]+")
# A boundary starts at the first mark of a run ("?!", "..."): trying every later mark of a long run again
# would cost the square of its length (issue 10); a later start would end at the same place anyway.
_BOUNDARY_RE = re.compile(r"(?<![.!?])[.!?]++[\"')\]]*+[ \t\n]+")
_WORD_BEFORE_RE = re.compile(r"([\w.]+)$")
_LINE_END_PUNCT = (".", "!", "?", ":", ";")
_SHORT_LINE = 45


def _units(text: str) -> list[str]:
    """Join wrapped lines back into paragraphs; bullets, short lines and blank lines end a unit."""
    units: list[str] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            if current:
                units.append(" ".join(current))
                current = []
            continue
        if current and (_BULLET_RE.match(raw) or _ends_unit(current[-1], line)):
            units.append(" ".join(current))
            current = []
        current.append(line)
    if current:
        units.append(" ".join(current))
    return units


def _ends_unit(previous: str, line: str) -> bool:
    if previous.endswith(_LINE_END_PUNCT):
        return True
    starts_upper = line[0].isupper() or line[0].isdigit()
    return starts_upper and (len(previous) < _SHORT_LINE or previous.endswith(","))


def _is_boundary(unit: str, punct: int, nxt: int) -> bool:
    """Whether the punctuation at ``punct`` (followed by whitespace up to ``nxt``) ends a sentence."""
    marks = unit[punct:nxt]
    if nxt >= len(unit):
        return True
    head = unit[nxt]
    if "?" in marks or "!" in marks:
        return not head.islower()  # "Yahoo! mail", "ACT! after your trial"
    if not (head.isupper() or head.isdigit() or head in "\"'(["):
        return False
    m = _WORD_BEFORE_RE.search(unit, max(0, punct - 24), punct)
    if m is None:
        return True
    word = m.group(1).lower().rstrip(".")
    if word in _TIME_ABBR:
        following = unit[nxt : nxt + 12].split(" ", 1)[0].strip(",.").lower()
        return following not in _NOT_AFTER_TIME
    if word == "no":
        return not head.isdigit()
    if word in _ABBREVIATIONS:
        return False
    # An initial ("J. Smith") or a dotted abbreviation we do not know ("N.Y.").
    return not ((len(word) == 1 and word.isalpha()) or ("." in word and len(word) <= 6))


def sentences(text: str) -> list[str]:
    """Split author text into sentences; robust to abbreviations, decimals, bullets and wrapped lines."""
    return list(_split(text))


# A pass asks several readings of one message's author text in a row (questions, offer, order, chase, promises,
# greeting): each text is split once (issue 11). The split is a pure function of the text.
@functools.lru_cache(maxsize=8)
def _split(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for unit in _units(text):
        start = 0
        for m in _BOUNDARY_RE.finditer(unit):
            if _is_boundary(unit, m.start(), m.end()):
                piece = unit[start : m.end()].strip()
                if piece:
                    out.append(piece)
                start = m.end()
        rest = unit[start:].strip()
        if rest:
            out.append(rest)
    return tuple(out)
