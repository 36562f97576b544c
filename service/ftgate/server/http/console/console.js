// ftgate console: a form generated from the ProjectProfile descriptor (/console/form.json), the
// HTTP API (/v1/evaluate with explanations, /v1/decisions/{id}) and the decision drawn. Every word
// and label comes from the server in the language chosen (/console/words.json), every figure is
// written by the server (the answer's texts, /console/roi.json for the ROI table and chart): the
// console draws, it computes no figure of the policy. No framework, no build.
// Hooks for automation: every input's name is its proto path; #verdict carries data-verdict;
// each tree node carries data-step and data-state (passed | blocked | stopped | not-reached);
// each counterfactual card carries data-counterfactual (its index) and a "try it" button.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const STEPS = 6;
const MIN_FONT = 11;  // px: no text of the page is drawn smaller
const state = { form: null, profile: {}, lang: "en", words: {}, labels: {}, fields: {}, help: {},
                decisionLinks: false, examples: [], answer: null, roi: null };
const t = (key, n) => (state.words[key] || key).replace("{n}", n === undefined ? "" : n);
const labelOf = (name) => state.labels[name] || name;

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

// ---- the form ---------------------------------------------------------------------------------
function fieldNode(f) {
  if (f.kind === "group") {
    return el("fieldset", { id: "group-" + id(f.name) }, el("legend", { text: fieldLabel(f) }),
      helpOf(f) ? el("p", { class: "help", text: helpOf(f) }) : null, f.fields.map(fieldNode));
  }
  const fid = "f-" + id(f.name), help = "h-" + id(f.name), err = "e-" + id(f.name);
  const described = [helpOf(f) ? help : null, err].filter(Boolean).join(" ");
  let control;
  if (f.kind === "enum" || f.kind === "bool") {
    const options = f.kind === "bool" ? [["", t("unknown")], ["true", t("yes")], ["false", t("no")]]
      : [["", t("unknown")], ...f.choices.map((c) => [c.value, labelOf(c.value)])];
    control = el("select", { id: fid, name: f.name, "aria-describedby": described },
      options.map(([v, t]) => el("option", { value: v, text: t })));
  } else if (f.kind === "enum_list") {
    const box = el("div", { class: "choices", role: "group", "aria-labelledby": fid + "-label",
                            "aria-describedby": described });
    f.choices.forEach((c, i) => box.append(el("label", {},
      el("input", { type: "checkbox", name: f.name, value: c.value, id: `${fid}-${i}`,
                    title: state.lang === "en" ? c.help || null : null }), labelOf(c.value))));
    return el("div", { class: "field", "data-field": f.name },
      el("span", { class: "label", id: fid + "-label", text: fieldLabel(f) }),
      helpOf(f) ? el("p", { class: "help", id: help, text: helpOf(f) }) : null, box,
      el("p", { class: "error", id: err, role: "alert" }));
  } else if (f.kind === "integer" || f.kind === "number") {
    control = el("input", { id: fid, name: f.name, type: "number", inputmode: "decimal",
      step: f.kind === "integer" ? "1" : "any", min: f.min, max: f.max,
      "aria-describedby": described });
  } else {
    control = el("input", { id: fid, name: f.name, type: "text", maxlength: f.max_length,
                            "aria-describedby": described });
  }
  const range = f.min_text !== undefined ? ` (${t("range").replace("{a}", f.min_text[state.lang])
    .replace("{b}", f.max_text[state.lang])})` : "";
  const choiceHelp = state.lang !== "en" ? [] : (f.choices || []).filter((c) => c.help)
    .map((c) => `${labelOf(c.value)}: ${c.help}`);
  const text = [(helpOf(f) + range).trim(), ...choiceHelp].filter(Boolean).join(" ");
  return el("div", { class: "field", "data-field": f.name },
    el("label", { for: fid, text: fieldLabel(f) }),
    text ? el("p", { class: "help", id: help, text }) : null,
    control, el("p", { class: "error", id: err, role: "alert" }));
}

// A field's name and help in the page's language (English: the API's comments).
function fieldLabel(f) {
  const name = state.lang === "en" ? f.label : state.fields[f.name] || f.label;
  return name.charAt(0).toUpperCase() + name.slice(1);
}
function helpOf(f) { return state.lang === "en" ? f.help || "" : state.help[f.name] || ""; }

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
  const headers = { Accept: "application/json", "Accept-Language": state.lang };
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
  if (event) event.preventDefault();
  clearErrors();
  const profile = readForm();
  const button = document.getElementById("submit");
  button.disabled = true;
  // No stale verdict while the answer is on its way: automation waits for data-verdict to be set
  // again, or for body[data-state] to be "done" or "error".
  document.getElementById("verdict").dataset.verdict = "";
  document.body.dataset.state = "pending";
  try {
    const data = await api("/v1/evaluate", { project: profile, explain: true });
    state.roi = await api("/console/roi.json", { project: profile });
    render(data.assessment, profile);
    document.body.dataset.state = "done";
  } catch (e) {
    showErrors(e.error || { message: String(e) });
    showInvalid();
    document.body.dataset.state = "error";
  } finally {
    button.disabled = false;
  }
}

// An invalid profile: the decision panel says so (each mistake is beside its field).
function showInvalid() {
  const placeholder = document.getElementById("placeholder");
  placeholder.hidden = false;
  placeholder.dataset.t = "invalid";
  placeholder.textContent = t("invalid");
  placeholder.classList.add("error");
  document.getElementById("decision").hidden = true;
  state.answer = null;
}

// ---- the decision ---------------------------------------------------------------------------------
function render(a, profile) {
  state.profile = profile;
  state.answer = a;
  const placeholder = document.getElementById("placeholder");
  placeholder.hidden = true;
  placeholder.classList.remove("error");
  document.getElementById("decision").hidden = false;
  const card = document.getElementById("verdict");
  card.dataset.verdict = a.verdict;
  card.dataset.outcome = a.outcome || "";
  document.getElementById("verdict-name").textContent = labelOf(a.verdict);
  document.getElementById("verdict-outcome").textContent =
    a.outcome && a.outcome !== "OUTCOME_UNSPECIFIED" ? t("outcome", labelOf(a.outcome)) : "";
  const idLine = document.getElementById("verdict-id");
  // A decision has a page only when it is recorded (the server's audit log is on).
  idLine.replaceChildren(t("decision_id") + " ", state.decisionLinks
    ? el("a", { href: "/decisions/" + a.decisionId, text: a.decisionId }) : a.decisionId,
    ` · ${t("rules")} ${a.rulesetVersion}`);
  drawTree(a);
  listMissing(a);
  listCounterfactuals(a);
  listFindings(a.findings || [], a.waiversApplied || []);
  listAlternatives(a.alternatives || []);
  showRoi();
  showPlan(a);
}

function wrap(text, width) {
  const lines = [];
  let line = "";
  for (const word of String(text).split(/[ \t\n]+/)) {  // (never at a no-break space)
    if ((line + " " + word).trim().length > width && line) { lines.push(line); line = word; }
    else line = (line + " " + word).trim();
  }
  if (line) lines.push(line);
  return lines;
}

// The tree is laid out for the width it is shown at (one unit of the drawing is one pixel, so
// no text is scaled below MIN_FONT): the leaf beside the last box, or under it when narrow; long
// names wrap.
function drawTree(a) {
  const path = a.decisionPath || [];
  const last = path.length ? path[path.length - 1].step : 0;
  const blocked = a.verdict === "VERDICT_DO_NOT_FINE_TUNE" ? last : 0;
  const stopped = a.verdict === "VERDICT_NEEDS_INFORMATION" ? last + 1 : 0;
  const holder = document.getElementById("tree");
  const width = Math.max(300, Math.floor(holder.clientWidth || 680));
  const narrow = width < 620, x = 2;
  const boxW = narrow ? width - 2 * x : Math.min(460, width - 230);
  const pillW = narrow ? Math.min(boxW, 320) : width - boxW - 40 - x;
  const chars = (w, size) => Math.max(12, Math.floor(w / (size * 0.56)));
  const svg = el("svg:svg", { viewBox: `0 0 ${width} 10`, width, role: "img", "aria-labelledby": "tree-t tree-d",
                              id: "tree-svg", "data-blocking-step": blocked || null });
  const desc = [];
  const pill = (g, px, py, text, colour) => {  // a leaf: its name wrapped inside, never clipped
    const lines = wrap(text, chars(pillW - 24, 13));
    const h = 12 + lines.length * 17;
    g.append(el("svg:rect", { x: px, y: py, width: pillW, height: h, rx: Math.min(16, h / 2), fill: colour, class: "leaf-pill" }));
    const label = el("svg:text", { x: px + pillW / 2, y: py + 19, "text-anchor": "middle", fill: "#fff",
                                   "font-size": 13, "font-weight": 700, class: "leaf", "data-label": text });
    lines.forEach((line, i) => label.append(el("svg:tspan", { x: px + pillW / 2, dy: i ? 17 : 0, text: line })));
    g.append(label);
    return h;
  };
  let y = 4;
  for (let n = 1; n <= STEPS; n++) {
    const step = path.find((s) => s.step === n);
    const st = n === blocked ? "blocked" : n === stopped ? "stopped" : step ? "passed" : "not-reached";
    const title = step ? `${n}. ${step.question}` : `${n}. ${st === "stopped" ? t("stopped") : t("not_reached")}`;
    const reason = step ? `${step.answer ? t("yes") : t("no")}. ${step.reason}` : "";
    const titleLines = wrap(title, chars(boxW - 20, 15.5));
    const lines = wrap(reason, chars(boxW - 20, 12.5));
    const h = 10 + titleLines.length * 18 + lines.length * 16 + 8;
    const g = el("svg:g", { class: "step " + st, "data-step": n, "data-state": st });
    const colours = { passed: ["#e3f3e8", "#0a5c2a"], blocked: ["#fdeaea", "#9b1c1c"],
                      stopped: ["#fff2dc", "#6b4400"], "not-reached": ["#f1f3f5", "#545b63"] }[st];
    g.append(el("svg:rect", { x, y, width: boxW, height: h, rx: 6, fill: colours[0], stroke: colours[1],
                              "stroke-width": st === "not-reached" ? 1 : 2.5,
                              "stroke-dasharray": st === "not-reached" ? "4 3" : null }));
    titleLines.forEach((line, i) => g.append(el("svg:text", { x: x + 10, y: y + 22 + i * 18, "font-weight": 700,
                                                              fill: colours[1], "font-size": 14, text: line })));
    const top = y + 22 + titleLines.length * 18;
    lines.forEach((line, i) => g.append(el("svg:text", { x: x + 10, y: top + i * 16, "font-size": 12.5, fill: "#1b1f24", text: line })));
    let extra = 0;
    if (st === "blocked" || st === "stopped") {
      const leaf = st === "blocked" ? labelOf(a.outcome || "") : labelOf("VERDICT_NEEDS_INFORMATION");
      if (narrow) {
        g.append(el("svg:line", { x1: x + 40, y1: y + h, x2: x + 40, y2: y + h + 14, stroke: colours[1], "stroke-width": 2.5 }));
        extra = 14 + pill(g, x, y + h + 14, leaf, colours[1]);
      } else {
        g.append(el("svg:line", { x1: x + boxW, y1: y + h / 2, x2: x + boxW + 30, y2: y + h / 2, stroke: colours[1], "stroke-width": 2.5 }));
        pill(g, x + boxW + 30, y + h / 2 - 16, leaf, colours[1]);
      }
    }
    svg.append(g);
    desc.push(`${title}${reason ? ": " + reason : ""}${st === "blocked" ? ` (${t("blocking")})` : ""}`);
    y += h + extra;
    if (n < STEPS) {
      const on = st === "passed";
      svg.append(el("svg:line", { x1: x + 40, y1: y, x2: x + 40, y2: y + 22, stroke: on ? "#0a5c2a" : "#9aa4ae",
                                  "stroke-width": on ? 2.5 : 1, "stroke-dasharray": on ? null : "4 3" }));
      y += 22;
    }
  }
  if (a.verdict === "VERDICT_FINE_TUNE") {
    svg.append(el("svg:line", { x1: x + 40, y1: y, x2: x + 40, y2: y + 22, stroke: "#0a5c2a", "stroke-width": 2.5 }));
    const g = el("svg:g", { class: "final" });
    y += 22 + pill(g, x, y + 22, labelOf("OUTCOME_FINE_TUNE"), "#0a5c2a");
    svg.append(g);
  }
  svg.setAttribute("viewBox", `0 0 ${width} ${y + 10}`);
  svg.setAttribute("height", y + 10);
  svg.prepend(el("svg:desc", { id: "tree-d", text: desc.join(" ") }));
  svg.prepend(el("svg:title", { id: "tree-t", text: t("tree_title") }));
  holder.replaceChildren(svg);
}

// Each missing input by its name, with what its values lead to (the answer's own sentences).
function listMissing(a) {
  const missing = a.missingFields || [];
  const outcomes = Object.fromEntries((a.missingFieldOutcomes || []).map((m) => [m.field, m.outcomes || []]));
  document.getElementById("missing-section").hidden = !missing.length;
  document.getElementById("missing").replaceChildren(...missing.map((m) => el("li", { "data-field": m },
    el("strong", { text: state.fields[m] || m }), " ", el("code", { text: m }),
    (outcomes[m] || []).length ? el("ul", { class: "leads" },
      outcomes[m].map((o) => el("li", { text: o.description }))) : null)));
  for (const m of missing) {
    const box = document.querySelector(`.field[data-field="${m}"]`);
    if (box) box.classList.add("needed");
  }
}

// What would change the verdict: one card each, with a button that puts the change in the form
// and evaluates again.
function listCounterfactuals(a) {
  const items = a.counterfactuals || [];
  document.getElementById("counterfactuals-section").hidden = !items.length;
  document.getElementById("counterfactuals").replaceChildren(...items.map((c, i) =>
    el("li", { "data-counterfactual": i, class: c.actionable ? "actionable" : "redefines" },
      el("p", { text: c.summary }),
      c.actionable ? null : el("p", { class: "hint", text: t("redefines") }),
      el("button", { type: "button", class: "secondary try", "data-try": i, text: t("try") }))));
}

function tryCounterfactual(index) {
  const c = (state.answer && state.answer.counterfactuals || [])[index];
  if (!c) return;
  for (const change of c.changes || []) {
    const to = change.to;
    const boxes = document.querySelectorAll(`input[type=checkbox][name="${change.field}"]`);
    if (boxes.length) {
      const wanted = (Array.isArray(to) ? to : []).map(String);
      for (const box of boxes) box.checked = wanted.some((v) => box.value === v || box.value.endsWith("_" + v));
      continue;
    }
    const control = document.querySelector(`[name="${change.field}"]`);
    if (!control) continue;
    if (control.tagName === "SELECT" && typeof to === "string") {
      const option = [...control.options].find((o) => o.value === to || o.value.endsWith("_" + to));
      control.value = option ? option.value : "";
    } else {
      control.value = to === null || to === undefined ? "" : String(to);
    }
  }
  evaluate();
}

// A waived finding keeps its place, marked with the waiver that keeps it from blocking.
function waiverNote(f, waivers) {
  if (!f.waiverId) return null;
  const w = waivers.find((x) => x.id === f.waiverId);
  return el("p", { class: "waived-note", text: t("waived_note")
    .replace("{id}", f.waiverId)
    .replace("{until}", w && w.expiresAt ? w.expiresAt : "?")
    .replace("{by}", w && w.approvedBy ? w.approvedBy : "?") });
}

function listFindings(findings, waivers) {
  const list = document.getElementById("findings");
  list.replaceChildren(...findings.map((f) => el("li", { class: f.severity + (f.waiverId ? " waived" : ""),
                                                        "data-rule": f.ruleId, "data-waiver": f.waiverId || null },
    el("p", {}, el("span", { class: "badge", text: labelOf(f.severity) }),
      f.waiverId ? el("span", { class: "badge waived-badge", text: t("waived_badge") }) : null,
      el("strong", { text: f.title }), ` (${f.ruleId})`),
    waiverNote(f, waivers),
    el("p", { text: f.message }),
    // (the evidence is data: the facts' names and values as the rules read them)
    (f.evidence || []).length ? el("p", { class: "hint evidence" },
      el("code", { text: f.evidence.map((e) => `${e.name} = ${e.value}`).join(" · ") })) : null,
    f.recommendation ? el("p", { text: "→ " + f.recommendation }) : null,
    el("p", {}, el("cite", { text: f.citation })))));
  if (!findings.length) list.replaceChildren(el("li", { text: t("no_rule") }));
}

function listAlternatives(alternatives) {
  const list = document.getElementById("alternatives");
  list.replaceChildren(...alternatives.map((a) => el("li", { "data-kind": a.kind },
    el("p", {}, el("strong", { text: labelOf(a.kind) }),
      (a.ruleIds || []).length ? ` (${t("answers", a.ruleIds.join(", "))})` : ""),
    el("p", { text: a.rationale }),
    (a.details || []).length ? el("ul", {}, a.details.map((d) => el("li", { text: d }))) : null)));
  if (!alternatives.length) list.replaceChildren(el("li", { text: t("none_needed") }));
}

// The ROI table and chart as the server wrote them (/console/roi.json).
function showRoi() {
  const rows = (state.roi && state.roi.rows) || [];
  document.getElementById("roi").replaceChildren(rows.length
    ? el("table", {}, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k }), el("td", { text: v }))))
    : el("p", { class: "hint", text: t("not_computable") }));
  drawRoiChart(state.roi && state.roi.chart);
}

// The break-even net of retraining against the volume (log scale), the maximum the rules allow
// and the first volume that passes, all computed by the server: here only placed on the page, at
// the width it is shown at (one unit, one pixel), labels wrapped rather than shrunk.
function drawRoiChart(c) {
  const box = document.getElementById("roi-chart");
  if (!c) { box.replaceChildren(); return; }
  const W = Math.max(300, Math.floor(box.clientWidth || 560)), narrow = W < 480;
  const L = narrow ? 40 : 56, R = 12, T = 14, B = 44, H = narrow ? 240 : 260;
  const lo = Math.log10(c.lo), hi = Math.log10(c.hi);
  const px = (r) => L + (Math.log10(r) - lo) / (hi - lo) * (W - L - R);
  const py = (m) => T + (1 - Math.min(m, c.yMax) / c.yMax) * (H - T - B);
  const text = (attrs, content) => el("svg:text", { "font-size": MIN_FONT, fill: "#4a5360", ...attrs, text: content });
  const svg = el("svg:svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", id: "roi-svg", "aria-labelledby": "roi-t" },
    el("svg:title", { id: "roi-t", text: c.text.title }));
  svg.append(el("svg:rect", { x: L, y: T, width: W - L - R, height: H - T - B, fill: "#fff", stroke: "#9aa4ae" }));
  let d = "", pen = false;
  for (const [r, m] of c.curve) {
    if (m === null) { pen = false; continue; }
    d += `${pen ? "L" : "M"}${px(r).toFixed(1)},${py(m).toFixed(1)}`;
    pen = true;
  }
  svg.append(el("svg:path", { d, fill: "none", stroke: "#0b5cad", "stroke-width": 2.5, class: "net-break-even" }));
  svg.append(el("svg:line", { x1: L, x2: W - R, y1: py(c.limit), y2: py(c.limit), stroke: "#9b1c1c", "stroke-dasharray": "6 4", "stroke-width": 1.5, class: "twelve-months" }));
  const limitLines = wrap(c.text.limit, Math.floor((W - L - R) / 6.2));
  limitLines.forEach((line, i) => svg.append(text({ x: L + 4, y: py(c.limit) - 5 - (limitLines.length - 1 - i) * 13, fill: "#9b1c1c", class: "limit-label" }, line)));
  if (c.first) {
    svg.append(el("svg:line", { x1: px(c.first), x2: px(c.first), y1: py(c.limit), y2: H - B, stroke: "#9b1c1c", "stroke-dasharray": "2 3", class: "first-passing" }));
  }
  const [r0, m0] = c.you;
  const y0 = m0 === null ? T : py(m0);
  svg.append(el("svg:circle", { cx: px(r0), cy: y0, r: 5, fill: "#12324f", class: "team-point" }));
  const leftOf = px(r0) > W * 0.55;
  const youLines = wrap(c.text.you, Math.floor((leftOf ? px(r0) - L : W - R - px(r0)) / 6.2));
  youLines.forEach((line, i) => svg.append(text({ x: px(r0) + (leftOf ? -8 : 8), y: y0 - 8 + (y0 < T + 30 ? 22 + i * 13 : -(youLines.length - 1 - i) * 13),
    fill: "#12324f", "text-anchor": leftOf ? "end" : "start", class: "you-label" }, line)));
  c.ticksX.forEach(([r, label], i) => svg.append(text({ x: px(r), y: H - B + 16,
    "text-anchor": i === 0 ? "start" : i === c.ticksX.length - 1 ? "end" : "middle" }, label)));
  for (const [m, label] of c.ticksY) svg.append(text({ x: L - 6, y: py(m) + 4, "text-anchor": "end" }, label));
  svg.append(text({ x: (L + W) / 2, y: H - 8, "text-anchor": "middle", fill: "#1b1f24", "font-size": 12 }, c.text.x));
  svg.append(text({ x: 12, y: (T + H - B) / 2, fill: "#1b1f24", "text-anchor": "middle", "font-size": MIN_FONT,
    transform: `rotate(-90 12 ${(T + H - B) / 2})` }, c.text.y));
  box.replaceChildren(svg);
}

function showPlan(a) {
  const p = a.plan;
  const section = document.getElementById("plan-section");
  section.hidden = !(p && a.verdict === "VERDICT_FINE_TUNE");
  if (section.hidden) return;
  const lora = p.lora || {};
  const money = (state.roi && state.roi.plan) || {};
  document.getElementById("plan").replaceChildren(
    el("p", {}, el("code", { text: `LoraConfig(r=${lora.r}, lora_alpha=${lora.loraAlpha}, lora_dropout=${lora.loraDropout}, target_modules=${JSON.stringify(lora.targetModules || [])})` })),
    el("p", { text: `${t("validation")} : ${(p.validationTasks || []).join(", ")} ; ${t("tolerance")} ${money.tolerance || ""}`.replace(" : ", state.lang === "fr" ? "\u00a0: " : ": ").replace(" ; ", state.lang === "fr" ? "\u202f; " : "; ") }),
    el("p", { text: `${t("metrics")}${state.lang === "fr" ? "\u00a0: " : ": "}${(p.metrics || []).join(", ")}` }),
    el("table", {}, el("tr", {}, el("th", { text: t("year_one") }), el("th", { text: t("low") }), el("th", { text: t("high") })),
      (money.costs || []).map(([item, low, high]) => el("tr", {}, el("td", { text: item }), el("td", { text: low }), el("td", { text: high }))),
      el("tr", {}, el("th", { text: t("total") }), el("th", { text: (money.total || [])[0] }), el("th", { text: (money.total || [])[1] }))),
    el("ul", {}, (p.recommendations || []).map((r) => el("li", { text: r }))));
}

// ---- languages -----------------------------------------------------------------------------------
// The page's language: the one chosen in the switch, else the browser's (its Accept-Language);
// every word, label and figure comes from the server in it.
async function loadWords(lang) {
  const data = await (await fetch("/console/words.json?lang=" + encodeURIComponent(lang))).json();
  Object.assign(state, { lang: data.lang, words: data.words, labels: data.labels, fields: data.fields,
                         help: data.help || {}, decisionLinks: data.decisionLinks });
  document.documentElement.lang = state.lang;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.querySelector("select[name=lang]").value = state.lang;
}

async function switchLanguage(lang) {
  const profile = readForm();
  sessionStorage.setItem("ftgate-lang", lang);
  await loadWords(lang);
  buildForm();
  fillForm(profile);
  if (state.answer) await evaluate();  // the answer's texts, in the new language
  else if (!document.getElementById("placeholder").classList.contains("error"))
    document.getElementById("placeholder").textContent = t("placeholder");
}

function buildForm() {
  document.getElementById("form-help").textContent = state.lang === "en" ? state.form.help : state.help[""] || "";
  document.getElementById("fields").replaceChildren(...state.form.fields.map(fieldNode));
}

// ---- start ------------------------------------------------------------------------------------
async function start() {
  state.form = await (await fetch("/console/form.json")).json();
  const asked = sessionStorage.getItem("ftgate-lang") || (navigator.languages || [navigator.language]).join(",");
  await loadWords(asked);
  buildForm();
  document.getElementById("profile").addEventListener("submit", evaluate);
  document.getElementById("profile").addEventListener("reset", () => setTimeout(clearErrors));
  document.querySelector("select[name=lang]").addEventListener("change", (ev) => switchLanguage(ev.target.value));
  document.getElementById("counterfactuals").addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-try]");
    if (button) tryCounterfactual(Number(button.dataset.try));
  });
  const examples = state.examples = await (await fetch("/console/examples.json")).json();
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
    if (r.rulesetVersion) document.getElementById("ruleset").textContent = t("rules") + " " + r.rulesetVersion;
  }).catch(() => {});
  // Redrawn for the width it is shown at (a phone turned, a window resized).
  let resized = null;
  window.addEventListener("resize", () => {
    clearTimeout(resized);
    resized = setTimeout(() => { if (state.answer) { drawTree(state.answer); drawRoiChart(state.roi && state.roi.chart); } }, 150);
  });
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
    const read = readForm();
    state.roi = await api("/console/roi.json", { project: read });
    render(record.assessment, read);
  } catch (e) {
    const error = e.error || {};
    document.getElementById("placeholder").textContent = `${t("decision_id")} ${decisionId}: ${error.message || e}` +
      (error.code === 401 ? ` — ${t("access")}` : "");
    if (error.code === 401) document.getElementById("access").open = true;
  }
}

start();
