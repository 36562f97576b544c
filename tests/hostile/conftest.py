"""The attack tests: each reproduces an attack on a live `ftgate serve` over loopback.

They share the operability tests' helpers (tests/operability/opstools.py), and the fleet
tests' PostgreSQL cluster (tests/fleet/pgcluster.py) for the attacks on that store.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operability"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fleet"))

from pgcluster import PgCluster, server_bindir
from serverproc import free_port


@pytest.fixture(scope="session")
def pg() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the session (initdb'd in a temporary directory)."""
    bindir = server_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries unavailable (deploy/scripts/ensure-postgresql.sh)")
    cluster = PgCluster(bindir, free_port())
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def pg_url(pg: PgCluster) -> str:
    """A new, empty database of the session's cluster."""
    return pg.new_database()
