"""The console in a real headless browser against a real `ftgate serve`, as its readers see it:
each example in English and in French (every word of the page and of the answer in the chosen
language, French as French is written), the counterfactual cards and their "try it", the
language switch, a phone's width (nothing overflows, no text under 11 px), an invalid profile
said in the decision panel, missing values with what they lead to, and the decision link only
when decisions are recorded."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, launch
from ftgate import enums
from ftgate.present import labels
from serverproc import REPO, ServerProcess

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from french_text import english_words, faults

pytestmark = pytest.mark.slow
EXAMPLES = sorted(p.name for p in [*REPO.glob("examples/*.yaml"), *REPO.glob("examples/*.json")])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, executable)
        yield browser
        browser.close()  # type: ignore[attr-defined]


def new_page(browser: Any, lang: str, width: int = 1366) -> Any:
    """A page of a browser whose language is `lang` (its Accept-Language, navigator.languages)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return page


def open_example(page: Any, server: ServerProcess, file: str) -> None:
    page.goto(server.http_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.click(f"button[data-example='{file}']")
    evaluate(page)


def evaluate(page: Any) -> None:
    page.evaluate("document.body.dataset.state = ''")
    page.click("#submit")
    page.wait_for_selector("body[data-state=done], body[data-state=error]")


def decision_text(page: Any, leave_out: str = "code") -> list[str]:
    """The decision panel's lines as a reader sees them (the SVG's texts included), but the
    data it quotes (`code`) and what `leave_out` selects."""
    lines = page.evaluate("""drop => {
        const copy = document.getElementById('decision').cloneNode(true);
        for (const code of copy.querySelectorAll(drop)) code.remove();
        document.body.append(copy);
        const out = [copy.innerText];
        copy.remove();
        for (const t of document.querySelectorAll('#decision svg text, #decision svg title'))
            out.push(t.textContent);
        return out.join('\\n'); }""", leave_out)
    return [line.strip() for line in lines.splitlines() if line.strip()]


@pytest.mark.parametrize("file", EXAMPLES)
def test_each_example_in_french_reads_as_french(browser: Any, http_server: ServerProcess,
                                                file: str) -> None:
    page = new_page(browser, "fr-FR")
    open_example(page, http_server, file)
    assert page.get_attribute("html", "lang") == "fr"
    assert page.input_value("select[name=lang]") == "fr"
    verdict = page.get_attribute("#verdict", "data-verdict")
    assert page.text_content("#verdict-name") == labels.label(
        enums.VERDICT, enums.VERDICT.from_full(verdict) or "", "fr")
    assert page.text_content("#tree-title") == "Arbre de décision"
    found = [f for line in decision_text(page) for f in faults(line)]
    assert not found, "\n".join(found)
    # The form too: names, help, choices (but the examples' file names).
    form = page.evaluate("""() => { const copy = document.getElementById('input').cloneNode(true);
        copy.querySelector('#examples').remove(); document.body.append(copy);
        const text = copy.innerText; copy.remove(); return text; }""")
    found = [f for line in form.splitlines() if line.strip() for f in faults(line.strip())]
    assert not found, "\n".join(found)
    # The drop-downs show labels, not proto names.
    options = page.eval_on_selector_all("select[name=task_type] option", "os => os.map(o => o.text)")
    assert "Style ou ton spécifique" in options and not any("_" in o for o in options)
    assert page.errors == []


@pytest.mark.parametrize("file", EXAMPLES)
def test_each_example_in_english(browser: Any, http_server: ServerProcess, file: str) -> None:
    page = new_page(browser, "en-US")
    open_example(page, http_server, file)
    assert page.get_attribute("html", "lang") == "en"
    verdict = page.get_attribute("#verdict", "data-verdict")
    assert page.text_content("#verdict-name") == labels.label(
        enums.VERDICT, enums.VERDICT.from_full(verdict) or "", "en")
    text = " ".join(decision_text(page, "code, cite"))  # (citations quote the French article)
    for french in ("Arbre de décision", "réentraînement", "requêtes", " mois"):
        assert french not in text, text[max(0, text.find(french) - 200):text.find(french) + 50]
    assert page.errors == []


def test_a_counterfactual_card_and_try_it(browser: Any, http_server: ServerProcess) -> None:
    """$0.002 × 1,000 requests/day: the engine finds 20,834 requests/day (20,833 breaks even in
    12.0002 months); trying it fills the form and the verdict becomes FINE_TUNE."""
    page = new_page(browser, "en-US")
    open_example(page, http_server, "low-volume-roi.yaml")
    card = page.query_selector("#counterfactuals li[data-counterfactual='0']")
    assert card is not None
    assert "at least 20,834 (now 1,000)" in card.text_content()
    assert "20,834" in page.text_content("#roi-svg .limit-label")  # the chart's marker, the same
    assert page.query_selector("#roi-svg .first-passing")
    page.evaluate("document.body.dataset.state = ''")
    card.query_selector("button[data-try]").click()
    page.wait_for_selector("body[data-state=done]")
    assert page.input_value("[name='economics.requests_per_day']") == "20834"
    assert page.get_attribute("#verdict", "data-verdict") == "VERDICT_FINE_TUNE"
    assert page.errors == []


def test_missing_values_say_what_they_lead_to(browser: Any, http_server: ServerProcess) -> None:
    page = new_page(browser, "fr-FR")
    open_example(page, http_server, "sql-assistant-incomplete.json")
    item = page.query_selector("#missing li[data-field=data_change_frequency]")
    assert item is not None
    text = item.text_content()
    assert "Fréquence de changement des données" in text or \
        "fréquence de changement des données" in text
    assert "chaque trimestre" in text and "→ Ne pas fine-tuner" in text


def test_the_language_switch(browser: Any, http_server: ServerProcess) -> None:
    page = new_page(browser, "en-US")
    open_example(page, http_server, "low-volume-roi.yaml")
    assert page.text_content("#verdict-name") == "Do not fine-tune"
    english_roi = page.text_content("#roi-svg title")
    page.evaluate("document.body.dataset.state = ''")
    page.select_option("select[name=lang]", "fr")
    page.wait_for_selector("body[data-state=done]")
    assert page.text_content("#verdict-name") == "Ne pas fine-tuner"
    assert page.text_content("#submit") == "Évaluer"
    assert page.text_content("#findings") and "Le volume ne justifie pas" in page.text_content(
        "#findings")
    assert "250\u00a0mois" in page.text_content("#roi-svg title") != english_roi
    assert page.input_value("[name='economics.requests_per_day']") == "1000"  # the form kept
    assert not english_words(page.text_content("#input h2") or "")
    page.evaluate("document.body.dataset.state = ''")
    page.select_option("select[name=lang]", "en")
    page.wait_for_selector("body[data-state=done]")
    assert page.text_content("#verdict-name") == "Do not fine-tune"


_OVERFLOW = """() => {
  const bad = [];
  const width = document.documentElement.clientWidth;
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || e.closest('[hidden]')) continue;
    if (r.right > width + 0.5)
      bad.push(`${e.tagName}#${e.id}.${e.getAttribute('class')}: ${r.right} > ${width}`);
  }
  return bad; }"""

_SMALL_TEXT = """() => {
  const small = [];
  for (const t of document.querySelectorAll('#decision svg text')) {
    const svg = t.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const size = parseFloat(getComputedStyle(t).fontSize) * scale;
    if (size < 11) small.push(`${t.textContent}: ${size.toFixed(1)}px`);
  }
  for (const e of document.querySelectorAll('body *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    if (e.closest('svg') || !e.getBoundingClientRect().width) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    if (size < 11) small.push(`${e.tagName}.${e.className}: ${size}px`);
  }
  return small; }"""


@pytest.mark.parametrize("file", ["hr-policies-assistant.yaml", "sql-assistant-incomplete.json",
                                  "support-ticket-classifier.yaml"])
def test_a_phone_width(browser: Any, http_server: ServerProcess, file: str) -> None:
    page = new_page(browser, "fr-FR", width=390)
    open_example(page, http_server, file)
    assert page.evaluate(_OVERFLOW) == []
    assert page.evaluate(_SMALL_TEXT) == []
    # The tree drawn at the width it is shown at: one unit, one pixel.
    scale = page.evaluate("""() => { const s = document.getElementById('tree-svg');
        return s.getBoundingClientRect().width / s.viewBox.baseVal.width; }""")
    assert scale == pytest.approx(1, abs=0.01)


def test_long_outcomes_fit_their_pill(browser: Any, http_server: ServerProcess) -> None:
    for width in (1366, 390):
        page = new_page(browser, "en-US", width=width)
        open_example(page, http_server, "hr-policies-assistant.yaml")  # RAG or dynamic prompting
        fits = page.evaluate("""() => { const t = document.querySelector('#tree-svg .leaf');
            const pill = t.previousElementSibling.getBBox(), box = t.getBBox();
            return box.x >= pill.x && box.x + box.width <= pill.x + pill.width; }""")
        assert fits, width


def test_an_invalid_profile_is_said_in_the_decision_panel(browser: Any,
                                                         http_server: ServerProcess) -> None:
    page = new_page(browser, "fr-FR")
    open_example(page, http_server, "support-ticket-classifier.yaml")
    page.fill("[name=target_score]", "1.5")
    evaluate(page)
    assert page.get_attribute("body", "data-state") == "error"
    assert page.is_hidden("#decision")
    assert "Le profil comporte des erreurs" in page.text_content("#placeholder")
    assert page.text_content("#e-target_score")  # and beside the field


def test_the_decision_link_needs_the_audit_log(browser: Any, server: ServerProcess,
                                               http_server: ServerProcess) -> None:
    without = new_page(browser, "en-US")
    open_example(without, server, "low-volume-roi.yaml")  # (no --audit-db)
    assert without.query_selector("#verdict-id a") is None
    assert without.text_content("#verdict-id").startswith("Decision ")
    recorded = new_page(browser, "en-US")
    open_example(recorded, http_server, "low-volume-roi.yaml")
    assert recorded.query_selector("#verdict-id a") is not None


def test_the_example_tooltips_are_whole(browser: Any, http_server: ServerProcess) -> None:
    page = new_page(browser, "en-US")
    page.goto(http_server.http_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    title = page.get_attribute("button[data-example='low-volume-roi.yaml']", "title")
    assert title.endswith("(exit 3).") and "250 months" in title


@pytest.mark.parametrize(("lang", "said"), [("en-US", "0.25 months"), ("fr-FR", "0,25\u00a0mois")])
def test_one_figure_reads_the_same_in_the_tree_table_and_chart(
        browser: Any, http_server: ServerProcess, lang: str, said: str) -> None:
    """$30,000 ÷ $120,000 a month: 0.25 months, everywhere (not 0.2, 0.25 and 0.3)."""
    page = new_page(browser, lang)
    open_example(page, http_server, "support-ticket-classifier.yaml")
    tree = " ".join(page.eval_on_selector_all("#tree-svg text", "ts => ts.map(t => t.textContent)"))
    assert said in tree
    assert said in page.text_content("#roi table")
    assert said in page.text_content("#roi-svg title")


def test_the_screenshots_are_fresh() -> None:
    """docs/console*.png were taken from the console as it is (`make screenshots` records the
    sources it drew them from)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from console_screenshots import SHOTS, STAMP, sources_digest

    assert all((REPO / "docs" / name).exists() for name, *_ in SHOTS)
    assert STAMP.read_text(encoding="utf-8") == sources_digest(), \
        "the console changed since docs/console*.png were taken: run `make screenshots`"
