"""A readable report of an Assessment, for people reading `ftgate check`."""

from __future__ import annotations

from ftgate import enums
from ftgate.engine.phrases import field_name, in_sentence
from ftgate.present.labels import label
from ftgate.present.numbers import Numbers, numbers
from ftgate.present.typography import in_language
from ftgate.v1 import advisor_pb2 as pb

_WIDTH = 98

# The report's own words, in each language of the answers.
_LABELS = {
    "en": {
        "title": "ftgate assessment of {name}", "unnamed": "an unnamed project",
        "quoted": "'{name}'", "verdict": "VERDICT: {verdict}", "outcome": "  (outcome {outcome})",
        "id": "decision id     ", "version": "ruleset version ",
        "needed": "Information needed to finish the decision tree:",
        "leads": "what its values lead to:", "in_file": "in the file", "colon": ": ",
        "sep": "; ", "path": "Decision path:", "yes": "yes", "no": "no",
        "findings": "Findings:", "alternatives": "Alternatives, most relevant first:",
        "change": "What would change the verdict (fewest changes first):",
        "redefines": "(redefines the problem)",
        "unreachable": "Nothing within the valid ranges of the inputs gives FINE_TUNE.",
        "monthly": "monthly savings {v}", "break_even": "break-even {v}",
        "gross_break_even": "break-even on the gross savings {v}",
        "retraining": "retraining {v}/year",
        "likely": "meets the article's criteria for a clearly positive ROI (volume, savings "
        "per request, no frequent retraining): yes",
        "unlikely": "meets the article's criteria for a clearly positive ROI (volume, savings "
        "per request, no frequent retraining): no",
        "net": "net of retraining {v}/month",
        "net_break_even": "net break-even {v}",
        "net_values": "value after 1 year {one}, after 3 years {three}",
        "never": "never breaks even net of retraining", "plan": "Fine-tuning plan:",
        "validation": "validation", "degraded": "degraded below {v} × baseline",
        "watch": "watch", "year_one": "year-one cost",
        "waived": "waived by {id}: does not block",
        "waivers": "Allowed under waivers (exceptions approved for this project):",
        "waiver": "{id}: waives {rules}; expires {expires}; approved by {by}",
    },
    "fr": {
        "title": "Évaluation ftgate du projet {name}", "unnamed": "sans nom",
        "quoted": "« {name} »", "verdict": "VERDICT : {verdict}",
        "outcome": "  (issue : {outcome})",
        "id": "id de décision  ", "version": "version des règles",
        "needed": "Ce qu'il manque pour aller au bout de l'arbre de décision :",
        "leads": "selon sa valeur :", "in_file": "dans le fichier", "colon": " : ",
        "sep": " ; ", "path": "Parcours de l'arbre de décision :", "yes": "oui", "no": "non",
        "findings": "Constats :", "alternatives": "Alternatives, de la plus pertinente à la moins "
        "pertinente :",
        "change": "Ce qui changerait le verdict (le moins de changements d'abord) :",
        "redefines": "(cela change la nature du projet)",
        "unreachable": "Aucune valeur admise des données du profil ne mène à « Fine-tuner ».",
        "monthly": "économie mensuelle {v}", "break_even": "amorti en {v}",
        "gross_break_even": "amorti en {v} sur l'économie brute",
        "retraining": "réentraînement {v} par an",
        "likely": "critères de l'article pour un ROI clairement positif (volume, économie par "
        "requête, pas de réentraînement fréquent) réunis",
        "unlikely": "critères de l'article pour un ROI clairement positif (volume, économie par "
        "requête, pas de réentraînement fréquent) non réunis",
        "net": "{v} par mois réentraînement déduit",
        "net_break_even": "amorti en {v} réentraînement déduit",
        "net_values": "bilan après 1 an {one}, après 3 ans {three}",
        "never": "jamais amorti une fois le réentraînement payé",
        "plan": "Plan de fine-tuning :", "validation": "validation",
        "degraded": "dégradation en dessous de {v} × la référence", "watch": "à surveiller",
        "year_one": "coût de l'année 1",
        "waived": "dérogation {id} : ne bloque pas",
        "waivers": "Dérogations appliquées (exceptions approuvées pour ce projet) :",
        "waiver": "{id} : lève {rules} ; expire le {expires} ; approuvée par {by}",
    },
}


def render_report(a: pb.Assessment, lang: str = "en") -> str:
    """The report of `a`, in `lang` (its texts already are: the Assessment was asked in it)."""
    return "\n".join(in_language(line, lang) for line in _lines(a, lang)) + "\n"


def _lines(a: pb.Assessment, lang: str) -> list[str]:
    w, n = _LABELS[lang], numbers(lang)
    # (English keeps the enum names in its first lines, which scripts grep: DO NOT FINE TUNE)
    verdict = enums.VERDICT.short(a.verdict).replace("_", " ") if lang == "en" else \
        label(enums.VERDICT, enums.VERDICT.short(a.verdict), lang).upper()
    outcome = enums.OUTCOME.short_or_none(a.outcome)
    outcome_said = outcome if lang == "en" or outcome is None else \
        in_sentence(label(enums.OUTCOME, outcome, lang))
    name = w["quoted"].format(name=a.project_name) if a.project_name else w["unnamed"]
    lines = [w["title"].format(name=name),
             f"  {w['id']} {a.decision_id}",
             f"  {w['version']} {a.ruleset_version}",
             "",
             w["verdict"].format(verdict=verdict)
             + (w["outcome"].format(outcome=outcome_said) if outcome else "")]
    if a.missing_fields:
        lines += ["", w["needed"]]
        outcomes = {m.field: m for m in a.missing_field_outcomes}
        for path in a.missing_fields:
            lines += _missing(path) if lang == "en" else _missing_briefly(path, w, lang)
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
            sev = label(enums.SEVERITY, enums.SEVERITY.short(f.severity), lang).upper()
            lines.append(f"  [{sev}] {f.rule_id}{w['colon']}{f.title}")
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
            kind = label(enums.ALTERNATIVE_KIND, enums.ALTERNATIVE_KIND.short(alt.kind), lang)
            lines.append(f"  {i}. {kind}{w['colon']}{alt.rationale}")
            if alt.details:
                lines.append(f"      {', '.join(alt.details)}")
    figures = _roi(a.roi, w, n)
    if figures:
        lines += ["", "ROI" + w["colon"] + w["sep"].join(figures)]
    if a.HasField("plan"):
        p = a.plan
        lines += ["", w["plan"],
                  f"  LoRA r={p.lora.r} lora_alpha={p.lora.lora_alpha} "
                  f"target_modules={list(p.lora.target_modules)} lora_dropout={p.lora.lora_dropout}",
                  f"  {w['validation']}{w['colon']}{', '.join(p.validation_tasks)}{w['sep']}"
                  + w["degraded"].format(v=n.number(p.degradation_tolerance)),
                  f"  {w['watch']}{w['colon']}{', '.join(p.metrics)}",
                  f"  {w['year_one']}{w['colon']}{n.money(p.year_one_cost_low_usd)}–"
                  f"{n.money(p.year_one_cost_high_usd)} ("
                  + w["sep"].join(f"{c.item} {n.money(c.low_usd)}–{n.money(c.high_usd)}"
                                  for c in p.year_one_costs) + ")"]
        lines += [f"  - {r}" for r in p.recommendations]
    return lines


def _roi(roi: pb.RoiAnalysis, w: dict[str, str], n: Numbers) -> list[str]:
    figures = []
    if roi.HasField("monthly_savings_usd"):
        figures.append(w["monthly"].format(v=n.money(roi.monthly_savings_usd)))
    if roi.HasField("break_even_months"):
        # (net of a retraining that costs something, the gross figure is not the one decided on)
        gross = "gross_break_even" if roi.annual_retraining_cost_usd else "break_even"
        figures.append(w[gross].format(v=n.months(roi.break_even_months)))
    if roi.HasField("annual_retraining_cost_usd"):
        figures.append(w["retraining"].format(v=n.money(roi.annual_retraining_cost_usd)))
    if roi.HasField("never_breaks_even") and roi.annual_retraining_cost_usd:
        # (with no retraining cost the net figures are the gross ones: not repeated)
        figures.append(w["net"].format(v=n.money(roi.net_monthly_savings_usd)))
        if roi.never_breaks_even:
            figures.append(w["never"])
        elif roi.HasField("net_break_even_months"):
            figures.append(w["net_break_even"].format(v=n.months(roi.net_break_even_months)))
        if roi.HasField("net_value_one_year_usd"):
            figures.append(w["net_values"].format(
                one=n.money(roi.net_value_one_year_usd),
                three=n.money(roi.net_value_three_years_usd)))
    if roi.positive_roi_criteria:
        figures.append(roi.positive_roi_criteria)
    elif roi.HasField("likely_positive"):  # (an answer recorded before the words were sent)
        figures.append(w["likely"] if roi.likely_positive else w["unlikely"])
    return figures


def _missing_briefly(path: str, w: dict[str, str], lang: str) -> list[str]:
    """A missing field by its name, and how to write it (its meaning comes from the API's
    comments, which are in English: left out of the other languages' reports)."""
    from ftgate.profile_input.fields import by_path

    if path not in by_path():
        return [f"  - {field_name(path, lang)}"]
    written = ".".join(by_path()[".".join(path.split(".")[:i + 1])].json_name
                       for i in range(path.count(".") + 1))
    return [f"  - {field_name(path, lang)} ({w['in_file']}{w['colon']}{written})"]


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
