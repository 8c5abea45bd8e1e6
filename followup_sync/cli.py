"""The ``followup-sync`` command: wiring and wording only, no logic.

Every command turns our exceptions into one sentence that names the fix (:func:`handle_error`); nothing else
in the package writes sentences for the user. Exit codes: 0 success, 1 any failure (partial included),
2 usage errors (click's own).

Start-up time is part of the interface (issue 11: ``--help`` within 100 ms): at module level this imports
only click and our two small modules; everything else (the config reader, logging, json, the pass and its
libraries) is imported by the command that needs it. ``tests/test_cold_start.py`` keeps it that way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from followup_sync import __version__
from followup_sync.errors import (
    AlreadyRunning,
    ConfigError,
    Error,
    SinkEmptied,
    SourceMissing,
    TransientError,
)
from followup_sync.sanitise import clean

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from followup_sync.config import Config


def _load(path: Path | None) -> Config:
    from followup_sync import config

    return config.load(path)


def _default_config_path() -> Path:
    from followup_sync import config

    return config.default_config_path()


def _echo(text: str, *, err: bool = False) -> None:
    """Everything the CLI prints goes through here: no terminal escapes from mail, servers or files."""
    click.echo(clean(text, multiline=True), err=err)


def handle_error(exc: BaseException, *, verbose: bool = False) -> tuple[str, int]:
    """The one place that turns an exception into what the user reads, and the exit code."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", 130
    if isinstance(exc, SinkEmptied):
        return (
            f"error: {exc}. Stopped before changing anything: check that [reminders] points at the right "
            "calendar and that you are logged in. If you deleted them on purpose, run "
            "`followup-sync sync --force`.",
            1,
        )
    if isinstance(exc, AlreadyRunning):
        return f"error: {exc}; wait for it to finish or stop it (`followup-sync service status`)", 1
    if isinstance(exc, SourceMissing):
        return f"error: {exc.message}; check that it is there (a disconnected drive, a moved folder?)", 1
    if isinstance(exc, TransientError):
        return f"error: could not reach {exc.backend}: {exc.message}; the next pass will try again", 1
    if isinstance(exc, Error):
        # UserError (config, credentials, state file) and BackendError already read as one sentence
        return f"error: {exc}", 1
    if isinstance(exc, OSError) and exc.filename:
        return f"error: cannot use {exc.filename}: {exc.strerror}", 1
    if isinstance(exc, OSError) and exc.strerror:
        return f"error: {exc.strerror}", 1
    hint = "" if verbose else " (run with -v for the traceback)"
    return f"error: unexpected {type(exc).__name__}: {exc}{hint}", 1


class _Group(click.Group):
    """Runs a command and maps any exception through :func:`handle_error`, never a raw traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            verbose = bool(ctx.obj and ctx.obj.get("verbose"))
            if verbose:
                import traceback

                traceback.print_exc()
            message, code = handle_error(exc, verbose=verbose)
            _echo(message, err=True)
            ctx.exit(code)


def _setup_logging(verbose: int) -> None:
    """Warnings (skipped messages, problems) to stderr; ``-v`` adds the INFO lines, ``-vv`` debug.

    Only the handler filters at the default level: the package logger's own level is raised only on
    request, so a caller that configured logging (the daemon's log file, a test) keeps what it set up.
    """
    import logging

    from followup_sync import logs

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    package = logging.getLogger("followup_sync")
    for old in [h for h in package.handlers if getattr(h, "_followup_cli", False)]:
        package.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logs.RedactingFormatter("%(levelname)s %(message)s"))
    handler.addFilter(logs.CleanFilter())
    handler.setLevel(level)
    handler._followup_cli = True  # type: ignore[attr-defined]
    package.addHandler(handler)
    if verbose:
        package.setLevel(level)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="followup-sync")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug); show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Turn the follow-ups you owe into reminders in your calendar."""
    ctx.obj = {"verbose": verbose}
    _setup_logging(verbose)


def main() -> None:
    cli(prog_name="followup-sync")


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: the per-user one; see `followup-sync init`).",
)


def _parse_now(value: str | None, tz: ZoneInfo) -> datetime | None:
    """``--now``: an ISO-8601 moment; without an offset it is read in the rep's own time zone."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 date-time such as 2026-03-18T16:00", param_hint="--now"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _emit(result: Any, fmt: str) -> None:
    import json

    from followup_sync import report

    if fmt == "json":
        _echo(json.dumps(report.to_json(result), ensure_ascii=False, indent=2))
    else:
        _echo(report.table(result))


@cli.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing (calendar and state untouched).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--now", "now_text", metavar="ISO-8601", help="Behave as if run at this moment.")
@click.option("--force", is_flag=True, help="Continue even if the calendar suddenly lists none of our reminders.")
def sync(config_path: Path | None, dry_run: bool, fmt: str, now_text: str | None, force: bool) -> None:
    """Run one pass: read mail and meetings, then create, update or remove reminders."""
    from followup_sync.logs import WarnedOnce
    from followup_sync.sync import run_once

    config = _load(config_path)
    now = _parse_now(now_text, config.identity.zone)
    warned = WarnedOnce.default()  # skipped messages are named once, not again on every run
    try:
        result = run_once(config, now=now, dry_run=dry_run, force=force, warned=warned)
    finally:
        warned.save()
    _emit(result, fmt)
    if not dry_run:
        _learned(config, result.now, err=fmt == "json")
    if result.problems:
        sys.exit(1)


def _learned(config: Config, now: datetime, *, err: bool) -> None:
    """After a real pass: learn from the answers the rep gave in the calendar (``control.learning``)."""
    from followup_sync.control.learning import learn_after_pass

    for line in learn_after_pass(config.state_path, now=now):
        _echo(f"learnt: {line}; `followup-sync unmute` undoes it", err=err)


@cli.command()
@click.option("--timezone", "tz_name", default="UTC", show_default=True, help="The writer's IANA time zone.")
@click.option("--date-order", type=click.Choice(["MDY", "DMY"]), default="MDY", show_default=True)
def detect(tz_name: str, date_order: str) -> None:
    """Read JSON lines {"id", "text", "sent_at"?} on stdin; print the promises found, one JSON line each."""
    import json
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{tz_name!r} is not an IANA time zone", param_hint="--timezone") from None
    failed = False
    for number, out in _detect_lines(sys.stdin, tz=tz, date_order=date_order):
        if isinstance(out, str):
            _echo(f"line {number}: {out}; skipped", err=True)
            failed = True
        else:
            _echo(json.dumps(out, ensure_ascii=False))
    if failed:
        sys.exit(1)


def _detect_lines(stream: TextIO, *, tz: ZoneInfo, date_order: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    import json

    from followup_sync.text.dates import DateOptions
    from followup_sync.text.promises import detect as detect_promises

    options = DateOptions(date_order=date_order)
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected an object with a string "text"')
            sent_at = _sent_at(item.get("sent_at"), tz)
        except ValueError as exc:
            yield number, f"not a valid input object ({exc})"
            continue
        promises = detect_promises(item["text"], sent_at=sent_at, tz=tz, options=options)
        yield (
            number,
            {
                "id": item.get("id"),
                "promises": [
                    {
                        "sentence": clean(p.sentence),
                        "action": p.action,
                        "channel": p.channel,
                        "due": p.due.when.astimezone(tz).isoformat(timespec="seconds") if p.due else None,
                    }
                    for p in promises
                ],
            },
        )


def _sent_at(value: Any, tz: ZoneInfo) -> datetime:
    from datetime import UTC, datetime

    if value is None:
        return datetime.now(UTC)
    if not isinstance(value, str):
        raise ValueError("sent_at must be an ISO-8601 string")
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)).astimezone(UTC)


@cli.command()
@click.option("--now", "now_text", metavar="ISO-8601", help="Behave as if run at this moment.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("followup-sync-demo"),
    show_default=True,
    help="Folder for the demo's reminders.ics and state.",
)
@click.option("--dry-run", is_flag=True, help="Show the plan; write nothing.")
def demo(now_text: str | None, fmt: str, out: Path, dry_run: bool) -> None:
    """Run a full pass on the bundled demo mailbox: no account or configuration needed."""
    from followup_sync import demo as demomod
    from followup_sync.sync import run_once

    config = demomod.config(out)
    now = _parse_now(now_text, config.identity.zone) or demomod.DEFAULT_NOW
    result = run_once(config, now=now, dry_run=dry_run)
    _emit(result, fmt)
    if not dry_run:
        _learned(config, result.now, err=fmt == "json")
    if fmt == "table":
        if call := demomod.call_reminder(result):
            _echo("")
            _echo(call)
        _echo("")
        _echo(demomod.summary(config, result))
        if not dry_run:
            _echo("")
            _echo(demomod.listing(config, result.now))
    if result.problems:
        sys.exit(1)


@cli.command()
@config_option
def init(config_path: Path | None) -> None:
    """Write a starting config after a few questions; never overwrites an existing one."""
    from followup_sync import setup

    path = config_path or _default_config_path()
    if path.exists():
        raise ConfigError(f"{path} already exists; edit it, or move it aside to start again")
    text = setup.interview(ask=_ask)
    setup.write(path, text)
    _echo(f"Wrote {path}. Review it, then try `followup-sync sync --dry-run`.")


def _ask(question: str, default: str | None, choices: list[str] | None, check: Callable[[str], str | None]) -> str:
    kind = click.Choice(choices) if choices else click.STRING
    while True:
        answer = str(click.prompt(question, default=default, type=kind))
        problem = check(answer)
        if problem is None:
            return answer
        _echo(f"  {problem}", err=True)


@cli.command()
@config_option
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge(config_path: Path | None, dry_run: bool, yes: bool) -> None:
    """Remove every reminder followup-sync wrote (only ours, never anyone else's events)."""
    from followup_sync.sync import purge as purge_all

    config = _load(config_path)
    items = purge_all(config, dry_run=True)
    for item in items:
        when = f"{item.start.astimezone(config.identity.zone):%Y-%m-%d %H:%M}" if item.start else "?"
        _echo(f"{'would delete' if dry_run else 'delete'} {item.key} at {when}")
    if dry_run or not items:
        _echo(f"{len(items)} reminder(s) of ours in {config.reminders.backend}.")
        return
    if not yes:
        click.confirm(f"Delete these {len(items)} reminder(s)?", abort=True)
    deleted = purge_all(config, dry_run=False)
    _echo(f"Deleted {len(deleted)} reminder(s).")


# --- account commands ---


@cli.command("imap-password")
@config_option
def imap_password(config_path: Path | None) -> None:
    """Store the IMAP password for [mail] in the OS keyring (it is never written to a file)."""
    from followup_sync.backends.imap import store_password

    config = _load(config_path)
    if config.mail.backend != "imap":
        raise ConfigError('[mail] backend is not "imap"; there is no IMAP password to store')
    host, user = config.mail.options.get("host"), config.mail.options.get("username")
    if not isinstance(host, str) or not isinstance(user, str):
        raise ConfigError("[mail] needs host and username before a password can be stored")
    _check_keyring()
    password = click.prompt(f"IMAP password for {user} at {host}", hide_input=True)
    kind = store_password(host, user, password)
    _echo(f"Stored in the OS keyring ({kind}).")


@cli.command("caldav-password")
@config_option
def caldav_password(config_path: Path | None) -> None:
    """Store the CalDAV password(s) for [meetings] and [reminders] in the OS keyring."""
    from followup_sync.backends.caldav import store_password

    config = _load(config_path)
    targets = {
        (str(s.options.get("url")), str(s.options.get("username")))
        for s in (config.meetings, config.reminders)
        if s.backend == "caldav" and s.options.get("username")
    }
    if not targets:
        raise ConfigError('no [meetings] or [reminders] section uses backend "caldav" with a username')
    _check_keyring()
    kinds = set()
    for url, user in sorted(targets):
        password = click.prompt(f"CalDAV password for {user} at {url}", hide_input=True)
        kinds.add(store_password(url, user, password))
    _echo(f"Stored in the OS keyring ({', '.join(sorted(kinds))}).")


def _check_keyring() -> None:
    """Refuse an unsafe keyring before asking for a password, not after the user typed it."""
    from followup_sync import keystore

    keystore.check_keyring()


@cli.command()
@config_option
@click.option("--browser", is_flag=True, help="Sign in through the system browser instead of a device code.")
def login(config_path: Path | None, browser: bool) -> None:
    """Sign in to Microsoft 365; the token is kept in the OS keyring only."""
    from followup_sync import credentials

    config = _load(config_path)
    user = credentials.login(config, method="browser" if browser else "device", echo=_echo)
    _echo(f"Signed in as {user}.")


@cli.command()
@config_option
def logout(config_path: Path | None) -> None:
    """Forget the Microsoft 365 sign-in (removes the token from the OS keyring)."""
    from followup_sync import credentials

    removed = credentials.logout(_load(config_path))
    _echo("Signed out." if removed else "Not signed in.")


@cli.command()
@config_option
def whoami(config_path: Path | None) -> None:
    """Show the Microsoft 365 account followup-sync uses."""
    from followup_sync import credentials

    user = credentials.whoami(_load(config_path))
    if user is None:
        _echo("Not signed in; run `followup-sync login`.")
        sys.exit(1)
    _echo(user)


# --- daemon commands ---


@cli.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Plan and log every pass; write nothing to the calendar or state.")
@click.pass_context
def run(ctx: click.Context, config_path: Path | None, dry_run: bool) -> None:
    """Run in the background: a pass now, then every [daemon] interval_minutes, until stopped."""
    from followup_sync import daemon, logs

    logs.setup(verbose=ctx.obj["verbose"] > 1, log_file=True, dedupe_hours=24)
    sys.exit(daemon.run(config_path, dry_run=dry_run))


@cli.command()
@config_option
def status(config_path: Path | None) -> None:
    """Last and next pass, open follow-ups by kind, and anything that needs you."""
    from followup_sync.status import status_report

    _echo(status_report(_load(config_path)))


@cli.group()
def service() -> None:
    """Start followup-sync with your session (systemd, launchd or Task Scheduler; no admin rights)."""


@service.command("install")
@config_option
def service_install(config_path: Path | None) -> None:
    """Install and start the background service for this config."""
    from followup_sync import service as svc

    path = config_path or _default_config_path()
    _load(path)  # refuse to install a service that would exit at once
    _echo(svc.install(svc.current_plan(path)))


@service.command("uninstall")
def service_uninstall() -> None:
    """Stop the background service and remove it."""
    from followup_sync import service as svc

    _echo(svc.uninstall(svc.current_plan(None)))


@service.command("status")
def service_status() -> None:
    """Whether the background service is installed, and what the OS says about it."""
    from followup_sync import service as svc

    text, code = svc.status(svc.current_plan(None))
    _echo(text)
    sys.exit(code)


def _register() -> None:
    """The rep's own commands (list, done, dismiss, snooze, mute, unmute, review) live in ``control``."""
    from followup_sync.control.cli import register

    register(cli)


_register()
