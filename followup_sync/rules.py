"""Detecting follow-ups in mail and meetings, and deciding which are still open. Pure: ``now`` is a parameter.

``find_followups`` looks at newly read messages (with bodies) and recent meetings; ``resolve`` looks at every
open follow-up against the metadata of all known mail (no bodies) and the calendar.

Decisions (copied to the README):

Who counts
- A *contact* is an address that is not the rep's, not a colleague (the rep's own domains and
  ``rules.internal_domains``, subdomains included), not ignored (``ignore_addresses``, ``ignore_domains``)
  and not a no-reply address. Threads with colleagues only never create follow-ups.
- Bulk mail (list headers, Precedence bulk, more than ``bulk_recipients`` recipients), no-reply senders and
  automatic replies never create follow-ups, and never count as an answer. Received mail with a newsletter
  footer (``signals.is_newsletter``: "unsubscribe", "view this email in your browser") creates nothing either:
  archived and forwarded newsletters have lost their list headers.
- Mail outside ``[now - lookback_days, now]`` creates nothing; mail after ``now`` does not exist yet.

The five kinds (due dates are business days in the rep's zone; "date-only" means the reminder lands at the
start of that working day)
- ``promise``: each promise ``text.promises.detect`` finds in mail the rep sent to contacts (To, else Cc).
  Several in one message: the earliest due wins (one follow-up per message and contact list). Due at the
  promised time; date-only when no time was stated; with no date at all ("I'll get back to you"),
  ``PROMISE_DEFAULT_DAYS`` (2) business days later, date-only.
  Resolved when the rep sends the contact anything later, in any thread ("rep followed up": we cannot see a
  phone call, and a later mail is the best evidence the rep acted), or when a meeting with the contact starts
  between the promise and the due time plus a grace (7 days for meeting promises, 1 day otherwise:
  "meeting scheduled").
  Two kinds of promise wait on something (``text.promises.Promise`` marks them; issue 8):
  *conditional* ones ("let me know if the terms work and I'll sign on our side by Friday") are kept pending
  (``find_all`` returns them apart, the state keeps them, no reminder) while the question is tracked as the
  message's ``awaiting_reply``; ``promote`` makes one live when a reply in the thread from a contact accepts
  (``MessageMeta.accepts``, read by ``acceptance.accepts``: says yes, asks nothing, holds nothing back),
  counted from that reply (``created_at``; the stated time read again as if written then, else the default
  after the reply). A reply that does not accept changes nothing; unanswered for ``lookback_days``, it is
  forgotten. *Joint* ones with a time ("let's speak Wednesday at 11", "you'll have the numbers within two
  days") are promises at that time (``joint``); one without a time is none. A meeting with the contact that
  starts from the working day before the due day to the working day after it (``JOINT_WINDOW_DAYS``) covers
  it ("meeting scheduled"). The rep's later mail to the contact ends one with a deadline ("within two days":
  the mail delivers), but an appointment ("Wednesday at 11") only from its due day on: earlier mail arranges
  it ("Great, talk then") and changes nothing ("rep followed up").
- ``awaiting_reply``: the rep sent a quote/proposal (``signals.offer``) or asked something
  (``signals.questions``) of contacts; due ``awaiting_reply_days`` business days later, date-only.
  Answered by any later human (not automatic, not bulk) message from a contact, in any thread, or from any
  external participant of the thread: an acknowledgement counts too ("answered"), or by a meeting with the
  contact ("meeting scheduled"). The rep's own later mail does not close it: if that mail asks again, or is a
  chase ("Just bumping this up", "Following up on the below": a mail in the same thread on a later day while
  the earlier one is unanswered), it becomes the thread's newer awaiting_reply with the next attempt number
  and supersedes the older one; a quick "forgot the attachment" the same day changes nothing. An
  out-of-office reply with a return date sets ``not_before`` to that date.
- ``meeting_recap``: a meeting that was not cancelled, had external attendees (at most ``bulk_recipients``),
  and ended within the lookback window; due ``recap_hours`` after its end, moved into working time.
  Resolved by any mail from the rep to an external attendee sent after the meeting began.
  A recurring series (``Meeting.series``) gets at most one: for its latest occurrence that ended in the
  window and wants one; when a later occurrence ends, the older recap closes ("a later meeting of the
  series") and the new one replaces it, so a weekly customer call never piles up reminders. A *ritual*
  gets none, and its open recaps close ("recurring internal meeting"): a series that meets more often than
  weekly (the median gap between starts, over the occurrences read, under ``RITUAL_GAP``, 7 days) where the
  rep's side (colleagues, the rep counted even when not listed) outnumbers the contacts, such as a daily
  stand-up with one guest. A frequent series that is mostly customers (a daily call during a roll-out) is
  not a ritual: it keeps its one, moving, recap.
- ``after_sale``: ``signals.order`` in a message from a contact, or in the rep's own confirmation to one;
  due ``after_delivery_days`` business days after a stated delivery/go-live date, else ``after_sale_days``
  after the message; ``deadline`` is set when the due comes from a stated date, and such a follow-up wins its
  thread over an undated one (the customer's PO naming the delivery day over the rep's "Thank you for your
  order!"). Resolved when the rep writes to the contact, or meets them, from one business day
  before the due day on ("checked in"); earlier mail is about the order itself, not the check-in.
- ``unanswered_inbound``: a contact's message with the rep in To (not only Cc) that asks or requests
  something (``signals.questions``); pure acknowledgements never count, nor do commands that name nobody
  (a recipe's or an action list's steps, ``signals.is_bare_imperative``), nor sentences, or a whole mail by its
  greeting, addressed by first name to another recipient and not to the rep ("Lorna: please ..."; names come
  from the address's local part and ``identity.name``). Unsolicited mail (not a reply, from somebody the rep
  has not written to) must ask a real question or say what the sender needs ("please advise me",
  ``signals.asks_personally``) unless it greets the rep by name: cold promotions ask for campaign actions.
  Due ``unanswered_inbound_days`` business days after receipt, date-only. Resolved by any later mail from
  the rep to that sender, or from a colleague of the rep to that sender in the thread ("answered"). A meeting
  with them does not close it: a question asked in writing ("could you send me the SOC 2 report?") still
  wants a written answer.

Across follow-ups
- One thread shows one follow-up: ``THREAD_PRIORITY`` (promise > awaiting_reply > unanswered_inbound >
  after_sale > meeting_recap; within a kind the newest). The others are *left out of both lists* that
  ``resolve`` returns: they stay open in the state without a reminder, and come back when the winner closes.
- Cadence (``awaiting_reply`` only; promises and questions have their own dates): a *touch* is a chase of
  the lead, a mail of the rep's to the contact that asked something, sent a quote or proposal, or chased
  (``MessageMeta.asked``, the same reading that creates an awaiting_reply). The attempt number is 1 + the
  days with a touch of the same contact since the contact last wrote (within the lookback window; several
  mails on one day are one touch); news, thanks and updates in between are not touches, so a rep who writes
  often to a customer who answers by phone still gets a reminder for a new quote. After ``max_touches``
  unanswered touches no new follow-up is created. A second touch waits ``cadence_days`` (calendar days:
  7 = one week) after the previous touch's reminder, and two open awaiting_reply follow-ups for one contact
  are spaced ``cadence_days`` apart, never stacked. Mail stored before the ``asked`` flag existed (migration
  ``m002``) reads as no touch: a lead chased just before the upgrade may get up to ``max_touches`` more tries.
- A follow-up more than ``lookback_days`` overdue is closed as "expired" (the sync pass expires it earlier,
  after ``[schedule] overdue_days`` working days of carried reminders: ``schedule.overdue_expired``); one of a
  kind no longer listed in ``rules.kinds`` as "kind turned off".
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from followup_sync import holidaycal
from followup_sync import schedule as sched
from followup_sync.config import Identity, Rules, Schedule
from followup_sync.model import (
    FollowUp,
    Kind,
    Meeting,
    Message,
    MessageMeta,
    PendingPromise,
    followup_key,
    open_link,
)
from followup_sync.text._dateoptions import DateOptions
from followup_sync.text._noreply import is_noreply

# The text analysis (signals, the date grammar, threads) is imported by the functions that read new mail: a pass
# with none only promotes and resolves, and a new process then starts without it (issue 11: about 0.15 s of its
# idle pass, most of the time it spends importing).
if TYPE_CHECKING:
    from followup_sync.text.analysis import Analysis
    from followup_sync.text.dates import Due

_DEFAULT_SCHEDULE = Schedule()
PROMISE_DEFAULT_DAYS = 2
#: A joint follow-up is covered by a meeting with the contact this many working days either side of its day.
JOINT_WINDOW_DAYS = 1
EVIDENCE_MAX = 200
THREAD_PRIORITY: dict[str, int] = {
    "promise": 0,
    "awaiting_reply": 1,
    "unanswered_inbound": 2,
    "after_sale": 3,
    "meeting_recap": 4,
}


@dataclass(frozen=True)
class _Ctx:
    """The settings every rule needs, with the address tests built once."""

    identity: Identity
    rules: Rules
    schedule: Schedule
    now: datetime
    tz: ZoneInfo
    me: frozenset[str]
    internal: tuple[str, ...]
    options: DateOptions

    @classmethod
    def build(cls, *, identity: Identity, rules: Rules, schedule: Schedule, now: datetime) -> _Ctx:
        internal = tuple(sorted({*identity.domains, *(d.lower() for d in rules.internal_domains)}))
        options = date_options(schedule)
        me = frozenset(a.lower() for a in identity.addresses)
        return cls(identity, rules, schedule, now, identity.zone, me, internal, options)

    def is_colleague(self, address: str) -> bool:
        return address in self.me or _in_domains(address, self.internal)

    def is_contact(self, address: str) -> bool:
        if not address or self.is_colleague(address) or address in self.rules.ignore_addresses:
            return False
        return not _in_domains(address, self.rules.ignore_domains) and not is_noreply(address)

    def day_start(self, day: date) -> datetime:
        return sched.local_at(day, self.schedule.day_start, self.tz)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def business_day_after(self, moment: datetime, days: int) -> datetime:
        return self.day_start(sched.add_business_days(self.local_date(moment), days, self.schedule))


def _in_domains(address: str, domains: Iterable[str]) -> bool:
    domain = address.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EVIDENCE_MAX else text[: EVIDENCE_MAX - 1].rstrip() + "…"


class _History:
    """Known mail metadata up to ``now``, indexed the ways the rules ask about it."""

    #: The last index :meth:`of` built from a tuple, with that tuple and ``now``. A pass hands one history to
    #: ``find_all``, ``promote`` and ``resolve``; at 50,000 messages each build costs a tenth of a second.
    _last: tuple[tuple[MessageMeta, ...], datetime, _History] | None = None

    @classmethod
    def of(cls, metas: Iterable[MessageMeta], now: datetime) -> _History:
        """The index of ``metas`` at ``now``; built once for a tuple (immutable, and held here, so ``is`` cannot
        match another history) however many rules ask for it."""
        last = cls._last
        if last is not None and last[0] is metas and last[1] == now:
            return last[2]
        cls._last = None  # an earlier pass's index is let go before this one is built
        known = cls(metas, now)
        if isinstance(metas, tuple):
            cls._last = (metas, now, known)
        return known

    def __init__(self, metas: Iterable[MessageMeta], now: datetime) -> None:
        self.metas = sorted((m for m in metas if m.sent_at <= now), key=attrgetter("sent_at", "id"))
        self.by_id = {m.id: m for m in self.metas}
        self.by_thread: dict[str, list[MessageMeta]] = defaultdict(list)
        self.from_addr: dict[str, list[MessageMeta]] = defaultdict(list)
        self.rep_to: dict[str, list[MessageMeta]] = defaultdict(list)
        for m in self.metas:
            self.by_thread[m.thread_key].append(m)
            if m.from_me:
                if not m.automatic and not m.bulk:
                    for r in set(m.recipients):
                        self.rep_to[r].append(m)
            else:
                self.from_addr[m.sender].append(m)

    def rep_wrote(self, contacts: Iterable[str], *, after: datetime, exclude: str = "") -> MessageMeta | None:
        """The first mail from the rep to any of ``contacts`` sent after ``after``."""
        hits = [m for c in contacts for m in self.rep_to.get(c, ()) if m.sent_at > after and m.id != exclude]
        return min(hits, key=lambda m: (m.sent_at, m.id), default=None)

    def human_from(self, contacts: Iterable[str], *, after: datetime) -> MessageMeta | None:
        hits = [
            m
            for c in contacts
            for m in self.from_addr.get(c, ())
            if m.sent_at > after and not m.automatic and not m.bulk
        ]
        return min(hits, key=lambda m: (m.sent_at, m.id), default=None)


# --- detection ----------------------------------------------------------------------------------------------


def date_options(schedule: Schedule) -> DateOptions:
    """The rep's answers to the ambiguous date conventions (docs/dates.md), from ``[schedule]``.

    A country the holidays library does not know is a ConfigError here, before any date is read.
    """
    if schedule.country:
        holidaycal.for_schedule(schedule.country, schedule.subdivision, schedule.holidays)
    return DateOptions(
        date_order=schedule.date_order,
        end_of_day=schedule.end_of_day,
        next_weekday="nearest" if schedule.next_weekday == "nearest" else "following_week",
        end_of_month="business" if schedule.end_of_month == "business" else "calendar",
        morning=schedule.morning,
        afternoon=schedule.afternoon,
        country=schedule.country or None,
        subdivision=schedule.subdivision or None,
        holidays=schedule.holidays,
    )


@dataclass(frozen=True)
class Found:
    """What :func:`find_all` finds: the follow-ups, and the conditional promises that wait on the contact."""

    followups: list[FollowUp]
    pending: list[PendingPromise]


def find_followups(
    messages: Sequence[Message],
    threads: Mapping[str, str],
    history: Sequence[MessageMeta],
    meetings: Sequence[Meeting],
    *,
    identity: Identity,
    rules: Rules,
    schedule: Schedule,
    now: datetime,
    analyses: Mapping[str, Analysis] | None = None,
    readings: Iterable[Analysis] | None = None,
) -> list[FollowUp]:
    """The follow-ups of :func:`find_all` (same arguments), without the pending conditional promises."""
    return find_all(
        messages, threads, history, meetings, identity=identity, rules=rules, schedule=schedule, now=now,
        analyses=analyses, readings=readings,
    ).followups  # fmt: skip


def find_all(
    messages: Sequence[Message],
    threads: Mapping[str, str],
    history: Sequence[MessageMeta],
    meetings: Sequence[Meeting],
    *,
    identity: Identity,
    rules: Rules,
    schedule: Schedule,
    now: datetime,
    analyses: Mapping[str, Analysis] | None = None,
    readings: Iterable[Analysis] | None = None,
) -> Found:
    """New follow-ups in these newly read messages and in the meetings; ``history`` is every known meta,
    these messages' included. Every kind a message shows is returned; ``resolve`` picks one per thread.
    Conditional promises come back apart, as pending (:func:`promote` makes them live).

    ``analyses`` (message id -> :class:`Analysis`, made with the rep's zone and ``date_options(schedule)``)
    lets the pass share each message's text reading with ``threads.to_meta``; a message without one is read
    here.

    ``readings`` instead of ``messages``: each message's analysis with the message it read (``Analysis.msg``),
    taken one at a time in the order given, so a pass need not hold them all (each message's follow-ups are
    keyed by its own id: the order changes nothing).
    """
    ctx = _Ctx.build(identity=identity, rules=rules, schedule=schedule, now=now)
    known = _History.of(history, now)
    horizon = now - timedelta(days=rules.lookback_days)
    found: dict[str, FollowUp] = {}
    pending: dict[str, PendingPromise] = {}
    if readings is None:
        from followup_sync.text.analysis import Analysis

        given = analyses or {}
        readings = (
            given.get(m.id) or Analysis(m, tz=ctx.tz, options=ctx.options)
            for m in sorted(messages, key=lambda m: (m.sent_at, m.id))
        )
    for reading in readings:
        msg = reading.msg
        if not horizon <= msg.sent_at <= now:
            continue
        thread = threads.get(msg.id) or (known.by_id[msg.id].thread_key if msg.id in known.by_id else msg.id)
        for f in _from_message(msg, reading, thread, ctx, known):
            if isinstance(f, PendingPromise):
                pending.setdefault(f.followup.key, f)
            else:
                found.setdefault(f.key, f)
    for recap in _recaps(meetings, ctx):
        found.setdefault(recap.key, recap)
    wanted = set(rules.kinds)
    return Found(
        sorted((f for f in found.values() if f.kind in wanted), key=lambda f: (f.created_at, f.key)),
        sorted(pending.values(), key=lambda p: p.followup.key) if "promise" in wanted else [],
    )


def _from_message(
    msg: Message, a: Analysis, thread: str, ctx: _Ctx, known: _History
) -> Sequence[FollowUp | PendingPromise]:
    from followup_sync.text import signals

    if signals.is_bulk(msg, max_recipients=ctx.rules.bulk_recipients) or is_noreply(msg.sender):
        return []
    if a.auto_reply is not None:
        return []
    if msg.sender in ctx.me:
        return _from_rep(msg, a, thread, ctx, known)
    if ctx.is_contact(msg.sender) and not a.newsletter:
        return _from_contact(msg, a, thread, ctx, known)
    return []


def _base(
    kind: Kind, msg: Message, thread: str, contacts: tuple[str, ...], *, due: datetime, evidence: str
) -> FollowUp:
    from followup_sync.threads import display_subject

    return FollowUp(
        key=followup_key(kind, msg.id, ",".join(contacts)),
        kind=kind,
        origin_id=msg.id,
        thread_key=thread,
        contacts=contacts,
        due=due,
        evidence=_clip(evidence),
        thread_subject=display_subject(msg.subject),
        created_at=msg.sent_at,
        link=open_link(msg),
    )


def _from_rep(
    msg: Message, a: Analysis, thread: str, ctx: _Ctx, known: _History
) -> list[FollowUp | PendingPromise]:
    contacts = tuple(x for x in msg.to if ctx.is_contact(x)) or tuple(x for x in msg.cc if ctx.is_contact(x))
    contacts = tuple(dict.fromkeys(contacts))
    if not contacts:
        return []
    out: list[FollowUp | PendingPromise] = []
    promise = _promise(msg, a, thread, contacts, ctx)
    if promise is not None:
        out.append(promise)
    pending = _pending(msg, a, thread, contacts, ctx) if promise is None else None
    if pending is not None:
        out.append(pending)
    sale = _order(msg, a, thread, contacts, ctx)
    if sale is not None:
        out.append(sale)
    evidence = a.request
    if evidence is None and pending is not None:
        evidence = pending.followup.evidence  # the question the pending promise waits on
    if promise is not None and promise.joint and evidence == promise.evidence:
        evidence = None  # "Let's speak Wednesday at 11?": the joint follow-up at that time is the chase
    awaiting = _awaiting(msg, a, thread, contacts, evidence, ctx, known)
    if awaiting is not None:
        out.append(awaiting)
    return out


def _due(due: Due | None, sent_at: datetime, ctx: _Ctx) -> tuple[datetime, bool, bool]:
    """(due, has a time, is a deadline) of a promise stated at ``sent_at``: as stated, else the default."""
    if due is None:
        return ctx.business_day_after(sent_at, PROMISE_DEFAULT_DAYS), False, False
    when = due.when.astimezone(ctx.tz)
    if due.has_time:
        return sched.local_at(when.date(), when.time(), ctx.tz), True, due.deadline
    return ctx.day_start(when.date()), False, due.deadline


def _promise(msg: Message, a: Analysis, thread: str, contacts: tuple[str, ...], ctx: _Ctx) -> FollowUp | None:
    """The message's promise follow-up: its plain promises, and its joint ones that state a time ("let's speak
    Wednesday at 11"; a joint "let's talk soon" is no commitment to a time); conditional ones wait apart."""
    found = [p for p in a.promises if not p.conditional and (not p.joint or p.due is not None)]
    if not found:
        return None
    first = min(found, key=lambda p: _due(p.due, msg.sent_at, ctx)[0])
    due, has_time, deadline = _due(first.due, msg.sent_at, ctx)
    f = _base("promise", msg, thread, contacts, due=due, evidence=first.sentence)
    return replace(f, due_has_time=has_time, deadline=deadline, channel=first.channel, joint=first.joint)


def _pending(
    msg: Message, a: Analysis, thread: str, contacts: tuple[str, ...], ctx: _Ctx
) -> PendingPromise | None:
    """The message's conditional promise ("let me know if the terms work and I'll sign"), the earliest stated:
    the promise it becomes once the contact accepts, keyed as a promise of this message would be."""
    found = [p for p in a.promises if p.conditional]
    if not found:
        return None
    first = min(found, key=lambda p: _due(p.due, msg.sent_at, ctx)[0])
    due, has_time, deadline = _due(first.due, msg.sent_at, ctx)
    f = _base("promise", msg, thread, contacts, due=due, evidence=first.sentence)
    f = replace(f, due_has_time=has_time, deadline=deadline, channel=first.channel, joint=first.joint)
    return PendingPromise(f, first.due.text if first.due is not None else "")


def _order(msg: Message, a: Analysis, thread: str, contacts: tuple[str, ...], ctx: _Ctx) -> FollowUp | None:
    found = a.order
    if found is None:
        return None
    if found.delivery is not None:
        due = ctx.business_day_after(found.delivery, ctx.rules.after_delivery_days)
    else:
        due = ctx.business_day_after(msg.sent_at, ctx.rules.after_sale_days)
    f = _base("after_sale", msg, thread, contacts, due=due, evidence=found.evidence)
    # ``deadline`` marks a due anchored on a stated date (it has no clock time, so scheduling ignores it).
    return replace(f, deadline=found.delivery is not None)


def _awaiting(
    msg: Message,
    a: Analysis,
    thread: str,
    contacts: tuple[str, ...],
    evidence: str | None,
    ctx: _Ctx,
    known: _History,
) -> FollowUp | None:
    """A chase of ``contacts[0]``: numbered by the earlier unanswered touches, spaced from the previous one.

    With ``evidence`` None the message asked nothing itself; it is a chase only when it follows, in the same
    thread and on another day, a mail of the rep's that is still unanswered, and says so ("Just bumping this
    up"): plain news ("Here are the numbers") after the rep's earlier mail is not a chase. Only the earlier
    mails that asked, offered or chased (``MessageMeta.asked``) are touches: news does not use up the tries.
    """
    lead = contacts[0]
    horizon = msg.sent_at - timedelta(days=ctx.rules.lookback_days)
    heard = [m.sent_at for m in known.from_addr.get(lead, ()) if not m.automatic and not m.bulk]
    since = max((t for t in heard if horizon < t < msg.sent_at), default=horizon)
    today = ctx.local_date(msg.sent_at)
    earlier = [
        m
        for m in known.rep_to.get(lead, ())
        if since < m.sent_at < msg.sent_at and m.id != msg.id and ctx.local_date(m.sent_at) != today
    ]
    if evidence is None:
        if not any(m.thread_key == thread for m in earlier):
            return None
        evidence = a.chase
        if evidence is None:
            return None
    touches = [m for m in earlier if m.asked]
    attempt = 1 + len({ctx.local_date(m.sent_at) for m in touches})
    if attempt > ctx.rules.max_touches:
        return None
    due = ctx.business_day_after(msg.sent_at, ctx.rules.awaiting_reply_days)
    f = _base("awaiting_reply", msg, thread, contacts, due=due, evidence=evidence)
    not_before = None
    if touches:
        previous_reminder = ctx.business_day_after(touches[-1].sent_at, ctx.rules.awaiting_reply_days)
        spaced = previous_reminder + timedelta(days=ctx.rules.cadence_days)
        not_before = spaced if spaced > due else None
    return replace(f, channel="email", attempt=attempt, not_before=not_before)


def _from_contact(msg: Message, a: Analysis, thread: str, ctx: _Ctx, known: _History) -> list[FollowUp]:
    contacts = (msg.sender,)
    out: list[FollowUp] = []
    sale = _order(msg, a, thread, contacts, ctx)
    if sale is not None:
        out.append(sale)
    if any(address in ctx.me for address in msg.to) and not a.acknowledgement:
        asked = _asked_of_rep(msg, a, ctx)
        if asked and _unsolicited(msg, thread, known) and not _greets_rep(a, ctx):
            # Cold mail (promotions, list offers) asks the reader to act for the sender's campaign; a stranger
            # with a real question asks it ("?") or says what they need ("please advise me").
            from followup_sync.text import signals

            asked = [s for s in asked if signals.asks_personally(s)]
        if asked:
            due = ctx.business_day_after(msg.sent_at, ctx.rules.unanswered_inbound_days)
            f = _base("unanswered_inbound", msg, thread, contacts, due=due, evidence=asked[0])
            out.append(replace(f, channel="email"))
    return out


def _asked_of_rep(msg: Message, a: Analysis, ctx: _Ctx) -> list[str]:
    """The questions in a contact's mail that are put to the rep.

    A command that names nobody is a step of a recipe or an action list, not a request. A sentence (or a whole
    mail, by its greeting) that addresses another recipient by first name, and not the rep, asks that
    recipient ("Lorna: please ...").
    """
    from followup_sync.text import signals

    asked = [s for s in a.questions if not signals.is_bare_imperative(s)]
    if not asked:
        return []
    mine = _rep_names(ctx)
    others = _first_names(x for x in (*msg.to, *msg.cc) if x not in ctx.me) - mine
    if not others:
        return asked

    def for_others(sentence: str) -> bool:
        names = signals.addressees(sentence)
        return bool(names & others) and not names & mine

    if for_others(a.greeting):
        return [s for s in asked if signals.addressees(s) & mine]
    return [s for s in asked if not for_others(s)]


def _rep_names(ctx: _Ctx) -> set[str]:
    return _first_names(ctx.me) | {n.lower() for n in ctx.identity.name.split()[:1]}


def _greets_rep(a: Analysis, ctx: _Ctx) -> bool:
    from followup_sync.text import signals

    return bool(signals.addressees(a.greeting) & _rep_names(ctx))


def _first_names(addresses: Iterable[str]) -> set[str]:
    """'jane.doe@x' -> 'jane': the first word of an address's local part, when it is a word."""
    names = set()
    for address in addresses:
        first = re.split(r"[._-]", address.partition("@")[0], maxsplit=1)[0].lower()
        if first.isalpha() and len(first) >= 2:
            names.add(first)
    return names


def _unsolicited(msg: Message, thread: str, known: _History) -> bool:
    """A first message from somebody the rep has not written to: not a reply, and no earlier mail of the rep's
    to the sender or in the thread."""
    from followup_sync.threads import is_reply_subject

    if msg.in_reply_to or msg.references or is_reply_subject(msg.subject):
        return False
    if any(m.sent_at < msg.sent_at for m in known.rep_to.get(msg.sender, ())):
        return False
    return not any(m.from_me and m.sent_at < msg.sent_at for m in known.by_thread.get(thread, ()))


RITUAL_GAP = timedelta(days=7)


def _recaps(meetings: Sequence[Meeting], ctx: _Ctx) -> list[FollowUp]:
    """One recap per single meeting; for a series, one for its latest ended occurrence, none for a ritual."""
    out: list[FollowUp] = []
    for occurrences in _by_series(meetings).values():
        if _is_ritual(occurrences, ctx):
            continue
        recap = _latest_recap(occurrences, ctx)
        if recap is not None:
            out.append(recap)
    return out


def _latest_recap(occurrences: Sequence[Meeting], ctx: _Ctx) -> FollowUp | None:
    """The recap for the latest occurrence (by start) that ended in the window and wants one."""
    for mtg in reversed(occurrences):
        recap = _recap(mtg, ctx)
        if recap is not None:
            return recap
    return None


def _by_series(meetings: Iterable[Meeting]) -> dict[str, list[Meeting]]:
    """Meetings grouped by series (a single meeting is its own group), each group sorted by start."""
    groups: dict[str, list[Meeting]] = defaultdict(list)
    for m in meetings:
        groups[m.series or f"single:{m.uid}"].append(m)
    for group in groups.values():
        group.sort(key=lambda m: (m.start, m.uid))
    return groups


def _is_ritual(occurrences: Sequence[Meeting], ctx: _Ctx) -> bool:
    """A series that meets more often than weekly (its median gap between starts is under ``RITUAL_GAP``)
    with more of the rep's side than contacts in it: a stand-up with a guest, not a customer meeting."""
    held = [m for m in occurrences if not m.cancelled]
    if len(held) < 2 or held[0].series is None:
        return False
    gaps = sorted(b.start - a.start for a, b in itertools.pairwise(held))
    if gaps[len(gaps) // 2] >= RITUAL_GAP:
        return False
    latest = held[-1]
    people = set((latest.organizer, *latest.attendees)) - {""}
    contacts = sum(1 for a in people if ctx.is_contact(a))
    ours = sum(1 for a in people if ctx.is_colleague(a)) + (0 if people & ctx.me else 1)  # the rep attends
    return contacts < ours


def _recap(mtg: Meeting, ctx: _Ctx) -> FollowUp | None:
    if mtg.cancelled or not (ctx.now - timedelta(days=ctx.rules.lookback_days) <= mtg.end <= ctx.now):
        return None
    people = tuple(dict.fromkeys((mtg.organizer, *mtg.attendees)))
    if len(people) > ctx.rules.bulk_recipients:
        return None
    contacts = tuple(sorted(a for a in people if ctx.is_contact(a)))
    if not contacts:
        return None
    due = sched.next_slot(mtg.end + timedelta(hours=ctx.rules.recap_hours), schedule=ctx.schedule, tz=ctx.tz)
    ended = sched.format_local(mtg.end, tz=ctx.tz)
    return FollowUp(
        key=followup_key("meeting_recap", mtg.uid, ",".join(contacts)),
        kind="meeting_recap",
        origin_id=mtg.uid,
        thread_key=meeting_thread_key(mtg.series or mtg.uid),
        contacts=contacts,
        due=due,
        evidence=_clip(f"Meeting '{mtg.subject}' ended {ended}"),
        thread_subject=mtg.subject,
        created_at=mtg.end,
        due_has_time=True,
        channel="email",
        link=None if mtg.link is None or mtg.link.startswith("file:") else mtg.link,  # not a calendar file path
    )


def meeting_thread_key(uid: str) -> str:
    return "m-" + hashlib.sha256(uid.encode()).hexdigest()[:16]


# --- conditional promises -----------------------------------------------------------------------------------


def promote(
    pending: Sequence[PendingPromise],
    history: Sequence[MessageMeta],
    *,
    identity: Identity,
    rules: Rules,
    now: datetime,
    schedule: Schedule = _DEFAULT_SCHEDULE,
) -> tuple[list[FollowUp], dict[str, str]]:
    """(the pending promises a reply accepted, now live promises; {key: why} of those to forget).

    The first reply in the thread that accepts (``MessageMeta.accepts``), from a contact, human, after the
    rep's mail, makes the promise live, counted from that reply: its ``created_at`` is the reply's time and its
    due the stated time read again as if written then ("I'll sign within two days": two days after the reply),
    or ``PROMISE_DEFAULT_DAYS`` after it. A reply that does not accept changes nothing, so a later one still
    can; a promise nobody accepted within ``lookback_days`` is forgotten ("expired").
    """
    ctx = _Ctx.build(identity=identity, rules=rules, schedule=schedule, now=now)
    known = _History.of(history, now)
    live: list[FollowUp] = []
    gone: dict[str, str] = {}
    for p in pending:
        f = p.followup
        reply = next(
            (
                m
                for m in known.by_thread.get(f.thread_key, ())
                if m.sent_at > f.created_at and m.accepts and not m.from_me and not m.automatic and not m.bulk
                and ctx.is_contact(m.sender)
            ),
            None,
        )  # fmt: skip
        if reply is not None:
            from followup_sync.text.dates import find_due

            stated = (
                find_due(p.due_text, sent_at=reply.sent_at, tz=ctx.tz, options=ctx.options) if p.due_text else None
            )
            due, has_time, _ = _due(stated, reply.sent_at, ctx)  # "by" is not in the span: the flag stays
            live.append(replace(f, due=due, due_has_time=has_time, created_at=reply.sent_at))
        elif now > f.created_at + timedelta(days=rules.lookback_days):
            gone[f.key] = "expired"
    return live, gone


# --- resolution ---------------------------------------------------------------------------------------------


def resolve(
    followups: Sequence[FollowUp],
    history: Sequence[MessageMeta],
    meetings: Sequence[Meeting],
    *,
    identity: Identity,
    rules: Rules,
    now: datetime,
    schedule: Schedule = _DEFAULT_SCHEDULE,
) -> tuple[list[FollowUp], dict[str, str]]:
    """(the follow-ups to remind about, {closed key: reason}); see the module docstring.

    A follow-up that loses its thread to a more urgent one is in neither result: it stays open, unreminded.
    """
    ctx = _Ctx.build(identity=identity, rules=rules, schedule=schedule, now=now)
    known = _History.of(history, now)
    live = [m for m in meetings if not m.cancelled]
    closed: dict[str, str] = {}
    candidates: list[FollowUp] = []
    for f in followups:
        reason = _closed_reason(f, ctx, known, live, meetings)
        if reason is not None:
            closed[f.key] = reason
        else:
            candidates.append(_with_return_date(f, known, ctx) if f.kind == "awaiting_reply" else f)
    winners = _one_per_thread(candidates)
    return sorted(_space_per_contact(winners, ctx), key=lambda f: f.key), closed


def _origin_time(f: FollowUp, known: _History) -> datetime:
    """When the follow-up began: its mail's time, or ``created_at`` when later (a conditional promise counts
    from the reply that accepted it)."""
    meta = known.by_id.get(f.origin_id)
    return max(meta.sent_at, f.created_at) if meta is not None else f.created_at


def _met(contacts: Sequence[str], meetings: Iterable[Meeting], *, start: datetime, end: datetime) -> bool:
    wanted = set(contacts)
    return any(start < m.start <= end and wanted & {m.organizer, *m.attendees} for m in meetings)


def _closed_reason(
    f: FollowUp, ctx: _Ctx, known: _History, live: Sequence[Meeting], meetings: Sequence[Meeting]
) -> str | None:
    if f.kind not in ctx.rules.kinds:
        return "kind turned off"
    origin = _origin_time(f, known)
    if f.kind == "meeting_recap":
        mtg = next((m for m in meetings if m.uid == f.origin_id), None)
        if mtg is not None and mtg.cancelled:
            return "meeting cancelled"
        if mtg is not None and mtg.series is not None:
            series = _by_series(m for m in meetings if m.series == mtg.series)[mtg.series]
            if _is_ritual(series, ctx):
                return "recurring internal meeting"
            latest = _latest_recap(series, ctx)
            if latest is not None and latest.created_at > f.created_at:
                return "a later meeting of the series"
        began = mtg.start if mtg is not None else f.created_at
        if known.rep_wrote(f.contacts, after=began) is not None:
            return "rep followed up"
    elif f.kind == "after_sale":
        check_from = ctx.day_start(sched.add_business_days(ctx.local_date(f.due), -1, ctx.schedule))
        if known.rep_wrote(f.contacts, after=max(origin, check_from)) is not None:
            return "checked in"
        if _met(f.contacts, live, start=check_from, end=ctx.now):
            return "checked in"
    else:
        reason = _answered(f, origin, ctx, known, live)
        if reason is not None:
            return reason
    if ctx.now > f.due + timedelta(days=ctx.rules.lookback_days):
        return "expired"
    return None


def _answered(f: FollowUp, origin: datetime, ctx: _Ctx, known: _History, live: Sequence[Meeting]) -> str | None:
    if f.kind == "promise" and f.joint:
        return _joint_done(f, origin, ctx, known, live)
    if f.kind == "awaiting_reply":
        if known.human_from(f.contacts, after=origin) is not None or _thread_reply(f, origin, ctx, known):
            return "answered"
    elif known.rep_wrote(f.contacts, after=origin, exclude=f.origin_id) is not None:
        return "answered" if f.kind == "unanswered_inbound" else "rep followed up"
    elif f.kind == "unanswered_inbound" and _colleague_answered(f, origin, ctx, known):
        return "answered"
    if f.kind == "unanswered_inbound":
        return None
    grace = timedelta(days=1 if f.kind == "promise" and f.channel != "meeting" else 7)
    if _met(f.contacts, live, start=origin, end=f.due + grace):
        return "meeting scheduled"
    return None


def _joint_done(f: FollowUp, origin: datetime, ctx: _Ctx, known: _History, live: Sequence[Meeting]) -> str | None:
    """A joint follow-up is around its time: from the start of the working day before the due day to the end
    of the working day after it (:data:`JOINT_WINDOW_DAYS`); a meeting with the contact that starts in it
    covers it. The rep's later mail to the contact ends a delivery with a deadline ("you'll have the numbers
    within two days": the mail is the delivery), as it ends any promise; for an appointment ("let's speak
    Wednesday at 11") only mail from the due day on does: earlier mail arranges it ("Great, talk then")."""
    day = ctx.local_date(f.due)
    first = sched.add_business_days(day, -JOINT_WINDOW_DAYS, ctx.schedule)
    last = sched.add_business_days(day, JOINT_WINDOW_DAYS, ctx.schedule) + timedelta(days=1)
    start = max(origin, sched.local_at(first, time(0), ctx.tz))
    if _met(f.contacts, live, start=start, end=sched.local_at(last, time(0), ctx.tz)):
        return "meeting scheduled"
    mail_from = origin if f.deadline else max(origin, sched.local_at(day, time(0), ctx.tz))
    if known.rep_wrote(f.contacts, after=mail_from, exclude=f.origin_id) is not None:
        return "rep followed up"
    return None


def _colleague_answered(f: FollowUp, origin: datetime, ctx: _Ctx, known: _History) -> bool:
    """A colleague of the rep answered the contact in the thread (the rep in Cc), so the rep need not."""
    wanted = set(f.contacts)
    return any(
        m.sent_at > origin and not m.from_me and not m.automatic and ctx.is_colleague(m.sender)
        and wanted & set(m.recipients)
        for m in known.by_thread.get(f.thread_key, ())
    )  # fmt: skip


def _thread_reply(f: FollowUp, origin: datetime, ctx: _Ctx, known: _History) -> bool:
    """Somebody else on the customer's side answered in the thread (a colleague of the contact)."""
    return any(
        m.sent_at > origin and not m.from_me and not m.automatic and not m.bulk and ctx.is_contact(m.sender)
        for m in known.by_thread.get(f.thread_key, ())
    )


def _with_return_date(f: FollowUp, known: _History, ctx: _Ctx) -> FollowUp:
    """An out-of-office from a contact after the rep's mail: remind no earlier than the stated return."""
    origin = _origin_time(f, known)
    returns = [
        m.return_at
        for c in f.contacts
        for m in known.from_addr.get(c, ())
        if m.automatic and m.sent_at > origin and m.return_at is not None
    ]
    if not returns:
        return f
    back = max(returns)
    if f.not_before is not None and f.not_before >= back:
        return f
    return replace(f, not_before=back)


def _one_per_thread(followups: Iterable[FollowUp]) -> list[FollowUp]:
    by_thread: dict[str, list[FollowUp]] = defaultdict(list)
    for f in followups:
        by_thread[f.thread_key].append(f)
    return [
        min(group, key=lambda f: (THREAD_PRIORITY[f.kind], _undated_sale(f), -f.created_at.timestamp(), f.key))
        for group in by_thread.values()
    ]


def _undated_sale(f: FollowUp) -> bool:
    """An after_sale follow-up without a stated delivery date: the customer's PO that names the delivery day
    is better evidence than the rep's later "Thank you for your order!"."""
    return f.kind == "after_sale" and not f.deadline


def _space_per_contact(followups: list[FollowUp], ctx: _Ctx) -> list[FollowUp]:
    """Two open chases of one contact are ``cadence_days`` apart: the later one waits (``not_before``)."""
    chases: dict[str, list[FollowUp]] = defaultdict(list)
    out = [f for f in followups if f.kind != "awaiting_reply"]
    for f in followups:
        if f.kind == "awaiting_reply":
            chases[f.contacts[0] if f.contacts else ""].append(f)
    gap = timedelta(days=ctx.rules.cadence_days)
    for group in chases.values():
        group.sort(key=lambda f: (_effective(f), f.key))
        previous: datetime | None = None
        for f in group:
            if previous is not None and _effective(f) < previous + gap:
                f = replace(f, not_before=previous + gap)
            out.append(f)
            previous = _effective(f)
    return out


def _effective(f: FollowUp) -> datetime:
    return max(f.due, f.not_before) if f.not_before is not None else f.due
