"""What followup-sync learns from the rep's answers: explainable (each rule says where it came from) and
reversible (``unmute`` removes it, and the follow-ups it silenced come back). Nothing leaves the machine.

Two rules, both from explicit answers only (``dismiss``, "Not a follow-up", "Not a promise", on the command
line, in the review or in the calendar; a deleted reminder teaches nothing, a rep deletes one after acting on it
as often as to say it was wrong):

- **not a promise**: the rep says a promise's sentence is not one. Its *shape* (``text.shapes``: names, numbers,
  dates and addresses abstracted) stops creating promises for this rep: "I'll send Priya the pricing by Monday"
  also stops "I will send Tom the pricing by Friday", and nothing else.
- **two in a row**: two dismissals in a row of follow-ups of one kind from one domain (no "done" of that kind
  and domain between them) stop that kind for that domain. A public mail service's domain (gmail.com ...) names
  no company, so there the rule is for the address. A "done" breaks the streak; a snooze does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from followup_sync import people, userdata
from followup_sync.preferences import Answer, Mute
from followup_sync.state import State
from followup_sync.text.shapes import shape

DISMISSALS = frozenset({"dismiss", "not_a_followup", "not_a_promise"})
STREAK = 2


def where(address: str) -> str:
    """What a kind is muted for: the contact's domain, or the address at a public mail service."""
    domain = people.domain_of(address)
    return address if people.is_public_mail(domain) else domain


def streaks(history: Sequence[Answer], new: Answer) -> list[tuple[str, list[Answer]]]:
    """The places (domains, or addresses) of ``new``'s contacts where ``new`` makes :data:`STREAK` dismissals in
    a row of its kind; ``history`` is every earlier answer, oldest first. With the answers of each streak."""
    if new.answer not in DISMISSALS:
        return []
    found = []
    for place in sorted({where(c) for c in new.contacts}):
        run = [new]
        for old in reversed(history):
            if old.kind != new.kind or place not in {where(c) for c in old.contacts} or old.key == new.key:
                continue
            if old.answer == "done":
                break
            if old.answer in DISMISSALS:
                run.append(old)
                if len(run) >= STREAK:
                    break
        if len(run) >= STREAK:
            found.append((place, list(reversed(run))))
    return found


def _when(a: Answer) -> str:
    return f"{a.at:%Y-%m-%d} ({a.via})"


def learn(state: State, *, now: datetime) -> list[str]:
    """Read the answers not learnt from yet, add the rules they make; what was learnt, in words."""
    fresh = userdata.answers(state, unlearnt=True)
    if not fresh:
        return []
    history = [r.answer for r in userdata.answers(state) if r.learnt]
    learnt: list[str] = []
    with state.transaction():
        for rec in fresh:
            a = rec.answer
            learnt += _shape_rule(state, a, now=now)
            for place, run in streaks(history, a):
                mute = Mute("kind", place, kind=a.kind)
                origin = f"learnt from {len(run)} dismissals in a row of {a.kind} from {place}: " + ", ".join(
                    f"{x.key[:6]} on {_when(x)}" for x in run
                )
                if userdata.add_mute(state, mute, origin=origin, origin_key=a.key, now=now):
                    learnt.append(f"no more {a.kind} follow-ups from {place} ({origin})")
            history.append(a)
        userdata.mark_learnt(state, [r.id for r in fresh])
    return learnt


def _shape_rule(state: State, a: Answer, *, now: datetime) -> list[str]:
    if a.answer != "not_a_promise" or a.kind != "promise":
        return []
    records = state.followups(keys=[a.key])
    if not records:
        return []
    sentence = records[0].followup.evidence
    mute = Mute("shape", shape(sentence))
    origin = f"“{sentence}” marked not a promise on {_when(a)}, follow-up {a.key[:6]}"
    if userdata.add_mute(state, mute, origin=origin, origin_key=a.key, now=now):
        return [f"sentences like “{sentence}” are not promises ({mute.value})"]
    return []


def describe(records: Iterable[userdata.MuteRecord]) -> list[str]:
    """One line per rule for ``mute --list`` and ``status``: its id, what it stops, and where it came from."""
    return [f"#{r.mute.id}  {r.mute.describe()}  ({r.origin})" for r in records]


def learn_after_pass(state_path: Path, *, now: datetime) -> list[str]:
    """After a real pass (CLI ``sync``, the daemon): learn from the answers the pass read in the calendar."""
    if not state_path.exists():
        return []
    with State.open(state_path) as state:
        return learn(state, now=now)
