"""A team pass: app-only sign-in with a certificate against the fake tenant, each rep's mailbox under
/users/{id}, state in the rep's PostgreSQL schema; it must write what the single-rep pass writes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from followup_sync.errors import ConfigError, CredentialsError
from followup_sync.team import config as team_config
from followup_sync.team import pgstate, store
from followup_sync.team.runner import Services, run_pass
from tests.fakegraph import mailbox
from tests.fakegraph.tenant import FakeTenant, TenantServer
from tests.team.world import CLIENT_ID, make_certificate, make_team, reference, reminders, team_data, tenant_with

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)  # a Tuesday


def addresses(n: int) -> list[str]:
    tag = secrets.token_hex(3)
    return [f"rep{i}-{tag}@contoso.com" for i in range(n)]


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, bytes]:
    return make_certificate(tmp_path)


@pytest.fixture
def reps() -> list[str]:
    return addresses(3)


@pytest.fixture
def tenant(reps: list[str], cert: tuple[Path, bytes]) -> FakeTenant:
    t = tenant_with(reps, cert[1])
    for i, a in enumerate(reps):
        mailbox.build(t.mailboxes[a], messages=120, now=NOW, seed=100 + i)
    return t


@pytest.fixture
def server(tenant: FakeTenant) -> Iterator[TenantServer]:
    with TenantServer(tenant) as srv:
        yield srv


def start(team: Any, server: TenantServer, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setenv(pgstate.DSN_ENV, pg_dsn)
    session = __import__("tests.team.world", fromlist=["login_session"]).login_session(server.url)
    services = Services.start(team, graph_url=server.url, login_http_client=session, backoff=0.01)
    server.on_close.append(lambda: (services.close(), session.close()))
    return services


def test_each_reps_pass_writes_what_the_single_rep_pass_writes(
    tenant: FakeTenant, server: TenantServer, reps: list[str], cert: tuple[Path, bytes], pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, memory_keyring: Any,
) -> None:  # fmt: skip
    team = make_team(reps, cert[0])
    services = start(team, server, pg_dsn, monkeypatch)
    expected = {a: reference(team.rep_config(a), tenant.mailboxes[a], NOW, tmp_path / a) for a in reps}
    for a in reps:
        out = run_pass(services, a, now=NOW)
        assert out.ok, out.result.problems if out.result else out.problem
    for a in reps:
        got = reminders(tenant.mailboxes[a])
        assert got == expected[a]
        assert len(got) > 3
    # one app token served every pass (msal's cache), and no request ever used /me
    assert tenant.counts["tokens_issued"] == 1
    assert all(not p.startswith("/v1.0/me") for box in tenant.mailboxes.values() for _, p, _ in box.http)
    # a second pass changes nothing
    before = {a: len(tenant.mailboxes[a].writes) for a in reps}
    for a in reps:
        assert run_pass(services, a, now=NOW + timedelta(minutes=15)).ok
    assert {a: len(tenant.mailboxes[a].writes) for a in reps} == before


def test_a_reps_pass_never_reads_or_writes_another_reps_data(
    tenant: FakeTenant, server: TenantServer, reps: list[str], cert: tuple[Path, bytes], pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    team = make_team(reps, cert[0])
    services = start(team, server, pg_dsn, monkeypatch)
    first, others = reps[0], reps[1:]
    assert run_pass(services, first, now=NOW).ok
    assert reminders(tenant.mailboxes[first])
    for a in others:
        assert tenant.mailboxes[a].http == []  # not one request to another rep's mailbox
    with pgstate.connect(pg_dsn) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rep_%'")}
        assert pgstate.schema_for(first) in schemas
        assert not {pgstate.schema_for(a) for a in others} & schemas
        keys = conn.execute(f"SELECT key FROM {pgstate.schema_for(first)}.followups").fetchall()
        assert keys
        row = store.passes(conn)[first]
        assert row.last_ok and row.passes == 1 and row.requests > 0


def test_a_dry_run_writes_nothing_anywhere(
    tenant: FakeTenant, server: TenantServer, reps: list[str], cert: tuple[Path, bytes], pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    team = make_team(reps, cert[0])
    services = start(team, server, pg_dsn, monkeypatch)
    out = run_pass(services, reps[0], now=NOW, dry_run=True)
    assert out.result is not None and out.result.stats.created > 3
    assert tenant.mailboxes[reps[0]].writes == []
    with pgstate.connect(pg_dsn) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'followups'",
            (pgstate.schema_for(reps[0]),),
        ).fetchone()
        assert tables == (0,)
        assert reps[0] not in store.passes(conn)


def test_a_mailbox_outside_the_admins_access_policy_fails_alone_with_a_sentence_saying_so(
    tenant: FakeTenant, server: TenantServer, reps: list[str], cert: tuple[Path, bytes], pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    tenant.set_policy(reps[:2])
    team = make_team(reps, cert[0])
    services = start(team, server, pg_dsn, monkeypatch)
    assert run_pass(services, reps[0], now=NOW).ok
    with pytest.raises(CredentialsError, match="access policy"):
        run_pass(services, reps[2], now=NOW)
    assert tenant.counts["denied:policy"] >= 1
    assert reminders(tenant.mailboxes[reps[2]]) == {}


def test_an_unregistered_certificate_is_refused_by_entra(
    tenant: FakeTenant, server: TenantServer, reps: list[str], tmp_path: Path, pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    other, _ = make_certificate(tmp_path, name="other.pem")
    team = make_team(reps, other)
    with pytest.raises(CredentialsError, match="invalid_client"):
        services = start(team, server, pg_dsn, monkeypatch)
        run_pass(services, reps[0], now=NOW)
    assert tenant.counts["tokens_issued"] == 0


def test_an_app_without_calendar_write_permission_cannot_write(
    reps: list[str], cert: tuple[Path, bytes], pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = tenant_with(reps, cert[1], roles=("Mail.Read", "Calendars.Read"))
    mailbox.build(tenant.mailboxes[reps[0]], messages=60, now=NOW, seed=5)
    with TenantServer(tenant) as server:
        services = start(make_team(reps, cert[0]), server, pg_dsn, monkeypatch)
        out = run_pass(services, reps[0], now=NOW)
        assert not out.ok and out.result is not None and out.result.stats.errors
        assert tenant.counts["denied:roles"] >= 1 and reminders(tenant.mailboxes[reps[0]]) == {}


def test_the_config_refuses_what_it_must(cert: tuple[Path, bytes], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mailboxes = \[\.\.\.\] or group"):
        team_config.parse(team_data([], cert[0]))
    data = team_data(["a@contoso.com"], cert[0])
    data["app"] = {**data["app"], "certificate": None, "client_secret": "s3cret-value"}
    del data["app"]["certificate"]
    with pytest.raises(ConfigError, match=r"never write the secret itself") as info:
        team_config.parse(data)
    assert "s3cret-value" not in str(info.value)
    data = team_data(["a@contoso.com"], cert[0])
    data["app"]["tenant"] = "common"
    with pytest.raises(ConfigError, match=r"app\.tenant"):
        team_config.parse(data)
    data = team_data(["a@contoso.com"], cert[0], reps={"a@contoso.com": {"rules": {"lookback_days": 0}}})
    with pytest.raises(ConfigError, match="lookback_days"):
        team_config.parse(data)
    loose, _ = make_certificate(tmp_path, name="loose.pem")
    loose.chmod(0o644)
    from followup_sync.team.appauth import read_certificate

    with pytest.raises(ConfigError, match="chmod 600"):
        read_certificate(loose)


def test_a_group_is_read_with_its_own_permission(
    reps: list[str], cert: tuple[Path, bytes], pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followup_sync.team import directory

    for roles, ok in ((("Mail.Read", "Calendars.ReadWrite", "GroupMember.Read.All"), True),
                      (("Mail.Read", "Calendars.ReadWrite"), False)):  # fmt: skip
        tenant = tenant_with(reps, cert[1], roles=roles)
        gid = tenant.add_group("sales@contoso.com", reps[:2])
        data = team_data([], cert[0], team={"group": gid})
        del data["team"]["mailboxes"]
        team = team_config.parse(data)
        directory._cache.clear()
        with TenantServer(tenant) as server:
            services = start(team, server, pg_dsn, monkeypatch)
            if ok:
                assert directory.mailboxes(team, services) == reps[:2]
            else:
                with pytest.raises(CredentialsError):
                    directory.mailboxes(team, services)


def test_client_secret_from_the_environment(
    reps: list[str], cert: tuple[Path, bytes], pg_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = tenant_with(reps, cert[1], secret="a-long-client-secret")
    data = team_data(reps, cert[0])
    del data["app"]["certificate"]
    data["app"]["client_secret"] = "env"
    team = team_config.parse(data)
    monkeypatch.setenv(team_config.SECRET_ENV, "a-long-client-secret")
    with TenantServer(tenant) as server:
        services = start(team, server, pg_dsn, monkeypatch)
        assert run_pass(services, reps[0], now=NOW).ok
    assert CLIENT_ID in tenant.apps


def test_a_reps_answer_in_the_calendar_is_learnt_from_after_the_team_pass(
    tenant: FakeTenant, server: TenantServer, reps: list[str], cert: tuple[Path, bytes], pg_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Issue 12's learning on the team's store: the single-rep daemon learns after each real pass, so must a
    team pass (a "Not a promise" category stops that sentence's shape in the rep's own store only)."""
    from followup_sync import userdata
    from tests.fakegraph.fixtures import events_by_key

    team = make_team(reps, cert[0])
    services = start(team, server, pg_dsn, monkeypatch)
    rep = reps[0]
    assert run_pass(services, rep, now=NOW).ok
    with pgstate.open_state(pg_dsn, rep) as state:
        promise = next(r.followup for r in state.followups(status="open") if r.followup.kind == "promise")
    box = tenant.mailboxes[rep]
    event = events_by_key(box)[promise.key]
    event["categories"] = [*event.get("categories", []), "Not a promise"]
    box.bump_etag(event)
    assert run_pass(services, rep, now=NOW + timedelta(minutes=15)).ok
    with pgstate.open_state(pg_dsn, rep) as state:
        assert [r.answer.answer for r in userdata.answers(state)] == ["not_a_promise"]
        assert all(r.learnt for r in userdata.answers(state))
        assert [m.mute.what for m in userdata.mutes(state)] == ["shape"]
    with pgstate.open_state(pg_dsn, reps[1]) as other:
        assert userdata.mutes(other) == []
