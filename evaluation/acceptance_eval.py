"""Score the acceptance rule (``acceptance.accepts``, through ``threads.to_meta``) on a labelled set of replies.

Usage (from the repository root)::

    .venv/bin/python evaluation/acceptance_eval.py agree blind2 --a K --b L     # kappa, disagreements
    .venv/bin/python evaluation/acceptance_eval.py agree blind2 --a K --b L --merge ADJ.jsonl
    .venv/bin/python evaluation/acceptance_eval.py score blind2                 # the figures (sealed: no cases)
    .venv/bin/python evaluation/acceptance_eval.py score blind1 --show          # and every case it gets wrong

Why: a conditional promise ("let me know if the terms work and I'll sign") becomes a live reminder when the
contact's reply accepts. A wrong acceptance is the harmful error (a confident reminder about a promise nobody
wants kept), so precision is reported first; a missed acceptance leaves the rep with the awaiting_reply
reminder they already had.

Each set was written by one annotator without seeing the rule, as a conditional promise of the rep's and the
contact's reply, and labelled again independently by a second from the texts alone: ``blind1`` by I and J
(run once, then tuned on), ``blind2`` by K and L after that tuning (run once, then tuned on), ``blind3`` by M
and N after the second tuning (sealed: its cases need ``--unseal``). The
texts stay outside the repository until the merge (``/work/coord/annot/accept<N>/``). Each reply
is scored as the sync pass sees it: a reply message ("Re:" subject, In-Reply-To) from the contact to the rep,
its body the reply followed by the rep's quoted mail, run through ``threads.to_meta`` (auto-reply and bulk
checks, zoning of the contact's own words, then ``accepts``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_sync.model import Message  # noqa: E402
from followup_sync.threads import to_meta  # noqa: E402

DATA = ROOT / "evaluation" / "data"
ANNOT = Path("/work/coord/annot")
SETS = ("blind1", "blind2", "blind3")
SEALED = ("blind3",)  # its cases only with --unseal
REP = "rep@ourco.example"
CONTACT = "pat.buyer@customer.example"
Row = dict[str, Any]


def read(path: Path) -> list[Row]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def accepted(row: Row) -> bool:
    """Whether the pass would mark this reply as accepting the rep's conditional promise."""
    body = (
        f"{row['reply']}\n\nOn Mon, Mar 1, 2027 at 9:00 AM Sam Rep <{REP}> wrote:\n> Hi Pat,\n>\n"
        f"> {row['promise']}\n>\n> Thanks,\n> Sam\n"
    )
    msg = Message(
        id="reply@customer.example",
        sender=CONTACT,
        to=(REP,),
        cc=(),
        subject="Re: Renewal terms",
        sent_at=datetime(2027, 3, 2, 15, 0, tzinfo=UTC),
        body=body,
        in_reply_to="promise@ourco.example",
        references=("promise@ourco.example",),
    )
    return to_meta(msg, "thread", me=frozenset({REP}), bulk_recipients=15).accepts


def kappa(pairs: list[tuple[bool, bool]]) -> float:
    n = len(pairs)
    observed = sum(x == y for x, y in pairs) / n
    pa, pb = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agree(name: str, a_name: str, b_name: str, merge: Path | None) -> int:
    folder = ANNOT / f"accept{name.removeprefix('blind')}"
    a, b = read(folder / f"{a_name}.jsonl"), read(folder / f"{b_name}.jsonl")
    if [(r["promise"], r["reply"]) for r in a] != [(r["promise"], r["reply"]) for r in b]:
        raise SystemExit(f"{a_name} and {b_name} do not hold the same replies in the same order")
    pairs = [(bool(x["accepts"]), bool(y["accepts"])) for x, y in zip(a, b, strict=True)]
    same = sum(x == y for x, y in pairs)
    print(
        f"acceptance {name}: {len(a)} replies; {a_name} {sum(x for x, _ in pairs)} accept, "
        f"{b_name} {sum(y for _, y in pairs)}; agreed {same}/{len(a)}; kappa {kappa(pairs):.3f}"
    )
    with (folder / "disagreements.jsonl").open("w", encoding="utf-8") as fh:
        for x, y in zip(a, b, strict=True):
            if x["accepts"] != y["accepts"]:
                fh.write(json.dumps({"promise": x["promise"], "reply": x["reply"], a_name: x, b_name: y}) + "\n")
    if merge is None:
        return 0
    decided = {r["reply"]: bool(r["accepts"]) for r in read(merge)}
    out = []
    for x, y in zip(a, b, strict=True):
        disputed = x["accepts"] != y["accepts"]
        if disputed and x["reply"] not in decided:
            raise SystemExit(f"no adjudicated line for {x['reply']!r}")
        out.append(
            {
                "promise": x["promise"],
                "reply": x["reply"],
                "accepts": decided[x["reply"]] if disputed else bool(x["accepts"]),
                "class": x.get("class"),
                "annotators": [a_name, b_name],
                "adjudicated": disputed,
            }
        )
    path = DATA / f"acceptance_{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    print(f"   wrote {path} ({len(out)} lines, {sum(r['adjudicated'] for r in out)} adjudicated)")
    return 0


def score(name: str, show: bool) -> int:
    rows = read(DATA / f"acceptance_{name}.jsonl")
    tp = fp = fn = tn = 0
    wrong: list[tuple[str, Row]] = []
    for row in rows:
        got, want = accepted(row), bool(row["accepts"])
        tp += got and want
        fp += got and not want
        fn += want and not got
        tn += not got and not want
        if got != want:
            wrong.append(("FALSE ACCEPT" if got else "MISSED", row))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(
        f"acceptance {name}: {len(rows)} replies, {tp + fn} accept; TP {tp} FP {fp} FN {fn} TN {tn}: "
        f"precision {precision:.3f} recall {recall:.3f}; "
        f"false acceptances {fp}/{fp + tn} of the replies that do not accept"
    )
    if show:
        for kind, row in wrong:
            print(f"  {kind} [{row.get('class')}] {row['reply']!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_agree = sub.add_parser("agree", help="compare the two annotators, optionally merge the adjudicated labels")
    p_agree.add_argument("set", choices=SETS)
    p_agree.add_argument("--a", default="I")
    p_agree.add_argument("--b", default="J")
    p_agree.add_argument("--merge", type=Path, metavar="ADJUDICATED")
    p_score = sub.add_parser("score", help="run the rule on the merged set")
    p_score.add_argument("set", choices=SETS)
    p_score.add_argument("--show", action="store_true", help="list every reply the rule gets wrong")
    p_score.add_argument("--unseal", action="store_true", help="allow --show on the sealed set")
    args = parser.parse_args(argv)
    if args.command == "agree":
        return agree(args.set, args.a, args.b, args.merge)
    if args.show and args.set in SEALED and not args.unseal:
        parser.error(f"{args.set} is sealed: its cases are shown only with --unseal (the figures need no flag)")
    return score(args.set, args.show)


if __name__ == "__main__":
    sys.exit(main())
