"""The web console in a real headless browser against a real `ftgate serve`: each README example
submitted through the form (its `name` hooks), the verdict (`data-verdict`), the path drawn and
the blocking step; a bad value shown beside its field; the decision page of a decision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from browser import chromium, launch
from ftgate import enums
from ftgate.present import labels
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from google.protobuf import json_format
from serverproc import REPO, ServerProcess
from test_http_api import load

pytestmark = pytest.mark.slow
README_ROW = re.compile(r"^\| `([\w.-]+\.(?:yaml|json))` \| [^|]+ \| (\w+) \| ([\w–-]+)")


def readme_examples() -> list[tuple[str, str, str]]:
    """(file, verdict, outcome) of each row of the README's table of examples."""
    rows = []
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        match = README_ROW.match(line)
        if match:
            rows.append((match.group(1), "VERDICT_" + match.group(2), match.group(3)))
    return rows


@pytest.fixture(scope="module")
def page(http_server: ServerProcess) -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, executable)
        page = browser.new_page(viewport={"width": 1366, "height": 900})  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(30_000)
        yield page
        browser.close()  # type: ignore[attr-defined]
        assert errors == [], errors


def open_console(page: Any, server: ServerProcess, path: str = "/") -> None:
    page.goto(server.http_url + path)
    page.wait_for_selector("body[data-ready=true]")


def submit(page: Any) -> str:
    before = page.get_attribute("#verdict-id a", "href") if page.query_selector(
        "#verdict-id a") else None
    page.click("#submit")
    page.wait_for_function(
        "before => { const a = document.querySelector('#verdict-id a');"
        " return a && a.getAttribute('href') !== before; }", arg=before)
    return str(page.get_attribute("#verdict", "data-verdict"))


def grpc_path(server: ServerProcess, profile: dict[str, object]) -> list[int]:
    with grpc.insecure_channel(server.address) as channel:
        request = json_format.ParseDict({"project": profile}, pb.EvaluateRequest())
        answer = pb_grpc.FineTuningAdvisorServiceStub(channel).Evaluate(request, timeout=30)
    return [s.step for s in answer.assessment.decision_path]


def test_the_readme_lists_every_example() -> None:
    assert len(readme_examples()) == len([*REPO.glob("examples/*.yaml"),
                                          *REPO.glob("examples/*.json")])


@pytest.mark.parametrize(("file", "verdict", "outcome"), readme_examples())
def test_each_readme_example_through_the_form(page: Any, http_server: ServerProcess, file: str,
                                             verdict: str, outcome: str) -> None:
    open_console(page, http_server)
    page.click(f"button[data-example='{file}']")
    # The example went into the form's inputs, named by proto path.
    profile = load(REPO / "examples" / file)
    assert page.input_value("[name=name]") == profile["name"]
    assert submit(page) == verdict
    walked = grpc_path(http_server, profile)
    states = {int(g.get_attribute("data-step")): g.get_attribute("data-state")
              for g in page.query_selector_all("#tree-svg g[data-step]")}
    assert sorted(states) == [1, 2, 3, 4, 5, 6]
    blocking = page.get_attribute("#tree-svg", "data-blocking-step")
    if verdict == "VERDICT_DO_NOT_FINE_TUNE":
        assert blocking == str(walked[-1])
        assert states[walked[-1]] == "blocked"
        assert all(states[s] == "passed" for s in walked[:-1])
        leaf = page.get_attribute("#tree-svg g[data-state=blocked] .leaf", "data-label")
        assert leaf == labels.label(enums.OUTCOME, outcome, "en")
    else:
        assert blocking is None
        assert all(states[s] == "passed" for s in walked)
    unwalked = [s for s in range(1, 7) if s not in walked]
    if verdict == "VERDICT_NEEDS_INFORMATION":
        assert states[unwalked[0]] == "stopped"
        assert page.is_visible("#missing-section")
    if verdict == "VERDICT_FINE_TUNE":
        assert page.is_visible("#plan-section")
    assert all(states[s] in ("not-reached", "stopped") for s in unwalked)
    assert page.query_selector_all("#findings li") or verdict == "VERDICT_FINE_TUNE"


def test_the_roi_chart_shows_the_twelve_month_line(page: Any, http_server: ServerProcess) -> None:
    open_console(page, http_server)
    page.click("button[data-example='low-volume-roi.yaml']")
    submit(page)
    assert page.query_selector("#roi-svg .twelve-months")
    assert page.query_selector("#roi-svg .team-point")
    assert "250" in page.text_content("#roi")
    assert "§6" in page.text_content("#findings")  # citations


def test_the_roi_chart_is_net_of_retraining(page: Any, http_server: ServerProcess) -> None:
    """HR policies: $4,500/month gross (4.44 months), $2,000 a year of retraining: the curve and
    the team's point are the net break-even, 4.62 months, as the server wrote it."""
    open_console(page, http_server)
    page.click("button[data-example='hr-policies-assistant.yaml']")
    submit(page)
    title = page.text_content("#roi-svg title")
    assert "net of retraining" in title and "4.62 months" in title, title
    assert page.query_selector("#roi-svg .twelve-months")
    assert page.query_selector("#roi-svg .net-break-even")
    assert "4.62 months" in page.text_content("#roi")  # the table and the chart agree
    assert "not the verdict" in page.text_content("#roi")


def test_a_bad_value_is_shown_beside_its_field(page: Any, http_server: ServerProcess) -> None:
    open_console(page, http_server)
    page.click("button[data-example='support-ticket-classifier.yaml']")
    page.fill("[name=target_score]", "1.5")
    page.fill("[name='economics.requests_per_day']", "-5")
    page.click("#submit")
    page.wait_for_selector("#e-target_score:not(:empty)")
    assert "from 0 to 1" in page.text_content("#e-target_score")
    assert "from 0" in page.text_content("#e-economics-requests_per_day")
    field = page.query_selector(".field:has([name=target_score])")
    assert "invalid" in field.get_attribute("class")
    assert field.query_selector("#e-target_score")  # in the field's own box
    assert page.evaluate("document.activeElement.name") in ("target_score",
                                                            "economics.requests_per_day")


def test_the_keyboard_alone_submits(page: Any, http_server: ServerProcess) -> None:
    open_console(page, http_server)
    page.focus("button[data-example='translation-prompt-first.yaml']")
    page.keyboard.press("Enter")
    page.focus("[name=name]")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_selector("#verdict[data-verdict=VERDICT_DO_NOT_FINE_TUNE]")
    for name in ("name", "goal", "economics.requests_per_day", "symptoms"):
        control = page.query_selector(f"[name='{name}']")
        labelled = page.evaluate(
            "el => !!(el.labels && el.labels.length) || !!el.closest('[aria-labelledby]')", control)
        assert labelled, name


def test_the_decision_page_shows_a_recorded_decision(page: Any,
                                                     http_server: ServerProcess) -> None:
    open_console(page, http_server)
    page.click("button[data-example='hr-policies-assistant.yaml']")
    submit(page)
    link = page.get_attribute("#verdict-id a", "href")
    assert re.fullmatch(r"/decisions/[0-9a-f-]{36}", link)

    def shown() -> bool:  # the audit log is written in the background
        open_console(page, http_server, link)
        return page.get_attribute("#verdict", "data-verdict") == "VERDICT_DO_NOT_FINE_TUNE"

    from opstools import wait_until

    wait_until(shown, what="the recorded decision on its page")
    assert page.input_value("[name=name]") == "hr-policies-assistant"
    assert page.get_attribute("#tree-svg", "data-blocking-step") == "4"


def test_with_tokens_the_console_asks_for_one(page: Any, tmp_path: Any) -> None:
    from serverproc import start_server

    tokens = tmp_path / "tokens"
    tokens.write_text("console-token-0123456789\n")
    server = start_server(tmp_path, "--auth-tokens", str(tokens), "--audit-db",
                          str(tmp_path / "audit.db"), "--workers", "1")
    try:
        open_console(page, server)
        page.evaluate("sessionStorage.clear()")
        open_console(page, server)
        page.click("button[data-example='low-volume-roi.yaml']")
        page.click("#submit")
        page.wait_for_selector("#form-error:not(:empty)")
        assert "bearer token" in page.text_content("#form-error")
        page.click("#access summary")
        page.fill("#token", "console-token-0123456789")
        page.dispatch_event("#token", "change")
        assert submit(page) == "VERDICT_DO_NOT_FINE_TUNE"
        link = page.get_attribute("#verdict-id a", "href")

        def shown() -> bool:  # the token went along to the decision page of the same tab
            open_console(page, server, link)
            return page.get_attribute("#verdict", "data-verdict") == "VERDICT_DO_NOT_FINE_TUNE"

        from opstools import wait_until

        wait_until(shown, what="the recorded decision on its page")
    finally:
        page.evaluate("sessionStorage.clear()")
        assert server.stop() == 0


def test_a_profile_typed_into_the_form_by_its_names(page: Any, http_server: ServerProcess) -> None:
    """Automation's view: fill inputs by proto path, submit, wait for body[data-state]."""
    open_console(page, http_server)
    page.click("#clear")
    page.fill("[name=name]", "typed-by-a-robot")
    page.select_option("[name=task_type]", "TASK_TYPE_CLASSIFICATION")
    page.select_option("[name=goal]", "GOAL_FORMAT")
    page.fill("[name=quality_examples]", "200")
    page.fill("[name=base_model_score]", "0.5")
    page.fill("[name=target_score]", "0.9")
    page.fill("[name='prompt_engineering.prompt_variations_tested']", "9")
    page.select_option("[name='prompt_engineering.few_shot_tried']", "true")
    page.select_option("[name='prompt_engineering.more_capable_model_tried']", "true")
    page.check("[name=symptoms][value=SYMPTOM_INCONSISTENT_FORMAT]")
    page.click("#submit")
    page.wait_for_selector("body[data-state=done]")
    assert page.get_attribute("#verdict", "data-verdict") == "VERDICT_DO_NOT_FINE_TUNE"
    assert page.get_attribute("#verdict", "data-outcome") == "OUTCOME_FEW_SHOT"
    assert page.get_attribute("#tree-svg", "data-blocking-step") == "3"
    page.fill("[name=quality_examples]", "-1")
    page.click("#submit")
    page.wait_for_selector("body[data-state=error]")
    assert page.get_attribute("#verdict", "data-verdict") == ""
    assert "from 0" in page.text_content("#e-quality_examples")
