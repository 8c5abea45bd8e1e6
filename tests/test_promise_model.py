"""The learned second stage of promise detection (issue 8): the shipped model, its scoring and how it combines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followup_sync.text import _promise_model as pm
from followup_sync.text.promises import (
    Candidate,
    added_promise,
    candidates,
    find_promises,
    keep,
    rule_view,
)

NY = ZoneInfo("America/New_York")
SENT = datetime(2026, 3, 18, 14, 0, tzinfo=UTC)  # Wednesday 2026-03-18 10:00 in New York


def model() -> pm.Model:
    loaded = pm.load()
    assert loaded is not None
    return loaded


def probability(sentence: str) -> float:
    (c,) = candidates(sentence, sent_at=SENT, tz=NY)
    return pm.score(model(), pm.features(c.sentence, c.cue, rule_view(c)))


def test_the_model_ships_small_and_loads_once() -> None:
    path = Path(pm.__file__).with_name("_promise_model.json")
    assert path.stat().st_size < 300_000
    m = model()
    assert m is pm.load()  # read once
    assert 0.0 <= m.drop_below <= m.add_at <= 2.0
    assert len(m.weights) > 1000


def test_the_default_follows_the_training_verdict() -> None:
    # The shipped model is on (it raised held-out precision on the sets the rules were never tuned on); with the
    # verdict off, the default is the rules alone.
    text = "Thanks for your note. We will still do the noms via CGAS on this contract."
    on = find_promises(text, sent_at=SENT, tz=NY)
    assert on == find_promises(text, sent_at=SENT, tz=NY, learned=model().enabled)


def test_a_missing_model_file_leaves_the_rules_alone(tmp_path: Path) -> None:
    assert pm.load(tmp_path / "none.json") is None


@pytest.mark.parametrize(
    ("low", "cue"),
    [
        ("i'll double check.", "i_will"),
        ("ena will forward the draft.", "org_will"),
        ('enron north america corp. ("ena") will shortly email it.', "org_will"),
        ("will look into it.", "bare_will"),
        ("i'm going to ask him.", "going"),
        ("let's talk tuesday.", "lets"),
        ("another update to follow shortly.", "follow"),
        ("the weather will be nice.", None),
        ("thanks for the note.", None),
    ],
)
def test_candidate_cues(low: str, cue: str | None) -> None:
    assert pm.candidate_cue(low) == cue


def test_features_normalise_numbers_days_and_names() -> None:
    feats = pm.features("I'll send Sara the 2 decks Friday.", "i_will", pm.RuleView())
    assert "w:<name>" in feats and "w:<num>" in feats and "w:<day>" in feats
    assert "b:i'll_send" in feats and "cue:i_will" in feats and "r:none" in feats and "t:time" in feats
    assert "r:fires" in pm.features("I'll call.", "i_will", pm.RuleView(fires=True, channel="call"))


def test_score_is_a_probability() -> None:
    m = pm.Model(weights={"w:call": 2.0}, bias=-1.0, drop_below=0.0, add_at=0.5, enabled=True)
    assert pm.score(m, ["w:call", "w:call"]) == pytest.approx(1 / (1 + 2.718281828459045**-1.0))
    assert pm.score(m, []) < 0.5


def test_keep_combines_rules_and_model() -> None:
    assert keep(True, 0.3, drop_below=0.2, add_at=0.6)  # a rule promise stands
    assert not keep(True, 0.1, drop_below=0.2, add_at=0.6)  # unless the model scores it very low
    assert not keep(False, 0.5, drop_below=0.2, add_at=0.6)  # a rule miss needs a high score
    assert keep(False, 0.6, drop_below=0.2, add_at=0.6)


# Plain promises the rules miss, quoted in issue 8 (from the blind3 set, which the shipped model was trained on).
@pytest.mark.parametrize(
    "sentence",
    [
        "I'll double check.",
        "I will return a fully executed original to you.",
        "I'll read the ABB contract on the plane, and let you know what I think this afternoon.",
    ],
)
def test_the_issue_examples_become_promises(sentence: str) -> None:
    # The rules' open-verb path finds them now (it did not when the model was first trained); the model keeps them.
    assert probability(sentence) >= model().drop_below
    assert [p.sentence for p in find_promises(sentence, sent_at=SENT, tz=NY, learned=False)] == [sentence]
    assert [p.sentence for p in find_promises(sentence, sent_at=SENT, tz=NY, learned=True)] == [sentence]


# Fresh sentences, in no labelled set: statements, states and forecasts with a future modal.
@pytest.mark.parametrize(
    "sentence",
    [
        "We'll see.",
        "I will be out of the office until Monday.",
        "The market will close early today.",
        "I'll be in Houston next week.",
        "Prices will rise.",
        "I'll never understand this.",
    ],
)
def test_fresh_non_promises_are_not_added(sentence: str) -> None:
    assert probability(sentence) < model().add_at
    assert find_promises(sentence, sent_at=SENT, tz=NY, learned=True) == []


def test_an_added_promise_gets_due_channel_and_action_as_the_rules_do() -> None:
    c = Candidate("I'll double check the totals and phone you Friday.", "", False, None, "i_will")
    p = added_promise(c, sent_at=SENT, tz=NY)
    assert p is not None and not p.conditional and not p.joint
    assert p.channel == "call"
    assert p.due is not None and p.due.when.date().isoformat() == "2026-03-20"
    assert p.action.startswith("double check")


def test_an_added_promise_keeps_the_rules_conditions() -> None:
    waits = Candidate("I'll double check.", "Let me know if that is OK.", True, None, "i_will")
    p = added_promise(waits, sent_at=SENT, tz=NY)
    assert p is not None and p.conditional
    joint = Candidate("Let's see.", "", False, None, "lets")
    assert added_promise(joint, sent_at=SENT, tz=NY) is None  # joint forms stay with the rules


def test_rule_promises_stand_with_the_model_on() -> None:
    text = "Thanks. I'll call you Thursday at 2pm."
    on = find_promises(text, sent_at=SENT, tz=NY, learned=True)
    off = find_promises(text, sent_at=SENT, tz=NY, learned=False)
    assert on == off and len(on) == 1
