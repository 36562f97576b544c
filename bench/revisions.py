"""Two revisions' `ftgate serve`, the same questions, the same answers? (bench/equivalence.py
servers: see its docstring.)"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path[:0] = [str(REPO / "tests")]

from ftgate.engine.engine import default_rules_dir  # noqa: E402
from ftgate.randomprofiles import random_profiles  # noqa: E402
from ftgate.ruletest import load_cases, profile_message  # noqa: E402
from ftgate.v1 import advisor_pb2 as pb  # noqa: E402
from serverproc import ServerProcess, start_server  # noqa: E402

EVALUATE = "/ftgate.v1.FineTuningAdvisorService/Evaluate"
# (what is asked: the request, and the Accept-Language of the call)
Question = tuple[pb.EvaluateRequest, str]


def questions(count: int, seed: int) -> list[Question]:
    cases = [profile_message(c.profile) for c in load_cases(default_rules_dir() / "tests")]
    asked: list[Question] = [(pb.EvaluateRequest(project=p), "en") for p in cases]
    asked += [(pb.EvaluateRequest(project=p, explain=True), "en") for p in cases]
    asked += [(pb.EvaluateRequest(project=p, explain=True), "fr") for p in cases]
    asked += [(pb.EvaluateRequest(project=p), "en") for p in random_profiles(count, seed)]
    bad = [pb.ProjectProfile(base_model_score=1.5), pb.ProjectProfile(name="x" * 300),
           pb.ProjectProfile(quality_examples=-1, target_score=-0.5),
           pb.ProjectProfile(economics=pb.Economics(investment_usd=float("inf")))]
    asked += [(pb.EvaluateRequest(project=p), lang) for p in bad for lang in ("en", "fr")]
    return asked


def base_tree(rev: str, into: Path) -> Path:
    """The revision's service and rules, extracted (its `ftgate` imported from there)."""
    archive = subprocess.run(["git", "archive", rev, "service", "rules"], cwd=REPO,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    source = into / "service"
    found = subprocess.run([sys.executable, "-c", "import ftgate; print(ftgate.__file__)"],
                           env={"PYTHONPATH": str(source)}, capture_output=True, text=True,
                           check=True).stdout.strip()
    if not found.startswith(str(source)):
        raise SystemExit(f"the revision's ftgate is not the one imported ({found})")
    return source


def grpc_answer(channel: grpc.Channel, question: Question) -> tuple[str, bytes]:
    """The status and the response's bytes (its decision id blanked) or the error's details."""
    call = channel.unary_unary(EVALUATE, request_serializer=None, response_deserializer=None)
    request, lang = question
    try:
        raw = call(request.SerializeToString(), timeout=30,
                   metadata=[("accept-language", lang)])
    except grpc.RpcError as exc:
        trailers = dict(exc.trailing_metadata() or ())
        return exc.code().name, trailers.get("grpc-status-details-bin", b"")
    decision_id = pb.EvaluateResponse.FromString(raw).assessment.decision_id
    return "OK", raw.replace(decision_id.encode(), b"-" * len(decision_id))


def http_answer(conn: http.client.HTTPConnection, question: Question) -> tuple[int, Any]:
    """The status and the JSON (decision id removed)."""
    request, lang = question
    body = json.dumps(json_format.MessageToDict(request)).encode()
    conn.request("POST", "/v1/evaluate", body, {"Content-Type": "application/json",
                                                 "Accept-Language": lang})
    response = conn.getresponse()
    answer = json.loads(response.read())
    if response.status == 200:
        answer["assessment"].pop("decisionId")
    return response.status, answer


def compare(base: ServerProcess, ours: ServerProcess, asked: Sequence[Question],
            threads: int = 4) -> dict[str, Counter[str]]:
    def chunk(part: Sequence[Question]) -> dict[str, Counter[str]]:
        counts: dict[str, Counter[str]] = {"grpc": Counter(), "http": Counter()}
        channels = [grpc.insecure_channel(s.address) for s in (base, ours)]
        conns = [http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
                 for s in (base, ours)]
        ask: dict[str, Callable[[int, Question], Any]] = {
            "grpc": lambda i, q: grpc_answer(channels[i], q),
            "http": lambda i, q: http_answer(conns[i], q)}
        for q in part:
            for transport, answer in ask.items():
                a, b = answer(0, q), answer(1, q)
                status = "ok" if a[0] in ("OK", 200) else "refused"
                counts[transport][f"{status} same" if a == b else f"{status} DIFFERENT"] += 1
        for c in channels:
            c.close()
        return counts

    parts = [asked[i::threads] for i in range(threads)]
    total: dict[str, Counter[str]] = {"grpc": Counter(), "http": Counter()}
    with ThreadPoolExecutor(threads) as pool:
        for counts in pool.map(chunk, parts):
            for k, v in counts.items():
                total[k].update(v)
    return total


def main(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="equivalence.py servers")
    p.add_argument("--base", help="the revision to compare with (default: merge-base HEAD main)")
    p.add_argument("--count", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=20261201)
    args = p.parse_args(argv)
    rev = args.base or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=REPO,
                                      capture_output=True, text=True, check=True).stdout.strip()
    asked = questions(args.count, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "base").mkdir()
        source = base_tree(rev, root / "base")
        cache_off = ("--decision-cache", "0")  # every answer decided, not remembered
        base = start_server(root, *cache_off, env={"PYTHONPATH": str(source)})
        ours = start_server(root, *cache_off)
        try:
            counts = compare(base, ours, asked)
        finally:
            base.stop()
            ours.stop()
    print(f"base {rev[:12]} against this tree: {len(asked)} questions "
          f"(rule tables ×3, {args.count} random profiles, seed {args.seed})")
    for transport, c in counts.items():
        print(f"  {transport}: " + ", ".join(f"{k} {n}" for k, n in sorted(c.items())))
    different = sum(n for c in counts.values() for k, n in c.items() if "DIFFERENT" in k)
    return 1 if different else 0
