"""Agreement between two annotators of a version-2 promise set, and the merge of the adjudicated labels.

Usage (from the repository root)::

    .venv/bin/python evaluation/agreement.py tune2 --check A        # one annotator's labels: complete, valid?
    .venv/bin/python evaluation/agreement.py tune2                  # A against B: kappa, dues, disagreements
    .venv/bin/python evaluation/agreement.py tune2 --merge /work/coord/annot/tune2/adjudicated.jsonl
    .venv/bin/python evaluation/agreement.py train6 --gather T1,T2,...,T10   # a set labelled once, for training

The labels are read from ``/work/coord/annot/<set>/<annotator>/packet_*.jsonl`` (schema: evaluation/GUIDELINES.md,
"Label schema"). The comparison prints Cohen's kappa at message level for ``promise``, ``conditional`` and
``joint``, and the agreement on dues where both annotators found a promise (per promise sentence both quoted,
and per message), then writes every message on which they differ to ``<set>/disagreements.jsonl`` with both
labels and the fields that differ. ``--merge`` takes the adjudicator's file (one full label line for every
disagreement) and writes ``evaluation/data/promises_<set>.jsonl``: the agreed label (annotator A's quotes) or the
adjudicated one, with ``annotators`` and ``adjudicated`` added. Nothing here reads a detector.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from promise_labels import (
    ANNOT,
    DATA,
    ID_FIELDS,
    LABEL_FIELDS,
    V2_SETS,
    Label,
    align,
    annotator_labels,
    check_labels,
    packet_names,
    read_jsonl,
    set_ids,
)


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    """Cohen's kappa of two binary raters (1.0 when they agree on everything, even on a constant answer)."""
    n = len(pairs)
    if not n:
        return float("nan")
    agree = sum(a == b for a, b in pairs) / n
    pa = sum(a for a, _ in pairs) / n
    pb = sum(b for _, b in pairs) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if chance == 1 else (agree - chance) / (1 - chance)


def differences(a: Label, b: Label) -> list[str]:
    """The fields on which two labels of one message disagree (quote boundaries and notes do not count)."""
    out = [k for k in ("promise", "conditional", "joint") if a[k] != b[k]]
    if a["promise"] and b["promise"]:
        if a["channel"] != b["channel"]:
            out.append("channel")
        pairs = align(a["sentences"], b["sentences"])
        if len(pairs) != len(a["sentences"]) or len(pairs) != len(b["sentences"]):
            out.append("sentences")
        if any(a["due"][i] != b["due"][j] for i, j in pairs) or sorted(map(str, a["due"])) != sorted(
            map(str, b["due"])
        ):
            out.append("due")
    if a["conditional"] and b["conditional"]:
        pairs = align(a["conditional_sentences"], b["conditional_sentences"])
        if len(pairs) != len(a["conditional_sentences"]) or len(pairs) != len(b["conditional_sentences"]):
            out.append("conditional_sentences")
    return out


def load_checked(name: str, annotator: str, annot: Path, idents: list[Label]) -> dict[str, Label]:
    labels = annotator_labels(name, annotator, annot)
    errors = check_labels(labels, idents)
    if errors:
        raise SystemExit(
            f"{annotator}'s labels for {name} are not complete or not valid:\n  " + "\n  ".join(errors[:40])
        )
    return {str(label["id"]): label for label in labels}


def check(name: str, annotator: str, annot: Path) -> int:
    idents = set_ids(name)
    labels = annotator_labels(name, annotator, annot)
    errors = check_labels(labels, idents, complete=False)
    done = {str(x.get("id")) for x in labels}
    bad = {e.split(":", 1)[0] for e in errors}
    ok = [x for x in labels if str(x.get("id")) not in bad]
    positives = sum(bool(x["promise"]) for x in ok)
    conditional = sum(bool(x["conditional"]) for x in ok)
    joint = sum(bool(x["joint"]) for x in ok)
    for line in errors:
        print(f"  {line}")
    print(
        f"{name}/{annotator}: {len(done & {str(r['id']) for r in idents})} of {len(idents)} messages labelled, "
        f"{len(ok)} valid; promise {positives}, joint {joint}, conditional {conditional}; {len(errors)} problems"
    )
    return 1 if errors else 0


def compare(name: str, first: str, second: str, annot: Path) -> int:
    idents = set_ids(name)
    a = load_checked(name, first, annot, idents)
    b = load_checked(name, second, annot, idents)
    order = [str(r["id"]) for r in idents]
    print(f"== {name}: {len(order)} messages, annotators {first} and {second}")
    for key in ("promise", "conditional", "joint"):
        pairs = [(bool(a[m][key]), bool(b[m][key])) for m in order]
        both = sum(x and y for x, y in pairs)
        print(
            f"   {key:12} kappa {kappa(pairs):.3f}  agree {sum(x == y for x, y in pairs)}/{len(pairs)}  "
            f"{first} {sum(x for x, _ in pairs)}  {second} {sum(y for _, y in pairs)}  both {both}"
        )
    sent_pairs = same_due = msgs = same_msgs = 0
    for m in order:
        if a[m]["promise"] and b[m]["promise"]:
            msgs += 1
            same_msgs += sorted(map(str, a[m]["due"])) == sorted(map(str, b[m]["due"]))
            for i, j in align(a[m]["sentences"], b[m]["sentences"]):
                sent_pairs += 1
                same_due += a[m]["due"][i] == b[m]["due"][j]
    if msgs:
        print(
            f"   due: same on {same_due}/{sent_pairs} promise sentences both quoted"
            f" ({same_due / max(sent_pairs, 1):.1%}),"
        )
        print(
            f"        same set of dues on {same_msgs}/{msgs} messages both called a promise"
            f" ({same_msgs / msgs:.1%})"
        )
    packet = packet_names(idents)
    out = annot / name / "disagreements.jsonl"
    rows = []
    for m in order:
        fields = differences(a[m], b[m])
        if fields:
            rows.append({"id": m, "fields": fields, first: a[m], second: b[m], "packet": packet[m]})
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        for f in row["fields"]:
            counts[f] = counts.get(f, 0) + 1
    print(f"   {len(rows)} messages to adjudicate -> {out}  ({', '.join(f'{k} {v}' for k, v in counts.items())})")
    return 0


def final_line(
    ident: Label, src: Label, notes: list[object], annotators: list[str], *, adjudicated: bool
) -> Label:
    """One line of a final label file: the id fields, the chosen labels, their notes joined, who labelled it."""
    line: Label = {k: ident[k] for k in ID_FIELDS if k in ident}
    line.update({k: src[k] for k in LABEL_FIELDS})
    if any(notes):
        line["note"] = " | ".join(str(x) for x in notes if x)
    line["annotators"] = annotators
    line["adjudicated"] = adjudicated
    return line


def merge(name: str, adjudicated: Path, first: str, second: str, annot: Path) -> int:
    idents = set_ids(name)
    a = load_checked(name, first, annot, idents)
    b = load_checked(name, second, annot, idents)
    decided = read_jsonl(adjudicated)
    errors = check_labels(decided, idents, complete=False)
    if errors:
        raise SystemExit("the adjudicated file has problems:\n  " + "\n  ".join(errors[:40]))
    by_id = {str(x["id"]): x for x in decided}
    open_ = [
        str(r["id"]) for r in idents if differences(a[str(r["id"])], b[str(r["id"])]) and str(r["id"]) not in by_id
    ]
    if open_:
        raise SystemExit(f"{len(open_)} disagreements are not adjudicated, e.g. {', '.join(open_[:5])}")
    path = DATA / f"promises_{name}.jsonl"
    n_adj = 0
    with path.open("w", encoding="utf-8") as fh:
        for ident in idents:
            m = str(ident["id"])
            notes = [x.get("note") for x in ((by_id[m],) if m in by_id else (a[m], b[m]))]
            line = final_line(ident, by_id.get(m, a[m]), notes, [first, second], adjudicated=m in by_id)
            n_adj += m in by_id
            fh.write(json.dumps(line) + "\n")
    print(f"{path}: {len(idents)} messages, {n_adj} adjudicated")
    return 0


def gather(name: str, annotators: list[str], annot: Path, *, partial: bool) -> int:
    """A training set labelled once (each packet by one annotator): every annotator's valid lines, in id order.

    ``partial``: write what is there (an interim file while packets are still being labelled); otherwise every
    message must be labelled exactly once."""
    idents = set_ids(name)
    by_id: dict[str, tuple[str, Label]] = {}
    for who in annotators:
        labels = annotator_labels(name, who, annot)
        bad = {e.split(":", 1)[0] for e in check_labels(labels, idents, complete=False)}
        for label in labels:
            m = str(label.get("id"))
            if m in bad:
                continue
            if m in by_id:
                raise SystemExit(f"{m} is labelled by both {by_id[m][0]} and {who}")
            by_id[m] = (who, label)
    missing = [str(r["id"]) for r in idents if str(r["id"]) not in by_id]
    if missing and not partial:
        raise SystemExit(f"{len(missing)} messages have no valid label, e.g. {', '.join(missing[:5])}")
    path = DATA / f"promises_{name}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for ident in idents:
            m = str(ident["id"])
            if m not in by_id:
                continue
            who, src = by_id[m]
            line = final_line(ident, src, [src.get("note")], [who], adjudicated=False)
            fh.write(json.dumps(line) + "\n")
    print(f"{path}: {len(by_id)} of {len(idents)} messages, labelled once" + (" (partial)" if missing else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=V2_SETS)
    parser.add_argument("--a", default="A", help="first annotator (default A)")
    parser.add_argument("--b", default="B", help="second annotator (default B)")
    parser.add_argument(
        "--annot", type=Path, default=ANNOT, help="the packets' folder (default /work/coord/annot)"
    )
    parser.add_argument("--check", metavar="ANNOTATOR", help="only check one annotator's labels")
    parser.add_argument("--merge", metavar="ADJUDICATED", type=Path, help="write the final label file")
    parser.add_argument(
        "--gather", metavar="A,B,...", help="a set labelled once per packet (train6): write its label file"
    )
    parser.add_argument("--partial", action="store_true", help="with --gather: allow unlabelled messages")
    args = parser.parse_args(argv)
    if args.gather:
        return gather(args.set, args.gather.split(","), args.annot, partial=args.partial)
    if args.check:
        return check(args.set, args.check, args.annot)
    if args.merge:
        return merge(args.set, args.merge, args.a, args.b, args.annot)
    return compare(args.set, args.a, args.b, args.annot)


if __name__ == "__main__":
    sys.exit(main())
