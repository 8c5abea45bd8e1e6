"""followup-sync-team's commands that need only the database, and its refusal without the extra."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from followup_sync.team import cli, pgstate
from tests.team.pg import scratch_database
from tests.team.world import make_certificate, team_toml


def test_migrate_then_status(pg_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, _ = make_certificate(tmp_path)
    config = tmp_path / "team.toml"
    config.write_text(team_toml(["ann@contoso.com", "bob@contoso.com"], cert))
    with scratch_database(pg_server, prefix="followup_cli") as dsn:
        monkeypatch.setenv(pgstate.DSN_ENV, dsn)
        runner = CliRunner()
        first = runner.invoke(cli.cli, ["--config", str(config), "migrate"])
        assert first.exit_code == 0 and "job queue schema created" in first.output
        again = runner.invoke(cli.cli, ["--config", str(config), "migrate"])
        assert "already there" in again.output
        status = runner.invoke(cli.cli, ["--config", str(config), "status"])
        assert status.exit_code == 0
        assert status.output.splitlines() == ["ann@contoso.com: no pass yet", "bob@contoso.com: no pass yet"]
        report = runner.invoke(cli.cli, ["--config", str(config), "report", "--json", str(tmp_path / "v.json")])
        assert report.exit_code == 1 and "manager's view is off" in report.output


def test_a_bad_config_is_one_sentence_per_problem(tmp_path: Path) -> None:
    config = tmp_path / "team.toml"
    config.write_text('[team]\n[app]\ntenant = "common"\nclient_secret = "hunter2"\n')
    result = CliRunner().invoke(cli.cli, ["--config", str(config), "status"])
    assert result.exit_code == 1
    assert "mailboxes = [...] or group" in result.output and "never write the secret itself" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_without_the_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "procrastinate" else real(name)
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 2
    assert "pip install 'followup-sync[team]'" in capsys.readouterr().err
