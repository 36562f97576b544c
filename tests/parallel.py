"""Which tests must run in the same pytest-xdist worker, one after the other.

`make test` runs `pytest -n N --dist loadgroup`. xdist 3.8's own loadgroup reads
`@pytest.mark.xdist_group` by renaming each test's node id, which pytest 9 no longer lets a plugin
do: every test would be scheduled alone. So the conftests replace its scheduler with
`GroupScheduling`, which puts into one work unit (one worker, in order):
 - every test under a name of `fixed` (a directory or file name -> its group): all the tests of
   tests/fleet in "postgres" (one PostgreSQL cluster), tests/http/test_console.py in "chromium"
   (one browser);
 - the tests of a module whose fixtures are shared at module scope (a live server whose state
   the module's tests build on, a Prometheus), in the module or a conftest above it: the module;
   at package scope: the package.
Every other test is a work unit of its own. The controller never imports the tests, so this is
decided from the files' text: a fixture declared `scope="module"` (or "package") is enough.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

_MODULE, _PACKAGE = 'scope="module"', 'scope="package"'


@functools.cache
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _conftests(module: Path, root: Path) -> list[Path]:
    found, directory = [], module.parent
    while directory == root or root in directory.parents:
        found.append(directory / "conftest.py")
        directory = directory.parent
    return found


def scope_of(nodeid: str, root: Path, fixed: Mapping[str, str]) -> str:
    """The work unit of the test `nodeid` (relative to the rootdir `root`)."""
    path = nodeid.split("::", 1)[0]
    for part in Path(path).parts:
        if part in fixed:
            return fixed[part]
    module = root / path
    conftests = [_text(c) for c in _conftests(module, root)]
    if any(_PACKAGE in text for text in [_text(module), *conftests]):
        return str(Path(path).parent)
    if any(_MODULE in text for text in [_text(module), *conftests]):
        return path
    return nodeid


class GroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """xdist's load-by-scope scheduler with the scopes of `scope_of` (largest first)."""

    def __init__(self, config: pytest.Config, log: Any, fixed: Mapping[str, str]) -> None:
        super().__init__(config, log)
        self.root = config.rootpath
        self.fixed = fixed

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid, self.root, self.fixed)


def scheduler(config: pytest.Config, log: Any, fixed: Mapping[str, str]) -> Any:
    """For the conftests' pytest_xdist_make_scheduler: ours under --dist loadgroup, else xdist's."""
    if config.getoption("dist", "no") != "loadgroup":
        return None
    return GroupScheduling(config, log, fixed)
