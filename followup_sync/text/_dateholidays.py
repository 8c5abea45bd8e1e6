"""Holiday names in the due-date grammar: which day "after Boxing Day" or "the week of Thanksgiving" means.

``on_holiday`` resolves one match of the ``holiday`` atom of ``_datepatterns`` with the rep's calendar
(``holidaycal``: the ``holidays`` library for the configured country and subdivision). A name the rep's
calendar lacks comes from its home calendar. Conventions: docs/dates.md, "Conventions added for issue 8".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from followup_sync import holidaycal
from followup_sync.holidaycal import Calendar, name_key, shift_business
from followup_sync.text import _datecal as cal
from followup_sync.text import _datepatterns as pat
from followup_sync.text._dateatoms import Atom, Ctx

# What a name written in mail may be called in the library (name_key form), tried in order.
_ALIASES: dict[str, tuple[str, ...]] = {
    "xmas": ("christmas",), "x-mas": ("christmas",), "new years": ("new year",), "the new year": ("new year",),
    "turkey": ("thanksgiving",), "fourth": ("independence",), "fourth of july": ("independence",),
    "july 4th": ("independence",), "july 4": ("independence",), "july fourth": ("independence",),
    "4th of july": ("independence",), "presidents": ("washington birthday", "presidents"),
    "president": ("washington birthday", "presidents"), "mlk": ("martin luther king jr",),
    "mlk jr": ("martin luther king jr",), "martin luther king": ("martin luther king jr",),
    "dr martin luther king": ("martin luther king jr",), "dr martin luther king jr": ("martin luther king jr",),
    "boxing": ("boxing", "second day of christmas", "st stephen"), "st stephen": ("st stephen", "boxing"),
    "whit monday": ("whit monday", "pentecost monday"), "whitsun": ("whit monday", "pentecost monday"),
    "pentecost": ("pentecost monday", "whit monday"),
    "may day": ("may day", "early may bank holiday", "may bank holiday"),
    "early may bank holiday": ("may day", "early may bank holiday", "may bank holiday"),
    "may bank holiday": ("may day", "early may bank holiday", "may bank holiday"),
    "august bank holiday": ("late summer bank holiday", "summer bank holiday", "august bank holiday"),
    "summer bank holiday": ("summer bank holiday", "late summer bank holiday", "august bank holiday"),
    "late summer bank holiday": ("late summer bank holiday", "summer bank holiday", "august bank holiday"),
    "king birthday": ("king birthday", "queen birthday"), "queen birthday": ("king birthday", "queen birthday"),
    "day of german unity": ("german unity",), "indigenous peoples": ("indigenous peoples", "columbus"),
    "st patrick": ("st patrick",), "juneteenth": ("juneteenth",), "veterans": ("veterans",),
}  # fmt: skip
# Days with a fixed date whether or not they are holidays; "by Halloween" is that day itself (people work it).
_FIXED = {"christmas eve": (12, 24), "xmas eve": (12, 24), "new year eve": (12, 31), "new years eve": (12, 31),
          "halloween": (10, 31), "valentine": (2, 14)}  # fmt: skip
_WORKED = ("halloween", "valentine")
_EASTER = ("easter", "easter sunday")
_US_ONLY = ("thanksgiving", "independence")  # with their own "after" rows (the Monday after)
_BEFORE = ("before", "by", "prior", "ahead", "until", "till", "in time for")

HolidayDay = Callable[[int], "date | None"]


# A holiday that passed this recently is the one meant when what the words name has passed too ("the week after
# Easter" said two weeks after Easter): a past reference, not next year's.
_JUST_PASSED_DAYS = 30


def on_holiday(ctx: Ctx, m: re.Match[str]) -> Atom | None:
    if m.group("newyear"):
        year = ctx.today.year + 1 if ctx.today.month > 1 or ctx.today.day > 7 else ctx.today.year
        return Atom("date", m.start(), m.end(), day=cal.first_business_day_of_year(ctx.cal, year))
    rel = " ".join((m.group("hrel") or "").lower().split())
    text = m.group("hname") or m.group("hname2") or ""
    if m.group("hwk"):
        rel = rel or "week of"
    key = _key(text)
    if key is None:
        return None
    season = key == "holidays"
    holiday, thanksgiving_us = _holiday_fn(ctx, key)
    relation = _relation(rel)
    for year in (ctx.today.year - 1, ctx.today.year, ctx.today.year + 1):
        day = holiday(year)
        if day is None:
            continue
        found = _apply(ctx.cal, relation, day, key, season=season, us_rows=thanksgiving_us)
        if found is None:
            return None
        first, last = found
        if last < ctx.today and not season and key != "*" and (ctx.today - day).days <= _JUST_PASSED_DAYS:
            return Atom("past", m.start(), m.end())  # "the week after Easter" two weeks after it: that one
        if last >= ctx.today:
            deadline = relation == "before"
            return Atom("date", m.start(), m.end(), day=max(first, ctx.today), deadline=deadline)
    return None


def _key(text: str) -> str | None:
    """The holiday a written name means, as a name_key; "holidays" for the season; None for none."""
    low = " ".join(text.lower().split())
    if re.fullmatch(r"holidays|holiday\s+(?:break|season)|christmas\s+(?:break|holidays|vacation)"
                    r"|festive\s+(?:season|break|period)", low):  # fmt: skip
        return "holidays"
    if re.fullmatch(
        r"(?:(?:public|bank|national|stat|statutory|next)\s+)?holiday|(?:long|holiday)\s+weekend", low
    ):
        return "*"  # the rep's next holiday
    key = name_key(low)
    return re.sub(r"^new years?$", "new year", key) or None


def _holiday_fn(ctx: Ctx, key: str) -> tuple[HolidayDay, bool]:
    """year -> the holiday's day; and whether the US-only "after" rows apply (US Thanksgiving, the Fourth)."""
    if key in _FIXED:
        month, dom = _FIXED[key]
        return (lambda y: date(y, month, dom)), False
    if key == "holidays":
        return (lambda y: date(y, 12, 24)), False
    if key == "*":
        # The rep's next holiday; with no country configured, the US calendar (the conventions' old default).
        rep = ctx.cal if ctx.cal.country else holidaycal.calendar("US")
        nxt = rep.next_holiday(ctx.today)
        names = {name_key(n) for n in rep.year(nxt.year).get(nxt, ())} if nxt else set()
        us_rows = rep.country == "US" and bool(names & set(_US_ONLY))
        return (lambda y: nxt if nxt is not None and nxt.year == y else None), us_rows
    if key in _EASTER:
        return holidaycal.easter_sunday, False
    keys = _ALIASES.get(key, (key,))
    own = ctx.cal.country is not None and ctx.cal.named(keys, ctx.today.year) is not None
    if own:
        return (lambda y: ctx.cal.named(keys, y)), ctx.cal.country == "US" and keys[0] in _US_ONLY
    return (lambda y: holidaycal.home_day(keys, y)), keys[0] in _US_ONLY


def _relation(rel: str) -> str:
    """The relation the words before or after the name state (see the conventions)."""
    if not rel or rel == "on":
        return "on"
    if rel.startswith("the week") or rel.startswith("week"):
        return "week " + rel.split()[-1]  # week of / after / before
    words = rel.split()
    if len(words) >= 2 and words[-1] in ("after", "before") and words[0] in ("the", "day", *pat.WEEKDAY_NAMES):
        what = words[1] if words[0] == "the" else words[0]
        return f"{what} {words[-1]}"  # "day after", "friday before"
    if any(rel.startswith(b) or rel.endswith(b) for b in _BEFORE):
        return "before"
    return "after"  # after, post, following, over


def _apply(
    calendar: Calendar, relation: str, day: date, key: str, *, season: bool, us_rows: bool
) -> tuple[date, date] | None:
    """(the day, the last day it still counts as ahead): one row of the conventions for ``relation``."""
    if relation == "on":
        return day, day
    if relation.startswith("week"):
        monday = cal.monday_of(day) + timedelta(days={"of": 0, "after": 7, "before": -7}[relation.split()[1]])
        return monday, monday + timedelta(days=4)
    if relation == "before":
        return _before(calendar, day, key, season=season)
    if relation == "after":
        return _after(calendar, day, key, season=season, us_rows=us_rows)
    what, direction = relation.split()
    step = 1 if direction == "after" else -1
    if what == "day":
        return day + timedelta(days=step), day + timedelta(days=step)
    if what in pat.WEEKDAY_NAMES:
        wd = pat.WEEKDAY_NAMES[what]
        found = day + timedelta(days=step)
        while found.weekday() != wd:
            found += timedelta(days=step)
        return found, found
    return None


def _before(calendar: Calendar, day: date, key: str, *, season: bool) -> tuple[date, date]:
    if key in _WORKED:
        return day, day
    if season or key in ("christmas", "xmas", "x-mas"):
        eve = date(day.year, 12, 24)
        found = eve if calendar.is_business_day(eve) else shift_business(calendar, eve, -1)
        return found, found
    found = shift_business(calendar, day, -1)
    return found, found


def _after(calendar: Calendar, day: date, key: str, *, season: bool, us_rows: bool) -> tuple[date, date]:
    if season:
        found = cal.nth_weekday(
            day.year + 1, 1, cal.MONDAY, 1
        )  # "after the holidays": the new year's first Monday
    elif us_rows and day.month == 11:
        found = day + timedelta(days=4)  # US Thanksgiving (a Thursday in November): the Monday after
    elif us_rows:
        found = day + timedelta(days=(cal.MONDAY - day.weekday() - 1) % 7 + 1)  # the Fourth: the Monday after
    else:
        found = shift_business(calendar, day, 1)
    return found, found
