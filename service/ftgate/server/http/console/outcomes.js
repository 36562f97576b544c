// The outcomes page: draws GET /v1/outcomes:summary as the server computed it. Every count, ratio
// and quartile is the server's (audit/outcome_report.py); this script only lays them out and
// scales the chart's points to pixels.
"use strict";

const COLUMNS = ["met_target", "missed_target", "target_unknown", "not_fine_tuned", "no_outcome"];
const RULE_COLUMNS = ["refused", "fine_tuned_anyway", ...COLUMNS];
const SVG = "http://www.w3.org/2000/svg";

function el(tag, text) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function table(id, heading, rows, columns) {
  const t = document.getElementById(id);
  const head = el("tr");
  [heading, ...columns].forEach((c) => head.append(el("th", c.replaceAll("_", " "))));
  t.tHead.replaceChildren(head);
  t.tBodies[0].replaceChildren(...Object.entries(rows).map(([name, counts]) => {
    const tr = el("tr");
    tr.dataset.key = name;
    tr.append(el("th", name));
    columns.forEach((c) => { const td = el("td", counts[c]); td.dataset.column = c; tr.append(td); });
    return tr;
  }));
}

function spreadText(name, s) {
  return s ? `${name}: median ${s.median} (quartiles ${s.p25} to ${s.p75}, ${s.n} projects)`
    : `${name}: no figures to compare`;
}

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, String(v)));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Predicted (x) against measured (y) monthly savings, with the line measured = predicted.
function chart(points) {
  const box = document.getElementById("chart");
  if (!points.length) { box.replaceChildren(el("p", "No project to draw yet.")); return; }
  const W = 520, H = 320, P = 48;
  const values = points.flatMap((p) => [p.predicted_monthly_savings_usd, p.measured_monthly_savings_usd]);
  const low = Math.min(0, ...values), high = Math.max(...values) || 1;
  const x = (v) => P + ((v - low) / (high - low)) * (W - 2 * P);
  const y = (v) => H - P - ((v - low) / (high - low)) * (H - 2 * P);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img",
    "aria-label": "Measured against predicted monthly savings, in USD" });
  root.append(svg("line", { x1: x(low), y1: y(low), x2: x(high), y2: y(high), stroke: "#7d8896",
    "stroke-dasharray": "4 4" }));
  root.append(svg("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#1b1f24" }));
  root.append(svg("line", { x1: P, y1: P, x2: P, y2: H - P, stroke: "#1b1f24" }));
  root.append(svg("text", { x: W / 2, y: H - 12, "text-anchor": "middle", "font-size": 12 }, "predicted (USD / month)"));
  root.append(svg("text", { x: 14, y: H / 2, "font-size": 12, transform: `rotate(-90 14 ${H / 2})`,
    "text-anchor": "middle" }, "measured (USD / month)"));
  for (const p of points) {
    const dot = svg("circle", { cx: x(p.predicted_monthly_savings_usd), cy: y(p.measured_monthly_savings_usd),
      r: 5, fill: p.measured_monthly_savings_usd >= p.predicted_monthly_savings_usd ? "#0a5c2a" : "#9b1c1c" });
    dot.dataset.decisionId = p.decision_id;
    dot.append(svg("title", {}, `${p.project_name}: predicted ${p.predicted_monthly_savings_usd}, measured ${p.measured_monthly_savings_usd}`));
    root.append(dot);
  }
  box.replaceChildren(root);
}

async function load() {
  const headers = { Accept: "application/json" };
  const token = sessionStorage.getItem("ftgate-token");
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch("/v1/outcomes:summary" + location.search, { headers });
  const data = await response.json();
  if (!response.ok) {
    document.getElementById("totals").textContent = "";
    document.getElementById("error").textContent = (data.error || {}).message || response.statusText;
    return;
  }
  document.getElementById("totals").textContent =
    `${data.decisions} decisions, ${data.with_outcome} with an outcome.`;
  table("by-verdict", "verdict", data.by_verdict, COLUMNS);
  table("by-rule", "blocking rule", data.by_rule, RULE_COLUMNS);
  const s = data.savings;
  document.getElementById("savings").textContent = [
    spreadText("measured / predicted savings", s.monthly_savings_ratio),
    spreadText("measured / predicted break-even", s.break_even_ratio),
    `never broke even: ${s.never_broke_even}`].join(" · ");
  chart(s.points);
}

document.addEventListener("DOMContentLoaded", load);
