"""The manager's view: opt-in, counts per rep from each rep's own store, details only where the rep allows."""

from __future__ import annotations

import json
import secrets
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from followup_sync.errors import UserError
from followup_sync.team import manager, pgstate
from followup_sync.team.runner import Services, run_pass
from tests.fakegraph import mailbox
from tests.fakegraph.tenant import TenantServer
from tests.team.world import login_session, make_certificate, make_team, tenant_with

NOW = datetime(2026, 11, 24, 14, 7, tzinfo=UTC)


def test_answer_times_count_customers_only_and_the_reps_first_reply() -> None:
    t0 = datetime(2026, 11, 2, 9, tzinfo=UTC)

    def at(h: float) -> str:
        return (t0 + timedelta(hours=h)).isoformat(timespec="microseconds")

    rows = [
        ("t1", "buyer@client.example", at(0), 0),
        ("t1", "buyer@client.example", at(1), 0),  # a second message before the answer: one wait
        ("t1", "rep@contoso.com", at(4), 1),
        ("t1", "rep@contoso.com", at(5), 1),
        ("t2", "boss@contoso.com", at(0), 0),  # a colleague: not a customer
        ("t2", "rep@contoso.com", at(1), 1),
        ("t3", "buyer@other.example", at(2), 0),  # not answered yet
    ]
    assert manager._answer_times(rows, since=at(-1), ours={"contoso.com"}) == [4 * 3600.0]


def test_the_view_is_opt_in_counts_only_and_details_where_the_rep_allows(
    pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, cert_pem = make_certificate(tmp_path)
    quiet, sharing = (f"{n}-{secrets.token_hex(3)}@contoso.com" for n in ("quiet", "sharing"))
    tenant = tenant_with([quiet, sharing], cert_pem)
    for i, a in enumerate((quiet, sharing)):
        mailbox.build(tenant.mailboxes[a], messages=150, now=NOW, seed=400 + i)
    off = make_team([quiet, sharing], cert)
    with pytest.raises(UserError, match="manager's view is off"):
        manager.connect(off)
    team = make_team([quiet, sharing], cert, manager={"enabled": True},
                     reps={sharing: {"share_details": True, "name": "Sam Sharing"}})  # fmt: skip
    monkeypatch.setenv(pgstate.DSN_ENV, pg_dsn)
    with TenantServer(tenant) as server:
        session = login_session(server.url)
        services = Services.start(team, graph_url=server.url, login_http_client=session, backoff=0.01)
        for a in (quiet, sharing):
            assert run_pass(services, a, now=NOW).ok
        services.close()
        session.close()
    view = manager.build(team, manager.connect(team), now=NOW + timedelta(days=3))
    by_rep = {r.rep: r for r in view.reps}
    for a in (quiet, sharing):
        with pgstate.open_state(pg_dsn, a) as state:
            open_ = [r.followup for r in state.followups(status="open")]
        kinds: dict[str, int] = {}
        for f in open_:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        assert by_rep[a].open == kinds and sum(kinds.values()) > 3
        overdue = sum(1 for f in open_ if f.due < NOW + timedelta(days=3))
        assert sum(by_rep[a].overdue.values()) == overdue
        assert by_rep[a].last_pass_ok is True
    assert by_rep[quiet].details is None
    assert by_rep[sharing].details and by_rep[sharing].name == "Sam Sharing"
    written = manager.write(team, view, json_path=tmp_path / "v.json", html_path=tmp_path / "v.html")
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)
    data = json.loads((tmp_path / "v.json").read_text())
    page = (tmp_path / "v.html").read_text()
    with pgstate.open_state(pg_dsn, quiet) as state:
        secrets_of_quiet = [(r.followup.evidence, r.followup.contacts) for r in state.followups()]
    # the sharing rep's list aside (the synthetic mailboxes reuse sentences), nothing of the quiet rep's shows
    by_rep[sharing].details = None
    counts_page, counts_json = manager.render_html(view), json.dumps(view.as_json())
    assert secrets_of_quiet
    for evidence, contacts in secrets_of_quiet:
        for text in (evidence, *contacts):
            assert text not in counts_page and text not in counts_json
    shared_rep = next(r for r in data["reps"] if r["rep"] == sharing)
    assert shared_rep["details"] and shared_rep["details"][0]["evidence"] in page
    assert "<script" not in page and "http" not in page.split("<body>")[1]
