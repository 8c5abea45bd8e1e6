"""Starting the daemon with the user's session, without admin rights: systemd, launchd or Task Scheduler.

The file contents and commands are built by pure functions (:func:`systemd_unit`, :func:`launchd_plist`,
:func:`windows_task_xml`, :func:`service_plan`), so every platform's output is tested on any machine; only
:func:`install`, :func:`uninstall` and :func:`status` touch the system, through an injectable ``runner``.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from followup_sync import config as config_mod
from followup_sync.errors import UserError

UNIT_NAME = "followup-sync.service"
LAUNCHD_LABEL = "org.followup-sync.daemon"
TASK_NAME = "followup-sync"
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
DESCRIPTION = "followup-sync: calendar reminders for the follow-ups you owe"

Command = tuple[str, ...]
Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]


@dataclass(frozen=True)
class ServicePlan:
    """What ``service install/uninstall/status`` do on one platform: files to write and commands to run."""

    platform: str
    path: Path
    content: bytes
    install: tuple[Command, ...]
    uninstall: tuple[Command, ...]
    status: tuple[Command, ...]
    # Commands whose failure is expected and harmless (stopping something that is not running).
    tolerant: frozenset[Command] = field(default_factory=frozenset)
    # After the file is removed, commands that only refresh the manager's view: a failure is reported, not fatal.
    refresh: frozenset[Command] = field(default_factory=frozenset)
    # What to say when the service manager cannot be reached at all (a headless session without a user bus).
    no_manager: str = ""


def daemon_command(*, python: Path, config_path: Path | None) -> list[str]:
    """The argv the service starts: ``python -m followup_sync run [--config PATH]`` (absolute paths only)."""
    argv = [str(python), "-m", "followup_sync", "run"]
    if config_path is not None:
        argv += ["--config", str(config_path.resolve())]
    return argv


def _systemd_quote(arg: str) -> str:
    # systemd.service(5) "Command lines": C-style quoting, and % starts a specifier, $ a variable.
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and not any(c in escaped for c in " \t\"'\\;"):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(argv: Sequence[str], *, env: Mapping[str, str]) -> str:
    """A systemd *user* unit: starts with the session, restarts after a crash but not after a refusal."""
    lines = [
        "[Unit]",
        f"Description={DESCRIPTION}",
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_systemd_quote(a) for a in argv),
        *(f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(env.items())),
        # Exit 1 = another instance holds the lock, 2 = invalid config: restarting cannot help with either.
        "Restart=on-failure",
        "RestartSec=30",
        "RestartPreventExitStatus=1 2",
        # SIGTERM lets the running pass finish; a pass against a slow server may take a while.
        "TimeoutStopSec=120",
        "Nice=10",
        "NoNewPrivileges=yes",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def launchd_plist(
    argv: Sequence[str], *, env: Mapping[str, str], log_dir: Path, label: str = LAUNCHD_LABEL
) -> bytes:
    """A launchd LaunchAgent: loaded at login, kept alive after a crash, not after a clean exit."""
    data: dict[str, object] = {
        "Label": label,
        "ProgramArguments": list(argv),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 30,
        "ProcessType": "Background",
        "LowPriorityIO": True,
        "StandardOutPath": str(log_dir / "launchd.out.log"),
        "StandardErrorPath": str(log_dir / "launchd.err.log"),
    }
    if env:
        data["EnvironmentVariables"] = dict(env)
    return plistlib.dumps(data)


def windows_task_xml(argv: Sequence[str], *, user_id: str) -> bytes:
    """A Task Scheduler task for ``user_id``: at logon, as that user, least privilege, no time limit.

    Uses pythonw.exe so no console window appears. A logon trigger limited to the current user is what a
    non-administrator may register (a trigger for any user needs elevation).
    """
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    reg = sub(task, "RegistrationInfo")
    sub(reg, "Description", DESCRIPTION)
    sub(reg, "URI", f"\\{TASK_NAME}")
    trigger = sub(sub(task, "Triggers"), "LogonTrigger")
    sub(trigger, "Enabled", "true")
    sub(trigger, "UserId", user_id)
    sub(trigger, "Delay", "PT30S")
    principal = sub(sub(task, "Principals"), "Principal", id="Author")
    sub(principal, "UserId", user_id)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    for tag, text in (
        ("MultipleInstancesPolicy", "IgnoreNew"),
        ("DisallowStartIfOnBatteries", "false"),
        ("StopIfGoingOnBatteries", "false"),
        ("AllowHardTerminate", "true"),
        ("StartWhenAvailable", "true"),
        ("RunOnlyIfNetworkAvailable", "false"),
        ("AllowStartOnDemand", "true"),
        ("Enabled", "true"),
        ("Hidden", "false"),
        ("RunOnlyIfIdle", "false"),
        # The default limit is 72 hours, after which Windows would kill the daemon.
        ("ExecutionTimeLimit", "PT0S"),
        ("Priority", "7"),
    ):
        sub(settings, tag, text)
    idle = sub(settings, "IdleSettings")
    sub(idle, "StopOnIdleEnd", "false")
    sub(idle, "RestartOnIdle", "false")
    restart = sub(settings, "RestartOnFailure")
    sub(restart, "Interval", "PT1M")
    sub(restart, "Count", "3")
    exec_el = sub(sub(task, "Actions", Context="Author"), "Exec")
    sub(exec_el, "Command", argv[0])
    sub(exec_el, "Arguments", subprocess.list2cmdline(list(argv[1:])))
    body = ET.tostring(task, encoding="unicode")
    # schtasks /XML expects UTF-16 with a BOM, as the files Task Scheduler exports itself.
    return ('<?xml version="1.0" encoding="UTF-16"?>\n' + body + "\n").encode("utf-16")


def service_plan(
    platform: str,
    *,
    python: Path,
    config_path: Path | None,
    home: Path,
    env: Mapping[str, str],
    uid: int | None = None,
    user_id: str = "",
    xdg_config_home: Path | None = None,
    unit_name: str = UNIT_NAME,
) -> ServicePlan:
    """Everything ``service`` does on ``platform`` ("linux", "darwin", "win32"), computed without side effects."""
    argv = daemon_command(python=python, config_path=config_path)
    carried = {k: v for k, v in env.items() if k == config_mod.HOME_ENV}
    if platform.startswith("linux"):
        path = (xdg_config_home or home / ".config") / "systemd" / "user" / unit_name
        sc = ("systemctl", "--user")
        return ServicePlan(
            platform="linux",
            path=path,
            content=systemd_unit(argv, env=carried).encode(),
            install=((*sc, "daemon-reload"), (*sc, "enable", "--now", unit_name)),
            uninstall=((*sc, "disable", "--now", unit_name), (*sc, "daemon-reload")),
            status=((*sc, "status", "--no-pager", unit_name),),
            tolerant=frozenset({(*sc, "disable", "--now", unit_name)}),
            refresh=frozenset({(*sc, "daemon-reload")}),
            no_manager=(
                "there is no systemd user session here (no user D-Bus): sign in to a desktop or SSH session, "
                "or run `loginctl enable-linger $USER` once, then install again; or start `followup-sync run` "
                "yourself"
            ),
        )
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        domain = f"gui/{uid if uid is not None else os.getuid()}"
        log_dir = config_mod.log_dir()
        bootout = ("launchctl", "bootout", f"{domain}/{LAUNCHD_LABEL}")
        return ServicePlan(
            platform="darwin",
            path=path,
            content=launchd_plist(argv, env=carried, log_dir=log_dir),
            install=(bootout, ("launchctl", "bootstrap", domain, str(path))),
            uninstall=(bootout,),
            status=(("launchctl", "print", f"{domain}/{LAUNCHD_LABEL}"),),
            tolerant=frozenset({bootout}),
        )
    if platform == "win32":
        pythonw = python.with_name("pythonw.exe")
        argv[0] = str(pythonw)
        path = config_mod.data_dir() / "followup-sync-task.xml"
        end = ("schtasks", "/End", "/TN", TASK_NAME)
        return ServicePlan(
            platform="win32",
            path=path,
            content=windows_task_xml(argv, user_id=user_id),
            install=(
                ("schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(path), "/F"),
                ("schtasks", "/Run", "/TN", TASK_NAME),
            ),
            uninstall=(end, ("schtasks", "/Delete", "/TN", TASK_NAME, "/F")),
            status=(("schtasks", "/Query", "/TN", TASK_NAME, "/V", "/FO", "LIST"),),
            tolerant=frozenset({end}),
        )
    raise UserError(f"`followup-sync service` does not support {platform!r}; start `followup-sync run` yourself")


def current_plan(config_path: Path | None, *, unit_name: str = UNIT_NAME) -> ServicePlan:
    """The plan for this machine, this Python and this user."""
    xdg = os.environ.get("XDG_CONFIG_HOME")
    user_id = ""
    if sys.platform == "win32":
        domain = os.environ.get("USERDOMAIN", "")
        user = os.environ.get("USERNAME", "")
        user_id = f"{domain}\\{user}" if domain else user
    return service_plan(
        sys.platform,
        python=Path(sys.executable),
        config_path=config_path,
        home=Path.home(),
        env=os.environ,
        uid=os.getuid() if hasattr(os, "getuid") else None,
        user_id=user_id,
        xdg_config_home=Path(xdg) if xdg else None,
        unit_name=unit_name,
    )


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


def _execute(plan: ServicePlan, commands: Sequence[Command], runner: Runner) -> list[str]:
    out: list[str] = []
    for cmd in commands:
        try:
            proc = runner(cmd)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise UserError(f"could not run `{shlex.join(cmd)}`: {exc}") from None
        if proc.returncode != 0 and cmd not in plan.tolerant:
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise UserError(
                f"`{shlex.join(cmd)}` failed (exit {proc.returncode})" + (f": {detail[-1]}" if detail else ""),
                problems=[f"the service file is {plan.path}; run the command yourself once the cause is fixed"],
            )
        out.append((proc.stdout or "").strip())
    return out


def install(plan: ServicePlan, *, runner: Runner = _run) -> str:
    """Write the service file and register it; if registering fails, nothing is left behind."""
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = plan.path.with_name(plan.path.name + ".tmp")
    tmp.write_bytes(plan.content)
    tmp.replace(plan.path)
    try:
        _execute(plan, plan.install, runner)
    except UserError as exc:
        plan.path.unlink(missing_ok=True)
        _best_effort(plan.uninstall, runner)  # undo a step that did succeed (an enabled unit, a loaded agent)
        advice = [plan.no_manager] if plan.no_manager and _no_manager(exc.message) else []
        raise UserError(
            f"{exc.message}; nothing was installed ({plan.path} removed again)", problems=advice
        ) from None
    return f"Installed and started followup-sync for your session ({plan.path})."


def uninstall(plan: ServicePlan, *, runner: Runner = _run) -> str:
    """Stop and unregister the service and remove its file; a refresh that fails afterwards is only reported."""
    if not plan.path.exists():
        return f"followup-sync is not installed as a service ({plan.path} does not exist)."
    _execute(plan, plan.uninstall[:1], runner)
    plan.path.unlink()
    done = f"Stopped followup-sync and removed {plan.path}."
    for cmd in plan.uninstall[1:]:
        try:
            _execute(plan, (cmd,), runner)
        except UserError as exc:
            if cmd not in plan.refresh:
                raise
            done += f" (`{shlex.join(cmd)}` could not run: {exc.message.rsplit(': ', 1)[-1]}; the service manager "
            done += "forgets the file at its next start)"
    return done


def status(plan: ServicePlan, *, runner: Runner = _run) -> tuple[str, int]:
    """What the OS says about the service, and the exit code: 0 only when it is installed and the service
    manager answered for it (systemd: active), 1 otherwise."""
    if not plan.path.exists():
        return f"not installed ({plan.path} does not exist); install with `followup-sync service install`", 1
    lines, failed = [], None
    for cmd in plan.status:
        try:
            proc = runner(cmd)
        except (OSError, subprocess.TimeoutExpired) as exc:
            lines.append(f"`{shlex.join(cmd)}` could not run: {exc}")
            failed = failed or (cmd, -1)
            continue
        lines.append((proc.stdout or proc.stderr or "").strip())
        if proc.returncode != 0:
            failed = failed or (cmd, proc.returncode)
    if failed is None:
        return "\n".join([f"installed: {plan.path}", *lines]), 0
    cmd, code = failed
    head = f"not running: the service file {plan.path} is there, but `{shlex.join(cmd)}` " + (
        f"failed (exit {code})" if code >= 0 else "could not run"
    )
    text = "\n".join([head, *lines])
    if plan.no_manager and _no_manager(text):
        text += f"\n{plan.no_manager}"
    return text, 1


def _no_manager(text: str) -> bool:
    return "Failed to connect to bus" in text or "No medium found" in text or "$DBUS_SESSION_BUS_ADDRESS" in text


def _best_effort(commands: Sequence[Command], runner: Runner) -> None:
    for cmd in commands:
        try:
            runner(cmd)
        except (OSError, subprocess.TimeoutExpired):
            continue
