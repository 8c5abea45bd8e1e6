"""A sentence's *shape*: its words with names, numbers, dates, times, amounts and addresses abstracted.

"Not a promise" on "I'll send Priya the revised pricing by Monday." teaches that this *kind* of sentence is not
a promise for this rep, so "I will send Tom the revised pricing by Friday." must be suppressed too, while
"I'll call you Thursday at 2pm." (other words) must not. The shape keeps every ordinary word, in order, lower
case, with contractions spelt out, and replaces what changes from one mail to the next:

======================  =========  ==============================================
what                    becomes    examples
======================  =========  ==============================================
e-mail, URL, domain     ``<addr>`` jane@acme.com, https://x.example/a, acme.com
day, date, time words   ``<when>`` Monday, tomorrow, next week, 3/18, 2pm, 14:00, EOD
number, amount          ``<num>``  250, $1,200, 15%, Q-2291, v2
capitalised word        ``<name>`` Priya, Acme, Contoso (not the first word, not "I")
======================  =========  ==============================================

Runs of one placeholder collapse to one ("next Monday at 2pm" is one ``<when>``), so a reworded date or an
added name does not make another shape. Pure; no I/O.
"""

from __future__ import annotations

import re

_CONTRACTIONS = {
    "i'll": "i will",
    "we'll": "we will",
    "i'd": "i would",
    "we'd": "we would",
    "i'm": "i am",
    "we're": "we are",
    "i've": "i have",
    "we've": "we have",
    "let's": "let us",
    "won't": "will not",
    "can't": "cannot",
    "don't": "do not",
    "it's": "it is",
    "that's": "that is",
    "you'll": "you will",
}
_WHEN_WORDS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
    r"|january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
    r"|today|tonight|tomorrow|tmrw|yesterday|morning|afternoon|evening|noon|midnight|eod|cob|eow|eom|asap"
    r"|week|weekend|month|quarter|year|day|days|weeks|months|hours|hour|minutes"
)
_TOKEN = re.compile(
    r"(?P<addr>[\w.+'-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|www\.\S+|\b[\w-]+\.(?:com|net|org|io|example|co\.uk)\b)"
    r"|(?P<time>\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b)"
    r"|(?P<date>\b\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b|\b\d{1,2}(?:st|nd|rd|th)\b)"
    r"|(?P<num>[$€£]?\d[\d,.]*%?|\b[a-z]{1,3}-?\d+\b)"
    r"|(?P<word>[^\W\d_][\w']*)",
    re.IGNORECASE,
)
_WHEN = re.compile(rf"(?:{_WHEN_WORDS})", re.IGNORECASE)
_FILLERS = frozenset({"next", "this", "the", "of", "at", "on", "by", "in", "a", "couple", "few", "end", "early",
                      "mid", "late", "before", "after", "until", "around"})  # fmt: skip


def shape(sentence: str) -> str:
    """The shape of ``sentence`` as a space-separated string (see the module docstring)."""
    tokens: list[str] = []
    first = True
    for m in _TOKEN.finditer(sentence.replace("’", "'")):
        kind = m.lastgroup
        text = m.group()
        if kind == "addr":
            tokens.append("<addr>")
        elif kind in ("time", "date"):
            tokens.append("<when>")
        elif kind == "num":
            tokens.append("<num>")
        else:
            low = text.lower()
            if _WHEN.fullmatch(low):
                tokens.append("<when>")
            elif text[:1].isupper() and not first and low != "i" and low not in _CONTRACTIONS:
                tokens.append("<name>")
            else:
                tokens.extend(_CONTRACTIONS.get(low, low).split())
        first = False
    return " ".join(_collapse(tokens))


def _collapse(tokens: list[str]) -> list[str]:
    """One placeholder per run: fillers between two ``<when>`` ("Monday at 2pm", "end of next week") join it."""
    out: list[str] = []
    pending: list[str] = []
    for tok in tokens:
        if tok == "<when>" and out and out[-1] == "<when>":
            pending = []
            continue
        if out and out[-1] == "<when>" and tok in _FILLERS:
            pending.append(tok)
            continue
        if tok == "<when>":
            while out and out[-1] in _FILLERS:
                out.pop()
        out.extend(pending)
        pending = []
        if not (out and out[-1] == tok and tok in ("<name>", "<num>", "<addr>")):
            out.append(tok)
    out.extend(pending)
    return out
