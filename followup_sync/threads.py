"""Grouping messages into conversations (THREADs) and reducing each message to the metadata the state keeps.

A message joins a thread by the first rule that applies:

1. it is already known (re-read in an overlapping window): it keeps the thread it was given then, so keys
   never move between passes;
2. it carries a conversation id (Graph ``conversationId``): every message with that id shares one thread;
3. its ``In-Reply-To`` or ``References`` name a message we know (stored, or read in this same pass);
4. its normalised subject matches a message of the last 30 days that shares at least one participant other
   than the rep (real Outlook mail often has no ``In-Reply-To`` at all, e.g. the Enron corpus). For generic
   subjects ("Hi", "Question", "", "Meeting" ...) that is not enough evidence: the message must look like a
   reply (a RE:/AW:... prefix), come within 7 days, and be a direct exchange (each side's sender is among
   the other's participants), so two unrelated "Quick question" mails to the same customer stay apart. An
   empty subject ("RE:", "FW:") never matches anything;
5. otherwise it starts a new thread whose key is derived from its own (immutable) message id.

Forwarding a thread to somebody new starts a new conversation with them: participants must overlap.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from followup_sync.acceptance import accepts
from followup_sync.model import Message, MessageMeta
from followup_sync.text import signals
from followup_sync.text.analysis import Analysis, chase_sentence, request_evidence

_UTC = ZoneInfo("UTC")
SUBJECT_WINDOW = timedelta(days=30)
GENERIC_WINDOW = timedelta(days=7)

# Reply and forward prefixes in the languages Outlook localises them into: English RE/FW/FWD, German AW/WG,
# French TR (transféré), Scandinavian SV/VS, Italian R/RIF/I, Dutch Antw/Doorst. An optional counter ("RE[2]:",
# "RE(2):") and a full-width colon are tolerated.
_PREFIX = re.compile(
    r"^(?:re|fwd?|aw|wg|tr|sv|vs|rif|antw|doorst|r|i)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
# Tags that mail gateways and lists put in front: "[EXT]", "[External]", "[acme-sales]", "*EXTERNAL*", "EXT:".
_TAG = re.compile(r"^(?:\[[^\]]{0,40}\]|\*{1,2}\s*external\s*\*{1,2}|\(?ext(?:ernal)?\)?\s*:)\s*", re.IGNORECASE)
_TRAILER = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)
_SPACE = re.compile(r"\s+")

GENERIC_SUBJECTS = frozenset(
    {
        "", "hi", "hello", "hey", "question", "questions", "quick question", "meeting", "call", "follow up",
        "follow-up", "followup", "update", "thanks", "thank you", "info", "information", "request", "fyi",
        "checking in", "touching base", "catch up", "catch-up", "hallo", "frage", "termin", "bonjour",
        "(no subject)", "no subject", "test", "urgent", "important", "re", "fw",
    }
)  # fmt: skip


def display_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and gateway tags, case kept: what a person should read."""
    text = _SPACE.sub(" ", subject or "").strip()
    while True:
        stripped = _TAG.sub("", _PREFIX.sub("", text), count=1).strip()
        if stripped == text:
            break
        text = stripped
    return _TRAILER.sub("", text).strip()


def normalise_subject(subject: str) -> str:
    """The subject as threading compares it: no prefixes or tags (repeated, in any order), spaces collapsed,
    case folded."""
    return display_subject(subject).casefold()


def subject_key(subject: str) -> str:
    return hashlib.sha256(normalise_subject(subject).encode()).hexdigest()[:16]


def is_reply_subject(subject: str) -> bool:
    text = _SPACE.sub(" ", subject or "").strip()
    while True:
        tagless = _TAG.sub("", text, count=1).strip()
        if _PREFIX.match(tagless):
            return True
        if tagless == text:
            return False
        text = tagless


def is_generic(subject: str) -> bool:
    norm = normalise_subject(subject)
    return norm in GENERIC_SUBJECTS or len(norm) < 3


def new_thread_key(root_id: str) -> str:
    return "t-" + hashlib.sha256(root_id.encode()).hexdigest()[:16]


def conversation_thread_key(conversation_id: str) -> str:
    return "c-" + hashlib.sha256(conversation_id.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Head:
    """What threading reads of a message: its ids and addresses, subject and time, never its text. The sync pass
    threads a whole window of new mail at once and holds these instead of whole messages (issue 11)."""

    id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    sent_at: datetime
    in_reply_to: str | None
    references: tuple[str, ...]
    conversation_id: str | None

    @classmethod
    def of(cls, msg: Message) -> Head:
        """The head of ``msg``; addresses and referenced ids are interned (a thread's mails repeat them)."""
        return cls(
            msg.id, sys.intern(msg.sender), tuple(sys.intern(a) for a in msg.recipients), msg.subject, msg.sent_at,
            sys.intern(msg.in_reply_to) if msg.in_reply_to else None, tuple(sys.intern(r) for r in msg.references),
            msg.conversation_id,
        )  # fmt: skip


def _clean_id(value: str) -> str:
    return value.strip().strip("<>").strip().lower()


@dataclass(frozen=True, slots=True)  # one per message of the window and the history
class _Seen:
    """What subject matching needs of a message, known or new."""

    thread_key: str
    sender: str
    participants: frozenset[str]
    sent_at: datetime


def _participants(sender: str, recipients: Iterable[str], me: frozenset[str]) -> frozenset[str]:
    return frozenset(a for a in (sender, *recipients) if a and a not in me)


class _Threader:
    def __init__(
        self, messages: Sequence[Message | Head], known: Sequence[MessageMeta], me: frozenset[str]
    ) -> None:
        self.me = me
        self.by_id = {m.id: m for m in messages}
        self.key_of: dict[str, str] = {m.id: m.thread_key for m in known}
        self.by_conversation: dict[str, str] = {}
        self.by_subject: dict[str, list[_Seen]] = {}
        for meta in sorted(known, key=lambda m: (m.sent_at, m.id)):
            if meta.conversation_id:
                self.by_conversation.setdefault(meta.conversation_id, meta.thread_key)
            seen = _Seen(
                meta.thread_key, meta.sender, _participants(meta.sender, meta.recipients, me), meta.sent_at
            )
            self.by_subject.setdefault(meta.subject_key, []).append(seen)
        self.known_ids = frozenset(self.key_of)
        self.assigned: dict[str, str] = {}
        self.visiting: set[str] = set()

    def key(self, msg: Message | Head) -> str:
        if msg.id in self.assigned:
            return self.assigned[msg.id]
        self.visiting.add(msg.id)
        key = self._decide(msg)
        self.visiting.discard(msg.id)
        self.assigned[msg.id] = key
        if msg.conversation_id:
            self.by_conversation.setdefault(msg.conversation_id, key)
        seen = _Seen(key, msg.sender, _participants(msg.sender, msg.recipients, self.me), msg.sent_at)
        self.by_subject.setdefault(subject_key(msg.subject), []).append(seen)
        return key

    def _decide(self, msg: Message | Head) -> str:
        if msg.id in self.known_ids:
            return self.key_of[msg.id]
        if msg.conversation_id:
            return self.by_conversation.get(msg.conversation_id) or conversation_thread_key(msg.conversation_id)
        parents = [msg.in_reply_to] if msg.in_reply_to else []
        parents.extend(reversed(msg.references))  # the nearest ancestor is listed last
        for raw in parents:
            parent = _clean_id(raw)
            if parent in self.key_of:
                return self.key_of[parent]
            if parent in self.by_id and parent not in self.visiting:
                return self.key(self.by_id[parent])
        return self._by_subject(msg) or new_thread_key(msg.id)

    def _by_subject(self, msg: Message | Head) -> str | None:
        generic = is_generic(msg.subject)
        if not normalise_subject(msg.subject) or (generic and not is_reply_subject(msg.subject)):
            return None
        window = GENERIC_WINDOW if generic else SUBJECT_WINDOW
        mine = _participants(msg.sender, msg.recipients, self.me)
        candidates = self.by_subject.get(subject_key(msg.subject), [])
        for seen in sorted(candidates, key=lambda s: s.sent_at, reverse=True):
            if not timedelta(0) <= msg.sent_at - seen.sent_at <= window:
                continue
            if not mine & seen.participants:
                continue
            if generic and not _direct(msg, seen, mine, self.me):
                continue
            return seen.thread_key
        return None


def _direct(msg: Message | Head, seen: _Seen, mine: frozenset[str], me: frozenset[str]) -> bool:
    """Each message's sender takes part in the other: a reply, not two mails that merely share a recipient."""
    sender_ok = msg.sender in me or msg.sender in seen.participants
    seen_ok = seen.sender in me or seen.sender in mine
    return sender_ok and seen_ok


def assign_threads(
    messages: Sequence[Message | Head], known: Sequence[MessageMeta], *, me: frozenset[str]
) -> dict[str, str]:
    """Message id -> thread key for every message in ``messages`` (see the module docstring for the rules).

    Messages are taken oldest first so a reply finds the message it answers even when both arrive in one pass.
    """
    threader = _Threader(messages, known, me)
    for msg in sorted(messages, key=lambda m: (m.sent_at, m.id)):
        threader.key(msg)
    return {m.id: threader.assigned[m.id] for m in messages}


def asks(msg: Message, text: str) -> bool:
    """The message (author text ``text``) asks something, sends a quote or proposal, or chases."""
    evidence = request_evidence(text, subject=msg.subject, attachments=msg.attachments)
    return evidence is not None or chase_sentence(text) is not None


def _is_reply(msg: Message) -> bool:
    """An answer to earlier mail (headers or a reply prefix): only such mail can accept what the rep offered."""
    return bool(msg.in_reply_to or msg.references or msg.conversation_id or is_reply_subject(msg.subject))


@dataclass(frozen=True, slots=True)
class Facts:
    """What the metadata keep of a message's text and delivery, read before it is threaded (``to_meta``'s
    flags): a pass reads each new message's text as the message arrives and threads the window afterwards."""

    automatic: bool
    bulk: bool
    return_at: datetime | None
    asked: bool
    accepts: bool


def facts(msg: Message, *, me: frozenset[str], bulk_recipients: int, analysis: Analysis) -> Facts:
    """The flags of :func:`to_meta` (see there), from the message and its text reading ``analysis``."""
    auto = analysis.auto_reply
    bulk = signals.is_bulk(msg, max_recipients=bulk_recipients) or signals.is_noreply(msg.sender)
    from_me = msg.sender in me
    return Facts(
        automatic=auto is not None,
        bulk=bulk,
        return_at=auto.return_at if auto is not None else None,
        asked=from_me and auto is None and analysis.asks,
        accepts=not from_me and auto is None and not bulk and _is_reply(msg) and accepts(analysis.text),
    )


def meta_of(head: Head, thread_key: str, flags: Facts, *, me: frozenset[str]) -> MessageMeta:
    """The metadata of the message ``head`` is of, in ``thread_key``, with its ``flags`` (:func:`facts`)."""
    return MessageMeta(
        id=head.id,
        thread_key=thread_key,
        sender=head.sender,
        recipients=head.recipients,
        sent_at=head.sent_at,
        from_me=head.sender in me,
        subject_key=subject_key(head.subject),
        conversation_id=head.conversation_id,
        automatic=flags.automatic,
        bulk=flags.bulk,
        return_at=flags.return_at,
        asked=flags.asked,
        accepts=flags.accepts,
    )


def to_meta(
    msg: Message,
    thread_key: str,
    *,
    me: frozenset[str],
    bulk_recipients: int,
    tz: ZoneInfo = _UTC,
    analysis: Analysis | None = None,
) -> MessageMeta:
    """What the state keeps of a message: ids, addresses, time and the flags that decide whether it answers.

    ``automatic`` marks auto-replies (out of office, delivery reports), ``bulk`` newsletters, list mail and
    no-reply senders; neither ever counts as a human answer nor creates a follow-up. ``tz`` (the rep's zone)
    is how an out-of-office's "back on Monday" is read; the sync pass should pass ``identity.zone``.
    ``asked`` (:func:`asks`) is set on the rep's own mail only: it is what the awaiting_reply cadence counts as
    a touch, whoever the mail went to (the rules pick the contact). ``accepts`` (:func:`acceptance.accepts`) is
    set on other people's human replies only: the answer a conditional promise waits for. ``analysis`` is the
    message's text reading shared with ``rules.find_followups`` (the pass makes one per message); without it one
    is made here.
    """
    reading = analysis if analysis is not None else Analysis(msg, tz=tz)
    flags = facts(msg, me=me, bulk_recipients=bulk_recipients, analysis=reading)
    return meta_of(Head.of(msg), thread_key, flags, me=me)
