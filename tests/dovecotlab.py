"""A Dovecot IMAP server on 127.0.0.1 for tests and benchmarks (notes/reliability-and-test-servers.md §2b).

:func:`running` writes a configuration under ``root`` (which Dovecot's mail user must be able to traverse: not
pytest's 0700 temp dir), starts ``dovecot -F`` as a child, waits for its greeting and stops it by its pid.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

DOVECOT = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")
USER, PASSWORD = "alice", "alice-pw"

CONF = """\
instance_name = followup-test-{port}
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
mail_location = {mail_location}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
  mailbox Papierkorb {{
    auto = subscribe
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {tmp}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={tmp}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class DovecotFailed(RuntimeError):
    pass


def account() -> pwd.struct_passwd:
    """The user Dovecot reads mail as: ``dovecot`` when we are root, else ourselves."""
    return pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


def give(paths: Iterator[Path] | list[Path]) -> None:
    """Hand files to Dovecot's mail user (a no-op when that is us)."""
    user = account()
    if user.pw_uid == os.geteuid():
        return
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(root: Path, *, mail_location: str | None = None) -> Iterator[int]:
    """Dovecot serving ``root/mail/alice/Maildir`` (or ``mail_location``) for alice; yields its port."""
    if DOVECOT is None:
        raise DovecotFailed("dovecot is not installed (apt-get install dovecot-imapd)")
    user = account()
    port = free_port()
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    conf = root / "dovecot.conf"
    location = mail_location or f"maildir:{root}/mail/%n/Maildir"
    conf.write_text(
        CONF.format(
            tmp=root,
            port=port,
            user=user.pw_name,
            group=user.pw_name,
            uid=user.pw_uid,
            gid=user.pw_gid,
            mail_location=location,
        )
    )
    (root / "state").mkdir(exist_ok=True)
    (root / "mail").mkdir(exist_ok=True)
    give([root / "mail", root / "state", *(root / "mail").rglob("*")])
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(port, proc, root)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def _wait_for(port: int, proc: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise DovecotFailed(f"dovecot exited with {proc.returncode}: {err} {log}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            if sock.recv(100).startswith(b"* OK"):
                return
        time.sleep(0.02)
    raise DovecotFailed("dovecot did not answer within 10 s")
