"""Service files for every OS, parsed as the OS would read them; a real systemd round trip where possible."""

from __future__ import annotations

import configparser
import os
import plistlib
import shlex
import shutil
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from followup_sync import service
from followup_sync.errors import UserError

PY = Path("/opt/venv/bin/python")
NS = {"t": service.TASK_NS}


def plan(platform: str, tmp_path: Path, **kw: object) -> service.ServicePlan:
    args: dict[str, object] = {
        "python": PY,
        "config_path": tmp_path / "my config.toml",
        "home": tmp_path / "home",
        "env": {"FOLLOWUP_SYNC_HOME": "/data/fs home", "PATH": "/usr/bin"},
        "uid": 501,
        "user_id": "CONTOSO\\rita",
    }
    args.update(kw)
    return service.service_plan(platform, **args)  # type: ignore[arg-type]


def test_systemd_unit(tmp_path: Path) -> None:
    p = plan("linux", tmp_path, xdg_config_home=tmp_path / "xdg")
    assert p.path == tmp_path / "xdg" / "systemd" / "user" / "followup-sync.service"
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(p.content.decode())
    svc = unit["Service"]
    # systemd's quoting is close enough to POSIX shell quoting for these arguments to split the same way
    argv = shlex.split(svc["ExecStart"])
    assert argv == [
        str(PY),
        "-m",
        "followup_sync",
        "run",
        "--config",
        str((tmp_path / "my config.toml").resolve()),
    ]
    assert shlex.split(svc["Environment"]) == ["FOLLOWUP_SYNC_HOME=/data/fs home"]  # PATH is not carried
    assert svc["Restart"] == "on-failure" and "1" in svc["RestartPreventExitStatus"].split()
    assert unit["Install"]["WantedBy"] == "default.target"
    assert p.install == (
        ("systemctl", "--user", "daemon-reload"),
        ("systemctl", "--user", "enable", "--now", "followup-sync.service"),
    )


def test_systemd_escapes_specifiers_and_dollars() -> None:
    text = service.systemd_unit(["/x/py", "--config", "/home/r/100%/$cfg.toml"], env={})
    assert "ExecStart=/x/py --config /home/r/100%%/$$cfg.toml" in text


def test_launchd_plist(tmp_path: Path) -> None:
    p = plan("darwin", tmp_path)
    assert p.path == tmp_path / "home" / "Library" / "LaunchAgents" / f"{service.LAUNCHD_LABEL}.plist"
    data = plistlib.loads(p.content)
    assert data["Label"] == service.LAUNCHD_LABEL
    assert data["ProgramArguments"][:4] == [str(PY), "-m", "followup_sync", "run"]
    assert data["RunAtLoad"] is True and data["KeepAlive"] == {"SuccessfulExit": False}
    assert data["EnvironmentVariables"] == {"FOLLOWUP_SYNC_HOME": "/data/fs home"}
    assert ("launchctl", "bootstrap", "gui/501", str(p.path)) in p.install
    assert p.uninstall == (("launchctl", "bootout", f"gui/501/{service.LAUNCHD_LABEL}"),)


def test_windows_task_xml(tmp_path: Path) -> None:
    p = plan("win32", tmp_path, python=Path("C:/Python311/python.exe"))
    assert p.content.startswith(b"\xff\xfe")  # UTF-16 LE with a BOM, as schtasks /XML wants
    root = ET.fromstring(p.content.decode("utf-16").split("\n", 1)[1])
    assert root.tag == f"{{{service.TASK_NS}}}Task"
    command = root.findtext("t:Actions/t:Exec/t:Command", namespaces=NS)
    assert command is not None and command.endswith("pythonw.exe")
    args = root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=NS)
    assert args is not None and args.startswith("-m followup_sync run --config ") and '"' in args  # quoted space
    assert root.findtext("t:Triggers/t:LogonTrigger/t:UserId", namespaces=NS) == "CONTOSO\\rita"
    assert root.findtext("t:Principals/t:Principal/t:RunLevel", namespaces=NS) == "LeastPrivilege"
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=NS) == "InteractiveToken"
    assert root.findtext("t:Settings/t:ExecutionTimeLimit", namespaces=NS) == "PT0S"
    assert root.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    assert p.install[0] == ("schtasks", "/Create", "/TN", "followup-sync", "/XML", str(p.path), "/F")


def test_unsupported_platform(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not support"):
        plan("sunos5", tmp_path)


class FakeRunner:
    def __init__(self, fail: Sequence[str] = ()) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.fail = fail

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(tuple(argv))
        bad = any(word in argv for word in self.fail)
        return subprocess.CompletedProcess(
            list(argv), 1 if bad else 0, "active" if not bad else "", "boom" if bad else ""
        )


def test_install_writes_then_runs_and_uninstall_reverses(tmp_path: Path) -> None:
    p = plan("linux", tmp_path)
    runner = FakeRunner()
    assert "Installed" in service.install(p, runner=runner)
    assert p.path.read_bytes() == p.content and runner.calls == list(p.install)
    text, code = service.status(p, runner=runner)
    assert text.startswith("installed:") and code == 0
    runner.calls.clear()
    service.uninstall(p, runner=runner)
    assert not p.path.exists() and runner.calls == list(p.uninstall)
    text, code = service.status(p, runner=runner)
    assert "not installed" in text and code == 1
    assert "not installed" in service.uninstall(p, runner=runner)


def test_a_failing_command_names_itself_and_the_file(tmp_path: Path) -> None:
    p = plan("linux", tmp_path)
    with pytest.raises(UserError) as info:
        service.install(p, runner=FakeRunner(fail=["enable"]))
    text = str(info.value)
    assert "systemctl --user enable --now followup-sync.service" in text and "boom" in text and str(p.path) in text
    assert "nothing was installed" in text and not p.path.exists()


class NoBus(FakeRunner):
    """``systemctl --user`` where no user bus exists (a root shell, a container, SSH without lingering)."""

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(tuple(argv))
        return subprocess.CompletedProcess(list(argv), 1, "", "Failed to connect to bus: No medium found\n")


def test_without_a_user_bus_install_leaves_nothing_and_says_what_to_do(tmp_path: Path) -> None:
    p = plan("linux", tmp_path)
    with pytest.raises(UserError) as info:
        service.install(p, runner=NoBus())
    text = str(info.value)
    assert "Failed to connect to bus" in text and "nothing was installed" in text
    assert "loginctl enable-linger" in text
    assert not p.path.exists() and not list(p.path.parent.iterdir())


def test_status_is_not_installed_and_ok_when_the_manager_cannot_be_asked(tmp_path: Path) -> None:
    p = plan("linux", tmp_path)
    p.path.parent.mkdir(parents=True)
    p.path.write_bytes(p.content)  # left by an older version, or copied by hand
    text, code = service.status(p, runner=NoBus())
    assert code == 1
    assert text.startswith("not running: the service file") and "installed:" not in text
    assert "loginctl enable-linger" in text


def test_uninstall_without_a_user_bus_removes_the_file_and_succeeds(tmp_path: Path) -> None:
    p = plan("linux", tmp_path)
    p.path.parent.mkdir(parents=True)
    p.path.write_bytes(p.content)
    message = service.uninstall(p, runner=NoBus())
    assert not p.path.exists()
    assert message.startswith(f"Stopped followup-sync and removed {p.path}.")
    assert "daemon-reload` could not run" in message


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("systemctl") is None, reason="no systemctl"
)
def test_the_commands_against_this_machines_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real CLI and the real systemctl: where the user bus works this installs nothing (another unit
    name is used by the round-trip test below), where it does not, nothing is left and the exit codes say so."""
    from click.testing import CliRunner

    from followup_sync.cli import cli

    if _systemd_user_works() is None:
        pytest.skip("a user bus works here: the round-trip test covers the real manager")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[identity]\naddresses = ["rep@vendor.com"]\ntimezone = "UTC"\n[mail]\nbackend = "none"\n'
        '[meetings]\nbackend = "none"\n[reminders]\nbackend = "ics"\npath = "r.ics"\n',
        encoding="utf-8",
    )
    unit = tmp_path / "xdg" / "systemd" / "user" / service.UNIT_NAME
    installed = CliRunner().invoke(cli, ["service", "install", "--config", str(cfg)])
    assert installed.exit_code == 1 and "nothing was installed" in installed.output, installed.output
    assert not unit.exists()
    status = CliRunner().invoke(cli, ["service", "status"])
    assert status.exit_code == 1 and "not installed" in status.output
    unit.parent.mkdir(parents=True, exist_ok=True)
    unit.write_text("[Unit]\n")
    status = CliRunner().invoke(cli, ["service", "status"])
    assert status.exit_code == 1 and "installed:" not in status.output, status.output
    removed = CliRunner().invoke(cli, ["service", "uninstall"])
    assert removed.exit_code == 0, removed.output
    assert not unit.exists()


def test_stopping_what_is_not_running_is_not_an_error(tmp_path: Path) -> None:
    p = plan("darwin", tmp_path)
    runner = FakeRunner(fail=["bootout"])
    service.install(p, runner=runner)  # bootout of a not-loaded agent fails; harmless
    assert runner.calls[-1][:2] == ("launchctl", "bootstrap")


def _systemd_user_works() -> str | None:
    if not sys.platform.startswith("linux") or shutil.which("systemctl") is None:
        return "not Linux or no systemctl"
    proc = subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return f"`systemctl --user` does not work here: {(proc.stderr or proc.stdout).strip()}"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_systemd_user_works() is not None, reason=str(_systemd_user_works()))
def test_real_systemd_user_service_round_trip(tmp_path: Path) -> None:
    """Installs a uniquely named unit in the real user manager, sees the daemon run, then removes it."""
    from followup_sync import daemon
    from followup_sync.config import load

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[identity]\naddresses = ["rep@vendor.com"]\ntimezone = "UTC"\n[mail]\nbackend = "none"\n'
        '[meetings]\nbackend = "none"\n[reminders]\nbackend = "ics"\npath = "r.ics"\n[state]\npath = "state.db"\n'
        "[daemon]\ninterval_minutes = 0.05\njitter_seconds = 0\n",
        encoding="utf-8",
    )
    unit = f"followup-sync-test-{uuid.uuid4().hex[:8]}.service"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    p = service.service_plan(
        "linux", python=Path(sys.executable), config_path=cfg, home=Path.home(),
        env={"FOLLOWUP_SYNC_HOME": str(tmp_path / "home")}, xdg_config_home=Path(xdg) if xdg else None,
        unit_name=unit,
    )  # fmt: skip
    state = load(cfg).state_path
    try:
        service.install(p)
        deadline = time.monotonic() + 20
        while not daemon.is_running(state):
            assert time.monotonic() < deadline, service.status(p)
            time.sleep(0.2)
        text, code = service.status(p)
        assert "active (running)" in text and code == 0
    finally:
        service.uninstall(p)
    deadline = time.monotonic() + 20
    while daemon.is_running(state):
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_itself_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own parser (offline), with a path that needs quoting and escaping."""
    p = plan("linux", tmp_path, python=Path(sys.executable), config_path=tmp_path / "my cfg 100%.toml")
    unit = tmp_path / "followup-sync.service"
    unit.write_bytes(p.content)
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not (proc.stdout + proc.stderr).strip(), proc.stdout + proc.stderr
    bad = tmp_path / "bad.service"
    bad.write_text("[Service]\nExecStart=relative/python\n")
    assert (
        subprocess.run(["systemd-analyze", "verify", str(bad)], capture_output=True, check=False).returncode != 0
    )
