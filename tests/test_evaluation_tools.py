"""The labelling tools of issue 8 (evaluation/): schema checks, kappa, adjudication merge, due scoring, the seal.

No corpus and no sealed set is read here: the labels and sentences are made up in the tests.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

EVAL = Path(__file__).resolve().parent.parent / "evaluation"
sys.path.insert(0, str(EVAL))

import agreement  # noqa: E402
import promise_labels  # noqa: E402
import promises_eval  # noqa: E402

SENT = "2001-03-14T15:00:00+00:00"


def ident(n: int) -> dict[str, Any]:
    return {"id": f"x_sent_{n}", "corpus": "aeslc", "split": "train", "sent_at": SENT}


def negative(n: int) -> dict[str, Any]:
    return ident(n) | {
        "promise": False,
        "sentences": [],
        "channel": None,
        "joint": False,
        "conditional": False,
        "conditional_sentences": [],
        "due": [],
    }


def positive(n: int, sentence: str, due: str | None, **extra: Any) -> dict[str, Any]:
    return negative(n) | {"promise": True, "sentences": [sentence], "channel": "call", "due": [due]} | extra


def test_schema_check_names_each_problem() -> None:
    ids = [ident(1), ident(2), ident(3)]
    labels = [
        positive(1, "I'll call you Friday.", "2001-03-16"),
        negative(2) | {"due": ["2001-03-16"]},
        promise_labels.template(ident(3)),
    ]
    errors = promise_labels.check_labels(labels, ids)
    assert errors == [
        "x_sent_2: due needs one entry per promise sentence",
        "x_sent_3: not labelled: promise, sentences, joint, conditional, conditional_sentences, due",
    ]
    assert promise_labels.check_labels([positive(1, "I'll call", "Friday")], ids, complete=False) == [
        "x_sent_1: due entries are YYYY-MM-DD, YYYY-MM-DDTHH:MM or null"
    ]
    assert (
        promise_labels.check_labels([negative(1) | {"split": "dev"}], ids)[0]
        == "x_sent_1: split differs from the id file"
    )


def test_kappa_matches_a_worked_example() -> None:
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: po = 0.7, pe = 0.5 * 0.6 + 0.5 * 0.4 = 0.5, kappa = 0.4
    pairs = [(True, True)] * 20 + [(True, False)] * 5 + [(False, True)] * 10 + [(False, False)] * 15
    assert agreement.kappa(pairs) == pytest.approx(0.4)
    assert agreement.kappa([(False, False)] * 5) == 1.0


def test_sentences_align_across_quote_boundaries() -> None:
    a = ["I'll send the deck tomorrow.", "Talk Friday!"]
    b = ["talk friday", "Sure - I'll send the deck tomorrow"]
    assert promise_labels.align(a, b) == [(0, 1), (1, 0)]
    assert promise_labels.align(["I'll call you."], ["Please send the file."]) == []


def test_differences_ignore_quote_boundaries_but_not_dues() -> None:
    a = positive(1, "I'll call you Friday.", "2001-03-16")
    assert agreement.differences(a, positive(1, "I'll call you Friday", "2001-03-16")) == []
    assert agreement.differences(a, positive(1, "I'll call you Friday", None)) == ["due"]
    assert agreement.differences(a, negative(1)) == ["promise"]


def write_packets(root: Path, name: str, who: str, labels: list[dict[str, Any]]) -> None:
    folder = root / name / who
    folder.mkdir(parents=True)
    (folder / "packet_01.jsonl").write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")


def test_compare_then_merge_writes_the_final_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    data.mkdir()
    ids = [ident(1), ident(2), ident(3)]
    (data / "promises_tune2.ids.jsonl").write_text("".join(json.dumps(x) + "\n" for x in ids), encoding="utf-8")
    monkeypatch.setattr(promise_labels, "DATA", data)
    monkeypatch.setattr(agreement, "DATA", data)
    annot = tmp_path / "annot"
    write_packets(
        annot, "tune2", "A", [positive(1, "Chat Tuesday!", "2001-03-20", joint=True), negative(2), negative(3)]
    )
    write_packets(
        annot,
        "tune2",
        "B",
        [positive(1, "Chat Tuesday", "2001-03-20", joint=True), positive(2, "I'll fax it.", None), negative(3)],
    )
    assert agreement.compare("tune2", "A", "B", annot) == 0
    rows = promise_labels.read_jsonl(annot / "tune2" / "disagreements.jsonl")
    assert [(r["id"], r["fields"], r["packet"]) for r in rows] == [("x_sent_2", ["promise"], "packet_01")]

    adjudicated = tmp_path / "adjudicated.jsonl"
    with pytest.raises(SystemExit, match="1 disagreements are not adjudicated"):
        adjudicated.write_text("", encoding="utf-8")
        agreement.merge("tune2", adjudicated, "A", "B", annot)
    adjudicated.write_text(json.dumps(negative(2) | {"note": "fax already sent"}) + "\n", encoding="utf-8")
    assert agreement.merge("tune2", adjudicated, "A", "B", annot) == 0
    final = promise_labels.read_jsonl(data / "promises_tune2.jsonl")
    assert [(x["id"], x["promise"], x["adjudicated"]) for x in final] == [
        ("x_sent_1", True, False),
        ("x_sent_2", False, True),
        ("x_sent_3", False, False),
    ]
    assert final[0]["sentences"] == ["Chat Tuesday!"] and final[0]["annotators"] == ["A", "B"]
    assert final[1]["note"] == "fax already sent"


@dataclass
class FakeDue:
    when: datetime
    has_time: bool


@dataclass
class FakePromise:
    sentence: str
    due: FakeDue | None


def test_due_scoring_right_missed_wrong_and_unstated() -> None:
    s = promises_eval.Score(v2=True)
    rec = positive(1, "I'll call you Friday at 2.", "2001-03-16T14:00")
    rec["sentences"] += ["I'll send the deck tomorrow.", "I'll fax it.", "Will write Monday."]
    rec["due"] += ["2001-03-15", None, "2001-03-19"]
    friday_2pm = datetime(2001, 3, 16, 20, 0, tzinfo=UTC)  # 14:00 in Houston
    live = [
        FakePromise("I'll call you Friday at 2.", FakeDue(friday_2pm, True)),
        FakePromise("I'll send the deck tomorrow.", FakeDue(datetime(2001, 3, 16, 15, tzinfo=UTC), False)),
        FakePromise("I'll fax it.", FakeDue(friday_2pm, True)),
    ]
    promises_eval.score_dues(s, "x_sent_1", rec, live)  # type: ignore[arg-type]
    assert (s.due_right, s.due_wrong, s.due_missed, s.due_unstated) == (1, 1, 1, 1)
    assert (s.time_right, s.time_total) == (1, 1)


def test_blind1_cases_stay_sealed_without_unseal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        promises_eval.main(["--set", "blind1"])
    assert "sealed" in capsys.readouterr().err
