// grantWaiver(), listWaivers() and revokeWaiver() against a live `ftgate serve` with an audit log
// and a waiver token file: allowed under the waiver, refused again once revoked, bad waivers
// refused by field, writes without the token refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AuthError,
  ChangeFrequency,
  createClient,
  Goal,
  InvalidArgumentError,
  Severity,
  TaskType,
  TuningMethod,
  Verdict,
  WaiverState,
  type FtgateClient,
  type ProjectInput,
} from "../src/index.js";
import { startServer, type LiveServer } from "./support.js";

const TOKEN = "ts-waiver-token";
const PROFILE: ProjectInput = {
  name: "ts-low-volume",
  taskType: TaskType.TASK_TYPE_CLASSIFICATION,
  goal: Goal.GOAL_STYLE,
  qualityExamples: 5000,
  dataChangeFrequency: ChangeFrequency.CHANGE_FREQUENCY_STATIC,
  promptEngineering: { promptVariationsTested: 6, fewShotTried: true, moreCapableModelTried: true },
  baseModelScore: 0.5,
  targetScore: 0.9,
  dedicatedModel: true,
  plannedMethod: TuningMethod.TUNING_METHOD_LORA,
  economics: { requestsPerDay: 2_000, savingsPerRequestUsd: 0.05, investmentUsd: 1000 },
};

describe("waivers against ftgate serve with an audit log", () => {
  let server: LiveServer;
  let client: FtgateClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ftgate-waivers-"));
    writeFileSync(join(dir, "waiver-tokens"), `${TOKEN}\n`);
    server = await startServer({
      args: ["--audit-db", join(dir, "audit.db"), "--waiver-tokens", join(dir, "waiver-tokens")],
    });
    client = createClient(server.address, { timeoutMs: 10_000 });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("grants, lists, revokes; refuses bad waivers by field and writes without the token", async () => {
    const refused = await client.evaluate(PROFILE);
    assert.equal(refused.verdict, Verdict.VERDICT_DO_NOT_FINE_TUNE);
    const ruleIds = refused.findings.filter((f) => f.severity === Severity.SEVERITY_BLOCKER).map((f) => f.ruleId);
    const expiresAt = new Date(Date.now() + 3 * 86_400_000);
    const waiver = await client.grantWaiver(
      { projectName: PROFILE.name, ruleIds, reason: "pilot", approvedBy: "cto", expiresAt }, TOKEN);
    const allowed = await client.evaluate(PROFILE);
    assert.equal(allowed.verdict, Verdict.VERDICT_FINE_TUNE);
    assert.deepEqual(allowed.waiversApplied.map((w) => w.id), [waiver.id]);
    const active = await client.listWaivers({ projectName: PROFILE.name, state: WaiverState.WAIVER_STATE_ACTIVE });
    assert.deepEqual(active.map((w) => w.id), [waiver.id]);
    const revoked = await client.revokeWaiver(waiver.id, TOKEN);
    assert.ok(revoked.revokedAt);
    assert.equal((await client.evaluate(PROFILE)).verdict, Verdict.VERDICT_DO_NOT_FINE_TUNE);
    await assert.rejects(
      client.grantWaiver({ projectName: "x", ruleIds: ["FM6.low-volume"], reason: "", approvedBy: "cto", expiresAt }, TOKEN),
      (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.ok(e.fields.includes("waiver.reason"), e.fields.join(", "));
        return true;
      },
    );
    await assert.rejects(
      client.grantWaiver({ projectName: "x", ruleIds: ["FM6.low-volume"], reason: "r", approvedBy: "cto", expiresAt }, "wrong"),
      AuthError,
    );
  });
});
