// recordOutcome() against a live `ftgate serve` with an audit log: recorded, replaced, refused by field.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  ChangeFrequency,
  createClient,
  Goal,
  InvalidArgumentError,
  NotFoundError,
  TaskType,
  TuningMethod,
  Verdict,
  type FtgateClient,
  type ProjectInput,
} from "../src/index.js";
import { startServer, type LiveServer } from "./support.js";

const PROFILE: ProjectInput = {
  name: "outcome",
  taskType: TaskType.TASK_TYPE_CLASSIFICATION,
  goal: Goal.GOAL_STYLE,
  qualityExamples: 5000,
  dataChangeFrequency: ChangeFrequency.CHANGE_FREQUENCY_STATIC,
  promptEngineering: { promptVariationsTested: 6, fewShotTried: true, moreCapableModelTried: true },
  baseModelScore: 0.5,
  targetScore: 0.9,
  dedicatedModel: true,
  plannedMethod: TuningMethod.TUNING_METHOD_LORA,
  economics: { requestsPerDay: 20_000, savingsPerRequestUsd: 0.05, investmentUsd: 1000 },
};

describe("recordOutcome against ftgate serve with an audit log", () => {
  let server: LiveServer;
  let client: FtgateClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ftgate-outcomes-"));
    server = await startServer({ args: ["--audit-db", join(dir, "audit.db"), "--audit-durability", "sync"] });
    client = createClient(server.address, { timeoutMs: 10_000 });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("records, replaces, and refuses bad figures by field and unknown decisions", async () => {
    const decision = (await client.evaluate(PROFILE)).decisionId;
    const first = await client.recordOutcome(decision, { fineTuned: true, metTarget: false });
    assert.equal(first.verdict, Verdict.VERDICT_FINE_TUNE);
    assert.equal(first.replaced, false);
    const again = await client.recordOutcome(decision, { fineTuned: true, metTarget: true, monthlySavingsUsd: 900 });
    assert.equal(again.replaced, true);
    await assert.rejects(client.recordOutcome(decision, { fineTuned: true, measuredScore: 2 }), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError);
      assert.ok(e.fields.includes("outcome.measured_score"), e.fields.join(", "));
      return true;
    });
    await assert.rejects(
      client.recordOutcome("0f8fad5b-d9cb-469f-a165-70867728950e", { fineTuned: false }),
      NotFoundError,
    );
  });
});
