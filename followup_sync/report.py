"""Turning a pass's plan into what a person reviews: the table and the JSON document of ``sync``.

Only here do datetimes become local: the rep reads their own time zone, with the offset spelled out in JSON.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from followup_sync import people
from followup_sync.model import FollowUp, Reminder
from followup_sync.plan import Action
from followup_sync.sanitise import clean
from followup_sync.schedule import reminder_for
from followup_sync.sync import PassResult

#: Planner operations shown to users, and the word each is shown as. ``adopt`` finds a reminder we wrote but
#: had not recorded (a crash, a lost state file); to the user it is simply one that stays.
SHOWN_OPS = {"create": "create", "update": "update", "delete": "delete", "keep": "keep", "adopt": "keep"}


def shown(result: PassResult) -> list[tuple[str, Action, FollowUp, Reminder]]:
    """The actions that concern a reminder that exists after the pass (or is deleted by it), in due order."""
    rows = []
    for action in result.actions:
        op = SHOWN_OPS.get(action.op)
        followup = result.followups.get(action.key)
        if op is None or followup is None:
            continue
        rows.append((op, action, followup, _reminder(action, followup, result)))
    rows.sort(key=lambda r: (r[3].start, r[2].key))
    return rows


def _reminder(action: Action, followup: FollowUp, result: PassResult) -> Reminder:
    if action.reminder is not None:
        if action.user_owned and action.start is not None and action.start != action.reminder.start:
            # the rep moved it: it stays at their time, which is what the plan must show
            rem = action.reminder
            moved = replace(rem, start=action.start, end=action.start + (rem.end - rem.start))
            return replace(moved, overdue=action.start < result.now)
        return action.reminder
    remote = result.remote.get(action.key)
    if str(followup.kind) == "digest":  # a day's digest (``[reminders] digest``) being kept or removed
        start = remote.start if remote is not None and remote.start is not None else followup.due
        return Reminder(action.key, start, start, result.timezone, followup.thread_subject, "")
    # keep/delete carry no new reminder: show the one that exists, at the time the user left it
    rendered = reminder_for(
        followup, schedule=result.schedule, tz=ZoneInfo(result.timezone), now=result.now, people=result.people
    )
    if remote is not None and remote.start is not None and remote.start != rendered.start:
        return replace(rendered, start=remote.start, end=remote.start + (rendered.end - rendered.start))
    return rendered


def to_json(result: PassResult) -> dict[str, Any]:
    """The plan as JSON. The contract: fields may be added, never removed or renamed (tests/test_cli.py pins
    them). ``queued`` (added with ``[reminders] max_new_per_day``) lists the follow-ups held back by the daily
    cap, each with the day it will be reminded from. ``pending`` (added with issue 8's conditional promises)
    lists the rep's promises that wait on the contact's yes: no reminder until a reply of theirs accepts;
    ``due_text`` is the stated time, counted from that reply ("" for none)."""
    tz = ZoneInfo(result.timezone)
    actions = []
    for op, _action, f, rem in shown(result):
        actions.append(
            {
                "op": op,
                "followup": _followup_json(f, result, tz),
                "reminder": {
                    "start": _iso(rem.start, tz),
                    "end": _iso(rem.end, tz),
                    "subject": clean(rem.subject),
                },
            }
        )
    queued = [
        {"followup": _followup_json(result.followups[k], result, tz), "queued_until": day.isoformat()}
        for k, day in sorted(result.queued.items(), key=lambda kv: (kv[1], kv[0]))
        if k in result.followups
    ]
    # Conditional promises waiting on the contact's yes (issue 8): no reminder until a reply accepts.
    pending = [
        {"followup": _followup_json(p.followup, result, tz), "due_text": clean(p.due_text), "waits_on": "contact"}
        for p in result.pending
    ]
    return {"now": _iso(result.now, tz), "actions": actions, "queued": queued, "pending": pending}


def _followup_json(f: FollowUp, result: PassResult, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": f.key,
        "kind": f.kind,
        "contacts": [clean(c) for c in f.contacts],
        "contact_names": [clean(people.label(c, result.people)) for c in f.contacts],
        "due": _iso(f.due, tz),
        "channel": f.channel,
        "evidence": clean(f.evidence),
        "thread_subject": clean(f.thread_subject),
        "source_message_id": clean(f.origin_id),
    }


def _iso(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).isoformat(timespec="seconds")


def table(result: PassResult, *, width: int | None = None) -> str:
    """The human review: one row per reminder with what, who, when it is due, when we remind, and why."""
    tz = ZoneInfo(result.timezone)
    width = width or max(140, shutil.get_terminal_size((160, 20)).columns)
    rows = shown(result)
    head = f"followup-sync {'plan (dry run, nothing written)' if result.dry_run else 'pass'} at "
    head += f"{result.now.astimezone(tz):%a %Y-%m-%d %H:%M} {tz.key}"
    lines = [head, ""]
    if not rows:
        lines.append("No reminders: nothing is owed right now.")
    else:
        lines.append(f"{'OP':<6} {'KIND':<18} {'CONTACT':<30} {'DUE':<15} {'REMINDER':<16} EVIDENCE")
        lines.append("-" * width)
        for op, _action, f, rem in rows:
            contact = _clip(", ".join(people.label(c, result.people) for c in f.contacts) or "-", 30)
            due = f"{f.due.astimezone(tz):%a %m-%d}" + (f" {f.due.astimezone(tz):%H:%M}" if f.due_has_time else "")
            when = f"{rem.start.astimezone(tz):%a %m-%d %H:%M}" + ("!" if rem.overdue else " ")
            evidence = _clip(f.evidence, max(30, width - 90))
            lines.append(f"{op:<6} {f.kind:<18} {contact:<30} {due:<15} {when:<16} {evidence}")
    counts = {op: sum(1 for r in rows if r[0] == op) for op in ("create", "update", "delete", "keep")}
    lines.append("")
    lines.append(
        f"{counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete, "
        f"{counts['keep']} unchanged" + ("  (! = overdue: reminded at the next working slot)" if any(
            r[3].overdue for r in rows) else "")
    )  # fmt: skip
    if result.queued:
        first = min(result.queued.values())
        lines.append(
            f"{len(result.queued)} more held back by [reminders] max_new_per_day, reminded from "
            f"{first:%a %m-%d} on (`followup-sync list` shows them)"
        )
    if result.pending:
        lines.append(
            f"{len(result.pending)} conditional promise{'s' if len(result.pending) > 1 else ''} waiting on the "
            "contact's yes, no reminder until they accept (`followup-sync list` shows them)"
        )
    for problem in result.problems:
        lines.append(f"problem: {clean(problem)}")
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"
