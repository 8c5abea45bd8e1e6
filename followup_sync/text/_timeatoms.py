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


def on_clock(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    g = m.groupdict()
    if g["noon"] or g["midnight"]:
        clock = time(12, 0) if g["noon"] else time(23, 59)
        return Atom("time", m.start(), m.end(), clock=clock, meridiem="24h")
    start = m.start()
    if g["r1"]:
        hour, minute, ap = int(g["r1"]), int(g["r1m"] or 0), g["r1ap"] or g["r2ap"]
        if not g["r1ap"] and hour > int(g["r2"]) and hour < 12:
            ap = "am"  # "11-1pm"
    elif g["h"]:
        hour, minute, ap = int(g["h"]), int(g["m"] or 0), g["ap"]
        if "o" in ap.lower():
            ap = None
    elif g["mil"]:
        hour, minute, ap = int(g["mil"][:-2]), int(g["mil"][-2:]), None
    elif g["hh"]:
        hour, minute, ap = int(g["hh"]), int(g["mm"]), None
        if g["hh"].startswith("0"):
            return Atom("time", start, m.end(), clock=time(hour, minute), meridiem="24h")
    elif g["ha"]:
        hour, minute, ap, start = int(g["ha"]), 0, None, m.start("ha")
    elif g["hw"] or g["hw2"]:
        word = (g["hw"] or g["hw2"]).lower()
        hour = pat.NUMBER_WORDS[word]
        minute = pat.NUMBER_WORDS[g["hwm"].lower()] if g["hwm"] else 0
        ap = g["hwap"] if g["hwap"] and "o" not in g["hwap"].lower() else None
        start = m.start("hw") if g["hw"] else m.start("hw2")
    else:
        qh = g["qh"].lower()
        hour = int(qh) if qh.isdigit() else pat.NUMBER_WORDS[qh]
        minute = 30 if g["qp"].lower() == "half" else 15
        if g["qdir"].lower() == "to":
            hour, minute = (hour - 1) % 24, 45
        ap = None
    return _clock_atom(start, m.end(), hour, minute, ap)


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
        pm = g["apx"].lower().startswith("p")
        return Atom("time", m.start(), m.end(), part=(o.afternoon, time(17)) if pm else (o.morning, time(12)),
                     needs_partner=True)  # fmt: skip
    pre = (g["ppre"] or "").lower()
    name, end_hour = _PARTS[g["pp"].lower()]
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
    key = (g["zab"] or g["zus"] or g["zcity"] or "").lower()
    key = re.sub(r"\s+", " ", key)
    name = pat.ZONE_NAMES.get(key)
    if name is None:
        return None
    return Atom("zone", m.start(), m.end(), zone=ZoneInfo(name), needs_partner=True)
