"""Calendar arithmetic for ``text.dates``: weeks, months, quarters and the rep's business days.

Pure functions over ``datetime.date``; every rule here is one row of the conventions table in docs/dates.md.
"""

from __future__ import annotations

from datetime import date, timedelta

from followup_sync.holidaycal import Calendar, shift_business

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_day(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def first_business_day_of_year(cal: Calendar, year: int) -> date:
    """ "In the new year": the first business day after New Year's Day (Jan 1 is skipped even with no calendar)."""
    return shift_business(cal, date(year, 1, 1), 1)


def add_business_days(cal: Calendar, day: date, count: int) -> date:
    """Count the rep's business days forward (Mon-Fri, not a day off in their calendar)."""
    for _ in range(count):
        day = shift_business(cal, day, 1)
    return day


def last_business_day_of(cal: Calendar, year: int, month: int) -> date:
    day = last_day(year, month)
    return day if cal.is_business_day(day) else shift_business(cal, day, -1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th ``weekday`` of a month; n = -1 for the last one."""
    if n < 0:
        day = last_day(year, month)
        return day - timedelta(days=(day.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * quarter - 2, 1)


def quarter_end(year: int, quarter: int) -> date:
    return last_day(year, 3 * quarter)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1
