"""Layers one way: the import edges between ftgate's packages are the drawing in docs/design.md
(its `package-edges` block), no package reaches back up (no cycle, top-level modules included),
and the packages without a transport import no gRPC."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "service" / "ftgate"
DESIGN = ROOT / "docs" / "design.md"
# Sub-packages drawn apart from their parent: the doors of `server`.
DOORS = ("server/http", "server/grpc")
NO_TRANSPORT = ("api", "engine", "domain", "audit")
GENERATED = "v1"


def _node(module: str) -> str | None:
    """The package (or top-level module) of a dotted `ftgate.…` name, as `a/b` for the doors."""
    parts = module.split(".")
    if parts[0] != "ftgate" or len(parts) < 2:
        return None
    if len(parts) > 2 and "/".join(parts[1:3]) in DOORS:
        return "/".join(parts[1:3])
    return parts[1]


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports (at any depth: a function's imports count too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            # `from ftgate import enums` imports the module ftgate.enums.
            yield from (f"{node.module}.{alias.name}" for alias in node.names
                        if node.module == "ftgate")


def _edges() -> tuple[set[tuple[str, str]], dict[str, set[str]]]:
    """Package-level import edges, and the outside modules each package imports."""
    edges: set[tuple[str, str]] = set()
    outside: dict[str, set[str]] = {}
    for path in SOURCE.rglob("*.py"):
        source = _node(_module_of(path))
        if source is None or source == GENERATED:
            continue
        for imported in _imports(path):
            target = _node(imported)
            if target is None:
                outside.setdefault(source, set()).add(imported.split(".")[0])
            elif target != source:
                edges.add((source, target))
    return edges, outside


def _packages() -> set[str]:
    found = {p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists()}
    return (found | set(DOORS)) - {GENERATED}


def _drawing() -> set[tuple[str, str]]:
    match = re.search(r"```package-edges\n(.*?)```", DESIGN.read_text(), re.S)
    assert match, f"{DESIGN}: no ```package-edges block (one `a -> b, c` line per package)"
    drawn = set()
    for line in match.group(1).splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        source, arrow, targets = line.partition("->")
        assert arrow, f"{DESIGN}: expected `package -> package, ...`, found {line!r}"
        drawn |= {(source.strip(), t.strip()) for t in targets.split(",") if t.strip()}
    return drawn


def _cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_no_cycle_between_packages() -> None:
    edges, _ = _edges()
    # A door's package imports its parent's pieces only downwards too: server → server/http,
    # never back.
    assert _cycle(edges) is None, " → ".join(_cycle(edges) or [])


def test_the_packages_without_a_transport_import_no_grpc() -> None:
    for package in NO_TRANSPORT:
        for path in (SOURCE / package).rglob("*.py"):
            grpc = [m for m in _imports(path)
                    if m.split(".")[0].startswith("grpc") or m.endswith("_pb2_grpc")]
            assert not grpc, f"{path.relative_to(ROOT)} imports {grpc}"


def test_the_package_edges_are_the_drawing() -> None:
    edges, _ = _edges()
    packages = _packages()
    between = {(a, b) for a, b in edges if a in packages and b in packages}
    drawn = _drawing()
    assert not drawn - between, f"drawn in {DESIGN.name}, not in the code: {drawn - between}"
    assert not between - drawn, f"in the code, not drawn in {DESIGN.name}: {between - drawn}"


def test_the_test_sees_a_cycle() -> None:
    assert _cycle({("a", "b"), ("b", "c"), ("c", "a")}) == ["a", "b", "c", "a"]
    assert _cycle({("a", "b"), ("a", "c"), ("b", "c")}) is None
