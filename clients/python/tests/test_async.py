"""AsyncClient: the shared cases through grpc.aio, concurrency, errors."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from google.protobuf import json_format
from grpc_health.v1 import health_pb2

from ftgate_client import AsyncClient, FtgateError, InvalidProfile, Unavailable, v1

from _cases import check_error, check_result
from _server import FtgateServer, free_port
from conftest import load_cases

CASES = load_cases()


async def call(client: AsyncClient, case: dict[str, Any]) -> Any:
    request, method = case["request"], case["method"]
    if method == "Evaluate":
        return await client.evaluate(request["project"])
    if method == "EvaluateBatch":
        return await client.evaluate_batch(request["projects"])
    if method == "CheckRegression":
        return await client.check_regression(
            request["baseline"], request["candidate"], request.get("tolerance")
        )
    return await client.list_rules()


def test_all_cases_async(server: FtgateServer) -> None:
    async def main() -> None:
        async with AsyncClient(server.address, timeout=10) as client:
            results = await asyncio.gather(
                *(call(client, c) for c in CASES), return_exceptions=True
            )
        for case, result in zip(CASES, results, strict=True):
            if isinstance(result, FtgateError):
                check_error(case["name"], case["expect"], result)
            elif isinstance(result, BaseException):
                raise result
            else:
                check_result(case, result)

    asyncio.run(asyncio.wait_for(main(), 60))


def test_async_health_message_and_invalid_profile(server: FtgateServer) -> None:
    async def main() -> None:
        async with AsyncClient(server.address) as client:
            health = await client.health()
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            message = json_format.ParseDict({"goal": "GOAL_KNOWLEDGE"}, v1.ProjectProfile())
            assessment = await client.evaluate(message)
            assert assessment.decision_id
            with pytest.raises(InvalidProfile) as info:
                await client.evaluate({"baseModelScore": 2.0})
            assert "project.base_model_score" in info.value.fields

    asyncio.run(asyncio.wait_for(main(), 30))


def test_async_unavailable() -> None:
    async def main() -> None:
        async with AsyncClient(f"127.0.0.1:{free_port()}", timeout=10) as client:
            with pytest.raises(Unavailable):
                await client.list_rules()

    asyncio.run(asyncio.wait_for(main(), 30))
