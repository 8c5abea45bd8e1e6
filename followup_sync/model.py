"""The domain's plain data: messages, meetings, follow-ups and reminders.

Every datetime here is timezone-aware UTC; local time appears only where a person reads it (reminder text,
review output). Addresses are lower-cased. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import quote

Kind = Literal["promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound"]
KINDS: tuple[Kind, ...] = ("promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound")

Channel = Literal["call", "email", "meeting", "other"]

#: The only headers a Message keeps (lower-cased): what the auto-reply and bulk detectors read.
KEPT_HEADERS: tuple[str, ...] = (
    "auto-submitted",
    "precedence",
    "list-unsubscribe",
    "list-id",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "return-path",
)
CHANNELS: tuple[Channel, ...] = ("call", "email", "meeting", "other")


def require_utc(value: datetime, name: str) -> None:
    """Refuse naive or non-UTC datetimes at construction, where the mistake is still easy to find."""
    if value.tzinfo is UTC:  # the common case, and tens of thousands of times a pass: no utcoffset() call
        return
    if value.tzinfo is None or value.utcoffset() != UTC.utcoffset(None):
        raise ValueError(f"{name} must be an aware UTC datetime, got {value!r}")


@dataclass(frozen=True)
class Message:
    """One email, sent or received, as every mail backend normalises it.

    ``id`` is the RFC 5322 Message-ID without angle brackets (lower-cased), or the backend's immutable id when a
    message has none. ``conversation_id`` is Graph's conversationId when the backend has one. ``body`` is the
    whole text as sent (quotes and signatures included; zoning happens in ``text.zoning``); ``body_is_html``
    says whether it still needs converting. ``headers`` keeps only the few headers the detectors read, with
    lower-cased names (auto-submitted, precedence, list-unsubscribe, list-id, x-autoreply, x-autorespond,
    x-auto-response-suppress, return-path). ``sender_name`` and ``names`` are the display names the headers
    give (``people`` reads them). ``link`` is the source's own link to the message (Outlook's webLink, an IMAP
    URL, the file); a reminder links to it through :func:`open_link`.
    """

    id: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    sent_at: datetime
    body: str = ""
    body_is_html: bool = False
    bcc: tuple[str, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    conversation_id: str | None = None
    attachments: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    folder: str = ""
    link: str | None = None
    sender_name: str = ""
    names: tuple[tuple[str, str], ...] = ()  # (address, display name) of To and Cc, where the headers name them

    def __post_init__(self) -> None:
        require_utc(self.sent_at, "Message.sent_at")

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc + self.bcc

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key == lname:
                return value
        return None


@dataclass(frozen=True)
class Meeting:
    """One occurrence of a calendar event. ``uid`` is unique per occurrence (iCalUId plus recurrence id).

    ``series`` names the recurring series an occurrence belongs to (the iCalendar UID, Graph's
    seriesMasterId); None for a single meeting.
    """

    uid: str
    subject: str
    start: datetime
    end: datetime
    organizer: str
    attendees: tuple[str, ...]
    cancelled: bool = False
    link: str | None = None
    series: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.start, "Meeting.start")
        require_utc(self.end, "Meeting.end")


@dataclass(frozen=True, slots=True)  # held by the tens of thousands in a pass: no __dict__ each
class MessageMeta:
    """What the state keeps of a message once read: ids, addresses, times and flags, never the body.

    It is enough to thread later mail onto earlier mail and to decide whether a follow-up was answered.
    ``subject_key`` is the hash of the normalised subject (``threads.subject_key``). ``asked`` marks a mail of
    the rep's that waits for an answer (a question, a quote or proposal, or a chase: ``threads.asks``); only
    such mail counts as a touch in the awaiting_reply cadence. ``accepts`` marks a contact's mail that says yes
    (``acceptance.accepts``): what makes a conditional promise of the rep's live.
    """

    id: str
    thread_key: str
    sender: str
    recipients: tuple[str, ...]
    sent_at: datetime
    from_me: bool
    subject_key: str
    conversation_id: str | None = None
    automatic: bool = False
    bulk: bool = False
    return_at: datetime | None = None  # an automatic reply's stated return date, when it names one
    asked: bool = False
    accepts: bool = False

    def __post_init__(self) -> None:
        require_utc(self.sent_at, "MessageMeta.sent_at")
        if self.return_at is not None:
            require_utc(self.return_at, "MessageMeta.return_at")


@dataclass(frozen=True, slots=True)  # held by the tens of thousands in a pass: no __dict__ each
class FollowUp:
    """Something the rep owes a contact, found in mail or meetings.

    ``key`` is stable across passes (:func:`followup_key`); ``origin_id`` is the Message-ID or meeting uid it
    was found in. ``due`` is when the follow-up is owed; ``due_has_time`` is False when only a day was stated or
    inferred. ``not_before`` is the earliest moment a reminder makes sense (an out-of-office return date, the
    cadence spacing); it never moves ``due`` itself. ``joint`` marks a follow-up stated jointly with a time
    ("let's speak Wednesday at 11"): a meeting with the contact around that time covers it.
    """

    key: str
    kind: Kind
    origin_id: str
    thread_key: str
    contacts: tuple[str, ...]
    due: datetime
    evidence: str
    thread_subject: str
    created_at: datetime
    due_has_time: bool = False
    deadline: bool = False
    channel: Channel | None = None
    link: str | None = None
    not_before: datetime | None = None
    attempt: int = 1
    joint: bool = False

    def __post_init__(self) -> None:
        require_utc(self.due, "FollowUp.due")
        require_utc(self.created_at, "FollowUp.created_at")
        if self.not_before is not None:
            require_utc(self.not_before, "FollowUp.not_before")


@dataclass(frozen=True)
class PendingPromise:
    """A promise of the rep's that waits on the contact ("let me know if the terms work and I'll sign"): no
    reminder until a reply of the contact's in the thread accepts (``MessageMeta.accepts``).

    ``followup`` is the promise it becomes, as the rep's mail stated it (its due counted from that mail);
    ``due_text`` is the stated time ("within two days", "" for none), read again from the accepting reply.
    """

    followup: FollowUp
    due_text: str = ""


def open_link(msg: Message) -> str | None:
    """What opens ``msg`` from a reminder: Outlook's webLink; else a ``mid:`` URL of its Message-ID (RFC 2392,
    the standard name of a message: a mail client that handles the scheme opens it, and the id finds it by
    search in any other); else the source's own link (an IMAP URL) for mail without a Message-ID; never a
    ``file:`` path into a Maildir or mbox, which no mail client opens as a message."""
    if msg.link and msg.link.startswith(("https:", "http:")):
        return msg.link
    if not msg.id.endswith("@followup-sync.invalid"):
        return "mid:" + quote(msg.id, safe="@!$&'()*+,;=-._~")
    return None if msg.link is None or msg.link.startswith("file:") else msg.link


def synthetic_message_id(sent_at: datetime, sender: str, subject: str) -> str:
    """A stable id for mail without a Message-ID, the same whichever backend read it."""
    digest = hashlib.sha256(f"{sent_at.isoformat()}\0{sender}\0{subject}".encode()).hexdigest()
    return f"sha256-{digest[:32]}@followup-sync.invalid"


def followup_key(kind: Kind, origin_id: str, counterparty: str) -> str:
    """A key built only from immutable ids, so re-reading the same mail gives the same key."""
    raw = f"{kind}\0{origin_id}\0{counterparty}".encode()
    return hashlib.sha256(raw).hexdigest()[:20]


@dataclass(frozen=True)
class Reminder:
    """The calendar item we want for one open follow-up. ``timezone`` is the IANA zone it is shown in."""

    key: str
    start: datetime
    end: datetime
    timezone: str
    subject: str
    body: str
    overdue: bool = False
    link: str | None = None
    categories: tuple[str, ...] = ("Follow-up",)

    def __post_init__(self) -> None:
        require_utc(self.start, "Reminder.start")
        require_utc(self.end, "Reminder.end")

    def content_hash(self) -> str:
        """Hash of everything we write, so a pass can tell whether a reminder needs an update."""
        parts = [self.key, self.start.isoformat(), self.end.isoformat(), self.timezone, self.subject, self.body]
        parts.extend(self.categories)
        parts.append(self.link or "")
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def text_hash(subject: str, body: str) -> str:
    """Hash of a reminder's text as a person reads it: subject and body with all whitespace runs made one space.

    Calendar servers rewrite line ends and trailing blanks (Exchange hands back CRLF, some apps trim), so only
    the words count: a note the rep typed changes it, a move does not.
    """
    text = " ".join(subject.split()) + "\0" + " ".join(body.split())
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RemoteItem:
    """One of our reminders as a sink lists it. ``start`` lets the planner notice a reminder the user moved.

    ``content_hash`` is the :meth:`Reminder.content_hash` we stored in the item when we wrote it (None where
    the sink cannot keep it). Calendar apps carry such a property along untouched when the user edits, so a
    new etag with a *new* hash of ours means our own write whose record was lost, not a user edit.

    ``text_hash`` is :func:`text_hash` of the item's subject and body *as listed now*; ``written_text_hash`` is
    the one we stored in the item when we wrote it. Equal means the rep has not touched the text (at most moved
    the item); None on either side means we cannot tell, which counts as edited (see :attr:`text_as_written`).

    ``subject`` and ``categories`` are the item's as listed now (None where a sink cannot tell): where the rep
    answers in the calendar ("Done", "Not a follow-up"); ``preferences.calendar_answer`` reads them.
    """

    key: str
    href: str
    etag: str
    start: datetime | None = None
    content_hash: str | None = None
    text_hash: str | None = None
    written_text_hash: str | None = None
    subject: str | None = None
    categories: tuple[str, ...] | None = None

    @property
    def text_as_written(self) -> bool:
        """The subject and body are still what we wrote: whatever else the rep changed, they typed nothing."""
        return self.text_hash is not None and self.text_hash == self.written_text_hash


@dataclass
class PassStats:
    """Counts reported after a pass (one log line, ``status`` and the JSON output)."""

    messages_read: int = 0
    meetings_read: int = 0
    followups_found: int = 0
    followups_open: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept: int = 0
    errors: int = 0
    skipped_messages: int = 0
    skipped_new: int = 0  # of those, skipped for the first time (the others were warned about before)
    problems: list[str] = field(default_factory=list)
