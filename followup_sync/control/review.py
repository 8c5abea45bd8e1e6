"""``followup-sync review``: a walk through the open follow-ups in the terminal, one key per answer.

Keyboard only, plain text (click's ``getchar`` and a cleared screen: no curses, no full-screen library), so it
works in any terminal, over SSH and in tmux. The walk itself (:class:`Walk`) is pure: a key in, a screen out;
:func:`run` feeds it keys and shows its screens. Every answer goes through ``answers.answer`` exactly as the
command line's, recorded and learnt from at once.

Keys: d done, x dismiss, p not a promise, c dismiss and mute the contact, m dismiss and mute the domain,
s snooze (then 1 tomorrow morning, 2 in two working days, 3 next week), n / space / → next, b / ← back,
q / Esc quit, ? help.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click

from followup_sync import people, schedule
from followup_sync.config import Config
from followup_sync.control import answers, listing
from followup_sync.errors import UserError
from followup_sync.preferences import AnswerKind
from followup_sync.sanitise import clean
from followup_sync.state import State

HELP = (
    "[d] done  [x] dismiss  [p] not a promise  [c] mute contact  [m] mute domain  [s] snooze\n"
    "[n]/[space] next  [b] back  [q] quit  [?] help"
)
SNOOZE_HELP = "Snooze until: [1] tomorrow morning  [2] in two working days  [3] next week  (any other key: cancel)"
_NEXT = {"n", " ", "j", "\r", "\n", "\x1b[C", "\x1b[B"}
_BACK = {"b", "k", "\x1b[D", "\x1b[A"}
_QUIT = {"q", "\x1b", "\x03", "\x04"}
_ANSWERS: dict[str, tuple[AnswerKind, dict[str, bool]]] = {
    "d": ("done", {}),
    "x": ("dismiss", {}),
    "p": ("not_a_promise", {}),
    "c": ("dismiss", {"mute_contact": True}),
    "m": ("dismiss", {"mute_domain": True}),
}


@dataclass
class Walk:
    """Where the walk is: the rows, the current one, what was answered, and the line to show under the card."""

    state: State
    config: Config
    now: datetime
    rows: list[listing.Row]
    index: int = 0
    snoozing: bool = False
    message: str = ""
    done: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    learnt: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def key(self, key: str) -> None:
        """One key pressed."""
        self.message = ""
        if self.snoozing:
            self.snoozing = False
            until = self._snooze_time(key)
            if until is None:
                self.message = "Snooze cancelled."
            else:
                self._answer("snooze", until=until)
            return
        if key in _QUIT:
            self.done = True
        elif key in _NEXT:
            self._move(1)
        elif key in _BACK:
            self._move(-1)
        elif key == "?":
            self.message = HELP
        elif key == "s":
            self.snoozing = True
            self.message = SNOOZE_HELP
        elif key in _ANSWERS:
            what, kw = _ANSWERS[key]
            self._answer(what, **kw)
        else:
            self.message = f"Unknown key {key!r}. " + HELP

    def _move(self, step: int) -> None:
        self.index = max(0, self.index + step)
        if self.index >= len(self.rows):
            self.done = True

    def _answer(self, what: AnswerKind, **kw: Any) -> None:
        row = self.rows[self.index]
        rec = next(r for r in self.state.followups(keys=[row.followup.key]))
        try:
            outcome = answers.answer(
                self.state,
                rec,
                what,
                via="review",
                now=self.now,
                tz=self.config.identity.zone,
                **kw,
            )
        except UserError as exc:
            self.message = f"Not done: {exc}"
            return
        self.counts[outcome.said.split(" (")[0].split(" until")[0]] += 1
        self.learnt += outcome.learnt
        self.answered.add(row.followup.key)
        self.message = f"{answers.short_id(row.followup.key)}: {outcome.said}." + "".join(
            f"\nLearnt: {line}" for line in outcome.learnt
        )
        self._move(1)

    def _snooze_time(self, key: str) -> datetime | None:
        s, tz = self.config.schedule, self.config.identity.zone
        today = self.now.astimezone(tz).date()
        days = {"1": 1, "2": 2, "3": 5}.get(key)
        if days is None:
            return None
        day = schedule.add_business_days(today, days, s)
        return schedule.next_slot(schedule.local_at(day, s.day_start, tz), schedule=s, tz=tz)

    def screen(self) -> str:
        """The card of the current follow-up, the keys, and the last message."""
        if self.done or not self.rows:
            return self.summary()
        row = self.rows[min(self.index, len(self.rows) - 1)]
        return "\n".join([*card(row, self.config, position=(self.index + 1, len(self.rows))), "", HELP, "",
                          self.message])  # fmt: skip

    def summary(self) -> str:
        if not self.rows:
            return "No open follow-ups: nothing to review."
        said = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) or "nothing answered"
        lines = [f"Reviewed {min(self.index, len(self.rows))} of {len(self.rows)} open follow-ups: {said}."]
        lines += [
            f"Learnt: {line} (`followup-sync mute --list` shows it, `unmute` undoes it)" for line in self.learnt
        ]
        if self.answered:
            lines.append("The calendar follows at the next pass.")
        return "\n".join(lines)


def card(row: listing.Row, config: Config, *, position: tuple[int, int]) -> list[str]:
    """What the rep needs to answer: who, what, when, the evidence, the number to call and the link."""
    tz = config.identity.zone
    f = row.followup
    due = schedule.format_local(f.due, tz=tz, with_time=f.due_has_time)
    if row.reminder is not None:
        when = schedule.format_local(row.reminder, tz=tz) + (" (moved by you)" if row.moved else "")
    elif row.queued is not None:
        when = f"queued: reminded from {row.queued:%a %d %b} ([reminders] max_new_per_day)"
    elif row.released:
        when = "at the next pass"
    else:
        when = "none yet: another follow-up of this thread comes first"
    lines = [
        f"Follow-up {position[0]} of {position[1]}   id {answers.short_id(f.key)}   {f.kind.replace('_', ' ')}",
        "",
        f"  {schedule.reminder_subject(f, people=row.people)}",
        "",
        f"  Who:      {', '.join(people.full(c, row.people) for c in f.contacts)}",
        f"  Due:      {due}",
        f"  Reminder: {when}",
        f"  Thread:   {f.thread_subject}",
        f"  Evidence: “{f.evidence}”",
    ]
    phones = [people.known(c, row.people).phone for c in f.contacts]
    lines += [f"  Phone:    {people.phone_line(p)}" for p in phones if p]
    if f.link:
        lines.append(f"  Mail:     {f.link}")
    return [clean(line) for line in lines]


def terminal_show(text: str) -> None:
    click.clear()
    click.echo(clean(text, multiline=True))


def run(
    state: State, *, config: Config, now: datetime, read_key: Callable[[], str], show: Callable[[str], None]
) -> str:
    """Walk through the open follow-ups until the last one or a quit; the summary to print after."""
    rows = listing.rows(state, today=now.astimezone(config.identity.zone).date())
    walk = Walk(state, config, now, rows)
    while not walk.done and walk.rows:
        show(walk.screen())
        try:
            walk.key(read_key())
        except (KeyboardInterrupt, EOFError):
            walk.done = True
    return walk.summary()
