"""What the .ics reminder sink lists of each of our VEVENTs: its start and the hashes we stored in it.

Listing runs every pass over every reminder, so it parses only the six properties it needs
(:func:`listed`), with icalendar's own content-line parser and value types, and falls back to icalendar's
whole parse (:func:`listed_fully`, the definition) for anything unusual. tests/test_icsfile.py checks that
both read the same for our own events and for events a calendar app rewrote.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from followup_sync.backends.icstext import Block
from followup_sync.model import text_hash

if TYPE_CHECKING:
    import icalendar

HASH_PROPERTY = "X-FOLLOWUP-SYNC-HASH"  # Reminder.content_hash of what we wrote
TEXT_PROPERTY = "X-FOLLOWUP-SYNC-TEXT"  # model.text_hash of the SUMMARY and DESCRIPTION we wrote
#: (start in UTC, or None if unreadable; the other ``RemoteItem`` fields: hashes, subject, categories)
Listed = tuple[datetime | None, dict[str, Any]]


def listed_hashes(event: icalendar.cal.Component) -> dict[str, Any]:
    """What a listed VEVENT of ours says besides its start (``RemoteItem`` fields): the hashes we stored when we
    wrote it, the text hash of its SUMMARY and DESCRIPTION as they are now (changed only if the user edited the
    text), and its SUMMARY and CATEGORIES (where the rep answers: ``preferences.calendar_answer``)."""
    stored, written = event.get(HASH_PROPERTY), event.get(TEXT_PROPERTY)
    found = event.get("CATEGORIES")
    cats = [c for v in (found if isinstance(found, list) else [found] if found is not None else [])
            for c in getattr(v, "cats", [])]  # fmt: skip
    return {
        "content_hash": str(stored) if stored is not None else None,
        "text_hash": text_hash(str(event.get("SUMMARY", "")), str(event.get("DESCRIPTION", ""))),
        "written_text_hash": str(written) if written is not None else None,
        "subject": str(event.get("SUMMARY", "")),
        "categories": tuple(str(c) for c in cats),
    }


@functools.cache
def _ical_types() -> tuple[Any, Any, Any]:
    """icalendar's Contentline, vDDDTypes and vText (untyped in its stubs), imported when a file is first read."""
    from icalendar import parser, prop

    return parser.Contentline, prop.vDDDTypes, prop.vText


_LISTED_PROPERTIES = frozenset({"DTSTART", "SUMMARY", "DESCRIPTION", HASH_PROPERTY, TEXT_PROPERTY})
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def listed(block: Block) -> Listed:
    """The start and hashes of one of our VEVENTs as :func:`listed_hashes` reads them.

    Only the six properties it needs are parsed (with icalendar's own value types): parsing the whole event
    costs about six times as much, which at thousands of reminders is most of a pass. Anything unusual falls
    back to the whole parse; an event even that cannot read is listed without a start.
    """
    props: dict[str, str] = {}
    cats: list[str] = []
    depth, current = 0, None
    for line in block.lines:
        if line[:1] in (" ", "\t"):
            if current == "CATEGORIES":
                cats[-1] += line[1:]
            elif current is not None:
                props[current] += line[1:]
            continue
        head = line.split(":", 1)[0]
        name = head.split(";", 1)[0].strip().upper()
        current = None
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif depth == 1 and name == "CATEGORIES":
            cats.append(line)
            current = name
        elif depth == 1 and name in _LISTED_PROPERTIES and name not in props:
            props[name] = line
            current = name
    _contentline, _vDDDTypes, _vText = _ical_types()
    try:
        params: dict[str, str] = {}
        value: object = None
        if "DTSTART" in props:
            params, raw = _parts(props["DTSTART"])
            value = _vDDDTypes.from_ical(raw, timezone=params.get("TZID"))
        texts = {
            name: str(_vText.from_ical(_parts(props[name])[1]))
            for name in ("SUMMARY", "DESCRIPTION", HASH_PROPERTY, TEXT_PROPERTY)
            if name in props
        }
        categories = tuple(
            str(_vText.from_ical(c)) for line in cats for c in _UNESCAPED_COMMA.split(_parts(line)[1])
        )
    except Exception:  # a form we do not read ourselves: icalendar's whole parse decides
        return listed_fully(block)
    if not isinstance(value, date) or params.get("VALUE", "").upper() not in ("", "DATE", "DATE-TIME"):
        return listed_fully(block)
    hashes = {
        "content_hash": texts.get(HASH_PROPERTY),
        "text_hash": text_hash(texts.get("SUMMARY", ""), texts.get("DESCRIPTION", "")),
        "written_text_hash": texts.get(TEXT_PROPERTY),
        "subject": texts.get("SUMMARY", ""),
        "categories": categories,
    }
    return _as_utc(value), hashes


def _parts(line: str) -> tuple[dict[str, str], str]:
    """A content line's parameters and value as icalendar's parser gives them (backslashes unescaped). Our
    hex hashes, with no parameters and nothing to unescape, skip the parser: it is most of the cost."""
    name, sep, value = line.partition(":")
    if sep and name.upper() in (HASH_PROPERTY, TEXT_PROPERTY) and value.isalnum():
        return {}, value
    _name, params, value = _ical_types()[0](line).parts()
    return params, value


def listed_fully(block: Block) -> Listed:
    import icalendar

    try:
        event = icalendar.Event.from_ical("\r\n".join(block.lines))
        value = event.get("DTSTART").dt
    except Exception:  # the user (or their app) left it unreadable: we still list it, without a start
        return None, {}
    return _as_utc(value), listed_hashes(event)


def _as_utc(value: date) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, datetime.min.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
