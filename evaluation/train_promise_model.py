"""Train the second-stage promise model (followup_sync/text/_promise_model.py) and measure it honestly.

Usage (from the repository root)::

    .venv/bin/python evaluation/train_promise_model.py            # leave-one-set-out figures, then write the model
    .venv/bin/python evaluation/train_promise_model.py --no-write # figures only
    .venv/bin/python evaluation/train_promise_model.py --show blind3   # the held-out decisions that changed

Data: the candidate sentences (``promises.candidates``: every sentence the rules flag or a cue marks) of the
version-2 sets tune2, blind0, blind3, blind4, blind5, blind6 (after their first runs), train6 (6,400 aeslc train
messages of both folders, labelled once each by ten annotators) and train7 (3,450 more, aeslc train and dev inbox,
labelled once by six) and the version-1 sets dev, train, test, test2, final and blair. A
candidate is positive when it quotes a labelled promise sentence (``promise_labels.align``). Version-1 labels
count joint follow-ups ("talk to you tomorrow") as no promise where version 2 counts them: a version-1 negative
with a joint cue is left out of training. blind1 (the aeslc test split) and blind7 (sealed) are never read.

Model: logistic regression on the features of ``_promise_model.features`` (word 1-2-grams, the cue, the rules'
findings, a few coarse shapes), over every candidate (the rules' own sentences too, so it learns where they
are wrong), L2-regularised, trained by AdaGrad in pure Python (no numpy, no scikit-learn).

Measurement: leave-one-set-out. Each set is predicted by a model trained on every other set; a reported set's
two thresholds (``drop_below``, ``add_at``: see ``promises.keep``) are picked on the pooled out-of-set
predictions of the other untuned sets (never on its own labels), keeping precision at ``TARGET_P`` where they can
(on unseen mail they cannot: the best F1 is taken).
Rules alone and rules + model are compared on every reported set, but the rules were tuned on most of them;
the decision to switch the model on by default is made on the sets they were never tuned on (``UNTUNED``:
blind5 and blind6 after their first runs, whose confusion cases nobody has read, train6 and train7; the
learned stage's impersonal cues were written after reading train6's uncovered promises). The shipped model is
trained on every set, with thresholds picked on the pooled out-of-set predictions of the untuned sets.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "evaluation"))

from promise_labels import align  # noqa: E402
from promises_eval import DEFAULT_CORPUS, TZ, Mail, load_labels, load_mail  # noqa: E402

from followup_sync.text._promise_model import features  # noqa: E402
from followup_sync.text.promises import added_promise, candidates, keep, rule_view  # noqa: E402
from followup_sync.text.zoning import author_text  # noqa: E402

V2 = ("tune2", "blind0", "blind3", "blind4", "blind5", "blind6", "train6", "train7")
V1 = ("dev", "train", "test", "test2", "final", "blair")
# blind1 is the aeslc test split (measurement only); blind7 is sealed until its first run.
NEVER = ("blind1", "blind7")
# The sets whose held-out figures are printed, and among them the sets the rules were never tuned on: the
# rules were shaped on tune2, blind0, blind3, blind4 (after their first runs), dev and train, so a comparison
# there flatters the rules; whether the model is on by default is decided on UNTUNED alone.
REPORTED = ("tune2", "blind0", "blind3", "blind4", "blind5", "blind6", "train6", "train7")
UNTUNED = ("blind5", "blind6", "train6", "train7")
OUT = ROOT / "followup_sync" / "text" / "_promise_model.json"
_JOINTISH = re.compile(r"\b(?:let'?s|let us|talk|speak|chat|catch up|touch base|see you|meet)\b")
DROP_GRID = (0.0, 0.02, 0.05)
MIN_GAIN = 0.01  # pooled held-out F1 the model must add to be switched on by default
ADD_GRID = (0.8, 0.85, 0.9, 0.95, 2.0)  # 2.0: never add
PRUNE = 0.1  # |weight| below this is dropped
# Only confident decisions: with add_at 0.5 / drop_below 0.1 (the best F1 held out) the model turned guideline
# look-alikes into promises ("I'll abide by your decision.") and dropped plain ones ("I'll take it from here."),
# tests/test_promise_classes.py; the grids stop where it does neither.
TARGET_P = 0.90  # issue 8's precision goal: thresholds keep it where the training data allow


@dataclass
class Cand:
    feats: list[str]
    label: int
    fires: bool
    live: bool  # a promise that counts at message level if kept (not conditional, not dropped by its own checks)
    train: bool  # used for training (version-1 joint negatives are not)
    sentence: str


@dataclass
class Msg:
    set: str
    mid: str
    gold: bool
    cands: list[Cand]


def _strings(value: object) -> list[str]:
    return [str(x) for x in value] if isinstance(value, list) else []


def build(name: str, labels: list[dict[str, object]], mails: dict[str, Mail]) -> list[Msg]:
    out: list[Msg] = []
    for rec in labels:
        mid = str(rec["id"])
        mail = mails[mid]
        found = candidates(author_text(mail.body), sent_at=mail.sent_at, tz=TZ)
        gold_sents = [str(x) for key in ("sentences", "conditional_sentences") for x in _strings(rec.get(key))]
        positive = {j for _, j in align(gold_sents, [c.sentence for c in found])}
        cands: list[Cand] = []
        for j, c in enumerate(found):
            view = rule_view(c)
            if c.rule is not None:
                live = not c.rule.conditional
            else:
                added = added_promise(c, sent_at=mail.sent_at, tz=TZ)
                live = added is not None and not added.conditional
            label = int(j in positive)
            train = not (name in V1 and not label and _JOINTISH.search(c.sentence.lower()))
            feats = features(c.sentence[:2000], c.cue, view)
            cands.append(Cand(feats, label, view.fires, live, train, " ".join(c.sentence.split())))
        out.append(Msg(name, mid, bool(rec["promise"]), cands))
    return out


@dataclass
class Fit:
    weights: dict[str, float]
    bias: float


def train(msgs: list[Msg], *, l2: float = 3e-3, epochs: int = 25, min_count: int = 3, seed: int = 7) -> Fit:
    # Every candidate, the rules' own sentences included (their findings are features): with train6 there are
    # enough of them to learn where the rules are wrong as well as what they miss.
    rows = [(sorted(set(c.feats)), c.label) for m in msgs for c in m.cands if c.train]
    counts: dict[str, int] = {}
    for feats, _ in rows:
        for f in feats:
            counts[f] = counts.get(f, 0) + 1
    rows = [([f for f in feats if counts[f] >= min_count], y) for feats, y in rows]
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    bias, gb = 0.0, 0.0
    lr = 0.3
    rnd = random.Random(seed)
    n = len(rows)
    for _ in range(epochs):
        rnd.shuffle(rows)
        for feats, y in rows:
            z = bias + sum(w.get(f, 0.0) for f in feats)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = p - y
            gb += g * g
            bias -= lr * g / math.sqrt(gb + 1e-8)
            for f in feats:
                wf = w.get(f, 0.0)
                gf = g + l2 * n * wf / n  # per-example share of the L2 penalty
                acc = g2.get(f, 0.0) + gf * gf
                g2[f] = acc
                w[f] = wf - lr * gf / math.sqrt(acc + 1e-8)
    # Weights too small to move a decision are dropped (the shipped file stays small), before any measurement.
    return Fit({f: round(v, 2) for f, v in w.items() if abs(v) >= PRUNE}, bias)


def prob(fit: Fit, feats: list[str]) -> float:
    z = fit.bias + sum(fit.weights.get(f, 0.0) for f in set(feats))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


Probs = list[list[float]]  # per message, per candidate


def predict(msgs: list[Msg], fit: Fit) -> Probs:
    return [[prob(fit, c.feats) for c in m.cands] for m in msgs]


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def __str__(self) -> str:
        return f"P {self.p:.3f} R {self.r:.3f} F1 {self.f1:.3f} (TP {self.tp} FP {self.fp} FN {self.fn})"


def says(m: Msg, probs: list[float] | None, drop: float, add: float) -> bool:
    for c, p in zip(m.cands, probs or [0.0] * len(m.cands), strict=True):
        if not c.live:
            continue
        if probs is None:
            if c.fires:
                return True
        elif keep(c.fires, p, drop_below=drop, add_at=add):
            return True
    return False


def measure(msgs: list[Msg], probs: Probs | None, drop: float = 0.0, add: float = 2.0) -> PRF:
    s = PRF()
    for i, m in enumerate(msgs):
        said = says(m, probs[i] if probs is not None else None, drop, add)
        if said and m.gold:
            s.tp += 1
        elif said:
            s.fp += 1
        elif m.gold:
            s.fn += 1
        else:
            s.tn += 1
    return s


def pick(msgs: list[Msg], probs: Probs) -> tuple[float, float]:
    """Thresholds with the best F1 among those that keep precision at ``TARGET_P`` (the best F1 overall when
    none does)."""
    best: tuple[bool, float, float, float] = (False, -1.0, 0.0, 2.0)
    for drop in DROP_GRID:
        for add in ADD_GRID:
            s = measure(msgs, probs, drop, add)
            cand = (s.p >= TARGET_P, s.f1, drop, add)
            if cand[:2] > best[:2]:
                best = cand
    return best[2], best[3]


def loso_probs(by_set: dict[str, list[Msg]], targets: tuple[str, ...]) -> dict[str, Probs]:
    """Out-of-set predictions for ``targets``: each predicted by a model trained on every other set given."""
    out: dict[str, Probs] = {}
    for name in targets:
        rest = [m for other, ms in by_set.items() if other != name for m in ms]
        out[name] = predict(by_set[name], train(rest))
        print(f"  (trained without {name})", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--show", choices=REPORTED, help="list the held-out messages whose decision changed")
    args = parser.parse_args(argv)
    # A set whose labels are not merged yet is left out (and said so).
    names = tuple(n for n in (*V2, *V1) if (ROOT / "evaluation" / "data" / f"promises_{n}.jsonl").exists())
    if missing := [n for n in (*V2, *V1) if n not in names]:
        print(f"no labels yet for {', '.join(missing)}: left out")
    assert not set(names) & set(NEVER)
    labelled = {name: load_labels(name) for name in names}
    mails = load_mail(args.corpus, [rec for recs in labelled.values() for rec in recs])
    by_set = {name: build(name, labelled[name], mails) for name in names}
    for name in names:
        ms = by_set[name]
        pos = sum(c.label for m in ms for c in m.cands)
        gold = sum(m.gold for m in ms)
        covered = sum(m.gold and any(c.label and c.live for c in m.cands) for m in ms)
        n = sum(len(m.cands) for m in ms)
        print(
            f"{name}: {len(ms)} messages, {n} candidates ({pos} positive); {covered}/{gold} promise messages "
            "covered"
        )

    print("\nLeave-one-set-out: each set predicted by a model trained on every other set; the thresholds")
    print("for a reported set are picked on the pooled out-of-set predictions of the OTHER untuned sets")
    every = loso_probs(by_set, names)
    pooled_rules, pooled_model = PRF(), PRF()  # over UNTUNED
    for held in (n for n in REPORTED if n in names):
        # Thresholds from the untuned sets only: on the others the rules look better than on unseen mail.
        others = [n for n in names if n != held and n in UNTUNED]
        drop, add = pick([m for n in others for m in by_set[n]], [p for n in others for p in every[n]])
        rules = measure(by_set[held], None)
        model = measure(by_set[held], every[held], drop, add)
        for acc, s in ((pooled_rules, rules), (pooled_model, model)) if held in UNTUNED else ():
            acc.tp, acc.fp, acc.fn, acc.tn = acc.tp + s.tp, acc.fp + s.fp, acc.fn + s.fn, acc.tn + s.tn
        print(f"  {held:7s} rules        {rules}" + ("" if held in UNTUNED else "   (rules tuned on this set)"))
        print(f"  {held:7s} rules+model  {model}   (drop_below {drop}, add_at {add})")
        if args.show == held:
            for i, m in enumerate(by_set[held]):
                a = says(m, None, 0, 2)
                b = says(m, every[held][i], drop, add)
                if a != b:
                    tag = "gained" if b == m.gold else "lost"
                    print(f"    {tag} {m.mid} gold={m.gold}")
                    for c, p in zip(m.cands, every[held][i], strict=True):
                        print(f"      {p:.2f} fires={c.fires} live={c.live} label={c.label} {c.sentence[:140]!r}")
    print(f"  pooled over {', '.join(UNTUNED)} (the sets the rules were never tuned on):")
    print(f"          rules        {pooled_rules}")
    print(f"          rules+model  {pooled_model}")

    print("\nThe same out-of-set predictions at a few thresholds (for reading only; thresholds are picked above):")
    for drop in (0.0, 0.1, 0.2, 0.3):
        for add in (0.3, 0.4, 0.5, 0.6):
            pooled = PRF()
            for n in (n for n in UNTUNED if n in names):
                s = measure(by_set[n], every[n], drop, add)
                pooled.tp, pooled.fp, pooled.fn, pooled.tn = (
                    pooled.tp + s.tp, pooled.fp + s.fp, pooled.fn + s.fn, pooled.tn + s.tn
                )  # fmt: skip
            print(f"  drop_below {drop:.2f} add_at {add:.2f}: pooled {pooled}")
    untuned = [n for n in names if n in UNTUNED]
    drop, add = pick([m for n in untuned for m in by_set[n]], [p for n in untuned for p in every[n]])
    # On by default only for a held-out gain on the untuned sets, without losing precision there.
    better = pooled_model.f1 >= pooled_rules.f1 + MIN_GAIN and pooled_model.p >= pooled_rules.p - 0.01
    fit = train([m for ms in by_set.values() for m in ms])
    print(f"\nShipped model: {len(fit.weights)} weights, drop_below {drop}, add_at {add}, enabled {better}")
    if not args.no_write:
        raw = {
            "about": "trained by evaluation/train_promise_model.py; read by followup_sync/text/_promise_model.py",
            "bias": round(fit.bias, 4),
            "drop_below": drop,
            "add_at": add,
            "enabled": better,
            "weights": dict(sorted(fit.weights.items())),
        }
        OUT.write_text(json.dumps(raw, separators=(",", ":"), sort_keys=False) + "\n", encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
