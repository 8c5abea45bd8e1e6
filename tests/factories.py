"""Small builders for messages, meetings and follow-ups, so tests read like the mail they describe.

Times are given as local wall time in the rep's zone (``ZONE``) unless a datetime is passed, because that is
how people read mail: ``at("2026-11-23 10:00")`` is Monday 10:00 in New York, stored as aware UTC.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from followup_sync import config as configmod
from followup_sync.config import Config, Identity, Rules, Schedule
from followup_sync.model import FollowUp, Kind, Meeting, Message, followup_key

ZONE = ZoneInfo("America/New_York")
REP = "rep@vendor.com"
COLLEAGUE = "boss@vendor.com"
JANE = "jane@acme.com"
BOB = "bob@acme.com"
IDENTITY = Identity(addresses=(REP,), timezone="America/New_York", name="Rita Rep")
RULES = Rules()
SCHEDULE = Schedule()

_counter = itertools.count(1)


def at(text: str, zone: ZoneInfo = ZONE) -> datetime:
    """'2026-11-23 10:00' read as wall time in ``zone``, returned as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=zone).astimezone(UTC)


def message(
    *,
    sender: str,
    to: tuple[str, ...] | str,
    subject: str,
    body: str = "",
    sent: str | datetime,
    cc: tuple[str, ...] = (),
    bcc: tuple[str, ...] = (),
    id: str | None = None,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    conversation_id: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    attachments: tuple[str, ...] = (),
    zone: ZoneInfo = ZONE,
) -> Message:
    sent_at = sent if isinstance(sent, datetime) else at(sent, zone)
    return Message(
        id=id or f"m{next(_counter)}@test",
        sender=sender,
        to=(to,) if isinstance(to, str) else to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        sent_at=sent_at,
        body=body,
        in_reply_to=in_reply_to,
        references=references,
        conversation_id=conversation_id,
        headers=headers,
        attachments=attachments,
        link=f"https://mail.example/{id or 'msg'}",
    )


def sent(to: tuple[str, ...] | str, subject: str, body: str, when: str, **kw: object) -> Message:
    """A message the rep sent."""
    return message(sender=REP, to=to, subject=subject, body=body, sent=when, **kw)  # type: ignore[arg-type]


def received(sender: str, subject: str, body: str, when: str, **kw: object) -> Message:
    """A message the rep received (addressed to the rep unless ``to`` says otherwise)."""
    kw.setdefault("to", REP)
    return message(sender=sender, subject=subject, body=body, sent=when, **kw)  # type: ignore[arg-type]


def meeting(
    subject: str,
    start: str,
    end: str,
    attendees: tuple[str, ...],
    *,
    uid: str | None = None,
    cancelled: bool = False,
) -> Meeting:
    return Meeting(
        uid=uid or f"mtg{next(_counter)}@test",
        subject=subject,
        start=at(start),
        end=at(end),
        organizer=REP,
        attendees=attendees,
        cancelled=cancelled,
        link="https://calendar.example/event",
    )


def followup(
    kind: Kind = "promise",
    *,
    due: str | datetime = "2026-11-25 14:00",
    has_time: bool = True,
    deadline: bool = False,
    contacts: tuple[str, ...] = (JANE,),
    origin: str = "origin@test",
    thread: str = "t-1",
    evidence: str = "I'll call you Wednesday at 2pm.",
    subject: str = "Q3 pricing",
    channel: str | None = "call",
    not_before: datetime | None = None,
    attempt: int = 1,
) -> FollowUp:
    due_at = due if isinstance(due, datetime) else at(due)
    return FollowUp(
        key=followup_key(kind, origin, ",".join(contacts)),
        kind=kind,
        origin_id=origin,
        thread_key=thread,
        contacts=contacts,
        due=due_at,
        evidence=evidence,
        thread_subject=subject,
        created_at=due_at,
        due_has_time=has_time,
        deadline=deadline,
        channel=channel,  # type: ignore[arg-type]
        link="https://mail.example/origin",
        not_before=not_before,
        attempt=attempt,
    )


def make_config(tmp_path: Path, *, addresses: tuple[str, ...] = (REP,), **sections: dict[str, object]) -> Config:
    """A config for a pass with memory backends passed in (mail and meetings "none", an unused .ics)."""
    data: dict[str, object] = {
        "identity": {"addresses": list(addresses), "timezone": "America/New_York", "name": "Dana Reyes"},
        "mail": {"backend": "none"},
        "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp_path / "unused.ics")},
        "state": {"path": str(tmp_path / "state.db")},
    }
    for name, values in sections.items():
        data[name] = {**dict(data.get(name) or {}), **values}  # type: ignore[call-overload]
    return configmod.parse(data)
