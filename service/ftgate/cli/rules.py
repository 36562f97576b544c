"""`ftgate rules list|lint|test|replay`: show, validate, test or replay rule files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK
from ftgate.cli.flags import add_rule_file_cap, directory, percent
from ftgate.cli.help import HelpFormatter
from ftgate.ruleset import RuleSet
from ftgate.ruleset.model import Requirement


def add_parser(sub: Any) -> None:
    r = sub.add_parser("rules", help="show, validate or test rule files", description=__doc__,
                       formatter_class=HelpFormatter)
    rsub = r.add_subparsers(dest="rules_command", required=True)
    for name, text in (("list", "show the loaded rules"), ("lint", "validate rule files"),
                       ("test", "run the rule test tables (DIR/tests/*.yaml)")):
        x = rsub.add_parser(name, help=text, description=text, formatter_class=HelpFormatter)
        x.add_argument("--rules", type=directory, default=None, metavar="DIR",
                       help="rule directory (default: the shipped rules)")
        add_rule_file_cap(x)
        if name == "list":
            x.add_argument("--tree", action="store_true",
                           help="show the decision tree: each step's question, what blocks it "
                                "and where the walk stops")
        if name == "test":
            x.add_argument("--tests", type=directory, default=None, metavar="DIR",
                           help="test table directory (default: RULES/tests)")
            x.add_argument("--coverage", action="store_true",
                           help="report which rules, tree branches and alternatives the "
                                "tables exercise")
            x.add_argument("--min-coverage", type=percent, default=None, metavar="N",
                           help="fail (exit 1) when the tables cover less than N %% of the "
                                "rules, branches and alternatives (implies --coverage)")
    from ftgate.cli import replay

    replay.add_parser(rsub)


def run(args: argparse.Namespace) -> int:
    from ftgate.engine import Engine
    from ftgate.engine.engine import default_rules_dir
    from ftgate.errors import RuleFileError
    from ftgate.ruleset import load_ruleset
    from ftgate.userfile import FileRefused

    if args.rules_command == "replay":
        from ftgate.cli import replay

        return replay.run(args)
    directory = args.rules or default_rules_dir()
    try:
        rs = load_ruleset(directory, args.max_rule_file_bytes)
        if args.rules_command == "lint":
            Engine(directory, args.max_rule_file_bytes)  # compiles too: what lints is what serves
    except RuleFileError as exc:
        print(f"ftgate: invalid rules: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.rules_command == "lint":
        for warning in inversion_warnings(rs):
            print(f"ftgate: warning: {warning}", file=sys.stderr)
        print(f"ok: {len(rs.files)} files, {len(rs.rules)} rules, {len(rs.steps)} tree steps, "
              f"version {rs.version}")
        return EXIT_OK
    if args.rules_command == "list":
        print(render_tree(rs) if args.tree else render_list(rs), end="")
        return EXIT_OK
    engine = Engine(directory, args.max_rule_file_bytes)
    try:
        return _test(engine, args.tests or Path(directory) / "tests",
                     args.coverage or args.min_coverage is not None, args.min_coverage)
    except FileRefused as exc:
        print(f"ftgate: invalid test table: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def inversion_warnings(rs: RuleSet) -> list[str]:
    """A rule that blocks a tree step on a figure that cannot be solved back to the inputs:
    no counterfactual goes through it (engine/inversion.py)."""
    from ftgate.engine.inversion import not_invertible

    rules = {r.id: r for r in rs.rules}
    out = []
    for step in rs.steps:
        for rule_id in step.blocked_by:
            rule = rules[rule_id]
            for name in not_invertible(rule.when):
                out.append(f"{rule.source_file}: rule {rule_id}: its condition on {name} cannot "
                           "be inverted: counterfactuals will not go through it")
    return out


def render_list(rs: RuleSet) -> str:
    from ftgate.ruleset.conditions import to_text

    lines = [f"ruleset {rs.version}"]
    for r in rs.rules:
        lines.append(f"{r.id:32} {r.severity or '-':8} {r.failure_mode or 'alternative':22} "
                     f"step {r.step or '-'}  "
                     f"{to_text(r.when, rs.thresholds)}")
    return "\n".join(lines) + "\n"


def render_tree(rs: RuleSet) -> str:
    """The decision tree as the engine walks it, read from the rule files."""
    from ftgate.ruleset.conditions import to_text

    lines = [f"ruleset {rs.version}",
             "The steps are walked in order; the walk stops at the first step a rule blocks, "
             "or whose inputs are missing.", ""]
    rules = {r.id: r for r in rs.rules}
    for s in rs.steps:
        stop = "yes" if s.answer_when_blocked else "no"
        lines.append(f"{s.step}. {s.question}")
        needs = "; ".join(_needs(requirement, rs.thresholds) for requirement in s.requires)
        lines.append(f"   needs       {needs or '-'}")
        for i, rule_id in enumerate(s.blocked_by):
            rule = rules[rule_id]
            label = "blocked by" if i == 0 else ""
            lines.append(f"   {label:11} {rule_id}: {to_text(rule.when, rs.thresholds)}")
        lines.append(f"   if blocked  answer {stop} → stop: DO NOT FINE TUNE, outcome {s.outcome}")
        lines.append("   if missing  stop: NEEDS INFORMATION (the missing inputs are listed)")
        lines.append("")
    lines.append(f"No step blocked → FINE TUNE, outcome {rs.final_outcome}")
    return "\n".join(lines) + "\n"


def _needs(requirement: Requirement, thresholds: dict[str, Any]) -> str:
    from ftgate.ruleset.conditions import to_text

    groups = [" and ".join(g) for g in requirement.groups]
    needs = groups[0] if len(groups) == 1 else " or ".join(
        f"({g})" if " and " in g else g for g in groups)
    if requirement.when is None:
        return needs
    return f"{needs} when {to_text(requirement.when, thresholds)}"


def _test(engine: Any, tests: Path, coverage: bool = False,
          min_coverage: float | None = None) -> int:
    from ftgate.ruletest import load_cases, run_cases

    cases = load_cases(tests, engine.max_file_bytes)  # the tables: the rule files' cap
    if not cases:
        print(f"ftgate: no test case found in {tests}", file=sys.stderr)
        return EXIT_ERROR
    failed = 0
    for case, problems in run_cases(engine, cases):
        print(f"{'FAIL' if problems else 'ok  '} {case.id}")
        for p in problems:
            print(f"       {p}")
        failed += bool(problems)
    print(f"{len(cases) - failed} passed, {failed} failed")
    if coverage:
        from ftgate.rulecoverage import measure

        measured = measure(engine, cases)
        print(measured.report(), end="")
        if min_coverage is not None and measured.percent < min_coverage:
            print(f"ftgate: coverage {measured.percent:.1f} % is under --min-coverage "
                  f"{min_coverage:g}", file=sys.stderr)
            return EXIT_ERROR
    return EXIT_ERROR if failed else EXIT_OK
