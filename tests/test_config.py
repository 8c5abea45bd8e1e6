"""Config validation: every problem reported at once, with the key's name and what is allowed."""

from __future__ import annotations

import re
import tomllib
from datetime import date, time
from pathlib import Path

import pytest

from followup_sync import config as configmod
from followup_sync.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {
    "identity": {"addresses": ["Dana@Northwind.example"], "timezone": "Europe/Berlin"},
    "mail": {"backend": "maildir", "path": "mail"},
    "meetings": {"backend": "none"},
    "reminders": {"backend": "ics", "path": "out.ics"},
}


def test_the_example_config_is_valid() -> None:
    cfg = configmod.parse(tomllib.loads((ROOT / "config.example.toml").read_text()))
    assert cfg.identity.timezone == "America/New_York"
    assert cfg.schedule.holidays == (date(2026, 12, 24), date(2026, 12, 31))
    assert (cfg.schedule.country, cfg.schedule.subdivision) == ("US", "NY")
    assert cfg.schedule.day_end == time(17, 30)


def test_minimal_config_gets_defaults_and_normalised_addresses(tmp_path: Path) -> None:
    cfg = configmod.parse(MINIMAL, path=tmp_path / "config.toml")
    assert cfg.identity.addresses == ("dana@northwind.example",)
    assert cfg.identity.domains == ("northwind.example",)
    assert cfg.rules.awaiting_reply_days == 3
    assert cfg.resolve("mail") == tmp_path / "mail"
    assert cfg.state_path.name == "state.db"


def test_every_problem_is_listed_with_its_key() -> None:
    data = {
        "identity": {"addresses": ["not-an-address"], "timezone": "Mars/Olympus"},
        "mail": {"backend": "pop3"},
        "meetings": {},
        "reminders": {"backend": "ics"},
        "rules": {"cadence_days": -1, "kinds": ["promise", "gossip"]},
        "schedule": {"day_start": "nine", "date_order": "YMD", "holidays": ["25.12.2026"]},
        "colours": {},
    }
    with pytest.raises(ConfigError) as info:
        configmod.parse(data)
    text = str(info.value)
    for fragment in (
        "identity.addresses: 'not-an-address' is not an email address",
        "identity.timezone: 'Mars/Olympus' is not an IANA time zone",
        "mail.backend: 'pop3' is not one of: maildir, mbox, eml, imap, graph, none",
        "meetings.backend: required",
        "rules.cadence_days: must be a whole number",
        "rules.kinds: unknown kind 'gossip'",
        "schedule.day_start: 'nine' is not a time",
        "schedule.date_order: must be one of MDY, DMY",
        "schedule.holidays: '25.12.2026' is not a date",
        "[colours]: unknown section",
    ):
        assert fragment in text


def test_holiday_country_and_subdivision() -> None:
    cfg = configmod.parse({**MINIMAL, "schedule": {"country": "ca", "subdivision": "ON"}})
    assert (cfg.schedule.country, cfg.schedule.subdivision) == ("CA", "ON")
    assert configmod.parse(MINIMAL).schedule.country == ""
    with pytest.raises(ConfigError, match=r"schedule\.country: must be a code such as"):
        configmod.parse({**MINIMAL, "schedule": {"country": "United States of America"}})
    with pytest.raises(ConfigError, match=r"schedule\.subdivision: must be a code such as"):
        configmod.parse({**MINIMAL, "schedule": {"subdivision": 5}})


def test_bad_file_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="followup-sync init"):
        configmod.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        configmod.load(bad)


def test_home_override_keeps_everything_in_one_folder(home: Path) -> None:
    assert configmod.default_config_path() == home / "config.toml"
    assert configmod.data_dir() == home
    assert configmod.log_dir() == home / "logs"


# --- numbers and the working day (issue 10, item 10) -------------------------------------------------------

NUMBER_KEYS = [
    (section, key)
    for section, cls in (
        ("rules", configmod.Rules),
        ("schedule", configmod.Schedule),
        ("graph", configmod.Graph),
        ("daemon", configmod.Daemon),
    )
    for key, default in vars(cls()).items()
    if isinstance(default, int | float) and not isinstance(default, bool)
]


def with_value(section: str, key: str, value: object) -> dict[str, object]:
    return {**MINIMAL, section: {key: value}}


def test_every_number_in_the_config_has_a_range() -> None:
    assert len(NUMBER_KEYS) == 20
    assert set(NUMBER_KEYS) == set(configmod._RANGES)


@pytest.mark.parametrize(("section", "key"), NUMBER_KEYS)
@pytest.mark.parametrize("value", [2**63 - 1, 10**9, -1, -(2**63), 1e308, float("inf"), float("nan")])
def test_huge_and_negative_numbers_are_refused_with_the_key_and_its_range(
    section: str, key: str, value: float
) -> None:
    _low, high, unit = configmod._RANGES[(section, key)]
    with pytest.raises(ConfigError) as info:
        configmod.parse(with_value(section, key, value))
    text = str(info.value)
    assert f"{section}.{key}: must be a" in text
    assert f"{high:g} ({unit})" in text
    assert "\n  - " in text and text.count("\n  - ") == 1


@pytest.mark.parametrize(("section", "key"), NUMBER_KEYS)
def test_zero_and_the_bounds(section: str, key: str) -> None:
    low, high, _unit = configmod._RANGES[(section, key)]
    is_float = isinstance(getattr(getattr(configmod, section.capitalize())(), key), float)
    zero_ok = low == 0 and not is_float
    if zero_ok:
        assert getattr(getattr(configmod.parse(with_value(section, key, 0)), section), key) == 0
    else:
        with pytest.raises(ConfigError, match=f"{section}.{key}: must be a"):
            configmod.parse(with_value(section, key, 0))
    top = high if is_float else int(high)
    assert getattr(getattr(configmod.parse(with_value(section, key, top)), section), key) == top
    with pytest.raises(ConfigError, match=f"{section}.{key}"):
        configmod.parse(with_value(section, key, int(high) + 1))


@pytest.mark.parametrize("edge", ["low", "high"])
def test_a_pass_runs_with_every_number_at_its_bound(tmp_path: Path, edge: str) -> None:
    """The ranges are safe: a whole pass (detect, resolve, schedule, plan) with every number at its bound."""
    from datetime import UTC, datetime, timedelta

    from followup_sync.backends.memory import MemorySink, MemorySource
    from followup_sync.model import Meeting, Message
    from followup_sync.sync import run_once

    data: dict[str, dict[str, object]] = {s: {} for s in ("rules", "schedule", "graph", "daemon")}
    for section, key in NUMBER_KEYS:
        low, high, _ = configmod._RANGES[(section, key)]
        is_float = isinstance(getattr(getattr(configmod, section.capitalize())(), key), float)
        value = high if edge == "high" else (0.001 if is_float else low)
        data[section][key] = value if is_float else int(value)
    data["schedule"]["reminder_minutes"] = 30  # must fit into the working day
    data["schedule"].update(day_start="00:00", day_end="00:00")
    config = configmod.parse({**MINIMAL, **data, "state": {"path": str(tmp_path / "s.db")}})
    now = datetime(2026, 3, 17, 15, 0, tzinfo=UTC)
    me, them = "dana@northwind.example", "max@kunde.example"
    quote = "Hi Max,\n\nhere is the quote. Could you confirm by Friday?\n\nI'll call you Monday at 10am."
    mail = [
        Message(id="a@x", sender=me, to=(them,), cc=(), subject="Quote", sent_at=now - timedelta(days=2),
                body=quote),
        Message(id="b@x", sender=them, to=(me,), cc=(), subject="Question", sent_at=now - timedelta(days=1),
                body="Hi Dana, can you send the price list?"),
    ]  # fmt: skip
    meetings = [Meeting(uid="m1", subject="Demo", start=now - timedelta(hours=5), end=now - timedelta(hours=4),
                        organizer=me, attendees=(them,))]  # fmt: skip
    source = MemorySource(mail, meetings)
    result = run_once(config, now=now, mail=source, meetings=source, sink=MemorySink())
    assert result.problems == []
    assert result.stats.followups_found >= 1


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        ("17:30", "09:00", "schedule.day_end: 09:00 is not after schedule.day_start 17:30"),
        ("09:00", "09:00", "schedule.day_end: 09:00 is not after schedule.day_start 09:00"),
        ("09:00", "09:10", "schedule.reminder_minutes: 15 minutes do not fit into the working day 09:00-09:10"),
        ("09:00+02:00", "17:00", "schedule.day_start: '09:00+02:00' has a UTC offset"),
    ],
)
def test_the_working_day_must_end_after_it_starts(start: str, end: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        configmod.parse({**MINIMAL, "schedule": {"day_start": start, "day_end": end}})
    assert fragment in str(info.value)


def test_midnight_as_the_end_of_the_day_is_allowed() -> None:
    cfg = configmod.parse({**MINIMAL, "schedule": {"day_start": "18:00", "day_end": "00:00"}})
    assert cfg.schedule.day_end == time(0, 0)


def test_a_huge_number_is_one_sentence_from_the_cli_not_an_overflow(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from followup_sync.cli import cli

    (tmp_path / "mail").mkdir()
    path = tmp_path / "config.toml"
    path.write_text(
        '[identity]\naddresses = ["dana@northwind.example"]\ntimezone = "Europe/Berlin"\n'
        '[mail]\nbackend = "eml"\npath = "mail"\n[meetings]\nbackend = "none"\n'
        '[reminders]\nbackend = "ics"\npath = "r.ics"\n[state]\npath = "s.db"\n'
        "[rules]\nlookback_days = 9223372036854775807\ncadence_days = 99999999999\n"
        "[schedule]\nreminder_minutes = 100000000000\n"
    )
    result = CliRunner().invoke(cli, ["sync", "--config", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "rules.lookback_days: must be a whole number from 1 to 3650 (days), not 92233720368547" in result.output
    assert "rules.cadence_days: must be a whole number from 1 to 365 (days)" in result.output
    assert "schedule.reminder_minutes: must be a whole number from 1 to 480 (minutes)" in result.output
    assert "unexpected" not in result.output and "Overflow" not in result.output


@pytest.mark.parametrize("zone", ["Factory", "localtime", "Mars/Olympus", "../etc/passwd"])
def test_zones_that_name_no_place_are_refused(zone: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"identity.timezone: '{zone}' is not an IANA time zone")):
        configmod.parse({**MINIMAL, "identity": {"addresses": ["dana@northwind.example"], "timezone": zone}})


@pytest.mark.parametrize("zone", ["America/Nuuk", "America/Ciudad_Juarez", "America/Coyhaique", "Pacific/Kanton"])
def test_newer_iana_zones_are_valid(zone: str) -> None:
    cfg = configmod.parse({**MINIMAL, "identity": {"addresses": ["dana@northwind.example"], "timezone": zone}})
    assert cfg.identity.zone.key == zone


def test_overdue_days_is_validated() -> None:
    assert configmod.parse(MINIMAL).schedule.overdue_days == 5
    assert configmod.parse({**MINIMAL, "schedule": {"overdue_days": 0}}).schedule.overdue_days == 0
    with pytest.raises(ConfigError, match=r"schedule\.overdue_days: must be a whole number"):
        configmod.parse({**MINIMAL, "schedule": {"overdue_days": "a week"}})
    with pytest.raises(ConfigError, match=r"schedule\.overdue_days: must be a whole number from 0 to 365"):
        configmod.parse({**MINIMAL, "schedule": {"overdue_days": 400}})
