"""Every follow-up one full pass finds in a real Maildir, for labelling and for per-kind precision.

Runs the same pass as ``benchmarks/pipeline_bench.py`` (``sync.run_once`` into a temporary folder), then prints
each follow-up the detectors created, with its status after ``resolve`` (open with a reminder, open without
one because a more urgent follow-up holds its thread, or closed with the reason), kind, contacts, evidence,
thread subject and the source message's file.

    .venv/bin/python evaluation/pipeline_review.py [--colleagues-are-contacts] [--jsonl]
    .venv/bin/python evaluation/pipeline_review.py --score evaluation/data/pipeline_blair.jsonl

``--score`` runs both modes and compares them with the labels (one JSON line per follow-up: ``origin_id``,
``kind``, ``verdict`` "right"/"wrong", ``reason``, ``path``; a verdict does not depend on the mode) and prints
per-kind precision of what the pass finds now, of all found and of those that got a reminder. A follow-up
the labels do not know is reported as *unlabelled*, so a change to the detectors cannot quietly score
itself: label the new ones and run again.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from followup_sync import config as configmod
from followup_sync.state import State
from followup_sync.sync import run_once

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l"
KINDS = ("promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound")


def build_config(tmp: Path, *, maildir: Path, address: str, timezone: str, colleagues: bool) -> configmod.Config:
    data = {
        "identity": {"addresses": [address], "timezone": timezone},
        "mail": {"backend": "maildir", "path": str(maildir)},
        "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp / "reminders.ics")},
        "state": {"path": str(tmp / "state.db")},
        "rules": {"lookback_days": 400},
    }
    config = configmod.parse(data)
    if colleagues:
        config = replace(config, identity=_OwnDomainOnly((address,), timezone))
    return config


class _OwnDomainOnly(configmod.Identity):
    """The rep's identity with no colleague domain: Identity.domains is derived from the addresses, so the
    rep's own domain (enron.com) would make every colleague internal; here nobody is a colleague."""

    @property
    def domains(self) -> tuple[str, ...]:
        return ("rep.invalid",)


def review(args: argparse.Namespace, *, colleagues: bool) -> list[dict[str, object]]:
    now = datetime.fromisoformat(args.now)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        config = build_config(
            tmp, maildir=args.maildir, address=args.address, timezone=args.timezone, colleagues=colleagues
        )
        result = run_once(config, now=now)
        reminded = {a.key for a in result.actions if a.op in ("create", "update", "keep")}
        state = State.open(config.state_path)
        try:
            records = state.followups()
        finally:
            state.close()
    rows: list[dict[str, object]] = []
    for rec in sorted(records, key=lambda r: (r.followup.created_at, r.followup.key)):
        f = rec.followup
        if rec.status != "open":
            status = f"closed: {rec.closed_reason}"
        else:
            status = "reminder" if f.key in reminded else "open, thread held by another"
        path = unquote(urlparse(f.link).path) if f.link and f.link.startswith("file:") else (f.link or "")
        rows.append(
            {
                "origin_id": f.origin_id,
                "kind": f.kind,
                "mode": "colleagues" if colleagues else "external",
                "status": status,
                "contacts": list(f.contacts),
                "evidence": f.evidence,
                "subject": f.thread_subject,
                "created": f.created_at.isoformat(),
                "due": f.due.isoformat(),
                "path": path,
            }
        )
    return rows


def print_rows(rows: list[dict[str, object]]) -> None:
    for i, row in enumerate(rows, 1):
        print(f"#{i} [{row['kind']}] {row['status']}  {row['created']}")
        print(f"   contacts: {', '.join(row['contacts'])}")  # type: ignore[arg-type]
        print(f"   subject:  {row['subject']}")
        print(f"   evidence: {row['evidence']}")
        print(f"   id:       {row['origin_id']}")
        print(f"   file:     {row['path']}")


def score(rows: list[dict[str, object]], labels_path: Path) -> int:
    labels: dict[tuple[str, str], dict[str, str]] = {}
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            labels[(item["origin_id"], item["kind"])] = item
    unlabelled = []
    for mode in ("external", "colleagues"):
        by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        reminded: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        seen = set()
        for row in (r for r in rows if r["mode"] == mode):
            key = (str(row["origin_id"]), str(row["kind"]))
            seen.add(key)
            label = labels.get(key)
            if label is None:
                unlabelled.append(row)
                continue
            by_kind[str(row["kind"])][label["verdict"]] += 1
            if row["status"] == "reminder":
                reminded[str(row["kind"])][label["verdict"]] += 1
        print(f"\n{mode} ({'colleagues count as contacts' if mode == 'colleagues' else 'as configured'})")
        print(
            f"{'kind':<20} {'found':>6} {'right':>6} {'precision':>9}   "
            f"{'reminded':>8} {'right':>6} {'precision':>9}"
        )
        total: collections.Counter[str] = collections.Counter()
        total_r: collections.Counter[str] = collections.Counter()
        for kind in KINDS:
            c, r = by_kind.get(kind, collections.Counter()), reminded.get(kind, collections.Counter())
            total.update(c)
            total_r.update(r)
            print(_line(kind, c, r))
        print(_line("all", total, total_r))
        if mode == "colleagues":
            lost = [labels[k] for k in sorted(set(labels) - seen)]
            right = [x for x in lost if x["verdict"] == "right"]
            print(f"labelled follow-ups no longer found: {len(lost)} ({len(right)} of them labelled right)")
            for x in right:
                print(f"   lost a right one: {x['kind']} {x['origin_id']} ({x['path']})")
    if unlabelled:
        print(f"\nUNLABELLED: {len(unlabelled)} follow-ups; label them first:")
        print_rows(unlabelled)
        return 1
    return 0


def _line(kind: str, c: collections.Counter[str], r: collections.Counter[str]) -> str:
    n, ok = sum(c.values()), c["right"]
    rn, rok = sum(r.values()), r["right"]
    p = f"{ok / n:.2f}" if n else "-"
    rp = f"{rok / rn:.2f}" if rn else "-"
    return f"{kind:<20} {n:>6} {ok:>6} {p:>9}   {rn:>8} {rok:>6} {rp:>9}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", type=Path, default=CORPUS)
    parser.add_argument("--address", default="lynn.blair@enron.com")
    parser.add_argument("--timezone", default="America/Chicago")
    parser.add_argument("--now", default="2002-02-01T12:00:00-06:00")
    parser.add_argument("--colleagues-are-contacts", action="store_true")
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per follow-up")
    parser.add_argument("--score", type=Path, help="labels file: score both modes against it")
    args = parser.parse_args()
    if not args.maildir.is_dir():
        print(f"no Maildir at {args.maildir}; pass --maildir", file=sys.stderr)
        return 2
    if args.score:
        rows = review(args, colleagues=False) + review(args, colleagues=True)
        return score(rows, args.score)
    rows = review(args, colleagues=args.colleagues_are_contacts)
    if args.jsonl:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print_rows(rows)
        print(collections.Counter(str(r["kind"]) for r in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
