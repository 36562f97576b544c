"""What the fleet tests share: calls in bursts, the rows of a store, waiting."""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operability"))

from ftgate.v1 import advisor_pb2 as pb
from ftgate.v1 import advisor_pb2_grpc as pb_grpc
from opstools import fine_tune_profile, metric, scrape, small_profile, wait_until


def stub(address: str) -> pb_grpc.FineTuningAdvisorServiceStub:
    return pb_grpc.FineTuningAdvisorServiceStub(grpc.insecure_channel(address))


def profile(i: int) -> pb.ProjectProfile:
    """Profiles of the three verdicts, by i % 3."""
    if i % 3 == 0:
        return fine_tune_profile(f"ft{i}")
    if i % 3 == 1:
        return fine_tune_profile(f"low{i}", requests_per_day=1)  # not worth it
    return small_profile(i)  # NEEDS_INFORMATION


def stored_ids(url: str) -> set[str]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return {r[0] for r in conn.execute("SELECT decision_id FROM decisions")}


@dataclass
class Burst:
    """Calls from `threads` threads until stopped: what was answered OK, what failed how."""

    address: str
    threads: int = 8
    ok: list[str] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Burst:
        for t in range(self.threads):
            worker = threading.Thread(target=self._run, args=(t,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def _run(self, t: int) -> None:
        s = stub(self.address)
        i = t
        while not self._stop.is_set():
            i += self.threads
            try:
                reply = s.Evaluate(pb.EvaluateRequest(project=profile(i)), timeout=30)
            except grpc.RpcError as exc:
                with self._lock:
                    name = exc.code().name
                    self.failed[name] = self.failed.get(name, 0) + 1
                self._stop.wait(0.01)  # refused or gone: do not spin on a loaded machine
                continue
            with self._lock:
                self.ok.append(reply.assessment.decision_id)

    def answered(self) -> int:
        with self._lock:
            return len(self.ok)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(60)


__all__ = ["Burst", "metric", "profile", "scrape", "stored_ids", "stub", "wait_until"]
