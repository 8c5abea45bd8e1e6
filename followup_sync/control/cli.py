"""The rep's commands: ``list``, ``done``, ``dismiss``, ``snooze``, ``mute``, ``unmute`` and ``review``.

Registered on the main group by :func:`register`; wiring and wording only (the work is in ``answers``,
``learning``, ``listing`` and ``review``). Like the main CLI, only click is imported at module level: start-up
time is part of the interface.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from datetime import datetime

    from followup_sync.config import Config
    from followup_sync.preferences import AnswerKind
    from followup_sync.state import State

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: the per-user one; see `followup-sync init`).",
)
now_option = click.option("--now", "now_text", metavar="ISO-8601", hidden=True, help="Act as if at this moment.")


def _echo(text: str) -> None:
    from followup_sync.sanitise import clean

    click.echo(clean(text, multiline=True))


def _now(text: str | None, config: Config) -> datetime:
    from datetime import UTC, datetime

    if text is None:
        return datetime.now(UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not an ISO-8601 date-time", param_hint="--now") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=config.identity.zone)).astimezone(UTC)


@contextlib.contextmanager
def _state(config: Config, *, write: bool) -> Iterator[State]:
    """The state, under the pass lock when writing (a daemon's pass and an answer never interleave)."""
    from followup_sync.state import State
    from followup_sync.sync import pass_lock

    with contextlib.ExitStack() as stack:
        if write:
            stack.enter_context(pass_lock(config.state_path))
            state = State.open(config.state_path)
        else:
            state = State.snapshot(config.state_path)
        stack.callback(state.close)
        yield state


def _config(path: Path | None) -> Config:
    from followup_sync import config

    return config.load(path)


def _after(config: Config) -> str:
    return "its reminder changes at the next pass (`followup-sync sync` now, or within minutes with the daemon)"


def _told(outcome: Any, config: Config) -> None:
    from followup_sync import people
    from followup_sync.control.answers import short_id

    f = outcome.followup
    who = ", ".join(f.contacts)
    _echo(f"{short_id(f.key)} {f.kind} ({who}): {outcome.said}; {_after(config)}.")
    for line in outcome.learnt:
        _echo(f"learnt: {line}; `followup-sync unmute` undoes it")
    del people


@click.command("list")
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@now_option
def list_cmd(config_path: Path | None, fmt: str, now_text: str | None) -> None:
    """Open follow-ups: id, kind, contacts, due, reminder time (or queued) and evidence; then the conditional
    promises waiting on the contact's yes."""
    import json

    from followup_sync.control import listing

    config = _config(config_path)
    now = _now(now_text, config)
    tz = config.identity.zone
    if not config.state_path.exists():
        _echo("No follow-ups yet: run `followup-sync sync` first.")
        return
    with _state(config, write=False) as state:
        found = listing.rows(state, today=now.astimezone(tz).date())
        waiting, known = listing.pending(state)
    if fmt == "json":
        out = [listing.to_json(r, tz=tz) for r in found]
        out += [listing.pending_json(p, known=known, tz=tz) for p in waiting]
        _echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _echo(listing.table(found, tz=tz))
        if waiting:
            _echo("")
            _echo(listing.pending_table(waiting, known=known))


def _answer(config_path: Path | None, ident: str, what: AnswerKind, now_text: str | None, **kw: Any) -> None:
    from followup_sync.control import answers

    config = _config(config_path)
    now = _now(now_text, config)
    with _state(config, write=True) as state:
        rec = answers.find(state, ident)
        until = kw.pop("until", None)
        outcome = answers.answer(
            state,
            rec,
            what,
            via="cli",
            now=now,
            until=until,
            tz=config.identity.zone,
            **kw,
        )
    _told(outcome, config)


@click.command()
@config_option
@click.argument("ident", metavar="ID")
@now_option
def done(config_path: Path | None, ident: str, now_text: str | None) -> None:
    """Mark a follow-up done: its reminder goes at the next pass."""
    _answer(config_path, ident, "done", now_text)


@click.command()
@config_option
@click.argument("ident", metavar="ID")
@click.option("--not-a-promise", is_flag=True, help="Its sentence is not a promise: learn that sentence shape.")
@click.option("--mute-contact", is_flag=True, help="Never remind of its contact(s) again (until unmuted).")
@click.option(
    "--mute-domain", is_flag=True, help="Never remind of anybody at its contact's domain (until unmuted)."
)
@now_option
def dismiss(
    config_path: Path | None,
    ident: str,
    not_a_promise: bool,
    mute_contact: bool,
    mute_domain: bool,
    now_text: str | None,
) -> None:
    """Dismiss a follow-up that is wrong; two in a row of one kind from one domain mute that kind there."""
    what: AnswerKind = "not_a_promise" if not_a_promise else "dismiss"
    _answer(config_path, ident, what, now_text, mute_contact=mute_contact, mute_domain=mute_domain)


@click.command()
@config_option
@click.argument("ident", metavar="ID")
@click.option("--until", "until_text", required=True, metavar="WHEN", help='"tomorrow 9am", "next Monday", ...')
@now_option
def snooze(config_path: Path | None, ident: str, until_text: str, now_text: str | None) -> None:
    """Remind of a follow-up again at WHEN (read like the dates in your mail)."""
    from followup_sync.control.answers import read_when

    config = _config(config_path)
    now = _now(now_text, config)
    until = read_when(until_text, now=now, config=config)
    _answer(config_path, ident, "snooze", now_text, until=until)


@click.command()
@config_option
@click.argument("target", required=False, metavar="ADDRESS|DOMAIN")
@click.option("--list", "show", is_flag=True, help="List every mute and learnt rule, with where it came from.")
@now_option
def mute(config_path: Path | None, target: str | None, show: bool, now_text: str | None) -> None:
    """Never remind of an address or a domain again; --list shows every rule and where it came from."""
    from followup_sync.control import answers

    config = _config(config_path)
    if show or target is None:
        if not config.state_path.exists():
            _echo("Nothing muted, nothing learnt.")
            return
        with _state(config, write=False) as state:
            lines = answers.learnt_lines(state)
        _echo("\n".join(lines) if lines else "Nothing muted, nothing learnt.")
        if lines:
            _echo("`followup-sync unmute ADDRESS|DOMAIN|#ID` removes a rule.")
        return
    with _state(config, write=True) as state:
        _echo(answers.mute(state, target, now=_now(now_text, config)) + "; " + _after(config))


@click.command()
@config_option
@click.argument("target", metavar="ADDRESS|DOMAIN|#ID")
@now_option
def unmute(config_path: Path | None, target: str, now_text: str | None) -> None:
    """Remove a mute or a learnt rule; the follow-ups it silenced come back."""
    from followup_sync.control import answers

    config = _config(config_path)
    with _state(config, write=True) as state:
        removed, reopened = answers.unmute(state, target, now=_now(now_text, config))
    for r in removed:
        _echo(f"removed #{r.mute.id}: {r.mute.describe()}")
    _echo(f"{reopened} follow-up(s) it silenced are open again; {_after(config)}.")


@click.command()
@config_option
@now_option
def review(config_path: Path | None, now_text: str | None) -> None:
    """Walk through the open follow-ups, one key per answer (d done, x dismiss, s snooze, ...; ? for help)."""
    from followup_sync.control import review as walk

    config = _config(config_path)
    now = _now(now_text, config)
    if not config.state_path.exists():
        _echo("No follow-ups yet: run `followup-sync sync` first.")
        return
    with _state(config, write=True) as state:
        summary = walk.run(state, config=config, now=now, read_key=click.getchar, show=walk.terminal_show)
    _echo(summary)


def register(group: click.Group) -> None:
    for command in (list_cmd, done, dismiss, snooze, mute, unmute, review):
        group.add_command(command)
