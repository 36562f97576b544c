// toProjectProfile: typed partial profiles and the proto3 JSON shape give the same message.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ChangeFrequency, Symptom, TaskType, toProjectProfile } from "../src/index.js";

test("typed partial profiles keep presence: absent stays undefined, 0 and false stay set", () => {
  const p = toProjectProfile({ name: "x_y", qualityExamples: 0, dedicatedModel: false });
  assert.equal(p.name, "x_y");
  assert.equal(p.qualityExamples, 0);
  assert.equal(p.dedicatedModel, false);
  assert.equal(p.baseModelScore, undefined);
  assert.equal(p.economics, undefined);
  assert.equal(p.taskType, TaskType.TASK_TYPE_UNSPECIFIED);
});

test("the proto3 JSON shape (enum names, snake_case, int64 strings, NaN) is converted", () => {
  const camel = toProjectProfile({
    name: "p",
    taskType: "TASK_TYPE_STYLE_TONE",
    qualityExamples: "1200",
    dataChangeFrequency: "CHANGE_FREQUENCY_WEEKLY",
    symptoms: ["SYMPTOM_HIGH_LATENCY"],
    economics: { requestsPerDay: 20000 },
  });
  const snake = toProjectProfile({
    name: "p",
    task_type: "TASK_TYPE_STYLE_TONE",
    quality_examples: 1200,
    data_change_frequency: 5,
    symptoms: [5],
    economics: { requests_per_day: 20000 },
  });
  assert.deepEqual(camel, snake);
  assert.equal(camel.taskType, TaskType.TASK_TYPE_STYLE_TONE);
  assert.equal(camel.qualityExamples, 1200);
  assert.equal(camel.dataChangeFrequency, ChangeFrequency.CHANGE_FREQUENCY_WEEKLY);
  assert.deepEqual(camel.symptoms, [Symptom.SYMPTOM_HIGH_LATENCY]);
  assert.equal(camel.economics?.requestsPerDay, 20000);
  assert.ok(Number.isNaN(toProjectProfile({ baseModelScore: "NaN" }).baseModelScore));
});
