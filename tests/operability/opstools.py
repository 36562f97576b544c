"""Helpers of the operability tests: profiles, metric scraping, waiting."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import TypeVar

from ftgate.v1 import advisor_pb2 as pb
from serverproc import ServerProcess

T = TypeVar("T")


def single_process() -> tuple[str, ...]:
    """Flags for one server process (`--workers 1` where `serve` has it), for the tests of one
    process's own behaviour: its limits, its reload, its death by kill -9."""
    import importlib
    import inspect

    # (By name: `ftgate.cli.main` as an attribute is the package's main function.)
    source = inspect.getsource(importlib.import_module("ftgate.cli.main"))
    return ("--workers", "1") if '"--workers"' in source else ()


def fine_tune_profile(name: str = "ops", requests_per_day: float = 20_000) -> pb.ProjectProfile:
    """A profile that walks the whole tree to OUTCOME_FINE_TUNE with the shipped rules."""
    return pb.ProjectProfile(
        name=name, task_type=pb.TASK_TYPE_CLASSIFICATION, goal=pb.GOAL_STYLE,
        quality_examples=5000, data_change_frequency=pb.CHANGE_FREQUENCY_STATIC,
        base_model_score=0.5, target_score=0.9, dedicated_model=True,
        planned_method=pb.TUNING_METHOD_LORA,
        prompt_engineering=pb.PromptEngineering(prompt_variations_tested=6, few_shot_tried=True,
                                                more_capable_model_tried=True),
        economics=pb.Economics(requests_per_day=requests_per_day, savings_per_request_usd=0.05,
                               investment_usd=1000))


def small_profile(i: int = 0) -> pb.ProjectProfile:
    """A short profile (NEEDS_INFORMATION): cheap to send by the thousand."""
    return pb.ProjectProfile(name=f"p{i}", goal=pb.GOAL_STYLE)


def wait_until(probe: Callable[[], T | None], timeout: float = 15, every: float = 0.05,
               what: str = "condition") -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def scrape(server: ServerProcess) -> str:
    with urllib.request.urlopen(server.metrics_url, timeout=5) as reply:
        return str(reply.read().decode())


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text `text` (0 when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        if (series == name and not want) or series == f"{name}{{{want}}}":
            return float(value)
    return 0.0
