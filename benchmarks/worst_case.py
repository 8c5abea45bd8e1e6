"""Worst-case CPU time per message over adversarial bodies, through the reading path of a sync pass.

Each hostile body (``tests/hostile.py``: an opening such as "PO", "Thanks," or "at 3", then a long run of
one character class, then an end) is read as the pass reads mail: ``backends.mime.parse_message`` (as a
file or IMAP source delivers it; the MIME reader keeps 200,000 characters of a body) or handed over uncut (as
the Graph backend delivers it), then ``threads.to_meta`` and ``rules.find_followups``, once as received from
a contact and once as sent by the rep. Its cost is compared with a benign body of the same size (real Enron
prose from ../shared/corpus/aeslc when it is there, else generated sentences): the issue's goal is that no
message costs more than 50 ms beyond that size-linear cost, and that 1 MB adversarial bodies stay under 1 s.

    .venv/bin/python benchmarks/worst_case.py            # the whole grid (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/worst_case.py --quick    # fewer openings and ends at the large sizes

Times are this thread's CPU seconds (``time.thread_time``), the best of --repeat runs for the worst cases.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import hostile  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "aeslc" / "train.jsonl"
GOAL_EXCESS = 0.050
GOAL_MEGABYTE = 1.0


def benign(chars: int, corpus: Path) -> str:
    """Real sent-mail prose of about ``chars`` characters (or generated sentences without the corpus)."""
    parts: list[str] = []
    size = 0
    if corpus.exists():
        with corpus.open(encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line)["body"]
                parts.append(text)
                size += len(text) + 2
                if size >= chars:
                    break
    while size < chars:
        sentence = "Thanks for the call today, I will send the revised figures to Bob by Friday. "
        parts.append(sentence)
        size += len(sentence)
    return "\n\n".join(parts)[:chars]


def cost(subject: str, body: str, *, html: bool, via_mime: bool, repeat: int = 1) -> float:
    msg = (
        hostile.eml(subject=subject, body=body, html=html)
        if via_mime
        else hostile.message(subject=subject, body=body, html=html)
    )
    return min(hostile.read_as_the_pass_does(msg) for _ in range(repeat))


def grid(chars: int, *, quick: bool) -> Iterator[tuple[str, str, str, str, str]]:
    """(label, subject, body, run, context) for the hostile bodies of about ``chars`` characters."""
    for name, run, context, end in hostile.cases(every_end=not quick):
        if quick and chars >= 100_000 and context not in ("", "Can you send it?", "Thanks,", "Hi Bob,", "at 3"):
            continue
        text = (
            hostile.megabyte(context, run, chars=chars)
            if chars >= 100_000
            else hostile.body(context, run, chars, end)
        )
        subject = (context + run * 3000 + end)[:4000].replace("\r", " ").replace("\n", " ")
        yield f"{name} after {context!r}, end {end!r}", subject, text, run, context


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="body sizes in characters")
    ap.add_argument("--quick", action="store_true", help="fewer openings and ends at 100,000 characters and up")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each of the worst cases (best taken)")
    ap.add_argument("--top", type=int, default=5, help="worst cases printed per size and reader")
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="aeslc JSON lines for the benign bodies")
    args = ap.parse_args()
    print(f"worst_case.py on {platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(f"benign bodies: {args.corpus if args.corpus.exists() else 'generated sentences'}\n")
    failed = False
    for chars in (int(c) for c in args.sizes.split(",")):
        for via_mime in (True, False):
            reader = "MIME (file/IMAP)" if via_mime else "uncut (Graph)"
            base = min(
                cost("Re: figures", benign(chars, args.corpus), html=False, via_mime=via_mime)
                for _ in range(args.repeat)
            )
            results = []
            for label, subject, text, run, _context in grid(chars, quick=args.quick):
                html = run.startswith(("&", "<"))
                results.append((cost(subject, text, html=html, via_mime=via_mime), label, subject, text, html))
            results.sort(key=lambda r: r[0], reverse=True)
            worst = [
                (cost(s, t, html=h, via_mime=via_mime, repeat=args.repeat), label)
                for _, label, s, t, h in results[: args.top]
            ]
            worst.sort(reverse=True)
            top, _ = worst[0]
            excess = top - base
            goal = GOAL_MEGABYTE if chars >= 1_000_000 else None
            ok = excess <= GOAL_EXCESS and (goal is None or top <= goal)
            failed |= not ok
            print(
                f"{chars:>9,} chars, {reader:17} {len(results):5} bodies  benign {base * 1e3:7.1f} ms  "
                f"worst {top * 1e3:7.1f} ms  excess {excess * 1e3:+7.1f} ms  {'ok' if ok else 'OVER GOAL'}"
            )
            for seconds, label in worst:
                print(f"    {seconds * 1e3:8.1f} ms  {label}")
    print("\ngoal: excess over the benign body of the same size <= 50 ms; 1 MB bodies <= 1 s each")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
