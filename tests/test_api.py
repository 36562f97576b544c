"""The gRPC surface: health, reflection, ListRules, decision ids, a client built from proto/."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import grpc
from ftgate.v1 import advisor_pb2 as pb
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc


def test_health_serving(server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "ftgate.v1.FineTuningAdvisorService"):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(server) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5)
        names = {s.name for r in replies for s in r.list_services_response.service}
    assert "ftgate.v1.FineTuningAdvisorService" in names
    assert "grpc.health.v1.Health" in names


def test_list_rules(stub, engine) -> None:
    reply = stub.ListRules(pb.ListRulesRequest(), timeout=10)
    assert reply.ruleset_version == engine.ruleset.version
    ids = [r.id for r in reply.rules]
    assert "FM1.below-minimum" in ids and "FM7.high-latency" in ids
    fm1 = next(r for r in reply.rules if r.id == "FM1.below-minimum")
    assert fm1.condition == "quality_examples < tree_minimum_examples"
    assert fm1.severity == pb.SEVERITY_BLOCKER and fm1.step == 3
    assert fm1.citation.startswith("§1")
    thresholds = {t.name: t.value for t in reply.thresholds}
    assert thresholds["minimum_requests_per_day"] == 10000
    assert thresholds["examples.STYLE_TONE.recommended"] == 5000


def _logged(server, found: Callable[[str], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not found(server.log()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_decision_ids_are_unique_and_logged(stub, server) -> None:
    ids = {stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(name="same")),
                         timeout=10).assessment.decision_id for _ in range(20)}
    assert len(ids) == 20
    # Decision lines are written in batches, every 20 ms (obs/logging.py).
    assert _logged(server, lambda log: all(i in log for i in ids))


def test_same_input_same_output(stub) -> None:
    profile = pb.ProjectProfile(name="det", goal=pb.GOAL_KNOWLEDGE, quality_examples=10,
                                symptoms=[pb.SYMPTOM_HIGH_LATENCY, pb.SYMPTOM_ANSWERS_TOO_LONG])
    first, second = (stub.Evaluate(pb.EvaluateRequest(project=profile), timeout=10).assessment
                     for _ in range(2))
    first.decision_id = second.decision_id = ""
    assert first == second


def test_log_holds_no_profile_free_text_but_the_name(stub, server) -> None:
    stub.Evaluate(pb.EvaluateRequest(project=pb.ProjectProfile(name="log-probe-name")), timeout=10)
    assert _logged(server, lambda log: "log-probe-name" in log)
    line = next(line for line in server.log().splitlines() if "log-probe-name" in line)
    assert '"event": "decision"' in line and '"verdict"' in line and '"duration_ms"' in line
    assert "symptoms" not in line and "economics" not in line


def test_client_built_from_proto_alone(server, tmp_path) -> None:
    """Generate stubs from proto/ into an empty directory and call the server with them."""
    from serverproc import REPO

    # A package name of its own, so that the installed server package cannot be picked up.
    src = tmp_path / "proto" / "probe" / "v1"
    src.mkdir(parents=True)
    (src / "advisor.proto").write_bytes((REPO / "proto/ftgate/v1/advisor.proto").read_bytes())
    shutil.copytree(REPO / "proto/google", tmp_path / "proto/google")  # the HTTP annotations
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp_path / 'proto'}",
                    f"--python_out={tmp_path}", f"--grpc_python_out={tmp_path}",
                    str(src / "advisor.proto")], check=True, timeout=60)
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        import grpc
        from probe.v1 import advisor_pb2 as pb, advisor_pb2_grpc as rpc
        assert pb.__file__.startswith({str(tmp_path)!r}), pb.__file__
        with grpc.insecure_channel({server.address!r}) as ch:
            a = rpc.FineTuningAdvisorServiceStub(ch).Evaluate(pb.EvaluateRequest(
                project=pb.ProjectProfile(goal=pb.GOAL_KNOWLEDGE, base_model_meets_target=False,
                prompt_engineering=pb.PromptEngineering(prompt_variations_tested=5,
                few_shot_tried=True, more_capable_model_tried=True))), timeout=10).assessment
        print(pb.Verdict.Name(a.verdict), pb.Outcome.Name(a.outcome))
    """)
    out = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                         timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["VERDICT_DO_NOT_FINE_TUNE", "OUTCOME_USE_RAG"]
