"""``followup-sync status``: :func:`status_report` tells how the daemon is doing and what needs the user.

It reads, never writes: the daemon's status file (``<state>.daemon.json``), whether the daemon's lock is held
(asking the OS, so a killed daemon never shows as running), and a read-only snapshot of the state database.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from followup_sync.config import Config
from followup_sync.daemon import STOPPED, is_running, read_status
from followup_sync.errors import Error


def status_report(config: Config, *, now: datetime | None = None) -> str:
    """A few lines for a person: daemon, last pass, next pass, open follow-ups by kind, problems with fixes."""
    now = now or datetime.now(UTC)
    tz = config.identity.zone
    info = read_status(config.state_path) or {}
    running = is_running(config.state_path)
    lines = [f"Config: {config.path or '(built in)'}", _daemon_line(info, running=running, tz=tz)]
    lines += _state_lines(config, tz=tz)
    if info.get("dry_run") and isinstance(info.get("plan"), dict):
        lines += _plan_lines(info["plan"], tz=tz)
    if running and info.get("next_run"):
        when = _parse(info["next_run"])
        lines.append(f"Next pass: {_local(when, tz)} ({_relative(when, now)})")
    problems = info.get("problems") or []
    needs = [p for p in problems if p.get("needs_user")]
    other = [p for p in problems if not p.get("needs_user")]
    if needs:
        lines.append("Needs your attention:")
        lines += [_problem_line(p, tz) for p in needs]
    if other:
        lines.append("Problems followup-sync is retrying by itself:")
        lines += [_problem_line(p, tz) for p in other]
    if not problems:
        lines.append("Problems: none")
    return "\n".join(lines)


def _daemon_line(info: dict[str, Any], *, running: bool, tz: ZoneInfo) -> str:
    if running:
        started = _parse(info["started"]) if info.get("started") else None
        since = f", since {_local(started, tz)}" if started else ""
        mode = " in dry-run mode (writes nothing)" if info.get("dry_run") else ""
        return f"Daemon: running{mode} (pid {info.get('pid', '?')}{since})"
    return "Daemon: not running; start it with `followup-sync service install` (or `followup-sync run`)"


def _state_lines(config: Config, *, tz: ZoneInfo) -> list[str]:
    from followup_sync import userdata
    from followup_sync.state import State

    if not config.state_path.exists():
        return ["Last pass: never (no state database yet)"]
    try:
        state = State.snapshot(config.state_path)
    except Error as exc:
        return [f"State: cannot read {config.state_path}: {exc}"]
    try:
        last = state.last_run()
        last_ok = state.last_run(ok_only=True)
        open_records = state.followups(status="open")
        rules = userdata.mutes(state)
        queued = userdata.queue(state, [r.followup.key for r in open_records])
    finally:
        state.close()
    lines = []
    if last is not None and last.finished is None:
        # begin_run() writes the row before the pass and finish_run() completes it: in progress, or cut off.
        lines.append(f"Pass started {_local(last.started, tz)}, not finished (running now, or interrupted)")
        last = last_ok
        if last is not None:
            lines[-1] += "; the last good one:"
    if last is None:
        lines.append("Last pass: never")
    else:
        when = _local(last.finished or last.started, tz)
        dry = " (dry run)" if last.dry_run else ""
        if last.ok:
            s = last.stats
            counts = ", ".join(f"{s.get(k, 0)} {k}" for k in ("created", "updated", "deleted"))
            lines.append(f"Last pass: {when}{dry}, ok: {s.get('messages_read', 0)} messages read, {counts}")
        elif last.problems and all(p.startswith(STOPPED) for p in last.problems):
            # a shutdown between writes: the next pass does the rest, nothing failed
            left = "; ".join(p.removeprefix(f"{STOPPED}: ") for p in last.problems)
            lines.append(f"Last pass: {when}{dry}, ended early by a shutdown: {left}")
        else:
            why = "; ".join(last.problems[:3]) or "see the log"
            lines.append(f"Last pass: {when}{dry}, FAILED: {why}")
            if last_ok is not None and last_ok is not last:
                lines.append(f"Last good pass: {_local(last_ok.finished or last_ok.started, tz)}")
    kinds = Counter(rec.followup.kind for rec in open_records)
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    lines.append(f"Open follow-ups: {len(open_records)}" + (f" ({detail})" if detail else ""))
    today = datetime.now(UTC).astimezone(tz).date()
    waiting = sum(1 for day in queued.values() if day > today)
    if waiting:
        lines.append(f"Queued by [reminders] max_new_per_day: {waiting} (`followup-sync list` shows them)")
    if rules:
        lines.append(f"Muted and learnt ({len(rules)}; `followup-sync unmute ADDRESS|DOMAIN|#ID` undoes one):")
        lines += [f"  #{r.mute.id}  {r.mute.describe()}  ({r.origin})" for r in rules[:RULES_SHOWN]]
        if len(rules) > RULES_SHOWN:
            lines.append(f"  ... and {len(rules) - RULES_SHOWN} more: `followup-sync mute --list`")
    return lines


#: Mute and learnt rules ``status`` lists; ``mute --list`` shows them all.
RULES_SHOWN = 10


#: Rows of the dry-run plan ``status`` shows; the status file keeps more, ``sync --dry-run`` shows all.
PLAN_SHOWN = 20


def _plan_lines(plan: dict[str, Any], *, tz: ZoneInfo) -> list[str]:
    """What the dry-run daemon's last pass would have written, for the rep to review before letting it write."""
    counts = plan.get("counts") or {}
    at = f" at {_local(_parse(plan['at']), tz)}" if plan.get("at") else ""
    lines = [
        f"Plan of the last dry-run pass{at} (nothing written): {counts.get('create', 0)} to create, "
        f"{counts.get('update', 0)} to update, {counts.get('delete', 0)} to delete, "
        f"{counts.get('keep', 0)} unchanged"
    ]
    rows = plan.get("rows") or []
    for row in rows[:PLAN_SHOWN]:
        when = _local(_parse(row["reminder_start"]), tz) if row.get("reminder_start") else "?"
        who = ", ".join(row.get("contacts") or []) or "-"
        lines.append(f"  {row.get('op', '?'):<6} {when}  {row.get('kind', '?')}: {who} - {row.get('subject', '')}")
    more = len(rows) - PLAN_SHOWN + int(plan.get("more") or 0)
    if more > 0:
        lines.append(f"  ... and {more} more; `followup-sync sync --dry-run` shows the whole plan")
    return lines


def _problem_line(p: dict[str, Any], tz: ZoneInfo) -> str:
    since = f" (since {_local(_parse(p['since']), tz)})" if p.get("since") else ""
    fix = f"\n    fix: {p['fix']}" if p.get("fix") else ""
    return f"  - {p.get('message', '?')}{since}{fix}"


def _parse(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _local(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _relative(when: datetime, now: datetime) -> str:
    seconds = (when - now).total_seconds()
    if seconds <= 0:
        return "due now"
    if seconds < 90:
        return f"in {seconds:.0f}s"
    return f"in {seconds / 60:.0f} min"
