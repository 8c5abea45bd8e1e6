"""The OS keyring: the one check that a secret may be kept there, and storing and reading secrets.

Every secret followup-sync holds (the Microsoft 365 token cache, the IMAP and CalDAV passwords) goes through
:func:`check_keyring` before it is written or read. ``keyring`` picks whatever backend is installed, and
some of them do not keep a secret safe: ``fail`` raises on every call (no keyring at all), ``null`` silently
drops it, keyrings.alt's ``PlaintextKeyring`` writes it in clear to a file, its ``EncryptedKeyring`` asks
for its own password on the terminal (a background service cannot answer), and its Google Docs keyring
sends it off the machine. Those are refused with a sentence that says what to install instead; the plain
text file only with ``FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING=1`` (an explicit choice, never a fallback).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from followup_sync.errors import CredentialsError

SERVICE = "followup-sync"
PLAINTEXT_OPT_IN = "FOLLOWUP_SYNC_ALLOW_PLAINTEXT_KEYRING"

# Backends that cannot keep a secret here at all (module prefixes; the chainer's own class is unwrapped).
_NONE = ("keyring.backends.fail.", "keyring.backends.null.")
# Backends that keep it in clear (or leave the machine, or need a person at a terminal): refused with why.
_UNSAFE = {
    "keyrings.alt.file.PlaintextKeyring": "stores secrets unencrypted in a file",
    "keyrings.alt.pyfs.PlainKeyring": "stores secrets unencrypted in a file",
    "keyrings.alt.file.EncryptedKeyring": (
        "asks for its own password on the terminal at every start, which the background service cannot answer"
    ),
    "keyrings.alt.Google.DocsKeyring": "stores secrets in Google Docs, off this computer",
    "keyrings.alt.Google.KeyczarDocsKeyring": "stores secrets in Google Docs, off this computer",
}


def active_backend() -> Any:
    """The backend a write goes to: the chainer writes to its first backend, a wrapper to what it wraps."""
    import keyring

    chosen: Any = keyring.get_keyring()
    if type(chosen).__module__ == "keyring.backends.chainer":
        backends = list(chosen.backends)
        chosen = backends[0] if backends else None
    while chosen is not None and type(chosen).__module__ == "keyrings.alt.multi" and hasattr(chosen, "_keyring"):
        chosen = chosen._keyring
    return chosen


def backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}" if backend is not None else "none"


def _plaintext(backend: Any, kind: str) -> bool:
    # keyrings.alt's file keyrings name their scheme; a plain-text subclass elsewhere says so the same way
    return _UNSAFE.get(kind) == "stores secrets unencrypted in a file" or "no encr" in str(
        getattr(backend, "scheme", "")
    )


def check_keyring() -> str:
    """Refuse a keyring that would drop a secret, keep it in clear or send it away; the backend's name if ok."""
    backend = active_backend()
    kind = backend_name(backend)
    if backend is None or kind.startswith(_NONE):
        raise CredentialsError(f"no usable OS keyring ({kind}): {keyring_help()}")
    if _plaintext(backend, kind):
        if os.environ.get(PLAINTEXT_OPT_IN) == "1":
            return kind
        raise CredentialsError(
            f"the only keyring available ({kind}) stores secrets unencrypted in a file; install an OS keyring "
            f"({keyring_help()}) or set {PLAINTEXT_OPT_IN}=1 to accept the plain-text file"
        )
    if kind in _UNSAFE:
        raise CredentialsError(
            f"the keyring in use ({kind}) {_UNSAFE[kind]}; install an OS keyring: {keyring_help()}"
        )
    return kind


def keyring_help() -> str:
    """What to install or do for a usable keyring on this platform (never keyrings.alt)."""
    if sys.platform == "darwin":
        return "unlock the login keychain (sign in to the desktop session) and run again"
    if sys.platform == "win32":
        return "Windows Credential Manager is required; run followup-sync as the signed-in user"
    return (
        "install a Secret Service such as gnome-keyring (`sudo apt install gnome-keyring`) and run inside a "
        "desktop session, or headless: `dbus-run-session -- sh -c 'printf %s PASSWORD | gnome-keyring-daemon "
        "--unlock --components=secrets >/dev/null; followup-sync ...'`"
    )


def store_secret(user: str, secret: str, *, what: str, service: str = SERVICE) -> str:
    """Keep ``secret`` in the OS keyring and read it back; the backend's name, for "Stored in ..."."""
    import keyring
    import keyring.errors

    kind = check_keyring()
    try:
        keyring.set_password(service, user, secret)
        kept = keyring.get_password(service, user) == secret
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"cannot store the {what} in the OS keyring ({kind}): {_reason(exc)}") from exc
    if not kept:
        raise CredentialsError(f"the OS keyring ({kind}) did not keep the {what}; {keyring_help()}")
    return kind


def read_secret(user: str, *, what: str, service: str = SERVICE) -> str | None:
    """The secret stored for ``user``, or None; the same refusal as :func:`store_secret` first."""
    import keyring
    import keyring.errors

    kind = check_keyring()
    try:
        return keyring.get_password(service, user)
    except keyring.errors.KeyringLocked as exc:
        raise CredentialsError(f"the OS keyring is locked; unlock it to read the {what}") from exc
    except keyring.errors.KeyringError as exc:
        raise CredentialsError(f"cannot read the {what} from the OS keyring ({kind}): {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
