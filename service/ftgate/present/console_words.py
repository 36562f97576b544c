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
        "waived_badge": "WAIVED",
        "waived_note": "Waived by {id} until {until}, approved by {by}: does not block.",
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
        "waived_badge": "DÉROGATION",
        "waived_note": "Dérogation {id} jusqu'au {until}, approuvée par {by} : ne bloque pas.",
        "answers": "répond à {n}", "not_computable": "Impossible à calculer : les données "
        "économiques sont incomplètes.", "range": "de {a} à {b}",
        "validation": "Tâches de validation", "metrics": "Métriques",
        "year_one": "Coût de l'année 1", "low": "bas", "high": "haut", "total": "Total",
        "tolerance": "tolérance de dégradation",
    },
}

# What each field of the form asks for, in the languages other than English (English: the
# API's own comments, from the proto), by proto path; "" is the whole form.
FIELD_HELP: dict[str, dict[str, str]] = {
    "fr": {
        "": "Le profil décrit un projet LLM. Un champ laissé vide est « inconnu » : l'arbre "
            "s'arrête et demande l'information quand une étape en a besoin.",
        "name": "Nom libre du projet (256 caractères au plus) ; le seul texte libre journalisé.",
        "task_type": "Le type de tâche visé ; il fixe les seuils d'exemples.",
        "goal": "Ce que le fine-tuning doit changer.",
        "domain": "Le domaine du projet ; il indique les modèles spécialisés à essayer.",
        "quality_examples": "Nombre d'exemples annotés de bonne qualité.",
        "data_change_frequency": "À quel rythme les données du projet changent (donc à quel "
                                 "rythme un modèle fine-tuné devra être réentraîné).",
        "prompt_engineering": "La checklist de prompt engineering à suivre avant de fine-tuner.",
        "prompt_engineering.prompt_variations_tested": "Nombre de variations de prompts testées "
                                                       "(la checklist en demande au moins 5).",
        "prompt_engineering.few_shot_tried": "Le few-shot prompting avec de bons exemples a-t-il "
                                             "été essayé ?",
        "prompt_engineering.more_capable_model_tried": "Un modèle plus capable a-t-il été testé ?",
        "base_model_score": "Qualité mesurée du modèle de base, entre 0 et 1.",
        "target_score": "Qualité visée, entre 0 et 1.",
        "base_model_meets_target": "Le modèle de base atteint-il l'objectif ? Sert seulement "
                                   "quand les deux scores manquent.",
        "dedicated_model": "Le modèle fine-tuné servira-t-il uniquement à cette tâche ?",
        "planned_method": "La méthode de fine-tuning prévue.",
        "economics": "Le volet financier du projet, en dollars US.",
        "economics.requests_per_day": "Requêtes servies par jour par le modèle en production.",
        "economics.savings_per_request_usd": "Ce qu'un modèle fine-tuné ferait économiser par "
                                             "requête (prompts plus courts, modèle plus petit…).",
        "economics.investment_usd": "L'investissement de départ : annotation, temps des équipes, "
                                    "compute, validation.",
        "economics.retraining_cost_usd": "Le coût d'un réentraînement. L'étape 5 le demande quand "
                                         "les données changent : l'amortissement qu'elle juge "
                                         "est net du réentraînement. Inutile pour des données "
                                         "statiques.",
        "symptoms": "Ce que l'équipe espère corriger par le fine-tuning.",
        "prompt": "Le prompt tel qu'il est envoyé en production, pour le prompt caching.",
        "prompt.system_prompt_tokens": "Taille du prompt système, en tokens.",
        "prompt.prompt_is_repeated": "Le même prompt système est-il envoyé à chaque requête ?",
        "needs_external_actions": "La tâche demande-t-elle des calculs, des requêtes en base, un "
                                  "calendrier, des e-mails… ?",
    },
}
