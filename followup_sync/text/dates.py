"""Find the due date in one sentence: ``find_due`` is the only public function of this module.

A small domain grammar (see docs/dates.md for the conventions): ATOMS ("Friday", "2pm", "ET", "next week")
are found by the regular expressions in ``_datepatterns`` after MASKS hid phone numbers, prices and versions;
neighbouring atoms form one EXPRESSION ("Friday, March 20 at 2pm ET"), which is resolved relative to the
sent time in the rep's zone. The first expression that is not in the past wins.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from followup_sync.text import _dateatoms as dates_
from followup_sync.text import _datecal as cal
from followup_sync.text import _dateholidays as holidays_
from followup_sync.text import _dateinformal as informal
from followup_sync.text import _datenames as names
from followup_sync.text import _datepatterns as pat
from followup_sync.text import _timeatoms as times_
from followup_sync.text._dateatoms import Atom, Ctx, deadline_cue
from followup_sync.text._dateoptions import DateOptions

__all__ = ["DateOptions", "Due", "find_due"]

_DEFAULT_OPTIONS = DateOptions()


@dataclass(frozen=True)
class Due:
    when: datetime  # aware, in the rep's zone; 09:00 for date-only results (see has_time)
    has_time: bool  # a clock time or part of day was stated
    deadline: bool  # "by Friday", "before the 19th", "EOD" -> True; "on Friday at 10", "Thursday" -> False
    text: str  # the matched span
    window_end: datetime | None = None  # for vague spans ("next week" -> Friday end), else None


_DATE_ONLY = time(9, 0)


def find_due(text: str, *, sent_at: datetime, tz: ZoneInfo, options: DateOptions = _DEFAULT_OPTIONS) -> Due | None:
    """The first future time expression in `text` (one sentence), resolved relative to sent_at in tz.

    Never from phone numbers, prices, versions, years in names, past references. None if no time stated.
    """
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    written = text
    text, back = informal.normalise(text)
    if not pat.HINT_RE.search(text):
        return None
    masked = pat.mask_re().sub(lambda m: "#" * len(m.group()), text)
    sent = sent_at.astimezone(tz)
    ctx = Ctx(sent=sent, today=sent.date(), tz=tz, opts=options, text=text, masked=masked)
    down: tuple[list[Atom], str] | None = None
    groups = _groups(ctx)
    for i, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        why = _turned_down(ctx, start, end)
        if why is None and down is not None:
            # The rest of a list or range goes with it ("away Tuesday and Wednesday", "off the 3rd to the 5th").
            join = pat.LIST_JOIN_RE if down[1] == "rejected" else pat.RANGE_JOIN_RE
            listed = join.fullmatch(ctx.masked, down[0][-1].end, start) is not None
            # ... but not the day offered in its place ("not this week, next week works better").
            why = down[1] if listed and not pat.OFFERED_AFTER_RE.match(ctx.masked, end) else None
        if why is not None:
            down = (group, why)
            continue
        if _gives_way(ctx, group, groups[i + 1 :]):
            down = (group, "busy")  # and the days listed with it: "I was out Monday and Tuesday, so ..."
            continue
        if _priced_period(ctx, start) or _opening_hour(ctx, group):
            continue
        due = _resolve(ctx, group)
        if due is not None:
            if text is not written:
                start, end = back(group[0].start, group[-1].end)
                due = dataclasses.replace(due, text=written[start:end])
            return due
        if i + 1 < len(groups) and _past_clause(ctx, start, end):
            down = (group, "past")  # and the days listed with it: "I was out sick Wednesday and Thursday"
    return None


def _atoms(ctx: Ctx) -> list[Atom]:
    return pat.read_atoms(ctx.masked, lambda m: _atom(ctx, m))


def _atom(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    kind = m.lastgroup
    assert kind is not None
    atom = _HANDLERS[kind](ctx, m)
    if (
        atom is not None
        and atom.kind != "ignore"
        and (names.in_a_place_name(ctx, m.start(), m.end()) or names.in_a_code(ctx, m.start(), m.end()))
    ):
        atom = Atom("ignore", m.start(), m.end())  # "17 Friday Street" is an address, "TX-1115-EOD" a code
    if atom is not None:
        atom.match = m
    return atom


def _groups(ctx: Ctx) -> list[list[Atom]]:
    groups: list[list[Atom]] = []
    for atom in _atoms(ctx):
        last = groups[-1] if groups else None
        gap = ctx.masked[last[-1].end : atom.start] if last is not None else ""
        joined = (
            last is not None
            and (
                (len(gap) <= 24 and pat.JOIN_RE.match(gap) is not None)
                # "Friday's call at 3", "tomorrow's demo is at 10": the time of the day's event
                or (
                    atom.clock is not None
                    and (
                        gap[:2] in ("'s", "’s")
                        or ctx.masked[last[-1].end - 2 : last[-1].end] in ("'s", "’s")
                        or names.modifies_a_noun(ctx, last[-1].start, last[-1].end)  # "the Tuesday demo at 10"
                    )
                    and pat.POSSESSIVE_EVENT_GAP_RE.match(gap) is not None
                )
            )
        )
        # A neighbour of a past or recurring span belongs to it ("yesterday at 3", "every Mon at 3:30pm").
        spoiled = last is not None and any(a.kind in ("ignore", "past") for a in [*last, atom])
        # A day the sentence turns down stands alone ("next week, Monday's a holiday").
        alone = pat.REJECTED_AFTER_RE.match(ctx.masked, atom.end) is not None
        if last is not None and joined and not alone and (spoiled or _mergeable(last, atom)):
            last.append(atom)
        else:
            groups.append([atom])
    return groups


def _slots(atom: Atom) -> set[str]:
    slots = set()
    if atom.day is not None or atom.weekday is not None or atom.week is not None or atom.week_of:
        slots.add("date")
    if atom.clock is not None:
        slots.add("clock")
    if atom.part is not None:
        slots.add("part")
    if atom.zone is not None:
        slots.add("zone")
    return slots


def _mergeable(group: list[Atom], atom: Atom) -> bool:
    if atom.delta is not None or any(a.delta is not None for a in group):
        return False
    taken = set().union(*(_slots(a) for a in group))
    new = _slots(atom)
    if "zone" in new and "clock" not in taken:
        return False
    if atom.week is not None and any(a.week is not None for a in group):
        return False  # two weeks are two expressions ("not this week, next week")
    if "date" in new and "date" in taken:
        # A plain weekday combines with a concrete date, a week, or "the week of" + date.
        return any(a.kind == "weekday" or a.week_of or a.week is not None for a in group) or (
            atom.kind == "weekday" or atom.week is not None
        )
    return not (new & taken)


# --- resolution of an expression ---------------------------------------------------------------------------


def _resolve(ctx: Ctx, group: list[Atom]) -> Due | None:
    if any(a.kind in ("ignore", "past") for a in group):
        return None
    zone = next((a.zone for a in group if a.zone is not None and a.clock is None), None)
    if zone is not None and zone.key != ctx.tz.key and any(a.clock is not None for a in group):
        return _as_in_zone(ctx, group, zone)
    return _resolve_here(ctx, group)


def _as_in_zone(ctx: Ctx, group: list[Atom], zone: ZoneInfo) -> Due | None:
    """ "Tuesday 10am pt": read as if the rep were in that zone at the sent instant, then brought home."""
    sent = ctx.sent.astimezone(zone)
    there = Ctx(sent=sent, today=sent.date(), tz=zone, opts=ctx.opts, text=ctx.text, masked=ctx.masked)
    atoms = [_atom(there, a.match) if a.match is not None else a for a in group]
    if any(a is None for a in atoms):
        return None
    due = _resolve_here(there, [a for a in atoms if a is not None])
    if due is None:
        return None
    home = due.window_end.astimezone(ctx.tz) if due.window_end else None
    return Due(due.when.astimezone(ctx.tz), due.has_time, due.deadline, due.text, home)


def _resolve_here(ctx: Ctx, group: list[Atom]) -> Due | None:
    if all(a.needs_partner for a in group) or all(a.zone is not None and a.clock is None for a in group):
        return None
    start, end = group[0].start, group[-1].end
    if _past_clause(ctx, start, end, loose=any(a.rolled for a in group)):
        return None
    deadline = any(a.deadline for a in group) or deadline_cue(ctx, start, end)
    span = ctx.text[start:end]
    delta = next((a.delta for a in group if a.delta is not None), None)
    if delta is not None:
        # Minutes and hours are elapsed time: counted on the UTC line, so a DST change moves the wall clock.
        when = (ctx.sent.astimezone(UTC) + delta).astimezone(ctx.tz)
        return Due(when=when, has_time=True, deadline=deadline, text=span)
    day, day_end, fixed = _group_day(ctx, group)
    clock, part, zone = _group_time(ctx, group)
    if clock is None and part is None:
        if day is None or day < ctx.today:
            return None
        window = _at(ctx, day_end, ctx.opts.end_of_day) if day_end and day_end > day else None
        return Due(_at(ctx, day, _DATE_ONLY), has_time=False, deadline=deadline, text=span, window_end=window)
    moment = clock if clock is not None else part[0] if part else _DATE_ONLY
    part_end = part[1] if part and clock is None and part[1] != part[0] else None
    if day is None:
        day = ctx.today
        limit = _at(ctx, day, part_end or moment, zone)
        if not fixed and limit <= ctx.sent:
            day = ctx.today + timedelta(days=1)
    when = _at(ctx, day, moment, zone)
    window = _at(ctx, day, part_end, zone) if part_end else None
    if (window or when) <= ctx.sent:
        return None
    return Due(when=when, has_time=True, deadline=deadline, text=span, window_end=window)


def _at(ctx: Ctx, day: date, clock: time, zone: ZoneInfo | None = None) -> datetime:
    """A wall time on a day, in `zone` if stated, as an aware datetime in the rep's zone (DST-correct)."""
    local = datetime.combine(day, clock, tzinfo=zone or ctx.tz)
    # Round-trip through UTC so a wall time in a DST gap lands on a real instant.
    return local.astimezone(UTC).astimezone(ctx.tz)


def _group_day(ctx: Ctx, group: list[Atom]) -> tuple[date | None, date | None, bool]:
    """(day, window end, fixed): the date part of an expression; fixed when a day was stated at all."""
    concrete = [a for a in group if a.day is not None and a.kind != "weekday"]
    weekday = next((a.weekday for a in group if a.weekday is not None), None)
    week = next((a.week for a in group if a.week is not None), None)
    if any(a.week_of for a in group) and concrete and concrete[0].day:
        monday = cal.monday_of(concrete[0].day)
        return monday, monday + timedelta(days=4), True
    if week is not None and weekday is not None:
        return week + timedelta(days=weekday), None, True
    if concrete:
        atom = concrete[0]
        return atom.day, atom.day_end, True
    plain = next((a for a in group if a.day is not None), None)
    if plain is not None:
        return plain.day, plain.day_end, True
    return None, None, any(a.part_today for a in group)


def _group_time(ctx: Ctx, group: list[Atom]) -> tuple[time | None, tuple[time, time] | None, ZoneInfo | None]:
    clock_atom = next((a for a in group if a.clock is not None), None)
    part = next((a.part for a in group if a.part is not None), None)
    zone = next((a.zone for a in group if a.zone is not None), None)
    if clock_atom is None:
        return None, part, zone
    clock = clock_atom.clock
    assert clock is not None
    if clock_atom.meridiem is None and clock.hour <= 12:
        clock = _business_hour(ctx, clock, part)
    return clock, part, zone


def _business_hour(ctx: Ctx, clock: time, part: tuple[time, time] | None) -> time:
    """ "at 2" -> 14:00: with no am/pm, 7..11 are a.m., 12 is noon and 1..6 p.m. (a part of day decides first)."""
    hour = clock.hour
    if part is not None and part[0].hour >= 12 and hour < 12:
        return clock.replace(hour=hour + 12)
    if part is not None and part[0].hour < 12:
        return clock
    if 1 <= hour <= ctx.opts.last_am_hour:
        return clock.replace(hour=hour + 12)
    return clock


def _past_clause(ctx: Ctx, start: int, end: int, *, loose: bool = False) -> bool:
    """True when the expression sits in a clause that reports the past ("on Monday I sent ...").

    ``loose`` accepts any past-tense verb as evidence, for dates that already lie behind us this year.
    """
    bounds = [m.span() for m in pat.CLAUSE_SPLIT_RE.finditer(ctx.text)]
    left = max((e for s, e in bounds if e <= start), default=0)
    right = min((s for s, e in bounds if s >= end), default=len(ctx.text))
    clause = ctx.text[left:start] + " " + ctx.text[end:right]

    def past(clause: str) -> bool:
        return bool(pat.PAST_RE.search(clause) or (loose and pat.PAST_LOOSE_RE.search(clause)))

    # A regular past tense after its subject: before the expression, or after it when the expression opens the
    # clause ("On Friday the Commission issued an order").
    opens = len(ctx.text[left:start].split()) <= 1
    if past(clause) or _past_ed(ctx.text[left:start]) or (opens and _past_ed(ctx.text[end:right])):
        # Its own clause decides first: "sent it thurs, did you get it?" is past whatever the next clause asks.
        return not pat.FUTURE_RE.search(clause)
    if len(clause.split()) <= 2:
        # "On Monday, I sent ..." -> the clause goes on after the comma.
        nxt = min((s for s, e in bounds if s > right), default=len(ctx.text))
        clause += " " + ctx.text[right:nxt]
    return past(clause) and not pat.FUTURE_RE.search(clause)


def _turned_down(ctx: Ctx, start: int, end: int) -> str | None:
    """ "rejected": a day the sentence turns down ("Friday doesn't work", "not Friday"); "absent": the writer is
    away then ("I'm out Friday"); "quoted": in double quotes; else None."""
    if pat.REJECTED_AFTER_RE.match(ctx.masked, end) or pat.REJECTED_BEFORE_RE.search(
        ctx.masked[max(0, start - 60) : start]
    ):
        return "rejected"
    if pat.ABSENT_BEFORE_RE.search(ctx.text[max(0, start - 40) : start]):
        return "absent"
    # Words in double quotes are someone else's (a subject line, a label, a slogan): "Best before 12/03".
    quotes = ('"' in ctx.text or "“" in ctx.text) and pat.QUOTED_RE.finditer(ctx.text)
    if quotes and any(q.start() < start and end < q.end() for q in quotes):
        return "quoted"
    left, right = _clause_bounds(ctx, start, end)
    if _habit(ctx, left, right):
        return "rejected"  # a habit: "I usually catch the 5:15 train", "the plant opens at 6 and closes at 10"
    # A cancelled event's day: "Tomorrow's meeting is cancelled", "the cancelled Friday call".
    if pat.CANCELLED_AFTER_RE.match(ctx.text[end : end + 60]) or pat.CANCELLED_BEFORE_RE.search(
        ctx.text[max(0, start - 16) : start]
    ):
        return "rejected"
    return None


def _habit(ctx: Ctx, left: int, right: int) -> bool:
    """A habit in the clause, unless the closing or opening is only what the time waits for ("I'll call you
    Friday at 6 once the plant closes")."""
    habits = list(pat.HABITUAL_RE.finditer(ctx.text, left, right))
    if not habits and pat.HOURS_VERB_RE.search(ctx.text, left, right):
        habits = list(pat.HABITUAL_RE.finditer(ctx.text, 0, right))  # "... opens at 6 and closes at 10"
    return any(not pat.WAITS_FOR_BEFORE_RE.search(ctx.text, max(left, m.start() - 40), m.start()) for m in habits)


def _gives_way(ctx: Ctx, group: list[Atom], later: list[list[Atom]]) -> bool:
    """True when the sentence finds this time too full and proposes a later one ("this week is crazy, can we
    do next week?", "we're slammed this week, so let's talk Thanksgiving week instead")."""
    if not later:
        return False
    start, end = group[0].start, group[-1].end
    left, right = _clause_bounds(ctx, start, end)
    if not pat.BUSY_RE.search(ctx.text[left:right]):
        return False
    return any(
        pat.PROPOSAL_RE.search(ctx.text[end : g[0].start]) or pat.INSTEAD_AFTER_RE.match(ctx.text, g[-1].end)
        for g in later
    )


def _priced_period(ctx: Ctx, start: int) -> bool:
    """A period a price is quoted for names what is sold, not a due ("gas is trading at 3.15 for next month",
    "the offer is 2.45 for the balance of the month")."""
    return (
        pat.PRICED_FOR_BEFORE_RE.search(ctx.masked[max(0, start - 40) : start]) is not None
        and times_.PRICE_CUE_RE.search(ctx.text) is not None
        and pat.PRICE_NUMBER_RE.search(ctx.text[:start]) is not None
    )


def _opening_hour(ctx: Ctx, group: list[Atom]) -> bool:
    """A clock time something opens or closes at, with no day, is its opening hours ("the depot opens at 6")."""
    before = ctx.masked[max(0, group[0].start - 24) : group[0].start]
    return pat.OPENS_AT_BEFORE_RE.search(before) is not None and not any("date" in _slots(a) for a in group)


def _clause_bounds(ctx: Ctx, start: int, end: int) -> tuple[int, int]:
    bounds = [m.span() for m in pat.CLAUSE_SPLIT_RE.finditer(ctx.text)]
    left = max((e for s, e in bounds if e <= start), default=0)
    right = min((s for s, e in bounds if s >= end), default=len(ctx.text))
    return left, right


def _past_ed(before: str) -> bool:
    """A regular past tense after its subject, in the clause before the expression ("the pallets arrived")."""
    return any(
        m.group(1).lower() not in pat.PAST_ED_NOT_AFTER and m.group(2).lower() not in pat.PAST_ED_NOT_VERBS
        for m in pat.PAST_ED_RE.finditer(before)
    )


# One handler per atom pattern of ``_datepatterns`` (same names): dates in _dateatoms, times of day in _timeatoms.
_HANDLERS: dict[str, Callable[[Ctx, re.Match[str]], Atom | None]] = {
    "ignore": dates_.on_ignore,
    "nthwd": dates_.on_nthwd,
    "past": dates_.on_past,
    "holiday": holidays_.on_holiday,
    "quarter": dates_.on_quarter,
    "year": dates_.on_year,
    "month": dates_.on_month,
    "week": dates_.on_week,
    "duration": dates_.on_duration,
    "iso": dates_.on_iso,
    "numdate": dates_.on_numdate,
    "dotdate": dates_.on_dotdate,
    "monthday": dates_.on_monthday,
    "daymonth": dates_.on_daymonth,
    "ordinal": dates_.on_ordinal,
    "relday": dates_.on_relday,
    "weekday": dates_.on_weekday,
    "eod": times_.on_eod,
    "clock": times_.on_clock,
    "part": times_.on_part,
    "zone": times_.on_zone,
}
