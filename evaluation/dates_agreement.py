"""Agreement between two annotators of a hand-written date phrase set, and the merged label file.

Usage (from the repository root)::

    .venv/bin/python evaluation/dates_agreement.py blind3                  # agreement, disagreements.jsonl
    .venv/bin/python evaluation/dates_agreement.py blind3 --merge ADJ.jsonl  # evaluation/data/dates_blind3.jsonl

The writer (``--a``, default F) wrote each phrase with its due; the second annotator (``--b``, default G)
labelled the same lines, without the writer's answers, from ``unlabelled.jsonl``. Two labels agree when both say
"no due", or both give the same local day and, where either stated a time, the same clock time (the scorer's
own rule in ``dates_blind.py``). Reported: Cohen's kappa on due / no due, the share of phrases where the whole
label agrees, and has_time / deadline agreement on the agreed dues. ``disagreements.jsonl`` holds both labels of
every phrase they do not agree on, for an adjudicator, who writes one line per such phrase (``text``,
``expected``, ``has_time``, ``deadline``) into the file given to ``--merge``. Phrases both annotators agree on
take the writer's line; the merged file marks each line ``adjudicated`` true or false and names the annotators.
The phrase files stay outside the repository until the merge (``/work/coord/annot/dates<N>/``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluation" / "data"
ANNOT = Path("/work/coord/annot")
LABEL_KEYS = ("expected", "has_time", "deadline")
Row = dict[str, Any]


def read(path: Path) -> list[Row]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def same_due(a: Row, b: Row) -> bool:
    if a["expected"] is None or b["expected"] is None:
        return a["expected"] is None and b["expected"] is None
    if a["expected"][:10] != b["expected"][:10]:
        return False
    return not (a["has_time"] or b["has_time"]) or a["expected"][:16] == b["expected"][:16]


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    pa = sum(x for x, _ in pairs) / n
    pb = sum(y for _, y in pairs) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", help="the set's name, e.g. blind3 (folder dates3 under the annotation root)")
    parser.add_argument("--a", default="F", help="the writer (default F)")
    parser.add_argument("--b", default="G", help="the second annotator (default G)")
    parser.add_argument("--annot", type=Path, default=ANNOT)
    parser.add_argument("--merge", type=Path, metavar="ADJUDICATED")
    args = parser.parse_args(argv)
    folder = args.annot / f"dates{args.set.removeprefix('blind')}"
    a, b = read(folder / f"{args.a}.jsonl"), read(folder / f"{args.b}.jsonl")
    if [r["text"] for r in a] != [r["text"] for r in b]:
        raise SystemExit(f"{args.a} and {args.b} do not hold the same phrases in the same order")
    agree = [same_due(x, y) for x, y in zip(a, b, strict=True)]
    dues = [(x["expected"] is not None, y["expected"] is not None) for x, y in zip(a, b, strict=True)]
    both = [(x, y) for (x, y), ok in zip(zip(a, b, strict=True), agree, strict=True) if ok and x["expected"]]
    print(
        f"{args.set}: {len(a)} phrases; {args.a} {sum(x for x, _ in dues)} with a due, "
        f"{args.b} {sum(y for _, y in dues)}; kappa due/no due {kappa(dues):.3f}; "
        f"whole label agreed {sum(agree)}/{len(a)} ({100 * sum(agree) / len(a):.1f} %); "
        f"has_time agreed {sum(x['has_time'] == y['has_time'] for x, y in both)}/{len(both)}, "
        f"deadline {sum(x['deadline'] == y['deadline'] for x, y in both)}/{len(both)} on agreed dues"
    )
    with (folder / "disagreements.jsonl").open("w", encoding="utf-8") as fh:
        for x, y, ok in zip(a, b, agree, strict=True):
            if not ok:
                line = {k: x[k] for k in x if k not in (*LABEL_KEYS, "note")}
                line[args.a] = {k: x.get(k) for k in (*LABEL_KEYS, "note")}
                line[args.b] = {k: y.get(k) for k in (*LABEL_KEYS, "note")}
                fh.write(json.dumps(line) + "\n")
    print(f"   {len(agree) - sum(agree)} disagreements in {folder / 'disagreements.jsonl'}")
    if args.merge is None:
        return 0
    decided = {r["text"]: r for r in read(args.merge)}
    out = []
    for x, ok in zip(a, agree, strict=True):
        row = {k: v for k, v in x.items() if k != "note"}
        if not ok:
            if x["text"] not in decided:
                raise SystemExit(f"no adjudicated line for {x['text']!r}")
            row.update({k: decided[x["text"]][k] for k in LABEL_KEYS})
        row.update(split=args.set, annotators=[args.a, args.b], adjudicated=not ok)
        out.append(row)
    path = DATA / f"dates_{args.set}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    print(f"   wrote {path} ({len(out)} lines, {sum(not ok for ok in agree)} adjudicated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
