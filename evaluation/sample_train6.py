"""Draw ``train6`` and ``train7``, pools of real mail labelled once, to train the learned promise stage (issue 8).

Usage (from the repository root)::

    .venv/bin/python evaluation/sample_train6.py [--set train7]           # write promises_<set>.ids.jsonl
    .venv/bin/python evaluation/sample_train6.py [--set train7] --check   # redraw and compare with the file

Why: four blind rounds of hand-written rules plateaued (first runs F1 0.70-0.82) and the learned second stage,
trained on the 3,000-odd messages labelled for tuning, had too few promises to learn from (about 350). This pool
is for training only: each message is labelled by one annotator (the blind sets get two and an adjudicator).

What: aeslc ``train`` messages of both folders (``inbox`` mail is somebody's sent mail too, and most of the
unused sent mail is needed for blind sets), leaving out every message of every promise label or id file that
exists at the draw (``blind6`` included, drawn just before this), the messages read while rules were built, and
any message whose text duplicates one of those. Deterministic (fixed seed, sorted inputs). ``train7`` is drawn
after blind6's first run and after blind7 was drawn, from what is left of aeslc ``train`` and the ``dev`` split's
inbox mail (``test`` is for measurement only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from sample_blind3 import READ_WHILE_BUILDING, earlier_ids, write_ids
from sample_sets import AESLC_SENT_AT, DEFAULT_CORPUS, Row, norm, used_ids

_EARLIER = ("blind0", "tune2", "blind1", "blind3", "blind4", "blind5", "blind6")
# Per pool: seed, size, the splits it draws from, and every promise id file that exists at its draw (fixed here,
# not globbed, so that a draw does not move when later files are added).
POOLS: dict[str, tuple[int, int, tuple[str, ...], tuple[str, ...]]] = {
    "train6": (20261207, 6400, ("train",), tuple(f"promises_{n}.ids.jsonl" for n in _EARLIER)),
    "train7": (
        20261209,
        3450,
        ("train", "dev"),
        tuple(f"promises_{n}.ids.jsonl" for n in (*_EARLIER, "train6", "blind7")),
    ),
}


def draw(corpus: Path, name: str = "train6") -> list[Row]:
    seed, size, splits, files = POOLS[name]
    used = used_ids() | earlier_ids(files) | READ_WHILE_BUILDING
    rows: list[dict[str, str]] = []
    for split in ("train", "dev", "test"):
        with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
            rows += [json.loads(line) | {"split": split} for line in fh]
    seen = {norm(r["body"]) for r in rows if r["id"] in used}
    pool: list[Row] = []
    for row in sorted((r for r in rows if r["split"] in splits), key=lambda r: (r["split"], r["id"])):
        key = norm(row["body"])
        if row["id"] in used or key in seen or not key:
            continue
        seen.add(key)
        pool.append({"id": row["id"], "corpus": "aeslc", "split": row["split"], "sent_at": AESLC_SENT_AT})
    random.Random(seed).shuffle(pool)
    if len(pool) < size:
        raise SystemExit(f"only {len(pool)} unused messages, {size} wanted")
    return pool[:size]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--check", action="store_true", help="compare with the committed id file")
    parser.add_argument("--set", choices=sorted(POOLS), default="train6")
    args = parser.parse_args(argv)
    rows = draw(args.corpus, args.set)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "a message was drawn twice"
    sent = sum("_sent_" in i for i in ids)
    print(f"{args.set}: {len(rows)} messages ({sent} sent, {len(rows) - sent} inbox)")
    return write_ids(args.set, rows, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
