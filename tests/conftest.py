"""Shared fixtures: the shipped engine, and one live server per test session (per xdist worker);
how tests are grouped when they run in parallel (pytest-xdist, `--dist loadgroup`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ftgate.engine import Engine
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from parallel import group
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # One PostgreSQL cluster (tests/fleet), one Chromium (the console tests): tests/parallel.py.
    group(items, Path(__file__).resolve().parent,
          {"fleet": "postgres", "test_console.py": "chromium"})
