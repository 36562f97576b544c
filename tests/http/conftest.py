"""Fixtures of the HTTP tests: a live `ftgate serve` with its HTTP port, and a small client."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The operability helpers (metrics scraping, polling, certificates) serve these tests too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operability"))

from serverproc import ServerProcess, start_server


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with the audit log on (GetDecision, ListDecisions and the decision page)."""
    tmp = tmp_path_factory.mktemp("http")
    proc = start_server(tmp, "--audit-db", str(tmp / "audit.db"), "--workers", "1")
    yield proc
    assert proc.stop() == 0
