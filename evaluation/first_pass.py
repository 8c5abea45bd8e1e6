"""A first pass over a full mailbox with a fixed ``now``, as ``followup-sync sync --dry-run --format json`` plans
it: how many reminders it creates that day (at most ``[reminders] max_new_per_day``) and which follow-ups the
daily cap queues, and for which day (issue 12, "no floods"). Nothing is written outside a temporary folder.

    .venv/bin/python evaluation/first_pass.py --now 2001-10-03T09:00:00-05:00 [--colleagues-are-contacts]
        [--maildir PATH] [--address ME] [--timezone TZ] [--lookback-days N] [--max-new-per-day N] [--json]

The plan is ``report.to_json`` of a dry-run pass, the very JSON ``sync --format json`` prints; ``--json`` prints
it whole. ``--colleagues-are-contacts`` is ``pipeline_review.py``'s mode: the Enron mailbox is almost all
internal, and only with colleagues as contacts does its first pass find more follow-ups than one day's cap.
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
from typing import Any

from followup_sync import config as configmod
from followup_sync import report
from followup_sync.sync import run_once

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "enron-blair-l"


class _OwnDomainOnly(configmod.Identity):
    """Nobody is a colleague (as in ``pipeline_review.py``): Identity.domains is derived from the addresses."""

    @property
    def domains(self) -> tuple[str, ...]:
        return ("rep.invalid",)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        config = configmod.parse({
            "identity": {"addresses": [args.address], "timezone": args.timezone},
            "mail": {"backend": "maildir", "path": str(args.maildir)}, "meetings": {"backend": "none"},
            "reminders": {"backend": "ics", "path": str(tmp / "reminders.ics"),
                          "max_new_per_day": args.max_new_per_day},
            "state": {"path": str(tmp / "state.db")}, "rules": {"lookback_days": args.lookback_days},
        })  # fmt: skip
        if args.colleagues_are_contacts:
            config = replace(config, identity=_OwnDomainOnly((args.address,), args.timezone))
        result = run_once(config, now=datetime.fromisoformat(args.now), dry_run=True)
        if result.problems:
            sys.exit(f"the pass had problems: {result.problems}")
        return report.to_json(result)


def summary(doc: dict[str, Any], cap: int) -> str:
    created = [a for a in doc["actions"] if a["op"] == "create"]
    queued = doc["queued"]
    today = str(doc["now"])[:10]
    on_today = [a for a in created if a["reminder"]["start"][:10] == today]
    kinds = collections.Counter(a["followup"]["kind"] for a in created)
    queued_kinds = collections.Counter(q["followup"]["kind"] for q in queued)
    days = sorted(collections.Counter(q["queued_until"] for q in queued).items())
    return "\n".join([
        f"now {doc['now']}: {len(created)} reminders created (cap {cap} a day), {len(queued)} follow-ups queued",
        f"created reminders that start that day: {len(on_today)}",
        "created, by kind: " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()),
        "queued, by kind: " + ", ".join(f"{k} {n}" for k, n in queued_kinds.most_common()),
        "queued, by day: " + ", ".join(f"{d} {n}" for d, n in days),
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--maildir", type=Path, default=CORPUS)
    parser.add_argument("--address", default="lynn.blair@enron.com")
    parser.add_argument("--timezone", default="America/Chicago")
    parser.add_argument("--now", required=True)
    parser.add_argument("--lookback-days", type=int, default=30)
    parser.add_argument("--max-new-per-day", type=int, default=8)
    parser.add_argument("--colleagues-are-contacts", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the whole plan, as sync --format json does")
    args = parser.parse_args()
    if not args.maildir.is_dir():
        sys.exit(f"no Maildir at {args.maildir}; pass --maildir")
    doc = plan(args)
    print(json.dumps(doc, ensure_ascii=False, indent=2) if args.json else summary(doc, args.max_new_per_day))


if __name__ == "__main__":
    main()
