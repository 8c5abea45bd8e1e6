"""Fixtures for the team deployment: a real PostgreSQL (the machine's, or one started here) in a database of
this session's own. Tests skip, naming why, only when no server can be had at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

psycopg = pytest.importorskip("psycopg", reason="the [team] extra (psycopg) is not installed")

from tests.team.pg import PrivateCluster, scratch_database, server_dsn  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    dsn, cluster, why = server_dsn()
    if dsn is None:
        pytest.skip(why)
    try:
        yield dsn
    finally:
        if isinstance(cluster, PrivateCluster):
            cluster.close()


@pytest.fixture(scope="session")
def pg_dsn(pg_server: str) -> Iterator[str]:
    with scratch_database(pg_server) as dsn:
        yield dsn
