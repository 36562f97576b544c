"""How tests are grouped when they run in parallel (pytest-xdist, `--dist loadgroup`).

The tests of one xdist_group run in one worker, one after the other. What a worker may not share
with another, or must not start twice, is grouped:
 - the names in `fixed` (a directory or file name -> its group), e.g. every test of tests/fleet
   in "postgres" (one PostgreSQL cluster), tests/http/test_console.py in "chromium";
 - tests using fixtures of module or package scope (a live server with state the module's tests
   build on): the module's (package's) tests together, in one worker, with one such server.
Tests without such fixtures spread over the workers one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest


def group_of(item: pytest.Item, root: Path, fixed: Mapping[str, str]) -> str | None:
    """The xdist_group `item` needs, None when it may run anywhere."""
    path = Path(str(item.path)).resolve().relative_to(root)
    for part in path.parts:
        if part in fixed:
            return fixed[part]
    info = getattr(item, "_fixtureinfo", None)
    scopes = {d.scope for defs in (info.name2fixturedefs.values() if info else ()) for d in defs}
    if "package" in scopes:
        return str(path.parent)
    if "module" in scopes:
        return str(path)
    return None


def group(items: list[pytest.Item], root: Path, fixed: Mapping[str, str] | None = None) -> None:
    """Mark every item that needs a group and has none yet (pytest_collection_modifyitems)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            name = group_of(item, root, fixed or {})
            if name is not None:
                item.add_marker(pytest.mark.xdist_group(name))
