"""The rep's answers to the ambiguous date conventions: ``DateOptions``, re-exported by ``dates``.

Apart from the date grammar because every pass builds one from ``[schedule]``, also a pass with no new mail,
which reads no dates: it then does not import the grammar's pattern tables (issue 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Literal

__all__ = ["DateOptions"]


@dataclass(frozen=True)
class DateOptions:
    """The ambiguous conventions, each with the default of docs/dates.md."""

    date_order: str = "MDY"  # how "3/4" is read: "MDY" (March 4) or "DMY" (3 April)
    end_of_day: time = time(17, 0)  # EOD / COB, and the end of date windows
    next_weekday: Literal["following_week", "nearest"] = "following_week"  # "next Friday"
    morning: time = time(9, 0)
    afternoon: time = time(13, 0)
    evening: time = time(17, 0)
    first_thing: time = time(8, 0)
    last_am_hour: int = 6  # "at N" with no am/pm: 7..11 -> a.m., 12 -> noon, 1..last_am_hour -> p.m.
    end_of_month: Literal["calendar", "business"] = "calendar"  # EOM = last calendar or last business day
    # The rep's holiday calendar (the ``holidays`` library's ISO code and subdivision; None: no public holidays
    # of their own, names read from their home calendars) and days off listed by hand.
    country: str | None = None
    subdivision: str | None = None
    holidays: tuple[date, ...] = ()
