"""No floods: at most ``[reminders] max_new_per_day`` new reminders a day, the most valuable first. Pure.

A first pass over a full mailbox, or a busy week, can find dozens of follow-ups at once; a calendar that fills
with them is one the rep stops reading. So a follow-up's reminder is *released* on a day, and at most
``max_new_per_day`` are released per day (counting the ones released earlier that day). The others are
*queued*: each gets the working day on which it will be released, in order of value:

1. promises with a stated time ("I'll call you Thursday at 2pm"): a person waits at that moment;
2. questions from customers (``unanswered_inbound``): somebody is waiting for the rep;
3. the rest: other promises, then awaiting_reply, after_sale and meeting_recap follow-ups;

and within each, the earliest reminder first, and of those at one time (overdue ones all come at the next
working slot) the one that fell due first: who has waited longest goes first. A released follow-up stays
released (its reminder is written, or kept); the queue is planned again at every pass, so a new, more valuable
follow-up goes ahead of queued ones. A queued follow-up whose time has passed on its release day is reminded at
the next working slot, marked OVERDUE, like any other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from followup_sync import schedule as sched
from followup_sync.config import Schedule
from followup_sync.model import FollowUp

_TIERS = {"unanswered_inbound": 1, "promise": 2, "awaiting_reply": 3, "after_sale": 4, "meeting_recap": 5}


def value(f: FollowUp, start: datetime) -> tuple[int, datetime, datetime, str]:
    """The sort key of a follow-up in the queue: most valuable first (see the module docstring)."""
    tier = 0 if f.kind == "promise" and f.due_has_time else _TIERS[f.kind]
    return tier, start, f.due, f.key


def release_days(
    candidates: Sequence[FollowUp],
    *,
    starts: Mapping[str, datetime],
    released_today: int,
    cap: int,
    today: date,
    schedule: Schedule,
) -> dict[str, date]:
    """The day each not yet released follow-up is released: ``today`` for the best ``cap - released_today``,
    then ``cap`` per following working day. ``starts`` is each one's planned reminder start."""
    ranked = sorted(candidates, key=lambda f: value(f, starts[f.key]))
    out: dict[str, date] = {}
    day, left = today, max(0, cap - released_today)
    for f in ranked:
        while left <= 0:
            day = sched.add_business_days(day, 1, schedule)
            left = cap
        out[f.key] = day
        left -= 1
    return out
