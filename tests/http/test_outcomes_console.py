"""The console's outcomes page (/outcomes) in a real headless browser against a real `ftgate serve`:
it shows the counts and draws the points the server's summary holds (docs/outcomes.md)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from browser import chromium, launch
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import fine_tune_profile
from serverproc import ServerProcess, start_server

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path, "--audit-db", str(tmp_path / "audit.db"),
                        "--audit-durability", "sync", "--workers", "1")
    yield proc
    assert proc.stop() == 0


def _post(server: ServerProcess, decision_id: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{server.http_url}/v1/decisions/{decision_id}/outcome", data=json.dumps(body).encode(),
        method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        assert reply.status == 200


def test_outcomes_page_draws_the_server_summary(server: ServerProcess) -> None:
    executable = chromium()
    if executable is None:
        pytest.skip("Debian's chromium is not installed and cannot be installed here")
    sync_api = pytest.importorskip("playwright.sync_api")
    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        ids = [stub.Evaluate(pb.EvaluateRequest(project=fine_tune_profile(
            f"p{v}", requests_per_day=v)), timeout=30).assessment.decision_id
            for v in (20_000, 40_000, 2_000)]
    _post(server, ids[0], {"fineTuned": True, "metTarget": True, "monthlySavingsUsd": 45_000})
    _post(server, ids[1], {"fineTuned": True, "metTarget": False, "monthlySavingsUsd": 10_000})
    _post(server, ids[2], {"fineTuned": True, "metTarget": True})
    with urllib.request.urlopen(f"{server.http_url}/v1/outcomes:summary", timeout=30) as reply:
        summary = json.loads(reply.read())
    with sync_api.sync_playwright() as playwright:
        browser: Any = launch(playwright, executable)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.http_url}/outcomes")
        page.wait_for_selector("#by-verdict tbody tr[data-key=FINE_TUNE]")
        for verdict, counts in summary["by_verdict"].items():
            for column, value in counts.items():
                cell = page.locator(f"#by-verdict tr[data-key={verdict}] "
                                    f"td[data-column={column}]")
                assert cell.inner_text() == str(value), (verdict, column)
        assert page.locator("#by-verdict tr[data-key=FINE_TUNE] "
                            "td[data-column=met_target]").inner_text() == "1"
        dots = page.locator("#chart circle")
        assert dots.count() == len(summary["savings"]["points"]) == 2
        assert {dots.nth(i).get_attribute("data-decision-id") for i in range(2)} == \
            set(ids[:2])
        rule = next(iter(summary["by_rule"]))
        assert page.locator(f"#by-rule tr[data-key='{rule}'] "
                            "td[data-column=fine_tuned_anyway]").inner_text() == "1"
        # 45,000 / 30,000 = 1.5 and 10,000 / 60,000 = 1/6: median (1.5 + 1/6) / 2.
        assert "median 0.833333" in page.locator("#savings").inner_text()
        browser.close()
    assert errors == []
