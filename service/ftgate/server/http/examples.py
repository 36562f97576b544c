"""The console's examples: examples/*.yaml and *.json of the repository, bundled into
console/examples.json (the package must work without the source tree).

    python -m ftgate.server.http.examples [EXAMPLES_DIR] [OUT]   (`make docs` runs it)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "console" / "examples.json"


def _title(text: str) -> str:
    """The opening comment of a YAML example (why it is an example), whole, without `# `; the
    editor's schema header is not part of it."""
    said: list[str] = []
    for line in text.splitlines():
        if line.startswith("# yaml-language-server:"):
            continue
        if not line.startswith("#"):
            break
        said.append(line.lstrip("# ").strip())
    return " ".join(s for s in said if s)


def bundle(examples: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted([*examples.glob("*.yaml"), *examples.glob("*.json")]):
        text = path.read_text(encoding="utf-8")
        profile = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        found.append({"file": path.name, "title": _title(text), "profile": profile})
    return found


def render(examples: Path) -> str:
    return json.dumps(bundle(examples), indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    examples = Path(argv[0]) if argv else Path("examples")
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.write_text(render(examples), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
