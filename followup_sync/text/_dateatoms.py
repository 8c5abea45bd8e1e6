"""The date atoms of the due-date grammar in ``text.dates``, and ``Atom`` itself.

Each ``on_<name>`` handler turns one match of the ``<name>`` pattern in ``_datepatterns`` into an ``Atom``
with the slots it fills (day, window, weekday, week, offset), resolved against the sent date; ``None``
rejects the match. Times of day are in ``_timeatoms``. Conventions: docs/dates.md.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from followup_sync import holidaycal
from followup_sync.holidaycal import Calendar
from followup_sync.text import _datecal as cal
from followup_sync.text import _datenames as names
from followup_sync.text import _datepatterns as pat

if TYPE_CHECKING:
    from followup_sync.text.dates import DateOptions


@dataclass
class Atom:
    """One resolved atom; an expression merges the slots of its atoms (date, clock, part, zone, delta)."""

    kind: str
    start: int
    end: int
    day: date | None = None
    day_end: date | None = None
    weekday: int | None = None  # a plain weekday, which yields to a concrete date or a week in its group
    week: date | None = None  # Monday of "next week" / "the week of", for "Tuesday next week"
    week_of: bool = False
    clock: time | None = None
    clock_end: time | None = None
    meridiem: str | None = None  # None when "at 2" left am/pm open
    part: tuple[time, time] | None = None  # part of day: (start, end)
    part_today: bool = False  # "this afternoon": the part is on the sent date
    zone: ZoneInfo | None = None
    delta: timedelta | None = None
    deadline: bool = False
    needs_partner: bool = False
    rolled: bool = False  # a month/day with no year that is past this year, so read as next year
    after: bool = False
    match: re.Match[str] | None = None  # set by text.dates: re-read in another zone ("Tuesday 10am pt")


@dataclass
class Ctx:
    sent: datetime
    today: date
    tz: ZoneInfo
    opts: DateOptions
    text: str
    masked: str

    @functools.cached_property
    def cal(self) -> Calendar:
        """The rep's calendar (business days, holidays): built, and the library loaded, only when a rule asks."""
        o = self.opts
        return holidaycal.calendar(o.country, o.subdivision if o.country else None, tuple(o.holidays))


# "come by", "swing by", "stop by": a visit, not a deadline ("I'll swing by tues pm").
_VISIT_BY_RE = re.compile(
    r"\b(?:come|comes|coming|stop|stops|stopping|swing|swings|swinging|drop|drops|dropping|pop|pops|popping)"
    r"\s+by\s+(?:the\s+)?$",
    re.I,
)


def deadline_cue(ctx: Ctx, start: int, end: int) -> bool:
    before = ctx.text[max(0, start - 40) : start]
    if _VISIT_BY_RE.search(before):
        return bool(pat.DEADLINE_AFTER_RE.match(ctx.text[end : end + 20]))
    return bool(pat.DEADLINE_BEFORE_RE.search(before) or pat.DEADLINE_AFTER_RE.match(ctx.text[end : end + 20]))


def on_ignore(ctx: Ctx, m: re.Match[str]) -> Atom:
    return Atom("ignore", m.start(), m.end())


def on_past(ctx: Ctx, m: re.Match[str]) -> Atom:
    return Atom("past", m.start(), m.end())


_DETERMINER_BEFORE_RE = re.compile(r"\b(?:the|our|your|their|my|his|her|its|this|that|a)\s+$", re.I)


def on_quarter(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    if _end_names_a_thing(ctx, m):
        return Atom("ignore", m.start(), m.end())
    mod = (m.group("qmod") or "").lower()
    rel = (m.group("qrel") or "").lower()
    year = ctx.today.year
    current = False
    if m.group("qn"):
        qn = m.group("qn").lower()
        quarter = (
            next(v for k, v in pat.ORDINAL_WORDS.items() if k in qn)
            if "quarter" in qn or "qtr" in qn
            else int(qn[1 if qn[0] == "q" else 0])
        )
        if m.group("qy") or m.group("qyrel"):
            year = (
                _year_of(m.group("qy"), ctx.today)
                if m.group("qy")
                else year + (m.group("qyrel").lower() == "next")
            )
            if cal.quarter_end(year, quarter) < ctx.today:
                return Atom("past", m.start(), m.end())
        elif cal.quarter_end(year, quarter) < ctx.today:
            year += 1
        current = cal.quarter_start(year, quarter) <= ctx.today
    else:
        quarter = cal.quarter_of(ctx.today)
        if "next" in rel:
            quarter, year = (1, year + 1) if quarter == 4 else (quarter + 1, year)
        elif not mod:
            mod = "end"  # "this quarter", "EOQ", "quarter-end"
    first, last = cal.quarter_start(year, quarter), cal.quarter_end(year, quarter)
    if "end" in mod or "late" in mod or (current and not mod):
        day = last  # "in Q3" said in August: as "this quarter"
    elif "mid" in mod:
        day = date(year, first.month + 1, 15)
    else:
        day = first
    # A bare quarter names a thing ("the Q3 forecast") unless a preposition or a year goes with it.
    # With a year too after a determiner ("the Q1 2028 rollout", "our Q2 '27 numbers") it is still a name.
    before = ctx.masked[max(0, m.start() - 16) : m.start()]
    bare = (
        m.group("qn") is not None
        and not mod
        and not _QPREP_RE.search(before)
        and not _QWHEN_AFTER_RE.match(ctx.masked, m.end())
        and (not (m.group("qy") or m.group("qyrel")) or _DETERMINER_BEFORE_RE.search(before) is not None)
    )
    return Atom("date", m.start(), m.end(), day=max(day, ctx.today), day_end=last if day != last else None,
                 needs_partner=bare)  # fmt: skip


# "year-end", "month-end", "quarter-end" naming a thing ("the year-end review is Friday") are no due.
_END_THING_RE = re.compile(
    r"[-\s](?:end|close)\s++(?:review|close|closing|report|reports|reporting|numbers|results|figures|audit|party|bonus"
    r"|bonuses|meeting|call|push|rush|process|inventory|evaluations?|statements?|forecast|accruals?|adjustments?"
    r"|entries|balance|balances|valuation|prices?|pricing|sales?|crunch|freeze|holidays?|break|function|dinner|lunch"
    r"|clean-?up|position|positions|P&L|pnl|marks?|book|books|volumes?|totals?)\b",
    re.I,
)


def _end_names_a_thing(ctx: Ctx, m: re.Match[str]) -> bool:
    low = m.group().lower()
    if not re.search(r"(?:year|month|quarter|qtr)[-\s]end$", low):
        return False
    return _END_THING_RE.match(ctx.masked, m.end() - 4) is not None


def on_year(ctx: Ctx, m: re.Match[str]) -> Atom:
    if _end_names_a_thing(ctx, m):
        return Atom("ignore", m.start(), m.end())
    if m.group("ythis"):
        return Atom("date", m.start(), m.end(), day=date(ctx.today.year, 12, 31))
    year = int(m.group("yy")) if m.group("yy") else ctx.today.year + ("next" in m.group().lower())
    day = date(year, 12, 31)
    return Atom("date", m.start(), m.end(), day=day, deadline="eoy" in m.group().lower())


def on_month(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    if _end_names_a_thing(ctx, m):
        return Atom("ignore", m.start(), m.end())
    mod = (m.group("mmod") or "").lower()
    low = m.group().lower()
    year, month = ctx.today.year, ctx.today.month
    rolled = False
    if "first of" in mod and not m.group("mname"):
        first = cal.last_day(year, month) + timedelta(days=1) if ctx.today.day > 1 else ctx.today
        return Atom("date", m.start(), m.end(), day=first)
    if m.group("mname"):
        name = m.group("mname")
        lower_may = name.lower() == "may" and name != "May" and not mod.endswith(("of", "in"))
        if lower_may or not (mod or _preposition_before(ctx, m.start())):
            return None  # "may" the verb; a bare month name ("March on") is not a date
        month = pat.MONTH_NAMES[name.lower().rstrip(".")]
        explicit = m.group("my")
        year = _year_of(explicit, ctx.today) if explicit else year
        rolled = not explicit and cal.last_day(year, month) < ctx.today
        year += rolled
    elif m.group("mrel") and ("next" in low or "following" in low):
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    elif m.group("mrel") and not mod:
        mod = "end"  # "this month", "later this month"
    elif not m.group("mrel"):
        mod = "eom"  # EOM, month-end
    day, _start, hi = _month_window(ctx, year, month, mod)
    if hi < ctx.today:
        return Atom("past", m.start(), m.end())
    return Atom("date", m.start(), m.end(), day=max(day, ctx.today), day_end=hi if hi != day else None,
                 deadline=mod == "eom", rolled=bool(m.group("mname")) and rolled)  # fmt: skip


def _month_window(ctx: Ctx, year: int, month: int, mod: str) -> tuple[date, date, date]:
    """(day, window start, window end) of a month phrase."""
    last = cal.last_day(year, month)
    if "week of" in mod:
        # "the first/second/... week of May" = days 1-7, 8-14, ...; "the last week of May" = its last 7 days.
        if "last" in mod:
            return last - timedelta(days=6), last - timedelta(days=6), last
        first = 1 + 7 * (next(v for k, v in pat.ORDINAL_WORDS.items() if k in mod) - 1)
        return date(year, month, first), date(year, month, first), date(year, month, first + 6)
    if "end" in mod or "late" in mod or "later" in mod or "last" in mod or mod == "eom":
        if ctx.opts.end_of_month == "business":
            last = cal.last_business_day_of(ctx.cal, year, month)
        return last, date(year, month, 21 if "late" in mod else 25), last
    if "mid" in mod or "middle" in mod:
        return date(year, month, 15), date(year, month, 11), date(year, month, 20)
    if "second half" in mod:
        return date(year, month, 16), date(year, month, 16), last
    if mod:
        return date(year, month, 1), date(year, month, 1), date(year, month, 10)
    return date(year, month, 1), date(year, month, 1), last


_MONDAY_OFF_RE = re.compile(
    r"\bmon(?:day)?(?:['’]s|\s+is)\s+(?:a\s+|also\s+a\s+)?(?:\w+\s+)?(?:holiday|day\s+off|off)\b"
    r"|\b(?:off|closed|out)\s+(?:on\s+)?mon(?:day)?\b(?!\s+(?:at|from|\d))",
    re.IGNORECASE,
)


# "the end of week report", "our end-of-week numbers": a week-end that names a thing.
_WEEK_THING_RE = re.compile(
    r"[-\s]+(?:reports?|numbers|figures|results|totals?|review|recap|summary|update|close|closing|meeting|call"
    r"|email|newsletter|inventory|count|push|rush)\b",
    re.I,
)


def on_week(ctx: Ctx, m: re.Match[str]) -> Atom:
    low = m.group().lower()
    mod = (m.group("wmod") or "").lower()
    if "end" in mod and _WEEK_THING_RE.match(ctx.masked, m.end()):
        return Atom("ignore", m.start(), m.end())
    monday = cal.monday_of(ctx.today)
    if m.group("wof"):
        return Atom("date", m.start(), m.end(), week_of=True, needs_partner=True)
    if m.group("wend"):
        sat = monday + timedelta(days=12 if "next" in low else 5)
        return Atom("date", m.start(), m.end(), day=sat, day_end=sat + timedelta(days=1))
    if "after next" in low:
        monday += timedelta(days=14)
    elif "next" in low or "coming" in low or "following" in low:
        monday += timedelta(days=7)
    if "eow" in low:
        mod = "end"
    elif "mid" in low and not m.group("wrel"):
        mod = "mid"
    within = mod == "within"
    if mod in ("in", "over", "during", "within", "sometime in", "some time in"):
        mod = ""  # "in the coming week" is the coming week
    elif mod in ("early in", "late in"):
        mod = mod.split()[0]
    rel_this = not (("next" in low) or "following" in low or "coming" in low)
    if "mid" in mod or "middle" in mod:
        day, hi = monday + timedelta(days=2), monday + timedelta(days=3)
    elif "end" in mod or "late" in mod:
        day, hi = monday + timedelta(days=4), monday + timedelta(days=4)
    elif mod:
        day, hi = monday, monday + timedelta(days=1)
    elif rel_this:
        day, hi = monday + timedelta(days=4), monday + timedelta(days=4)  # "this week" -> Friday
    else:
        day, hi = monday, monday + timedelta(days=4)
    if hi < ctx.today:
        day, hi = day + timedelta(days=7), hi + timedelta(days=7)
    if day == monday and day > ctx.today and _MONDAY_OFF_RE.search(ctx.text):
        # "early next week? Monday's a holiday here": the week starts on the Tuesday. Only when the sentence says
        # so: "next week" is its Monday even when that is a holiday (the labels of every blind set).
        day = min(day + timedelta(days=1), hi)
    week = monday if not mod else None
    return Atom("date", m.start(), m.end(), day=max(day, ctx.today), day_end=hi if hi != day else None,
                 week=week, deadline="eow" in low or within)  # fmt: skip


def _number(text: str) -> int | None:
    text = re.sub(r"\s+", " ", text.strip().lower())
    return int(text) if text.isdigit() else pat.NUMBER_WORDS.get(text)


_EVENT_AFTER_RE = re.compile(
    r"\s*+(?:of|after|following|before|prior\s+to|upon|on\s+receipt)\b(?!\s+(?:now|today|tomorrow|this\s+(?:email|"
    r"message|note|mail)|the\s+date\s+of\s+this)\b)",
    re.I,
)
_FOR_BEFORE_RE = re.compile(r"\bfor\s+$", re.I)


def on_duration(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    if pat.DURATION_BEFORE_RE.search(ctx.masked[max(0, m.start() - 60) : m.start()]):
        return None  # "installation takes a day or two": how long, not when
    if _stated_as_a_rule(ctx, m.start()):
        return Atom("ignore", m.start(), m.end())  # "our SLA is within 4 hours": a policy, no one's due
    low = m.group().lower()
    if low.startswith("the next") and _FOR_BEFORE_RE.search(ctx.masked[max(0, m.start() - 6) : m.start()]):
        return Atom("ignore", m.start(), m.end())  # "for the next 30 years": how long, not when
    if not m.group("ffrom") and _EVENT_AFTER_RE.match(ctx.masked, m.end()):
        return Atom("ignore", m.start(), m.end())  # "within 30 days of delivery": counted from an event, not now
    if m.group("half"):
        return Atom("delta", m.start(), m.end(), delta=timedelta(minutes=30), deadline="within" in low)
    if m.group("hour"):  # "within the hour", "in the next half hour"
        minutes = 30 if m.group("hhalf") else 60
        return Atom("delta", m.start(), m.end(), delta=timedelta(minutes=minutes), deadline="in " not in low[:3])
    if m.group("fort"):
        return _span_atom(ctx, m, (14, 14), "day", False, "within" in low, ctx.today)
    if m.group("nx"):
        return _span_atom(ctx, m, (1, 1), m.group("nxu").lower(), False, True, ctx.today)
    if m.group("dd"):
        unit = low.split(" or ")[0].split()[-1]
        return _span_atom(ctx, m, (1, 2 if "two" in low else 1), unit, False, "within" in low, ctx.today)
    if m.group("wn"):
        count = _number(m.group("wn"))
        if count is None or count < 1:
            return None
        wd = pat.WEEKDAY_NAMES[m.group("wnd").lower()]
        nearest = ctx.today + timedelta(days=(wd - ctx.today.weekday() - 1) % 7 + 1)
        return Atom("date", m.start(), m.end(), day=nearest + timedelta(days=7 * (count - 1)))
    if m.group("fn"):
        count = _number(m.group("fn"))
        if count is None:
            return None
        base = ctx.today
        origin = (m.group("ffrom") or "now").lower()
        if origin == "tomorrow":
            base += timedelta(days=1)
        elif origin in pat.WEEKDAY_NAMES:
            base += timedelta(days=(pat.WEEKDAY_NAMES[origin] - base.weekday() - 1) % 7 + 1)
        return _span_atom(ctx, m, (count, count), m.group("fu").lower(), bool(m.group("fbiz")), False, base)
    numbers = [_number(p) for p in re.split(r"\s*(?:-|–|\bto\b|\bor\b)\s*", m.group("dn")) if p.strip()]
    first, last = (numbers[0], numbers[-1]) if numbers else (None, None)
    if first is None or last is None:
        return None
    prep = m.group("dprep").lower()
    deadline = "within" in prep or "next" in prep or "inside" in prep
    return _span_atom(ctx, m, (first, last), m.group("du").lower(), bool(m.group("dbiz")), deadline, ctx.today)


# A duration in a statement of what generally happens is a policy or a typical result, not a due: "Most
# customers see payback within 18 months", "Our response SLA is within 4 hours". Not when someone commits in the
# sentence ("we'll respond within 4 hours", "please reply within 2 days").
_RULE_CUE_RE = re.compile(
    r"""\b(?:slas?|policy|policies|guarantee[sd]?|warranty|warranties|standard|typically|usually|generally|normally
    |always|on\s+average|average|most\s+(?:customers|clients|users|buyers|accounts|orders|people|reps)|customers
    |clients|payback|roi|break\s+even|breakeven|historically|in\s+general)\b|\b(?:is|are)\s+(?:(?!due\b)\w+\s+)?$""",
    re.I | re.VERBOSE,
)
_COMMITS_RE = re.compile(
    r"\b(?:will|shall)\b|['’](?:ll|d)\b|\b(?:i|we|you)\s+(?:can|would)\b|\blet['’]?s\b|\bplease\b"
    r"|\b(?:going\s+to|gonna|need\s+to|needs\s+to|must)\b",
    re.I,
)


# Where a statement ends and another begins: "Our team responds within 2 hours, so I'll answer by noon".
_STATEMENT_SPLIT_RE = re.compile(r"[;:!?]|\.\s|,?\s(?:and|but|so|whereas|although|while)\s", re.I)


def _stated_as_a_rule(ctx: Ctx, start: int) -> bool:
    left = max((m.end() for m in _STATEMENT_SPLIT_RE.finditer(ctx.text, 0, start)), default=0)
    after = _STATEMENT_SPLIT_RE.search(ctx.text, start)
    sentence = ctx.text[left : after.start() if after else len(ctx.text)]
    before = ctx.text[max(left, start - 80) : start]
    cue = _RULE_CUE_RE.search(before)
    if cue is not None and cue.group().lower().startswith(("is", "are")):
        cue = cue if ctx.text[start : start + 6].lower() == "within" else None  # "is in two weeks" is a date
    return cue is not None and _COMMITS_RE.search(sentence) is None


def _span_atom(
    ctx: Ctx, m: re.Match[str], counts: tuple[int, int], unit: str, biz: bool, deadline: bool, base: date
) -> Atom:
    lo, hi = counts
    if unit.startswith(("min", "h")):
        factor = timedelta(minutes=1) if unit.startswith("min") else timedelta(hours=1)
        return Atom("delta", m.start(), m.end(), delta=lo * factor, deadline=deadline)

    from dateutil.relativedelta import relativedelta  # here, not at import: it costs ~10 ms

    def shift(n: int) -> date:
        if biz and unit.startswith("d"):
            return cal.add_business_days(ctx.cal, base, n)
        key = {"d": "days", "w": "weeks", "m": "months", "y": "years"}[unit[0]]
        result: date = base + relativedelta(**{key: n})  # type: ignore[arg-type]
        return result

    day, end = shift(lo), shift(hi)
    return Atom("date", m.start(), m.end(), day=day, day_end=end if end != day else None, deadline=deadline)


def on_iso(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    day = _safe_date(int(m.group("iy")), int(m.group("im")), int(m.group("id")))
    if day is None:
        return None
    atom = Atom("date", m.start(), m.end(), day=day)
    if m.group("ih"):
        atom.clock, atom.meridiem = time(int(m.group("ih")) % 24, int(m.group("imin"))), "24h"
    return atom


# "1/2", "3/4", "3/8" are as often fractions as dates. One is a fraction before a unit or "of" ("3/4 inch", "1/3
# of the volume"), after a whole number, a determiner or a word of quantity ("1 1/2", "the 1/2 reimbursement",
# "about 2/3", "not 1/2"), or in a sentence that measures with another fraction; else a date ("can we meet 3/4?").
_FRACTION_DENOMINATORS = frozenset({2, 3, 4, 8, 16, 32, 64})
_FRACTION_BEFORE_RE = re.compile(
    r"(?:\d|\b(?:the|a|an|about|around|roughly|approximately|approx|nearly|almost|over|under|only|just|than|not"
    r"|and|or|another|extra|additional|first|last|remaining|other|some|least|most|split|cut)\.?)\s+$",
    re.I,
)
_FRACTION_AFTER = (
    r"\s*+-?\s*+(?:inch|inches|in\b|\"|”|mile|cup|lb|pound|oz|ounce|ton|share|point|pt|percent|mm|cm|ft|foot|feet"
    r"|yard|gallon|hp|of\b|off\b|and\s+\d|or\s+\d|majority|size|scale|stake|interest|ownership|split|cut"
    r"|reimbursement|payment|price|rate|day\b|hour|mile)"
)
_FRACTION_AFTER_RE = re.compile(_FRACTION_AFTER, re.I)
_MEASURED_RE = re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}" + _FRACTION_AFTER, re.I)


def _fraction(ctx: Ctx, m: re.Match[str]) -> bool:
    a, b = int(m.group("na")), int(m.group("nb"))
    if m.group("ny") or a >= b or b not in _FRACTION_DENOMINATORS:
        return False
    if _FRACTION_AFTER_RE.match(ctx.masked, m.end()) or _MEASURED_RE.search(ctx.masked):
        return True
    return _FRACTION_BEFORE_RE.search(ctx.masked[max(0, m.start() - 16) : m.start()]) is not None


def on_numdate(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    if _fraction(ctx, m):
        return None
    if names.names_a_thing(ctx, m.start(), m.end()) or names.listed_with_a_name(ctx, m):
        return Atom("ignore", m.start(), m.end())  # "the 9/11 memorial", "the 3/15 statement"
    a, b = int(m.group("na")), int(m.group("nb"))
    month, dom = (b, a) if ctx.opts.date_order.upper().startswith("D") else (a, b)
    return _dated(ctx, m, month, dom, m.group("ny"))


def on_dotdate(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    a, b = int(m.group("da")), int(m.group("db"))
    month, dom = (b, a) if ctx.opts.date_order.upper().startswith("D") else (a, b)
    return _dated(ctx, m, month, dom, m.group("dy"))


def on_monthday(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    name = m.group("mdm")
    if name.lower() == "may" and name != "May":
        return None
    dom = pat.day_number(m.group("mdd"))
    if dom is None:
        return None
    return _dated(ctx, m, pat.MONTH_NAMES[name.lower().rstrip(".")], dom, m.group("mdy"))


_DAY_RANGE_BEFORE_RE = re.compile(r"(?<![\d/.-])([0-3]?\d)(?:st|nd|rd|th)?\s*+(?:-|–|to|through|thru)\s*+$", re.I)


def on_daymonth(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    dom = pat.day_number(m.group("dmd"))
    if dom is None:
        return None
    rel = m.group("dmrel")
    if rel:
        rel = rel.lower()
        month, year = ctx.today.month, ctx.today.year
        if rel != "this" and rel != "the":
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
        day = _safe_date(year, month, dom)
        if day is not None and day < ctx.today and rel == "the":
            # "the 1st of the month": this month's, or next month's once it has passed.
            month, year = (1, year + 1) if month == 12 else (month + 1, year)
            day = _safe_date(year, month, dom)
        if day is None:
            return None
        return Atom("date", m.start(), m.end(), day=day) if day >= ctx.today else Atom("past", m.start(), m.end())
    name = m.group("dmm")
    first = _DAY_RANGE_BEFORE_RE.search(ctx.masked[max(0, m.start() - 12) : m.start()])
    if first is not None and 1 <= int(first.group(1)) < dom:
        dom = int(first.group(1))  # "3-5 May", "3rd to 5th June": the range starts on the 3rd
    if name.lower() == "may" and name != "May" and not re.search(r"\bof\s+may$", m.group(), re.I):
        return None  # "may" is a verb too; "the fourth of may" is the month
    return _dated(ctx, m, pat.MONTH_NAMES[name.lower().rstrip(".")], dom, m.group("dmy"))


def on_nthwd(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    """ "the second Thursday of next month", "the last Friday in June" (this year's, next year's once passed)."""
    nth = m.group("nth").lower()
    n = -1 if nth in ("last", "final") else pat.ORDINAL_WORDS.get(nth) or {"fifth": 5, "5th": 5}[nth]
    wd = pat.WEEKDAY_NAMES[m.group("nwd").lower().rstrip(".")]
    year, month = ctx.today.year, ctx.today.month
    rel = (m.group("nrel") or "").lower()
    if m.group("nmon"):
        name = m.group("nmon")
        if name.lower() == "may" and name != "May":
            return None
        month = pat.MONTH_NAMES[name.lower().rstrip(".")]
        if m.group("ny4"):
            year = _year_of(m.group("ny4"), ctx.today)
            tries = [(year, month)]
        else:
            tries = [(year, month), (year + 1, month)]
    elif rel == "this":
        tries = [(year, month)]
    elif rel == "the":
        tries = [(year, month), (year + (month == 12), month % 12 + 1)]
    else:
        tries = [(year + (month == 12), month % 12 + 1)]
    for y, mo in tries:
        day = cal.nth_weekday(y, mo, wd, n)
        if day.month == mo and day >= ctx.today:
            return Atom("date", m.start(), m.end(), day=day)
    return Atom("past", m.start(), m.end())  # "the first Monday of this month" once it has passed


def on_ordinal(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    # "the 12th", "on the twelfth": a word needs its preposition and an end after it ("on the twelfth floor" is
    # not a day), which the pattern asks for.
    dom = int(m.group("od")) if m.group("od") else pat.day_number(m.group("odw")) or 0
    if not 1 <= dom <= 31:
        return None
    year, month = ctx.today.year, ctx.today.month
    for _ in range(3):
        day = _safe_date(year, month, dom)
        if day is not None and day >= ctx.today:
            prep = (m.group("oprep") or "").split()
            return Atom("date", m.start(), m.end(), day=day, needs_partner=not (m.group("othe") or prep)
                         and not _preposition_before(ctx, m.start()),
                         deadline=bool(prep) and prep[0].lower() in ("by", "before", "until", "till"))  # fmt: skip
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


# A date naming a document ("the June 12 invoice", "your 3/14 statement") is a name, not a due.
_NAMED_BEFORE_RE = re.compile(r"\b(?:the|our|your|my|their|his|her|its|this|that)\s+$", re.I)
_NAMED_AFTER_RE = re.compile(
    r"\s*+(?:invoices?|statements?|orders?|po|purchase\s+order|shipments?|deliver(?:y|ies)|payments?|bills?|quotes?"
    r"|quotations?|emails?|e-mails?|letters?|versions?|drafts?|files?|releases?|newsletters?|updates?|numbers|figures"
    r"|forecasts?|results|minutes|notes|deck|report|reports|price\s+list|pricing|rates?|data|batch|lot|issue|edition"
    r"|filing|submission|proposal|contract|agreement|amendment|memo|spreadsheet)\b",
    re.I,
)


def _dated(ctx: Ctx, m: re.Match[str], month: int, dom: int, year_text: str | None) -> Atom | None:
    if _NAMED_BEFORE_RE.search(ctx.masked[max(0, m.start() - 8) : m.start()]) and _NAMED_AFTER_RE.match(
        ctx.masked, m.end()
    ):
        return Atom("ignore", m.start(), m.end())
    if year_text:
        day = _safe_date(_year_of(year_text, ctx.today), month, dom)
    else:
        day = _safe_date(ctx.today.year, month, dom)
        if day is not None and day < ctx.today:
            day = _safe_date(ctx.today.year + 1, month, dom)
            return Atom("date", m.start(), m.end(), day=day, rolled=True) if day else None
    return Atom("date", m.start(), m.end(), day=day) if day else None


def _year_of(text: str, today: date) -> int:
    """A written year; two digits mean the year of that ending closest to the sent date ("99" in 2001 = 1999)."""
    digits = int(text.strip("'"))
    if digits > 99:
        return digits
    century = today.year - today.year % 100
    return min(
        (century - 100 + digits, century + digits, century + 100 + digits), key=lambda y: abs(y - today.year)
    )


def _safe_date(year: int, month: int, dom: int) -> date | None:
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def _preposition_before(ctx: Ctx, start: int) -> bool:
    return bool(_PREP_RE.search(ctx.masked[max(0, start - 16) : start]))


_QPREP_RE = re.compile(
    r"\b(?:in|by|before|until|till|during|after|through|from|around|starting|sometime|over|within|targeting"
    r"|(?:let['’]s|let\s+us|we['’]ll|we\s+will|to|can\s+we|should\s+we)\s+target"
    r"|(?:plan|planning|aim|aiming|shoot|shooting|looking|target|targeting)\s+for)\s+$",
    re.I,
)
# A bare quarter as the subject of its timing: "2nd qtr is when we'd buy", "Q3 is more likely".
_QWHEN_AFTER_RE = re.compile(
    r"\s+(?:is|would\s+be|will\s+be|looks)\s+(?:when|the\s+earliest|(?:more\s+|most\s+)?likely|realistic)\b", re.I
)
_PREP_RE = re.compile(
    r"\b(?:in|by|on|until|till|before|after|for|during|of|from|since|around|through|early|late|mid|starting"
    r"|next|this)\s+$",
    re.IGNORECASE,
)


# The anchor of a count the grammar could not read ("umpteen days from today", "many weeks from Friday") is
# not a due of its own: the whole expression is unread, never its anchor alone.
_COUNT_ANCHOR_RE = re.compile(
    r"\b(?:days?|weeks?|wks?|months?|years?|hours?|[a-z]+days)\s+(?:from|after)\s+$", re.I
)


_GREETING_BEFORE_RE = re.compile(r"\b(?:happy|hi|hello|good)\s+$", re.I)


def _anchor_of_unread_count(ctx: Ctx, m: re.Match[str]) -> bool:
    return _COUNT_ANCHOR_RE.search(ctx.masked[max(0, m.start() - 20) : m.start()]) is not None


def on_relday(ctx: Ctx, m: re.Match[str]) -> Atom:
    low = m.group().lower()
    if _anchor_of_unread_count(ctx, m):
        return Atom("ignore", m.start(), m.end())
    if "after" in low:
        return Atom("date", m.start(), m.end(), day=ctx.today + timedelta(days=2))
    if "tonight" in low:
        evening = ctx.opts.evening
        return Atom("date", m.start(), m.end(), day=ctx.today, part=(evening, time(23, 0)), part_today=True)
    offset = 0 if "today" in low else 1
    return Atom("date", m.start(), m.end(), day=ctx.today + timedelta(days=offset))


_SHORT_BEFORE_RE = re.compile(
    r"(?:\b(?:on|by|next|this|until|till|til|before|from|to|coming|thru|through|or|and|thing|morning|afternoon|evening"
    r"|am|pm|noon|eod|cob)|\d|\.m\.)\s+$",
    re.I,
)
_SHORT_AFTER_RE = re.compile(
    r"\.?,?\s*+(?:at\s+|@\s*|around\s+)?(?:\d|noon|morning|afternoon|evening|night|am\b|pm\b|[ap]\.m|eod|cob|eob"
    r"|lunch|first\s+thing|midday|(?:next|this)\s+week)",
    re.I,
)


def on_weekday(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    name = m.group("wd")
    if _anchor_of_unread_count(ctx, m) or _GREETING_BEFORE_RE.search(
        ctx.masked[max(0, m.start() - 8) : m.start()]
    ):
        return Atom("ignore", m.start(), m.end())  # "Happy Friday!" is a greeting
    if not m.group("wposs") and not m.group("wdmod") and names.names_a_thing(ctx, m.start("wd"), m.end()):
        return Atom("ignore", m.start(), m.end())  # "the Tuesday crew is short"
    end = m.end()
    if m.group("wposs") and pat.REJECTED_AFTER_RE.match(ctx.masked, m.start("wposs")):
        end = m.start("wposs")  # "Thursday's no good", "Monday's a holiday": the 's is "is"
        name = name[: -len(m.group("wposs"))]
    elif m.group("wposs"):
        if not names.POSSESSIVE_BEFORE_RE.search(
            ctx.masked[max(0, m.start() - 16) : m.start()]
        ) and not names.POSSESSIVE_TIME_AFTER_RE.match(ctx.masked, m.end()):
            return Atom("ignore", m.start(), m.end())  # and its neighbours: "Tuesday's 9am slot is gone"
        name = name[: -len(m.group("wposs"))]
    low = name.lower()
    if (
        low in ("mon", "wed", "sat", "sun")
        and not (name[0].isupper() and low in ("mon", "wed"))
        and not (
            m.group("wdmod")
            or _SHORT_BEFORE_RE.search(ctx.masked[max(0, m.start() - 10) : m.start()])
            or _SHORT_AFTER_RE.match(ctx.masked, m.end())
        )
    ):
        return None  # "wed", "sat", "sun", "mon" are words too: only after "on", "by", ... or before a time
    wd = pat.WEEKDAY_NAMES[low]
    mod = (m.group("wdmod") or "").lower()
    today = ctx.today
    if m.group("after"):
        day = cal.monday_of(today) + timedelta(days=14 + wd)
    elif mod.startswith("next") or "following" in mod:
        if ctx.opts.next_weekday == "following_week":
            day = cal.monday_of(today) + timedelta(days=7 + wd)
        else:
            day = today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
    elif mod:
        day = today + timedelta(days=(wd - today.weekday()) % 7)
    else:
        day = today + timedelta(days=(wd - today.weekday() - 1) % 7 + 1)
    if m.group("wweek") or m.group("wpre"):
        day += timedelta(days=7)  # "Friday week", "a week on Friday" (British)
    if m.group("wfort"):
        day += timedelta(days=14)  # "Monday fortnight"
    plain = (
        not mod and not m.group("after") and not m.group("wweek") and not m.group("wpre") and not m.group("wfort")
    )
    return Atom("weekday", m.start(), end, day=day, weekday=wd if plain else None)
