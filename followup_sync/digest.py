"""``[reminders] digest = true``: one morning appointment a day listing that day's follow-ups, instead of one
appointment each. Pure; the pass (``sync``) hands it the reminders it would write and writes what it returns.

Each follow-up goes on the day its own reminder would land (an overdue one on the next working morning, as
always); the day's digest starts at the start of that working day (today's, once today's has passed, at the
next full hour, and then stays there), and lists the day's follow-ups in the order they fell due, with the time
only where the mail stated one (a reminder's own time moves while it is overdue, and the digest must not change
with every pass), and with what each needs: the action and person, the sentence, the phone number and the link.
A digest is updated as its follow-ups come and go, removed when none is left (a day that is over has none: its
open ones moved on to the next morning), and one the rep deletes is gone for that day only (its follow-ups stay
open and come back the next morning).

A digest is keyed by the rep's address and its day (:func:`key_for`), so two configs writing one calendar never
share one; the state keeps it as a follow-up row of kind "digest" that is never open (only its reminder row
matters), so the planner's rules (the rep's edits win, a deleted one is not written again) apply unchanged.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from followup_sync import people as ppl
from followup_sync import schedule as sched
from followup_sync.config import Schedule
from followup_sync.model import FollowUp, Reminder
from followup_sync.people import Person
from followup_sync.sanitise import clean

KIND = "digest"


def key_for(day: date, me: str) -> str:
    return hashlib.sha256(f"digest\0{me}\0{day.isoformat()}".encode()).hexdigest()[:20]


def row(day: date, me: str, *, tz: ZoneInfo, schedule: Schedule) -> FollowUp:
    """The state's row for a day's digest (kind "digest", never open)."""
    start = sched.local_at(day, schedule.day_start, tz)
    return FollowUp(
        key=key_for(day, me), kind=KIND, origin_id=f"digest:{day.isoformat()}",  # type: ignore[arg-type]
        thread_key=f"digest:{day.isoformat()}", contacts=(), due=start, evidence="",
        thread_subject=f"Follow-ups of {day:%a %d %b}", created_at=start,
    )  # fmt: skip


def build(
    items: Iterable[tuple[FollowUp, Reminder]],
    *,
    me: str,
    tz: ZoneInfo,
    schedule: Schedule,
    now: datetime,
    shown: Mapping[date, datetime],
    people: Mapping[str, Person],
    skip: Iterable[date] = (),
) -> dict[date, Reminder]:
    """One digest per day that has follow-ups (but the ``skip`` days, whose digest the rep deleted); ``shown``
    is where each day's digest was last written."""
    by_day: dict[date, list[tuple[FollowUp, Reminder]]] = defaultdict(list)
    for f, rem in items:
        by_day[rem.start.astimezone(tz).date()].append((f, rem))
    out: dict[date, Reminder] = {}
    for day in sorted(set(by_day) - set(skip)):
        listed = sorted(by_day[day], key=lambda p: (p[0].due, p[0].key))
        planned = sched.next_slot(sched.local_at(day, schedule.day_start, tz), schedule=schedule, tz=tz)
        start = planned if planned >= now else sched.carried(planned, shown=shown.get(day), now=now,
                                                                 schedule=schedule, tz=tz)  # fmt: skip
        if start.astimezone(tz).date() != day:
            start = max(now, planned)
        out[day] = Reminder(
            key=key_for(day, me),
            start=start,
            end=start + timedelta(minutes=schedule.reminder_minutes),
            timezone=tz.key,
            subject=clean(_subject(listed, people)),
            body=clean(_body(listed, tz=tz, people=people), multiline=True),
            categories=("Follow-up",),
        )
    return out


def _subject(listed: list[tuple[FollowUp, Reminder]], people: Mapping[str, Person]) -> str:
    names = ", ".join(dict.fromkeys(ppl.who(f.contacts, people) for f, _ in listed))
    head = f"{len(listed)} follow-up{'s' if len(listed) != 1 else ''}: "
    text = head + names
    return text if len(text) <= sched.SUBJECT_MAX else text[: sched.SUBJECT_MAX - 1].rstrip(" ,") + "…"


def _body(listed: list[tuple[FollowUp, Reminder]], *, tz: ZoneInfo, people: Mapping[str, Person]) -> str:
    lines = [f"Today's follow-ups ({len(listed)}), in time order:", ""]
    for f, rem in listed:
        # the time a person waits for, not the reminder's: an overdue one's moves with every pass
        on_the_day = f.due_has_time and f.due.astimezone(tz).date() == rem.start.astimezone(tz).date()
        lines.append(f"{f.due.astimezone(tz):%H:%M}  {rem.subject}" if on_the_day else f"       {rem.subject}")
        quote = f"“{f.evidence[: sched.EVIDENCE_MAX]}”"
        lines.append(f"       {'You wrote' if f.kind == 'promise' else 'Evidence'}: {quote}")
        for c in f.contacts:
            phone = ppl.known(c, people).phone
            if phone:
                lines.append(f"       Phone ({ppl.first_name(c, people)}): {ppl.phone_line(phone)}")
        if f.link:
            lines.append(f"       Open the mail: {f.link}")
        lines.append("")
    lines.append("Answer them with `followup-sync review` (or done / dismiss / snooze ID).")
    return "\n".join(lines)
