"""Fixtures: one live `ftgate serve` for the session, and a Client on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ftgate_client import Client

from _server import CLIENT_DIR, FtgateServer

CASES_FILE = CLIENT_DIR.parent / "cases.json"


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]
    return cases


@pytest.fixture(scope="session")
def server() -> Iterator[FtgateServer]:
    srv = FtgateServer().start()
    try:
        yield srv
    finally:
        code = srv.stop()
        assert code in (0, None), f"ftgate serve exited {code} after SIGTERM:\n{srv.log()}"


@pytest.fixture()
def client(server: FtgateServer) -> Iterator[Client]:
    with Client(server.address, timeout=10) as c:
        yield c
