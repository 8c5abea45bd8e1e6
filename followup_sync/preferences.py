"""What the rep told followup-sync, as plain data a pass applies: mutes, learnt sentence shapes, snoozes, and
the answers the rep gives in the calendar. Pure; the state loads it (``userdata.preferences``), the command line
and the review write it (``followup_sync.control``), and the pass never learns anything itself.

A follow-up is *muted* (closed as dismissed, with the rule in its reason) when every one of its contacts is
muted, by address or by domain, or every contact's domain is muted for its kind (the rule the learning makes
after two dismissals in a row), or when it is a promise whose sentence has a shape the rep said is not a promise
(``text.shapes``). A follow-up with one contact muted and another not is still owed to the other.

A *snooze* holds a follow-up's reminder until a moment: the follow-up is reminded no earlier (its
``not_before``), and its reminder moves there.

*Calendar answers* (:func:`calendar_answer`): the rep marks one of our reminders with a category, or starts its
subject with the word (any case, followed by ":", "-", or a space):

================================  =================================================================
category / subject prefix         what happens to the follow-up
================================  =================================================================
Done, ✓, ✔                        closed as done
Not a follow-up, Not a followup   dismissed; counts as a dismissal for the learning
Not a promise                     dismissed; on a promise, that sentence's shape stops promises
Snooze                            reminded again the next working morning (the reminder moves there)
================================  =================================================================

Deleting a reminder still dismisses its follow-up (``plan``), but teaches nothing: a rep deletes a reminder
after acting on it as often as to say it was wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from followup_sync.model import FollowUp, RemoteItem

AnswerKind = Literal["done", "dismiss", "not_a_followup", "not_a_promise", "snooze"]
#: An answer's effect on the follow-up: (status, reason).
CLOSING: dict[str, tuple[Literal["closed", "dismissed"], str]] = {
    "done": ("closed", "done"),
    "dismiss": ("dismissed", "dismissed"),
    "not_a_followup": ("dismissed", "not a follow-up"),
    "not_a_promise": ("dismissed", "not a promise"),
}
_WORDS: dict[str, AnswerKind] = {
    "done": "done",
    "✓": "done",
    "✔": "done",
    "not a follow-up": "not_a_followup",
    "not a followup": "not_a_followup",
    "not a follow up": "not_a_followup",
    "not a promise": "not_a_promise",
    "snooze": "snooze",
    "snoozed": "snooze",
}


@dataclass(frozen=True)
class Mute:
    """One rule: ``what`` is contact (an address), domain, kind (``value`` a domain, or an address at a public
    mail service, for follow-ups of ``kind``) or shape (``value`` a sentence shape, promises only)."""

    what: Literal["contact", "domain", "kind", "shape"]
    value: str
    kind: str = ""
    id: int = 0

    def describe(self) -> str:
        if self.what == "contact":
            return f"contact {self.value}"
        if self.what == "domain":
            return f"domain {self.value}"
        if self.what == "kind":
            return f"{self.kind} from {self.value}"
        return f"sentences shaped “{self.value}”"


@dataclass(frozen=True)
class Preferences:
    """Everything the pass applies, loaded once per pass."""

    mutes: tuple[Mute, ...] = ()
    snoozes: Mapping[str, datetime] = field(default_factory=dict, hash=False)

    def muted_by(self, f: FollowUp) -> Mute | None:
        """The rule that mutes ``f``, or None (see the module docstring)."""
        if not f.contacts:
            return None
        for mute in self.mutes:
            if mute.what == "shape":
                # the text package is loaded by a pass that has a shape rule to check (cold start, issue 11)
                from followup_sync.text.shapes import shape

                if f.kind == "promise" and shape(f.evidence) == mute.value:
                    return mute
            elif mute.what == "kind" and mute.kind != f.kind:
                continue
            elif all(_matches(mute, c) for c in f.contacts):
                return mute
        return None


def _matches(mute: Mute, address: str) -> bool:
    domain = address.rpartition("@")[2]
    if mute.what == "contact":
        return address == mute.value
    return mute.value in (address, domain) or domain.endswith("." + mute.value)


@dataclass(frozen=True)
class Answer:
    """One answer of the rep's about one follow-up (from the command line, the review or the calendar)."""

    key: str
    answer: AnswerKind
    kind: str
    contacts: tuple[str, ...]
    via: Literal["cli", "review", "calendar"]
    at: datetime
    until: datetime | None = None


def apply(followups: Iterable[FollowUp], prefs: Preferences) -> tuple[list[FollowUp], dict[str, str]]:
    """(the follow-ups to remind about, snoozed ones held to their snooze; {muted key: reason})."""
    kept: list[FollowUp] = []
    muted: dict[str, str] = {}
    for f in followups:
        rule = prefs.muted_by(f)
        if rule is not None:
            muted[f.key] = f"muted: {rule.describe()}"
            continue
        until = prefs.snoozes.get(f.key)
        if until is not None and (f.not_before is None or f.not_before < until):
            f = replace(f, not_before=until)
        kept.append(f)
    return kept, muted


def calendar_answer(item: RemoteItem) -> AnswerKind | None:
    """The rep's answer on a listed reminder of ours: a category, else a subject prefix (see the table)."""
    for category in item.categories or ():
        found = _WORDS.get(" ".join(category.lower().split()))
        if found is not None:
            return found
    subject = " ".join((item.subject or "").split()).lower()
    subject = subject.removeprefix("overdue:").strip()
    for word, found in sorted(_WORDS.items(), key=lambda w: -len(w[0])):
        if subject.startswith(word):
            rest = subject[len(word) :]
            if not rest or rest[0] in ":- –—" or word in ("✓", "✔"):
                return found
    return None
