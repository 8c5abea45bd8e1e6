"""The rep's answers about one follow-up, from the command line or the review: done, dismiss (with what to
learn or mute), snooze; and mute / unmute by address or domain. Each answer is recorded (``userdata``), its
follow-up closed or snoozed in the state, and learnt from (``learning.learn``); the calendar follows at the
next pass (the reminder of a closed follow-up goes, a snoozed one moves), as for every change.

Follow-ups are named by a *short id*: the first characters of their key, as ``list`` and the review show them
(any unambiguous prefix of four or more characters works, like a git commit id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from followup_sync import people, userdata
from followup_sync.config import Config
from followup_sync.control import learning
from followup_sync.errors import UserError
from followup_sync.model import FollowUp
from followup_sync.preferences import CLOSING, Answer, AnswerKind, Mute, Preferences
from followup_sync.state import FollowUpRecord, State

SHORT = 6
Via = str


def short_id(key: str) -> str:
    return key[:SHORT]


def find(state: State, ident: str) -> FollowUpRecord:
    """The follow-up an id names: its key or a prefix of it (four characters at least), open ones first."""
    ident = ident.strip().lower()
    if len(ident) < 4 or not all(c in "0123456789abcdef" for c in ident):
        raise UserError(f"{ident!r} is not a follow-up id; `followup-sync list` shows them (e.g. 3a4f2c)")
    rows = state._rows("SELECT key FROM followups WHERE key >= ? AND key < ? ORDER BY key", (ident, ident + "g"))
    keys = [str(r["key"]) for r in rows]
    if not keys:
        raise UserError(f"no follow-up with id {ident}; `followup-sync list` shows the open ones")
    records = state.followups(keys=keys)
    open_ones = [r for r in records if r.status == "open"]
    chosen = open_ones or records
    if len(chosen) > 1:
        ids = ", ".join(r.followup.key[: len(ident) + 2] for r in chosen[:5])
        raise UserError(f"id {ident} names {len(chosen)} follow-ups ({ids}); give more characters")
    return chosen[0]


@dataclass(frozen=True)
class Outcome:
    """What an answer did, in words for the rep."""

    followup: FollowUp
    said: str
    learnt: tuple[str, ...] = ()


def answer(
    state: State,
    rec: FollowUpRecord,
    what: AnswerKind,
    *,
    via: str,
    now: datetime,
    until: datetime | None = None,
    mute_contact: bool = False,
    mute_domain: bool = False,
    tz: ZoneInfo | None = None,
) -> Outcome:
    """Record one answer and carry it out (see the module docstring); ``tz`` is the rep's, for the words."""
    f = rec.followup
    if what == "not_a_promise" and f.kind != "promise":
        raise UserError(
            f"{short_id(f.key)} is a {f.kind} follow-up, not a promise; use `dismiss` without --not-a-promise"
        )
    if mute_domain:
        public = [c for c in f.contacts if people.is_public_mail(people.domain_of(c))]
        if public:
            raise UserError(
                f"{people.domain_of(public[0])} is a public mail service, not a company: muting it would mute "
                "everybody who uses it; use --mute-contact"
            )
    if what == "snooze" and (until is None or until <= now):
        raise UserError("snooze needs a time in the future (--until)")
    if what != "snooze" and rec.status != "open":
        raise UserError(f"{short_id(f.key)} is already {rec.status} ({rec.closed_reason or 'no reason'})")
    with state.transaction():
        userdata.record_answer(state, Answer(f.key, what, f.kind, f.contacts, via, now, until))  # type: ignore[arg-type]
        if what == "snooze":
            assert until is not None
            userdata.snooze(state, f.key, until, now=now)
            if rec.status != "open":
                state.set_status(f.key, "open", now=now)
        else:
            status, reason = CLOSING[what]
            state.set_status(f.key, status, reason, now=now)
        learnt = learning.learn(state, now=now)
        origin = (
            f"{'dismissed' if what != 'done' else what} {short_id(f.key)} ({f.kind}) on {now:%Y-%m-%d} ({via})"
        )
        for c in f.contacts if mute_contact else ():
            if userdata.add_mute(state, Mute("contact", c), origin=origin, origin_key=f.key, now=now):
                learnt.append(f"muted {c}")
        for d in sorted({people.domain_of(c) for c in f.contacts}) if mute_domain else ():
            if userdata.add_mute(state, Mute("domain", d), origin=origin, origin_key=f.key, now=now):
                learnt.append(f"muted {d}")
    said = {
        "done": "done",
        "dismiss": "dismissed",
        "not_a_followup": "dismissed (not a follow-up)",
        "not_a_promise": "dismissed (not a promise)",
        "snooze": f"snoozed until {until.astimezone(tz or UTC):%a %Y-%m-%d %H:%M %Z}" if until else "snoozed",
    }[what]
    return Outcome(f, said, tuple(learnt))


def mute(state: State, value: str, *, now: datetime) -> str:
    """Mute an address or a domain directly (``followup-sync mute ADDRESS|DOMAIN``)."""
    value = value.strip().lower().lstrip("@")
    if not value or " " in value or "." not in value:
        raise UserError(f"{value!r} is neither an address nor a domain")
    if "@" not in value and people.is_public_mail(value):
        raise UserError(f"{value} is a public mail service, not a company; mute the address instead")
    rule = Mute("contact", value) if "@" in value else Mute("domain", value)
    added = userdata.add_mute(state, rule, origin=f"muted by you on {now:%Y-%m-%d}", origin_key=None, now=now)
    return f"muted {value}" if added else f"{value} was muted already"


def unmute(state: State, target: str, *, now: datetime) -> tuple[list[userdata.MuteRecord], int]:
    """Remove the rules that ``target`` names (an address, a domain, or a rule's #id from ``mute --list``)
    and reopen the follow-ups they silenced (the next pass reminds of those still owed); (rules, reopened)."""
    target = target.strip().lower().lstrip("@")
    rules = userdata.mutes(state)
    if target.lstrip("#").isdigit():
        chosen = [r for r in rules if r.mute.id == int(target.lstrip("#"))]
    else:
        chosen = [r for r in rules if r.mute.what != "shape" and r.mute.value == target]
    if not chosen:
        raise UserError(f"nothing muted as {target!r}; `followup-sync mute --list` shows the rules and their ids")
    reopened = 0
    with state.transaction():
        for r in chosen:
            userdata.drop_mute(state, r.mute.id)
        remaining = Preferences(mutes=tuple(r.mute for r in rules if r not in chosen))
        reasons = {f"muted: {r.mute.describe()}" for r in chosen}
        for rec in state.followups(status="dismissed"):
            if rec.closed_reason in reasons and remaining.muted_by(rec.followup) is None:
                state.set_status(rec.followup.key, "open", now=now)
                reopened += 1
    return chosen, reopened


def learnt_lines(state: State) -> list[str]:
    return learning.describe(userdata.mutes(state))


def open_followups(state: State) -> Sequence[FollowUpRecord]:
    return state.followups(status="open")


def read_when(text: str, *, now: datetime, config: Config) -> datetime:
    """``snooze --until``: "tomorrow 9am", "next Monday", "in 3 days", "2026-12-01 10:00", read as the date
    reader reads the rep's mail (``text.dates``, the rep's zone and conventions); a day without a time is the
    start of the working day."""
    from followup_sync import rules, schedule
    from followup_sync.text.dates import find_due

    tz = config.identity.zone
    try:
        moment = datetime.fromisoformat(text.strip())
        parsed = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    except ValueError:
        due = find_due(text, sent_at=now, tz=tz, options=rules.date_options(config.schedule))
        if due is None:
            raise UserError(f'cannot read {text!r} as a time; try "tomorrow 9am" or "next Monday"') from None
        parsed = due.when
        if not due.has_time:
            parsed = schedule.local_at(due.when.astimezone(tz).date(), config.schedule.day_start, tz)
    until = parsed.astimezone(UTC)
    if until <= now:
        raise UserError(f"{text!r} is {until.astimezone(tz):%a %Y-%m-%d %H:%M}, which has passed")
    return until
