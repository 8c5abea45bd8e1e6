"""Score the promise detector on hand-labelled Enron sent mail (see evaluation/GUIDELINES.md).

Usage (from the repository root)::

    .venv/bin/python evaluation/promises_eval.py                      # the version-1 sets and tune2
    .venv/bin/python evaluation/promises_eval.py --set dev --show all # every error with its sentences
    .venv/bin/python evaluation/promises_eval.py --set blind0 --show none   # a sealed set: name it explicitly
    .venv/bin/python evaluation/promises_eval.py --set blind1 --show none   # only on the final detector
    .venv/bin/python evaluation/promises_eval.py --corpus /path/to/corpus
    .venv/bin/python evaluation/promises_eval.py --learned            # with the learned second stage on

The labels (evaluation/data/promises_*.jsonl) hold message ids, the yes/no decision, the promise sentences and
the channel; the bodies are read from the shared corpus, which is not copied into the repo: aeslc JSON lines
(dev = random tuning set, train = enriched tuning set, test and test2 = held out) and Lynn Blair's Maildir (blair =
held out; whole messages with quoted replies and real Date headers, so zoning and the sent time are exercised).
The unit is the message: "does this sent message hold a promise the recipient will expect?" The detector
answers yes when ``detect()`` returns at least one promise that is not conditional. It runs exactly as the sync
pass runs it.

The version-2 sets of issue 8 (guidelines version 2, two annotators, adjudicated; drawn by sample_sets.py) also
carry dues, joint and conditional promises, and are scored for them too:

- ``tune2``: development (half of it enriched with mail holding a first-person or "let's" cue);
- ``blind0``: sealed until its first run (by the lead, on the detector as it was before issue 8), then tuning;
- ``blind1``: sealed until the end of the first round: run once on that detector; its confusion cases are shown
  only with ``--unseal`` (it is the aeslc test split: never tune on it);
- ``blind3``: the second blind round (``sample_blind3.py``), drawn after blind1's run and labelled by two new
  annotators; run once on the second round's detector (FIRST_RUNS.md), open for tuning since;
- ``blind4``: the third blind round, drawn after blind3's run (``sample_blind3.py --set blind4``), labelled by
  two more new annotators; run once on the third round's detector, open for tuning since;
- ``blind5``: the fourth round, drawn after blind4's run (``sample_blind3.py --set blind5``), labelled by two more
  new annotators; sealed until its one run, same ``--unseal`` rule.

No blind set is part of ``--set all``: a run on them has to be asked for by name.

Dues are scored per labelled promise sentence that has a due: **right** when the detected promise quoting that
sentence has a due on the same local day (the clock time is reported separately where one was labelled),
**wrong** when it has a due on another day, **missed** when no detected promise quotes the sentence or it has no
due; a due on a detected promise whose labelled sentence states no time is counted as **given where none is
stated**. Conditional promises are read from ``Promise.conditional`` when the detector has that attribute
(false otherwise); joint-promise recall is the share of messages with a joint or impersonal promise that are
detected as holding a promise.
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
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "evaluation"))

from promise_labels import V2_SETS, align, same_day  # noqa: E402

from followup_sync.text.promises import Promise, detect  # noqa: E402

DATA = ROOT / "evaluation" / "data"
# dev and train are tuning sets (train is enriched: only mail with a first-person/future cue); test, test2 and
# blair were labelled first and never used for tuning (test2 was drawn and labelled after tuning had ended);
# final (random aeslc train mail, disjoint from train) was labelled last and run once, blind, after all tuning.
HELD_OUT = ("test", "test2", "blair", "final")
V1_SETS = ("dev", "train", "test", "test2", "blair", "final")
SEALED = ("blind0", "blind1", "blind3", "blind4", "blind5", "blind6", "blind7")  # never in --set all
UNSEAL_ONLY = ("blind1", "blind5", "blind6", "blind7")  # their confusion cases need --unseal
# /work/main/.. or, from a worktree, /work/wt/<name>/../..
DEFAULT_CORPUS = next(
    (p / "shared" / "corpus" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)
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
    # version-2 labels only
    v2: bool = False
    due_right: int = 0
    due_wrong: int = 0
    due_missed: int = 0
    due_unstated: int = 0
    time_right: int = 0
    time_total: int = 0
    cond_tp: int = 0
    cond_fp: int = 0
    cond_fn: int = 0
    joint_found: int = 0
    joint_total: int = 0
    due_cases: list[tuple[str, str, str, str]] = field(default_factory=list)  # (kind, id, sentence, detail)
    cond_cases: list[tuple[str, str, str]] = field(default_factory=list)  # (FP|FN, id, sentence)

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
    for rec in labels:  # version-2 labels carry their sent time (the same values, written down)
        if rec.get("sent_at") and str(rec["id"]) in mails:
            sent = datetime.fromisoformat(str(rec["sent_at"])).astimezone(UTC)
            mails[str(rec["id"])] = Mail(mails[str(rec["id"])].body, sent)
    return mails


def load_labels(name: str) -> list[dict[str, object]]:
    path = DATA / f"promises_{name}.jsonl"
    if not path.exists():
        raise SystemExit(f"{path.name} does not exist yet: the {name} labels are written after adjudication")
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def is_conditional(p: Promise) -> bool:
    """A promise kept pending until the contact accepts (issue 8); false for detectors without the attribute."""
    return bool(getattr(p, "conditional", False))


def score_dues(s: Score, mid: str, rec: dict[str, Any], live: list[Promise]) -> None:
    """Compare the dues of the detected promises with the labelled dues, sentence by sentence."""
    gold: list[str] = [str(x) for x in rec["sentences"]]
    dues: list[str | None] = list(rec["due"])
    pairs = dict(align(gold, [p.sentence for p in live]))
    for i, sentence in enumerate(gold):
        want = dues[i]
        p = live[pairs[i]] if i in pairs else None
        got = p.due.when.astimezone(TZ) if p is not None and p.due is not None else None
        if want is None:
            if got is not None:
                s.due_unstated += 1
                s.due_cases.append(("given, none stated", mid, sentence, f"{got:%Y-%m-%dT%H:%M}"))
            continue
        if got is None:
            s.due_missed += 1
            why = "promise not found" if p is None else "no due"
            s.due_cases.append(("missed", mid, sentence, f"{why}; labelled {want}"))
        elif same_day(want, f"{got:%Y-%m-%d}"):
            s.due_right += 1
            if "T" in want:
                s.time_total += 1
                ok = p is not None and p.due is not None and p.due.has_time and f"{got:%H:%M}" == want[11:]
                s.time_right += ok
                if not ok:
                    s.due_cases.append(("time", mid, sentence, f"got {got:%Y-%m-%dT%H:%M}; labelled {want}"))
        else:
            s.due_wrong += 1
            s.due_cases.append(("wrong", mid, sentence, f"got {got:%Y-%m-%dT%H:%M}; labelled {want}"))


def score(labels: list[dict[str, Any]], mails: dict[str, Mail], *, learned: bool | None = None) -> Score:
    s = Score(v2="due" in (labels[0] if labels else {}))
    for rec in labels:
        mid = str(rec["id"])
        mail = mails[mid]
        found = detect(mail.body, sent_at=mail.sent_at, tz=TZ, learned=learned)
        live = [p for p in found if not is_conditional(p)]
        gold = bool(rec["promise"])
        if live and gold:
            s.tp += 1
            s.channel_total += 1
            s.channel_right += live[0].channel == rec.get("channel")
        elif live:
            s.fp += 1
            s.false_pos.append((mid, live))
        elif gold:
            s.fn += 1
            s.false_neg.append((mid, [str(x) for x in rec.get("sentences", [])]))
        else:
            s.tn += 1
        if not s.v2:
            continue
        if gold:
            score_dues(s, mid, rec, live)
        if rec.get("joint"):
            s.joint_total += 1
            s.joint_found += bool(live)
        said = [p for p in found if is_conditional(p)]
        if said and rec["conditional"]:
            s.cond_tp += 1
        elif said:
            s.cond_fp += 1
            s.cond_cases.extend(("FP", mid, p.sentence) for p in said)
        elif rec["conditional"]:
            s.cond_fn += 1
            s.cond_cases.extend(("FN", mid, str(x)) for x in rec["conditional_sentences"])
    return s


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def report(name: str, s: Score, *, show: str) -> None:
    n = s.tp + s.fp + s.fn + s.tn
    print(f"== {name}: {n} messages, {s.tp + s.fn} with a promise")
    print(f"   TP {s.tp}  FP {s.fp}  FN {s.fn}  TN {s.tn}")
    print(f"   precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}")
    if s.channel_total:
        print(f"   channel of the first promise right on {s.channel_right}/{s.channel_total} true positives")
    if s.v2:
        stated = s.due_right + s.due_wrong + s.due_missed
        print(
            f"   due (over {stated} promise sentences with a labelled due): right {s.due_right} "
            f"({ratio(s.due_right, stated)})  missed {s.due_missed} ({ratio(s.due_missed, stated)})  "
            f"wrong {s.due_wrong} ({ratio(s.due_wrong, stated)});  given where none stated {s.due_unstated}"
        )
        print(f"   clock time right on {s.time_right}/{s.time_total} right days labelled with a time")
        print(
            f"   conditional promises: TP {s.cond_tp}  FP {s.cond_fp}  FN {s.cond_fn}  precision "
            f"{ratio(s.cond_tp, s.cond_tp + s.cond_fp)}  recall {ratio(s.cond_tp, s.cond_tp + s.cond_fn)}"
        )
        print(
            f"   joint/impersonal promises: recall {ratio(s.joint_found, s.joint_total)} "
            f"({s.joint_found}/{s.joint_total} messages)"
        )
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
    for kind, mid, sentence, detail in s.due_cases:
        print(f"   due {kind} {mid}: {sentence!r} ({detail})")
    for kind, mid, sentence in s.cond_cases:
        print(f"   conditional {kind} {mid}: {sentence!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[*V1_SETS, *V2_SETS, "all"], default="all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show", choices=["none", "all"], default="all", help="list the confusion cases")
    parser.add_argument(
        "--unseal", action="store_true", help="allow the confusion cases of " + ", ".join(UNSEAL_ONLY)
    )
    parser.add_argument(
        "--learned", action="store_true", help="with the learned second stage on (off by default in the detector)"
    )
    args = parser.parse_args(argv)
    if args.set == "all":
        names = [*V1_SETS, *(n for n in V2_SETS if n not in SEALED and (DATA / f"promises_{n}.jsonl").exists())]
    else:
        names = [args.set]
    sealed = [n for n in names if n in UNSEAL_ONLY]
    if sealed and args.show != "none" and not args.unseal:
        parser.error(
            f"{sealed[0]} is sealed until the final detector: its confusion cases are shown only with --unseal "
            "(use --show none for the figures of its one run)"
        )
    labelled = {name: load_labels(name) for name in names}
    mails = load_mail(args.corpus, [rec for recs in labelled.values() for rec in recs])
    scores = {name: score(labelled[name], mails, learned=args.learned or None) for name in names}
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
