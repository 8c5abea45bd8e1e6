"""Working time and reminder rendering: business days, the next working slot, and the calendar item text.

Decisions (copied to the README):

- A *business day* is a weekday listed in ``schedule.working_days`` that is neither in ``schedule.holidays`` nor
  a public holiday (substitute days included) of ``schedule.country``/``subdivision`` in the ``holidays`` library.
  ``add_business_days(d, 0)`` is ``d`` itself when it is a business day, else the next one.
- A *working minute* lies in ``[day_start, day_end)`` of a business day, in the rep's zone. Local times are
  built with zoneinfo's ``fold=0``: a wall time that does not exist (spring forward) lands after the gap, and an
  ambiguous one (fall back) means its first occurrence.
- Reminder start: an appointment ("call you Wednesday at 2pm") at the stated time; a deadline ("by Friday
  noon") ``deadline_lead_hours`` before it, moved into working time but never past the deadline when an
  earlier working minute exists; a date-only due at the start of that working day. Then no earlier than
  ``not_before``. This is the *planned* time.
- Overdue (the same for every sink; :func:`carried`): a reminder stays at its time for the rest of that working
  day, even once the time has passed. When the working day it is on is over and its follow-up is still open,
  it is carried to the next working morning (the next working slot, rounded up to the full hour, if
  followup-sync was not running at day start), at most once a day, and its subject starts with "OVERDUE: ".
  A follow-up first found when its planned time has already passed is reminded at the next working slot, marked
  OVERDUE. After ``overdue_days`` working days past the planned time (:func:`overdue_expired`) the follow-up
  expires, as one ``lookback_days`` overdue always did. A reminder the rep moved is theirs: it keeps the rep's
  time and is never carried, and its expiry counts from the rep's time.
- The text never contains ``now``; only the OVERDUE flag depends on it, so a reminder's content hash changes
  only when its follow-up does, or once a day while it is carried.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from followup_sync import holidaycal
from followup_sync import people as ppl
from followup_sync.config import Schedule
from followup_sync.model import FollowUp, Reminder
from followup_sync.people import Person
from followup_sync.sanitise import clean

_MAX_SCAN_DAYS = 3 * 366  # a calendar with no working day for three years is a configuration error
#: A reminder's subject is what a phone's lock screen shows of it: iOS and Android show a calendar alert's
#: title on one or two lines of about 30 characters on a 6" phone at the default text size, and cut the rest.
#: The subject therefore starts with the action and the person ("Call Mark Chen (Acme)"), and only the topic
#: after them is cut to fit 60 characters (an "OVERDUE: " mark comes on top).
SUBJECT_MAX = 60
EVIDENCE_MAX = 200

_VERBS = {"call": "Call", "email": "Write to", "meeting": "Meet", "other": "Get back to"}
_EXPLAIN = {
    "promise": "You promised to {what} {who}.",
    "awaiting_reply": "You are waiting for an answer from {who}.",
    "meeting_recap": "You met {who} and have not written to them since.",
    "after_sale": "An order from {who}: check in after the delivery.",
    "unanswered_inbound": "A question from {who} is waiting for your answer.",
}
_JOINT = "You set this time with {who}."  # "let's speak Wednesday at 11", "you'll have the numbers in two days"
_WHAT = {"call": "call", "email": "write to", "meeting": "meet", "other": "get back to"}


def is_business_day(day: date, schedule: Schedule) -> bool:
    if day.weekday() not in schedule.working_days or day in schedule.holidays:
        return False
    # The public holidays of [schedule] country/subdivision (the holidays library, loaded on first use).
    return not schedule.country or not holidaycal.for_schedule(schedule.country, schedule.subdivision).is_day_off(
        day
    )


def add_business_days(start: date, days: int, schedule: Schedule) -> date:
    """``days`` business days after ``start`` (before it if negative); 0: ``start`` or the next business day."""
    step = 1 if days >= 0 else -1
    day = start
    if days == 0:
        return _scan(day, 1, schedule)
    remaining = abs(days)
    for _ in range(_MAX_SCAN_DAYS):
        day += timedelta(days=step)
        if is_business_day(day, schedule):
            remaining -= 1
            if remaining == 0:
                return day
    raise ValueError("no business day found: check schedule.working_days and schedule.holidays")


def _scan(day: date, step: int, schedule: Schedule) -> date:
    for _ in range(_MAX_SCAN_DAYS):
        if is_business_day(day, schedule):
            return day
        day += timedelta(days=step)
    raise ValueError("no business day found: check schedule.working_days and schedule.holidays")


def local_at(day: date, at: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall time ``at`` in ``tz`` as aware UTC; gaps resolve forward, ambiguity to the first."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def working_window(day: date, *, schedule: Schedule, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The working hours of ``day`` as UTC bounds; a ``day_end`` not after ``day_start`` means midnight."""
    start = local_at(day, schedule.day_start, tz)
    if schedule.day_end > schedule.day_start:
        end = local_at(day, schedule.day_end, tz)
    else:
        end = local_at(day + timedelta(days=1), time(0, 0), tz)
    return start, end


def next_slot(at: datetime, *, schedule: Schedule, tz: ZoneInfo, minutes: int = 0) -> datetime:
    """The first working minute >= ``at`` (aware UTC) at which ``minutes`` more still fit into the working day."""
    ceil = at.astimezone(UTC)
    if ceil.second or ceil.microsecond:
        ceil = ceil.replace(second=0, microsecond=0) + timedelta(minutes=1)
    length = timedelta(minutes=minutes)
    day = ceil.astimezone(tz).date() - timedelta(days=1)  # the previous day's window may reach past midnight
    for _ in range(_MAX_SCAN_DAYS):
        if is_business_day(day, schedule):
            start, end = working_window(day, schedule=schedule, tz=tz)
            candidate = max(start, ceil)
            if candidate + length <= end and candidate < end:
                return candidate
        day += timedelta(days=1)
    raise ValueError("no working time found: check schedule.working_days, day_start/day_end and holidays")


def last_slot_before(limit: datetime, *, schedule: Schedule, tz: ZoneInfo, minutes: int = 0) -> datetime | None:
    """The latest working minute at which ``minutes`` fit and end by ``limit``; None if there is none in a week."""
    length = timedelta(minutes=minutes)
    day = limit.astimezone(tz).date()
    for _ in range(8):
        if is_business_day(day, schedule):
            start, end = working_window(day, schedule=schedule, tz=tz)
            candidate = min(end, limit) - length
            if candidate >= start:
                return candidate.replace(second=0, microsecond=0)
        day -= timedelta(days=1)
    return None


def _planned_start(f: FollowUp, *, schedule: Schedule, tz: ZoneInfo) -> datetime:
    minutes = schedule.reminder_minutes
    due_local = f.due.astimezone(tz)
    if f.deadline and f.due_has_time:
        target = f.due - timedelta(hours=schedule.deadline_lead_hours)
        slot = next_slot(target, schedule=schedule, tz=tz, minutes=minutes)
        if slot + timedelta(minutes=minutes) > f.due:
            slot = last_slot_before(f.due, schedule=schedule, tz=tz, minutes=minutes) or slot
    elif f.due_has_time:
        slot = f.due  # the rep named the time ("call you at 2pm"): remind then, even outside working hours
    else:
        slot = next_slot(
            local_at(due_local.date(), schedule.day_start, tz), schedule=schedule, tz=tz, minutes=minutes
        )
    if f.not_before is not None and f.not_before > slot:
        slot = next_slot(f.not_before, schedule=schedule, tz=tz, minutes=minutes)
    return slot


def reminder_for(
    f: FollowUp,
    *,
    schedule: Schedule,
    tz: ZoneInfo,
    now: datetime,
    max_touches: int = 0,
    shown: datetime | None = None,
    people: Mapping[str, Person] | None = None,
) -> Reminder:
    """The calendar item for an open follow-up (see the module docstring for where it lands).

    ``shown`` is the start of the reminder as we last wrote it (None before the first write): it keeps an
    overdue reminder on its day until that day is over. With ``max_touches`` (``rules.max_touches``) the last
    chase of a contact says "last try". ``people`` names the contacts (``people.Person`` by address).
    """
    planned = _planned_start(f, schedule=schedule, tz=tz)
    start = carried(planned, shown=shown, now=now, schedule=schedule, tz=tz)
    overdue = start != planned
    known = people or {}
    subject = reminder_subject(f, max_touches=max_touches, people=known)
    if overdue:
        subject = "OVERDUE: " + subject
    # The one place every sink writes from: no terminal escapes or controls from the mail reach a calendar.
    return Reminder(
        key=f.key,
        start=start,
        end=start + timedelta(minutes=schedule.reminder_minutes),
        timezone=tz.key,
        subject=clean(subject),
        body=clean(reminder_body(f, tz=tz, people=known), multiline=True),
        overdue=overdue,
        link=clean(f.link) if f.link else None,
    )


def carried(
    planned: datetime, *, shown: datetime | None, now: datetime, schedule: Schedule, tz: ZoneInfo
) -> datetime:
    """Where a reminder planned for ``planned`` and last written at ``shown`` belongs at ``now``.

    Not yet due: its planned time. Due, but the working day it is shown on is not over: where it is. Else: the
    next working slot after ``now`` rounded up to the full hour, which after working hours is the next working
    morning. So an overdue reminder moves at most once a day, right after the day it was shown on.
    """
    if planned >= now:
        return planned
    if shown is not None and shown >= planned and now < day_over(shown, schedule=schedule, tz=tz):
        return shown
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if hour < now:
        hour += timedelta(hours=1)
    return next_slot(hour, schedule=schedule, tz=tz, minutes=schedule.reminder_minutes)


def day_over(moment: datetime, *, schedule: Schedule, tz: ZoneInfo) -> datetime:
    """When the day ``moment`` is shown on is over: the end of its working hours, or (outside them, e.g. a
    call the rep promised for 7pm) the midnight after it."""
    day = moment.astimezone(tz).date()
    if is_business_day(day, schedule):
        _, end = working_window(day, schedule=schedule, tz=tz)
        if end > moment:
            return end
    return local_at(day + timedelta(days=1), time(0, 0), tz)


def overdue_expired(
    f: FollowUp, *, schedule: Schedule, tz: ZoneInfo, now: datetime, since: datetime | None = None
) -> bool:
    """True once an open follow-up's reminder has been overdue for ``schedule.overdue_days`` working days.

    Counted from the planned time, or from ``since``: the rep's own time for a reminder they moved. It expires
    when the last of those working days is over (``overdue_days = 0``: at the end of the day it was due).
    """
    start = since or _planned_start(f, schedule=schedule, tz=tz)
    if start >= now:
        return False
    last = add_business_days(start.astimezone(tz).date(), schedule.overdue_days, schedule)
    return now >= day_over(local_at(last, schedule.day_start, tz), schedule=schedule, tz=tz)


def reminder_subject(f: FollowUp, *, max_touches: int = 0, people: Mapping[str, Person] | None = None) -> str:
    """Short and human, action and person first: "Call Mark Chen (Acme) - Rollout plan" (see
    :data:`SUBJECT_MAX`: only the topic is cut to fit)."""
    who = ppl.who(f.contacts, people or {})
    if f.kind == "promise":
        action = f"{_VERBS[f.channel or 'other']} {who}"
    elif f.kind == "awaiting_reply":
        action = f"No reply from {who}"
    elif f.kind == "meeting_recap":
        action = f"Send recap to {who}"
    elif f.kind == "after_sale":
        action = f"Check in with {who}"
    else:
        action = f"Answer {who}"
    action = " ".join(clean(action).split())
    note = _attempt_note(f, max_touches)
    topic = " ".join(clean(f.thread_subject).split())
    room = SUBJECT_MAX - len(action) - len(note) - 3
    if topic and room >= 8:
        return f"{action} - {_clip(topic, room)}{note}"
    return _clip(action, SUBJECT_MAX - len(note)) + note


def _attempt_note(f: FollowUp, max_touches: int) -> str:
    if f.kind != "awaiting_reply" or f.attempt <= 1:
        return ""
    if max_touches and f.attempt >= max_touches:
        return " (last try)"
    return f" (try {f.attempt})"


def reminder_body(f: FollowUp, *, tz: ZoneInfo, people: Mapping[str, Person] | None = None) -> str:
    """What the rep needs to act at once: who and why, the number to call (a ``tel:`` link), the sentence it
    came from (the rep's own promise, the contact's question), and the link that opens the mail."""
    known = people or {}
    explain = _JOINT if f.kind == "promise" and f.joint else _EXPLAIN[f.kind]
    first = explain.format(who=ppl.who(f.contacts, known), what=_WHAT[f.channel or "other"])
    if f.kind == "awaiting_reply" and f.attempt > 1:
        first += f" This is follow-up number {f.attempt}."
    lines = [first]  # every sentence starts with a word of ours: an address is never capitalised as one
    phones = [(c, ppl.known(c, known).phone) for c in f.contacts]
    phones = [(c, p) for c, p in phones if p]
    if phones and (f.channel == "call" or f.kind in ("awaiting_reply", "after_sale", "unanswered_inbound")):
        for contact, phone in phones[:3]:
            lines.append(f"Phone ({ppl.first_name(contact, known)}): {ppl.phone_line(phone)}")
    lines.append("")
    quote = f"“{_clip(f.evidence, EVIDENCE_MAX)}”"
    if f.kind == "promise":
        lines.append(f"You wrote: {quote}")
    elif f.kind == "unanswered_inbound" and f.contacts:
        lines.append(f"{ppl.first_name(f.contacts[0], known)} asked: {quote}")
    else:
        lines.append(quote)
    lines.append("")
    if f.thread_subject:
        lines.append(f"Thread: {f.thread_subject}")
    lines.append("Contacts: " + (", ".join(ppl.full(c, known) for c in f.contacts) or "the contact"))
    lines.append(f"Due: {format_local(f.due, tz=tz, with_time=f.due_has_time)}")
    if f.link:
        lines.append(f"Open the mail: {f.link}" if f.kind != "meeting_recap" else f"Link: {f.link}")
    return "\n".join(lines)


def format_local(moment: datetime, *, tz: ZoneInfo, with_time: bool = True) -> str:
    """A moment as the rep reads it: "Wed 25 Nov 2026 14:00 EST", or the date alone."""
    local = moment.astimezone(tz)
    text = f"{local:%a} {local.day} {local:%b %Y}"
    return f"{text} {local:%H:%M} {local.tzname()}" if with_time else text


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
