"""The team deployment's TOML file: which mailboxes, the app registration, the database, Graph's limits, the
manager's view, and each rep's settings; every problem reported at once, like the single-rep config.

Each rep's pass gets an ordinary :class:`followup_sync.config.Config`, built from ``[rep]`` (defaults for
everyone: time zone, ``rules``, ``schedule``) and the rep's own ``[reps."address"]`` table, then validated by
``config.parse`` itself: the same rules and checks as a rep's own config file.

No secret is ever written in this file: the certificate's private key stays in its own 0600 file, a client
secret (only if the admin insists) in the OS keyring, the environment or a 0600 file, and the database
password in ``FOLLOWUP_SYNC_DATABASE``, a 0600 file or libpq's password file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from followup_sync import config as config_mod
from followup_sync.config import Config
from followup_sync.errors import ConfigError

_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SECRET_SOURCES = ("keyring", "env")
SECRET_ENV = "FOLLOWUP_SYNC_CLIENT_SECRET"  # noqa: S105 - a variable name
PASSPHRASE_ENV = "FOLLOWUP_SYNC_CERTIFICATE_PASSPHRASE"  # noqa: S105

_SECTIONS: dict[str, set[str]] = {
    "team": {"mailboxes", "group", "interval_minutes", "calendar", "queue"},
    "app": {
        "tenant",
        "client_id",
        "certificate",
        "client_secret",
        "cloud",
        "timeout_seconds",
        "max_retry_wait_seconds",
    },
    "database": {"dsn_file"},
    "limits": {
        "mailbox_requests",
        "mailbox_window_seconds",
        "mailbox_concurrency",
        "tenant_requests",
        "tenant_window_seconds",
        "tenant_concurrency",
    },
    "manager": {"enabled", "output"},
    "rep": {"timezone", "rules", "schedule"},
    "reps": set(),
}
_REP_KEYS = {"timezone", "addresses", "name", "rules", "schedule", "share_details", "calendar"}


@dataclass(frozen=True)
class AppSettings:
    """The Entra app registration the service signs in as (app-only, client credentials)."""

    tenant: str
    client_id: str
    certificate: Path | None = None
    client_secret: str | None = None  # where the secret is: "keyring", "env" or "file:/path", never the secret
    cloud: str = "worldwide"
    timeout_seconds: float = 30.0
    max_retry_wait_seconds: float = 60.0


@dataclass(frozen=True)
class Limits:
    """Microsoft Graph's limits, shared by every worker (``team.limits``). Outlook's are per app and mailbox
    (10,000 requests in 10 minutes, 4 at once); Graph's global limit is per app (see docs/team.md)."""

    mailbox_requests: int = 10_000
    mailbox_window_seconds: float = 600.0
    mailbox_concurrency: int = 4
    tenant_requests: int = 20_000
    tenant_window_seconds: float = 10.0
    tenant_concurrency: int | None = None


@dataclass(frozen=True)
class Manager:
    enabled: bool = False
    output: Path | None = None


@dataclass(frozen=True)
class TeamConfig:
    mailboxes: tuple[str, ...]
    group: str | None
    app: AppSettings
    interval_minutes: float = 15.0
    calendar: str | None = None
    queue: str = "followup-sync"
    database_file: Path | None = None
    limits: Limits = Limits()
    manager: Manager = Manager()
    rep_defaults: Mapping[str, Any] = field(default_factory=dict)
    reps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    def rep_config(self, address: str) -> Config:
        """The rep's own config for a pass (built and validated like a rep's config file)."""
        return _rep_config(self, address.lower())

    def shares_details(self, address: str) -> bool:
        """Whether the rep allowed the manager's view to show evidence sentences and contacts' addresses."""
        return bool(self.reps.get(address.lower(), {}).get("share_details", False))


def load(path: Path) -> TeamConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no team config at {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the team config {path}: {exc}") from None
    return parse(data, path=path.resolve())


def parse(data: Mapping[str, Any], *, path: Path | None = None) -> TeamConfig:
    problems: list[str] = []
    for section in data:
        if section not in _SECTIONS:
            problems.append(f"[{section}]: unknown section; allowed: {', '.join(sorted(_SECTIONS))}")
    tables = {name: _table(data, name, problems) for name in _SECTIONS}
    for name, keys in _SECTIONS.items():
        if name != "reps":
            for key in tables[name]:
                if key not in keys:
                    problems.append(f"{name}.{key}: unknown key; allowed: {', '.join(sorted(keys))}")
    base = path.parent if path else Path.cwd()
    team = tables["team"]
    mailboxes = _addresses(team.get("mailboxes", []), "team.mailboxes", problems)
    group = team.get("group")
    if group is not None and (not isinstance(group, str) or not (_EMAIL.match(group) or _GUID.match(group))):
        problems.append("team.group: must be the group's mail address or object id")
        group = None
    if not mailboxes and not group:
        problems.append(
            'team: set mailboxes = [...] or group = "...": the service reads only the mailboxes it is told to'
        )
    interval = _number(team.get("interval_minutes", 15.0), "team.interval_minutes", 1, 1440, problems)
    calendar = _opt_str(team.get("calendar"), "team.calendar", problems)
    queue = _opt_str(team.get("queue"), "team.queue", problems) or "followup-sync"
    app = _app(tables["app"], base, problems)
    dsn_file = tables["database"].get("dsn_file")
    database_file = _path(dsn_file, base) if isinstance(dsn_file, str) and dsn_file else None
    if dsn_file is not None and database_file is None:
        problems.append("database.dsn_file: must be a path")
    limits = _limits(tables["limits"], problems)
    manager_tbl = tables["manager"]
    enabled = manager_tbl.get("enabled", False)
    if not isinstance(enabled, bool):
        problems.append("manager.enabled: must be true or false")
        enabled = False
    out = manager_tbl.get("output")
    manager = Manager(enabled, _path(out, base) if isinstance(out, str) and out else None)
    reps: dict[str, dict[str, Any]] = {}
    for address, table in tables["reps"].items():
        if not _EMAIL.match(address) or not isinstance(table, dict):
            problems.append(f'[reps."{address}"]: must be a table named by the rep\'s address')
            continue
        unknown = set(table) - _REP_KEYS
        if unknown:
            problems.append(f'reps."{address}": unknown keys {sorted(unknown)}; allowed: {sorted(_REP_KEYS)}')
        if "share_details" in table and not isinstance(table["share_details"], bool):
            problems.append(f'reps."{address}".share_details: must be true or false')
        reps[address.lower()] = table
    cfg = TeamConfig(
        mailboxes=mailboxes, group=str(group) if group else None, app=app, interval_minutes=interval,
        calendar=calendar, queue=queue, database_file=database_file, limits=limits, manager=manager,
        rep_defaults=tables["rep"], reps=reps, path=path,
    )  # fmt: skip
    if not problems:
        # every listed rep's own config must be valid too, so a typo stops the service at start, not at 3 am
        for address in sorted({*mailboxes, *reps}):
            try:
                cfg.rep_config(address)
            except ConfigError as exc:
                problems.extend(f'reps."{address}": {p}' for p in (exc.problems or [exc.message]))
    if problems:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid team configuration{where}", problems=problems)
    return cfg


def _rep_config(team: TeamConfig, address: str) -> Config:
    own = dict(team.reps.get(address, {}))
    defaults = team.rep_defaults
    addresses = [address, *[a.lower() for a in own.get("addresses", []) if isinstance(a, str)]]
    reminders: dict[str, Any] = {"backend": "graph"}
    calendar = own.get("calendar", team.calendar)
    if calendar:
        reminders["calendar"] = calendar
    data: dict[str, Any] = {
        "identity": {
            "addresses": list(dict.fromkeys(addresses)),
            "timezone": own.get("timezone", defaults.get("timezone", "UTC")),
            "name": own.get("name", ""),
        },
        "mail": {"backend": "graph"},
        "meetings": {"backend": "graph"},
        "reminders": reminders,
        "rules": {**dict(defaults.get("rules", {})), **dict(own.get("rules", {}))},
        "schedule": {**dict(defaults.get("schedule", {})), **dict(own.get("schedule", {}))},
        "graph": {
            "client_id": team.app.client_id,
            "tenant": team.app.tenant,
            "cloud": team.app.cloud,
            "timeout_seconds": team.app.timeout_seconds,
            "max_retry_wait_seconds": team.app.max_retry_wait_seconds,
        },
    }
    return config_mod.parse(data, path=team.path)


def _table(data: Mapping[str, Any], name: str, problems: list[str]) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.append(f"[{name}]: must be a table")
        return {}
    return value


def _addresses(raw: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.append(f"{key}: must be a list of mail addresses")
        return ()
    out: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not _EMAIL.match(item.strip()):
            problems.append(f"{key}: {item!r} is not a mail address")
        else:
            out.append(item.strip().lower())
    if len(set(out)) != len(out):
        problems.append(f"{key}: lists an address twice")
    return tuple(dict.fromkeys(out))


def _number(raw: Any, key: str, low: float, high: float, problems: list[str]) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
        problems.append(f"{key}: must be a number from {low:g} to {high:g}, not {raw!r}")
        return low
    return float(raw)


def _int(raw: Any, key: str, low: int, high: int, problems: list[str]) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        problems.append(f"{key}: must be a whole number from {low} to {high}, not {raw!r}")
        return low
    return raw


def _opt_str(raw: Any, key: str, problems: list[str]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        problems.append(f"{key}: must be a non-empty string")
        return None
    return raw.strip()


def _path(raw: str, base: Path) -> Path:
    p = Path(raw).expanduser()
    return p if p.is_absolute() else base / p


def _app(table: Mapping[str, Any], base: Path, problems: list[str]) -> AppSettings:
    tenant = table.get("tenant")
    if not isinstance(tenant, str) or not tenant or tenant.lower() in ("common", "organizations", "consumers"):
        problems.append("app.tenant: required: your tenant's id or domain (app-only sign-in needs the tenant)")
        tenant = "invalid"
    client_id = table.get("client_id")
    if not isinstance(client_id, str) or not _GUID.match(client_id):
        problems.append("app.client_id: required: the app registration's application (client) id")
        client_id = "00000000-0000-0000-0000-000000000000"
    cert_raw = table.get("certificate")
    certificate = _path(cert_raw, base) if isinstance(cert_raw, str) and cert_raw else None
    secret = table.get("client_secret")
    if secret is not None:
        ok = isinstance(secret, str) and (secret in SECRET_SOURCES or secret.startswith("file:"))
        if not ok:
            problems.append(
                'app.client_secret: names where the secret is ("keyring", "env" or "file:/path/to/0600-file"); '
                "never write the secret itself in this file"
            )
            secret = None
    if certificate is None and secret is None:
        problems.append('app: set certificate = "/path/to/app.pem" (recommended) or client_secret = "keyring"')
    if certificate is not None and secret is not None:
        problems.append("app: set certificate or client_secret, not both")
    cloud = table.get("cloud", "worldwide")
    if cloud not in config_mod.CLOUDS:
        problems.append(f"app.cloud: must be one of {', '.join(config_mod.CLOUDS)}")
        cloud = "worldwide"
    timeout = _number(table.get("timeout_seconds", 30.0), "app.timeout_seconds", 1, 600, problems)
    budget = _number(table.get("max_retry_wait_seconds", 60.0), "app.max_retry_wait_seconds", 0, 3600, problems)
    return AppSettings(tenant, client_id, certificate, secret, str(cloud), timeout, budget)


def _limits(table: Mapping[str, Any], problems: list[str]) -> Limits:
    d = Limits()
    tc = table.get("tenant_concurrency")
    return Limits(
        mailbox_requests=_int(table.get("mailbox_requests", d.mailbox_requests), "limits.mailbox_requests",
                              1, 10_000, problems),
        mailbox_window_seconds=_number(table.get("mailbox_window_seconds", d.mailbox_window_seconds),
                                       "limits.mailbox_window_seconds", 1, 3600, problems),
        mailbox_concurrency=_int(table.get("mailbox_concurrency", d.mailbox_concurrency),
                                 "limits.mailbox_concurrency", 1, 4, problems),
        tenant_requests=_int(table.get("tenant_requests", d.tenant_requests), "limits.tenant_requests",
                             1, 130_000, problems),
        tenant_window_seconds=_number(table.get("tenant_window_seconds", d.tenant_window_seconds),
                                      "limits.tenant_window_seconds", 1, 3600, problems),
        tenant_concurrency=None if tc is None else _int(tc, "limits.tenant_concurrency", 1, 1000, problems),
    )  # fmt: skip
