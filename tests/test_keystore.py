"""Every secret goes through one keyring check: no plain-text file, no dropped secret, no false "Stored".

The test extras install keyrings.alt (its PlaintextKeyring is what ``keyring`` picks on a headless machine), so
these tests show it refused for the IMAP and CalDAV passwords as for the Microsoft 365 login, by the real
commands; the subprocess test lets ``keyring`` load the backend itself, as a user's machine would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.chainer
import keyring.backends.fail
import keyring.backends.null
import pytest
from click.testing import CliRunner
from keyrings.alt.file import EncryptedKeyring, PlaintextKeyring

from followup_sync import keystore
from followup_sync.backends.imap import load_password
from followup_sync.cli import cli
from followup_sync.errors import CredentialsError
from tests.conftest import MemoryKeyring

SECRET = "hunter2-do-not-store-me"


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    lines = {
        "identity": {"addresses": ["dana@northwind.example"], "timezone": "Europe/Berlin"},
        "mail": {"backend": "imap", "host": "imap.example.com", "username": "dana"},
        "meetings": {"backend": "caldav", "url": "https://dav.example.com/dana/work/", "username": "dana"},
        "reminders": {"backend": "caldav", "url": "https://dav.example.com/dana/followups/", "username": "dana"},
        "state": {"path": str(tmp_path / "state.db")},
    }
    text = "".join(
        f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in table.items())
        for name, table in lines.items()
    )
    path.write_text(text)
    return path


@pytest.fixture
def use_keyring() -> Iterator[Any]:
    previous = keyring.get_keyring()

    def _use(backend: Any) -> Any:
        keyring.set_keyring(backend)
        return backend

    yield _use
    keyring.set_keyring(previous)


@pytest.fixture
def plaintext(tmp_path: Path, use_keyring: Any, monkeypatch: pytest.MonkeyPatch) -> PlaintextKeyring:
    monkeypatch.delenv(keystore.PLAINTEXT_OPT_IN, raising=False)
    plain = PlaintextKeyring()
    plain.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[misc]
    return use_keyring(plain)  # type: ignore[no-any-return]


def run(*args: str, input: str = SECRET + "\n") -> Any:
    return CliRunner().invoke(cli, list(args), input=input)


@pytest.mark.parametrize("command", ["imap-password", "caldav-password"])
def test_a_plaintext_keyring_is_refused_before_the_password_is_asked(
    command: str, tmp_path: Path, plaintext: PlaintextKeyring
) -> None:
    result = run(command, "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert "stores secrets unencrypted in a file" in result.output
    assert "Stored" not in result.output
    assert "password for" not in result.output  # refused before the prompt
    assert not Path(plaintext.file_path).exists()


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
@pytest.mark.parametrize("command", ["imap-password", "caldav-password"])
def test_no_keyring_says_what_to_install_and_never_suggests_keyrings_alt(
    command: str, backend: type, tmp_path: Path, use_keyring: Any
) -> None:
    use_keyring(backend())
    result = run(command, "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert "no usable OS keyring" in result.output
    assert "gnome-keyring" in result.output
    assert "Stored" not in result.output
    assert "keyrings.alt" not in keystore.keyring_help()


@pytest.mark.parametrize(
    ("backend", "why"),
    [
        (EncryptedKeyring, "asks for its own password on the terminal"),
        (PlaintextKeyring, "stores secrets unencrypted in a file"),
    ],
)
def test_the_check_refuses_each_unsafe_backend(backend: type, why: str, use_keyring: Any) -> None:
    use_keyring(backend.__new__(backend))  # EncryptedKeyring's __init__ needs pycryptodome, its check does not
    with pytest.raises(CredentialsError, match=why):
        keystore.check_keyring()


def test_a_chain_writes_to_its_first_backend_and_is_judged_by_it(
    use_keyring: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plain = PlaintextKeyring()
    plain.file_path = str(tmp_path / "kr.cfg")  # type: ignore[misc]
    chain = keyring.backends.chainer.ChainerBackend()
    monkeypatch.setattr(keyring.backends.chainer.ChainerBackend, "backends", [plain, MemoryKeyring()])
    use_keyring(chain)
    with pytest.raises(CredentialsError, match="unencrypted"):
        keystore.store_secret("imap:dana@host", SECRET, what="IMAP password")
    assert not Path(plain.file_path).exists()


def test_reading_a_password_through_a_plaintext_keyring_is_refused_too(plaintext: PlaintextKeyring) -> None:
    with pytest.raises(CredentialsError, match="unencrypted"):
        load_password("imap.example.com", "dana")


class _Forgetful(keyring.backend.KeyringBackend):
    """Accepts every secret and keeps none (a broken or misconfigured backend of someone else's)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        return None

    def delete_password(self, service: str, username: str) -> None:
        return None


def test_stored_is_said_only_when_the_keyring_kept_it(tmp_path: Path, use_keyring: Any) -> None:
    use_keyring(_Forgetful())
    result = run("imap-password", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 1
    assert "did not keep the IMAP password" in result.output
    assert "Stored" not in result.output


@pytest.mark.parametrize(
    ("command", "entries"),
    [
        ("imap-password", {("followup-sync", "imap:dana@imap.example.com")}),
        ("caldav-password", {("followup-sync", "caldav:dana@dav.example.com")}),
    ],
)
def test_a_real_keyring_stores_and_names_itself(
    command: str, entries: set[tuple[str, str]], tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    result = run(command, "--config", str(write_config(tmp_path)), input=f"{SECRET}\n{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert "Stored in the OS keyring (tests.conftest.MemoryKeyring)." in result.output
    assert set(memory_keyring.store) == entries
    assert set(memory_keyring.store.values()) == {SECRET}


def test_the_plaintext_opt_in_is_explicit(
    tmp_path: Path, plaintext: PlaintextKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(keystore.PLAINTEXT_OPT_IN, "1")
    result = run("imap-password", "--config", str(write_config(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "Stored in the OS keyring (keyrings.alt.file.PlaintextKeyring)." in result.output


def test_the_installed_command_refuses_the_keyring_keyring_picks_on_a_headless_machine(tmp_path: Path) -> None:
    """A real process: ``keyring`` loads keyrings.alt's plain-text file by name, as on a machine without D-Bus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOLLOWUP_SYNC_", "PYTHON_KEYRING"))}
    env.update(
        FOLLOWUP_SYNC_HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "followup_sync", "imap-password", "--config", str(write_config(tmp_path))],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "keyrings.alt.file.PlaintextKeyring) stores secrets unencrypted in a file" in proc.stderr
    assert "Stored" not in proc.stdout
    assert not any(SECRET in p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
