"""Score the promise detector on hand-labelled Enron sent mail (see evaluation/GUIDELINES.md).

Usage (from the repository root)::

    .venv/bin/python evaluation/promises_eval.py                      # dev and test sets
    .venv/bin/python evaluation/promises_eval.py --set dev --show all # every error with its sentences
    .venv/bin/python evaluation/promises_eval.py --corpus /path/to/corpus

The labels (evaluation/data/promises_*.jsonl) hold message ids, the yes/no decision, the promise sentences and
the channel; the bodies are read from the shared corpus (aeslc JSON lines), which is not copied into the repo.
The unit is the message: "does this sent message hold a promise the recipient will expect?" The detector
answers yes when ``detect()`` returns at least one promise. It runs exactly as the sync pass runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_sync.text.promises import Promise, detect  # noqa: E402

DATA = ROOT / "evaluation" / "data"
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
# The corpus has no dates; a fixed Wednesday morning in Houston stands in for "sent at".
SENT_AT = datetime(2001, 3, 14, 15, 0, tzinfo=UTC)
TZ = ZoneInfo("America/Chicago")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    channel_right: int = 0
    channel_total: int = 0
    false_pos: list[tuple[str, list[Promise]]] = field(default_factory=list)
    false_neg: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_bodies(corpus: Path, splits: set[str]) -> dict[str, str]:
    bodies: dict[str, str] = {}
    for split in sorted(splits):
        with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                bodies[row["id"]] = row["body"]
    return bodies


def load_labels(name: str) -> list[dict[str, object]]:
    with (DATA / f"promises_{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(labels: list[dict[str, object]], bodies: dict[str, str]) -> Score:
    s = Score()
    for rec in labels:
        mid = str(rec["id"])
        found = detect(bodies[mid], sent_at=SENT_AT, tz=TZ)
        gold = bool(rec["promise"])
        if found and gold:
            s.tp += 1
            s.channel_total += 1
            s.channel_right += found[0].channel == rec.get("channel")
        elif found:
            s.fp += 1
            s.false_pos.append((mid, found))
        elif gold:
            s.fn += 1
            s.false_neg.append((mid, [str(x) for x in rec.get("sentences", [])]))  # type: ignore[attr-defined]
        else:
            s.tn += 1
    return s


def report(name: str, s: Score, *, show: str) -> None:
    n = s.tp + s.fp + s.fn + s.tn
    print(f"== {name}: {n} messages, {s.tp + s.fn} with a promise")
    print(f"   TP {s.tp}  FP {s.fp}  FN {s.fn}  TN {s.tn}")
    print(f"   precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}")
    if s.channel_total:
        print(f"   channel of the first promise right on {s.channel_right}/{s.channel_total} true positives")
    if show == "none":
        return
    for mid, found in s.false_pos:
        print(f"   FP {mid}")
        for p in found:
            print(f"      said: {p.sentence!r} -> action={p.action!r} channel={p.channel}")
    for mid, sentences in s.false_neg:
        print(f"   FN {mid}")
        for sentence in sentences:
            print(f"      gold: {sentence!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show", choices=["none", "all"], default="all", help="list the confusion cases")
    args = parser.parse_args(argv)
    names = ["dev", "test"] if args.set == "all" else [args.set]
    labelled = {name: load_labels(name) for name in names}
    splits = {str(rec["split"]) for recs in labelled.values() for rec in recs}
    bodies = load_bodies(args.corpus, splits)
    for name in names:
        report(name, score(labelled[name], bodies), show=args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
