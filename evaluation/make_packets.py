"""Write annotation packets for the issue-8 promise sets, OUTSIDE the repository (mail text never enters it).

Usage (from the repository root)::

    .venv/bin/python evaluation/make_packets.py                    # every set into /work/coord/annot
    .venv/bin/python evaluation/make_packets.py --set tune2 --out /tmp/annot

For each set (``evaluation/data/promises_<set>.ids.jsonl``, drawn by ``sample_sets.py``) it writes
``<out>/<set>/packet_NN.txt`` (about 50 messages each, in the id file's order) and ``packet_NN.template.jsonl``
(one unlabelled line per message, the id fields filled in), and copies ``evaluation/ANNOTATORS.md`` to
``<out>/README.md``. An aeslc message shows its author's text as the corpus holds it; a Blair message shows the
whole message as a person reads it (headers, the author's text, then the quoted mail), decoded as
``promises_eval.py`` decodes it. Sent times are shown in the rep's zone (America/Chicago). Annotators' own
folders (``<out>/<set>/<annotator>/``) are never touched.
"""

from __future__ import annotations

import argparse
import email
import email.utils
import json
import shutil
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from promise_labels import ANNOT, DEFAULT_CORPUS, ROOT, V2_SETS, Label, packets, set_ids, template

TZ = ZoneInfo("America/Chicago")
RULE = "=" * 100


def local(sent_at: str) -> str:
    when = datetime.fromisoformat(sent_at).astimezone(TZ)
    return f"{when:%a %Y-%m-%d %H:%M} America/Chicago"


def aeslc_texts(corpus: Path, rows: list[Label]) -> dict[str, tuple[str, str]]:
    """(subject, body) for the aeslc ids of a set."""
    wanted = {str(r["id"]) for r in rows if r["corpus"] == "aeslc"}
    out: dict[str, tuple[str, str]] = {}
    for split in sorted({str(r["split"]) for r in rows if r["corpus"] == "aeslc"}):
        with (corpus / "aeslc" / f"{split}.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row["id"] in wanted:
                    out[row["id"]] = (row.get("subject", ""), row["body"])
    return out


def render(row: Label, corpus: Path, aeslc: dict[str, tuple[str, str]]) -> list[str]:
    """The lines an annotator reads for one message."""
    head = [f"id:      {row['id']}"]
    if row["corpus"] == "aeslc":
        subject, body = aeslc[str(row["id"])]
        head += [
            f"source:  aeslc {row['split']} (author's text only; quoted mail mostly removed by the corpus)",
            f"sent:    {local(row['sent_at'])}  (fixed: aeslc has no dates)",
            f"subject: {subject}",
        ]
    else:
        with (corpus / "enron-blair-l" / str(row["file"])).open("rb") as fh:
            msg = email.message_from_binary_file(fh)
        payload = msg.get_payload(decode=True)
        body = payload.decode("latin-1") if isinstance(payload, bytes) else ""
        head += [
            f"source:  enron-blair-l {row['file']} (whole message: label only the author's own new text)",
            f"sent:    {local(row['sent_at'])}  (Date header: {msg['Date']})",
        ]
        for name in ("From", "To", "Cc", "Subject"):
            if msg[name]:
                head.append(f"{name.lower() + ':':8} {' '.join(str(msg[name]).split())}")
    text = body.replace("\r\n", "\n").rstrip()
    return [*head, "-" * 40 + " text", text, "-" * 40 + f" end of {row['id']}", ""]


def write_set(name: str, corpus: Path, out: Path) -> int:
    rows = set_ids(name)
    aeslc = aeslc_texts(corpus, rows)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    parts = packets(rows)
    for n, part in enumerate(parts):
        stem = f"packet_{n + 1:02d}"
        lines = [
            f"{name} {stem}: {len(part)} messages (label them in {stem}.jsonl; see ../README.md)",
            "",
        ]
        for k, row in enumerate(part, 1):
            lines += [RULE, f"[{name} {stem} - message {k} of {len(part)}]", *render(row, corpus, aeslc)]
        (folder / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (folder / f"{stem}.template.jsonl").write_text(
            "".join(json.dumps(template(row)) + "\n" for row in part), encoding="utf-8"
        )
    return len(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[*V2_SETS, "all"], default="all")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=ANNOT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "evaluation" / "ANNOTATORS.md", args.out / "README.md")
    for name in V2_SETS if args.set == "all" else (args.set,):
        count = write_set(name, args.corpus, args.out)
        print(f"{name}: {count} packets in {args.out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
