"""A readable report of an Assessment, for people reading `ftgate check`."""

from __future__ import annotations

from ftgate import enums
from ftgate.domain.text import usd
from ftgate.v1 import advisor_pb2 as pb

_WIDTH = 98


def render_report(a: pb.Assessment) -> str:
    verdict = enums.VERDICT.short(a.verdict).replace("_", " ")
    lines = [f"ftgate assessment of {a.project_name or 'an unnamed project'!r}",
             f"  decision id      {a.decision_id}",
             f"  ruleset version  {a.ruleset_version}",
             "",
             f"VERDICT: {verdict}"
             + (f"  (outcome {enums.OUTCOME.short(a.outcome)})" if a.outcome else "")]
    if a.missing_fields:
        lines += ["", "Information needed to finish the decision tree:"]
        for path in a.missing_fields:
            lines += _missing(path)
    if a.decision_path:
        lines += ["", "Decision path:"]
        for s in a.decision_path:
            lines.append(f"  {s.step}. {s.question} {'yes' if s.answer else 'no'} — {s.reason}")
    if a.findings:
        lines += ["", "Findings:"]
        for f in a.findings:
            sev = enums.SEVERITY.short(f.severity)
            lines.append(f"  [{sev}] {f.rule_id}: {f.title}")
            lines.append(f"      {f.message}")
            lines.append(f"      → {f.recommendation}   ({f.citation})")
    if a.alternatives:
        lines += ["", "Alternatives, most relevant first:"]
        for i, alt in enumerate(a.alternatives, 1):
            kind = enums.ALTERNATIVE_KIND.short(alt.kind).replace("_", " ")
            lines.append(f"  {i}. {kind.lower()}: {alt.rationale}")
            if alt.details:
                lines.append(f"      {', '.join(alt.details)}")
    roi = a.roi
    figures = []
    if roi.HasField("monthly_savings_usd"):
        figures.append(f"monthly savings {usd(roi.monthly_savings_usd)}")
    if roi.HasField("break_even_months"):
        figures.append(f"break-even {roi.break_even_months:,.1f} months")
    if roi.HasField("annual_retraining_cost_usd"):
        figures.append(f"retraining {usd(roi.annual_retraining_cost_usd)}/year")
    if roi.HasField("likely_positive"):
        figures.append("ROI likely positive" if roi.likely_positive else "ROI unlikely positive")
    if figures:
        lines += ["", "ROI: " + "; ".join(figures)]
    if a.HasField("plan"):
        p = a.plan
        lines += ["", "Fine-tuning plan:",
                  f"  LoRA r={p.lora.r} lora_alpha={p.lora.lora_alpha} "
                  f"target_modules={list(p.lora.target_modules)} lora_dropout={p.lora.lora_dropout}",
                  f"  validation: {', '.join(p.validation_tasks)}; degraded below "
                  f"{p.degradation_tolerance} × baseline",
                  f"  watch: {', '.join(p.metrics)}",
                  f"  year-one cost {usd(p.year_one_cost_low_usd)}–{usd(p.year_one_cost_high_usd)}: "
                  + "; ".join(f"{c.item} {usd(c.low_usd)}–{usd(c.high_usd)}"
                              for c in p.year_one_costs)]
        lines += [f"  - {r}" for r in p.recommendations]
    return "\n".join(lines) + "\n"


def _missing(path: str) -> list[str]:
    """A missing field: its path, what it means, how to write it and what it may hold."""
    import textwrap

    from ftgate.profile_input.fields import by_path

    spec = by_path().get(path)
    if spec is None:
        return [f"  - {path}"]
    written = ".".join(by_path()[".".join(path.split(".")[:i + 1])].json_name
                       for i in range(path.count(".") + 1))
    lines = textwrap.wrap(f"{path}: {spec.meaning()}", _WIDTH, initial_indent="  - ",
                          subsequent_indent="    ")
    lines += textwrap.wrap(f"in the file: {written}: {spec.expected(unit=True)}", _WIDTH,
                           initial_indent="      ", subsequent_indent="        ")
    return lines
