"""``followup-sync-team``: the team deployment's command line (docs/team.md).

Installed with followup-sync, usable with the ``[team]`` extra: without it every command says what to install
and exits. Imports psycopg and Procrastinate only inside the commands.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

CONFIG_ENV = "FOLLOWUP_SYNC_TEAM_CONFIG"


def main() -> None:
    missing = [m for m in ("psycopg", "procrastinate") if importlib.util.find_spec(m) is None]
    if missing:
        click.echo(
            f"followup-sync-team needs the team extra ({', '.join(missing)} missing): "
            "pip install 'followup-sync[team]'",
            err=True,
        )
        sys.exit(2)
    cli(prog_name="followup-sync-team")


def _fail(exc: BaseException) -> None:
    from followup_sync.errors import Error

    if isinstance(exc, Error):
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    raise exc


class _Ctx:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._team: Any = None

    @property
    def team(self) -> Any:
        if self._team is None:
            from followup_sync.team import config

            self._team = config.load(self.path)
        return self._team


@click.group()
@click.option("--config", "config_path", type=click.Path(path_type=Path), envvar=CONFIG_ENV, required=True,
              help=f"the team config (TOML); or ${CONFIG_ENV}")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="log at DEBUG")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, verbose: bool) -> None:
    """Run followup-sync for a whole sales team: every rep's mailbox, app-only, state in PostgreSQL."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    ctx.obj = _Ctx(config_path)


def _services(ctx: _Ctx) -> Any:
    from followup_sync.team.runner import Services

    return Services.start(ctx.team)


@cli.command()
@click.pass_obj
def check(ctx: _Ctx) -> None:
    """Check the config, the database, the app's sign-in and every mailbox the app may open."""
    from followup_sync.errors import Error
    from followup_sync.team import directory

    try:
        team = ctx.team
        services = _services(ctx)
        mailboxes = directory.mailboxes(team, services)
        click.echo(f"config ok: {len(mailboxes)} mailbox(es); database ok; app signed in")
        bad = 0
        for box, problem in directory.probe(services, mailboxes):
            click.echo(f"  {box}: {problem or 'ok'}")
            bad += problem is not None
        services.close()
        sys.exit(1 if bad else 0)
    except Error as exc:
        _fail(exc)


@cli.command()
@click.pass_obj
def migrate(ctx: _Ctx) -> None:
    """Create the team's tables and the job queue's (every rep's store is created at its first pass)."""
    from followup_sync.errors import Error
    from followup_sync.team import engine, pgstate

    try:
        applied = engine.ensure_schema(pgstate.conninfo(ctx.team.database_file))
        click.echo("job queue schema created" if applied else "job queue schema already there")
    except Error as exc:
        _fail(exc)


@cli.command()
@click.option("--concurrency", default=1, show_default=True, help="passes this process runs at once")
@click.option("--heartbeat", default=10.0, show_default=True, help="seconds between worker heartbeats")
@click.option("--stalled-after", default=30.0, show_default=True,
              help="seconds without heartbeat after which a worker's jobs are given back")  # fmt: skip
@click.pass_obj
def worker(ctx: _Ctx, concurrency: int, heartbeat: float, stalled_after: float) -> None:
    """Run passes from the job queue until stopped (SIGTERM: finish the pass in progress, then exit)."""
    from followup_sync.errors import Error
    from followup_sync.team import engine, pgstate

    try:
        team = ctx.team
        shared: dict[str, Any] = {}

        def services() -> Any:
            if "s" not in shared:
                shared["s"] = _services(ctx)
            return shared["s"]

        engine.run_worker(team, pgstate.conninfo(team.database_file), services, concurrency=concurrency,
                          heartbeat=heartbeat, stalled_after=stalled_after,
                          name=f"followup-sync-team@{os.uname().nodename}")  # fmt: skip
    except Error as exc:
        _fail(exc)


@cli.command()
@click.option("--mailbox", "only", multiple=True, help="only this mailbox (repeatable)")
@click.option("--all", "force", is_flag=True, help="every mailbox, even those not due")
@click.pass_obj
def enqueue(ctx: _Ctx, only: tuple[str, ...], force: bool) -> None:
    """Queue passes now for the mailboxes that are due (or those named, or --all)."""
    import asyncio

    from followup_sync.errors import Error
    from followup_sync.team import directory, engine, pgstate

    try:
        team = ctx.team
        dsn = pgstate.conninfo(team.database_file)
        engine.ensure_schema(dsn)
        boxes = list(only) or directory.mailboxes(team, _services(ctx))
        app = engine.build_app(team, dsn, lambda: None, mailboxes=lambda: boxes)  # type: ignore[arg-type,return-value]

        async def go() -> int:
            async with app.open_async():
                return await engine.defer_due(app, boxes, interval_seconds=team.interval_minutes * 60,
                                              force=force or bool(only))  # fmt: skip

        click.echo(f"queued {asyncio.run(go())} pass(es)")
    except Error as exc:
        _fail(exc)


@cli.command()
@click.option("--mailbox", "only", multiple=True, help="only this mailbox (repeatable)")
@click.option("--dry-run", is_flag=True, help="show what each pass would do; change nothing")
@click.pass_obj
def sync(ctx: _Ctx, only: tuple[str, ...], dry_run: bool) -> None:
    """Run passes here and now, one mailbox after another (no job queue)."""
    from followup_sync.errors import Error
    from followup_sync.team import directory
    from followup_sync.team.runner import run_pass

    team = ctx.team
    try:
        services = _services(ctx)
        boxes = list(only) or directory.mailboxes(team, services)
    except Error as exc:
        _fail(exc)
        return
    failed = 0
    for box in boxes:
        try:
            out = run_pass(services, box, dry_run=dry_run)
        except Error as exc:
            click.echo(f"{box}: FAILED: {exc}")
            failed += 1
            continue
        res = out.result
        assert res is not None
        s = res.stats
        verb = "would create" if dry_run else "created"
        click.echo(f"{box}: {s.followups_open} open, {verb} {s.created}, updated {s.updated}, deleted {s.deleted}"
                   f"{'' if not res.problems else ', problems: ' + '; '.join(res.problems)}")  # fmt: skip
        if dry_run:
            for a in res.actions:
                if a.op in ("create", "update", "delete"):
                    click.echo(f"    {a.op} {a.key}")
    services.close()
    sys.exit(1 if failed else 0)


@cli.command()
@click.pass_obj
def status(ctx: _Ctx) -> None:
    """Each mailbox's last pass: when, whether it went well, and its first problem."""
    from followup_sync.errors import Error
    from followup_sync.team import pgstate, store

    try:
        with pgstate.connect(pgstate.conninfo(ctx.team.database_file)) as conn:
            store.ensure_team_schema(conn)
            rows = store.passes(conn)
    except Error as exc:
        _fail(exc)
        return
    for box in sorted({*ctx.team.mailboxes, *rows}):
        r = rows.get(box)
        if r is None or r.last_started is None:
            click.echo(f"{box}: no pass yet")
            continue
        state = "running" if r.last_finished is None or r.last_finished < r.last_started else (
            "ok" if r.last_ok else f"FAILED: {r.last_problem}")  # fmt: skip
        click.echo(f"{box}: {state}; last started {r.last_started:%Y-%m-%d %H:%M:%S %Z}; {r.passes} passes")


@cli.command()
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="write the view as JSON here")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="write the view as an HTML page here")
@click.pass_obj
def report(ctx: _Ctx, json_path: Path | None, html_path: Path | None) -> None:
    """The manager's view (opt-in: [manager] enabled = true): per rep, open and overdue follow-ups by kind,
    follow-ups closed in time, median time to answer a customer."""
    from followup_sync.errors import Error
    from followup_sync.team import manager

    try:
        view = manager.build(ctx.team, manager.connect(ctx.team))
        written = manager.write(ctx.team, view, json_path=json_path, html_path=html_path)
    except Error as exc:
        _fail(exc)
        return
    for path in written:
        click.echo(f"wrote {path}")
