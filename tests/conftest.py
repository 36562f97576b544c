"""Shared fixtures: the shipped engine, and one live server per test session (per xdist worker);
which tests share a pytest-xdist worker (`--dist loadgroup`: tests/parallel.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from parallel import scheduler
from serverproc import ServerProcess, start_server


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("server"))
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def stub(server: ServerProcess) -> Iterator[pb_grpc.FineTuningAdvisorServiceStub]:
    with grpc.insecure_channel(server.address) as channel:
        yield pb_grpc.FineTuningAdvisorServiceStub(channel)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    # One PostgreSQL cluster (tests/fleet), one Chromium (the console tests): tests/parallel.py.
    return scheduler(config, log, {"fleet": "postgres", "test_console.py": "chromium"})
