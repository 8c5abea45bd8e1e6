"""``followup-sync review`` in a real terminal (issue 12, item 3): tmux runs the command, the test presses one key
per answer (send-keys) and reads the screen (capture-pane), answering a follow-up of each kind. The screens are
saved next to the test's files (and under $FOLLOWUP_SYNC_SCREENS when set, for a person to look at)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from followup_sync import userdata
from followup_sync.demo import DATA, DEFAULT_NOW
from followup_sync.state import State

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)"),
]
NOW = DEFAULT_NOW.astimezone(UTC).isoformat()
#: The answer the test gives to each kind (the review's keys): every answer path once.
ANSWERS = {
    "promise": "d",
    "awaiting_reply": "s1",
    "unanswered_inbound": "x",
    "after_sale": "c",
    "meeting_recap": "m",
}
#: The answer to a second follow-up of a kind ("not a promise" on the demo's second promise); others: skipped.
SECOND = {"promise": "p"}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "\n".join(
            [
                "[identity]",
                'addresses = ["dana.reyes@northwind.example"]',
                'timezone = "America/New_York"',
                'name = "Dana Reyes"',
                "[mail]",
                'backend = "maildir"',
                f'path = "{DATA / "mailbox"}"',
                "[meetings]",
                'backend = "ics"',
                f'path = "{DATA / "meetings.ics"}"',
                "[reminders]",
                'backend = "ics"',
                f'path = "{tmp_path / "reminders.ics"}"',
                "[state]",
                f'path = "{tmp_path / "state.db"}"',
                "",
            ]
        )
    )
    return path


class Tmux:
    """One private tmux server (its own socket) running one command in a 120x45 window."""

    def __init__(self, tmp_path: Path, command: list[str]) -> None:
        self.socket = f"fs-review-{os.getpid()}-{time.monotonic_ns()}"
        env = [
            f"{k}={v}" for k, v in os.environ.items() if k.startswith(("FOLLOWUP_SYNC", "PYTHON", "HOME", "PATH"))
        ]
        env_args = [a for e in env for a in ("-e", e)]
        self._tmux("new-session", "-d", "-x", "120", "-y", "45", *env_args, "-c", str(tmp_path),
                   " ".join(_quote(c) for c in command))  # fmt: skip

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", os.devnull, *args], capture_output=True,
                              text=True, timeout=20, check=True)  # fmt: skip
        return done.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J")

    def keys(self, keys: str) -> None:
        for key in keys:
            self._tmux("send-keys", "-l", key)

    def wait_for(self, pattern: str, *, seconds: float = 30.0) -> str:
        deadline = time.monotonic() + seconds
        while True:
            screen = self.screen()
            if re.search(pattern, screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{screen}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20, check=False)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.fixture
def reviewed(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    config = _config(tmp_path)
    cmd = [sys.executable, "-m", "followup_sync"]
    sync = subprocess.run([*cmd, "sync", "--config", str(config), "--now", NOW], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert sync.returncode == 0, sync.stderr + sync.stdout
    # a shell keeps the pane open after the review ends, so its last words can be read
    review = " ".join(_quote(c) for c in [*cmd, "review", "--config", str(config), "--now", NOW])
    tmux = Tmux(tmp_path, ["sh", "-c", review + "; echo REVIEW-EXITED $?; sleep 60"])
    try:
        yield tmux, config
    finally:
        tmux.close()


def test_review_answers_a_follow_up_of_each_kind_with_one_key_each(
    reviewed: tuple[Tmux, Path], tmp_path: Path
) -> None:
    tmux, _config_path = reviewed
    screens: list[str] = []
    answered: dict[str, str] = {}
    first = tmux.wait_for(r"Follow-up 1 of (\d+)")
    total = int(re.search(r"Follow-up 1 of (\d+)", first).group(1))  # type: ignore[union-attr]
    assert total >= 5
    for n in range(1, total + 1):
        screen = tmux.wait_for(rf"Follow-up {n} of {total}")
        screens.append(screen)
        kind = re.search(rf"Follow-up {n} of {total}\s+id (\w+)\s+([a-z ]+)", screen)
        assert kind is not None, screen
        ident, name = kind.group(1), kind.group(2).strip().replace(" ", "_")
        assert "Evidence: “" in screen and "[d] done" in screen  # the evidence and the keys are shown
        seen = list(answered.values()).count(name)
        key = ANSWERS.get(name) if seen == 0 else SECOND.get(name) if seen == 1 else None
        if key is None:
            tmux.keys("n")  # a second one of a kind already answered: skip it
            continue
        answered[ident] = name
        if key.startswith("s"):
            tmux.keys("s")
            screens.append(tmux.wait_for(r"Snooze until: \[1\] tomorrow morning"))
            key = key[1:]
        tmux.keys(key)
        if key == "p":  # the next card says what was learnt, where it came from
            screens.append(tmux.wait_for(rf"{ident}: dismissed \(not a promise\)\.\s+Learnt: sentences like “"))
    final = tmux.wait_for(r"REVIEW-EXITED 0")
    screens.append(final)
    shots = "\n\n".join(f"--- screen {i} ---\n{s.rstrip()}" for i, s in enumerate(screens, 1))
    (tmp_path / "review-screens.txt").write_text(shots, encoding="utf-8")
    if os.environ.get("FOLLOWUP_SYNC_SCREENS"):
        out = Path(os.environ["FOLLOWUP_SYNC_SCREENS"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "review-screens.txt").write_text(shots, encoding="utf-8")
    assert set(answered.values()) == set(ANSWERS) and list(answered.values()).count("promise") == 2, shots
    assert re.search(r"Reviewed \d+ of \d+ open follow-ups: .*done", final), final
    assert "Learnt: sentences like “" in final and "`unmute` undoes it" in final
    with State.snapshot(tmp_path / "state.db") as state:
        by_prefix = {r.followup.key[:6]: r for r in state.followups()}
        statuses = {answered[i]: (by_prefix[i].status, by_prefix[i].closed_reason) for i in answered}
        promises = sorted((by_prefix[i].status, by_prefix[i].closed_reason) for i in answered
                          if answered[i] == "promise")  # fmt: skip
        kept = userdata.answers(state)
        prefs = userdata.preferences(state)
        snoozes = prefs.snoozes
    assert promises == [("closed", "done"), ("dismissed", "not a promise")]
    assert [m.what for m in prefs.mutes if m.what == "shape"] == ["shape"]  # the second promise's sentence shape
    assert statuses["unanswered_inbound"] == ("dismissed", "dismissed")
    assert statuses["after_sale"][0] == statuses["meeting_recap"][0] == "dismissed"
    assert statuses["awaiting_reply"][0] == "open"
    assert any(k.startswith(i) for i in answered if answered[i] == "awaiting_reply" for k in snoozes)
    assert sorted(a.answer.via for a in kept) == ["review"] * len(answered)
    assert datetime.fromisoformat(NOW) < min(snoozes.values())
