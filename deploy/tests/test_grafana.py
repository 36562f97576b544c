"""deploy/grafana/ftgate.json: structure and coverage (its queries run on a real Prometheus in
test_e2e_prometheus.py)."""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import DASHBOARD, KNOWN_METRICS, LABELS


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text(encoding="utf-8")))


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def exprs() -> list[str]:
    return [t["expr"] for p in panels() for t in p["targets"]]


def test_dashboard_is_importable_json() -> None:
    d = dashboard()
    assert d["uid"] == "ftgate" and d["title"]
    assert isinstance(d["schemaVersion"], int) and d["schemaVersion"] >= 36
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    variables = {v["name"]: v for v in d["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"


def test_panels_fit_the_grid_without_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= 24 and g["h"] > 0
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & mine, f"panel {panel['title']!r} overlaps another"
        cells |= mine


def test_every_panel_queries_the_templated_prometheus() -> None:
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip()
            assert 'namespace=~"$namespace"' in target["expr"] and 'job=~"$job"' in target["expr"]


def test_dashboard_covers_what_operators_need() -> None:
    """Decisions by verdict/outcome, findings by failure mode, latency quantiles, reload status."""
    text = "\n".join(exprs())
    assert "sum by (verdict) (rate(ftgate_decisions_total" in text
    assert "sum by (outcome) (rate(ftgate_decisions_total" in text
    assert "sum by (failure_mode, severity) (rate(ftgate_findings_total" in text
    for q in ("0.5", "0.9", "0.99"):
        assert f"histogram_quantile({q}, sum by (le) (rate(grpc_server_handling_seconds_bucket" in text
    assert "ftgate_rules_reload_total" in text and "ftgate_ruleset_info" in text
    assert "ftgate_rules_loaded" in text


def test_queries_use_only_series_ftgate_exports() -> None:
    for expr in exprs():
        names = set(re.findall(r"\b(?:ftgate|grpc)_[a-z_]+|\bup(?=\{)", expr)) - LABELS
        assert names and names <= KNOWN_METRICS, (expr, names - KNOWN_METRICS)
