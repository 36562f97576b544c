"""Fixtures of the operability tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from serverproc import REPO


def _copy_rules(target: Path) -> Path:
    shutil.copytree(REPO / "rules", target, ignore=shutil.ignore_patterns("tests"))
    return target


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rule files."""
    return _copy_rules(tmp_path / "rules")


@pytest.fixture(scope="module")
def module_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable copy of the shipped rule files, shared by a module."""
    return _copy_rules(tmp_path_factory.mktemp("rules") / "rules")
