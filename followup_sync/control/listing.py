"""The open follow-ups as the rep reviews them (``followup-sync list``, the review): a short id, kind, who,
when it is due, where its reminder is (or why there is none yet), and the evidence; then the conditional
promises that wait on the contact's yes (issue 8), which have no reminder yet. Read-only."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from followup_sync import people, userdata
from followup_sync.control.answers import short_id
from followup_sync.model import FollowUp, PendingPromise
from followup_sync.people import Person
from followup_sync.sanitise import clean
from followup_sync.state import State


@dataclass(frozen=True)
class Row:
    followup: FollowUp
    people: dict[str, Person]
    reminder: datetime | None  # where the reminder is now (the rep's time if they moved it)
    moved: bool  # the rep moved or edited it: theirs
    queued: date | None  # not released yet: the day it will be (``pacing``)
    snoozed: datetime | None
    released: bool = False  # let through the daily cap: its reminder is written at the next pass

    @property
    def where(self) -> str:
        """Why there is or is no reminder, in a few words."""
        if self.reminder is not None:
            return "moved by you" if self.moved else "reminded"
        if self.queued is not None:
            return "queued"
        if self.snoozed is not None:
            return "snoozed"
        return "next pass" if self.released else "behind its thread"


def rows(state: State, *, today: date) -> list[Row]:
    """Every open follow-up, the next reminder first, then the queued ones by day, then the rest."""
    open_ones = [r.followup for r in state.followups(status="open")]
    records = state.reminders()
    known = userdata.people(state, {c for f in open_ones for c in f.contacts})
    plan = userdata.queue(state, [f.key for f in open_ones])
    snoozes = userdata.preferences(state).snoozes
    out = []
    for f in open_ones:
        rec = records.get(f.key)
        day = plan.get(f.key)
        queued = day if rec is None and day is not None and day > today else None
        released = rec is None and day is not None and day <= today
        out.append(Row(f, known, rec.start if rec else None, bool(rec and rec.user_owned), queued,
                       snoozes.get(f.key), released))  # fmt: skip
    far = datetime.max.replace(tzinfo=None)
    return sorted(
        out,
        key=lambda r: (
            r.reminder is None,
            (r.reminder.replace(tzinfo=None) if r.reminder else far),
            r.queued or date.max,
            r.followup.due,
            r.followup.key,
        ),
    )


def _fields(f: FollowUp, *, known: dict[str, Person], tz: ZoneInfo, **where: Any) -> dict[str, Any]:
    """One row of ``list --format json``: the follow-up's own fields around ``where`` (reminder, state...)."""
    return {
        "id": short_id(f.key),
        "key": f.key,
        "kind": f.kind,
        "contacts": [clean(c) for c in f.contacts],
        "contact_names": [clean(people.label(c, known)) for c in f.contacts],
        "due": f.due.astimezone(tz).isoformat(timespec="seconds"),
        **where,
        "evidence": clean(f.evidence),
        "thread_subject": clean(f.thread_subject),
        "link": clean(f.link) if f.link else None,
    }


def to_json(row: Row, *, tz: ZoneInfo) -> dict[str, Any]:
    return _fields(
        row.followup,
        known=row.people,
        tz=tz,
        reminder=row.reminder.astimezone(tz).isoformat(timespec="seconds") if row.reminder else None,
        state=row.where,
        queued_until=row.queued.isoformat() if row.queued else None,
        snoozed_until=row.snoozed.astimezone(tz).isoformat(timespec="seconds") if row.snoozed else None,
    )


def pending(state: State) -> tuple[list[PendingPromise], dict[str, Person]]:
    """The rep's conditional promises waiting on the contact's yes, oldest mail first, and what is known of
    their contacts."""
    waiting = sorted(state.pending_promises(), key=lambda p: (p.followup.created_at, p.followup.key))
    return waiting, userdata.people(state, {c for p in waiting for c in p.followup.contacts})


def pending_json(p: PendingPromise, *, known: dict[str, Person], tz: ZoneInfo) -> dict[str, Any]:
    """A waiting promise in ``list --format json``: the fields of an open one, ``state`` "waiting on contact"."""
    return _fields(
        p.followup,
        known=known,
        tz=tz,
        due_text=clean(p.due_text),
        reminder=None,
        state="waiting on contact",
        queued_until=None,
        snoozed_until=None,
    )


def pending_table(waiting: list[PendingPromise], *, known: dict[str, Person], width: int | None = None) -> str:
    """The waiting promises under the open follow-ups: who, the time stated (counted from their yes), what."""
    width = width or max(120, shutil.get_terminal_size((140, 20)).columns)
    lines = [
        "Waiting on the contact's yes (your conditional promises: no reminder until their reply accepts):",
        f"{'ID':<7} {'CONTACT':<28} {'DUE FROM THEIR YES':<20} EVIDENCE",
        "-" * width,
    ]
    for p in waiting:
        f = p.followup
        who = _clip(", ".join(people.label(c, known) for c in f.contacts) or "-", 28)
        evidence = _clip(f.evidence, max(30, width - 60))
        lines.append(f"{short_id(f.key):<7} {who:<28} {_clip(p.due_text or '-', 20):<20} {evidence}")
    return "\n".join(lines)


def table(found: list[Row], *, tz: ZoneInfo, width: int | None = None) -> str:
    width = width or max(120, shutil.get_terminal_size((140, 20)).columns)
    if not found:
        return "No open follow-ups."
    lines = [f"{'ID':<7} {'KIND':<18} {'CONTACT':<28} {'DUE':<15} {'REMINDER':<17} EVIDENCE", "-" * width]
    for r in found:
        f = r.followup
        who = _clip(", ".join(people.label(c, r.people) for c in f.contacts) or "-", 28)
        due = f"{f.due.astimezone(tz):%a %m-%d}" + (f" {f.due.astimezone(tz):%H:%M}" if f.due_has_time else "")
        if r.reminder is not None:
            when = f"{r.reminder.astimezone(tz):%a %m-%d %H:%M}" + ("*" if r.moved else "")
        elif r.queued is not None:
            when = f"queued to {r.queued:%a %m-%d}"
        elif r.snoozed is not None:
            when = f"snoozed {r.snoozed.astimezone(tz):%m-%d %H:%M}"
        else:
            when = "next pass" if r.released else "after its thread"
        evidence = _clip(f.evidence, max(30, width - 90))
        lines.append(f"{short_id(f.key):<7} {f.kind:<18} {who:<28} {due:<15} {when:<17} {evidence}")
    queued = sum(1 for r in found if r.queued)
    lines.append("")
    lines.append(
        f"{len(found)} open, {queued} queued (at most [reminders] max_new_per_day new reminders a day)"
        + ("; * = moved by you" if any(r.moved for r in found) else "")
    )
    if any(r.where == "behind its thread" for r in found):
        lines.append("after its thread: one thread shows one reminder; this one comes when the other is done")
    lines.append(
        "Answer with `followup-sync done|dismiss|snooze ID`, or walk through them: `followup-sync review`."
    )
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
