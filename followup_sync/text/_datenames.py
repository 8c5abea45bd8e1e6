"""Days and dates written as the name of a thing ("the Tuesday crew", "the 9/11 memorial"): no due of their own.

Helpers for the atom handlers of ``_dateatoms`` (weekdays, numeric dates) and for the grouping in ``dates``.
Conventions: docs/dates.md "Never a due date".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from followup_sync.text import _datepatterns as pat

if TYPE_CHECKING:
    from followup_sync.text._dateatoms import Ctx

# "Friday's call" names a day only after a word that looks ahead to it ("before Friday's call", "for Monday's
# review"); elsewhere ("Tuesday's meeting went well", "re Monday's call") it is as often the past: no due.
POSSESSIVE_BEFORE_RE = re.compile(
    r"\b(?:before|ahead\s+of|prior\s+to|in\s+time\s+for|for|at|during|until|till|by|after)\s+$", re.I
)
# ... or when the event's time follows ("Friday's call at 3 works", "the Tuesday game's at 7:30").
POSSESSIVE_TIME_AFTER_RE = re.compile(
    r"\s++(?:[a-z]+(?:['’]s)?\s++){1,2}?(?:is\s++|will\s+be\s++)?(?:at|@)\s*+(?:\d|noon)", re.I
)

# A day used as the name of a thing ("the Tuesday crew", "our Monday numbers", "the 9/11 memorial") is no due
# of its own; like "Friday's call" it names a day only after a word that looks ahead or with its event's time
# ("before the Friday call", "the Tuesday demo at 10"). Not "the Friday after next", "the Friday before Easter".
# Also compounds and pairs: "their Monday-morning report", "the Tuesday and Thursday crews".
_NAMING_BEFORE_RE = re.compile(
    r"\b(?:the|our|your|their|my|his|her|its|a|an)\s+(?:[a-z]+\s*+(?:and|or|&|/)\s*+)?$", re.I
)
_NAMING_AFTER_RE = re.compile(rf"(?:-[a-z]+|\s*+(?:and|or|&|/)\s*+{pat._WD_NAME})?\s++([a-z]+)\b(?![/:-])", re.I)
_NOT_A_NOUN = frozenset(
    """
    after before of following prior at around morning morn afternoon evening night noon midday lunch am pm and or
    to through thru till until is was works work would will could should suits suit the in on for week weekend
    fortnight then if that this next as it we i you by from but so too please latest
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# An event the sentence looks ahead to is on that day: "I'll join the Friday call", "let's use the Thursday slot".
_EVENT_NOUNS = frozenset(
    """
    call meeting meet demo session review visit webinar lunch dinner breakfast coffee kickoff kick-off check-in
    sync standup stand-up presentation workshop interview appointment slot walkthrough training deadline cutoff
    pickup conference huddle catch-up briefing tour inspection audit install installation onboarding launch
    event trip flight date target
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
_NUMPAIR_RE = re.compile(r"(?<![\d/.#$-])\d{1,2}/\d{1,2}(?![\d/])")


def _noun_after(ctx: Ctx, start: int, end: int) -> str | None:
    after = _NAMING_AFTER_RE.match(ctx.masked, end)
    det = _NAMING_BEFORE_RE.search(ctx.masked[max(0, start - 30) : start])
    if after is None or det is None or after.group(1).lower() in _NOT_A_NOUN:
        return None
    return after.group(1).lower()


def modifies_a_noun(ctx: Ctx, start: int, end: int) -> bool:
    """ "the Tuesday demo", "our Monday numbers": a day or date between a determiner and a noun."""
    return _noun_after(ctx, start, end) is not None


def _looked_ahead_to(ctx: Ctx, start: int) -> bool:
    """ "before the Friday call", "by the 3/31 deadline": a word before the determiner looks ahead to the day."""
    before = ctx.masked[max(0, start - 40) : start]
    det = _NAMING_BEFORE_RE.search(before)
    return POSSESSIVE_BEFORE_RE.search(before[: det.start()] if det else before) is not None


def names_a_thing(ctx: Ctx, start: int, end: int) -> bool:
    """True for a day or date written as a modifier of a noun, with nothing that makes it the day of a due."""
    noun = _noun_after(ctx, start, end)
    if noun is None or (noun in _EVENT_NOUNS and pat.FUTURE_RE.search(ctx.text)):
        return False
    return not _looked_ahead_to(ctx, start) and not POSSESSIVE_TIME_AFTER_RE.match(ctx.masked, end)


def listed_with_a_name(ctx: Ctx, m: re.Match[str]) -> bool:
    """ "the 10/20 clamps, not the 12/22": after a pair that names a thing, a pair after a determiner is
    another of its kind."""
    if _NAMING_BEFORE_RE.search(ctx.masked[max(0, m.start() - 40) : m.start()]) is None:
        return False
    if _looked_ahead_to(ctx, m.start()):
        return False
    return any(names_a_thing(ctx, p.start(), p.end()) for p in _NUMPAIR_RE.finditer(ctx.masked, 0, m.start()))


# A day or month in the name of a place ("17 Friday Street", "Monday Road", "12 May Street", "Friday Harbor")
# is an address; the place word is capitalised, as names are.
_PLACE_AFTER_RE = re.compile(
    r"""\s++(?:Street|St\b\.?|Road|Rd\b\.?|Avenue|Ave\b\.?|Lane|Ln\b\.?|Drive|Dr\b\.?|Boulevard|Blvd\b\.?|Way|Place
    |Pl\b\.?|Court|Ct\b\.?|Square|Sq\b\.?|Crescent|Cres\b\.?|Terrace|Parade|Highway|Hwy\b\.?|Harbou?r|Island|Plaza
    |Mall|Station|Bridge|Hill|Park|Gardens|Estate|Wharf|Quay)\b""",
    re.VERBOSE,
)


def in_a_place_name(ctx: Ctx, start: int, end: int) -> bool:
    """True for a span that ends in a capitalised day or month name followed by a street or place word."""
    last = ctx.masked[start:end].split()[-1:] or [""]
    return last[0][:1].isupper() and last[0].isalpha() and _PLACE_AFTER_RE.match(ctx.masked, end) is not None


# "TX-1115-EOD", "EOD-2291", "OPS-118-EOW": an abbreviation hyphen-joined to a code with digits is the code's.
_ABBREVIATION_RE = re.compile(r"(?:eo[dbwmqy]|cob)", re.I)
_CODE_BEFORE_RE = re.compile(r"[A-Za-z0-9]*\d[A-Za-z0-9]*-$")
_CODE_AFTER_RE = re.compile(r"-[A-Za-z0-9]*\d")


def in_a_code(ctx: Ctx, start: int, end: int) -> bool:
    """True for EOD, COB, EOW ... written as part of a code with digits."""
    return _ABBREVIATION_RE.fullmatch(ctx.text, start, end) is not None and (
        _CODE_BEFORE_RE.search(ctx.text, max(0, start - 24), start) is not None
        or _CODE_AFTER_RE.match(ctx.text, end) is not None
    )
