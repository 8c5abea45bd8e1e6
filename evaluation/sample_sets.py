"""Draw the issue-8 promise sets (blind0, tune2, blind1) from sent mail no label file has used.

Usage (from the repository root)::

    .venv/bin/python evaluation/sample_sets.py            # write evaluation/data/promises_<set>.ids.jsonl
    .venv/bin/python evaluation/sample_sets.py --check    # redraw and compare with the committed files

The draw is deterministic (fixed seed, sorted inputs) so anyone can check that the sets were not picked by
hand. Nothing here reads a detector: the sets are drawn before any of their texts is run through one.

Sources (sent mail only, every message whose id appears in a label file that existed before this draw is left
out, and so is every message whose text duplicates one of those or an earlier message of the pools):

- aeslc ``test`` split, folder ``sent``: all unused messages go to ``blind1`` (the test split is for
  measurement only, never for tuning);
- aeslc ``dev`` split, folder ``sent``: split at random between ``blind0`` and ``tune2``;
- aeslc ``train`` split, folder ``sent``: random draws for all three sets, plus the enriched half of ``tune2``
  (random among messages with a first-person or "let's" future cue);
- Lynn Blair's ``.Sent`` folder (``enron-blair-l``): whole messages with real Date headers, split at random
  between the three sets.

Each output line is ``{"id", "corpus", "split", "sent_at"}`` (plus ``file`` for enron-blair-l and, in tune2,
``draw``: "random" or "cue"). aeslc has no dates, so ``sent_at`` is the fixed Wednesday morning that
``promises_eval.py`` uses; blair messages carry their own Date header. The lines of a set are shuffled so
packets mix the sources (and, in tune2, the two draws).
"""

from __future__ import annotations

import argparse
import email
import email.utils
import json
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluation" / "data"
# /work/main/.. or, from a worktree, /work/wt/<name>/../..
DEFAULT_CORPUS = next(
    (p / "shared" / "corpus" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)
SEED = 20261123
AESLC_SENT_AT = "2001-03-14T15:00:00+00:00"  # promises_eval.SENT_AT: a Wednesday, 09:00 in Houston
SETS = ("blind0", "tune2", "blind1")
Row = dict[str, Any]

# The label files that existed when the sets were drawn (2026-11-23). Fixed here, not globbed, so the draw does
# not change when new label files (these sets' own among them) are added later.
USED_FILES = (
    "ack_enron_blair.jsonl",
    "away_enron_blair.jsonl",
    "bulk_enron_blair.jsonl",
    "dates.jsonl",
    "offer_order_enron_blair.jsonl",
    "pipeline_blair.jsonl",
    "promises_blair.jsonl",
    "promises_dev.jsonl",
    "promises_final.jsonl",
    "promises_test.jsonl",
    "promises_test2.jsonl",
    "promises_train.jsonl",
    "zoning_enron_blair.jsonl",
    "zoning_enron_blair_heldout.jsonl",
)

# How many messages each set takes from each source (test: all unused, 372; dev: 333; blair: 275).
PLAN = {
    "blind0": {"dev": 165, "blair": 95, "train": 360},
    "tune2": {"dev": 168, "blair": 90, "train": 52, "train_cue": 310},
    "blind1": {"test": None, "blair": 90, "train": 158},
}

# A first-person or joint future cue: I'll / I will / we'll / let's / let me / going to / plan to / to follow,
# or a subjectless "Will ..." opening a sentence. Used only to enrich half of tune2 with likely positives.
CUE = re.compile(
    r"\b(?:i\s?'?ll|i\s+will|i\s+shall|we\s?'?ll|we\s+will|we\s+shall|let'?s|let\s+(?:me|us)"
    r"|(?:i|we)\s?'?\s?(?:m|am|are|re)\s+going\s+to|(?:i|we)\s+(?:plan|intend|expect|hope|aim)\s+to"
    r"|to\s+follow|will\s+follow)\b|(?:^|[.!?]\s+)will\s",
    re.IGNORECASE,
)


def norm(text: str) -> str:
    return " ".join(text.split())


def used_ids() -> set[str]:
    ids: set[str] = set()
    for name in USED_FILES:
        with (DATA / name).open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                for key in ("id", "file", "path", "origin_id"):
                    if rec.get(key):
                        ids.add(str(rec[key]))
                if rec.get("source"):
                    ids.add(str(rec["source"]).split(":", 1)[-1])
    return ids


def aeslc_rows(corpus: Path, split: str) -> Iterator[Row]:
    with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["folder"] == "sent":
                yield row


def blair_body(path: Path) -> tuple[str, str, str]:
    """Message-ID (lower case, no brackets), Date as ISO 8601, body as promises_eval decodes it."""
    with path.open("rb") as fh:
        msg = email.message_from_binary_file(fh)
    payload = msg.get_payload(decode=True)
    body = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    mid = str(msg["Message-ID"]).strip().strip("<>").lower()
    sent = email.utils.parsedate_to_datetime(str(msg["Date"])).isoformat()
    return mid, sent, body


def pools(corpus: Path) -> dict[str, list[Row]]:
    """Unused, de-duplicated candidates per source, in a fixed order."""
    used = used_ids()
    seen: set[str] = set()
    for split in ("train", "dev", "test"):  # the texts of used aeslc messages are "seen" too
        for row in aeslc_rows(corpus, split):
            if row["id"] in used:
                seen.add(norm(row["body"]))
    blair_dir = corpus / "enron-blair-l" / ".Sent" / "new"
    blair: list[tuple[str, str, str, str]] = []
    for path in sorted(blair_dir.iterdir()):
        rel = f".Sent/new/{path.name}"
        mid, sent, body = blair_body(path)
        if rel in used or mid in used:
            seen.add(norm(body))
        else:
            blair.append((mid, rel, sent, body))
    out: dict[str, list[Row]] = {}
    for split in ("test", "dev", "train"):
        rows = []
        for row in sorted(aeslc_rows(corpus, split), key=lambda r: r["id"]):
            key = norm(row["body"])
            if row["id"] in used or key in seen:
                continue
            seen.add(key)
            rows.append(
                {"id": row["id"], "corpus": "aeslc", "split": split, "sent_at": AESLC_SENT_AT, "body": row["body"]}
            )
        out[split] = rows
    rows = []
    for mid, rel, sent, body in blair:
        key = norm(body)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            {"id": mid, "corpus": "enron-blair-l", "split": None, "file": rel, "sent_at": sent, "body": body}
        )
    out["blair"] = rows
    return out


def draw(corpus: Path) -> dict[str, list[Row]]:
    rng = random.Random(SEED)
    src = pools(corpus)
    for name in ("test", "dev", "train", "blair"):
        rng.shuffle(src[name])
    taken = {name: 0 for name in src}
    sets: dict[str, list[Row]] = {name: [] for name in SETS}

    def take(source: str, n: int | None) -> list[Row]:
        start = taken[source]
        rows = src[source][start:] if n is None else src[source][start : start + n]
        if n is not None and len(rows) < n:
            raise SystemExit(f"source {source} has only {len(rows)} messages left, {n} wanted")
        taken[source] = start + len(rows)
        return rows

    for name in SETS:
        for source, n in PLAN[name].items():
            if source == "train_cue":
                continue
            for row in take(source, n):
                sets[name].append(row | ({"draw": "random"} if name == "tune2" else {}))
    # The enriched half of tune2: the next train messages (in the shuffled order) that hold a cue.
    cue_rows: list[Row] = []
    rest = src["train"][taken["train"] :]
    for row in rest:
        if len(cue_rows) == PLAN["tune2"]["train_cue"]:
            break
        if CUE.search(row["body"]):
            cue_rows.append(row | {"draw": "cue"})
    sets["tune2"].extend(cue_rows)
    for name in SETS:
        rng.shuffle(sets[name])
    return sets


def lines(rows: list[Row]) -> list[str]:
    return [json.dumps({k: v for k, v in row.items() if k != "body"}) + "\n" for row in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--check", action="store_true", help="compare with the committed id files")
    args = parser.parse_args(argv)
    sets = draw(args.corpus)
    ids = [row["id"] for rows in sets.values() for row in rows]
    assert len(ids) == len(set(ids)), "a message was drawn twice"
    bad = 0
    for name, rows in sets.items():
        path = DATA / f"promises_{name}.ids.jsonl"
        counts: dict[str, int] = {}
        for row in rows:
            key = f"{row['corpus']}:{row['split']}" + (f":{row['draw']}" if "draw" in row else "")
            counts[key] = counts.get(key, 0) + 1
        print(f"{name}: {len(rows)} messages  " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        text = "".join(lines(rows))
        if args.check:
            same = path.exists() and path.read_text(encoding="utf-8") == text
            print(f"   {path.name}: {'same' if same else 'DIFFERENT'}")
            bad += not same
        else:
            path.write_text(text, encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
