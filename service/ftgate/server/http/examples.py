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
    """The first comment line of a YAML example (why it is an example), without `# `."""
    for line in text.splitlines():
        if line.startswith("# yaml-language-server:"):
            continue  # the editor's schema header is no title
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


def bundle(examples: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted([*examples.glob("*.yaml"), *examples.glob("*.json")]):
        text = path.read_text(encoding="utf-8")
        profile = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        profile.pop("$schema", None)  # names the file's JSON Schema; not a profile field
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
