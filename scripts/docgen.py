"""Generate the documentation that is derived from the rule files and the examples.

  python scripts/docgen.py          rewrite README's rules table and examples/*.out.txt, *.fr.out.txt
  python scripts/docgen.py --check  exit 1 when any of them is stale (run by the test suite)
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

from ftgate.cli import main as ftgate_main
from ftgate.engine.engine import default_rules_dir
from ftgate.ruleset import load_ruleset
from ftgate.ruleset.conditions import to_text

REPO = Path(__file__).resolve().parent.parent
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def rules_table() -> str:
    rs = load_ruleset(default_rules_dir())
    t = rs.thresholds
    lines = [START, f"Generated from `rules/` (ruleset `{rs.version}`) by `make docs`; do not edit.",
             "", "| task type | minimum viable | recommended |", "|---|---|---|"]
    for task, pair in t["examples"].items():
        lines.append(f"| {task} | {pair['minimum_viable']:,} | {pair['recommended']:,} |")
    lines += ["", "| threshold | value |", "|---|---|"]
    for name, value in t.items():
        if name == "examples":
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else (
            ", ".join(f"{k} {v}" for k, v in value.items()) if isinstance(value, dict)
            else f"{value:,}" if isinstance(value, int) else str(value))
        lines.append(f"| `{name}` | {shown} |")
    lines += ["", "| rule | severity | failure mode | step | condition | source |",
              "|---|---|---|---|---|---|"]
    for r in rs.rules:
        step = str(r.step) if r.step else "–"
        lines.append(f"| `{r.id}` | {r.severity or 'alternative'} | {r.failure_mode or r.title} |"
                     f" {step} | `{to_text(r.when, t)}` | {r.citation} |")
    lines += ["", "| step | question | blocked by | leaf |", "|---|---|---|---|"]
    for s in rs.steps:
        lines.append(f"| {s.step} | {s.question} | {', '.join(f'`{b}`' for b in s.blocked_by)} |"
                     f" {s.outcome} |")
    lines.append(END)
    return "\n".join(lines)


def example_outputs() -> dict[Path, str]:
    out = {}
    for path in sorted((REPO / "examples").glob("*.yaml")) + sorted(
            (REPO / "examples").glob("*.json")):
        for lang, suffix, flag in (("en", ".out.txt", ""), ("fr", ".fr.out.txt", " --lang fr")):
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                code = ftgate_main(["check", str(path), "--lang", lang])
            text = re.sub(r"(decision id|id de décision) +\S+", r"\1      <random per call>",
                          buffer.getvalue())
            out[path.with_suffix(suffix)] = (
                f"$ ftgate check examples/{path.name}{flag}   # exit {code}\n{text}")
    return out


def main() -> int:
    check = "--check" in sys.argv
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: rules_table(), text,
                 flags=re.S)
    targets = {readme: new, **example_outputs()}
    stale = [p for p, content in targets.items()
             if not p.exists() or p.read_text(encoding="utf-8") != content]
    if check:
        for p in stale:
            print(f"stale: {p.relative_to(REPO)} (run `make docs`)")
        return 1 if stale else 0
    for p in stale:
        p.write_text(targets[p], encoding="utf-8")
        print(f"wrote {p.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
