"""Reading the TOML configuration into frozen dataclasses, reporting every problem at once.

Backend sections (``[mail]``, ``[meetings]``, ``[reminders]``) carry a ``backend`` name plus options that only
that backend understands; the backend validates those itself (``backends.open_backend``), so this module
knows the shared keys only.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followup_sync.errors import ConfigError

APP_NAME = "followup-sync"
HOME_ENV = "FOLLOWUP_SYNC_HOME"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOUDS = ("worldwide", "us_gov", "us_gov_dod", "china")
DATE_ORDERS = ("MDY", "DMY")
NEXT_WEEKDAY = ("following_week", "nearest")
END_OF_MONTH = ("calendar", "business")


def config_dir() -> Path:
    """Where the config lives; ``FOLLOWUP_SYNC_HOME`` keeps tests (and portable installs) in one folder."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "logs"
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True)
class Identity:
    addresses: tuple[str, ...]
    timezone: str
    name: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(sorted({a.rsplit("@", 1)[-1] for a in self.addresses}))


@dataclass(frozen=True)
class BackendSection:
    """One of ``[mail]``, ``[meetings]``, ``[reminders]``: the backend name and its own options."""

    role: str
    backend: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """How follow-ups are found and spaced. Durations in business days unless named otherwise."""

    awaiting_reply_days: int = 3
    unanswered_inbound_days: int = 1
    recap_hours: int = 24
    after_sale_days: int = 14
    after_delivery_days: int = 2
    cadence_days: int = 7
    max_touches: int = 3
    lookback_days: int = 30
    overlap_days: int = 2
    bulk_recipients: int = 15
    meeting_lookahead_days: int = 30
    ignore_addresses: tuple[str, ...] = ()
    ignore_domains: tuple[str, ...] = ()
    internal_domains: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound")


@dataclass(frozen=True)
class Schedule:
    """When reminders may land: the rep's working week, hours and holidays, and date conventions."""

    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    day_start: time = time(9, 0)
    day_end: time = time(17, 30)
    holidays: tuple[date, ...] = ()  # days off besides the public holidays of country/subdivision
    country: str = ""  # ISO 3166 code of the rep's public holidays (the ``holidays`` library); "" = none
    subdivision: str = ""  # the state, province or nation within it ("CA", "ON", "SCT"); "" = the country's own
    reminder_minutes: int = 15
    deadline_lead_hours: int = 2
    date_order: str = "MDY"
    end_of_day: time = time(17, 0)
    next_weekday: str = "following_week"
    end_of_month: str = "calendar"
    morning: time = time(9, 0)
    afternoon: time = time(13, 0)
    overdue_days: int = 5  # working days an overdue reminder is carried forward before its follow-up expires


@dataclass(frozen=True)
class Graph:
    client_id: str = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
    tenant: str = "common"
    cloud: str = "worldwide"
    timeout_seconds: float = 30.0
    max_retry_wait_seconds: float = 120.0


@dataclass(frozen=True)
class Daemon:
    interval_minutes: float = 5.0
    jitter_seconds: int = 30
    misfire_grace_minutes: int = 60
    max_backoff_minutes: float = 60.0


@dataclass(frozen=True)
class Pacing:
    """``[reminders]`` besides the backend: how many new reminders a day, and one digest instead of each."""

    max_new_per_day: int = 8
    digest: bool = False


#: Days of mail before the lookback a pass still reads from the state to thread and resolve (``sync``): the
#: state must keep at least ``lookback_days`` plus this much, so ``[state] retention_days`` may not be shorter.
HISTORY_MARGIN_DAYS = 60
DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class Config:
    identity: Identity
    mail: BackendSection
    meetings: BackendSection
    reminders: BackendSection
    state_path: Path
    rules: Rules = Rules()
    schedule: Schedule = Schedule()
    graph: Graph = Graph()
    daemon: Daemon = Daemon()
    path: Path | None = None
    #: How long closed and dismissed follow-ups and old mail's metadata stay in the state (``state.prune``).
    state_retention_days: int = DEFAULT_RETENTION_DAYS
    pacing: Pacing = Pacing()

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the file, not to wherever the daemon was started."""
        return self.path.parent if self.path is not None else Path.cwd()

    def resolve(self, value: str | os.PathLike[str]) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p


_SECTIONS: dict[str, set[str]] = {
    "identity": {"addresses", "timezone", "name"},
    "state": {"path", "retention_days"},
    "rules": set(Rules.__dataclass_fields__),
    "schedule": set(Schedule.__dataclass_fields__),
    "graph": set(Graph.__dataclass_fields__),
    "daemon": set(Daemon.__dataclass_fields__),
}
_BACKENDS: dict[str, tuple[str, ...]] = {
    "mail": ("maildir", "mbox", "eml", "imap", "graph", "none"),
    "meetings": ("ics", "caldav", "graph", "none"),
    "reminders": ("ics", "caldav", "graph"),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KINDS: tuple[str, ...] = Rules().kinds

#: Allowed range and unit of every number in the file. Without an upper bound a huge value (TOML allows up
#: to 2^63) passes here and overflows ``timedelta`` mid-pass; the bounds are what a rep could mean, with room.
#: A float's lower bound is exclusive (a positive duration), an int's inclusive.
_RANGES: dict[tuple[str, str], tuple[float, float, str]] = {
    ("rules", "awaiting_reply_days"): (1, 365, "business days"),
    ("rules", "unanswered_inbound_days"): (0, 365, "business days"),
    ("rules", "recap_hours"): (0, 720, "hours"),
    ("rules", "after_sale_days"): (1, 365, "business days"),
    ("rules", "after_delivery_days"): (0, 365, "business days"),
    ("rules", "cadence_days"): (1, 365, "days"),
    ("rules", "max_touches"): (1, 50, "messages"),
    ("rules", "lookback_days"): (1, 3650, "days"),
    ("rules", "overlap_days"): (0, 365, "days"),
    ("rules", "bulk_recipients"): (1, 10_000, "recipients"),
    ("rules", "meeting_lookahead_days"): (0, 365, "days"),
    ("schedule", "reminder_minutes"): (1, 480, "minutes"),
    ("schedule", "deadline_lead_hours"): (0, 168, "hours"),
    ("schedule", "overdue_days"): (0, 365, "working days"),
    ("graph", "timeout_seconds"): (0, 600, "seconds"),
    ("graph", "max_retry_wait_seconds"): (0, 3600, "seconds"),
    ("daemon", "interval_minutes"): (0, 1440, "minutes"),
    ("daemon", "jitter_seconds"): (0, 3600, "seconds"),
    ("daemon", "misfire_grace_minutes"): (0, 10_080, "minutes"),
    ("daemon", "max_backoff_minutes"): (0, 10_080, "minutes"),
}


class _Problems:
    """Collects every problem so the user fixes the file once, not once per run."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.items.append(f"{key}: {message}")


def load(path: Path | None = None) -> Config:
    """Read and validate the config file; ``ConfigError`` lists every problem found."""
    path = path or default_config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path}; run `followup-sync init` or pass --config") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    return parse(data, path=path.resolve())


def parse(data: Mapping[str, Any], *, path: Path | None = None) -> Config:
    """Validate already-parsed TOML; exposed for tests and for ``demo``, which builds its config in code."""
    problems = _Problems()
    for section in data:
        if section not in _SECTIONS and section not in _BACKENDS:
            allowed = ", ".join(sorted([*_SECTIONS, *_BACKENDS]))
            problems.add(f"[{section}]", f"unknown section; allowed: {allowed}")
    identity = _identity(_table(data, "identity", problems), problems)
    reminders_tbl = dict(_table(data, "reminders", problems))
    pacing = _pacing(reminders_tbl, problems)  # taken out: the backend validates the rest of [reminders]
    tables = {role: reminders_tbl if role == "reminders" else _table(data, role, problems) for role in _BACKENDS}
    sections = {role: _backend(role, tables[role], problems) for role in _BACKENDS}
    state_tbl = _table(data, "state", problems)
    _unknown("state", state_tbl, problems)
    rules = _build(Rules, "rules", _table(data, "rules", problems), problems)
    schedule = _build(Schedule, "schedule", _table(data, "schedule", problems), problems)
    graph = _build(Graph, "graph", _table(data, "graph", problems), problems)
    daemon = _build(Daemon, "daemon", _table(data, "daemon", problems), problems)
    base = path.parent if path else Path.cwd()
    state_raw = state_tbl.get("path")
    state_path = Path(str(state_raw)).expanduser() if state_raw else data_dir() / "state.db"
    if not state_path.is_absolute():
        state_path = base / state_path
    state_problem = state_path_problem(state_path)
    if state_problem:
        problems.add("state.path", state_problem)
    retention = _retention(state_tbl.get("retention_days"), rules, problems)
    if problems.items:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid configuration{where}", problems=problems.items)
    return Config(
        identity=identity,
        mail=sections["mail"],
        meetings=sections["meetings"],
        reminders=sections["reminders"],
        state_path=state_path,
        rules=rules,
        schedule=schedule,
        graph=graph,
        daemon=daemon,
        path=path,
        state_retention_days=retention,
        pacing=pacing,
    )


def _pacing(table: dict[str, Any], problems: _Problems) -> Pacing:
    """``[reminders] max_new_per_day`` (1 to 500) and ``digest`` (true/false), removed from ``table``."""
    defaults = Pacing()
    cap = table.pop("max_new_per_day", defaults.max_new_per_day)
    digest = table.pop("digest", defaults.digest)
    if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 500:
        problems.add(
            "reminders.max_new_per_day", f"must be a whole number from 1 to 500 (reminders), not {_shown(cap)}"
        )
        cap = defaults.max_new_per_day
    if not isinstance(digest, bool):
        problems.add("reminders.digest", "must be true or false")
        digest = defaults.digest
    return Pacing(max_new_per_day=cap, digest=digest)


def _retention(raw: Any, rules: Rules, problems: _Problems) -> int:
    """``[state] retention_days``: never shorter than what a pass reads back, or a follow-up the rep closed or
    dismissed could be found again in mail the pass re-reads, and its reminder would come back."""
    floor = rules.lookback_days + HISTORY_MARGIN_DAYS
    if raw is None:  # not set: the default, or longer for a long lookback
        return max(DEFAULT_RETENTION_DAYS, floor)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 36_500:
        problems.add("state.retention_days", f"must be a whole number from 1 to 36500 (days), not {_shown(raw)}")
        return DEFAULT_RETENTION_DAYS
    if raw < floor:
        problems.add(
            "state.retention_days",
            f"{raw} days is shorter than rules.lookback_days + {HISTORY_MARGIN_DAYS} = {floor} days: a pass "
            "reads mail that old again, and a follow-up closed or dismissed in it would come back",
        )
    return raw


def state_path_problem(path: Path) -> str | None:
    """Why ``path`` cannot hold the state database, or None. The state is a private SQLite file that
    followup-sync creates itself: a symbolic link (whose target would be chmod'ed and written, or created
    when it dangles) and a device, FIFO or folder are refused; name the real file instead."""
    if path.is_symlink():
        return (
            f"{path} is a symbolic link (to {path.readlink()}); followup-sync keeps its state in a private "
            "file it creates itself: set path to the file itself or remove the link"
        )
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device, pipe or socket)"
        return f"{path} is {kind}; set path to a file such as state.db in a folder of yours"
    return None


def _table(data: Mapping[str, Any], name: str, problems: _Problems) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        problems.add(f"[{name}]", "must be a table")
        return {}
    return value


def _unknown(section: str, table: Mapping[str, Any], problems: _Problems) -> None:
    allowed = _SECTIONS[section]
    for key in table:
        if key not in allowed:
            problems.add(f"{section}.{key}", f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _identity(table: Mapping[str, Any], problems: _Problems) -> Identity:
    _unknown("identity", table, problems)
    raw_addresses = table.get("addresses")
    addresses: list[str] = []
    if isinstance(raw_addresses, str):
        raw_addresses = [raw_addresses]
    if not isinstance(raw_addresses, list) or not raw_addresses:
        problems.add("identity.addresses", "required: a list of your own email addresses")
    else:
        for item in raw_addresses:
            if not isinstance(item, str) or not _EMAIL.match(item.strip()):
                problems.add("identity.addresses", f"{item!r} is not an email address")
            else:
                addresses.append(item.strip().lower())
    tz = table.get("timezone")
    if tz is None:
        tz = _local_timezone()
    if not isinstance(tz, str) or not _valid_zone(tz):
        problems.add("identity.timezone", f"{tz!r} is not an IANA time zone such as 'Europe/Berlin'")
        tz = "UTC"
    name = table.get("name", "")
    if not isinstance(name, str):
        problems.add("identity.name", "must be a string")
        name = ""
    return Identity(addresses=tuple(addresses), timezone=tz, name=name)


def _valid_zone(name: str) -> bool:
    """An IANA zone tzdata knows. "Factory" and "localtime" load too but name no place a rep works in."""
    if name in ("Factory", "localtime"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _local_timezone() -> str:
    try:
        import tzlocal

        return str(tzlocal.get_localzone_name() or "UTC")
    except Exception:  # tzlocal guesses from the OS; any failure there just means "use UTC"
        return "UTC"


def _backend(role: str, table: Mapping[str, Any], problems: _Problems) -> BackendSection:
    allowed = _BACKENDS[role]
    backend = table.get("backend")
    if backend is None:
        problems.add(f"{role}.backend", f"required; one of: {', '.join(allowed)}")
        backend = "none"
    elif backend not in allowed:
        problems.add(f"{role}.backend", f"{backend!r} is not one of: {', '.join(allowed)}")
        backend = "none"
    options = {k: v for k, v in table.items() if k != "backend"}
    return BackendSection(role=role, backend=str(backend), options=options)


def _build(cls: Any, section: str, table: Mapping[str, Any], problems: _Problems) -> Any:
    """Fill a settings dataclass from its table, checking every key's type against the default's."""
    _unknown(section, table, problems)
    defaults = cls()
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in cls.__dataclass_fields__:
            continue
        try:
            values[key] = _coerce(section, key, raw, getattr(defaults, key))
        except ValueError as exc:
            problems.add(f"{section}.{key}", str(exc))
    if problems.items:
        return defaults
    built = cls(**values)
    if isinstance(built, Schedule):
        _check_day(built, problems)
    return built


def _check_day(schedule: Schedule, problems: _Problems) -> None:
    """The working day must end after it starts (00:00 as the end means midnight) and hold one reminder."""
    start, end = schedule.day_start, schedule.day_end
    length = (_minutes(end) if end != time(0, 0) else 1440) - _minutes(start)
    if length <= 0:
        problems.add(
            "schedule.day_end",
            f"{end:%H:%M} is not after schedule.day_start {start:%H:%M}; the working day must end after it "
            'starts (use "00:00" for midnight)',
        )
    elif length < schedule.reminder_minutes:
        problems.add(
            "schedule.reminder_minutes",
            f"{schedule.reminder_minutes} minutes do not fit into the working day {start:%H:%M}-{end:%H:%M}",
        )


def _coerce(section: str, key: str, raw: Any, default: Any) -> Any:
    if section == "schedule" and key == "working_days":
        return _working_days(raw)
    if section == "schedule" and key == "date_order":
        if raw not in DATE_ORDERS:
            raise ValueError(f"must be one of {', '.join(DATE_ORDERS)} (how 3/4 is read: March 4 or 3 April)")
        return raw
    if section == "schedule" and key == "next_weekday":
        if raw not in NEXT_WEEKDAY:
            raise ValueError(
                'must be "following_week" ("next Friday" is Friday of next week) or "nearest" (the coming Friday)'
            )
        return raw
    if section == "schedule" and key == "end_of_month":
        if raw not in END_OF_MONTH:
            raise ValueError('must be "calendar" (the last day) or "business" (the last business day)')
        return raw
    if section == "schedule" and key in ("country", "subdivision"):
        return _holiday_code(key, raw)
    if section == "graph" and key == "cloud":
        if raw not in CLOUDS:
            raise ValueError(f"must be one of {', '.join(CLOUDS)}")
        return raw
    if section == "rules" and key == "kinds":
        items = _str_list(raw)
        bad = [k for k in items if k not in _KINDS]
        if bad:
            raise ValueError(f"unknown kind {bad[0]!r}; allowed: {', '.join(_KINDS)}")
        return tuple(items)
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    if isinstance(default, int):
        low, high, unit = _RANGES[(section, key)]
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError(f"must be a whole number from {low:g} to {high:g} ({unit}), not {_shown(raw)}")
        return raw
    if isinstance(default, float):
        low, high, unit = _RANGES[(section, key)]
        # ``not low < raw <= high`` also refuses TOML's nan and inf
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not low < raw <= high:
            raise ValueError(
                f"must be a number greater than {low:g} and at most {high:g} ({unit}), not {_shown(raw)}"
            )
        return float(raw)
    if isinstance(default, time):
        return _time(raw)
    if isinstance(default, tuple) and key == "holidays":
        return tuple(_date(item) for item in (raw if isinstance(raw, list) else [raw]))
    if isinstance(default, tuple):
        return tuple(s.lower() for s in _str_list(raw))
    if isinstance(default, str):
        if not isinstance(raw, str) or not raw:
            raise ValueError("must be a non-empty string")
        return raw
    raise ValueError("unsupported value")  # pragma: no cover - every field type is handled above


def _holiday_code(key: str, raw: Any) -> str:
    """The form only: whether the ``holidays`` library knows the code is checked when a pass first needs the
    calendar (holidaycal.for_schedule), so that reading the config does not import it (~100 ms)."""
    if not isinstance(raw, str) or not re.fullmatch(r"[A-Za-z0-9-]{1,10}", raw.strip()):
        example = '"US", "GB", "DE"' if key == "country" else '"CA" (California), "ON" (Ontario), "SCT"'
        raise ValueError(f'must be a code such as {example}, or "" for none')
    return raw.strip().upper() if key == "country" else raw.strip()


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _shown(raw: Any) -> str:
    """A value as the user wrote it, short: a 19-digit number or a long string is cut."""
    text = repr(raw)
    return text if len(text) <= 24 else text[:20] + "..."


def _str_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ValueError("must be a list of strings")
    return list(raw)


def _working_days(raw: Any) -> tuple[int, ...]:
    names = [s.lower()[:3] for s in _str_list(raw)]
    bad = [n for n in names if n not in WEEKDAYS]
    if bad or not names:
        raise ValueError(f"must list days from {', '.join(WEEKDAYS)}")
    return tuple(sorted({WEEKDAYS.index(n) for n in names}))


def _time(raw: Any) -> time:
    value: time | None = raw if isinstance(raw, time) else None
    if isinstance(raw, str):
        try:
            value = time.fromisoformat(raw)
        except ValueError:
            value = None
    if value is None:
        raise ValueError(f'{_shown(raw)} is not a time such as "09:00"')
    if value.tzinfo is not None:
        # an offset would fight identity.timezone, in which every time of the schedule is read
        raise ValueError(f'{_shown(raw)} has a UTC offset; write the local time, such as "09:00"')
    return value


def _date(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ValueError(f'{raw!r} is not a date such as "2026-12-25"')
