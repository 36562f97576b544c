"""End to end: a real Prometheus scrapes a real `ftgate serve`, with the alerting rules loaded.

Prometheus (Debian's package) runs on loopback with its TSDB in a temporary directory and a 1 s
scrape interval; the test sends calls, then queries the HTTP API until the gRPC and decision series
appear (bounded: 60 s), checks the alert rules evaluate cleanly on live data, and runs every
dashboard query. Skipped, saying why, only where the prometheus binary is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import (
    ALERTS,
    DASHBOARD,
    SERVICE_NAME,
    FtgateServer,
    free_port,
    http_get,
    prometheus_tool,
    sample_profile,
)

DEADLINE_SECONDS = 60


class Prometheus:
    def __init__(self, workdir: Path, target: str) -> None:
        self.port = free_port()
        self.workdir = workdir
        rules = workdir / "alerts.yml"
        shutil.copy(ALERTS, rules)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": "ftgate", "static_configs": [{"targets": [target]}]}],
        }
        self.config = workdir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_path = workdir / "prometheus.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [prometheus_tool("prometheus"), f"--config.file={self.config}",
             f"--storage.tsdb.path={self.workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--storage.tsdb.retention.time=1h", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.workdir)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"prometheus exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if "Ready" in http_get(f"http://127.0.0.1:{self.port}/-/ready", timeout=1):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"prometheus not ready after 30 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        body = http_get(f"http://127.0.0.1:{self.port}/api/v1/{path}?{query}", timeout=5)
        reply = json.loads(body)
        assert reply["status"] == "success", reply
        return reply["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return list(self.api("query", query=promql)["result"])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FtgateServer, Prometheus]]:
    prometheus_tool("prometheus")  # skip early, with the reason, where it is missing
    workdir = tmp_path_factory.mktemp("e2e")
    # Two workers, as in the pods: /metrics is then the sum over the worker processes.
    server = FtgateServer(workdir, grace=2, extra_args=["--workers", "2"]).start()
    prometheus = Prometheus(workdir, f"127.0.0.1:{server.metrics_port}")
    try:
        prometheus.start()
        yield server, prometheus
    finally:
        prometheus.stop()
        server.stop()


def send_calls(server: FtgateServer) -> None:
    import grpc
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    with grpc.insecure_channel(server.address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        for _ in range(5):
            reply = stub.Evaluate(pb.EvaluateRequest(project=sample_profile()), timeout=10)
            assert reply.assessment.verdict == pb.VERDICT_DO_NOT_FINE_TUNE
        stub.ListRules(pb.ListRulesRequest(), timeout=10)
        bad = sample_profile()
        bad.quality_examples = -1
        with pytest.raises(grpc.RpcError) as error:
            stub.Evaluate(pb.EvaluateRequest(project=bad), timeout=10)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def wait_for(prometheus: Prometheus, promql: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        result = prometheus.query(promql)
        if result:
            return result
        if time.monotonic() > deadline:
            targets = prometheus.api("targets")
            pytest.fail(f"no {promql} in Prometheus after {DEADLINE_SECONDS} s; "
                        f"targets: {json.dumps(targets)[:1500]}\n{prometheus.log()}")
        time.sleep(0.5)


def test_prometheus_scrapes_ftgate_calls_and_decisions(stack: tuple[FtgateServer, Prometheus]) -> None:
    server, prometheus = stack
    send_calls(server)
    handled = wait_for(prometheus, f'grpc_server_handled_total{{job="ftgate",grpc_service="{SERVICE_NAME}",'
                                   f'grpc_method="Evaluate",grpc_code="OK"}} >= 5')
    assert float(handled[0]["value"][1]) >= 5
    decisions = wait_for(prometheus, 'sum by (verdict, outcome) (ftgate_decisions_total{job="ftgate"}) >= 5')
    labels = decisions[0]["metric"]
    assert labels["verdict"].endswith("DO_NOT_FINE_TUNE") and labels["outcome"].endswith("USE_RAG"), labels
    # The code label is spelled as the alerts expect (Python's StatusCode names).
    wait_for(prometheus, 'grpc_server_handled_total{grpc_method="Evaluate",grpc_code="INVALID_ARGUMENT"}')
    wait_for(prometheus, 'grpc_server_handling_seconds_bucket{grpc_method="Evaluate",le="+Inf"}')
    wait_for(prometheus, "ftgate_findings_total")
    wait_for(prometheus, "ftgate_rules_loaded > 0")
    wait_for(prometheus, "ftgate_ruleset_info")
    wait_for(prometheus, "ftgate_evaluation_seconds_bucket")
    (up,) = prometheus.query('up{job="ftgate"}')
    assert up["value"][1] == "1"


def test_alert_rules_load_and_evaluate_on_live_data(stack: tuple[FtgateServer, Prometheus]) -> None:
    server, prometheus = stack
    # Decisions made after Prometheus' first scrape, so that rate() sees them increase.
    wait_for(prometheus, 'up{job="ftgate"} == 1')
    send_calls(server)
    wait_for(prometheus, "sum(rate(ftgate_decisions_total[1m])) > 0")
    expected = {str(r["alert"]) for g in yaml.safe_load(ALERTS.read_text())["groups"]
                for r in g["rules"]}
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        rules = [r for g in prometheus.api("rules")["groups"] for r in g["rules"]]
        evaluated = all(not r.get("lastEvaluation", "0001").startswith("0001") for r in rules)
        active = [r["name"] for r in rules if r.get("alerts")]
        # A healthy server with traffic trips none of them, once rate() has two samples.
        if rules and evaluated and not active:
            break
        assert time.monotonic() < deadline, (
            f"rules not evaluated ({evaluated}) or alerts active: {active}\n{rules}")
        time.sleep(0.5)
    assert {r["name"] for r in rules} == expected
    for rule in rules:
        assert rule["health"] == "ok", rule


def test_every_dashboard_query_runs(stack: tuple[FtgateServer, Prometheus]) -> None:
    server, prometheus = stack
    send_calls(server)
    wait_for(prometheus, "ftgate_decisions_total")
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [(panel["title"], target["expr"].replace("$__rate_interval", "1m")
              .replace("$namespace", ".*").replace("$job", ".*"))
             for panel in dashboard["panels"] for target in panel.get("targets", [])]

    def empty_panels() -> list[str]:
        return [f"{title}: {expr}" for title, expr in exprs if not prometheus.query(expr)]

    # Reloads happen only when rule files change, and the waiver panels' series only once a
    # waiver exists (this stack grants none: tests/admission/test_waivers.py covers them); every
    # other panel has data once Prometheus has scraped the calls twice (rate() needs two
    # points): polled, bounded.
    allowed_empty = ("ftgate_rules_reload_total", "ftgate_waiver_next_expiry_timestamp_seconds",
                     "ftgate_waived_decisions_total")

    def only_allowed(empty: list[str]) -> bool:
        return all(any(name in e for name in allowed_empty) for e in empty)

    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        empty = empty_panels()
        if only_allowed(empty) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert only_allowed(empty), "\n".join(empty)
