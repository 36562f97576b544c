// The shared case table clients/cases.json (also run by clients/python), against a live server.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  alternativeKindToJSON,
  CheckRegressionRequest,
  createClient,
  EvaluateBatchRequest,
  EvaluateRequest,
  failureModeToJSON,
  Finding,
  FtgateError,
  InvalidProfileError,
  outcomeToJSON,
  ProjectProfile,
  verdictToJSON,
  type Assessment,
  type FtgateClient,
} from "../src/index.js";
import { REPO_ROOT, startServer, type LiveServer } from "./support.js";

interface Case {
  name: string;
  method: "Evaluate" | "EvaluateBatch" | "CheckRegression" | "ListRules";
  request: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const CASES_FILE = process.env.FTGATE_CASES ?? resolve(REPO_ROOT, "clients", "cases.json");
const cases: Case[] = (JSON.parse(readFileSync(CASES_FILE, "utf8")) as { cases: Case[] }).cases;

const KNOWN_KEYS = new Set([
  "code", "fieldViolations", "verdict", "outcome", "hasPlan", "findings", "findingRuleIds", "alternativeKinds",
  "missingFields", "roi", "verdicts", "outcomes", "passed", "tolerance", "degradedTasks", "minRules",
  "rulesetVersionNonEmpty", "ruleFailureModes",
]);

function closeTo(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, "number", `${what}: expected a number ${expected}, got ${String(actual)}`);
  const a = actual as number;
  const ok = Math.abs(a - expected) <= Math.max(1e-6 * Math.abs(expected), 1e-12);
  assert.ok(ok, `${what}: expected ${expected}, got ${a}`);
}

function subset(actual: readonly string[], expected: unknown, what: string): void {
  for (const e of expected as string[]) {
    assert.ok(actual.includes(e), `${what}: expected ${JSON.stringify(e)} among ${JSON.stringify(actual)}`);
  }
}

function checkAssessment(a: Assessment, ex: Record<string, unknown>): void {
  if ("verdict" in ex) assert.equal(verdictToJSON(a.verdict), ex.verdict, "verdict");
  if ("outcome" in ex) assert.equal(outcomeToJSON(a.outcome), ex.outcome, "outcome");
  if ("hasPlan" in ex) assert.equal(a.plan !== undefined, ex.hasPlan, "hasPlan");
  if ("findings" in ex) {
    const actual = a.findings.map((f) => Finding.toJSON(f) as Record<string, unknown>);
    for (const want of ex.findings as Record<string, unknown>[]) {
      const hit = actual.some((f) => Object.entries(want).every(([k, v]) => f[k] === v));
      assert.ok(hit, `findings: none matches ${JSON.stringify(want)}; got ${JSON.stringify(
        a.findings.map((f) => [f.ruleId, failureModeToJSON(f.failureMode), f.severity]))}`);
    }
  }
  if ("findingRuleIds" in ex) subset(a.findings.map((f) => f.ruleId), ex.findingRuleIds, "findingRuleIds");
  if ("alternativeKinds" in ex) {
    subset(a.alternatives.map((x) => alternativeKindToJSON(x.kind)), ex.alternativeKinds, "alternativeKinds");
  }
  if ("missingFields" in ex) subset(a.missingFields, ex.missingFields, "missingFields");
  if ("roi" in ex) {
    const roi = (a.roi ?? {}) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(ex.roi as Record<string, unknown>)) {
      assert.notEqual(roi[k], undefined, `roi.${k} is not set`);
      if (typeof v === "number") closeTo(roi[k], v, `roi.${k}`);
      else assert.equal(roi[k], v, `roi.${k}`);
    }
  }
}

async function run(client: FtgateClient, c: Case): Promise<void> {
  const ex = c.expect;
  const unknown = Object.keys(ex).filter((k) => !KNOWN_KEYS.has(k));
  assert.deepEqual(unknown, [], `unknown expect keys in case ${c.name}`);
  let call: () => Promise<unknown>;
  switch (c.method) {
    case "Evaluate": {
      const req = EvaluateRequest.fromJSON(c.request);
      call = () => client.evaluate(req.project ?? ProjectProfile.fromPartial({}));
      break;
    }
    case "EvaluateBatch": {
      const req = EvaluateBatchRequest.fromJSON(c.request);
      call = () => client.evaluateBatch(req.projects);
      break;
    }
    case "CheckRegression": {
      const req = CheckRegressionRequest.fromJSON(c.request);
      call = () => client.checkRegression(req.baseline, req.candidate, req.tolerance);
      break;
    }
    case "ListRules":
      call = () => client.listRules();
      break;
    default:
      assert.fail(`unknown method ${String(c.method)}`);
  }
  if ("code" in ex) {
    const err = await call().then(
      (res) => assert.fail(`expected ${String(ex.code)}, got a success: ${JSON.stringify(res).slice(0, 300)}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof FtgateError, `not an FtgateError: ${String(err)}`);
    assert.equal(err.codeName, ex.code, `code (${err.message})`);
    if (ex.code === "INVALID_ARGUMENT") assert.ok(err instanceof InvalidProfileError);
    if ("fieldViolations" in ex) {
      assert.ok(err instanceof InvalidProfileError, "fieldViolations need an InvalidProfileError");
      subset(err.fields, ex.fieldViolations, "fieldViolations");
    }
    return;
  }
  const res = await call();
  switch (c.method) {
    case "Evaluate":
      checkAssessment(res as Assessment, ex);
      break;
    case "EvaluateBatch": {
      const list = res as Assessment[];
      if ("verdicts" in ex) assert.deepEqual(list.map((a) => verdictToJSON(a.verdict)), ex.verdicts, "verdicts");
      if ("outcomes" in ex) assert.deepEqual(list.map((a) => outcomeToJSON(a.outcome)), ex.outcomes, "outcomes");
      break;
    }
    case "CheckRegression": {
      const r = res as Awaited<ReturnType<FtgateClient["checkRegression"]>>;
      if ("passed" in ex) assert.equal(r.passed, ex.passed, "passed");
      if ("tolerance" in ex) closeTo(r.tolerance, ex.tolerance as number, "tolerance");
      if ("degradedTasks" in ex) {
        assert.deepEqual(r.deltas.filter((d) => d.degraded).map((d) => d.task), ex.degradedTasks, "degradedTasks");
      }
      break;
    }
    case "ListRules": {
      const r = res as Awaited<ReturnType<FtgateClient["listRules"]>>;
      if ("minRules" in ex) assert.ok(r.rules.length >= (ex.minRules as number), `only ${r.rules.length} rules`);
      if (ex.rulesetVersionNonEmpty) assert.notEqual(r.rulesetVersion, "", "rulesetVersion is empty");
      if ("ruleFailureModes" in ex) {
        subset(r.rules.map((x) => failureModeToJSON(x.failureMode)), ex.ruleFailureModes, "ruleFailureModes");
      }
      break;
    }
  }
}

describe(`shared cases (${cases.length} in ${CASES_FILE})`, () => {
  let server: LiveServer;
  let client: FtgateClient;
  before(async () => {
    server = await startServer();
    client = createClient(server.address, { timeoutMs: 10_000 });
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });
  test("the table is not empty and names are unique", () => {
    assert.ok(cases.length > 0);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
  });
  for (const c of cases) {
    test(c.name, () => run(client, c));
  }
});
