"""PostgreSQL for the team tests, as an operator would have it: a running server, or one started from the
machine's PostgreSQL binaries into a temporary folder (initdb, pg_ctl), never the shared one restarted.

``server_dsn()`` finds a server the tests may create databases on: ``FOLLOWUP_SYNC_TEST_PG`` (a libpq string),
else the local one on 127.0.0.1:5432, else a private cluster started here; ``None`` with the reason when none
can be had (no server and no binaries). Each test session works in a database of its own
(:func:`scratch_database`), dropped at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

LOCAL = "host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3"
ENV = "FOLLOWUP_SYNC_TEST_PG"


def reachable(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """A PostgreSQL cluster of our own in a temp folder, on a free port, trust auth on loopback.

    initdb refuses to run as root, so under root the cluster belongs to the ``postgres`` user. ``stop`` with
    ``mode="immediate"`` is a crash (no shutdown checkpoint); ``start`` brings it back on the same port.
    """

    def __init__(self) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="followup-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")  # fmt: skip
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, cwd="/tmp")

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} dbname=postgres user=postgres connect_timeout=3"

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c max_connections=200 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, *, crash: bool = True) -> None:
        self.stop("immediate" if crash else "fast")
        self.start()

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def server_dsn() -> tuple[str | None, PrivateCluster | None, str]:
    """(dsn, cluster we started or None, why none) for a server we may create databases on."""
    wanted = os.environ.get(ENV)
    if wanted:
        return (wanted, None, "") if reachable(wanted) else (None, None, f"{ENV}={wanted!r} is not reachable")
    if reachable(LOCAL):
        return LOCAL, None, ""
    try:
        cluster = PrivateCluster()
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        return None, None, f"no PostgreSQL server on 127.0.0.1:5432 and none could be started ({exc})"
    for _ in range(50):
        if reachable(cluster.dsn):
            return cluster.dsn, cluster, ""
        time.sleep(0.1)
    cluster.close()
    return None, None, "a private PostgreSQL cluster was started but does not answer"


def with_database(dsn: str, name: str) -> str:
    """``dsn`` pointing at database ``name`` instead."""
    parts = [p for p in dsn.split() if not p.startswith("dbname=")]
    return " ".join([*parts, f"dbname={name}"])


@contextlib.contextmanager
def scratch_database(dsn: str, *, prefix: str = "followup_test") -> Iterator[str]:
    """A new empty database for this session; dropped afterwards (connections still open are cut)."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
    try:
        yield with_database(dsn, name)
    finally:
        with contextlib.suppress(psycopg.Error), psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
