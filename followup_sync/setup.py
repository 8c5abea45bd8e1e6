"""``followup-sync init``: a few questions, then a starting config the user can read and edit.

The questions come through an ``ask`` callable so the interview runs the same under click and in tests.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followup_sync import config as configmod

#: ask(question, default, choices, check) -> answer; ``check`` returns a problem to show, or None.
Ask = Callable[[str, str | None, list[str] | None, Callable[[str], str | None]], str]

_LOCAL_PATH_BACKENDS = {"maildir": "Maildir folder", "mbox": "mbox file", "eml": "folder of .eml files"}


def _ok(_: str) -> str | None:
    return None


def _addresses(answer: str) -> str | None:
    items = [a.strip() for a in answer.split(",") if a.strip()]
    if not items or not all(configmod._EMAIL.match(a) for a in items):
        return "enter one or more email addresses, separated by commas"
    return None


def _zone(answer: str) -> str | None:
    try:
        ZoneInfo(answer)
    except (ZoneInfoNotFoundError, ValueError):
        return "enter an IANA time zone such as Europe/Berlin or America/New_York"
    return None


def _existing(answer: str) -> str | None:
    return None if Path(answer).expanduser().exists() else f"{answer} does not exist"


def interview(*, ask: Ask) -> str:
    """Ask the questions and return the TOML text (validated by the same parser that reads it later)."""
    addresses = ask("Your email address(es), comma-separated", None, None, _addresses)
    timezone = ask("Your time zone", configmod._local_timezone(), None, _zone)
    mail = ask("Where is your mail?", "graph", ["graph", "imap", "maildir", "mbox", "eml"], _ok)
    mail_opts = _mail_options(mail, ask)
    meetings_default = "graph" if mail == "graph" else "ics"
    meetings = ask("Where are your meetings?", meetings_default, ["graph", "caldav", "ics", "none"], _ok)
    meetings_opts = _calendar_options(meetings, ask, what="meetings .ics file", must_exist=True)
    reminders_default = "graph" if mail == "graph" else "ics"
    reminders = ask("Where should reminders go?", reminders_default, ["graph", "caldav", "ics"], _ok)
    reminders_opts = _calendar_options(reminders, ask, what="reminders .ics file to write", must_exist=False)
    addr_list = ", ".join(f'"{a.strip().lower()}"' for a in addresses.split(",") if a.strip())
    text = "\n".join(
        [
            "# followup-sync configuration. Every option is explained in config.example.toml.",
            "",
            "[identity]",
            f"addresses = [{addr_list}]",
            f'timezone = "{timezone}"',
            "",
            "[mail]",
            f'backend = "{mail}"',
            *mail_opts,
            "",
            "[meetings]",
            f'backend = "{meetings}"',
            *meetings_opts,
            "",
            "[reminders]",
            f'backend = "{reminders}"',
            *reminders_opts,
            "",
        ]
    )
    configmod.parse(tomllib.loads(text))
    return text


def _mail_options(backend: str, ask: Ask) -> list[str]:
    if backend in _LOCAL_PATH_BACKENDS:
        path = ask(f"Path of your {_LOCAL_PATH_BACKENDS[backend]}", None, None, _existing)
        return [f"path = {_quote(path)}"]
    if backend == "imap":
        host = ask("IMAP server host name", None, None, _ok)
        user = ask("IMAP user name", None, None, _ok)
        return [f"host = {_quote(host)}", f"username = {_quote(user)}"]
    return []


def _calendar_options(backend: str, ask: Ask, *, what: str, must_exist: bool) -> list[str]:
    if backend == "ics":
        path = ask(f"Path of the {what}", None, None, _existing if must_exist else _ok)
        return [f"path = {_quote(path)}"]
    if backend == "caldav":
        url = ask("CalDAV calendar URL", None, None, _ok)
        user = ask("CalDAV user name", None, None, _ok)
        return [f"url = {_quote(url)}", f"username = {_quote(user)}"]
    return []


def _quote(value: str) -> str:
    """A TOML basic string; literal strings would break on a Windows path containing a quote."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(path: Path, text: str) -> None:
    """Create the config with owner-only permissions; refuses to replace an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
