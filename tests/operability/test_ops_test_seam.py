"""The test-only seam (ftgate/testing.py): test behaviour is handed to the server, never read by
production code from the environment, and it reaches every worker process."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import grpc
import pytest
from ftgate.server.options import ServeOptions
from ftgate.testing import main, server_hooks
from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import small_profile, wait_until
from serverproc import start_server

SERVICE = Path(__file__).resolve().parents[2] / "service" / "ftgate"


def test_no_production_module_reads_a_test_variable() -> None:
    """No FTGATE_TEST_* anywhere in the package, and nothing of it imports the seam."""
    readers = [str(p.relative_to(SERVICE)) for p in SERVICE.rglob("*.py")
               if "FTGATE_TEST_" in p.read_text(encoding="utf-8")]
    assert readers == []
    imports = re.compile(r"^\s*(from ftgate\.testing |from ftgate import testing|import ftgate\.testing)",
                         re.MULTILINE)
    importers = [str(p.relative_to(SERVICE)) for p in SERVICE.rglob("*.py")
                 if p.name != "testing.py" and imports.search(p.read_text(encoding="utf-8"))]
    assert importers == []


def test_the_hooks_travel_to_worker_processes_in_the_options() -> None:
    """Workers are spawned with the options pickled: the hooks must survive the trip."""
    options = ServeOptions(hooks=server_hooks(0.25, "/ftgate.v1.FineTuningAdvisorService/ListRules"))
    assert pickle.loads(pickle.dumps(options)).hooks == options.hooks
    assert server_hooks() == ServeOptions().hooks  # no setting: the production server


@pytest.mark.parametrize(("flags", "named"), [
    (["--delay-per-profile", "soon"], "--delay-per-profile"),
    (["--delay-per-profile", "-1"], "--delay-per-profile"),
    (["--stall-method", "ListRules"], "--stall-method"),
])
def test_a_bad_seam_flag_is_named(flags: list[str], named: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", *flags, "--", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


@pytest.mark.slow
def test_the_delay_reaches_every_worker(tmp_path: Path) -> None:
    """Through the seam with two workers: each says it runs with the hooks, and a batch made
    slow by them outlives its deadline."""
    server = start_server(tmp_path, "--workers", "2", "--default-deadline", "1",
                          hooks=("--delay-per-profile", "0.05"))
    try:
        def hooked_workers() -> set[int]:
            events = [json.loads(line) for line in server.log().splitlines()
                      if line.startswith("{") and '"test_hooks"' in line]
            return {e["worker"] for e in events if "DelayPerProfile" in e["hooks"]}

        wait_until(lambda: hooked_workers() == {0, 1}, timeout=60,
                   what="both workers to report their test hooks")
        # 100 profiles (the largest batch) x 0.05 s: 5 s of waiting, past the 1 s deadline.
        slow = pb.EvaluateBatchRequest(projects=[small_profile(i) for i in range(100)])
        with grpc.insecure_channel(server.address) as channel, pytest.raises(grpc.RpcError) as info:
            pb_grpc.FineTuningAdvisorServiceStub(channel).EvaluateBatch(slow, timeout=60)
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    finally:
        assert server.stop() == 0
