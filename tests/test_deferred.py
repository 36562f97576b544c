"""With --workers, the request path's counters are added up in memory and written on flush."""

from __future__ import annotations

import pytest
from ftgate.obs import deferred
from prometheus_client import CollectorRegistry, Counter


def _child() -> object:
    return Counter("probe", "probe", ["kind"], registry=CollectorRegistry()).labels("x")


def test_single_process_counts_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    child = _child()
    assert deferred.deferred(child) is child


def test_multiprocess_counts_reach_the_child_on_flush(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(deferred, "INTERVAL", 3600.0)  # only the explicit flush below writes
    child = _child()
    counter = deferred.deferred(child)
    assert isinstance(counter, deferred.DeferredCounter)
    counter.inc()
    counter.inc(2)
    assert child._value.get() == 0  # type: ignore[attr-defined]
    deferred.flush_all()
    assert child._value.get() == 3  # type: ignore[attr-defined]
    deferred.flush_all()  # nothing pending: nothing added twice
    assert child._value.get() == 3  # type: ignore[attr-defined]
