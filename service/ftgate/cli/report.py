"""A readable report of an Assessment, for people reading `ftgate check`."""

from __future__ import annotations

from ftgate import enums
from ftgate.domain.text import usd
from ftgate.v1 import advisor_pb2 as pb

_WIDTH = 98

# The report's own words, in each language of the answers.
_LABELS = {
    "en": {
        "title": "ftgate assessment of {name}", "unnamed": "an unnamed project",
        "id": "decision id     ", "version": "ruleset version ", "outcome": "outcome",
        "needed": "Information needed to finish the decision tree:",
        "leads": "what its values lead to:", "in_file": "in the file", "colon": ": ",
        "sep": "; ", "path": "Decision path:", "yes": "yes", "no": "no",
        "findings": "Findings:", "alternatives": "Alternatives, most relevant first:",
        "change": "What would change the verdict (fewest changes first):",
        "redefines": "(redefines the problem)",
        "unreachable": "Nothing within the valid ranges of the inputs gives FINE_TUNE.",
        "monthly": "monthly savings {v}", "break_even": "break-even {v:,.1f} months",
        "gross_break_even": "break-even on the gross savings {v:,.1f} months",
        "retraining": "retraining {v}/year",
        "likely": "meets the article's criteria for a clearly positive ROI (volume, savings "
        "per request, no frequent retraining): yes",
        "unlikely": "meets the article's criteria for a clearly positive ROI (volume, savings "
        "per request, no frequent retraining): no",
        "net": "net of retraining {v}/month",
        "net_break_even": "net break-even {v:,.1f} months",
        "net_values": "value after 1 year {one}, after 3 years {three}",
        "never": "never breaks even net of retraining", "plan": "Fine-tuning plan:",
        "validation": "validation", "degraded": "degraded below {v} × baseline",
        "watch": "watch", "year_one": "year-one cost",
        "waived": "waived by {id}: does not block",
        "waivers": "Allowed under waivers (exceptions approved for this project):",
        "waiver": "{id}: waives {rules}; expires {expires}; approved by {by}",
    },
    "fr": {
        "title": "Évaluation ftgate de {name}", "unnamed": "un projet sans nom",
        "id": "id de décision  ", "version": "version des règles", "outcome": "issue",
        "needed": "Informations nécessaires pour terminer l'arbre de décision :",
        "leads": "ce que ses valeurs donnent :", "in_file": "dans le fichier", "colon": " : ",
        "sep": " ; ", "path": "Chemin de décision :", "yes": "oui", "no": "non",
        "findings": "Constats :", "alternatives": "Alternatives, la plus pertinente d'abord :",
        "change": "Ce qui changerait le verdict (le moins de changements d'abord) :",
        "redefines": "(redéfinit le problème)",
        "unreachable": "Aucune valeur valide des entrées ne donne FINE_TUNE.",
        "monthly": "économie mensuelle {v}", "break_even": "seuil de rentabilité {v:,.1f} mois",
        "gross_break_even": "seuil de rentabilité sur l'économie brute {v:,.1f} mois",
        "retraining": "réentraînement {v}/an",
        "likely": "remplit les critères de l'article d'un ROI clairement positif (volume, "
        "économie par requête, pas de réentraînement fréquent) : oui",
        "unlikely": "remplit les critères de l'article d'un ROI clairement positif (volume, "
        "économie par requête, pas de réentraînement fréquent) : non",
        "net": "net du réentraînement {v}/mois",
        "net_break_even": "seuil de rentabilité net {v:,.1f} mois",
        "net_values": "valeur après 1 an {one}, après 3 ans {three}",
        "never": "jamais rentable une fois le réentraînement payé",
        "plan": "Plan de fine-tuning :", "validation": "validation",
        "degraded": "dégradation sous {v} × la référence", "watch": "à surveiller",
        "year_one": "coût année 1",
        "waived": "dérogation {id} : ne bloque pas",
        "waivers": "Dérogations appliquées (exceptions approuvées pour ce projet) :",
        "waiver": "{id} : lève {rules} ; expire le {expires} ; approuvée par {by}",
    },
}


# Alternatives as the article names them (English: the enum's words).
_KIND_NAMES: dict[str, dict[str, str]] = {
    "en": {},
    "fr": {"PROMPT_ENGINEERING": "prompt engineering avancé", "FEW_SHOT": "few-shot prompting",
           "RAG": "RAG", "AGENT_TOOLS": "agents et outils",
           "SPECIALIZED_MODEL": "modèles spécialisés existants",
           "PROMPT_CACHING": "prompt caching"},
}


def render_report(a: pb.Assessment, lang: str = "en") -> str:
    w = _LABELS[lang]
    verdict = enums.VERDICT.short(a.verdict).replace("_", " ")
    lines = [w["title"].format(name=repr(a.project_name or w["unnamed"])),
             f"  {w['id']} {a.decision_id}",
             f"  {w['version']} {a.ruleset_version}",
             "",
             f"VERDICT: {verdict}"
             + (f"  ({w['outcome']} {enums.OUTCOME.short(a.outcome)})" if a.outcome else "")]
    if a.missing_fields:
        lines += ["", w["needed"]]
        outcomes = {m.field: m for m in a.missing_field_outcomes}
        for path in a.missing_fields:
            lines += _missing(path) if lang == "en" else _missing_briefly(path, w)
            if path in outcomes:
                lines.append(f"      {w['leads']}")
                lines += [f"        {o.description}" for o in outcomes[path].outcomes]
    if a.decision_path:
        lines += ["", w["path"]]
        for s in a.decision_path:
            lines.append(f"  {s.step}. {s.question} {w['yes'] if s.answer else w['no']} — "
                         f"{s.reason}")
    if a.findings:
        lines += ["", w["findings"]]
        for f in a.findings:
            sev = enums.SEVERITY.short(f.severity)
            lines.append(f"  [{sev}] {f.rule_id}: {f.title}")
            if f.waiver_id:
                lines.append(f"      ({w['waived'].format(id=f.waiver_id)})")
            lines.append(f"      {f.message}")
            lines.append(f"      → {f.recommendation}   ({f.citation})")
    if a.waivers_applied:
        lines += ["", w["waivers"]]
        lines += ["  " + w["waiver"].format(id=v.id, rules=", ".join(v.rule_ids),
                                            by=v.approved_by,
                                            expires=v.expires_at.ToJsonString())
                  for v in a.waivers_applied]
    if a.counterfactuals:
        lines += ["", w["change"]]
        lines += [f"  - {c.summary}" + ("" if c.actionable else f" {w['redefines']}")
                  for c in a.counterfactuals]
    elif a.fine_tune_unreachable:
        lines += ["", w["unreachable"]]
    if a.alternatives:
        lines += ["", w["alternatives"]]
        for i, alt in enumerate(a.alternatives, 1):
            short = enums.ALTERNATIVE_KIND.short(alt.kind)
            kind = _KIND_NAMES[lang].get(short) or short.replace("_", " ").lower()
            lines.append(f"  {i}. {kind}{w['colon']}{alt.rationale}")
            if alt.details:
                lines.append(f"      {', '.join(alt.details)}")
    figures = _roi(a.roi, w)
    if figures:
        lines += ["", "ROI" + w["colon"] + w["sep"].join(figures)]
    if a.HasField("plan"):
        p = a.plan
        lines += ["", w["plan"],
                  f"  LoRA r={p.lora.r} lora_alpha={p.lora.lora_alpha} "
                  f"target_modules={list(p.lora.target_modules)} lora_dropout={p.lora.lora_dropout}",
                  f"  {w['validation']}{w['colon']}{', '.join(p.validation_tasks)}{w['sep']}"
                  + w["degraded"].format(v=p.degradation_tolerance),
                  f"  {w['watch']}{w['colon']}{', '.join(p.metrics)}",
                  f"  {w['year_one']} {usd(p.year_one_cost_low_usd)}–"
                  f"{usd(p.year_one_cost_high_usd)}{w['colon']}"
                  + w["sep"].join(f"{c.item} {usd(c.low_usd)}–{usd(c.high_usd)}"
                              for c in p.year_one_costs)]
        lines += [f"  - {r}" for r in p.recommendations]
    return "\n".join(lines) + "\n"


def _roi(roi: pb.RoiAnalysis, w: dict[str, str]) -> list[str]:
    figures = []
    if roi.HasField("monthly_savings_usd"):
        figures.append(w["monthly"].format(v=usd(roi.monthly_savings_usd)))
    if roi.HasField("break_even_months"):
        # (net of a retraining that costs something, the gross figure is not the one decided on)
        gross = "gross_break_even" if roi.annual_retraining_cost_usd else "break_even"
        figures.append(w[gross].format(v=roi.break_even_months))
    if roi.HasField("annual_retraining_cost_usd"):
        figures.append(w["retraining"].format(v=usd(roi.annual_retraining_cost_usd)))
    if roi.HasField("never_breaks_even") and roi.annual_retraining_cost_usd:
        # (with no retraining cost the net figures are the gross ones: not repeated)
        figures.append(w["net"].format(v=_signed_usd(roi.net_monthly_savings_usd)))
        if roi.never_breaks_even:
            figures.append(w["never"])
        elif roi.HasField("net_break_even_months"):
            figures.append(w["net_break_even"].format(v=roi.net_break_even_months))
        if roi.HasField("net_value_one_year_usd"):
            figures.append(w["net_values"].format(
                one=_signed_usd(roi.net_value_one_year_usd),
                three=_signed_usd(roi.net_value_three_years_usd)))
    if roi.positive_roi_criteria:
        figures.append(roi.positive_roi_criteria)
    elif roi.HasField("likely_positive"):  # (an answer recorded before the words were sent)
        figures.append(w["likely"] if roi.likely_positive else w["unlikely"])
    return figures


def _signed_usd(x: float) -> str:
    return f"-{usd(-x)}" if x < 0 else usd(x)


def _missing_briefly(path: str, w: dict[str, str]) -> list[str]:
    """A missing field and how to write it (its meaning comes from the API's comments, which
    are in English: left out of the other languages' reports)."""
    from ftgate.profile_input.fields import by_path

    if path not in by_path():
        return [f"  - {path}"]
    written = ".".join(by_path()[".".join(path.split(".")[:i + 1])].json_name
                       for i in range(path.count(".") + 1))
    return [f"  - {path} ({w['in_file']}{w['colon']}{written})"]


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
