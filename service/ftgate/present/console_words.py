"""Every word of the web console's page, in each language ftgate answers in (the answer's own
texts come with the answer). The console fills each element marked `data-t="key"` with
WORDS[lang][key]; the sentences with a figure are templates the console fills with what the
server wrote (`{n}`)."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "ftgate console — should this LLM project be fine-tuned?",
        "skip": "Skip to the decision",
        "tagline": "should this LLM project be fine-tuned — and if not, what instead?",
        "language": "Language", "rules": "rules", "input": "Project profile",
        "examples": "Load an example:", "access": "Access token",
        "token": "Bearer token (only when the server runs with --auth-tokens)",
        "evaluate": "Evaluate", "clear": "Clear", "decision": "Decision",
        "placeholder": "Fill in the profile (or load an example) and press Evaluate.",
        "invalid": "The profile has mistakes: each one is shown beside its field. Correct them "
                   "and press Evaluate again.",
        "tree": "Decision tree", "missing": "Information needed",
        "missing_help": "Each missing value, and what its possible values lead to:",
        "counterfactuals": "What would change the verdict",
        "try": "Try it", "redefines": "redefines the problem",
        "findings": "Findings", "alternatives": "Alternatives", "roi": "Return on investment",
        "plan": "Fine-tuning plan", "outcome": "Outcome: {n}", "decision_id": "Decision",
        "yes": "Yes", "no": "No", "unknown": "unknown", "needed": "needed",
        "stopped": "stopped here: information missing", "not_reached": "not reached",
        "blocking": "blocking step", "tree_title": "Decision tree: the path walked",
        "no_rule": "No rule fired.", "none_needed": "None needed.",
        "answers": "answers {n}", "not_computable": "Not computable: the economics are "
        "incomplete.", "range": "from {a} to {b}",
        "validation": "Validation tasks", "metrics": "Metrics", "year_one": "Year-one cost",
        "low": "low", "high": "high", "total": "Total", "tolerance": "degradation tolerance",
    },
    "fr": {
        "title": "Console ftgate — faut-il fine-tuner ce projet LLM ?",
        "skip": "Aller à la décision",
        "tagline": "faut-il fine-tuner ce projet LLM — et sinon, que faire à la place ?",
        "language": "Langue", "rules": "règles", "input": "Profil du projet",
        "examples": "Charger un exemple :", "access": "Jeton d'accès",
        "token": "Jeton porteur (seulement quand le serveur tourne avec --auth-tokens)",
        "evaluate": "Évaluer", "clear": "Effacer", "decision": "Décision",
        "placeholder": "Remplissez le profil (ou chargez un exemple), puis cliquez sur Évaluer.",
        "invalid": "Le profil comporte des erreurs : chacune est signalée à côté de son champ. "
                   "Corrigez-les, puis cliquez de nouveau sur Évaluer.",
        "tree": "Arbre de décision", "missing": "Informations manquantes",
        "missing_help": "Chaque valeur manquante, et ce à quoi mènent ses valeurs possibles :",
        "counterfactuals": "Ce qui changerait le verdict",
        "try": "Essayer", "redefines": "cela change la nature du projet",
        "findings": "Constats", "alternatives": "Alternatives",
        "roi": "Retour sur investissement", "plan": "Plan de fine-tuning",
        "outcome": "Issue : {n}", "decision_id": "Décision",
        "yes": "Oui", "no": "Non", "unknown": "inconnu", "needed": "à renseigner",
        "stopped": "arrêt ici : il manque des informations", "not_reached": "étape non atteinte",
        "blocking": "étape bloquante", "tree_title": "Arbre de décision : le chemin parcouru",
        "no_rule": "Aucune règle ne s'applique.", "none_needed": "Aucune n'est nécessaire.",
        "answers": "répond à {n}", "not_computable": "Impossible à calculer : les données "
        "économiques sont incomplètes.", "range": "de {a} à {b}",
        "validation": "Tâches de validation", "metrics": "Métriques",
        "year_one": "Coût de l'année 1", "low": "bas", "high": "haut", "total": "Total",
        "tolerance": "tolérance de dégradation",
    },
}
