"""The SDK exposes explanations and languages: counterfactuals, missing-field outcomes, the ROI
net of retraining, and texts in French."""

from __future__ import annotations

import asyncio

import pytest

from ftgate_client import AsyncClient, Client, InvalidArgument, v1

NOT_DEDICATED = {"goal": "GOAL_FORMAT", "dedicatedModel": False}
MONTHLY = {
    "dataChangeFrequency": "CHANGE_FREQUENCY_MONTHLY",
    "economics": {
        "requestsPerDay": 10000,
        "savingsPerRequestUsd": 0.008,
        "investmentUsd": 25000,
        "retrainingCostUsd": 1500,
    },
}


def test_counterfactuals_and_missing_fields(client: Client) -> None:
    plain = client.evaluate(NOT_DEDICATED)
    assert not plain.counterfactuals and not plain.missing_field_outcomes
    a = client.evaluate(NOT_DEDICATED, explain=True)
    assert a.counterfactuals and a.missing_field_outcomes
    c = a.counterfactuals[0]
    assert isinstance(c, v1.Counterfactual)
    assert c.resulting_verdict == v1.Verdict.VERDICT_FINE_TUNE
    change = c.changes[0]
    assert isinstance(change, v1.FieldChange) and change.field
    assert change.to.WhichOneof("kind") is not None
    outcome = a.missing_field_outcomes[0]
    assert isinstance(outcome, v1.MissingFieldOutcome)
    assert all(isinstance(o, v1.ValueOutcome) and o.description for o in outcome.outcomes)


def test_net_roi(client: Client) -> None:
    roi = client.evaluate(MONTHLY).roi
    assert roi.net_monthly_savings_usd == 900
    assert round(roi.net_break_even_months, 1) == 27.8
    assert roi.HasField("never_breaks_even") and not roi.never_breaks_even


def test_french(client: Client) -> None:
    a = client.evaluate(NOT_DEDICATED, explain=True, lang="fr")
    assert a.counterfactuals[0].summary.startswith("Avec ")
    batch = client.evaluate_batch([NOT_DEDICATED], lang="fr")
    english = client.evaluate_batch([NOT_DEDICATED])
    assert batch[0].findings[0].title != english[0].findings[0].title
    with pytest.raises(InvalidArgument, match="lang must be one of en, fr"):
        client.evaluate(NOT_DEDICATED, lang="de")


def test_async_client(server) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with AsyncClient(server.address, timeout=10) as c:
            a = await c.evaluate(NOT_DEDICATED, explain=True, lang="fr")
            assert a.counterfactuals[0].summary.startswith("Avec ")
            batch = await c.evaluate_batch([NOT_DEDICATED], explain=True)
            assert batch[0].counterfactuals

    asyncio.run(asyncio.wait_for(main(), 60))
