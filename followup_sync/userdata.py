"""The state's tables for the rep's side (migration ``m004``): people, answers, mutes, snoozes and the daily
release of new reminders. Typed reads and writes on a :class:`~followup_sync.state.State`, in its transactions;
metadata only (names, companies, phone numbers, keys, dates, sentence shapes), never a mail body.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from followup_sync.people import Person, merge
from followup_sync.preferences import Answer, Mute, Preferences
from followup_sync.state import State, _dt, _dt_opt, _mapped, _ts, _ts_opt

_IN_CHUNK = 500


# --- people -------------------------------------------------------------------------------------------------


def save_people(state: State, rows: Iterable[Person]) -> None:
    """Keep what each source says of each address, the newest saying of a source replacing the older one
    field by field (an empty field keeps what was known). ``rows`` are taken one at a time: a first pass over a
    large mailbox hands one per address of every message it read."""
    data = (
        (
            p.address,
            p.source,
            p.name,
            p.company,
            p.phone,
            _ts(p.seen) if p.seen else "1970-01-01T00:00:00.000000+00:00",
        )
        for p in rows
        if p.address
    )
    first = next(data, None)
    if first is None:
        return
    with state.transaction(), _mapped(state.path):
        state._db.executemany(
            """INSERT INTO people (address, source, name, company, phone, seen) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (address, source) DO UPDATE SET
                   name = CASE WHEN excluded.name != '' THEN excluded.name ELSE people.name END,
                   company = CASE WHEN excluded.company != '' THEN excluded.company ELSE people.company END,
                   phone = CASE WHEN excluded.phone != '' THEN excluded.phone ELSE people.phone END,
                   seen = excluded.seen
               WHERE excluded.seen >= people.seen""",
            itertools.chain([first], data),
        )


def people(state: State, addresses: Collection[str]) -> dict[str, Person]:
    """The merged :class:`Person` of each address known (``people.merge``)."""
    wanted = sorted(set(addresses))
    rows = []
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        sql = f"SELECT * FROM people WHERE address IN ({', '.join('?' * len(chunk))}) ORDER BY seen"  # noqa: S608
        rows.extend(state._rows(sql, tuple(chunk)))
    return merge(
        Person(
            r["address"],
            name=r["name"],
            company=r["company"],
            phone=r["phone"],
            source=r["source"],
            seen=_dt(r["seen"]),
        )
        for r in rows
    )


# --- answers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRecord:
    id: int
    answer: Answer
    learnt: bool


def record_answer(state: State, answer: Answer) -> int:
    with state.transaction(), _mapped(state.path):
        return state._dialect.insert_id(
            state._db,
            "INSERT INTO answers (key, answer, kind, contacts, via, at, until) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                answer.key,
                answer.answer,
                answer.kind,
                json.dumps(list(answer.contacts)),
                answer.via,
                _ts(answer.at),
                _ts_opt(answer.until),
            ),
        )


def answers(state: State, *, unlearnt: bool = False, kind: str | None = None) -> list[AnswerRecord]:
    """Answers oldest first; ``unlearnt``: only those the learning has not read yet."""
    where, params = [], []
    if unlearnt:
        where.append("learnt = 0")
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = state._rows(f"SELECT * FROM answers {clause} ORDER BY at, id", tuple(params))  # noqa: S608
    return [
        AnswerRecord(
            r["id"],
            Answer(
                r["key"],
                r["answer"],
                r["kind"],
                tuple(json.loads(r["contacts"])),
                r["via"],
                _dt(r["at"]),
                _dt_opt(r["until"]),
            ),
            bool(r["learnt"]),
        )
        for r in rows
    ]


def mark_learnt(state: State, ids: Iterable[int]) -> None:
    with state.transaction(), _mapped(state.path):
        state._db.executemany("UPDATE answers SET learnt = 1 WHERE id = ?", [(i,) for i in ids])


# --- mutes --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MuteRecord:
    mute: Mute
    origin: str  # where it came from, in words: the answer, the follow-up, the date
    origin_key: str | None
    created: datetime


def add_mute(state: State, mute: Mute, *, origin: str, origin_key: str | None, now: datetime) -> bool:
    """Add a rule; False when the same rule is there already."""
    sql = (
        "INSERT INTO mutes (what, value, kind, origin_key, origin, created) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING"
    )
    return state._write(sql, (mute.what, mute.value, mute.kind, origin_key, origin, _ts(now))) > 0


def mutes(state: State) -> list[MuteRecord]:
    return [
        MuteRecord(
            Mute(r["what"], r["value"], r["kind"], r["id"]), r["origin"], r["origin_key"], _dt(r["created"])
        )
        for r in state._rows("SELECT * FROM mutes ORDER BY created, id")
    ]


def drop_mute(state: State, mute_id: int) -> None:
    state._write("DELETE FROM mutes WHERE id = ?", (mute_id,))


# --- snoozes ------------------------------------------------------------------------------------------------


def snooze(state: State, key: str, until: datetime, *, now: datetime) -> None:
    state._write(
        "INSERT INTO snoozes (key, until, at) VALUES (?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET until = excluded.until, at = excluded.at",
        (key, _ts(until), _ts(now)),
    )


def preferences(state: State) -> Preferences:
    """What the pass applies (``preferences.apply``): every mute rule and every snooze."""
    snoozes = {r["key"]: _dt(r["until"]) for r in state._rows("SELECT key, until FROM snoozes")}
    return Preferences(mutes=tuple(m.mute for m in mutes(state)), snoozes=snoozes)


# --- the daily release ----------------------------------------------------------------------------------------
# ``released`` holds, per follow-up without a reminder yet, the day it is let through the daily cap: today or
# earlier (released: its reminder is written), or a later day (queued; planned again at every pass).


def released(state: State, keys: Collection[str], *, today: date) -> set[str]:
    """Which of ``keys`` were let through the daily cap already (on ``today`` or before)."""
    return {k for k, day in queue(state, keys).items() if day <= today}


def queue(state: State, keys: Collection[str]) -> dict[str, date]:
    """The release day of each of ``keys`` that has one."""
    wanted = sorted(set(keys))
    found: dict[str, date] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        sql = f"SELECT key, day FROM released WHERE key IN ({', '.join('?' * len(chunk))})"  # noqa: S608
        found.update((r["key"], date.fromisoformat(r["day"])) for r in state._rows(sql, tuple(chunk)))
    return found


def released_on(state: State, day: date) -> int:
    return int(state._rows("SELECT count(*) FROM released WHERE day = ?", (day.isoformat(),))[0][0])


def plan_release(state: State, days: Mapping[str, date], *, today: date) -> None:
    """Record this pass's plan: the follow-ups released today stay released; the queue is replaced."""
    with state.transaction(), _mapped(state.path):
        state._db.execute("DELETE FROM released WHERE day > ?", (today.isoformat(),))
        state._db.executemany(
            "INSERT INTO released (key, day) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET day = excluded.day",
            [(k, d.isoformat()) for k, d in sorted(days.items())],
        )


# --- pruning ------------------------------------------------------------------------------------------------


def prune(state: State, *, before: datetime) -> None:
    """Forget people not seen since ``before``, answers the learning has read and that are that old, and
    snoozes and releases of follow-ups the state no longer has."""
    cut = _ts(before)
    with state.transaction(), _mapped(state.path):
        state._db.execute("DELETE FROM people WHERE seen < ?", (cut,))
        state._db.execute("DELETE FROM answers WHERE learnt = 1 AND at < ?", (cut,))
        state._db.execute("DELETE FROM snoozes WHERE key NOT IN (SELECT key FROM followups WHERE status = 'open')")
        state._db.execute("DELETE FROM released WHERE key NOT IN (SELECT key FROM followups)")
