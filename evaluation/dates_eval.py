"""Score ``text.dates.find_due`` on the labelled time expressions, and the usual libraries side by side.

Data: evaluation/data/dates.jsonl, one row per sentence: text, sent_at (ISO with offset), tz, expected (local
ISO datetime, or null when the sentence states no future due date), has_time, deadline, split ("dev" was used
while tuning the grammar; "heldout" was written before tuning and is only measured), optional source (the
aeslc id a phrase was taken from).

Metrics, per split:
  exact date    the row's expected date (or null) is exactly what came back
  exact time    on rows with a stated time: date, hour and minute all right
  false dues    negatives (expected null) that got a due date anyway
  flags         has_time and deadline right, on rows where the date is right (ours only)
plus throughput (sentences/s, warm, on this set and on real Enron sent-mail sentences when ../shared/corpus is
there) and import time (fresh interpreter, median of 5).

Run:  .venv/bin/python evaluation/dates_eval.py            # ours; libraries that are missing are skipped
      .venv/bin/python evaluation/dates_eval.py --misses   # also list every row we get wrong

The comparison libraries are NOT project dependencies (ctparse pins python-dateutil<3, Recognizers-Text needs
emoji==1.7.0); install them into a separate venv and run the script from there:
  python3 -m venv .venv-eval
  .venv-eval/bin/pip install -e . dateparser parsedatetime ctparse timefhuman datefinder \
      recognizers-text-suite emoji==1.7.0
  .venv-eval/bin/python evaluation/dates_eval.py
Each library gets a thin adapter: the sent time as the naive local reference, English only, and the first
candidate on or after the sent date (the rule used in ../shared/notes/timeexpr.md). A date-only answer is
compared on its date.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "evaluation" / "data" / "dates.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus" / "aeslc"

SPLITS = ("dev", "heldout", "heldout-b", "heldout-c")
Adapter = Callable[[str, datetime], datetime | None]  # (text, naive local sent time) -> naive local due


@dataclass(frozen=True)
class Row:
    text: str
    sent: datetime
    tz: ZoneInfo
    expected: datetime | None
    has_time: bool
    deadline: bool
    split: str


def load(path: Path = DATA) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        tz = ZoneInfo(d["tz"])
        exp = datetime.fromisoformat(d["expected"]) if d["expected"] else None
        sent = datetime.fromisoformat(d["sent_at"]).astimezone(tz)
        rows.append(Row(d["text"], sent, tz, exp, d["has_time"], d["deadline"], d["split"]))
    return rows


# --- adapters --------------------------------------------------------------------------------------------------


def first_future(values: Iterable[datetime | None], sent: datetime) -> datetime | None:
    for value in values:
        if value is not None and value.date() >= sent.date():
            return value.replace(tzinfo=None, second=0, microsecond=0)
    return None


def dateparser_adapter() -> Adapter:
    from dateparser.search import search_dates

    def run(text: str, sent: datetime) -> datetime | None:
        settings = {"RELATIVE_BASE": sent, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False}
        found = search_dates(text, languages=["en"], settings=settings) or []
        return first_future((d for _, d in found), sent)

    return run


def parsedatetime_adapter() -> Adapter:
    import parsedatetime

    cal = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)

    def run(text: str, sent: datetime) -> datetime | None:
        found = cal.nlp(text, sourceTime=sent) or ()
        return first_future((f[0] for f in found), sent)

    return run


def ctparse_adapter() -> Adapter:
    import logging

    from ctparse import ctparse

    logging.getLogger("ctparse").setLevel(logging.ERROR)  # it logs every sentence it cannot resolve

    def as_dt(t: object, sent: datetime) -> datetime | None:
        year, month, day = getattr(t, "year", None), getattr(t, "month", None), getattr(t, "day", None)
        hour, minute = getattr(t, "hour", None), getattr(t, "minute", None)
        if year is None or month is None or day is None:
            if hour is None:
                return None
            year, month, day = sent.year, sent.month, sent.day
        return datetime(year, month, day, 9 if hour is None else hour, minute or 0)

    def run(text: str, sent: datetime) -> datetime | None:
        result = ctparse(text, ts=sent, timeout=1.0)
        if result is None:
            return None
        res = result.resolution
        return first_future([as_dt(getattr(res, "t_from", None) or res, sent)], sent)

    return run


def timefhuman_adapter() -> Adapter:
    from timefhuman import timefhuman
    from timefhuman.utils import tfhConfig  # timefhuman >= 0.1.4 takes the reference time in a config

    def flat(value: object) -> Iterable[datetime]:
        if isinstance(value, datetime):
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                yield from flat(item)

    def run(text: str, sent: datetime) -> datetime | None:
        try:
            return first_future(flat(timefhuman(text, config=tfhConfig(now=sent))), sent)
        except Exception:  # the library raises on some inputs; count it as no answer
            return None

    return run


def datefinder_adapter() -> Adapter:
    import datefinder

    def run(text: str, sent: datetime) -> datetime | None:
        try:
            return first_future(datefinder.find_dates(text, base_date=sent), sent)
        except Exception:  # overflow on odd numbers
            return None

    return run


def recognizers_adapter() -> Adapter:
    from recognizers_date_time import Culture, recognize_datetime

    def values(results: list[object], sent: datetime) -> Iterable[datetime]:
        for result in results:
            for value in getattr(result, "resolution", {}).get("values", []):
                raw = value.get("value") or value.get("start")
                if not raw or raw == "not resolved":
                    continue
                if value.get("type") == "time":
                    raw = f"{sent.date().isoformat()} {raw}"
                try:
                    parsed = datetime.fromisoformat(raw)
                except ValueError:
                    continue
                if len(raw) == 10:
                    parsed = parsed.replace(hour=9)
                yield parsed

    def run(text: str, sent: datetime) -> datetime | None:
        return first_future(values(recognize_datetime(text, Culture.English, reference=sent), sent), sent)

    return run


LIBRARIES: dict[str, tuple[str, Callable[[], Adapter]]] = {
    "dateparser (en)": ("dateparser", dateparser_adapter),
    "parsedatetime": ("parsedatetime", parsedatetime_adapter),
    "ctparse": ("ctparse", ctparse_adapter),
    "timefhuman": ("timefhuman", timefhuman_adapter),
    "datefinder": ("datefinder", datefinder_adapter),
    "Recognizers-Text": ("recognizers_date_time", recognizers_adapter),
}


# --- scoring ---------------------------------------------------------------------------------------------------


@dataclass
class Score:
    rows: int = 0
    date_ok: int = 0
    timed: int = 0
    time_ok: int = 0
    negatives: int = 0
    false_dues: int = 0
    flags_ok: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        pct = 100 * self.date_ok / max(self.rows, 1)
        tpct = 100 * self.time_ok / max(self.timed, 1)
        return (
            f"{self.date_ok:3}/{self.rows:<3} {pct:5.1f}%   time {self.time_ok:2}/{self.timed:<2} {tpct:5.1f}%   "
            f"false dues {self.false_dues}/{self.negatives}"
        )


def judge(row: Row, got: datetime | None, score: Score) -> bool:
    score.rows += 1
    exp = row.expected
    ok = (got is None) if exp is None else (got is not None and got.date() == exp.date())
    score.date_ok += ok
    if exp is None:
        score.negatives += 1
        score.false_dues += got is not None
    if exp is not None and row.has_time:
        score.timed += 1
        score.time_ok += got is not None and got.replace(second=0, microsecond=0) == exp
    return ok


def score_ours(rows: list[Row], misses: bool) -> dict[str, Score]:
    from followup_sync.text.dates import find_due

    scores = {split: Score() for split in SPLITS}
    for row in rows:
        start = time.perf_counter()
        due = find_due(row.text, sent_at=row.sent, tz=row.tz)
        scores[row.split].seconds += time.perf_counter() - start
        got = due.when.replace(tzinfo=None) if due else None
        ok = judge(row, got, scores[row.split])
        flags = due is not None and due.has_time == row.has_time and due.deadline == row.deadline
        scores[row.split].flags_ok += ok and (due is None or flags)
        if misses and (not ok or (due is not None and not flags) or (row.has_time and got != row.expected)):
            flag = "" if ok else "DATE "
            print(f"  [{row.split}] {flag}{row.text!r}\n      expected {row.expected} t={row.has_time} "
                  f"d={row.deadline}  got {got} {due and (due.has_time, due.deadline, due.text)}")  # fmt: skip
    return scores


def score_library(rows: list[Row], adapter: Adapter) -> dict[str, Score]:
    scores = {split: Score() for split in SPLITS}
    for row in rows:
        sent = row.sent.replace(tzinfo=None)
        start = time.perf_counter()
        try:
            got = adapter(row.text, sent)
        except Exception:  # a library crash on one sentence is a miss, not the end of the run
            got = None
        scores[row.split].seconds += time.perf_counter() - start
        judge(row, got, scores[row.split])
    return scores


# --- speed -----------------------------------------------------------------------------------------------------


def import_ms(module: str, python: str = sys.executable) -> float:
    """Median of 5 fresh interpreters, with byte code cached (in /tmp, so the checkout stays clean)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "followup-sync-eval-pycache")
    runs = [float(subprocess.check_output([python, "-c", code], cwd=ROOT, env=env)) * 1000 for _ in range(6)]
    return statistics.median(runs[1:])


def corpus_sentences(limit: int = 20000) -> list[str]:
    sentences: list[str] = []
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl"):
        path = CORPUS / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            if d.get("folder") == "sent":
                sentences.extend(s.strip() for s in d["body"].replace("\n", ". ").split(". ") if s.strip())
            if len(sentences) >= limit:
                return sentences[:limit]
    return sentences


def throughput(texts: list[str], repeat: int = 3) -> float:
    from followup_sync.text.dates import find_due

    tz = ZoneInfo("America/Chicago")
    sent = datetime(2001, 10, 24, 15, 20, tzinfo=tz)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            find_due(text, sent_at=sent, tz=tz)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


# --- report ----------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every row find_due gets wrong")
    parser.add_argument("--no-libs", action="store_true", help="skip the library comparison")
    args = parser.parse_args(argv)
    rows = load()
    n_neg = sum(r.expected is None for r in rows)
    counts = ", ".join(f"{sum(r.split == s for r in rows)} {s}" for s in SPLITS)
    print(f"{len(rows)} rows ({counts}), {n_neg} negatives\n")
    first_call = time.perf_counter()
    from followup_sync.text.dates import find_due

    find_due("I'll call you Friday at 2pm.", sent_at=rows[0].sent, tz=rows[0].tz)
    first_call_ms = (time.perf_counter() - first_call) * 1000
    scores = score_ours(rows, args.misses)
    print("find_due (followup_sync.text.dates)")
    for split, score in scores.items():
        flags = 100 * score.flags_ok / max(score.date_ok, 1)
        print(f"  {split:8} exact date {score.line()}   has_time+deadline right {flags:.1f}%")
    set_rate = throughput([r.text for r in rows] * 10)
    real = corpus_sentences()
    print(f"  throughput: {set_rate:,.0f} sentences/s on this set (x10, warm)", end="")
    print(f"; {throughput(real):,.0f} sentences/s on {len(real):,} aeslc sent-mail sentences" if real else "")
    print(f"  import followup_sync.text.dates: {import_ms('followup_sync.text.dates'):.1f} ms (median of 5); "
          f"import + first call in this process: {first_call_ms:.1f} ms\n")  # fmt: skip
    if args.no_libs:
        return 0
    header = f"{'library':18} " + " ".join(f"{s:>9}" for s in SPLITS)
    header += f" {'time ok':>8} {'false dues':>11} {'sent/s':>8} {'import ms':>9}"
    print(header + "\n" + "-" * len(header))
    table = [("find_due (ours)", scores, import_ms("followup_sync.text.dates"))]
    for name, (module, make) in LIBRARIES.items():
        try:
            start = time.perf_counter()
            importlib.import_module(module)
            ms = (time.perf_counter() - start) * 1000
            adapter = make()
        except Exception as exc:  # ImportError, or emoji>=2 breaking Recognizers-Text at import
            print(f"{name:18} skipped: {type(exc).__name__}: {str(exc)[:70]} (see the docstring to install)")
            continue
        table.append((name, score_library(rows, adapter), ms))
    for name, sc, ms in table:
        total = Score()
        for part in sc.values():
            for key in ("rows", "timed", "time_ok", "negatives", "false_dues", "seconds"):
                setattr(total, key, getattr(total, key) + getattr(part, key))
        exact = " ".join(f"{100 * sc[s].date_ok / max(sc[s].rows, 1):8.1f}%" for s in SPLITS)
        timed = 100 * total.time_ok / max(total.timed, 1)
        print(f"{name:18} {exact} {timed:7.1f}% {total.false_dues:4}/{total.negatives:<6} "
              f"{total.rows / total.seconds:8,.0f} {ms:9.1f}")  # fmt: skip
    print("\nexact = the date (or no date) is right, all rows; time ok = date+hour+minute where a time is stated;")
    print("false dues = negatives that got a date; sent/s = one cold pass over the set; import ms = ours in a")
    print("fresh interpreter (median of 5), each library in this process after ours (shared stdlib/dateutil).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
