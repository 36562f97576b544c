// Explanations and languages through createClient against a live `ftgate serve`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ChangeFrequency,
  createClient,
  Goal,
  Verdict,
  type FtgateClient,
  type ProjectInput,
} from "../src/index.js";
import { startServer, type LiveServer } from "./support.js";

const NOT_DEDICATED: ProjectInput = { goal: Goal.GOAL_FORMAT, dedicatedModel: false };
const MONTHLY: ProjectInput = {
  dataChangeFrequency: ChangeFrequency.CHANGE_FREQUENCY_MONTHLY,
  economics: { requestsPerDay: 10_000, savingsPerRequestUsd: 0.008, investmentUsd: 25_000, retrainingCostUsd: 1500 },
};

describe("explanations and languages", () => {
  let server: LiveServer;
  let client: FtgateClient;
  before(async () => {
    server = await startServer();
    client = createClient(server.address, { timeoutMs: 10_000, token: "test-token" });
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  test("counterfactuals and missing-field outcomes only when asked", async () => {
    const plain = await client.evaluate(NOT_DEDICATED);
    assert.equal(plain.counterfactuals.length, 0);
    const a = await client.evaluate(NOT_DEDICATED, { explain: true });
    assert.ok(a.counterfactuals.length > 0);
    const c = a.counterfactuals[0]!;
    assert.equal(c.resultingVerdict, Verdict.VERDICT_FINE_TUNE);
    assert.ok(c.changes.length > 0 && c.changes[0]!.field.length > 0);
    assert.notEqual(c.changes[0]!.to, undefined);
    assert.ok(a.missingFieldOutcomes.length > 0);
    assert.ok(a.missingFieldOutcomes[0]!.outcomes.every((o) => o.description.length > 0));
    const batch = await client.evaluateBatch([NOT_DEDICATED], { explain: true });
    assert.deepEqual(batch[0]!.counterfactuals, a.counterfactuals);
  });

  test("the ROI net of retraining", async () => {
    const roi = (await client.evaluate(MONTHLY)).roi!;
    assert.equal(roi.netMonthlySavingsUsd, 900);
    assert.equal(roi.neverBreaksEven, false);
    assert.equal(Math.round(roi.netBreakEvenMonths! * 10) / 10, 27.8);
  });

  test("lang: fr gives the French texts", async () => {
    const en = await client.evaluate(NOT_DEDICATED, { explain: true });
    const fr = await client.evaluate(NOT_DEDICATED, { explain: true, lang: "fr" });
    assert.notEqual(fr.findings[0]!.title, en.findings[0]!.title);
    assert.match(fr.counterfactuals[0]!.summary, /^Avec /);
  });
});
