"""The attack tests: each reproduces an attack on a live `ftgate serve` over loopback.

They share the operability tests' helpers (tests/operability/opstools.py), and the fleet
tests' PostgreSQL cluster (tests/fleet/pgcluster.py) for the attacks on that store.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operability"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fleet"))

# (the fleet tests' PostgreSQL fixtures: one cluster per session, a database per test)
from pgfixtures import pg, pg_bindir, pg_url  # noqa: F401
