"""Score the promise detector on hand-labelled Enron sent mail (see evaluation/GUIDELINES.md).

Usage (from the repository root)::

    .venv/bin/python evaluation/promises_eval.py                      # dev, test and blair sets
    .venv/bin/python evaluation/promises_eval.py --set dev --show all # every error with its sentences
    .venv/bin/python evaluation/promises_eval.py --corpus /path/to/corpus

The labels (evaluation/data/promises_*.jsonl) hold message ids, the yes/no decision, the promise sentences and
the channel; the bodies are read from the shared corpus, which is not copied into the repo: aeslc JSON lines
(dev = random tuning set, train = enriched tuning set, test and test2 = held out) and Lynn Blair's Maildir (blair =
held out; whole messages with quoted replies and real Date headers, so zoning and the sent time are exercised).
The unit is the message: "does this sent message hold a promise the recipient will expect?" The detector
answers yes when ``detect()`` returns at least one promise. It runs exactly as the sync pass runs it.
"""

from __future__ import annotations

import argparse
import email
import email.utils
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
# dev and train are tuning sets (train is enriched: only mail with a first-person/future cue); test, test2 and
# blair were labelled first and never used for tuning (test2 was drawn and labelled after tuning had ended);
# final (random aeslc train mail, disjoint from train) was labelled last and run once, blind, after all tuning.
HELD_OUT = ("test", "test2", "blair", "final")
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


@dataclass(frozen=True)
class Mail:
    body: str
    sent_at: datetime


def load_mail(corpus: Path, labels: list[dict[str, object]]) -> dict[str, Mail]:
    """Bodies (and sent times where the corpus has them) for the labelled ids."""
    mails: dict[str, Mail] = {}
    splits = {str(rec["split"]) for rec in labels if rec["corpus"] == "aeslc"}
    for split in sorted(splits):
        with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                mails[row["id"]] = Mail(row["body"], SENT_AT)
    for rec in labels:
        if rec["corpus"] == "enron-blair-l":
            with (corpus / "enron-blair-l" / str(rec["file"])).open("rb") as fh:
                msg = email.message_from_binary_file(fh)
            payload = msg.get_payload(decode=True)
            body = payload.decode("latin-1") if isinstance(payload, bytes) else ""
            sent_at = email.utils.parsedate_to_datetime(str(msg["Date"])).astimezone(UTC)
            mails[str(rec["id"])] = Mail(body, sent_at)
    return mails


def load_labels(name: str) -> list[dict[str, object]]:
    with (DATA / f"promises_{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(labels: list[dict[str, object]], mails: dict[str, Mail]) -> Score:
    s = Score()
    for rec in labels:
        mid = str(rec["id"])
        mail = mails[mid]
        found = detect(mail.body, sent_at=mail.sent_at, tz=TZ)
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
    parser.add_argument("--set", choices=["dev", "train", "test", "test2", "blair", "final", "all"], default="all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show", choices=["none", "all"], default="all", help="list the confusion cases")
    args = parser.parse_args(argv)
    names = ["dev", "train", "test", "test2", "blair", "final"] if args.set == "all" else [args.set]
    labelled = {name: load_labels(name) for name in names}
    mails = load_mail(args.corpus, [rec for recs in labelled.values() for rec in recs])
    scores = {name: score(labelled[name], mails) for name in names}
    for name in names:
        report(name, scores[name], show=args.show)
    held = [name for name in names if name in HELD_OUT]
    if len(held) > 1:
        pooled = Score()
        for name in held:
            for attr in ("tp", "fp", "fn", "tn"):
                setattr(pooled, attr, getattr(pooled, attr) + getattr(scores[name], attr))
        report(" + ".join(held) + " (held out, pooled)", pooled, show="none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
