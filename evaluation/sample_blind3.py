"""Draw promise sets ``blind3`` to ``blind7`` (issue 8's later blind rounds) from unused sent mail.

Usage (from the repository root)::

    .venv/bin/python evaluation/sample_blind3.py [--set blind4]          # write promises_<set>.ids.jsonl
    .venv/bin/python evaluation/sample_blind3.py [--set blind4] --check  # redraw and compare with the file

blind4 is drawn after blind3's first run, leaving out blind3 and the unlabelled messages read while the second
round's rules were built (``READ_WHILE_BUILDING``); blind5 after blind4's, leaving out blind4 too; blind6 after
blind5's, before the training pool ``train6`` (``sample_train6.py``) was drawn from what it leaves; blind7 after
blind6's run, leaving out train6 too, before ``train7`` was drawn.

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

# Per set: its seed, and every id file that existed at its draw (named here so a draw does not move later).
FIRST_ROUND = ("promises_blind0.ids.jsonl", "promises_tune2.ids.jsonl", "promises_blind1.ids.jsonl")
ROUNDS: dict[str, tuple[int, tuple[str, ...]]] = {
    "blind3": (20261203, FIRST_ROUND),
    "blind4": (20261204, (*FIRST_ROUND, "promises_blind3.ids.jsonl")),
    "blind5": (20261205, (*FIRST_ROUND, "promises_blind3.ids.jsonl", "promises_blind4.ids.jsonl")),
    "blind6": (
        20261206,
        (*FIRST_ROUND, "promises_blind3.ids.jsonl", "promises_blind4.ids.jsonl", "promises_blind5.ids.jsonl"),
    ),
    "blind7": (
        20261208,
        (
            *FIRST_ROUND,
            "promises_blind3.ids.jsonl",
            "promises_blind4.ids.jsonl",
            "promises_blind5.ids.jsonl",
            "promises_blind6.ids.jsonl",
            "promises_train6.ids.jsonl",
        ),
    ),
}
# Unlabelled aeslc train messages read while the second round's rules were built (a diff of the detector's
# output over that pool, before blind3's ids were known): never drawn again.
READ_WHILE_BUILDING = frozenset(
    [
        "jones-t_sent_907",
        "jones-t_sent_5402",
        "jones-t_sent_5697",
        "jones-t_sent_5719",
        "jones-t_sent_5869",
        "jones-t_sent_5873",
        "jones-t_sent_5944",
        "jones-t_sent_6008",
        "jones-t_sent_6024",
        "jones-t_sent_6137",
        "jones-t_sent_6193",
        "jones-t_sent_6205",
        "jones-t_sent_6250",
        "jones-t_sent_6368",
        "jones-t_sent_6374",
        "jones-t_sent_6429",
        "jones-t_sent_6450",
        "keavey-p_sent_54",
        "mann-k_sent_2082",
        "mann-k_sent_2157",
        "shackleton-s_sent_278",
        "tycholiz-b_sent_1",
        "giron-d_sent_653",
        "perlingiere-d_sent_254",
        "scott-s_sent_67",
        "stclair-c_sent_1096",
        "stclair-c_sent_48",
    ]
)
SIZES = {"train": 640}  # Blair's .Sent folder was used up by the first round


def earlier_ids(files: tuple[str, ...]) -> set[str]:
    ids: set[str] = set()
    for name in files:
        with (DATA / name).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    ids.add(str(rec["id"]))
                    if rec.get("file"):
                        ids.add(str(rec["file"]))
    return ids


def draw(corpus: Path, name: str = "blind3") -> list[Row]:
    seed, files = ROUNDS[name]
    used = earlier_ids(files) | (READ_WHILE_BUILDING if name != "blind3" else set())
    src = pools(corpus)  # unused by the label files of the first round, de-duplicated by text
    rng = random.Random(seed)
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
    parser.add_argument("--set", choices=sorted(ROUNDS), default="blind3")
    args = parser.parse_args(argv)
    rows = draw(args.corpus, args.set)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "a message was drawn twice"
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row['corpus']}:{row['split']}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{args.set}: {len(rows)} messages  " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return write_ids(args.set, rows, check=args.check)


def write_ids(name: str, rows: list[Row], *, check: bool) -> int:
    """Write a set's id file, or with ``check`` compare a fresh draw with it (exit status 1 when it differs)."""
    path = DATA / f"promises_{name}.ids.jsonl"
    text = "".join(lines(rows))
    if check:
        same = path.exists() and path.read_text(encoding="utf-8") == text
        print(f"   {path.name}: {'same' if same else 'DIFFERENT'}")
        return 0 if same else 1
    path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
