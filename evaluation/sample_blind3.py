"""Draw promise set ``blind3`` (the second blind round of issue 8) from sent mail no earlier set has used.

Usage (from the repository root)::

    .venv/bin/python evaluation/sample_blind3.py            # write evaluation/data/promises_blind3.ids.jsonl
    .venv/bin/python evaluation/sample_blind3.py --check    # redraw and compare with the committed file

Why a new set: blind0 and blind1 were run and their misses read, so every later change of the detector was
made knowing them. A figure counts only on text the detector was not shaped on, so this draw leaves out every
message of every label file that exists now (blind0, tune2 and blind1 included) and every text that duplicates
one of them. The draw is random (no cue enrichment), like blind0 and blind1, so its precision and recall are
what a rep's ordinary sent mail gets; it is deterministic (fixed seed, sorted inputs) so anyone can check it.

Sources: the unused sent messages of the aeslc ``train`` split (the ``test`` split was used whole by blind1,
``dev`` was split between blind0 and tune2; whatever is left of both is taken too). Lynn Blair's ``.Sent``
folder has nothing left: the first round used all of it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from sample_sets import DATA, DEFAULT_CORPUS, Row, lines, pools

SEED = 20261203
# Every label file that exists at this draw (2026-12-03), named here so the draw does not move later.
USED_NOW = (
    "promises_blind0.ids.jsonl",
    "promises_tune2.ids.jsonl",
    "promises_blind1.ids.jsonl",
)
SIZES = {"train": 640}  # Blair's .Sent folder was used up by the first round


def earlier_ids() -> set[str]:
    ids: set[str] = set()
    for name in USED_NOW:
        with (DATA / name).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    ids.add(str(rec["id"]))
                    if rec.get("file"):
                        ids.add(str(rec["file"]))
    return ids


def draw(corpus: Path) -> list[Row]:
    used = earlier_ids()
    src = pools(corpus)  # unused by the label files of the first round, de-duplicated by text
    rng = random.Random(SEED)
    rows: list[Row] = []
    for source in ("test", "dev"):  # leftovers, if any
        rows += [r for r in src[source] if r["id"] not in used]
    for source, n in SIZES.items():
        pool = [r for r in src[source] if r["id"] not in used and r.get("file") not in used]
        rng.shuffle(pool)
        if len(pool) < n:
            raise SystemExit(f"source {source} has only {len(pool)} unused messages, {n} wanted")
        rows += pool[:n]
    rng.shuffle(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--check", action="store_true", help="compare with the committed id file")
    args = parser.parse_args(argv)
    rows = draw(args.corpus)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "a message was drawn twice"
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row['corpus']}:{row['split']}"
        counts[key] = counts.get(key, 0) + 1
    print(f"blind3: {len(rows)} messages  " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    path = DATA / "promises_blind3.ids.jsonl"
    text = "".join(lines(rows))
    if args.check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        print(f"   {path.name}: {'same' if same else 'DIFFERENT'}")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
