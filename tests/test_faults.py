"""Fault trials rerun (issue 10): a real daemon through a missing Maildir and a CalDAV outage, and back.

The figures (recovery time in intervals) are printed by ``benchmarks/fault_trials.py``; these tests check what
must hold whatever the machine's load: the wording, the pacing the daemon chose, and the reminders after.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import faultlab

pytestmark = pytest.mark.slow


def test_a_missing_maildir_is_looked_for_every_interval_and_the_daemon_recovers(tmp_path: Path) -> None:
    out = faultlab.maildir_outage(tmp_path)
    assert out.exit_code == 0, out.log_tail
    [problem] = out.problem_lines
    assert "[mail] folder not found:" in problem and "configuration" not in problem, problem
    # retried at the interval (1.2 s), not backed off toward the configured hour
    assert problem.endswith("next try in 1s"), problem
    assert len(out.recovered_lines) == 1
    assert (out.reminders, out.unique_reminders) == (2, 2)


def test_caldav_down_and_back_reads_as_one_sentence_and_loses_or_doubles_nothing(tmp_path: Path) -> None:
    out = faultlab.caldav_outage(tmp_path)
    assert out.exit_code == 0, out.log_tail
    [problem] = out.problem_lines
    assert "caldav unreachable: the CalDAV server 127.0.0.1:" in problem, problem
    assert "refused the connection" in problem, problem
    for raw in ("HTTPConnectionPool", "NewConnectionError", "object at 0x", "Max retries"):
        assert raw not in problem
    assert len(out.recovered_lines) == 1
    assert (out.reminders, out.unique_reminders) == (2, 2)
