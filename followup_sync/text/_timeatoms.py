"""The time-of-day atoms of the due-date grammar: clock times, parts of the day, EOD/COB and zones.

Same contract as ``_dateatoms``: one handler per pattern of ``_datepatterns``, a regex match in, an ``Atom``
(or ``None`` to reject the match) out. Conventions: docs/dates.md.
"""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

from followup_sync.text import _datepatterns as pat
from followup_sync.text._dateatoms import Atom, Ctx, deadline_cue


def on_eod(ctx: Ctx, m: re.Match[str]) -> Atom:
    eod = ctx.opts.end_of_day
    # "at the end of the day" is an idiom; "by the end of the day" or "end of the day Friday" is a time.
    idiom = " the " in m.group().lower() and not deadline_cue(ctx, m.start(), m.end())
    return Atom("time", m.start(), m.end(), part=(eod, eod), deadline=True, needs_partner=idiom)


# What may follow a bare number read as a clock time ("at 2.", "at 1430 tomorrow", "by 5 your time"), so that
# "at 3 locations", "by 1600 units" or "five to ten days" are not times.
_TAIL_OK_RE = re.compile(
    r"""\s*+(?:[,.;:!?)\]]|$|[-–—](?!\w|\s*\d)|(?:on|at|tomorrow|tmrw|today|tonight|then|and|or|if|to|for|your|my
    |our|his|her|their|in|this|next|sharp|works?|is|it|ok|okay|with|when|latest|local|time|hrs?|hours|h|please|pls
    |instead|again|too|so|as|we|i|you|let|lets|let's|ish|am|pm|re|about|regarding|via|by|unless|a\.m|p\.m|eastern
    |suits?|sounds?|good|fine|great|would|could|should|will|can|does|best|better|then
    |once|before|after|while|until|till|because|since|whenever|provided|assuming|ahead
    |central|pacific|mountain|london|uk|new\s+york|houston|"""
    + pat._WD
    + r"|"
    + pat._ZONE_LOW
    + r""")\b)""",
    re.IGNORECASE | re.VERBOSE,
)
# Weekday names only ("Frimness", "months", "Sunshine" are not days).
_DAY_WORD = rf"(?:{pat._WD_NAME}\.?(?![\w'])|tomorrow|tmrw|today|tonight)"
_DAY_BEFORE_RE = re.compile(rf"\b{_DAY_WORD},?\s*+(?:at\s+|@\s*)?$", re.IGNORECASE)
_SPLIT_MODIFIER_RE = re.compile(rf"\b(early|late|mid)\s+(?:on\s+)?{_DAY_WORD}\s+$", re.IGNORECASE)
_DAY_AFTER_RE = re.compile(rf"\s*+,?\s*+(?:on\s+|this\s+|next\s+)?{_DAY_WORD}(?!\w)", re.IGNORECASE)
_WORD_MINUTES = {"five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty five": 25, "thirty": 30,
                 "forty": 40, "forty five": 45, "fifty": 50, "fifty five": 55, "half": 30, "quarter": 15,
                 "a quarter": 15, "oh five": 5, "o five": 5, "ofive": 5, "ohfive": 5}  # fmt: skip


def _tail_ok(ctx: Ctx, end: int) -> bool:
    return _TAIL_OK_RE.match(ctx.masked, end) is not None


def _by_a_day(ctx: Ctx, start: int, end: int) -> bool:
    """ "Tuesday 1300", "1300 on Tuesday", "tomorrow 0730": a bare number next to a day word."""
    return bool(_DAY_BEFORE_RE.search(ctx.masked[max(0, start - 16) : start])) or bool(
        _DAY_AFTER_RE.match(ctx.masked, end)
    )


def _words(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


# Numbers that only look like clock times, by what stands next to them: a time joined to a word by a hyphen
# names a product ("the 2pm-series adapters", not "2pm-ish"); "1:12 scale", "a 4:1 ratio" are ratios; a dotted
# number that a market word, a quantity or a price unit stands next to is a price ("gas is at 2.15", "we moved
# 10,000 a day at 4.10", "freight is 1.30 a mile"), while "I'll call at 10.15 about the price" keeps its time.
_CODE_AFTER_RE = re.compile(r"-(?!\s*+ish\b)[a-z]", re.I)
_RATIO_AFTER_RE = re.compile(r"\s*+(?:scale|ratio|odds|split|mix|mixture|leverage|aspect|return|margin)\b", re.I)
_RATIO_BEFORE_RE = re.compile(r"\b(?:ratio|odds|split|mix|mixture|leverage)\s+(?:of|is|was|at|are|were)\s+$", re.I)
PRICE_CUE_RE = re.compile(
    r"""\b(?:trad(?:ed|es|ing)|settl(?:ed|es|ing|ement)|bid|offer(?:ed|s)?|pric(?:e|es|ed)|sold|bought|paid|pay|costs?
    |closed|opened|index|basis|spread|gas|crude|diesel|power|corn|wheat|soybeans?|cash|nymex|brent|wti|hub|futures)\b""",
    re.I | re.VERBOSE,
)
_PRICE_BEFORE_RE = re.compile(
    rf"""(?:{PRICE_CUE_RE.pattern})(?:\s+[\w']+){{0,3}}?\s+(?:(?:at|is|of|was|to|for|around|about)\s+)?$
    |\b\d[\d,]*\s+(?:a|per)\s+(?:day|month|week|unit|ton|barrel)\s+at\s+$|\b(?:minus|plus)\s+$""",
    re.I | re.VERBOSE,
)
_PRICE_AFTER_RE = re.compile(
    r"""\s*+(?:per|each|apiece|delivered|flat|firm|fixed|mmbtu|bbl|mwh|kwh|cents|/\s*+[a-z]+|a\s+(?:gallon|barrel
    |bushel|mile|ton|unit|share|seat|piece|head|pound|lb|case|pallet|day|month|therm)
    |for\s+(?:the\s+)?(?:balance|rest|remainder)\s+of)\b""",
    re.I | re.VERBOSE,
)


def _looks_like_a_time_only(ctx: Ctx, m: re.Match[str]) -> bool:
    text = m.group()
    if _CODE_AFTER_RE.match(ctx.masked, m.end()):
        return True
    before = ctx.text[max(0, m.start() - 40) : m.start()]
    if ":" in text and (_RATIO_AFTER_RE.match(ctx.masked, m.end()) or _RATIO_BEFORE_RE.search(before)):
        return True
    if re.search(r"\d\.[0-5]\d", text) is None or re.search(r"[ap]\.?m|o'?clock", text, re.I):
        return False
    start = m.start() + re.search(r"\d", text).start()  # type: ignore[union-attr]
    return bool(
        _PRICE_BEFORE_RE.search(ctx.text[max(0, start - 40) : start]) or _PRICE_AFTER_RE.match(ctx.masked, m.end())
    )


def on_clock(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    g = m.groupdict()
    if _looks_like_a_time_only(ctx, m):
        return Atom("ignore", m.start(), m.end())  # and its neighbours: "gas is at 2.15 today"
    if g["noon"] or g["midnight"]:
        clock = time(12, 0) if g["noon"] else time(23, 59)
        return Atom("time", m.start(), m.end(), clock=clock, meridiem="24h")
    if g["r1"]:
        return _range(ctx, m)
    if g["h"]:
        ap = g["ap"] if "o" not in g["ap"].lower() else None
        return _clock_atom(m.start(), m.end(), int(g["h"]), int(g["m"] or 0), ap)
    if g["hh"]:
        hour, minute = int(g["hh"]), int(g["mm"])
        if g["hh"].startswith("0"):
            return Atom("time", m.start(), m.end(), clock=time(hour, minute), meridiem="24h")
        return _clock_atom(m.start(), m.end(), hour, minute, None)
    if g["mil"]:
        return _digits(m.start("mil"), m.end(), g["mil"])
    if g["hc"]:
        return _after_preposition(ctx, m)
    if g["cd"]:
        text = g["cd"]
        if not _by_a_day(ctx, m.start(), m.end()) or _year_like(text) or not _tail_ok(ctx, m.end()):
            return None
        return _digits(m.start(), m.end(), text)
    if g["qp"]:
        return _worded(ctx, m)
    if g["hp"]:
        return _clock_atom(m.start(), m.end(), int(g["hp"]), 0, None)
    if g["ish"]:
        return _clock_atom(m.start(), m.end(), int(g["ish"]), 0, None)
    if g["hb"]:
        return _half_hour(ctx, m)
    word, minutes = (g["hw"], g["hwm"]) if g["hw"] else (g["hw2"], g["hw2m"])
    hour = pat.NUMBER_WORDS[word.lower()]
    minute = _WORD_MINUTES.get(_words(minutes), -1) if minutes else 0
    ap = g["hwap"] if g["hwap"] and "o" not in g["hwap"].lower() else None
    if g["hw2"] and (not _tail_ok(ctx, m.end()) or pat.UNIT_AFTER_RE.match(ctx.masked, m.end())):
        return None  # "at two or three places"; "about two hours" is how long
    return _clock_atom(m.start("hw") if g["hw"] else m.start("hw2"), m.end(), hour, minute, ap)


def _range(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    """ "2-3pm", "between 4 and 6", "1:00-2:30" (then a day): the start, with the end's am/pm if only it has it."""
    g = m.groupdict()
    hour, minute, end_hour = int(g["r1"]), int(g["r1m"] or 0), 12 if g["r2noon"] else int(g["r2"])
    ap = g["r1ap"] or g["r2ap"] or ("am" if g["r2noon"] and hour < 12 else None)  # "10 to noon"
    # "4-5" alone is a count ("4-5 days"); with "between"/"from" or next to a day it is a time
    by_a_part = pat.PART_NEXT_RE.match(ctx.masked, m.end()) is not None
    if not (ap or g["r1m"] or g["r2m"] or g["rprep"] or by_a_part or _by_a_day(ctx, m.start(), m.end())):
        return None
    if not ap and not by_a_part and not _tail_ok(ctx, m.end()):
        return None
    if end_hour > 23 or hour > 23:
        return None
    if not g["r1ap"] and g["r2ap"] and hour > end_hour and hour < 12:
        ap = "am"  # "11-1pm"
    start = m.start("r1")
    return _clock_atom(start, m.end(), hour, minute, ap)


# What may follow a British "half two" with no preposition before it: the end of the clause or a day.
_HALF_TAIL_RE = re.compile(
    rf"""\s*+(?:[,.;!?]|$|(?:on|tomorrow|tmrw|today|tonight|this|next|then|sharp|works?|suits?|ok|okay|your|my
    |uk|london|bst|gmt|{pat._WD})\b)""",
    re.IGNORECASE | re.VERBOSE,
)


def _half_hour(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    """ "at half two", "half 10 on Monday": British for half past, read by the am/pm convention."""
    hb = m.group("hb").lower()
    hour = int(hb) if hb.isdigit() else pat.NUMBER_WORDS[hb]
    tail = _tail_ok if m.group("hbprep") else lambda ctx, end: _HALF_TAIL_RE.match(ctx.masked, end) is not None
    if not 1 <= hour <= 12 or not tail(ctx, m.end()):
        return None
    return _clock_atom(m.start("hb") - 5, m.end(), hour, 30, None)


def _after_preposition(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    """ "at 2", "at 1430", "@ 215", "by 10.45": a number after at/by/around/...; its tail must read as a time."""
    g = m.groupdict()
    digits = g["hc"] + (g["hcm"] or "")
    colon = g["csep"] == ":"
    prep = g["cprep"].lower()
    ap = g["hcap"]
    if ap:
        return _digits_ap(m.start("hc"), m.end(), digits, ap)
    if not g["hcm"] and re.match(r"\s*+(?:hours?|hrs?|h)\b", ctx.masked[m.end() :], re.I):
        return None  # "about 3 hours" is how long; "at 1600 hrs" has its minutes
    if ctx.masked[m.end() : m.end() + 1] == ")" and "(" not in ctx.masked[max(0, m.start() - 24) : m.start()]:
        return None  # "from 1) killing the deal and 2) ...": a list's numbers
    if not colon:
        zone_or_hours = re.match(r"\s*+(?:hrs?|hours|h|" + pat._ZONE_LOW + r")\b", ctx.masked[m.end() :], re.I)
        if _year_like(digits) and prep not in ("at", "@") and not zone_or_hours:
            return None  # "by 2030" is a year
        if not _tail_ok(ctx, m.end()):
            return None
    return (
        _digits(m.start("hc"), m.end(), digits)
        if g["hcm"]
        else _clock_atom(m.start("hc"), m.end(), int(g["hc"]), 0, None)
    )


def _worded(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    """ "half past two", "quarter past 10am", "twenty to four", "five past one": the clock time, then am/pm."""
    g = m.groupdict()
    qh = g["qh"].lower()
    hour = 12 if qh == "noon" else 0 if qh == "midnight" else int(qh) if qh.isdigit() else pat.NUMBER_WORDS[qh]
    qp = _words(g["qp"])
    minute = int(qp) if qp.isdigit() else _WORD_MINUTES.get(qp, -1)
    if not 0 < minute < 60 or hour > 23:
        return None
    to = g["qdir"].lower() != "past" and g["qdir"].lower() != "after"
    if to and "quarter" not in qp and not (g["qprep"] or g["qap"] or _by_a_day(ctx, m.start(), m.end())):
        return None  # "five to ten" is as often a count as a time
    if not g["qap"] and not _tail_ok(ctx, m.end()):
        return None
    start = m.start("qp")
    if g["qap"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if g["qap"].lower().startswith("p") else 0)
        if to:
            hour, minute = (hour - 1) % 24, 60 - minute
        return Atom("time", start, m.end(), clock=time(hour, minute), meridiem="24h")
    if to:
        hour, minute = (hour - 1) % 24 or 12, 60 - minute  # "ten to one" is 12:50
    return _clock_atom(start, m.end(), hour, minute, None)


def _digits_ap(start: int, end: int, digits: str, ap: str) -> Atom | None:
    hour, minute = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
    return _clock_atom(start, end, hour, minute, ap)


def _year_like(digits: str) -> bool:
    return len(digits) == 4 and digits[:2] in ("19", "20")


def _digits(start: int, end: int, text: str) -> Atom | None:
    """ "1430", "0945", "2.15", "16:00": hour then minutes; a leading zero is a 24-hour clock."""
    digits = text.replace(".", "").replace(":", "")
    hour, minute = int(digits[:-2]), int(digits[-2:])
    if digits.startswith("00") and "." not in text and ":" not in text:
        return None  # "from 0007", "#0030": a code, not minutes past midnight
    if digits.startswith("0") and len(digits) == 4:
        return (
            Atom("time", start, end, clock=time(hour, minute), meridiem="24h")
            if hour < 24 and minute < 60
            else None
        )
    return _clock_atom(start, end, hour, minute, None)


def _clock_atom(start: int, end: int, hour: int, minute: int, ap: str | None) -> Atom | None:
    if hour > 23 or minute > 59:
        return None
    meridiem = None
    if ap:
        if hour > 12 or hour == 0:
            return None
        meridiem = "pm" if ap.lower().startswith("p") else "am"
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif hour > 12 or hour == 0:
        meridiem = "24h"
    return Atom("time", start, end, clock=time(hour, minute), meridiem=meridiem)


_PARTS = {"morning": ("morning", 12), "afternoon": ("afternoon", 17), "evening": ("evening", 21)}
_PARTS["night"] = ("evening", 23)


def on_part(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    g = m.groupdict()
    o = ctx.opts
    if g["first"]:
        return Atom("time", m.start(), m.end(), part=(o.first_thing, time(10, 0)))
    if g["lprep"] or g["lt"]:
        after = (g["lprep"] or "").lower() == "after"
        return Atom("time", m.start(), m.end(), part=(time(13, 0), time(14, 0)) if after else (time(12), time(14)))
    if g["apx"]:
        if g["apx"].islower() and not _DAY_BEFORE_RE.search(ctx.masked[max(0, m.start() - 16) : m.start()]):
            return None  # "am" is a word; lower-case "am"/"pm" only right after a day ("fri am", "tmrw pm")
        pm = g["apx"].lower().startswith("p")
        return Atom("time", m.start(), m.end(), part=(o.afternoon, time(17)) if pm else (o.morning, time(12)),
                     needs_partner=True)  # fmt: skip
    if g["ap2"] or g["pin"]:
        # "this AM", "later this p.m.", "in the a.m.": as "this morning", "this afternoon", "in the morning"
        pre = "this" if g["ap2"] else "in the"
        name, end_hour = _PARTS["afternoon" if (g["ap2"] or g["pinap"]).lower().startswith("p") else "morning"]
    else:
        pre = (g["ppre"] or "").lower()
        name, end_hour = _PARTS[g["pp"].lower()]
        # "early tomorrow morning", "late Friday afternoon": the modifier stands before the day.
        split = _SPLIT_MODIFIER_RE.search(ctx.masked, max(0, m.start() - 24), m.start())
        pre = split.group(1).lower() if split and not pre else pre
    begin: time = getattr(o, name)
    if pre.startswith("early"):
        begin = time(8) if name == "morning" else begin
    elif pre.startswith("late"):
        begin = {"morning": time(11), "afternoon": time(15), "evening": time(20)}[name]
    elif pre.startswith("mid"):
        begin = {"morning": time(10), "afternoon": time(15), "evening": time(19)}[name]
    elif pre.startswith("first"):
        return Atom("time", m.start(), m.end(), part=(o.first_thing, time(10, 0)))
    part = (begin, time(end_hour) if end_hour < 24 else time(23, 59))
    # "Good morning" is a greeting: a bare part of day needs a day ("Monday morning") or a "this"/"in the".
    return Atom("time", m.start(), m.end(), part=part, part_today=pre == "this", deadline=pre == "by",
                 needs_partner=not pre)  # fmt: skip


def on_zone(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    g = m.groupdict()
    if g["zyour"]:
        return Atom("zone", m.start(), m.end(), needs_partner=True)
    key = (g["zab"] or g["zlow"] or g["zus"] or g["zcity"] or "").lower()
    key = re.sub(r"\s+", " ", key)
    name = pat.ZONE_NAMES.get(key)
    if name is None:
        return None
    return Atom("zone", m.start(), m.end(), zone=ZoneInfo(name), needs_partner=True)
