"""The rep's public holidays, from the ``holidays`` library: for reading dates and for the working calendar.

``calendar(country, subdivision, extra)`` is the one entry point; it is cached per process. The library costs
about 100 ms to import, so it is imported on the first question a calendar is asked, never at start-up (a pass
that reads no holiday and schedules nothing never loads it; tests/test_cold_start.py checks the CLI).

Names are the library's English names (the country's own English when it has one, e.g. "Labour Day" in
Canada), compared after ``name_key`` ("New Year's Day" -> "new year"). Substitute days ("Christmas Day
(observed)") are days off but never the day a name means (docs/dates.md, "The rep's calendar").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from followup_sync.errors import ConfigError

# Where a holiday the rep's calendar lacks is looked up, in this order (docs/dates.md): "Thanksgiving" for a rep
# outside Canada is the US one, "Victoria Day" Canada's, "Spring Bank Holiday" England's, "Anzac Day"
# Australia's.
HOME_CALENDARS: tuple[tuple[str, str | None], ...] = (
    ("US", None), ("CA", "ON"), ("GB", "ENG"), ("AU", "NSW"), ("IE", None), ("NZ", None), ("DE", None),
)  # fmt: skip

_OBSERVED = " (observed)"


def name_key(name: str) -> str:
    """A holiday name reduced for comparison: "Martin Luther King Jr. Day" -> "martin luther king jr"."""
    text = name.lower().replace("’", "'").replace(_OBSERVED, "")
    text = re.sub(r"\bsaint\b|\bst\b\.?", "st", text)
    text = re.sub(r"'s\b|'|\.", "", text)
    text = re.sub(r"\blabour\b", "labor", text)
    text = " ".join(text.split())
    if text.endswith(" day"):
        text = text[:-4]
    return text


class Calendar:
    """One rep's days off: the library's holidays for a country (and subdivision), and dates listed by hand.

    ``country=None`` is a calendar with only the listed dates (the working calendar before issue 8).
    """

    def __init__(self, country: str | None, subdivision: str | None, extra: Iterable[date] = ()) -> None:
        self.country = country
        self.subdivision = subdivision
        self.extra = frozenset(extra)
        self._years: dict[int, dict[date, tuple[str, ...]]] = {}

    def __repr__(self) -> str:
        return f"Calendar({self.country!r}, {self.subdivision!r}, {len(self.extra)} listed)"

    def year(self, year: int) -> dict[date, tuple[str, ...]]:
        """Every holiday of one year, with its English names (substitute days marked " (observed)")."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = _library_year(self.country, self.subdivision, year)
        return found

    def is_day_off(self, day: date) -> bool:
        return day in self.extra or (self.country is not None and day in self.year(day.year))

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a day off (the date reader's business day; the schedule has its own week)."""
        return day.weekday() < 5 and not self.is_day_off(day)

    def named(self, keys: Iterable[str], year: int) -> date | None:
        """The day listed under one of ``keys`` (see ``name_key``) in ``year``, not a substitute day.

        A key matches a name exactly, or as its first words ("juneteenth" is "Juneteenth National Independence
        Day"); exact matches win.
        """
        if self.country is None:
            return None
        names = [(name_key(n), d) for d, ns in self.year(year).items() for n in ns if not n.endswith(_OBSERVED)]
        for key in keys:
            exact = sorted(d for n, d in names if n == key)
            if exact:
                return exact[0]
            prefixed = sorted(d for n, d in names if n.startswith(key + " "))
            if prefixed:
                return prefixed[0]
        return None

    def next_holiday(self, on_or_after: date) -> date | None:
        """The first day on or after ``on_or_after`` that the library lists as a holiday (not a substitute)."""
        if self.country is None:
            return None
        for year in (on_or_after.year, on_or_after.year + 1):
            days = sorted(
                d
                for d, ns in self.year(year).items()
                if d >= on_or_after and any(not n.endswith(_OBSERVED) for n in ns)
            )
            if days:
                return days[0]
        return None


@functools.cache
def calendar(country: str | None, subdivision: str | None = None, extra: tuple[date, ...] = ()) -> Calendar:
    """The (cached) calendar of a country and subdivision; ValueError with a sentence if the library lacks it."""
    if country is not None:
        problem = check(country, subdivision)
        if problem:
            raise ValueError(problem)
    return Calendar(country, subdivision, extra)


def for_schedule(country: str, subdivision: str, extra: tuple[date, ...] = ()) -> Calendar:
    """The rep's calendar from ``[schedule] country/subdivision`` ("": none); ConfigError if the library lacks it.

    Checked here, on first use, not when the config is read: the library costs ~100 ms to import, which a
    command that needs no calendar should not pay.
    """
    try:
        return calendar(country or None, subdivision or None if country else None, extra)
    except ValueError as exc:
        raise ConfigError(f"schedule.country/subdivision: {exc}") from None


@functools.cache
def check(country: str, subdivision: str | None) -> str | None:
    """None when the library knows the country and subdivision, else a sentence naming what it does know."""
    import holidays  # here, not at import: ~100 ms

    supported: dict[str, list[str]] = holidays.list_supported_countries(include_aliases=True)
    if country not in supported:
        return f"{country!r} is not a country the holidays library knows (an ISO 3166 code such as 'US', 'GB')"
    subdivisions = supported[country]
    if subdivision is None:
        return None
    aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {}) or {}
    if subdivision in subdivisions or subdivision in aliases:
        return None
    shown = ", ".join(subdivisions[:12]) + (", ..." if len(subdivisions) > 12 else "")
    if not subdivisions:
        return f"the holidays library has no subdivisions for {country!r}: leave subdivision out"
    return f"{subdivision!r} is not a subdivision of {country!r} the holidays library knows ({shown})"


def _library_year(country: str | None, subdivision: str | None, year: int) -> dict[date, tuple[str, ...]]:
    if country is None:
        return {}
    import holidays  # here, not at import: ~100 ms

    found: Any = holidays.country_holidays(country, subdiv=subdivision, years=year, language=_english(country))
    return {day: tuple(found.get_list(day)) for day in sorted(found) if day.year == year}


@functools.cache
def _english(country: str) -> str | None:
    """The country's own English ("en_GB", "en_CA") if the library has it, else US English, else its default."""
    import holidays

    cls: Any = type(holidays.country_holidays(country))
    default = getattr(cls, "default_language", None)
    languages = tuple(getattr(cls, "supported_languages", ()) or ())
    if default and str(default).startswith("en"):
        return str(default)
    for lang in ("en_US", "en_GB", *(x for x in languages if x.startswith("en"))):
        if lang in languages:
            return str(lang)
    return None


def easter_sunday(year: int) -> date:
    """Western Easter (the library lists Easter Sunday only where it is a holiday)."""
    from dateutil.easter import easter

    return easter(year)


def home_day(keys: Iterable[str], year: int) -> date | None:
    """A holiday from the first home calendar that lists it (HOME_CALENDARS): a name the rep's calendar lacks."""
    keys = tuple(keys)
    for country, subdivision in HOME_CALENDARS:
        day = calendar(country, subdivision).named(keys, year)
        if day is not None:
            return day
    return None


def shift_business(cal: Calendar, day: date, step: int) -> date:
    """The first business day strictly after (step 1) or before (step -1) ``day``."""
    for _ in range(3 * 366):
        day += timedelta(days=step)
        if cal.is_business_day(day):
            return day
    raise ValueError("no business day within three years")  # pragma: no cover - a calendar of holidays only
