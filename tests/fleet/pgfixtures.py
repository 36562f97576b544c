"""The PostgreSQL fixtures of the suite: one cluster per session (initdb'd in a temporary
directory), a new database per test, and a cluster of a test's own. The conftest.py of each
folder whose tests need them imports them from here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgcluster import PgCluster, server_bindir
from serverproc import free_port


@pytest.fixture(scope="session")
def pg_bindir() -> Path:
    bindir = server_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries unavailable (deploy/scripts/ensure-postgresql.sh)")
    return bindir


@pytest.fixture(scope="session")
def pg(pg_bindir: Path) -> Iterator[PgCluster]:
    cluster = PgCluster(pg_bindir, free_port())
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def pg_url(pg: PgCluster) -> str:
    """The URL of a new, empty database of the session's cluster."""
    return pg.new_database()


@pytest.fixture
def own_pg(pg_bindir: Path) -> Iterator[PgCluster]:
    """A cluster of this test's own (for tests that stop and restart PostgreSQL)."""
    cluster = PgCluster(pg_bindir, free_port())
    cluster.start()
    yield cluster
    cluster.remove()
