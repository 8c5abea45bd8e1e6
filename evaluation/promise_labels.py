"""The version-2 promise label schema (evaluation/GUIDELINES.md): loading, checking and matching sentences.

Shared by ``make_packets.py`` (templates), ``agreement.py`` (two annotators, adjudication) and
``promises_eval.py`` (scoring). Knows nothing of the detector.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluation" / "data"
ANNOT = Path("/work/coord/annot")
V2_SETS = ("blind0", "tune2", "blind1", "blind3", "blind4", "blind5", "blind6", "train6", "blind7", "train7")
CHANNELS = ("call", "email", "meeting", "other", None)
# Copied from the id file into every label, never edited by an annotator.
ID_FIELDS = ("id", "corpus", "split", "file", "sent_at")
LABEL_FIELDS = ("promise", "sentences", "channel", "joint", "conditional", "conditional_sentences", "due")
DUE = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?")
DEFAULT_CORPUS = next(
    (p / "shared" / "corpus" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "corpus").is_dir()),
    ROOT.parent / "shared" / "corpus",
)

Label = dict[str, Any]


def read_jsonl(path: Path) -> list[Label]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def set_ids(name: str) -> list[Label]:
    """The id lines of a version-2 set, in packet order."""
    return read_jsonl(DATA / f"promises_{name}.ids.jsonl")


def packets(rows: list[Label], size: int = 50) -> list[list[Label]]:
    """The set cut into packets of about ``size`` messages, in order (all packets within one of each other)."""
    count = max(1, math.ceil(len(rows) / size))
    per = math.ceil(len(rows) / count)
    return [rows[n * per : (n + 1) * per] for n in range(count)]


def packet_names(rows: list[Label]) -> dict[str, str]:
    """id -> "packet_NN" for a set."""
    return {str(r["id"]): f"packet_{n + 1:02d}" for n, part in enumerate(packets(rows)) for r in part}


def template(row: Label) -> Label:
    """An unlabelled line: the id fields, every label field null (so a forgotten line fails the check)."""
    out = {k: row[k] for k in ID_FIELDS if k in row}
    out.update(dict.fromkeys(LABEL_FIELDS))
    return out


def problems(label: Label, ident: Label) -> list[str]:
    """What is wrong with one label line, given its id line (empty when it follows the schema)."""
    out = [f"{k} differs from the id file" for k in ID_FIELDS if k in ident and label.get(k) != ident[k]]
    missing = [k for k in LABEL_FIELDS if label.get(k) is None and k != "channel"]
    if missing:
        return [*out, "not labelled: " + ", ".join(missing)]
    promise, sentences, due = label["promise"], label["sentences"], label["due"]
    if not isinstance(promise, bool) or not isinstance(label["joint"], bool):
        out.append("promise and joint must be true or false")
    if not isinstance(label["conditional"], bool):
        out.append("conditional must be true or false")
    for key in ("sentences", "conditional_sentences", "due"):
        if not isinstance(label[key], list):
            out.append(f"{key} must be a list")
    if out:
        return out
    if label["channel"] not in CHANNELS:
        out.append(f"channel must be one of {CHANNELS}")
    if not all(isinstance(s, str) and s.strip() for s in [*sentences, *label["conditional_sentences"]]):
        out.append("sentences must be non-empty strings")
    if promise != bool(sentences):
        out.append("promise is true exactly when sentences is not empty")
    if label["conditional"] != bool(label["conditional_sentences"]):
        out.append("conditional is true exactly when conditional_sentences is not empty")
    if len(due) != len(sentences):
        out.append("due needs one entry per promise sentence")
    if any(d is not None and not (isinstance(d, str) and DUE.fullmatch(d)) for d in due):
        out.append("due entries are YYYY-MM-DD, YYYY-MM-DDTHH:MM or null")
    if not promise and (label["joint"] or label["channel"] is not None):
        out.append("joint and channel need a promise")
    if "note" in label and label["note"] is not None and not isinstance(label["note"], str):
        out.append("note must be a string")
    return out


def check_labels(labels: Iterable[Label], idents: list[Label], *, complete: bool = True) -> list[str]:
    """Every problem of a set's labels, one line each ("<id>: <problem>")."""
    by_id = {str(row["id"]): row for row in idents}
    seen: set[str] = set()
    out: list[str] = []
    for label in labels:
        mid = str(label.get("id"))
        if mid not in by_id:
            out.append(f"{mid}: not in this set")
            continue
        if mid in seen:
            out.append(f"{mid}: labelled twice")
        seen.add(mid)
        out.extend(f"{mid}: {p}" for p in problems(label, by_id[mid]))
    if complete:
        out.extend(f"{mid}: no label" for mid in by_id if mid not in seen)
    return out


def annotator_labels(name: str, annotator: str, annot: Path = ANNOT) -> list[Label]:
    """One annotator's labels for a set, from every packet file they wrote."""
    folder = annot / name / annotator
    labels: list[Label] = []
    for path in sorted(folder.glob("packet_*.jsonl")):
        labels.extend(read_jsonl(path))
    return labels


_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def similar(a: str, b: str) -> float:
    """How well two quotes of a sentence match: 1.0 when one holds the other, else word overlap (Jaccard)."""
    wa, wb = words(a), words(b)
    if not wa or not wb:
        return 0.0
    ja, jb = " ".join(wa), " ".join(wb)
    if ja in jb or jb in ja:
        return 1.0
    sa, sb = set(wa), set(wb)
    return len(sa & sb) / len(sa | sb)


def align(left: list[str], right: list[str], *, threshold: float = 0.5) -> list[tuple[int, int]]:
    """Pairs (i, j) of sentences that quote the same sentence, best matches first, each used once."""
    scored = sorted(
        ((similar(a, b), i, j) for i, a in enumerate(left) for j, b in enumerate(right)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_l: set[int] = set()
    used_r: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for score, i, j in scored:
        if score < threshold or i in used_l or j in used_r:
            continue
        used_l.add(i)
        used_r.add(j)
        pairs.append((i, j))
    return sorted(pairs)


def same_day(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a[:10] == b[:10]
