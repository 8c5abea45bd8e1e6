"""Zoning accuracy and speed: followup_sync.text.zoning against the reply-parsing libraries on real mail.

Data, from ../shared/corpus/enron-blair-l, picked by a fixed stride over sorted file names (not by content):

- ``evaluation/data/zoning_enron_blair.jsonl`` ("dev"): 71 messages (34 sent by the mailbox owner, 19 inbox,
  18 deleted items). The zoner's signature rules were tuned after seeing its failures here.
- ``evaluation/data/zoning_enron_blair_heldout.jsonl`` ("held-out"): 47 other messages (24 sent, 21 from other
  folders, 2 calendar entries), labelled before the zoner was run on them and not used for tuning.

Each record holds the message path and two line numbers of its decoded body (lines split on "\\n"):

- ``author_end``: lines ``[0, author_end)`` are the author's own new text (greeting included). A sign-off on a
  line of its own ("Thanks,", "Thanks. Lynn", "Lynn"), a name/title/phone block, a "Sent from my BlackBerry"
  line, a newsletter footer are *not* author text; a sign-off sharing a line with text is (line granularity).
- ``quote_start``: from this line on everything is quoted or forwarded material (the separator or header block
  that opens it, including Lotus Notes name/date lines above "To:"); equals the line count when there is none.
  Lines ``[author_end, quote_start)`` are the signature zone.

Scores per method (a line matches when its whitespace-normalised text occurs in the normalised output):

- clean: no quoted line of 12+ characters survives (the product requirement: nothing quoted is ever read);
  lines whose text also occurs in the author's part are not used for this or for ``strict``;
- complete: every non-blank author line survives;
- correct: clean and complete;  strict: correct and no signature-zone line survives.

Speed: messages per second over every message of the whole mailbox (3,375 bodies) and over the 7,894 sent bodies
of ../shared/corpus/aeslc, best of ``--repeat`` runs, one process, one core.

Run:  .venv/bin/python evaluation/zoning_eval.py [--libs DIR] [--repeat 3] [--show METHOD]
The libraries are optional; install them somewhere outside the project for the comparison, e.g.
``.venv/bin/python -m pip install --target /tmp/zonelibs mail-parser-reply email-reply-parser quotequail`` and
pass ``--libs /tmp/zonelibs``. Methods whose library is missing are reported as skipped.
"""

from __future__ import annotations

import argparse
import email
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_sync.text.zoning import author_text  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "enron-blair-l"
LABEL_SETS = {
    "dev": ROOT / "evaluation" / "data" / "zoning_enron_blair.jsonl",
    "held-out": ROOT / "evaluation" / "data" / "zoning_enron_blair_heldout.jsonl",
}
MIN_QUOTED_CHARS = 12


def read_body(path: Path) -> str:
    msg = email.message_from_binary_file(path.open("rb"))
    payload = msg.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode("latin-1").replace("\r\n", "\n")


def methods() -> dict[str, Callable[[str], str] | str]:
    """Name -> zoning function, or a string saying why the method is unavailable."""
    found: dict[str, Callable[[str], str] | str] = {"followup_sync": author_text}
    try:
        from email_reply_parser import EmailReplyParser as Erp

        found["email-reply-parser"] = lambda body: Erp.parse_reply(body) or ""
    except ImportError as exc:
        found["email-reply-parser"] = f"skipped ({exc})"
    try:
        from mailparser_reply import EmailReplyParser as Mpr

        parser = Mpr(languages=["en", "de", "fr", "es"])
        found["mail-parser-reply"] = lambda body: parser.parse_reply(body) or ""
    except ImportError as exc:
        found["mail-parser-reply"] = f"skipped ({exc})"
    try:
        import quotequail

        def qq(body: str) -> str:
            parts = quotequail.quote(body)
            return "\n".join(text for shown, text in parts if shown)

        found["quotequail"] = qq
    except ImportError as exc:
        found["quotequail"] = f"skipped ({exc})"
    return found


def norm(text: str) -> str:
    return " ".join(text.split())


def score(lines: list[str], author_end: int, quote_start: int, output: str) -> dict[str, bool]:
    out = norm(output)
    author = [norm(line) for line in lines[:author_end] if line.strip()]
    gold = norm("\n".join(lines[:author_end]))
    # A line whose text also occurs in the author's part cannot tell whether it leaked; skip those.
    signature = [n for line in lines[author_end:quote_start] if len(n := norm(line)) > 1 and n not in gold]
    quoted = [n for line in lines[quote_start:] if len(n := norm(line)) >= MIN_QUOTED_CHARS and n not in gold]
    clean = not any(q in out for q in quoted)
    complete = all(a in out for a in author)
    no_signature = not any(s in out for s in signature)
    return {
        "clean": clean,
        "complete": complete,
        "correct": clean and complete,
        "strict": clean and complete and no_signature,
    }


def all_bodies(corpus: Path) -> list[str]:
    return [read_body(p) for p in sorted(corpus.rglob("*.corpus"))]


def accuracy(
    fn: Callable[[str], str], cases: list[tuple[dict[str, str], list[str]]]
) -> tuple[dict[str, int], list]:
    totals = {"clean": 0, "complete": 0, "correct": 0, "strict": 0}
    failures = []
    for rec, lines in cases:
        result = score(lines, int(rec["author_end"]), int(rec["quote_start"]), fn("\n".join(lines)))
        for key, ok in result.items():
            totals[key] += ok
        if not result["strict"]:
            failures.append((rec["id"], {k: v for k, v in result.items() if not v}))
    return totals, failures


def aeslc_sent_bodies(corpus_root: Path) -> list[str]:
    """The 7,894 sent bodies of ../shared/corpus/aeslc (all splits), the issue's throughput corpus."""
    bodies = []
    for split in ("train", "dev", "test"):
        path = corpus_root / "aeslc" / f"{split}.jsonl"
        if path.exists():
            for raw in path.read_text().splitlines():
                rec = json.loads(raw)
                if rec.get("folder") == "sent":
                    bodies.append(rec["body"])
    return bodies


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--libs", type=Path, help="extra directory with the comparison libraries")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--show", help="print the failures of this method")
    args = ap.parse_args()
    if args.libs:
        sys.path.append(str(args.libs))
    sets = {}
    for name, path in LABEL_SETS.items():
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        sets[name] = [(r, read_body(args.corpus / r["id"]).split("\n")) for r in records]
    bodies = all_bodies(args.corpus)
    aeslc = aeslc_sent_bodies(args.corpus.parent)
    print(
        f"speed corpus: {len(bodies)} bodies, {sum(map(len, bodies)) / len(bodies):.0f} chars on average; "
        f"python {sys.version.split()[0]}"
    )
    header = f"{'method':<20} {'set':<9} {'n':>3} {'correct':>8} {'strict':>8} {'clean':>8} {'complete':>9}"
    print(header + f" {'msg/s':>9} {'us/msg':>8}")
    print("-" * (len(header) + 19))
    speeds = []
    for name, fn in methods().items():
        if isinstance(fn, str):
            print(f"{name:<20} {fn}")
            continue
        best = min(timed(fn, bodies) for _ in range(args.repeat))
        if aeslc:
            fastest = min(timed(fn, aeslc) for _ in range(args.repeat))
            speeds.append(f"{name:<20} aeslc sent bodies ({len(aeslc)}): {len(aeslc) / fastest:9.0f} msg/s")
        for set_name, cases in sets.items():
            totals, failures = accuracy(fn, cases)
            n = len(cases)
            speed = f" {len(bodies) / best:9.0f} {best / len(bodies) * 1e6:8.1f}" if set_name == "dev" else ""
            print(
                f"{name:<20} {set_name:<9} {n:>3} {totals['correct'] / n:8.1%} {totals['strict'] / n:8.1%} "
                f"{totals['clean'] / n:8.1%} {totals['complete'] / n:9.1%}{speed}"
            )
            if args.show == name:
                for ident, result in failures:
                    print("   ", ident, result)
    print("\n".join(speeds))


def timed(fn: Callable[[str], str], bodies: list[str]) -> float:
    started = time.perf_counter()
    for body in bodies:
        fn(body)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
