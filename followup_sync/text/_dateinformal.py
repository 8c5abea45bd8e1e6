"""Informal spellings in the due-date grammar: "tmrw", "nxt wk", "thrusday", "b4 fri" read as the words meant.

``normalise`` rewrites them before any atom is read, and returns the text it rewrote with a map back to the
written text, so that a due's span still points at what the rep wrote. Abbreviations the atoms already know
("weds", "thurs", "eow", "cob", "10ish", "noonish") are not rewritten here. Conventions: docs/dates.md.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

# Each written form -> the word the grammar reads. Typos are the common ones of each word (a missing or doubled
# letter, two letters swapped); a word that is also an ordinary word ("mo", "eve", "aft") is left alone.
_FORMS: dict[str, tuple[str, ...]] = {
    "tomorrow": (
        "tmrw", "tmr", "tmw", "tmrow", "tmrrw", "tmro", "2moro", "2morow", "2morro", "2mrw", "2mro", "tomoz",
        "tomorow", "tommorow", "tommorrow", "tomorrrow", "tomorroe", "tomrrow", "tomrow", "tomrw", "tomm", "tomo",
        "tmorrow", "tomrorow", "tomorro", "tommorw",
    ),
    "today": ("2day", "tdy"),
    "tonight": ("2nite", "2night", "tonite", "tonigt"),
    "next": ("nxt", "nxet", "enxt"),
    "week": ("wk", "wek", "weeek"),
    "weeks": ("wks", "weks"),
    "weekend": ("wkend", "wknd", "wkd", "weekned"),
    "month": ("mth", "mnth", "mnt", "monht"),
    "months": ("mths", "mnths"),
    "year": ("yr",),
    "years": ("yrs",),
    "before": ("b4", "bfr", "befor", "beofre"),
    "until": ("til", "'til", "untill", "unitl"),
    "monday": ("mondy", "monady", "mnday", "mondya"),
    "tuesday": ("tuseday", "teusday", "tuesay", "tusday", "tueday", "tuesdy"),
    "wednesday": (
        "wensday", "wendsday", "wednsday", "wedensday", "wednesay", "wedsday", "wednessday", "wedenesday",
        "wednseday", "wendesday", "wednedsay", "wedneday", "wednesdy",
    ),
    "thursday": ("thrusday", "thursay", "thurday", "thusday", "thurdsay", "thrursday", "thursdy", "thirsday"),
    "friday": ("firday", "fridy", "frday", "friady", "fridya"),
    "saturday": ("satuday", "saturady", "saterday"),
    "sunday": ("sundy", "sundya"),
    "morning": ("morn", "mornin", "moring", "mornign"),
    "afternoon": ("arvo", "aftn", "afternon", "aftrnoon"),
    "evening": ("evenin", "evning"),
    "night": ("nite",),
    "thanksgiving": ("thxgiving", "thanksgivng", "tgiving", "thanksgving", "thanksgiveing"),
    "holidays": ("hols",),
    "later": ("l8r",),
    "couple": ("cpl", "coupla"),
    "first": ("1st", ),
    "yesterday": ("yday", "yest", "ystrdy", "yesterdy"),
    "quarter": ("qtr", "qrtr"),
    "the week of": ("w/c",),
    "within": ("w/in", "w/i", "wthin", "withing"),
}  # fmt: skip
_WORD = {form: word for word, forms in _FORMS.items() for form in forms if form != "1st"}
_WORD["1st thing"] = "first thing"
_GATE = frozenset(form.split()[0] for form in _WORD)
_SPACES = str.maketrans({c: " " for c in '!"#$%&()*+,-.:;<=>?@[\\]^_`{|}~\t\n\r'})
_INFORMAL_RE = re.compile(
    r"(?<![\w'/])(?:" + "|".join(re.escape(f) for f in sorted(_WORD, key=len, reverse=True)) + r")(?![\w'/])",
    re.IGNORECASE,
)


def normalise(text: str) -> tuple[str, Callable[[int, int], tuple[int, int]]]:
    """The text with informal forms spelled out, and a map of a span in it back to the written text."""
    if _GATE.isdisjoint(text.lower().translate(_SPACES).split()):
        return text, lambda start, end: (start, end)  # the common case, in a few microseconds
    found = list(_INFORMAL_RE.finditer(text))
    if not found:
        return text, lambda start, end: (start, end)
    parts: list[str] = []
    new_starts: list[int] = []  # where each rewritten word starts in the new text
    spans: list[tuple[int, int, int]] = []  # (new end, old start, old end)
    pos = shift = 0
    for m in found:
        word = _WORD[m.group().lower()]
        if m.group()[0].isupper():
            word = word[0].upper() + word[1:]
        parts += [text[pos : m.start()], word]
        new_starts.append(m.start() + shift)
        shift += len(word) - len(m.group())
        spans.append((m.start() + shift + len(m.group()), m.start(), m.end()))
        pos = m.end()
    parts.append(text[pos:])

    def back(p: int, *, end: bool) -> int:
        i = bisect.bisect_right(new_starts, p if not end else p - 1) - 1
        if i < 0:
            return p
        new_end, old_start, old_end = spans[i]
        if p < new_end or (end and p == new_end):
            return old_end if end else old_start  # inside a rewritten word
        return p - (new_end - old_end)

    return "".join(parts), lambda start, end: (back(start, end=False), back(end, end=True))
