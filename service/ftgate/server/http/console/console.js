// ftgate console: a form generated from the ProjectProfile descriptor (/console/form.json), the
// HTTP API (/v1/evaluate, /v1/decisions/{id}) and the decision drawn. No framework, no build.
// Hooks for automation: every input's name is its proto path; #verdict carries data-verdict;
// each tree node carries data-step and data-state (passed | blocked | stopped | not-reached).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const STEPS = 6;
const state = { form: null, profile: {} };

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4))
                                      : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined)
    node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

const id = (path) => path.replace(/[^a-z0-9_]/gi, "-");
const short = (name, prefix) => name && name.startsWith(prefix) ? name.slice(prefix.length) : name;
const fmt = (n, digits = 2) => Number(n).toLocaleString("en-US", { maximumFractionDigits: digits });

// ---- the form ---------------------------------------------------------------------------------
function fieldNode(f) {
  if (f.kind === "group") {
    return el("fieldset", { id: "group-" + id(f.name) }, el("legend", { text: f.label }),
      f.help ? el("p", { class: "help", text: f.help }) : null, f.fields.map(fieldNode));
  }
  const fid = "f-" + id(f.name), help = "h-" + id(f.name), err = "e-" + id(f.name);
  const described = [f.help ? help : null, err].filter(Boolean).join(" ");
  let control;
  if (f.kind === "enum" || f.kind === "bool") {
    const options = f.kind === "bool" ? [["", "unknown"], ["true", "yes"], ["false", "no"]]
      : [["", "unknown"], ...f.choices.map((c) => [c.value, c.value])];
    control = el("select", { id: fid, name: f.name, "aria-describedby": described },
      options.map(([v, t]) => el("option", { value: v, text: t })));
  } else if (f.kind === "enum_list") {
    const box = el("div", { class: "choices", role: "group", "aria-labelledby": fid + "-label",
                            "aria-describedby": described });
    f.choices.forEach((c, i) => box.append(el("label", {},
      el("input", { type: "checkbox", name: f.name, value: c.value, id: `${fid}-${i}`,
                    title: c.help || null }), c.value.replace(/^SYMPTOM_/, ""))));
    return el("div", { class: "field", "data-field": f.name },
      el("span", { class: "label", id: fid + "-label", text: f.label }),
      f.help ? el("p", { class: "help", id: help, text: f.help }) : null, box,
      el("p", { class: "error", id: err, role: "alert" }));
  } else if (f.kind === "integer" || f.kind === "number") {
    control = el("input", { id: fid, name: f.name, type: "number", inputmode: "decimal",
      step: f.kind === "integer" ? "1" : "any", min: f.min, max: f.max,
      "aria-describedby": described });
  } else {
    control = el("input", { id: fid, name: f.name, type: "text", maxlength: f.max_length,
                            "aria-describedby": described });
  }
  const range = f.min !== undefined ? ` (${fmt(f.min)} to ${fmt(f.max)})` : "";
  const choiceHelp = (f.choices || []).filter((c) => c.help).map((c) => `${c.value}: ${c.help}`);
  return el("div", { class: "field", "data-field": f.name },
    el("label", { for: fid, text: f.label }),
    (f.help || range || choiceHelp.length)
      ? el("p", { class: "help", id: help, text: [f.help + range, ...choiceHelp].join(" ") }) : null,
    control, el("p", { class: "error", id: err, role: "alert" }));
}

function leaves(fields) {
  return fields.flatMap((f) => f.kind === "group" ? leaves(f.fields) : [f]);
}

function readForm() {
  const profile = {};
  for (const f of leaves(state.form.fields)) {
    let value;
    if (f.kind === "enum_list") {
      value = [...document.querySelectorAll(`input[name="${f.name}"]:checked`)].map((i) => i.value);
      if (!value.length) continue;
    } else {
      const raw = document.querySelector(`[name="${f.name}"]`).value.trim();
      if (raw === "") continue;
      if (f.kind === "bool") value = raw === "true";
      else if (f.kind === "integer" || f.kind === "number") value = Number(raw);
      else value = raw;
    }
    const parts = f.name.split(".");
    let at = profile;
    for (const p of parts.slice(0, -1)) at = at[p] = at[p] || {};
    at[parts[parts.length - 1]] = value;
  }
  return profile;
}

const camelToSnake = (s) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

function fillForm(profile) {
  document.getElementById("profile").reset();
  clearErrors();
  const flat = {};
  (function walk(obj, prefix) {
    for (const [k, v] of Object.entries(obj || {})) {
      const key = prefix + camelToSnake(k);
      if (v && typeof v === "object" && !Array.isArray(v)) walk(v, key + ".");
      else flat[key] = v;
    }
  })(profile, "");
  for (const f of leaves(state.form.fields)) {
    const v = flat[f.name];
    if (v === undefined) continue;
    if (f.kind === "enum_list") {
      for (const box of document.querySelectorAll(`input[name="${f.name}"]`))
        box.checked = v.includes(box.value);
    } else {
      document.querySelector(`[name="${f.name}"]`).value = String(v);
    }
  }
}

function clearErrors() {
  for (const p of document.querySelectorAll("#profile .error")) p.textContent = "";
  for (const d of document.querySelectorAll(".field.invalid, .field.needed"))
    d.classList.remove("invalid", "needed");
}

function showErrors(error) {
  clearErrors();
  const general = [];
  const violations = (error.details || []).flatMap((d) => d.fieldViolations || []);
  for (const v of violations) {
    const path = short(v.field, "project.");
    const box = document.getElementById("e-" + id(path));
    if (box) {
      box.textContent = (box.textContent ? box.textContent + "; " : "") + v.description;
      box.closest(".field").classList.add("invalid");
    } else general.push(`${v.field}: ${v.description}`);
  }
  document.getElementById("form-error").textContent =
    general.length || !violations.length ? [error.message, ...general].join(" — ") : "";
  const first = document.querySelector(".field.invalid input, .field.invalid select");
  if (first) first.focus();
}

// ---- calls --------------------------------------------------------------------------------------
async function api(path, body) {
  const headers = { Accept: "application/json" };
  const token = document.getElementById("token").value.trim();
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method: body === undefined ? "GET" : "POST", headers,
    body: body === undefined ? undefined : JSON.stringify(body) });
  let data;
  try { data = await response.json(); } catch { data = { error: { message: response.statusText } }; }
  if (!response.ok) throw Object.assign(new Error((data.error || {}).message), { error: data.error || {} });
  return data;
}

async function evaluate(event) {
  event.preventDefault();
  clearErrors();
  const profile = readForm();
  const button = document.getElementById("submit");
  button.disabled = true;
  // No stale verdict while the answer is on its way: automation waits for data-verdict to be set
  // again, or for body[data-state] to be "done" or "error".
  document.getElementById("verdict").dataset.verdict = "";
  document.body.dataset.state = "pending";
  try {
    const data = await api("/v1/evaluate", { project: profile });
    render(data.assessment, profile);
    document.body.dataset.state = "done";
  } catch (e) {
    showErrors(e.error || { message: String(e) });
    document.body.dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}

// ---- the decision ---------------------------------------------------------------------------------
function render(a, profile) {
  state.profile = profile;
  document.getElementById("placeholder").hidden = true;
  document.getElementById("decision").hidden = false;
  const card = document.getElementById("verdict");
  card.dataset.verdict = a.verdict;
  card.dataset.outcome = a.outcome || "";
  document.getElementById("verdict-name").textContent = a.verdict.replace(/^VERDICT_/, "").replaceAll("_", " ");
  document.getElementById("verdict-outcome").textContent =
    a.outcome && a.outcome !== "OUTCOME_UNSPECIFIED" ? "Outcome: " + a.outcome.replace(/^OUTCOME_/, "") : "";
  const idLine = document.getElementById("verdict-id");
  idLine.replaceChildren("Decision ", el("a", { href: "/decisions/" + a.decisionId, text: a.decisionId }),
    ` · rules ${a.rulesetVersion}`);
  drawTree(a);
  listMissing(a);
  listCounterfactuals(a);
  listFindings(a.findings || [], a.waiversApplied || []);
  listAlternatives(a.alternatives || []);
  showRoi(a.roi || {}, profile);
  showPlan(a);
}

function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/\s+/)) {
    if ((line + " " + word).trim().length > width && line) { lines.push(line); line = word; }
    else line = (line + " " + word).trim();
  }
  if (line) lines.push(line);
  return lines;
}

function drawTree(a) {
  const path = a.decisionPath || [];
  const last = path.length ? path[path.length - 1].step : 0;
  const blocked = a.verdict === "VERDICT_DO_NOT_FINE_TUNE" ? last : 0;
  const stopped = a.verdict === "VERDICT_NEEDS_INFORMATION" ? last + 1 : 0;
  const width = 680, boxW = 440, x = 10;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} 10`, role: "img", "aria-labelledby": "tree-t tree-d",
                              id: "tree-svg", "data-blocking-step": blocked || null });
  const desc = [];
  let y = 10;
  for (let n = 1; n <= STEPS; n++) {
    const step = path.find((s) => s.step === n);
    const st = n === blocked ? "blocked" : n === stopped ? "stopped" : step ? "passed" : "not-reached";
    const title = step ? `${n}. ${step.question}` : `${n}. ${st === "stopped" ? "stopped here: information missing" : "not reached"}`;
    const reason = step ? `${step.answer ? "Yes" : "No"}. ${step.reason}` : "";
    const lines = wrap(reason, 62).slice(0, 5);
    const h = 26 + lines.length * 16 + 6;
    const g = el("svg:g", { class: "step " + st, "data-step": n, "data-state": st });
    const colours = { passed: ["#e3f3e8", "#0a5c2a"], blocked: ["#fdeaea", "#9b1c1c"],
                      stopped: ["#fff2dc", "#6b4400"], "not-reached": ["#f1f3f5", "#545b63"] }[st];
    g.append(el("svg:rect", { x, y, width: boxW, height: h, rx: 6, fill: colours[0], stroke: colours[1],
                              "stroke-width": st === "not-reached" ? 1 : 2.5,
                              "stroke-dasharray": st === "not-reached" ? "4 3" : null }));
    g.append(el("svg:text", { x: x + 10, y: y + 18, "font-weight": 700, fill: colours[1], "font-size": 14, text: title }));
    lines.forEach((line, i) => g.append(el("svg:text", { x: x + 10, y: y + 36 + i * 16, "font-size": 12.5, fill: "#1b1f24", text: line })));
    if (st === "blocked" || st === "stopped") {
      const leaf = st === "blocked" ? (a.outcome || "").replace(/^OUTCOME_/, "") : "NEEDS INFORMATION";
      g.append(el("svg:line", { x1: x + boxW, y1: y + h / 2, x2: x + boxW + 30, y2: y + h / 2, stroke: colours[1], "stroke-width": 2.5 }));
      g.append(el("svg:rect", { x: x + boxW + 30, y: y + h / 2 - 16, width: 190, height: 32, rx: 16, fill: colours[1] }));
      g.append(el("svg:text", { x: x + boxW + 125, y: y + h / 2 + 5, "text-anchor": "middle", fill: "#fff",
                                "font-size": 12, "font-weight": 700, class: "leaf", text: leaf }));
    }
    svg.append(g);
    desc.push(`${title}${reason ? ": " + reason : ""}${st === "blocked" ? " (blocking step)" : ""}`);
    y += h;
    if (n < STEPS) {
      const on = st === "passed";
      svg.append(el("svg:line", { x1: x + 40, y1: y, x2: x + 40, y2: y + 22, stroke: on ? "#0a5c2a" : "#9aa4ae",
                                  "stroke-width": on ? 2.5 : 1, "stroke-dasharray": on ? null : "4 3" }));
      y += 22;
    }
  }
  if (a.verdict === "VERDICT_FINE_TUNE") {
    svg.append(el("svg:line", { x1: x + 40, y1: y, x2: x + 40, y2: y + 22, stroke: "#0a5c2a", "stroke-width": 2.5 }));
    svg.append(el("svg:rect", { x, y: y + 22, width: 200, height: 32, rx: 16, fill: "#0a5c2a" }));
    svg.append(el("svg:text", { x: x + 100, y: y + 43, "text-anchor": "middle", fill: "#fff", "font-weight": 700,
                                "font-size": 13, class: "leaf", text: "FINE TUNE" }));
    y += 60;
  }
  svg.setAttribute("viewBox", `0 0 ${width} ${y + 10}`);
  svg.prepend(el("svg:desc", { id: "tree-d", text: desc.join(" ") }));
  svg.prepend(el("svg:title", { id: "tree-t", text: "Decision tree: the path walked" +
    (blocked ? `, blocked at step ${blocked}` : "") }));
  document.getElementById("tree").replaceChildren(svg);
}

function listMissing(a) {
  const missing = a.missingFields || [];
  document.getElementById("missing-section").hidden = !missing.length;
  document.getElementById("missing").replaceChildren(...missing.map((m) => el("li", {}, el("code", { text: m }))));
  for (const m of missing) {
    const box = document.querySelector(`.field[data-field="${m}"]`);
    if (box) box.classList.add("needed");
  }
}

function listCounterfactuals(a) {
  const items = a.counterfactuals || [];
  document.getElementById("counterfactuals-section").hidden = !items.length;
  document.getElementById("counterfactuals").replaceChildren(...items.map((c) =>
    el("li", { text: typeof c === "string" ? c : (c.message || c.description ||
      Object.entries(c).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ")) })));
}

// A waived finding keeps its place, marked with the waiver that keeps it from blocking.
function waiverNote(f, waivers) {
  if (!f.waiverId) return null;
  const w = waivers.find((x) => x.id === f.waiverId);
  const until = w && w.expiresAt ? ` until ${w.expiresAt}` : "";
  const by = w && w.approvedBy ? `, approved by ${w.approvedBy}` : "";
  return el("p", { class: "waived-note", text: `Waived by ${f.waiverId}${until}${by}: does not block.` });
}

function listFindings(findings, waivers) {
  const list = document.getElementById("findings");
  list.replaceChildren(...findings.map((f) => el("li", { class: f.severity + (f.waiverId ? " waived" : ""),
                                                        "data-rule": f.ruleId, "data-waiver": f.waiverId || null },
    el("p", {}, el("span", { class: "badge", text: f.severity.replace(/^SEVERITY_/, "") }),
      f.waiverId ? el("span", { class: "badge waived-badge", text: "WAIVED" }) : null,
      el("strong", { text: f.title }), ` (${f.ruleId})`),
    waiverNote(f, waivers),
    el("p", { text: f.message }),
    (f.evidence || []).length ? el("p", { class: "hint", text: f.evidence.map((e) => `${e.name} = ${e.value}`).join(" · ") }) : null,
    f.recommendation ? el("p", { text: "→ " + f.recommendation }) : null,
    el("p", {}, el("cite", { text: f.citation })))));
  if (!findings.length) list.replaceChildren(el("li", { text: "No rule fired." }));
}

function listAlternatives(alternatives) {
  const list = document.getElementById("alternatives");
  list.replaceChildren(...alternatives.map((a) => el("li", { "data-kind": a.kind },
    el("p", {}, el("strong", { text: a.kind.replace(/^ALTERNATIVE_KIND_/, "").replaceAll("_", " ") }),
      (a.ruleIds || []).length ? ` (answers ${a.ruleIds.join(", ")})` : ""),
    el("p", { text: a.rationale }),
    (a.details || []).length ? el("ul", {}, a.details.map((d) => el("li", { text: d }))) : null)));
  if (!alternatives.length) list.replaceChildren(el("li", { text: "None needed." }));
}

function showRoi(roi, profile) {
  const rows = [["Monthly savings (USD)", roi.monthlySavingsUsd], ["Break-even, gross (months)", roi.breakEvenMonths],
    ["Retraining runs per year", roi.retrainingRunsPerYear], ["Annual retraining cost (USD)", roi.annualRetrainingCostUsd],
    ["Net of retraining, monthly (USD)", roi.netMonthlySavingsUsd],
    ["Break-even net of retraining (months)", roi.neverBreaksEven ? "never" : roi.netBreakEvenMonths],
    ["The article's criteria for a clearly positive ROI (not the verdict)", roi.positiveRoiCriteria ||
      (roi.likelyPositive === undefined ? undefined : (roi.likelyPositive ? "met" : "not met"))]]
    .filter(([, v]) => v !== undefined);
  document.getElementById("roi").replaceChildren(rows.length
    ? el("table", {}, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k }),
        el("td", { text: typeof v === "number" ? fmt(v) : String(v) }))))
    : el("p", { class: "hint", text: "Not computable: the economics are incomplete." }));
  drawRoiChart(profile.economics || {}, roi);
}

// Break-even months net of retraining = investment / (savings per request × requests per day ×
// 30 − yearly retraining cost / 12), the figure step 5 compares with 12 months, drawn for
// requests per day around the team's figure and the volume that breaks even in 12 months (log
// scale), with the 12-month line. Below the volume whose savings only pay the retraining, the
// project never breaks even (the curve leaves the chart).
function drawRoiChart(e, roi) {
  const box = document.getElementById("roi-chart");
  const r0 = e.requests_per_day, s = e.savings_per_request_usd, inv = e.investment_usd;
  if (!(r0 > 0 && s > 0 && inv >= 0)) { box.replaceChildren(); return; }
  const retraining = (roi.annualRetrainingCostUsd || 0) / 12;  // a month's share of retraining
  const net = (r) => s * r * 30 - retraining;
  const months = (r) => (net(r) > 0 ? inv / net(r) : Infinity);
  const W = 560, H = 260, L = 56, R = 16, T = 14, B = 44;
  const r12 = (inv / 12 + retraining) / (s * 30);  // the volume that breaks even in 12 months, net
  const lo = Math.log10(Math.min(r0, r12 || r0) / 4), hi = Math.log10(Math.max(r0, r12 || r0) * 4);
  const yMax = Math.max(24, Math.min(months(r0) * 1.4, 600));
  const px = (r) => L + (Math.log10(r) - lo) / (hi - lo) * (W - L - R);
  const py = (m) => T + (1 - Math.min(m, yMax) / yMax) * (H - T - B);
  const at = (r) => (months(r) === Infinity ? "never breaks even" : `${fmt(months(r), 1)} months`);
  const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", id: "roi-svg", "aria-labelledby": "roi-t" },
    el("svg:title", { id: "roi-t", text: `Break-even months net of retraining against requests per day; at ${fmt(r0)} requests/day: ${at(r0)}` }));
  svg.append(el("svg:rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fff", stroke: "#9aa4ae" }));
  let d = "";
  for (let i = 0; i <= 80; i++) {
    const r = 10 ** (lo + (hi - lo) * i / 80);
    d += `${d ? "L" : "M"}${px(r).toFixed(1)},${py(months(r)).toFixed(1)}`;
  }
  svg.append(el("svg:path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 2.5, class: "net-break-even" }));
  svg.append(el("svg:line", { x1: L, x2: W - R, y1: py(12), y2: py(12), stroke: "#9b1c1c", "stroke-dasharray": "6 4", "stroke-width": 1.5, class: "twelve-months" }));
  svg.append(el("svg:text", { x: L + 4, y: py(12) - 5, "font-size": 11, fill: "#9b1c1c",
    text: r12 > 0 ? `12 months: break-even at ${fmt(r12, 0)} requests/day` : "12 months" }));
  if (r12 > 0) {
    svg.append(el("svg:line", { x1: px(r12), x2: px(r12), y1: py(12), y2: H - B, stroke: "#9b1c1c", "stroke-dasharray": "2 3" }));
  }
  svg.append(el("svg:circle", { cx: px(r0), cy: py(months(r0)), r: 5, fill: "#12324f", class: "team-point" }));
  const leftOf = px(r0) > W * 0.6;  // the label goes on the side with room
  svg.append(el("svg:text", { x: px(r0) + (leftOf ? -8 : 8), y: py(months(r0)) - 8, "font-size": 11,
    fill: "#12324f", "text-anchor": leftOf ? "end" : "start",
    text: `you: ${fmt(r0, 0)} requests/day, ${at(r0)}${months(r0) > yMax && months(r0) !== Infinity ? " (off the chart)" : ""}` }));
  for (const k of [lo, (lo + hi) / 2, hi]) {
    const r = 10 ** k;
    svg.append(el("svg:text", { x: px(r), y: H - B + 16, "text-anchor": k === lo ? "start" : k === hi ? "end" : "middle", "font-size": 11, fill: "#4a5360", text: fmt(r, 0) }));
  }
  for (const m of [0, yMax / 2, yMax]) {
    svg.append(el("svg:text", { x: L - 6, y: py(m) + 4, "text-anchor": "end", "font-size": 11, fill: "#4a5360", text: fmt(m, 0) }));
  }
  svg.append(el("svg:text", { x: (L + W) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12, fill: "#1b1f24", text: "requests per day (log scale)" }));
  svg.append(el("svg:text", { x: 14, y: (T + H - B) / 2, "font-size": 12, fill: "#1b1f24", "text-anchor": "middle",
    transform: `rotate(-90 14 ${(T + H - B) / 2})`, text: "break-even net of retraining (months)" }));
  box.replaceChildren(svg);
}

function showPlan(a) {
  const p = a.plan;
  const section = document.getElementById("plan-section");
  section.hidden = !(p && a.verdict === "VERDICT_FINE_TUNE");
  if (section.hidden) return;
  const lora = p.lora || {};
  document.getElementById("plan").replaceChildren(
    el("p", { text: `LoRA r=${lora.r}, alpha=${lora.loraAlpha}, dropout=${lora.loraDropout}, modules: ${(lora.targetModules || []).join(", ")}` }),
    el("p", { text: `Validation tasks: ${(p.validationTasks || []).join(", ")}; degradation tolerance ${p.degradationTolerance}` }),
    el("p", { text: `Metrics: ${(p.metrics || []).join(", ")}` }),
    el("table", {}, el("tr", {}, el("th", { text: "Year-one cost" }), el("th", { text: "low (USD)" }), el("th", { text: "high (USD)" })),
      (p.yearOneCosts || []).map((c) => el("tr", {}, el("td", { text: c.item }), el("td", { text: fmt(c.lowUsd, 0) }), el("td", { text: fmt(c.highUsd, 0) }))),
      el("tr", {}, el("th", { text: "Total" }), el("th", { text: fmt(p.yearOneCostLowUsd, 0) }), el("th", { text: fmt(p.yearOneCostHighUsd, 0) }))),
    el("ul", {}, (p.recommendations || []).map((r) => el("li", { text: r }))));
}

// ---- start ------------------------------------------------------------------------------------
async function start() {
  state.form = await (await fetch("/console/form.json")).json();
  document.getElementById("form-help").textContent = state.form.help;
  document.getElementById("fields").replaceChildren(...state.form.fields.map(fieldNode));
  document.getElementById("profile").addEventListener("submit", evaluate);
  document.getElementById("profile").addEventListener("reset", () => setTimeout(clearErrors));
  const examples = await (await fetch("/console/examples.json")).json();
  for (const ex of examples) {
    document.getElementById("examples").append(el("button", { type: "button", "data-example": ex.file,
      title: ex.title, text: ex.file.replace(/\.(yaml|json)$/, "") }));
  }
  document.getElementById("examples").addEventListener("click", (ev) => {
    const file = ev.target.closest("button")?.dataset.example;
    const ex = examples.find((x) => x.file === file);
    if (ex) { fillForm(ex.profile); document.getElementById("submit").focus(); }
  });
  fetch("/readyz").then((r) => r.json()).then((r) => {
    if (r.rulesetVersion) document.getElementById("ruleset").textContent = "rules " + r.rulesetVersion;
  }).catch(() => {});
  // The token lives for the browser tab only (sessionStorage), so that a decision link opened
  // from the console works without pasting it again.
  const token = document.getElementById("token");
  token.value = sessionStorage.getItem("ftgate-token") || "";
  const m = location.pathname.match(/^\/decisions\/([^/]+)$/);
  token.addEventListener("change", () => {
    sessionStorage.setItem("ftgate-token", token.value.trim());
    if (m) showDecision(decodeURIComponent(m[1]));
  });
  if (m) await showDecision(decodeURIComponent(m[1]));
  document.body.dataset.ready = "true";
}

async function showDecision(decisionId) {
  try {
    const data = await api("/v1/decisions/" + encodeURIComponent(decisionId));
    const record = data.decision;
    const profile = record.project || {};
    fillForm(profile);
    render(record.assessment, readForm());
  } catch (e) {
    const error = e.error || {};
    document.getElementById("placeholder").textContent = `Decision ${decisionId}: ${error.message || e}` +
      (error.code === 401 ? " — paste a token under “Access token”." : "");
    if (error.code === 401) document.getElementById("access").open = true;
  }
}

start();
