"""Fixtures of the fleet tests: one PostgreSQL cluster per session, a database per test."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (the PostgreSQL fixtures, shared with tests/hostile)
from pgfixtures import own_pg, pg, pg_bindir, pg_url  # noqa: F401
