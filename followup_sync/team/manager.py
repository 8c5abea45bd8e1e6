"""The manager's view (opt-in, ``[manager] enabled = true``): how the team follows up, per rep.

Per rep, from the rep's own store (read only, in a transaction that is rolled back):

- open follow-ups by kind, and those overdue (due before now) by kind;
- follow-ups closed in the last :data:`PERIOD_DAYS` days, and how many of them closed in time (the customer
  answered, or the rep followed up, before the due time; an expired one did not);
- the median time the rep took to answer a customer: for each message from outside the rep's domains (not
  automatic, not bulk) in the period, the time until the rep's next message in the same thread.

Counts only: never an evidence sentence, a subject or a contact's address, unless the rep's own settings say
``share_details = true`` (then the open and overdue follow-ups are listed with kind, due time, subject,
evidence and contacts). As JSON and as one static HTML page (no script, no external resource), files 0600.
"""

from __future__ import annotations

import html
import json
import os
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as psql

from followup_sync.errors import UserError
from followup_sync.team import pgstate, store
from followup_sync.team.config import TeamConfig

PERIOD_DAYS = 30


@dataclass
class RepView:
    rep: str
    name: str
    open: dict[str, int] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)
    closed: int = 0
    closed_in_time: int = 0
    answered: int = 0
    median_answer_hours: float | None = None
    last_pass: str | None = None
    last_pass_ok: bool | None = None
    details: list[dict[str, Any]] | None = None

    @property
    def closed_in_time_share(self) -> float | None:
        return round(self.closed_in_time / self.closed, 3) if self.closed else None


@dataclass
class View:
    generated: str
    period_days: int
    reps: list[RepView]

    def as_json(self) -> dict[str, Any]:
        reps = []
        for r in self.reps:
            d = asdict(r)
            d["closed_in_time_share"] = r.closed_in_time_share
            if r.details is None:
                d.pop("details")
            reps.append(d)
        return {"generated": self.generated, "period_days": self.period_days, "reps": reps}


def connect(team: TeamConfig) -> psycopg.Connection[Any]:
    if not team.manager.enabled:
        raise UserError(
            "the manager's view is off; set [manager] enabled = true in the team config (and tell the reps: "
            "it shows counts per rep, details only for reps with share_details = true)"
        )
    return pgstate.connect(pgstate.conninfo(team.database_file), application="followup-sync-team report")


def build(team: TeamConfig, conn: psycopg.Connection[Any], *, now: datetime | None = None) -> View:
    now = (now or datetime.now(UTC)).astimezone(UTC)
    since = now - timedelta(days=PERIOD_DAYS)
    with conn:
        store.ensure_team_schema(conn)
        runs = store.passes(conn)
        reps = []
        for box in sorted({*team.mailboxes, *runs}):
            config = team.rep_config(box)
            view = RepView(rep=box, name=config.identity.name)
            run = runs.get(box)
            if run is not None and run.last_finished is not None:
                view.last_pass, view.last_pass_ok = run.last_finished.astimezone(UTC).isoformat(), run.last_ok
            schema = pgstate.schema_for(box)
            exists = conn.execute("SELECT to_regclass(%s)", (f"{schema}.followups",)).fetchone()
            if exists is not None and exists[0] is not None:
                _fill(conn, schema, view, now=now, since=since, own=config.identity.domains,
                      internal=config.rules.internal_domains, details=team.shares_details(box))  # fmt: skip
            reps.append(view)
    return View(now.isoformat(), PERIOD_DAYS, reps)


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _fill(conn: psycopg.Connection[Any], schema: str, view: RepView, *, now: datetime, since: datetime,
          own: tuple[str, ...], internal: tuple[str, ...], details: bool) -> None:  # fmt: skip
    with conn.transaction():
        conn.execute(psql.SQL("SET LOCAL search_path TO {}").format(psql.Identifier(schema)))
        conn.execute("SET TRANSACTION READ ONLY")
        for kind, due, n in conn.execute(
            "SELECT kind, due < %s AS overdue, count(*) FROM followups WHERE status = 'open' GROUP BY 1, 2",
            (_ts(now),),
        ).fetchall():
            view.open[kind] = view.open.get(kind, 0) + int(n)
            if due:
                view.overdue[kind] = int(n)
        for reason, in_time in conn.execute(
            "SELECT closed_reason, updated <= due FROM followups WHERE status = 'closed' AND updated >= %s",
            (_ts(since),),
        ).fetchall():
            view.closed += 1
            view.closed_in_time += bool(in_time) and reason != "expired"
        rows = conn.execute(
            """SELECT thread_key, sender, sent_at, from_me FROM messages
               WHERE sent_at >= %s AND automatic = 0 AND bulk = 0 ORDER BY thread_key, sent_at""",
            (_ts(since - timedelta(days=14)),),
        ).fetchall()
        waits = _answer_times(rows, since=_ts(since), ours={*own, *internal})
        view.answered = len(waits)
        view.median_answer_hours = round(statistics.median(waits) / 3600, 2) if waits else None
        if details:
            view.details = [
                {
                    "kind": kind,
                    "due": due,
                    "overdue": due < _ts(now),
                    "subject": subject,
                    "evidence": evidence,
                    "contacts": json.loads(contacts),
                }
                for kind, due, subject, evidence, contacts in conn.execute(
                    "SELECT kind, due, thread_subject, evidence, contacts FROM followups WHERE status = 'open'"
                    " ORDER BY due"
                ).fetchall()
            ]


def _answer_times(rows: list[Any], *, since: str, ours: set[str]) -> list[float]:
    """Seconds from each customer's message (sent since ``since``) to the rep's next message in its thread."""
    out: list[float] = []
    waiting: str | None = None
    thread = None
    for thread_key, sender, sent_at, from_me in rows:
        if thread_key != thread:
            thread, waiting = thread_key, None
        if from_me:
            if waiting is not None:
                out.append((datetime.fromisoformat(sent_at) - datetime.fromisoformat(waiting)).total_seconds())
                waiting = None
        elif sender.rsplit("@", 1)[-1] not in ours and sent_at >= since and waiting is None:
            waiting = sent_at
    return out


def write(team: TeamConfig, view: View, *, json_path: Path | None, html_path: Path | None) -> list[Path]:
    out_dir = team.manager.output
    json_path = json_path or (out_dir / "manager.json" if out_dir else None)
    html_path = html_path or (out_dir / "manager.html" if out_dir else None)
    if json_path is None and html_path is None:
        raise UserError('say where to write the view: --json/--html, or [manager] output = "/path/folder"')
    written = []
    if json_path is not None:
        _private_write(json_path, json.dumps(view.as_json(), indent=2, sort_keys=True))
        written.append(json_path)
    if html_path is not None:
        _private_write(html_path, render_html(view))
        written.append(html_path)
    return written


def _private_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    tmp.replace(path)


def render_html(view: View) -> str:
    e = html.escape
    kinds = sorted({k for r in view.reps for k in (*r.open, *r.overdue)})
    head = "".join(f"<th>{e(k.replace('_', ' '))}<br>open / overdue</th>" for k in kinds)
    rows = []
    for r in view.reps:
        cells = "".join(f"<td>{r.open.get(k, 0)} / {r.overdue.get(k, 0)}</td>" for k in kinds)
        share = f"{r.closed_in_time} of {r.closed}" + (f" ({r.closed_in_time_share:.0%})" if r.closed else "")
        median = f"{r.median_answer_hours:.1f} h ({r.answered})" if r.median_answer_hours is not None else "–"
        last = e(r.last_pass or "never") + ("" if r.last_pass_ok in (None, True) else " (failed)")
        rows.append(f"<tr><th>{e(r.name or r.rep)}<br><small>{e(r.rep)}</small></th>{cells}<td>{share}</td>"
                    f"<td>{median}</td><td>{last}</td></tr>")  # fmt: skip
    sections = []
    for r in view.reps:
        if not r.details:
            continue
        items = "".join(
            f"<li>{'<b>overdue</b> ' if d['overdue'] else ''}{e(d['kind'])}, due {e(d['due'][:16])}: "
            f"{e(d['subject'])} — “{e(d['evidence'])}” ({e(', '.join(d['contacts']))})</li>"
            for d in r.details
        )
        sections.append(f"<h2>{e(r.name or r.rep)} (shared by the rep)</h2><ul>{items}</ul>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Follow-ups by rep</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}</style></head>
<body><h1>Follow-ups by rep</h1>
<p>As of {e(view.generated[:16])} UTC; closed and answered: the last {view.period_days} days.</p>
<table><tr><th>Rep</th>{head}<th>Closed in time</th><th>Median time to answer a customer</th>
<th>Last pass</th></tr>
{"".join(rows)}
</table>
{"".join(sections)}
</body></html>
"""
