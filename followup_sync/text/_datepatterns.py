"""The regular expressions of the due-date grammar in ``text.dates``: masks, atoms and cue words.

An ATOM is the smallest piece of a time expression ("next week", "Friday", "2:30 p.m.", "ET"). Each atom
pattern here is one named alternative of ``ATOM_RE``; ``text.dates`` resolves atoms and groups neighbours.
A MASK hides things that look like times but never are (phone numbers, prices, versions, room numbers).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WEEKDAY_NAMES = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
MONTH_NAMES = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty-five": 45, "couple": 2, "a couple": 2, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
    "several": 3, "a fortnight": 14, "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90,
}  # fmt: skip
_UNITS_W = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
for _tens, _value in (("twenty", 20), ("thirty", 30), ("forty", 40), ("fifty", 50)):
    for _i, _unit in enumerate(_UNITS_W, start=1):
        NUMBER_WORDS[f"{_tens}-{_unit}"] = NUMBER_WORDS[f"{_tens} {_unit}"] = _value + _i
ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_DAY_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
DAY_ORDINALS = {w: i + 1 for i, w in enumerate(_DAY_ORDINAL_WORDS.split())} | {"thirtieth": 30}


def day_number(text: str) -> int | None:
    """ "14", "14th", "fourth", "twenty-first" -> the number; None for anything else."""
    low = re.sub(r"[\s-]+", " ", text.strip().lower())
    digits = re.match(r"\d+", low)
    if digits:
        return int(digits.group())
    if low in DAY_ORDINALS:
        return DAY_ORDINALS[low]
    tens, _, unit = low.partition(" ")
    if not unit and low.startswith(("twenty", "thirty")):
        tens, unit = low[:6], low[6:]
    base = {"twenty": 20, "thirty": 30}.get(tens)
    return base + DAY_ORDINALS[unit] if base is not None and unit in DAY_ORDINALS else None


# Zones people write after a time. Abbreviations mean the region's civil time, DST included ("EST" in July
# means New York time), which is what writers intend; GMT and UTC are fixed.
ZONE_NAMES = {
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mountain": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "gmt": "UTC", "utc": "UTC", "bst": "Europe/London", "uk": "Europe/London",
    "london": "Europe/London", "cet": "Europe/Paris", "cest": "Europe/Paris", "paris": "Europe/Paris",
    "berlin": "Europe/Berlin", "frankfurt": "Europe/Berlin", "amsterdam": "Europe/Amsterdam",
    "zurich": "Europe/Zurich", "madrid": "Europe/Madrid", "new york": "America/New_York",
    "ny": "America/New_York", "nyc": "America/New_York", "boston": "America/New_York",
    "toronto": "America/Toronto", "houston": "America/Chicago", "chicago": "America/Chicago",
    "dallas": "America/Chicago", "denver": "America/Denver", "calgary": "America/Edmonton",
    "la": "America/Los_Angeles", "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "portland": "America/Los_Angeles", "tokyo": "Asia/Tokyo", "jst": "Asia/Tokyo", "singapore": "Asia/Singapore",
    "sgt": "Asia/Singapore", "hong kong": "Asia/Hong_Kong", "hkt": "Asia/Hong_Kong", "sydney": "Australia/Sydney",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "aet": "Australia/Sydney", "awst": "Australia/Perth",
    "acst": "Australia/Adelaide", "nzst": "Pacific/Auckland", "nzdt": "Pacific/Auckland",
    "hst": "Pacific/Honolulu",
    "akst": "America/Anchorage", "akdt": "America/Anchorage", "ast": "America/Halifax", "adt": "America/Halifax",
    "wet": "Europe/Lisbon", "west": "Europe/Lisbon", "eet": "Europe/Athens", "eest": "Europe/Athens",
    "sast": "Africa/Johannesburg", "ist": "Asia/Kolkata", "india": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "dubai": "Asia/Dubai",
}  # fmt: skip

# A part of day right after a bare hour or range makes it a time ("7 in the evening", "4-5 this afternoon").
_PART_NEXT = (
    r"(?:in\s+the\s+(?:morning|afternoon|evening)|this\s+(?:morning|afternoon|evening)|tonight|at\s+night"
    r"|tomorrow\s+(?:morning|afternoon|evening|night))\b"
)
PART_NEXT_RE = re.compile(r"\s*+" + _PART_NEXT, re.I)
_WD_NAME = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun)"
_WD = rf"{_WD_NAME}(?![\w'])"
_MON = (
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|december)(?![\w'-])"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)(?:\.|(?![\w'-])))"
)
_NUMW = (
    r"(?:\d{1,3}|(?:twenty|thirty|forty|fifty)[-\s](?:one|two|three|four|five|six|seven|eight|nine)\b"
    r"|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|ninety"
    r"|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several)"
)
_HOURW = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_AP = r"(?:[ap]\.\s?m\.?|[ap]m\b|[AP]M\b|(?<=\d)(?-i:[ap])\b(?!\.\w))"  # 2pm, 2 p.m., 2 PM, 4:00p
_YEAR = r"(?:,?\s*+(?P<{0}>(?:19|20)\d\d|'\d\d))?(?!\d)"
_YEAR_DM, _YEAR_MD, _YEAR_M, _YEAR_N = (_YEAR.format(n) for n in ("dmy", "mdy", "my", "ny4"))
_NTH = r"(?:first|second|third|fourth|fifth|last|final|1st|2nd|3rd|4th|5th)"
# Ordinal words for days of the month: "the fourth of May", "June fifth", "the twenty-first".
_ORDW = (
    r"(?:(?:twenty|thirty)[\s-]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirty-first|first"
    r"|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth"
    r"|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth)(?![\w-])"
)
# Minutes in words: "five past two", "twenty-five to six"; after an hour word: "ten thirty", "two oh five".
_MINW = r"(?:twenty[\s-]five|five|ten|twenty)"
_MINW_CLOCK = (
    r"(?:o(?:h)?[\s-]?five|fifteen|thirty|forty[\s-]five|fifty[\s-]five|forty|fifty|twenty(?:[\s-]five)?|ten)"
)
_ZONE_UP = (
    r"ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|UTC|BST|CET|CEST|IST|JST|SGT|HKT|AEST|AEDT|AET|AWST"
    r"|ACST|NZST|NZDT|HST|AKST|AKDT|AST|ADT|WET|WEST|EET|EEST|SAST"
)
_ZONE_LOW = _ZONE_UP.lower()
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|mos?|years?|yrs?)"

# Holiday names the grammar knows (any other capitalised "... Day" or "... Holiday" after a preposition is
# looked up in the rep's calendar too); see _dateholidays for what each means.
_HOLIDAY_NAME = r"""(?:christmas(?:\s+(?:day|eve))?|x-?mas(?:\s+(?:day|eve))?|new\s+year'?s?(?:\s+(?:day|eve))?
    |the\s+new\s+year|thanksgiving(?:\s+day)?|turkey\s+day|labou?r\s+day|memorial\s+day|(?-i:Fourth)(?:\s+of\s+july)?
    |fourth\s+of\s+july|july\s+(?:4th|4|fourth)(?![\d:])|4th\s+of\s+july|independence\s+day
    |presidents?'?\s*+'?s?\s+day|washington'?s\s+birthday|mlk(?:\s+jr\.?)?(?:\s+day)?
    |(?:dr\.?\s+)?martin\s+luther\s+king(?:\s+jr\.?)?(?:'s)?\s+day|juneteenth(?:\s+day)?|columbus\s+day
    |indigenous\s+peoples'?\s+day|veterans'?\s+day|remembrance\s+day|boxing\s+day|st\.?\s+stephen'?s(?:\s+day)?
    |easter(?:\s+(?:sunday|monday|saturday))?|good\s+friday|whit\s+monday|whitsun|pentecost(?:\s+monday)?
    |ascension\s+day|victoria\s+day|canada\s+day|family\s+day|civic\s+holiday|heritage\s+day|louis\s+riel\s+day
    |islander\s+day|australia\s+day|anzac\s+day|waitangi\s+day|k(?:ing|ueen)'?s\s+birthday
    |(?:early\s+may|may|spring|late\s+summer|summer|august|june|october)\s+bank\s+holiday|(?-i:May\s+Day)
    |(?:st\.?|saint)\s+patrick'?s(?:\s+day)?|german\s+unity\s+day|day\s+of\s+german\s+unity|all\s+saints'?\s+day
    |corpus\s+christi|reformation\s+day|halloween|valentine'?s(?:\s+day)?)(?![\w'])"""
# The season, or the rep's next holiday with no name ("after the long weekend").
_HOLIDAY_ANY = r"""(?:holidays|holiday\s+(?:break|season)|christmas\s+(?:break|holidays|vacation)
    |festive\s+(?:season|break|period)|(?:public|bank|national|stat(?:utory)?)\s+holiday|holiday(?!\s+(?:season|break))
    |(?:long|holiday)\s+weekend)\b"""
# A holiday as the name of a thing ("the Christmas party", "our Thanksgiving order") is not a date.
_HOLIDAY_THING = r"""(?:party|parties|promo|promotion|promotions|sale|sales|special|specials|order|orders|rush
    |campaign|card|cards|bonus|edition|catalog|catalogue|menu|lunch|dinner|event|shutdown|closure|schedule|hours|deadline
    |shopping|season|traffic|volume|volumes|pricing|price|prices|deal|deals|offer|offers|bundle|launch|release
    |inventory|stock|display|displays|gift|gifts|basket|baskets|table|week\s+sale|flyer|flyers|bookings?|trade)\b"""


# Things that look like numbers of a time but are not: replaced by '#' (same length) before atoms are found.
_MASK = r"""
    (?:^|(?<=\s))(?:sent|date|received):.*$                                   # quoted mail headers
    | (?<!\S)\S+@\S+ | (?:https?://|www\.)\S+                                 # addresses, links
    | (?:\+\d{1,3}[\s.-]?|\b1[\s.-])?(?:\(\d{3}\)\s?|\b\d{3}[\s.-]?)\d{3}[\s.-]\d{4}\b  # (555) 123-4567
    | \+\d[\d\s().-]{7,}\d                                                     # +44 20 7946 0958
    | \b\d{3}-\d{4}\b                                                          # 555-1234
    | \b(?:day|week|month|quarter|year)[-\s]to[-\s]date\b                     # month-to-date
    | \b\d{1,2}:\d\d(?::\d\d)?(?=\s+(?:minute\s+)?mark\b)                       # the 10:30 mark (a recording)
    | \b(?:timestamp|time\s?code|runtime|run\s+time|duration|length)\s*+:?\s*+\d{1,2}:\d\d(?::\d\d)?
    | \b(?:ext|extension|x)\.?\s*+\d{2,6}\b                                    # ext. 12
    | [$€£¥]\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|mm|bn|million|billion|thousand)\b)?
    | \b\d[\d,]{0,40}+(?:\.\d+)?\s?(?:%|percent\b|pct\b|bps\b|cents?\b|dollars\b|usd\b|eur\b|gbp\b)
    | \bv(?:ersion|er)?\.?\s?\d+(?:\.\d+)+[a-z]?\b | \bversion\s\d+\b              # v2.3, version 4
    | \b(?!\d{1,2}\.\d{1,2}\.(?:19|20)\d\d\b)\d+\.\d+\.\d+(?:\.\d+)*\b          # 10.4.1 (not 19.03.2026)
    # 3.5, but not 10.30am or the 02.04 of 02.04.2026
    # (a dotted time after "at"/"by"/... or next to a day word stays: "at 10.45", "Friday 2.15")
    | (?<![\d.])(?=\d+\.\d)(?!\d{1,2}\.\d{1,2}\.(?:19|20)\d\d\b)
      (?!(?:(?<=\bat\s)|(?<=@\s)|(?<=@)|(?<=\bby\s)|(?<=around\s)
      |(?<=about\s)|(?<=from\s)|(?<=until\s)|(?<=till\s)|(?<=before\s)|(?<=after\s)|(?<=day\s)|(?<=day,\s)
      |(?<=tomorrow\s)|(?<=\b(?:mon|tue|wed|thu|fri)\s)|(?<=\b(?:tues|weds|thur)\s)|(?<=thurs\s))\d{1,2}\.[0-5]\d\b(?!\.\d))
      (?!\d{1,2}\.[0-5]\d\s*+,?\s*+(?:on\s+)?(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|tomorrow|today|tonight|hrs?|h)\b)
      \d+\.\d+(?!\s?(?:[ap]\.?m\b|[ap]\.m\.))\b
    | \b\d{1,3}(?:,\d{3}){1,12}\b                                                   # 1,200
    | \b(?:room|rm|suite|ste|floor|fl|bldg|building|po|p\.o\.|order|invoice|inv|ticket|case|ref|acct|account
         |item|part|model|no|number|unit|gate|flight|pin|id|ref(?:erence)?|sku|lot|serial|batch|release|rev)\.?\s*+(?:(?:\#|no\.?|number)\s*+)?[a-z]?\d[\d-]*\b
    | \#\s?\d+\b                                                               # #123
    | (?-i:\b(?!(?:ET|PT|CT|MT|AM|PM|Q)\b)[A-Z]{2,5}-?\s?\d{2,6}[A-Z]?\b)        # EB 3267, SAP-4711
    | \b\d{1,2}/\d{1,2},?\s*+(?:net|n/)\s*+\d+\b                                   # terms 2/10 net 30
    | \b24/7\b | \b\d+/\d+(?=\s+(?:of|an?\s+hour|hour|mile|inch|cup|share|point|pt)\b)  # 24/7, 3/4 of
    """


# Cheap rejection: a sentence with none of these cannot hold a time expression.
HINT_RE = re.compile(
    r"\d|@|\b(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|today|tonight|tmrw?|"
    r"tomorrow|2morrow|yesterday|week|midweek|wks?|[ap]m|month|year|eo[dwmqby]|cob|eob|close|end|noon|midday|"
    r"hrs?|mins?|"
    r"midnight|morning|"
    r"afternoon|evening|night|lunch|first thing|q[1-4]|quarter|holiday|thanksgiving|christmas|xmas|labou?r|easter|"
    r"juneteenth|whitsun|pentecost|birthday|corpus|"
    r"memorial|fourth|independence|halloween|valentine|fortnight|hour|minute|day|o'clock|[ap]\.m|[AP]M|"
    r"(?:at|around|about|by|until|past|to|till|half) (?:one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve|noon)|half past|quarter|qtr|hence|@|"
    r"the (?:first|second|third|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty|thirtieth|thirty))",
    re.IGNORECASE,
)

_ATOMS: tuple[tuple[str, str], ...] = (
    # Spans that are never due dates: recurring days, opening hours, weekday ranges.
    (
        "ignore",
        rf"""(?:every|each|most|all|other)\s+(?:other\s+|{_NTH}\s+)?{_WD}
        | (?:the\s+)?{_NTH}\s+{_WD}\s+(?:of|in)\s+(?:every|each|the\s+(?:following|next|coming)\s+months)\b
        | {_WD}\s*+(?:-|–|to|through|thru)\s*+{_WD}(?:,?\s*+\d{{1,2}}(?::\d\d)?\s*+{_AP}?\s*+(?:-|–|to)\s*+
          \d{{1,2}}(?::\d\d)?\s*+{_AP}?)?
        | (?:(?:office|business|working|opening|store|support|our|summer)\s+|(?<=center\s)|(?<=centre\s)
          |(?<=phone\s)|(?<=service\s)|(?<=clinic\s)|(?<=branch\s)|(?<=desk\s)|(?<=normal\s)|(?<=regular\s)|(?<=usual\s)
          |(?<=winter\s))hours\s*(?:are\s*)?:?(?:[\d:.\s–-]|[ap]\.?m\b\.?|to\b|until\b)*
        | \d{{1,2}}\s*+(?:-|to)\s*+\d{{1,2}}\s*+,?\s*+(?:mon|monday)\s*+(?:-|–|to|through|thru)\s*+fri(?:day)?
        | (?:(?:at|by|around|from|until|before|after)\s+)?(?:\d{{1,2}}(?::\d\d)?\s*+{_AP}|noon|midnight)\s+
          (?:daily|nightly|every\s+(?:day|morning|afternoon|evening|night|weekday)|each\s+(?:day|morning|evening))\b
        | (?:daily|nightly|every\s+(?:day|morning|afternoon|evening|night|weekday|business\s+day|working\s+day)
          |each\s+(?:day|morning|afternoon|evening|night|weekday|business\s+day))\b
          (?:\s*+(?:at|by|around|from|until|before|after|@)?\s*+(?:\d{{1,2}}(?::\d\d)?(?!\d)(?:\s*+{_AP})?|noon\b|midnight\b))?
        | (?:fiscal|financial|fy)\s+(?:year[-\s]end|year|end\s+of\s+(?:the\s+)?year)\b
          (?:\s+(?:ends|starts|begins|closes|runs|turns\s+over)\s+(?:in\s+|on\s+)?{_MON}(?:\s+[0-3]?\d(?:st|nd|rd|th)?)?)?
        | (?:enjoy|have)\s+(?:a\s+(?:\w+\s+)?|the\s+|your\s+)?(?:long\s+)?weekend\b
        | (?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekdays|weeknights)\b
          (?:\s*+(?:and|or|&|,)\s*+\w+days\b)*(?:\s*+(?:at|@|from|between|after|before)?\s*+\d{{1,2}}(?::\d\d)?
          \s*+{_AP}?(?:\s*+(?:-|–|to|and)\s*+\d{{1,2}}(?::\d\d)?\s*+{_AP}?)?)?
        | (?:the\s+)?(?:[0-3]?\d(?:st|nd|rd|th)|{_ORDW}|last|final)(?:\s+(?:business\s+|working\s+)?day)?
          \s+of\s+(?:every|each)\s+(?:month|quarter|year)\b
        | (?:(?:every|each)\s+(?:month|quarter|year)|monthly|quarterly)\s*+,?\s*+on\s+(?:the\s+)?
          (?:[0-3]?\d(?:st|nd|rd|th)|{_ORDW}|last\s+(?:business\s+|working\s+)?day)""",
    ),
    # "the second Thursday of next month", "the last Friday in June": before "past" ("last Friday").
    (
        "nthwd",
        rf"""(?:the\s+)?(?P<nth>{_NTH})\s+(?P<nwd>{_WD})\s+(?:of|in)\s+(?:(?P<nmon>{_MON}){_YEAR_N}
        |(?P<nrel>next|this|the\s+following|the\s+coming|the)\s+month\b)""",
    ),
    # Past references: consumed so that "last Tuesday" never yields "Tuesday".
    (
        "past",
        rf"""yesterday|the\s+day\s+before\s+yesterday|the\s+other\s+day|earlier\s+(?:today|this\s+
        (?:week|month|morning|year))|last\s+(?:night|week(?:end)?|month|year|quarter|time|{_WD})
        |this\s+past\s+(?:{_WD}|week(?:end)?)|so\s+far\s+this\s+(?:week|month|quarter|year)
        |this\s+(?:week|month|quarter|year)\s+(?:so\s+far|to\s+date)|previous\s+(?:{_WD}|week|month)|{_NUMW}\s+{_UNIT}\s+ago""",
    ),
    (
        "holiday",
        rf"""(?:(?P<hrel>(?:the\s+)?(?:day|{_WD}|week)\s+(?:after|before)|(?:the\s+)?week\s+of
        |(?:(?:right|just|straight|immediately|shortly|soon)\s+)?(?:after|post|following|over)
        |before|by|prior\s+to|ahead\s+of|until|till|in\s+time\s+for|on)\s+(?:the\s+)?
        (?P<hname>{_HOLIDAY_ANY}|{_HOLIDAY_NAME}|(?-i:(?:[A-Z][a-z]+\.?\s+){{1,3}}(?:Day|Holiday)))
        |(?:the\s+)?(?P<hname2>{_HOLIDAY_NAME})(?=\s+(?:(?:long\s+)?week(?:end)?|morning|afternoon|evening)\b))
        (?P<hwk>\s+(?:long\s+)?week(?:end)?\b)?(?!\s*+(?:'s?\b|-\w)|\s++{_HOLIDAY_THING})
        |(?P<newyear>(?:early\s+)?in\s+the\s+new\s+year|(?:at\s+)?the\s+(?:start|beginning)\s+of\s+(?:the\s+)?
        (?:new|next)\s+year|(?:the\s+)?first\s+of\s+the\s+(?:new\s+)?year|(?:early|start\s+of|beginning\s+of)
        \s+next\s+year|next\s+year)\b(?!['’]s)""",
    ),
    (
        "iso",
        r"(?<![\d/.-])(?P<iy>20\d\d)-(?P<im>[01]?\d)-(?P<id>[0-3]?\d)(?:[t\s](?P<ih>[0-2]\d):(?P<imin>[0-5]\d))?\b",
    ),
    ("numdate", r"(?<![\d/.#$-])(?P<na>\d{1,2})/(?P<nb>\d{1,2})(?:/(?P<ny>\d{4}|\d\d))?(?![\d/]|-\w)"),
    ("dotdate", r"(?<![\d.])(?P<da>\d{1,2})\.(?P<db>\d{1,2})\.(?P<dy>(?:19|20)\d\d)\b"),
    (
        "monthday",
        rf"""(?P<mdm>{_MON})\s*+(?:the\s+)?(?P<mdd>[0-3]?\d(?:st|nd|rd|th)?(?!\d|:\d|[.]\d)(?!\s*+{_AP})|{_ORDW})
        {_YEAR_MD}""",
    ),
    (
        "daymonth",
        rf"""(?:the\s+)?(?P<dmd>[0-3]?\d(?:st|nd|rd|th)?|{_ORDW}(?=\s+of\b))\s+(?:of\s+)?(?:(?P<dmm>{_MON}){_YEAR_DM}
        |(?P<dmrel>this|next|the|the\s+following|the\s+coming)\s+month\b)""",
    ),
    (
        "quarter",
        r"""(?:(?P<qmod>early|earlier\s+in|start\s+of|beginning\s+of|the\s+start\s+of|the\s+beginning\s+of
        |mid|mid-|middle\s+of|the\s+middle\s+of|late|later\s+in|end\s+of|the\s+end\s+of)\s*+(?:the\s+)?)?
        (?:(?P<qn>q[1-4]|[1-4]q|(?:the\s+)?(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+(?:quarter|qtr))
        (?:\s*+,?\s*+(?:of\s++)?(?:fy|cy)?\s*+(?P<qy>(?:20)?\d\d|'\d\d)\b|\s++(?:of\s++)?(?P<qyrel>next|this)\s++year\b)?
        |(?P<qrel>(?:the\s+)?next\s+(?:quarter|qtr)|this\s+(?:quarter|qtr)|the\s+(?:quarter|qtr)|qtr|(?<=of\s)quarter(?!\s+of\b)|(?<!\w)eoq
        |(?:quarter|qtr)[-\s]end))\b(?!'s)""",
    ),
    (
        "year",
        r"""(?P<ymod>end\s+of|the\s+end\s+of|later)\s+(?:the\s+|this\s+)?(?:year|(?P<yy>20\d\d))\b
        |(?:the\s+)?year[-\s]end\b(?!-)|(?<!\w)eoy\b|end\s+of\s+next\s+year
        |(?P<ythis>(?:(?:later|sometime|some\s+time|before\s+the\s+end\s+of)\s+)?this\s+year)\b(?!'s|\s+(?:and|or)\s+next)""",
    ),
    (
        "month",
        rf"""(?:(?P<mmod>early|earlier\s+in|start\s+of|beginning\s+of|the\s+start\s+of|the\s+beginning\s+of
        |(?:the\s+)?(?:first|second|third|fourth|1st|2nd|3rd|4th)\s+week\s+of|(?:the\s+)?first\s+half\s+of|(?:the\s+)?second\s+half\s+of
        |mid|mid-|middle\s+of|the\s+middle\s+of|late|later\s+in|end\s+of|the\s+end\s+of
        |toward(?:s)?\s+the\s+end\s+of|(?:the\s+)?last\s+week\s+of|(?:the\s+)?(?:first|1st)\s+of)\s*+)?(?:(?P<mrel>next\s+month|this\s+month
        |the\s+month(?!\s+of\s+{_MON}|-)|(?<=of\s)month|(?:the\s+)?following\s+month|later\s+this\s+month)\b(?!['’]s)|(?P<mname>{_MON}){_YEAR_M})
        |(?<!\w)eom\b|month[-\s]end\b""",
    ),
    (
        "week",
        r"""(?P<wof>(?:the\s+)?week\s+of)|(?:(?P<wmod>early|earlier\s+in|start\s+of|beginning\s+of|the\s+start\s+of|the\s+beginning\s+of
        |mid|mid-|middle\s+of|the\s+middle\s+of|late|later|later\s+in|end\s+of|the\s+end\s+of|early\s+in|late\s+in
        |sometime\s+in|some\s+time\s+in|in|over|during|within)\s*+)?
        (?P<wrel>(?:the\s+)?week\s+after\s+next|next\s+week|this\s+week|the\s+week(?!\s+(?:of|after)\b)|this\s+coming\s+week
        |the\s+coming\s+week|(?:the\s+)?following\s+week|(?<=of\s)week(?!\s+of\b))\b
        |(?<=of\s)week\b(?!\s+of\b)
        |(?P<wend>(?:this|next|the|over\s+the)\s+weekend)\b|(?<!\w)eow\b|mid[-\s]?week(?P<wnext>\s+next\s+week)?\b""",
    ),
    (
        "duration",
        rf"""(?P<dd>(?:in\s+|within\s+)?(?:a|one)\s+(?:day|week|month)\s+or\s+(?:two|so))\b
        |(?P<dprep>in|within|in\s+the\s+next|over\s+the\s+next|within\s+the\s+next|inside\s+of
        |in\s+another|in\s+about|in\s+around|within\s+about|the\s+next|after|after\s+another|after\s+about)\s+
        (?P<dn>{_NUMW}(?:\s*+(?:-|–|to|or)\s*+{_NUMW})?)(?:\s++|(?<=\d))(?P<dbiz>business\s+|working\s+)?(?P<du>{_UNIT})
        (?:'s?\s+time|\s+or\s+so)?\b(?!\s+from\s+(?:now|today|tomorrow)\b)
        |(?P<fn>{_NUMW})\s+(?P<fbiz>business\s+|working\s+)?(?P<fu>{_UNIT})\s+(?:(?:out\s+)?from\s+(?P<ffrom>now|today|tomorrow
        |{_WD})|(?P<fhence>hence)\b)
        |(?P<wn>{_NUMW})\s+(?P<wnd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)s\s+(?:from\s+(?:now|today)|hence)\b
        |(?P<nx>(?:in|within|over)\s+the\s+(?:next|coming(?!\s+week))\s+(?P<nxu>day|week|month))(?:\s+or\s+so)?\b
        |(?P<fort>(?:in\s+|within\s+)?a\s+fortnight)\b|(?P<half>(?:in|within)\s+half\s+an\s+hour)\b
        |(?P<hour>(?:in|within|inside)\s+the\s+(?:next\s+)?(?P<hhalf>half[\s-])?hour)\b(?!['’]s|\s+(?:of|after|before|mark)\b)""",
    ),
    (
        "ordinal",
        rf"""(?P<oprep>(?:on|by|before|until|till|from|starting)\s+the\s+)(?P<odw>{_ORDW})(?=\s*+(?:[,.;:!?)]|$
        |(?:at|to|and|or|if|so|once|when|after|before|as|with|then|latest|please|for\s+(?:the|a|our|your))\b))
        |(?P<othe>the\s+)?(?P<od>[0-3]?\d)(?:st|nd|rd|th)\b(?!\s+(?:floor|quarter|party|round|time|
        place|grade|edition|version|gen|generation|anniversary|century|birthday|ave|avenue|street|st\b|fl\b|level|
        largest|biggest|best|option|draft|revision|attempt|call|meeting|one|item|point|page|paragraph|line|row|
        column|year|month|week|day|hour|person|customer|step|phase|stage|amendment|issue|question|time|
        percentile|annual))""",
    ),
    (
        "relday",
        r"""(?:(?:the\s+)?day\s+after\s+tomorrow|tomorrow|tmrw?|2morrow|(?:later\s+)?today(?!'s)
        |(?:later\s+)?tonight|(?:some\s?time\s+)today)\b""",
    ),
    (
        "weekday",
        rf"(?P<wpre>a\s+week\s+(?:on\s+)?(?={_WD}))?"
        rf"(?:(?P<wdmod>this\s+coming|this|next|coming|upcoming|the\s+following)\s+)?(?P<wd>{_WD}|{_WD_NAME}(?P<wposs>['’]s\b))"
        r"(?:(?<!y)\.(?=\s*+\w))?"
        r"(?P<after>\s+after\s+next)?(?P<wweek>\s+week\b)?(?P<wfort>\s+fortnight\b)?",
    ),
    (
        "eod",
        r"""(?<![\w.])(?:e\.o\.d\.|c\.o\.b\.|e\.o\.b\.|e\.o\.d|c\.o\.b|eod|cob|eob)(?!\w)|(?:close|end)\s+of\s+(?:business|play)|end\s+of\s+
        (?:the\s+)?(?:business\s+)?day|end\s+of\s+business|day'?s\s+end""",
    ),
    (
        "clock",
        rf"""(?:(?P<rprep>between|from)\s+|(?:at|around|about|@)\s*+)?(?P<r1>\d{{1,2}})(?:[:.](?P<r1m>[0-5]\d))?\s*+(?P<r1ap>{_AP})?\s*+
        (?:-|–|to|until|till|and)\s*+(?:(?P<r2>\d{{1,2}})(?:[:.](?P<r2m>[0-5]\d))?(?![\d/])\s*+(?P<r2ap>{_AP})?
        |(?P<r2noon>noon|midday)\b)
        |(?P<h>\d{{1,2}})(?:[:.]?(?P<m>[0-5]\d))?\s*+(?P<ap>{_AP}|o'?clock\b)(?:\s*+-?\s*+ish\b)?
        |(?<![\d:.])(?P<hh>[0-2]?\d):(?P<mm>[0-5]\d)(?![\d:])(?:\s*+h(?:rs?|ours)?\b)?
        |(?P<mil>[0-2]?\d[.:]?[0-5]\d)(?=\s*+(?:{_ZONE_LOW}|eastern|central|pacific|mountain|hours|hrs?|h)\b)
        |(?P<cprep>at|@|around|about|by|until|till|after|from|before|approx\.?|approximately)\s*+(?P<hc>[0-2]?\d)
        (?:(?P<csep>[.:]?)(?P<hcm>[0-5]\d))?(?!\d|[.,/:-]\d)(?:\s*+(?P<hcap>{_AP})|\s*+o'?clock|\s*+-?\s*+ish\b)?
        |(?P<cd>[0-2]?\d\.?[0-5]\d)(?![\d:/]|[.,]\d|\s*+[-–]\s*+\d)
        |(?:(?P<qprep>at|around|about|by|until|till|from|after|before|@)\s+)?(?P<qp>half|(?:a\s+)?quarter|{_MINW}
        |\d{{1,2}})(?:\s+min(?:ute)?s?)?\s+(?P<qdir>past|after|to|till|til)\s+(?P<qh>\d{{1,2}}|{_HOURW}|noon|midnight)
        (?:\s*+(?P<qap>{_AP})|\s*+o'?clock\b|(?![\w:]))
        |(?:(?P<hbprep>at|around|about|by|from)\s+)?half\s+(?P<hb>{_HOURW}|\d{{1,2}})(?![\w:]|\s+(?:an|hour|past|to|of)\b)
        |(?:(?:at|around|about|by|until|after|before)\s+)?(?P<hw>{_HOURW})(?:[\s-]+(?P<hwm>{_MINW_CLOCK}))?
        (?:\s*+(?P<hwap>o'?clock|{_AP}))
        |(?:(?:at|around|about|by|until|till)\s+)(?P<hw2>{_HOURW})(?:[\s-]+(?P<hw2m>{_MINW_CLOCK}))?(?![\w-])
        (?:\s*+-?\s*+ish\b)?
        |(?P<ish>[0-2]?\d)\s*+-?\s*+ish\b
        |(?<![\d:./$#-])(?P<hp>1[0-2]|0?[1-9])(?=\s+{_PART_NEXT})
        |(?P<noon>(?:12\s+)?noon(?:ish)?|midday|mid-day)\b|(?P<midnight>midnight)\b""",
    ),
    (
        "part",
        r"""(?:(?P<ppre>this|in\s+the|early\s+in\s+the|late\s+in\s+the|later\s+in\s+the|early|late|mid-?
        |first\s+thing\s+in\s+the|during\s+the|by)\s*+)?(?P<pp>morning|afternoon|evening|night)\b
        |(?P<first>first\s+thing)(?:\s+in\s+the\s+morning)?\b
        |(?P<lprep>at|over|after|before|around|by)\s+lunch\b|(?P<lt>lunch\s?time)\b
        |(?P<apre>this|later\s+this)\s+(?P<ap2>a\.m\.|p\.m\.|a\.m|p\.m|am|pm)(?!\w)
        |(?<![\w.])(?P<apx>am|pm|a\.m\.|p\.m\.)(?!\w)
        |(?P<pin>in\s+the\s+(?P<pinap>a\.?m|p\.?m)\b\.?)""",
    ),
    (
        "zone",
        rf"""\(?(?:(?-i:(?P<zab>{_ZONE_UP}))(?![\w])
        |(?:(?<=\d)|(?<=\d\s)|(?<=[ap]m\s)|(?<=\.m\.\s)|(?<=\.m\s)|(?<=noon\s)|(?<=midnight\s)
        |(?<=\d\()|(?<=\d\s\()|(?<=[ap]m\()|(?<=[ap]m\s\()|(?<=\.m\.\s\()|(?<=noon\s\())(?P<zlow>{_ZONE_LOW})
        (?![\w])
        |(?P<zus>eastern|central|mountain|pacific)(?:\s+(?:standard|daylight))?(?:\s+time)?\b
        |(?P<zcity>london|uk|new\s+york|ny|nyc|boston|toronto|houston|chicago|dallas|denver|calgary|la|san\s+
        francisco|seattle|portland|paris|berlin|frankfurt|amsterdam|zurich|madrid|tokyo|singapore|hong\s+kong|
        sydney|india|mumbai|dubai)\s+time\b|(?P<zyour>your|my|our|local|their)\s+time\b)\)?""",
    ),
)

ATOM_NAMES = tuple(name for name, _ in _ATOMS)


# Every word an atom can start with (digits, "@" and "(" are always tried). Trying the big alternation only at
# these words is what makes the grammar fast; tests/test_dates.py checks that no atom starts anywhere else.
STARTERS = frozenset(
    """
    every each most all other office business working opening store support yesterday the earlier last this
    previous after post following before by prior ahead until till over early in at first next start beginning
    mid middle late later end toward towards q second third fourth quarter eoq eoy eom eow year month
    week weekend midweek coming upcoming within inside a an one two three four five six seven eight nine ten
    eleven twelve fifteen twenty thirty couple few several half tomorrow tmrw tmr today tonight some sometime day
    e c eod cob eob close around about from between noon midday midnight during morning afternoon evening night
    lunch lunchtime am pm p et est edt ct cst cdt mt mst mdt pt pst pdt gmt utc bst cet cest ist jst sgt hkt aest
    aedt eastern central mountain pacific london uk new ny nyc boston toronto houston chicago dallas denver
    calgary la san seattle portland paris berlin frankfurt amsterdam zurich madrid tokyo singapore hong sydney
    india mumbai dubai your my our local their on right just straight immediately shortly soon christmas xmas x
    thanksgiving turkey labor labour memorial fourth 4th independence presidents president washington mlk dr
    martin juneteenth columbus indigenous veterans remembrance boxing st saint easter good whit whitsun pentecost
    ascension victoria canada family civic heritage louis islander australia anzac waitangi king queen spring
    summer august june october german corpus reformation halloween valentine valentines qtr approx approximately
    hence noonish aet awst acst nzst nzdt hst akst akdt ast adt wet west eet eest sast final fifth
    mondays tuesdays wednesdays thursdays fridays saturdays sundays weekdays weeknights daily nightly enjoy have
    fiscal financial fy hours so monthly quarterly
    1st 2nd 3rd 4th 5th thirteen fourteen sixteen seventeen eighteen nineteen forty fifty sixty ninety
    """.split()  # noqa: SIM905 (a word list reads better as text)
    + list(WEEKDAY_NAMES)
    + list(MONTH_NAMES)
)
_START_RE = re.compile(r"(?<!\w)(?:[a-z]+|[0-9@(])", re.IGNORECASE)


def find_atoms(masked: str) -> list[re.Match[str]]:
    """The matches of ``atom_re()`` from left to right, as ``finditer`` would give them, but faster."""
    return read_atoms(masked, lambda m: m)


def read_atoms(masked: str, handle: Callable[[re.Match[str]], T | None]) -> list[T]:
    """``handle`` each atom match from left to right; a match it rejects (None) does not hide the words in it.

    Trying the big alternation only at STARTERS words is what makes the grammar fast.
    """
    atom, pos, found = atom_re(), 0, []
    for start in _START_RE.finditer(masked):
        word = start.group()
        if start.start() < pos or not (word[0] in "0123456789@(" or word.lower() in STARTERS):
            continue
        m = atom.match(masked, start.start())
        if m is not None:
            result = handle(m)
            if result is not None:
                pos = m.end()
                found.append(result)
    return found


@functools.cache
def mask_re() -> re.Pattern[str]:
    """Compiled on first use: the two big patterns cost ~20 ms, which imports should not pay."""
    return re.compile(_MASK, re.IGNORECASE | re.VERBOSE | re.MULTILINE)


@functools.cache
def atom_re() -> re.Pattern[str]:
    """All atoms as one alternation; ``lastgroup`` names the atom, and group names are unique across atoms."""
    # One shared "(?<!\\w)" up front: most positions are inside a word and fail there once, not once per atom.
    alternatives = (f"(?P<{name}>{pattern})" for name, pattern in _ATOMS)
    return re.compile("(?<!\\w)(?:" + "|".join(alternatives) + ")", re.IGNORECASE | re.VERBOSE)


# Text allowed between two atoms of one expression ("Friday, March 20 at 2pm ET").
JOIN_RE = re.compile(
    r"^(?:[\s,(]|at\b|on\b|@|by\b|around\b|about\b|approx\.?|in\s+the\b|of\b|the\b|from\b|between\b|starting\b"
    r"|some\s?time\b|say\b|after\b|before\b|hrs?\b\.?|hours\b|h\b|-|–|—)*$",
    re.IGNORECASE,
)
DEADLINE_BEFORE_RE = re.compile(
    r"(?:\bby|\bbefore|\bno\s+later\s+than|\bnot\s+later\s+than|\bprior\s+to|\bahead\s+of|\blatest\s+by|\bdue"
    r"(?:\s+date)?(?:\s+is)?|\bdeadline(?:\s+is)?(?:\s+of)?(?:\s*+:)?|\bdue\s*+:|\bup\s+to|\bwithin"
    r"|\bbefore\s+(?:our|the|your|my|their|this)\s+\w+(?:\s+\w+)?\s+(?:on|at))\s*(?:the\s+)?$",
    re.IGNORECASE,
)
DEADLINE_AFTER_RE = re.compile(r"^\s*,?\s*(?:at\s+the\s+)?latest\b", re.IGNORECASE)

CLAUSE_SPLIT_RE = re.compile(
    r"[;!?]|:(?!\d)|(?<!\b\w)\.(?:\s|$)|,(?!\d)|\s[-–—]+\s|\s(?:and|but|so|which|whereas|although)\s", re.I
)
PAST_RE = re.compile(
    r"\b(?:sent|met|spoke|talked|called|emailed|e-mailed|mailed|faxed|was|were|had|did|went|got|received|"
    r"discussed|mentioned|said|told|asked|left|visited|signed|delivered|shipped|came|saw|heard|agreed|wrote|"
    r"replied|responded|forwarded|gave|showed|presented|submitted|finished|completed|launched|arrived|returned|"
    r"expired|ended|missed|tried|reviewed|approved|paid|ordered|posted|since|ago|thanks(?:\s+again)?\s+for|"
    r"lost|took|began|brought|bought|sold|won|found|caught|spent|dropped|wasn't|weren't|didn't|hadn't|"
    r"couldn't|happened|occurred|"
    # Lower case only: some are names too ("Jim Fell", "Rose", "Drew").
    r"(?-i:flew|ran|drove|rode|fell|rose|grew|broke|forgot|chose|drew|threw|knew|stood|struck|taught|fought|wore|"
    r"tore|froze|stole|shook|blew|fled|dealt|dug|stuck|slept|woke|swore)|"
    r"(?:came|went|dropped|stopped)\s+(?:by|in|over|off)|"
    r"thank\s+you(?:\s+again)?\s+for|enjoyed|as\s+(?:promised|agreed|mentioned|requested|noted|per)|further\s+to|"
    r"following\s+(?:our|your|my|the|his|her|their)|in\s+(?:reply|response|answer)\s+to|"
    r"(?:regarding|re:?|about|on)\s+(?:your|our|my|the|his|her|their)\s+(?:e-?mail|message|note|letter|call|fax|memo"
    r"|voicemail|request|order|quote)\s+(?:of|from|on|dated|sent)|dated|(?:i|we|they|he|she)\s+(?:\w+ly\s+)?\w{3,}ed|following\s+up\s+on|as\s+(?:we\s+)?discussed|per\s+our|(?:great|nice|good)\s+(?:to\s+)?"
    r"(?:talking|speaking|meeting|seeing|see|meet|talk|speak|catching))\b",
    re.IGNORECASE,
)
# A regular past tense after its subject, before the expression: "Dave pulled it together on Friday", "the
# shipment arrived Monday". Not a participle used as an adjective ("the signed copy Friday", "get it signed by
# Friday"), nor a word that only ends in -ed, nor one that moves a date ahead ("delayed to", "scheduled for").
PAST_ED_RE = re.compile(r"\b([a-z]+)\s+(?:\w+ly\s+)?([a-z]{2,}ed)\b", re.IGNORECASE)
PAST_ED_NOT_AFTER = frozenset(
    """
    the a an your our my their his her its this that these those be been being is are am get gets getting got
    have has had having it them him her me us you was were will would should could can must to and or any some
    all fully newly well just already not ve s d ll re m
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
PAST_ED_NOT_VERBS = frozenset(
    """
    need speed seed feed bed red shed proceed exceed succeed indeed hundred embed deed breed weed bleed led
    scheduled rescheduled planned booked arranged confirmed moved pushed postponed expected supposed required
    needed interested delayed extended deferred slated tentatively pencilled penciled set aimed targeted
    intended committed prepared assigned reserved limited advised informed concerned related based attached
    enclosed included headed lined reminded requested suggested indicated decided promised offered proposed
    wanted hoped noted
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# A day the sentence turns down ("Friday doesn't work", "not Friday", "instead of Friday", "moved from the 10th"),
# or a day the writer is away ("I'm out Friday"): skipped, and the next expression is read.
REJECTED_AFTER_RE = re.compile(
    r"""\s*+,?\s*+(?:(?:slot|time|spot|window|option|day|date|one|meeting|call)\s+)?
    (?:(?:does|do|will|would|is|'s)(?:n't|\s+not)\s+(?:work|suit|do|good|possible|an\s+option)
    |won't\s+(?:work|do|suit)|(?:is|'s)\s+(?:(?:already|now)\s+)?(?:out|no\s+good|bad|impossible|booked|full|taken
    |gone|tough|difficult|tricky|off|closed|a\s+(?:(?:public|bank|stat|statutory|company|national)\s+)?holiday
    |a\s+no-?go|off\s+the\s+table|not\s+great|a\s+problem)|(?:is|'s)\s+(?:a\s+)?bit\s+(?:tight|tricky|difficult))\b""",
    re.IGNORECASE | re.VERBOSE,
)
REJECTED_BEFORE_RE = re.compile(
    r"""(?:\bnot|\bcan't\s+(?:do|make)|\bcannot\s+(?:do|make)|\bcan\s+not\s+(?:do|make)|\bunable\s+to\s+(?:do|make)
    |\bcouldn't\s+(?:do|make)|\binstead\s+of|\brather\s+than|\bother\s+than|\bexcept|\bapart\s+from
    |\b(?:mov|push|postpon|reschedul|bump|shift|chang|delay|switch)\w*\s+(?:\w+\s+){0,4}?from)\s+(?:on\s+)?$""",
    re.IGNORECASE | re.VERBOSE,
)
OFFERED_AFTER_RE = re.compile(
    r"\s*+(?:works|would\s+work|suits|would\s+suit|instead|is\s+(?:better|good|fine|great|ok|okay|free|open))\b",
    re.I,
)
LIST_JOIN_RE = re.compile(r"\s*+(?:,|and|or|&)?\s*+(?:(?:and|or)\s+)?(?:on\s+)?", re.I)
POSSESSIVE_EVENT_GAP_RE = re.compile(
    r"^(?:['’]s)?\s++(?:[a-z]+(?:['’]s)?\s++){1,2}?(?:is\s++|will\s+be\s++)?(?:at\s++|@\s*+)?$", re.I
)
# Habits are no one due ("I usually catch the 5:15 train", "we normally close at 5").
# Opening hours are a habit too ("the market opens at 9:30 ET", "the store closes at 6").
HABITUAL_RE = re.compile(
    r"""\b(?:usually|normally|typically|habitually|tend\s+to|tends\s+to)\b
    |\b(?:market|markets|exchange|store|stores|shop|shops|office|offices|warehouse|branch|desk|bank|banks|plant|dock
    |counter|gym|restaurant|cafeteria|canteen|mall|clinic|pharmacy|bar|kitchen|reception|lobby)\s+(?:opens|closes
    |shuts|reopens|opens\s+up)\b""",
    re.I | re.VERBOSE,
)
# A subordinate clause the time waits for: "Friday at 6 once the plant closes", "after the store closes".
WAITS_FOR_BEFORE_RE = re.compile(
    r"\b(?:once|when|after|before|until|till|as\s+soon\s+as|by\s+the\s+time)\s+(?:[\w'’]+\s+){0,3}$", re.I
)
HOURS_VERB_RE = re.compile(r"\b(?:opens|closes|shuts|reopens)\b", re.I)
OPENS_AT_BEFORE_RE = re.compile(
    r"\b(?:opens|closes|shuts|reopens)(?:\s+(?:up|down))?\s+(?:at|@|around)?\s*+$", re.I
)
# A cancelled event's day, in the same clause ("Tomorrow's meeting is cancelled", "the Friday call is off").
CANCELLED_AFTER_RE = re.compile(
    r"""^(?:(?!\b(?:if|unless|in\s+case|whether)\b)[^.;:!?])*?\b(?:is|are|was|were|'s|has\s+been|have\s+been|got|will\s+be)
    \s+(?:(?:now|being|just)\s+)?(?:cancell?ed|called\s+off|scrapped|not\s+happening)
    |^\s*+(?:\w+\s+){0,2}?(?:is|are|'s)\s+off\b(?!\s+(?:to|from|the|on|work|sick|until|till))""",
    re.I | re.VERBOSE,
)
CANCELLED_BEFORE_RE = re.compile(r"\b(?:cancell?ed|called-off|scrapped)\s+$", re.I)
RANGE_JOIN_RE = re.compile(
    r"\s*+(?:,|and|or|&|through|thru|to|until|till|-|–)?\s*+(?:(?:and|or)\s+)?(?:on\s+)?", re.I
)
ABSENT_BEFORE_RE = re.compile(
    r"""\b(?:(?i:i'm|i\s+am|i'll\s+be|i\s+will\s+be|we're|we\s+are|we'll\s+be|we\s+will\s+be|i'm\s+going\s+to\s+be
    |(?:he|she|they)(?:'s|'re|\s+is|\s+are|'ll\s+be|\s+will\s+be))|[A-Z][a-z]+(?:'s|\s+is|\s+will\s+be))
    \s+(?i:out(?:\s+of\s+(?:the\s+)?office)?|off|away|on\s+(?:vacation|leave|holiday|pto|annual\s+leave)
    |travel(?:l)?ing|unavailable|ooo|offline|off\s+sick|closed|shut)\s+(?i:on\s+|all\s+(?:day\s+)?)?$
    |(?i:\b(?:office|offices|store|shop|plant|warehouse|site|building|we|we're|we\s+are|we'll\s+be)
    (?:\s+(?:is|are|'s|will\s+be))?\s+(?:closed|shut)|^\s*+closed|:\s*+closed)\s+(?i:on\s+|all\s+(?:day\s+)?)?$""",
    re.VERBOSE,
)
# "... at 3.15 for next month": the period a price covers (with PRICE_NUMBER_RE before it in the sentence).
PRICED_FOR_BEFORE_RE = re.compile(r"\bfor\s+(?:the\s+)?(?:(?:balance|rest|remainder)\s+of\s+(?:the\s+)?)?$", re.I)
PRICE_NUMBER_RE = re.compile(r"(?<![\d.])\d{1,4}\.\d{2,4}(?![\d.])")
QUOTED_RE = re.compile(r'"[^"\n]{1,200}"|“[^”\n]{1,200}”')
# Looser evidence of the past, used only when a date without a year already lies behind us this year
# ("The tender closed on 2/20", "Prices rose in January"), which would otherwise be read as next year.
PAST_LOOSE_RE = re.compile(
    r"\b(?:\w{3,}ed|rose|fell|grew|went|came|began|took|made|saw|won|lost|sold|bought|spent|built|met|sent|left|"
    r"paid|ran|wrote|spoke|held|gave|got|had|was|were|did)\b",
    re.IGNORECASE,
)
FUTURE_RE = re.compile(
    r"(?:^\s*+(?:please\s+|pls\s+|plz\s+)?(?:get|send|make\s+sure|keep|bring|return|sign)\b|(?:needed|required|wanted|expected|requested)\s+(?:back\s+)?(?:by|before|no\s+later\s+than)\b|\b(?:will|shall|going\s+to|gonna|plan|plans|planning|intend|expect|hope|hoping|can|could|would|let's|"
    r"let\s+me|should|need\s+to|needs\s+to|must|want\s+to|try\s+to|aim|scheduled|rescheduled|moved|pushed|"
    r"planned|booked|arranged|confirmed|pencilled|penciled|need|needs|require|requires|like|expecting|"
    r"postponed|please|look\s+forward|looking\s+forward|upcoming|tentatively|did\s+you|do\s+you|are\s+you|"
    r"is\s+due|are\s+due|won't|wouldn't|can't|until)\b|'ll\b|'d\b)",
    re.IGNORECASE,
)
# How long something takes, right before a duration: "installation takes about two hours", "lead time is a
# week or so", "the flight is about six hours". Not "takes effect in 30 days": only adverbs may stand between.
DURATION_BEFORE_RE = re.compile(
    r"""\b(?:takes?|took|taking|taken|lasts?|lasted|lasting|runs?|ran
    |(?:turn-?around|lead|processing|delivery|shipping|transit|wait(?:ing)?|response|cycle|install(?:ation)?
    |set-?up|build|review|approval|travel|drive|flight|trip|call|meeting|session|workshop|training|demo|install
    |it|that|this)(?:\s+times?)?(?:\s+(?:is|are|was|were|'s|of|runs?|:)|'s|:))
    \s+(?:(?:me|us|you|them|him|her|it|about|around|roughly|approximately|approx\.?|up\s+to|at\s+least|at\s+most
    |under|over|less\s+than|more\s+than|only|just|typically|usually|generally|normally|currently|still|a\s+good
    |a\s+full|another|an\s+extra|an\s+additional|nearly|almost|maybe|probably|likely|anywhere\s+from|between
    |easily|realistically|closer\s+to|upwards\s+of|well\s+over)\s+)*$""",
    re.IGNORECASE | re.VERBOSE,
)
# The unit after a number word that makes it an amount of time, not a clock time ("about two hours").
UNIT_AFTER_RE = re.compile(r"\s*+(?:-\s*+)?(?:and\s+a\s+half\s+)?" + _UNIT + r"\b", re.IGNORECASE)
# A time the sentence finds too full ("this week is crazy", "we're slammed this quarter") gives way to one proposed
# after it ("..., can we do next week?", "let's talk Thanksgiving week instead").
BUSY_RE = re.compile(
    r"""(?:\b(?:is|are|was|were|am|looks?|looking|getting|gets|seems?)|['’](?:s|re|m))\s+(?:(?:\w+ly|pretty|very|so|too
    |super|a\s+bit|kind\s+of|just|already|crazy|all|totally|completely)\s+)*(?:tight|slammed|swamped|busy|packed
    |crazy|hectic|nuts|insane|chaotic|jammed|booked|maxed|full|impossible|underwater|buried|rough|tough|bad|out
    |no\s+good|not\s+good|not\s+great|difficult|hard|tricky|awkward|a\s+wash|a\s+zoo|a\s+mess|a\s+problem
    |flat\s+out)\b
    |\b(?:(?:do|does|will|would)(?:n[’']?t|\s+not)|won[’']?t)\s+work\b""",
    re.IGNORECASE | re.VERBOSE,
)
PROPOSAL_RE = re.compile(
    r"""\b(?:let[’']?s|let\s+us|can\s+we|could\s+we|how\s+about|what\s+about|shall\s+we|why\s+don[’']?t\s+we
    |why\s+not|maybe|perhaps|instead|rather|prefer|would|push\s+(?:it|this|that)|move\s+(?:it|this|that)
    |(?:i|we)(?:[’']ll|\s+will|\s+can|\s+could))\b""",
    re.IGNORECASE | re.VERBOSE,
)
INSTEAD_AFTER_RE = re.compile(r"^[^.;!?]{0,30}\binstead\b", re.IGNORECASE)
