"""The outcomes report (audit/outcome_report.py) as text: figures as computed, laid out."""

from __future__ import annotations

from typing import Any

_COLUMNS = ("met_target", "missed_target", "target_unknown", "not_fine_tuned", "no_outcome")
_RULE_COLUMNS = ("refused", "fine_tuned_anyway", "met_target", "missed_target",
                 "target_unknown")


def _spread(name: str, s: dict[str, Any] | None) -> str:
    if s is None:
        return f"  {name}: no figures to compare"
    return (f"  {name}: median {s['median']:g} (quartiles {s['p25']:g} to {s['p75']:g}, "
            f"from {s['min']:g} to {s['max']:g}, {s['n']} projects)")


def render(summary: dict[str, Any]) -> str:
    lines = [f"{summary['decisions']} decisions, {summary['with_outcome']} with an outcome", "",
             f"{'verdict':20}" + "".join(f"{c:>16}" for c in _COLUMNS)]
    for verdict, counts in summary["by_verdict"].items():
        lines.append(f"{verdict:20}" + "".join(f"{counts[c]:16d}" for c in _COLUMNS))
    s = summary["savings"]
    lines += ["", f"FINE_TUNE projects fine-tuned, measured against predicted "
                  f"({s['compared']} compared, {s['without_figures']} without the figures):",
              _spread("monthly savings, measured / predicted", s["monthly_savings_ratio"]),
              _spread("break-even, measured / predicted", s["break_even_ratio"]),
              f"  never broke even (measured savings <= 0): {s['never_broke_even']}"]
    if summary["by_rule"]:
        lines += ["", "refused by rule (a DO_NOT_FINE_TUNE decision counts under each of its "
                      "blocking rules):",
                  f"{'rule':36}" + "".join(f"{c:>18}" for c in _RULE_COLUMNS)]
        for rule, counts in summary["by_rule"].items():
            lines.append(f"{rule:36}" + "".join(f"{counts[c]:18d}" for c in _RULE_COLUMNS))
    return "\n".join(lines) + "\n"
