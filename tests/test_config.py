"""Config validation: every problem reported at once, with the key's name and what is allowed."""

from __future__ import annotations

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
    assert cfg.schedule.holidays == (date(2026, 12, 25), date(2027, 1, 1))
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
