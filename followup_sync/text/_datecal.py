"""Calendar arithmetic for ``text.dates``: weeks, months, quarters, business days and US holidays.

Pure functions over ``datetime.date``; every rule here is one row of the conventions table in docs/dates.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_day(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def is_business_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def add_business_days(day: date, count: int) -> date:
    """Count Mon-Fri days forward; holidays are not skipped (the conventions say only weekends are)."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def next_business_day(day: date) -> date:
    """The first business day strictly after ``day``."""
    return add_business_days(day, 1)


def previous_business_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def first_business_day_of(year: int, month: int) -> date:
    """First Mon-Fri of the month, skipping New Year's Day in January."""
    day = date(year, month, 1)
    while not is_business_day(day) or (month == 1 and day.day == 1):
        day += timedelta(days=1)
    return day


def last_business_day_of(year: int, month: int) -> date:
    day = last_day(year, month)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


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


# US holidays (the conventions table is US-centred). Each maps a year to the holiday's date.
HOLIDAYS: dict[str, Callable[[int], date]] = {
    "new year": lambda y: date(y, 1, 1),
    "mlk": lambda y: nth_weekday(y, 1, MONDAY, 3),
    "presidents": lambda y: nth_weekday(y, 2, MONDAY, 3),
    "memorial": lambda y: nth_weekday(y, 5, MONDAY, -1),
    "fourth": lambda y: date(y, 7, 4),
    "labor": lambda y: nth_weekday(y, 9, MONDAY, 1),
    "columbus": lambda y: nth_weekday(y, 10, MONDAY, 2),
    "veterans": lambda y: date(y, 11, 11),
    "thanksgiving": lambda y: nth_weekday(y, 11, THURSDAY, 4),
    "christmas": lambda y: date(y, 12, 25),
    "new year's eve": lambda y: date(y, 12, 31),
    "holidays": lambda y: date(y, 12, 24),
    "halloween": lambda y: date(y, 10, 31),
    "valentine": lambda y: date(y, 2, 14),
}
# Days people name as deadlines but work through: "by Halloween" means that day itself.
WORKING_DAYS = frozenset({"halloween", "valentine"})


def after_holiday(name: str, year: int) -> date:
    """The day work resumes after a holiday, per the conventions table."""
    if name in ("holidays", "new year's eve"):
        # "after the holidays" -> first Monday of January (the new year's first full week).
        return nth_weekday(year + 1, 1, MONDAY, 1) if name == "holidays" else first_business_day_of(year + 1, 1)
    if name == "new year":
        return first_business_day_of(year, 1)
    holiday = HOLIDAYS[name](year)
    if name == "thanksgiving":
        return holiday + timedelta(days=4)
    if name == "fourth":
        return holiday + timedelta(days=(MONDAY - holiday.weekday() - 1) % 7 + 1)
    return next_business_day(holiday)


def before_holiday(name: str, year: int, *, by: bool = False) -> date:
    """The last day to act before a holiday: Dec 24 for Christmas, else the business day before it.

    With ``by`` ("by Halloween"), a day that is not a day off is itself the deadline.
    """
    if by and name in WORKING_DAYS:
        return HOLIDAYS[name](year)
    if name in ("christmas", "holidays"):
        eve = date(year, 12, 24)
        return eve if is_business_day(eve) else previous_business_day(eve)
    return previous_business_day(HOLIDAYS[name](year))
