"""Rolling out new rules through the ConfigMap, as the kubelet does it, against a live server.

The kubelet never rewrites a mounted ConfigMap file in place: it writes the new files into a fresh
hidden directory, then atomically renames a `..data` symlink to point at it; the visible files are
symlinks through `..data`. This test lays out a rule directory the same way, then
1. publishes a changed threshold: every worker reloads it (ruleset version, ftgate_ruleset_info and
   ftgate_rules_reload_total{result="success"} move) and keeps answering;
2. publishes a broken file: the reload is refused (result="failure"), the last good ruleset keeps
   serving, and calls still succeed.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from conftest import REPO, sample_profile

RULES = REPO / "rules"


class ConfigMapVolume:
    """A directory updated the way the kubelet's atomic writer updates a ConfigMap volume."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        self.root.mkdir()
        self.generation = 0
        self.publish(files)
        for name in files:
            (root / name).symlink_to(Path("..data") / name)

    def publish(self, files: dict[str, str]) -> None:
        self.generation += 1
        payload = self.root / f"..2026_11_26_00_00_0{self.generation}.000000000"
        payload.mkdir()
        for name, text in files.items():
            (payload / name).write_text(text, encoding="utf-8")
        old = os.readlink(self.root / "..data") if (self.root / "..data").is_symlink() else None
        tmp_link = self.root / "..data_tmp"
        tmp_link.symlink_to(payload.name)
        os.rename(tmp_link, self.root / "..data")  # the atomic switch
        if old:
            shutil.rmtree(self.root / old)


def ruleset_version(address: str) -> str:
    import grpc
    from ftgate.v1 import advisor_pb2 as pb
    from ftgate.v1 import advisor_pb2_grpc as pb_grpc

    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.FineTuningAdvisorServiceStub(channel)
        for _ in range(5):  # a reload may land between the two calls: ask again
            reply = stub.Evaluate(pb.EvaluateRequest(project=sample_profile()), timeout=10)
            listed = stub.ListRules(pb.ListRulesRequest(), timeout=10)
            if reply.assessment.ruleset_version == listed.ruleset_version:
                return str(listed.ruleset_version)
    raise AssertionError("Evaluate and ListRules disagree on the ruleset version")


def reloads(server: Any, result: str) -> float:
    for line in server.metrics_text().splitlines():
        if line.startswith(f'ftgate_rules_reload_total{{result="{result}"}}'):
            return float(line.split()[-1])
    return 0.0


def wait_until(condition: Any, what: str, server: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s; server log:\n{server.log()}")
        time.sleep(0.2)


def versions(address: str, calls: int = 8) -> set[str]:
    """Ruleset versions answered over fresh connections (which the kernel spreads over workers)."""
    return {ruleset_version(address) for _ in range(calls)}


def events(server: Any, name: str) -> int:
    """How many times the server's processes logged event `name` (the whole log, not its tail)."""
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return text.count(f'"event": "{name}"')


def test_configmap_style_update_hot_reloads_and_a_bad_one_keeps_the_last_good(
        tmp_path: Path, server_factory: Any) -> None:
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(RULES.glob("*.yaml"))}
    assert "minimum_requests_per_day: 10000" in files["thresholds.yaml"]
    volume = ConfigMapVolume(tmp_path / "rules", files)
    # As in the pods: two workers, each watching the mounted directory (each reloads once per
    # change and logs it, so the test knows when both have).
    workers = 2
    server = server_factory(extra_args=["--rules", str(volume.root), "--reload-interval", "0.2",
                                        "--workers", str(workers)])
    server.start()
    (first,) = versions(server.address)
    assert f'ftgate_ruleset_info{{version="{first}"}}' in server.metrics_text()

    # 1. A good change reaches every worker.
    changed = dict(files)
    changed["thresholds.yaml"] = files["thresholds.yaml"].replace(
        "minimum_requests_per_day: 10000", "minimum_requests_per_day: 20000")
    volume.publish(changed)
    wait_until(lambda: events(server, "rules_reloaded") == workers
               and reloads(server, "success") == workers,
               "every worker to reload the new rules", server)
    (second,) = versions(server.address)
    assert second != first
    assert f'ftgate_ruleset_info{{version="{second}"}}' in server.metrics_text()

    # 2. A broken change: refused everywhere, the last good ruleset keeps serving.
    broken = dict(changed)
    broken["thresholds.yaml"] = "kind: thresholds\nthresholds: [unclosed\n"
    volume.publish(broken)
    wait_until(lambda: events(server, "rules_reload_failed") == workers
               and reloads(server, "failure") == workers,
               "every worker to refuse the broken rules", server)
    assert versions(server.address) == {second}
    assert reloads(server, "success") == workers
    assert events(server, "rules_reloaded") == workers
    assert server.serving(service="ftgate.v1.FineTuningAdvisorService")
