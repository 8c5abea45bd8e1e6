"""Accuracy of followup_sync.text.signals on labelled real mail.

1. ``questions``: sentence-level precision/recall/F1 on the Parakweet email-intent set
   (../shared/corpus/email-intent). The rules were tuned on ``Ask0729-fixed.txt`` only; the figure to quote is
   the one on ``testSet-qualifiedBatch-fixed.txt``. Note the label mismatch: email-intent's "Yes" covers
   requests and proposals *including* marketing calls to action ("Click here to ..."), open offers ("Please
   feel free to call me if you have any questions") and dated commitments, which our definition excludes
   (open offers and marketing await no answer), while it marks many genuine questions "No". A perfect
   detector for our definition would therefore not reach F1 1.0 here.
2. Hand-labelled messages of ../shared/corpus/enron-blair-l (ids + labels in ``evaluation/data``; the labels
   were written by reading the raw messages, and the rules were adjusted afterwards, so these are development
   figures, not held-out ones):

   - ``away_enron_blair.jsonl``: every non-calendar message whose subject or first 600 characters mention
     out-of-office, vacation, auto-reply, "be back", "returning" (132). ``away`` = the message is an absence
     notice of its sender (automatic, or written by hand with the same purpose); ``return_date`` = the date
     the text names as the end of the absence ("until X", "through X", "back on X", "returning X"), null when
     none is named or it is unusable. Scored: P/R/F1 of ``auto_reply() is not None`` and exact local-date
     accuracy of ``return_at``. Messages outside the pool that the detector flags are listed as well.
   - ``ack_enron_blair.jsonl``: 94 short messages by stride plus 268 messages whose first words include
     thanks/ok/great/sounds good...; ``ack`` = the new text only thanks, acknowledges or approves ("Sounds
     good", "Looks good to me", "Thanks for the update"), asking nothing and adding no information or decision.
   - ``bulk_enron_blair.jsonl``: 57 received messages by stride; ``bulk`` = newsletter, announcement or
     report broadcast to a list (no personal answer expected). This corpus has no List-*/Precedence headers,
     so ``is_bulk`` can only count recipients; ``is_bulk or is_noreply(sender)`` is reported too.
   - ``offer``/``order``: this mailbox (pipeline logistics) has few sales offers or orders; the script counts
     what the detectors flag over the whole mailbox and scores precision against ``offer_order_enron_blair.jsonl``
     (every flagged message, labelled by hand).

Run:  .venv/bin/python evaluation/signals_eval.py [--show away|ack|bulk|offer|order|questions]
"""

from __future__ import annotations

import argparse
import email
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, date
from email.message import Message as EmailMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from followup_sync.model import KEPT_HEADERS, Message  # noqa: E402
from followup_sync.text import signals  # noqa: E402
from followup_sync.text.zoning import author_text  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
MAILBOX = CORPUS / "enron-blair-l"
DATA = ROOT / "evaluation" / "data"
TZ = ZoneInfo("America/Chicago")  # the mailbox owner's zone (Houston)


def load_message(rel: str) -> tuple[Message, str]:
    """The project's Message for one Maildir file, and its author text."""
    raw: EmailMessage = email.message_from_binary_file((MAILBOX / rel).open("rb"))
    payload = raw.get_payload(decode=True)
    body = payload.decode("latin-1") if isinstance(payload, bytes) else ""
    sent = parsedate_to_datetime(raw["Date"]).astimezone(UTC)
    msg = Message(
        id=(raw["Message-ID"] or rel).strip("<> ").lower(),
        sender=parseaddr(raw["From"] or "")[1].lower(),
        to=tuple(a.lower() for _, a in getaddresses(raw.get_all("To", [])) if a),
        cc=tuple(a.lower() for _, a in getaddresses(raw.get_all("Cc", [])) if a),
        subject=" ".join((raw["Subject"] or "").split()),
        sent_at=sent,
        body=body,
        headers=tuple((h, str(raw[h])) for h in KEPT_HEADERS if raw[h] is not None),
    )
    return msg, author_text(body)


def prf(pairs: Iterable[tuple[bool, bool]]) -> tuple[float, float, float, int, int, int]:
    tp = fp = fn = 0
    for gold, pred in pairs:
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def line(name: str, scores: tuple[float, float, float, int, int, int], extra: str = "") -> None:
    p, r, f, tp, fp, fn = scores
    print(f"{name:<44} P={p:.3f} R={r:.3f} F1={f:.3f}  (tp={tp} fp={fp} fn={fn}){extra}")


def records(name: str) -> list[dict[str, object]]:
    return [json.loads(x) for x in (DATA / name).read_text().splitlines() if x.strip()]


def eval_questions(show: bool) -> None:
    for label, fname in (("tuning", "Ask0729-fixed.txt"), ("test", "testSet-qualifiedBatch-fixed.txt")):
        pairs, misses = [], []
        started = time.perf_counter()
        for raw in (CORPUS / "email-intent" / fname).read_text(encoding="utf-8", errors="replace").splitlines():
            gold, _, sentence = raw.partition("\t")
            pred = bool(signals.questions(sentence))
            pairs.append((gold.strip() == "Yes", pred))
            if pred != (gold.strip() == "Yes"):
                misses.append((gold.strip(), sentence))
        took = time.perf_counter() - started
        line(
            f"questions, email-intent {label} ({len(pairs)} sentences)",
            prf(pairs),
            f"  {len(pairs) / took:,.0f} sentences/s",
        )
        if show and label == "test":
            for gold, sentence in misses:
                print(f"    gold={gold:<3} {sentence[:120]}")


def eval_away(show: bool) -> None:
    pairs, dates_ok, dates_n, shown = [], 0, 0, []
    labelled = {str(r["id"]): r for r in records("away_enron_blair.jsonl")}
    for rel, rec in labelled.items():
        msg, text = load_message(rel)
        found = signals.auto_reply(msg, text, tz=TZ)
        pairs.append((bool(rec["away"]), found is not None))
        if rec["away"] != (found is not None):
            shown.append(f"    gold={rec['away']!s:<5} {msg.subject[:50]!r} {text[:90]!r}")
        want = rec.get("return_date")
        if rec["away"] and want is not None:
            dates_n += 1
            got = found.return_at.astimezone(TZ).date() if found and found.return_at else None
            dates_ok += got == date.fromisoformat(str(want))
            if got != date.fromisoformat(str(want)):
                shown.append(f"    date want={want} got={got} {text[:100]!r}")
    line(
        f"auto_reply / away notice ({len(pairs)} messages)",
        prf(pairs),
        f"  return date exact {dates_ok}/{dates_n}",
    )
    outside = []
    for rel in all_messages():
        if rel in labelled:
            continue
        msg, text = load_message(rel)
        if signals.auto_reply(msg, text, tz=TZ) is not None:
            outside.append(f"    outside pool: {rel} {msg.subject[:50]!r} {text[:80]!r}")
    print(f"    flagged outside the labelled pool: {len(outside)} (listed with --show away)")
    if show:
        print("\n".join(shown + outside))


def eval_simple(name: str, fname: str, key: str, predict: Callable[[Message, str], bool], show: bool) -> None:
    pairs, shown = [], []
    for rec in records(fname):
        msg, text = load_message(str(rec["id"]))
        pred = predict(msg, text)
        pairs.append((bool(rec[key]), pred))
        if pred != rec[key]:
            shown.append(
                f"    gold={rec[key]!s:<5} n={len(msg.recipients):<3} {msg.sender[:25]:<25} {text[:90]!r}"
            )
    line(f"{name} ({len(pairs)} messages)", prf(pairs))
    if show:
        print("\n".join(shown))


def eval_offer_order(show: bool) -> None:
    labels = {(str(r["id"]), str(r["kind"])): bool(r["correct"]) for r in records("offer_order_enron_blair.jsonl")}
    flagged: dict[str, list[tuple[str, str]]] = {"offer": [], "order": []}
    for rel in all_messages():
        msg, text = load_message(rel)
        got = signals.offer(text, subject=msg.subject, attachments=msg.attachments)
        if got:
            flagged["offer"].append((rel, got))
        placed = signals.order(text, subject=msg.subject, sent_at=msg.sent_at, tz=TZ)
        if placed:
            flagged["order"].append((rel, placed.evidence))
    for kind, hits in flagged.items():
        judged = [labels[(rel, kind)] for rel, _ in hits if (rel, kind) in labels]
        good = sum(judged)
        precision = f"{good / len(judged):.3f}" if judged else "n/a"
        print(
            f"{kind:<44} flagged {len(hits)} of {len(all_messages())} messages; "
            f"labelled {len(judged)}, precision {precision}"
        )
        if show:
            for rel, evidence in hits:
                print(f"    {labels.get((rel, kind))!s:<5} {rel} {evidence[:100]!r}")


_ALL: list[str] = []


def all_messages() -> list[str]:
    """Every message of the mailbox except calendar entries (the .meetings folders)."""
    if not _ALL:
        _ALL.extend(
            str(p.relative_to(MAILBOX))
            for p in sorted(MAILBOX.rglob("*.corpus"))
            if not p.relative_to(MAILBOX).parts[0].startswith(".meetings")
        )
    return _ALL


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--show", help="list the errors of one signal")
    args = ap.parse_args()
    eval_questions(args.show == "questions")
    eval_away(args.show == "away")
    eval_simple(
        "is_acknowledgement",
        "ack_enron_blair.jsonl",
        "ack",
        lambda m, t: signals.is_acknowledgement(t),
        args.show == "ack",
    )
    eval_simple(
        "is_bulk(max_recipients=15)",
        "bulk_enron_blair.jsonl",
        "bulk",
        lambda m, t: signals.is_bulk(m, max_recipients=15),
        args.show == "bulk",
    )
    eval_simple(
        "is_bulk(15) or is_noreply(sender)",
        "bulk_enron_blair.jsonl",
        "bulk",
        lambda m, t: signals.is_bulk(m, max_recipients=15) or signals.is_noreply(m.sender),
        args.show == "bulk",
    )
    eval_offer_order(args.show in ("offer", "order"))


if __name__ == "__main__":
    main()
