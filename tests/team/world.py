"""A team deployment on loopback for tests and benchmarks: a fake tenant (many mailboxes, app-only tokens), a
certificate the app signs in with, the team config, and the single-rep pass as the reference.

``reference(address, now)`` runs the single-rep pass (delegated token on ``/me``, SQLite state, the same rep
config) over a copy of the mailbox's data as it was before the team wrote anything into it, so "the team's
reminders equal the single-rep pass's" compares two real passes, not a pass with itself.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.backends.graphsink import KEY_PROP
from followup_sync.config import Config, Graph
from followup_sync.credentials import close_account
from followup_sync.sync import run_once
from followup_sync.team import config as team_config
from followup_sync.team.config import TeamConfig
from tests.fakegraph.fixtures import RedirectingSession, connect, events_by_key, seed_token
from tests.fakegraph.server import TENANT_ID, FakeGraph, Server
from tests.fakegraph.tenant import FakeTenant

CLIENT_ID = "5b0c9a47-3c1e-4c55-9d55-0a6f2e3b7c11"


def make_certificate(folder: Path, *, name: str = "app.pem") -> tuple[Path, bytes]:
    """A self-signed certificate and its key, as an admin makes one for the app (openssl req -x509 ...)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "followup-sync team")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = folder / name
    path.write_bytes(key_pem + cert_pem)
    path.chmod(0o600)
    return path, cert_pem


def team_data(mailboxes: list[str], certificate: Path, **sections: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "team": {"mailboxes": mailboxes, "interval_minutes": 15},
        "app": {
            "tenant": TENANT_ID,
            "client_id": CLIENT_ID,
            "certificate": str(certificate),
            "timeout_seconds": 5,
            "max_retry_wait_seconds": 5,
        },
        "rep": {"timezone": "Europe/Berlin"},
    }
    for name, table in sections.items():
        data[name] = {**data.get(name, {}), **table}
    return data


def team_toml(mailboxes: list[str], certificate: Path, **sections: Any) -> str:
    """The team config file an operator would write (no secret in it)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines: list[str] = []

    def table(name: str, t: dict[str, Any]) -> None:
        lines.append(f"[{name}]")
        subs = {k: v for k, v in t.items() if isinstance(v, dict)}
        lines.extend(f"{k} = {value(v)}" for k, v in t.items() if not isinstance(v, dict))
        for k, v in subs.items():
            table(f"{name}.{k}" if "@" not in k else f'{name}."{k}"', v)

    for name, t in team_data(mailboxes, certificate, **sections).items():
        table(name, t)
    return "\n".join(lines) + "\n"


def make_team(mailboxes: list[str], certificate: Path, **sections: Any) -> TeamConfig:
    return team_config.parse(team_data(mailboxes, certificate, **sections))


def pristine(box: FakeGraph) -> FakeGraph:
    """A single-user fake holding the mailbox's mail and meetings, without any reminder of ours."""
    copy_ = FakeGraph(user=box.user, name=box.user_name, client_id="11111111-2222-3333-4444-555555555555")
    with box.lock:
        copy_.folders = copy.deepcopy(box.folders)
        copy_.messages = copy.deepcopy(box.messages)
        copy_.removed = copy.deepcopy(box.removed)
        copy_.calendars = dict(box.calendars)
        copy_.change = box.change
        copy_.events = {
            eid: copy.deepcopy(ev)
            for eid, ev in box.events.items()
            if not any(p["id"] == KEY_PROP for p in ev["singleValueExtendedProperties"])
        }
    return copy_


def reminders(box: FakeGraph) -> dict[str, tuple[Any, ...]]:
    """Our reminders in a mailbox: key -> (start, end, subject, body text), one per key (asserted)."""
    return {key: (ev["_start"], ev["_end"], ev["subject"], ev["body"]["content"], tuple(ev["categories"]))
            for key, ev in events_by_key(box).items()}  # fmt: skip


def reference(config: Config, box: FakeGraph, now: dt.datetime, folder: Path) -> dict[str, tuple[Any, ...]]:
    """What the single-rep pass (delegated, /me, SQLite) writes into a copy of ``box`` as it was, at ``now``.
    Needs a usable keyring (the tests' ``memory_keyring``)."""
    fake = pristine(box)
    folder.mkdir(parents=True, exist_ok=True)
    graph = Graph(client_id=fake.client_id, timeout_seconds=5, max_retry_wait_seconds=5)
    single = replace(config, state_path=folder / "state.db", graph=graph)
    with Server(fake) as server:
        account = connect(single, server)
        seed_token(account, fake)
        r = single.rules
        calendar = single.reminders.options.get("calendar")
        backends: dict[str, Any] = {
            "mail": GraphMailSource(account, state_file=folder / "graph-delta.json",
                                    lookback=timedelta(days=r.lookback_days)),
            "meetings": GraphMeetingSource(account, cache_file=folder / "graph-calendar.json"),
            "sink": GraphReminderSink(account, calendar=calendar, cache_file=folder / "graph-calendar.json",
                                      reminder_minutes=single.schedule.reminder_minutes,
                                      view_days=(r.lookback_days, r.meeting_lookahead_days)),
        }  # fmt: skip
        try:
            run_once(single, now=now, **backends)
        finally:
            for b in backends.values():
                b.close()
            close_account(account)
    return reminders(fake)


def login_session(server_url: str) -> RedirectingSession:
    return RedirectingSession(server_url)


def tenant_with(addresses: list[str], cert_pem: bytes, **app: Any) -> FakeTenant:
    tenant = FakeTenant()
    for a in addresses:
        tenant.add_mailbox(a)
    tenant.register_app(CLIENT_ID, certificate_pem=cert_pem, **app)
    return tenant
