"""The console marks waived findings: a real `ftgate serve` with a waiver granted over HTTP, the
blocked example submitted through the form in a headless browser, its blocking finding kept,
badged WAIVED with the waiver's id and expiry, and the verdict FINE_TUNE."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, launch
from httpcall import call
from serverproc import ServerProcess, start_server
from test_console import open_console, submit

pytestmark = pytest.mark.slow
TOKEN = "console-waiver-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("waivers-console")
    tokens = tmp / "waiver-tokens"
    tokens.write_text(TOKEN + "\n", encoding="utf-8")
    proc = start_server(tmp, "--audit-db", str(tmp / "audit.db"), "--workers", "1",
                        "--waiver-tokens", str(tokens))
    yield proc
    assert proc.stop() == 0


@pytest.fixture(scope="module")
def page(server: ServerProcess) -> Iterator[Any]:
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


def test_a_waived_finding_is_marked(page: Any, server: ServerProcess, tmp_path: Path) -> None:
    open_console(page, server)
    page.click("button[data-example='low-volume-roi.yaml']")
    assert submit(page) == "VERDICT_DO_NOT_FINE_TUNE"
    blockers = [li.get_attribute("data-rule")
                for li in page.query_selector_all("#findings li.SEVERITY_BLOCKER")]
    assert blockers and not page.query_selector_all("#findings li.waived")
    expires = (datetime.now(UTC) + timedelta(days=3)).isoformat().replace("+00:00", "Z")
    reply = call(server.http_port or 0, "POST", "/v1/waivers", {
        "projectName": page.input_value("[name=name]"), "ruleIds": blockers,
        "reason": "pilot", "approvedBy": "head of ML", "expiresAt": expires},
        headers={"ftgate-waiver-token": TOKEN})
    assert reply.status == 200, reply.body
    waiver_id = reply.json["waiver"]["id"]
    assert submit(page) == "VERDICT_FINE_TUNE"
    waived = page.query_selector_all("#findings li.waived")
    assert sorted(li.get_attribute("data-rule") for li in waived) == sorted(blockers)
    assert all(li.get_attribute("data-waiver") == waiver_id for li in waived)
    note = waived[0].text_content()
    assert "WAIVED" in note and f"Waived by {waiver_id} until {expires[:10]}" in note
