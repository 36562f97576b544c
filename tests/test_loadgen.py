"""bench/loadgen.py against a real `ftgate serve`: `--explain` asks every call for its
explanations (what `bench/run.py`'s new-explained load measures), and without it none is asked
for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from serverproc import REPO, ServerProcess

CALLS = 40


def _load(server: ServerProcess, *extra: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "loadgen.py"), "--target", server.address,
         "--concurrency", "4", "--duration", "60", "--warmup", "0", "--max-calls", str(CALLS),
         "--profiles", "new", "--pool", "60", "--seed", "5", *extra],
        capture_output=True, text=True, timeout=120, cwd=REPO, check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.mark.slow
def test_explain_on_every_call(server: ServerProcess) -> None:
    r = _load(server, "--explain")
    assert (r["explain"], r["errors"], r["calls_total"]) == (True, 0, CALLS)
    assert r["explained_answers"] == CALLS


@pytest.mark.slow
def test_without_explain_the_answers_carry_none(server: ServerProcess) -> None:
    r = _load(server)
    assert (r["explain"], r["errors"], r["calls_total"]) == (False, 0, CALLS)
    # (only the FINE_TUNE answers, which have nothing to carry: a few in a hundred)
    assert r["explained_answers"] < CALLS // 4
