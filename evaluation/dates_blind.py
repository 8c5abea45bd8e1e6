"""Score ``text.dates.find_due`` on the issue-8 phrase sets: right, missed and wrong counted separately.

Sets (evaluation/data/dates_<set>.jsonl, see docs/dates.md "Conventions added for issue 8"):

  blind0   written and labelled before the grammar was changed for issue 8; run once on the old grammar to
           record its first-run figures, then open for tuning
  tune2    for tuning
  blind1   sealed: run once, on the final grammar (``--misses`` needs ``--unseal``)
  blind2   written by hand by the second annotator, labelled by a third; sealed like blind1 until its first
           run (FIRST_RUNS.md), open for tuning since
  blind3   the second blind round: written by hand by annotator F from issue 8's classes without seeing the
           grammar, labelled again independently by G, disagreements adjudicated (``dates_agreement.py``); run
           once (FIRST_RUNS.md), open for tuning since
  blind4   the third round: written by annotator U from issue 8's classes with a template script of their own
           (300 distinct wordings over 483 rows), labelled again by V by reading; sealed like blind1
  blind5   the fourth round: 510 sentences written by annotator AD from issue 8's classes (125 without a due,
           many of them numbers that only look like times), labelled again by AE without AD's answers (510/510
           agreed); run once (FIRST_RUNS.md), open for tuning since
  blind6   the fifth round: 527 sentences by annotator AF (133 without a due), labelled again by AG without AF's
           answers (527/527 agreed); sealed like blind1
  negatives2  for tuning, not blind: phrases that only look like dates or times (codes, prices, ratios, scores,
           days naming things, quotes, opening hours, irregular past tenses ...), written by the grammar's engineer
           with the positives next to them that must keep working (docs/dates.md "Never a due date")
  negatives3  for tuning, not blind: the same, for the classes of blind5's misses (policies stated with
           "within", codes with a letter or an EOD in them, recurring days of the month, street names, days
           listed with a past one, "next year's budget", "at 6 once ...", "early tomorrow morning", "on the
           twelfth", "within the hour"), written by the grammar's engineer before the change was scored on them

A row is *right* when the due date is right and, where a time was stated (``has_time``), the clock time too;
on a negative (``expected`` null) only when no due date came back. It is *missed* when a due was expected and
none came back, *wrong* when a due came back that is not the expected one (a false due on a negative counts as
wrong and is also shown on its own). The rep's holiday calendar (``country``, ``subdiv``) is passed to the
reader when its options know those fields.

Run:  .venv/bin/python evaluation/dates_blind.py blind0 tune2 [--misses]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_sync.text.dates import DateOptions, find_due  # noqa: E402

DATA = ROOT / "evaluation" / "data"
SETS = ("blind0", "tune2", "blind1", "blind2", "blind3", "blind4", "blind5", "negatives2", "negatives3", "blind6")
SEALED = ("blind1", "blind4", "blind6")


@dataclass
class Score:
    rows: int = 0
    right: int = 0
    missed: int = 0
    wrong: int = 0
    negatives: int = 0
    false_dues: int = 0
    flags_ok: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    class_rows: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        def pct(n: int) -> str:
            return f"{100 * n / max(self.rows, 1):5.1f}%"

        return (
            f"{self.rows:4} rows  right {self.right:4} {pct(self.right)}  "
            f"missed {self.missed:3} {pct(self.missed)}  "
            f"wrong {self.wrong:3} {pct(self.wrong)}  false dues on negatives {self.false_dues}/{self.negatives}  "
            f"has_time+deadline right on {self.flags_ok}/{self.right - (self.negatives - self.false_dues)}"
        )


def options_for(row: dict[str, object]) -> DateOptions:
    names = {f.name for f in dataclasses.fields(DateOptions)}
    extra = {
        o: row.get(k)
        for k, o in (("country", "country"), ("subdiv", "subdivision"))
        if o in names and row.get(k) is not None
    }
    return DateOptions(**extra)  # type: ignore[arg-type]


def score(name: str, *, misses: bool) -> Score:
    s = Score()
    for line in (DATA / f"dates_{name}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        tz = ZoneInfo(row["tz"])
        sent = datetime.fromisoformat(row["sent_at"]).astimezone(tz)
        exp = datetime.fromisoformat(row["expected"]) if row["expected"] else None
        due = find_due(row["text"], sent_at=sent, tz=tz, options=options_for(row))
        got = due.when.replace(tzinfo=None, second=0, microsecond=0) if due else None
        s.rows += 1
        cls = str(row.get("class", "?"))
        s.class_rows[cls] += 1
        if exp is None:
            s.negatives += 1
            ok = got is None
            s.false_dues += not ok
        elif got is None:
            ok = False
            s.missed += 1
        else:
            ok = got.date() == exp.date() and (not row["has_time"] or got == exp)
        if ok:
            s.right += 1
            s.by_class[cls] += 1
            if due is not None and due.has_time == row["has_time"] and due.deadline == row["deadline"]:
                s.flags_ok += 1
        elif got is not None:
            s.wrong += 1
        if misses and not ok:
            kind = "MISSED" if got is None else "WRONG"
            print(f"  [{name}:{cls}] {kind} {row['text']!r} sent {row['sent_at']} {row['tz']}")
            print(f"      expected {exp} got {got} {due and (due.has_time, due.deadline, due.text)}")
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", default=["tune2"], choices=SETS)
    parser.add_argument("--misses", action="store_true", help="list every row that is not right")
    parser.add_argument("--unseal", action="store_true", help="allow --misses on a sealed set")
    parser.add_argument("--by-class", action="store_true", help="right per class of phrase")
    args = parser.parse_args(argv)
    for name in args.sets:
        if args.misses and name in SEALED and not args.unseal:
            parser.error(f"{name} is sealed: its misses are not shown without --unseal")
        if not (DATA / f"dates_{name}.jsonl").exists():
            print(f"{name}: no label file yet")
            continue
        s = score(name, misses=args.misses)
        print(f"{name:7} {s.line()}")
        if args.by_class:
            for cls, n in sorted(s.class_rows.items()):
                print(f"          {cls:20} {s.by_class[cls]:3}/{n:<3}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
